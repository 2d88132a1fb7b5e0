// SPDX-License-Identifier: GPL-2.0
/* One program, two ways out: each getppid call of the target sends the same 48-byte
 * record to a perf buffer (bpf_perf_event_output) or, with use_ring, to a ring buffer,
 * so that bench/perfbuf.sh compares the two paths and nothing else. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

const volatile pid_t targ_pid = 0;
const volatile bool use_ring = false;

struct event {
	__u32 pid;
	__u32 tid;
	__u64 seq;
	__s64 arg;
	__u8 flags;
	char comm[16];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(u32));
	__uint(value_size, sizeof(u32));
} perf_events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} ring_events SEC(".maps");

__u64 seq = 0;
__u64 dropped = 0;	/* records that found no room: the summary's count */

SEC("tracepoint/syscalls/sys_enter_getppid")
int send_getppid(void *ctx)
{
	u64 id = bpf_get_current_pid_tgid();
	struct event e = { .pid = id >> 32, .tid = (u32)id, .flags = 1 };

	if (targ_pid && e.pid != targ_pid)
		return 0;
	e.seq = seq++;
	bpf_get_current_comm(e.comm, sizeof(e.comm));
	/* A perf buffer's losses libbpf also reports, and ringlua adds those in: a perf
	 * buffer's are counted there only. */
	if (use_ring) {
		if (bpf_ringbuf_output(&ring_events, &e, sizeof(e), 0))
			__sync_fetch_and_add(&dropped, 1);
	} else {
		bpf_perf_event_output(ctx, &perf_events, BPF_F_CURRENT_CPU, &e, sizeof(e));
	}
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
