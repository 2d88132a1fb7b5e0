/* The stacks a probe may carry: a trailer after its event struct, when ringlua was asked
 * for them (`stacks = "kernel,user"`, --stacks). Fixed-width types only: this header is
 * read by the BPF programs, by C, and (preprocessed) by ffi.cdef. */
#ifndef RINGLUA_STACKS_H
#define RINGLUA_STACKS_H

#define RL_STACK_MAX 127	/* frames of one stack: the kernel's default
				 * perf_event_max_stack */
#define RL_STACK_KERNEL 1	/* stack_mode bits */
#define RL_STACK_USER 2

/* Right after the event struct (its size is a multiple of 8): the kernel frames, then
 * the user frames, each innermost first. The record ends after the last frame. */
struct rl_stacks {
	__u32 nr_kernel;	/* 0: not asked for, or none (a sample in user space) */
	__u32 nr_user;		/* 0: not asked for, or none (a kernel thread) */
	__u64 ip[];
};

/* Most bytes a trailer takes. */
#define RL_STACKS_BYTES (8 + 2 * RL_STACK_MAX * 8)

#endif
