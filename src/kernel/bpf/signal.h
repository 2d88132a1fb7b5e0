/* Event of the built-in `signal` source: one per signal sent (generated), whether or not
 * it is delivered. Fixed-width types only: this header is read by the BPF program, by C,
 * and (preprocessed) by ffi.cdef. */
#ifndef RINGLUA_SIGNAL_H
#define RINGLUA_SIGNAL_H

#define SIGNAL_COMM_LEN 16

struct signal_event {
	__u64 ts_ns;		/* CLOCK_MONOTONIC (bpf_ktime_get_ns) */
	__u32 pid;		/* sender's process id (tgid); the kernel's own signals come
				 * from whatever task was running */
	__u32 tid;		/* sender's thread */
	__u32 uid;		/* sender's uid */
	__u32 target_pid;	/* the task the signal was queued on: the process for kill(2),
				 * the thread for tgkill(2) */
	__s32 sig;
	__s32 code;		/* si_code: SI_USER for kill(2), SI_TKILL, SI_KERNEL, ... */
	__s32 result;		/* 0 delivered, 1 ignored, 2 already pending, 3 overflow
				 * (queue full), 4 delivered without its siginfo */
	__u32 group;		/* 1 if sent to the whole thread group */
	char comm[SIGNAL_COMM_LEN];		/* sender's */
	char target_comm[SIGNAL_COMM_LEN];
};

#endif
