/* The record of perfsnoop.bpf.c, as published perf-buffer programs keep it: in a header
 * shared by the kernel side and user space, filled as a local on the BPF stack. */
#ifndef PERFSNOOP_H
#define PERFSNOOP_H

#define TASK_COMM_LEN 16

struct event {
	__u32 pid;
	__u32 tid;
	__u64 seq;
	__s64 arg;
	__u8 flags;
	char comm[TASK_COMM_LEN];
};

#endif
