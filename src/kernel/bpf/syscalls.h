/* Event of the built-in `syscalls` source: one per system call entry. Fixed-width types
 * only: this header is read by the BPF program, by C, and (preprocessed) by ffi.cdef. */
#ifndef RINGLUA_SYSCALLS_H
#define RINGLUA_SYSCALLS_H

#define SYSCALLS_COMM_LEN 16

struct syscall_event {
	__u64 ts_ns;	/* CLOCK_MONOTONIC (bpf_ktime_get_ns) */
	__u32 pid;	/* process id (tgid) */
	__u32 tid;
	__s64 nr;	/* system call number */
	char comm[SYSCALLS_COMM_LEN];
};

#endif
