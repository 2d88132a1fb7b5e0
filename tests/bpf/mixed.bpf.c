// SPDX-License-Identifier: GPL-2.0
/* Both kinds of output map in one object: getppid calls to a perf buffer, getpid calls
 * to a ring buffer, each record type named after its map (struct <map>_event). */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

const volatile pid_t targ_pid = 0;

struct samples_event {
	__u32 pid;
	__u32 kind;
};

struct calls_event {
	__u32 pid;
	__u32 kind;
	__u64 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(u32));
	__uint(value_size, sizeof(u32));
} samples SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 * 1024);
} calls SEC(".maps");

static __always_inline bool traced(void)
{
	return !targ_pid || (bpf_get_current_pid_tgid() >> 32) == targ_pid;
}

SEC("tracepoint/syscalls/sys_enter_getppid")
int perf_getppid(void *ctx)
{
	struct samples_event e = { .pid = bpf_get_current_pid_tgid() >> 32, .kind = 110 };

	if (traced())
		bpf_perf_event_output(ctx, &samples, BPF_F_CURRENT_CPU, &e, sizeof(e));
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_getpid")
int ring_getpid(void *ctx)
{
	struct calls_event *e;

	if (!traced())
		return 0;
	e = bpf_ringbuf_reserve(&calls, sizeof(*e), 0);
	if (!e)
		return 0;
	e->pid = bpf_get_current_pid_tgid() >> 32;
	e->kind = 39;
	e->pad = 0;
	bpf_ringbuf_submit(e, 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
