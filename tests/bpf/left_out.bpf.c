// SPDX-License-Identifier: GPL-2.0
/* Test object of --bpf: a program that works beside programs this kernel cannot take,
 * selected with -D: MISSING a tracepoint no kernel has, REJECTED a program the verifier
 * refuses, OTHER_RING a second ring that only the missing tracepoint's program writes
 * to, NO_GOOD without the program that works, OPTIONAL an optional ("?") raw_tp
 * program, which is loaded only when asked for, NO_BTF_ID a tp_btf program on a
 * tracepoint the kernel's BTF lacks (libbpf fails its load before the verifier). What works must run; what cannot must be
 * named with why, and the run must fail only when nothing is left to run or a ring is
 * left without a writer. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

struct event {
	__u32 nr;	/* the system call's number */
};

const volatile __u32 targ_tgid = 0;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 * 1024);
} events SEC(".maps");

#ifdef OTHER_RING
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} other SEC(".maps");
#define MISSING_RING other
#else
#define MISSING_RING events
#endif

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} starts SEC(".maps");

/* Reserves a record in ring, fills it with nr, submits it: targ_tgid's calls only. */
static int emit(void *ring, __u32 nr)
{
	struct event *e;

	if (bpf_get_current_pid_tgid() >> 32 != targ_tgid)
		return 0;
	e = bpf_ringbuf_reserve(ring, sizeof(*e), 0);
	if (!e)
		return 0;
	e->nr = nr;
	bpf_ringbuf_submit(e, 0);
	return 0;
}

#ifndef NO_GOOD
SEC("tracepoint/syscalls/sys_enter_getppid")
int on_getppid(void *ctx)
{
	return emit(&events, 110);
}
#endif

#ifdef MISSING
SEC("tracepoint/syscalls/sys_enter_no_such_call")
int on_missing(void *ctx)
{
	return emit(&MISSING_RING, 0);
}
#endif

#ifdef REJECTED
SEC("tracepoint/syscalls/sys_enter_getpid")
int unchecked_lookup(void *ctx)
{
	__u32 key = 0;
	__u64 *start = bpf_map_lookup_elem(&starts, &key);

	/* No NULL check: the verifier refuses the read below. */
	return *start > 0 ? emit(&events, 39) : 0;
}
#endif

#ifdef NO_BTF_ID
SEC("tp_btf/no_such_tracepoint")
int BPF_PROG(on_no_btf_id)
{
	return emit(&events, 0);
}
#endif

#ifdef OPTIONAL
/* getppid's calls again, as nr + 1000. */
SEC("?raw_tp/sys_enter")
int optional_raw_tp(struct bpf_raw_tracepoint_args *ctx)
{
	return ctx->args[1] == 110 ? emit(&events, 1110) : 0;
}
#endif

char LICENSE[] SEC("license") = "GPL";
