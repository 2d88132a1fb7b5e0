/* The stacks a probe may carry: a trailer after its event struct, when ringlua was asked
 * for them (`stacks = "kernel,user"`, --stacks). Fixed-width types only: this header is
 * read by the BPF programs, by C, and (preprocessed) by ffi.cdef. */
#ifndef RINGLUA_STACKS_H
#define RINGLUA_STACKS_H

#define RL_STACK_MAX 127	/* frames of one stack: the kernel's default
				 * perf_event_max_stack */
#define RL_STACK_KERNEL 1	/* stack_mode bits */
#define RL_STACK_USER 2
#define RL_STACK_DWARF 4	/* with RL_STACK_USER: the user stack as its registers and
				 * a copy of its top (struct rl_ustack), unwound in user
				 * space from the mapped files' CFI; without it, the
				 * kernel's frame-pointer walk */

/* Right after the event struct (its size is a multiple of 8): the kernel frames, then
 * the user frames, each innermost first. The record ends after the last frame, or with
 * RL_STACKS_USTACK after the struct rl_ustack that follows the kernel frames. */
struct rl_stacks {
	__u32 nr_kernel;	/* 0: not asked for, or none (a sample in user space) */
	__u16 nr_user;		/* 0: not asked for, or none (a kernel thread), or copied */
	__u16 flags;		/* RL_STACKS_USTACK */
	__u64 ip[];
};

#define RL_STACKS_USTACK 1	/* flags: a struct rl_ustack follows the kernel frames */

/* The registers the unwinder starts from, in the DWARF numbering of x86_64 (rax, rdx,
 * rcx, rbx, rsi, rdi, rbp, rsp, r8-r15, and the return address column: rip), the set
 * libdwfl's x86_64 backend takes as a thread's initial registers. */
#define RL_USTACK_REGS 17
#define RL_USTACK_REG_SP 7
#define RL_USTACK_REG_IP 16

/* Stack bytes a record may copy (--stack-bytes): from the user stack pointer up, read in
 * chunks of RL_USTACK_CHUNK, then the rest of a chunk that failed in pieces of
 * RL_USTACK_PIECE, so a stack shorter than the copy gives what exists of it. The most
 * keeps a record's scratch buffer within a per-CPU map value's 32 KiB. */
#define RL_USTACK_BYTES_DEFAULT 8192	/* perf record --call-graph dwarf's */
#define RL_USTACK_BYTES_MAX 16384
#define RL_USTACK_CHUNK 512
#define RL_USTACK_PIECE 64		/* --stack-bytes is a multiple of it */

/* A user stack to unwind: whose, where it stood, and the copy of its top. */
struct rl_ustack {
	__u32 pid;		/* the process: its mappings name the code */
	__u32 tid;
	__u32 size;		/* bytes of data: the stack from regs[RL_USTACK_REG_SP] up */
	__u32 want;		/* the bytes asked for: size == want, the stack may go on */
	__u64 regs[RL_USTACK_REGS];
	__u8 data[];
};

/* Most bytes a trailer takes: kernel frames and a copied user stack (more than kernel
 * and frame-pointer user frames). */
#define RL_STACKS_BYTES (8 + RL_STACK_MAX * 8 + 8 * 2 + 8 * RL_USTACK_REGS + \
			 RL_USTACK_BYTES_MAX)

#endif
