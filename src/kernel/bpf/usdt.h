/* Event of the built-in `usdt` source: one per hit of a user-space statically defined
 * tracepoint (a SystemTap SDT note, `usdt:PATH:[PROVIDER:]NAME`), through one
 * precompiled program that libbpf attaches to each probe named and whose arguments
 * libbpf's usdt.bpf.h reads as the note's specs say. Fixed-width types only: this header
 * is read by the BPF program, by C, and (preprocessed) by ffi.cdef. */
#ifndef RINGLUA_USDT_H
#define RINGLUA_USDT_H

#define USDT_COMM_LEN 16
#define USDT_STR_LEN 256	/* the string asked for: 255 bytes and the NUL */
#define USDT_ARG_MAX 12		/* the most arguments libbpf reads (BPF_USDT_MAX_ARG_CNT) */

struct usdt_event {
	__u64 ts_ns;	/* CLOCK_MONOTONIC (bpf_ktime_get_ns) */
	__u32 probe;	/* which probe: its index in the list named, from 0 */
	__u32 pid;	/* the current task's process (tgid) */
	__u32 tid;
	__u32 ppid;	/* its parent process */
	__u32 uid;	/* its real user id */
	__u32 cpu;
	char comm[USDT_COMM_LEN];
	__u32 arg_count; /* the arguments the probe's note gives (the others are 0) */
	__u32 pad;	/* 0: the arguments are 8-byte aligned, and no byte is left unset */
	/* The arguments, each widened to 64 bits as its spec says: a signed one
	 * ("-4@...") sign-extended, an unsigned one zero-extended. */
	__s64 arg0;
	__s64 arg1;
	__s64 arg2;
	__s64 arg3;
	__s64 arg4;
	__s64 arg5;
	__s64 arg6;
	__s64 arg7;
	__s64 arg8;
	__s64 arg9;
	__s64 arg10;
	__s64 arg11;
	char str[USDT_STR_LEN]; /* the argument asked for (--str), read as a string */
};

#endif
