/* Test producer: emits `count` sequence-numbered records into the ring on demand
 * (run through BPF_PROG_TEST_RUN), following ringlua's lost-event convention. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "seq.h"

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 24); /* the loader sets the real size */
} events SEC(".maps");

__u64 dropped = 0;	/* reservations that failed: the ring was full */
__u64 discarded = 0;	/* records reserved and then discarded on purpose */
/* Reservations that succeeded, over every run of this loaded object, so that "every Nth
 * record is discarded" holds across batches. One producer process runs the program from
 * one thread at a time, so a plain increment is enough. */
__u64 reserved = 0;

struct loop_ctx {
	struct seq_args args;
	__u32 pid;
};

static long emit_one(__u32 i, void *data)
{
	struct loop_ctx *lc = data;
	struct seq_args *a = &lc->args;
	struct seq_event *e;
	__u64 seq = a->start + i;

	/* Reserve; a full ring is a counted drop. */
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		__sync_fetch_and_add(&dropped, 1);
		return 0;
	}
	reserved++;
	/* Fill: value and kind derive from seq, so a consumer can check every field. */
	e->seq = seq;
	e->value = seq * 3;
	e->pid = lc->pid;
	e->kind = seq % 4;
	__builtin_memcpy(e->tag, "seq", 4);
	/* A stamped record carries its submit time (CLOCK_MONOTONIC), for latency checks. */
	if (a->stamp)
		e->value = bpf_ktime_get_ns();
	/* Submit with the requested wakeup mode, or discard every Nth reserved record. */
	if (a->discard_every && reserved % a->discard_every == 0) {
		bpf_ringbuf_discard(e, a->flags);
		__sync_fetch_and_add(&discarded, 1);
	} else {
		bpf_ringbuf_submit(e, a->flags);
	}
	return 0;
}

SEC("syscall")
int produce(struct seq_args *args)
{
	/* bpf_loop hands its callback a pointer into this stack only: copy the arguments. */
	struct loop_ctx lc = { .args = *args, .pid = bpf_get_current_pid_tgid() >> 32 };

	bpf_loop(args->count, emit_one, &lc, 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
