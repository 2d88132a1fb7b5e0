/* Event of the built-in `profile` source: one sample per CPU, 99 times a second, of what
 * that CPU was running. Fixed-width types only: this header is read by the BPF program,
 * by C, and (preprocessed) by ffi.cdef. */
#ifndef RINGLUA_PROFILE_H
#define RINGLUA_PROFILE_H

#define PROFILE_COMM_LEN 16

struct profile_event {
	__u64 ts_ns;	/* CLOCK_MONOTONIC (bpf_ktime_get_ns) */
	__u32 cpu;
	__u32 pid;	/* process id (tgid); 0 for the idle task */
	__u32 tid;
	__u32 uid;
	__u8 user_mode;	/* 1: interrupted in user space; 0: in the kernel */
	__u8 reserved[7];
	char comm[PROFILE_COMM_LEN];
};

#endif
