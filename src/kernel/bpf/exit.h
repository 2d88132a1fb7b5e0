/* Event of the built-in `exit` source: one per process exit (its thread-group leader).
 * Fixed-width types only: this header is read by the BPF program, by C, and
 * (preprocessed) by ffi.cdef. */
#ifndef RINGLUA_EXIT_H
#define RINGLUA_EXIT_H

#define EXIT_COMM_LEN 16

struct exit_event {
	__u64 ts_ns;		/* CLOCK_MONOTONIC (bpf_ktime_get_ns) */
	__u64 lifetime_ns;	/* from the process's start to its exit */
	__u32 pid;		/* process id (tgid) */
	__u32 ppid;
	__u32 uid;
	__u32 exit_code;	/* as wait(2) reports it: status << 8 | core << 7 | signal */
	__u32 exit_status;	/* the status passed to exit(); 0 when killed by a signal */
	__u32 signal;		/* the signal that killed it, or 0 */
	__u32 core_dumped;	/* 1 if the signal dumped core */
	char comm[EXIT_COMM_LEN];
};

#endif
