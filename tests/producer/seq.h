/* Record of the test producer: sequence-numbered, so a consumer can prove it saw every
 * record exactly once and in order. Fixed-width types only; shared by BPF and C. */
#ifndef RINGLUA_TEST_SEQ_H
#define RINGLUA_TEST_SEQ_H

struct seq_event {
	__u64 seq;
	__u64 value;	/* seq * 3: a field for consumers to sum (with stamp: the submit time) */
	__u32 pid;
	__u32 kind;	/* seq % 4: a field for consumers to filter on */
	char tag[16];
};

/* What one run of the producer program emits. */
struct seq_args {
	__u64 start;		/* seq of the first record */
	__u32 count;
	__u32 flags;		/* bpf_ringbuf_submit flags: wakeup mode */
	__u32 discard_every;	/* discard every Nth reserved record instead; 0: none */
	__u32 stamp;		/* value is bpf_ktime_get_ns() just before submit, not seq * 3 */
};

#endif
