// SPDX-License-Identifier: GPL-2.0
/* A stack-trace map declared without a value size, as tools whose front end sets it
 * declare theirs: ringlua gives it its own stack depth. Each getppid call of the target
 * stores its kernel stack in the map and records the stack's id: the same path, the
 * same id. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#define NR_GETPPID 110

const volatile pid_t targ_tgid = 0;

struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(key_size, sizeof(__u32));
	__uint(max_entries, 1024);
} stackmap SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 16);
} rb SEC(".maps");

struct event {
	__s64 stack_id;	/* -errno when the stack was not stored */
};

SEC("tracepoint/raw_syscalls/sys_enter")
int on_enter(struct trace_event_raw_sys_enter *ctx)
{
	struct event *e;

	if (ctx->id != NR_GETPPID || (bpf_get_current_pid_tgid() >> 32) != targ_tgid)
		return 0;
	e = bpf_ringbuf_reserve(&rb, sizeof(*e), 0);
	if (!e)
		return 0;
	/* The kernel stack goes into the map, its id into the record. */
	e->stack_id = bpf_get_stackid(ctx, &stackmap, 0);
	bpf_ringbuf_submit(e, 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
