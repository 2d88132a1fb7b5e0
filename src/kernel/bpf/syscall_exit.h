/* Event of the built-in `syscall_exit` source: one per completed system call, with its
 * result and how long it took. Fixed-width types only: this header is read by the BPF
 * program, by C, and (preprocessed) by ffi.cdef. */
#ifndef RINGLUA_SYSCALL_EXIT_H
#define RINGLUA_SYSCALL_EXIT_H

#define SYSCALL_EXIT_COMM_LEN 16

struct syscall_exit_event {
	__u64 ts_ns;		/* CLOCK_MONOTONIC (bpf_ktime_get_ns), at the return */
	__u64 latency_ns;	/* from entry to return */
	__s64 nr;		/* system call number */
	__s64 ret;		/* its result: a value, or -errno */
	__u32 pid;		/* process id (tgid) */
	__u32 tid;
	__u32 uid;
	char comm[SYSCALL_EXIT_COMM_LEN];
};

#endif
