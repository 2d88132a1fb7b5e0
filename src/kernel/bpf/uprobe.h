/* Event of the built-in `uprobe` and `uretprobe` sources: one per call (or return) of a
 * user-space function, through one precompiled program attached to each probe named
 * (`uprobe:PATH:FUNCTION`). Fixed-width types only: this header is read by the BPF
 * program, by C, and (preprocessed) by ffi.cdef. */
#ifndef RINGLUA_UPROBE_H
#define RINGLUA_UPROBE_H

#define UPROBE_COMM_LEN 16
#define UPROBE_STR_LEN 256	/* the string asked for: 255 bytes and the NUL */
#define UPROBE_STR_RET 6	/* str_arg: the return value, not an argument */

struct uprobe_event {
	__u64 ts_ns;	/* CLOCK_MONOTONIC (bpf_ktime_get_ns) */
	__u32 probe;	/* which probe: its index in the list named, from 0 */
	__u32 pid;	/* the current task's process (tgid) */
	__u32 tid;
	__u32 ppid;	/* its parent process */
	__u32 uid;	/* its real user id */
	__u32 cpu;
	char comm[UPROBE_COMM_LEN];
	__u64 arg0;	/* the first six integer arguments (uprobe; 0 in a uretprobe) */
	__u64 arg1;
	__u64 arg2;
	__u64 arg3;
	__u64 arg4;
	__u64 arg5;
	__s64 ret;	/* the return value (uretprobe; 0 in a uprobe) */
	char str[UPROBE_STR_LEN]; /* the argument asked for (--str), read as a string */
};

#endif
