/* Event of the built-in `exec` source: one per successful execve. Fixed-width types
 * only: this header is read by the BPF program, by C, and (preprocessed) by ffi.cdef. */
#ifndef RINGLUA_EXEC_H
#define RINGLUA_EXEC_H

#define EXEC_COMM_LEN 16
#define EXEC_FILENAME_LEN 256

struct exec_event {
	__u64 ts_ns;	/* CLOCK_MONOTONIC (bpf_ktime_get_ns) */
	__u32 pid;	/* process id (tgid) after the exec */
	__u32 ppid;
	__u32 uid;
	__u32 tid;
	char comm[EXEC_COMM_LEN];
	char filename[EXEC_FILENAME_LEN];
};

#endif
