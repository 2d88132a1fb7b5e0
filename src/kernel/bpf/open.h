/* Event of the built-in `open` source: one per completed open, openat or openat2. Fixed-
 * width types only: this header is read by the BPF program, by C, and (preprocessed) by
 * ffi.cdef. */
#ifndef RINGLUA_OPEN_H
#define RINGLUA_OPEN_H

#define OPEN_COMM_LEN 16
#define OPEN_PATH_LEN 256

struct open_event {
	__u64 ts_ns;	/* CLOCK_MONOTONIC (bpf_ktime_get_ns), at the return */
	__u64 flags;	/* O_* flags as the caller passed them (openat2: how.flags) */
	__s64 ret;	/* the new fd, or -errno */
	__u32 pid;	/* process id (tgid) */
	__u32 tid;
	__u32 uid;
	__u32 mode;	/* creation mode as passed (meaningful with O_CREAT or O_TMPFILE) */
	char comm[OPEN_COMM_LEN];
	char path[OPEN_PATH_LEN];	/* as passed: relative paths are not resolved */
};

#endif
