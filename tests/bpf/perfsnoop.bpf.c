// SPDX-License-Identifier: GPL-2.0
/* getppid calls of one process, written the way older libbpf-tools programs are: a
 * `const volatile` target pid set before load, the record built as a local and sent
 * with bpf_perf_event_output to this CPU's perf buffer. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "perfsnoop.h"

#define NR_GETPPID 110

const volatile pid_t targ_pid = 0;	/* 0: every process */
__u64 sent = 0;				/* .bss: samples output */

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(u32));
	__uint(value_size, sizeof(u32));
} events SEC(".maps");

SEC("tracepoint/syscalls/sys_enter_getppid")
int trace_getppid(struct trace_event_raw_sys_enter *ctx)
{
	u64 id = bpf_get_current_pid_tgid();
	u32 pid = id >> 32;
	struct event e = {};

	if (targ_pid && pid != targ_pid)
		return 0;
	/* Fill the record on the stack, then copy it out to this CPU's buffer. */
	e.pid = pid;
	e.tid = (u32)id;
	e.seq = __sync_fetch_and_add(&sent, 1);
	e.arg = -(s64)e.seq;
	e.flags = 0xa5;
	bpf_get_current_comm(e.comm, sizeof(e.comm));
	bpf_perf_event_output(ctx, &events, BPF_F_CURRENT_CPU, &e, sizeof(e));
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
