// SPDX-License-Identifier: GPL-2.0
/* A ring too small for a burst: each getppid call of the target reserves BURST records
 * of 1 KiB, holding them all before it submits any, so no consumer can make room between
 * them: the 4 KiB ring takes three (each has an 8-byte header), and --ring-bytes 16384
 * takes all eight. Each record that finds the ring full is counted in `dropped`. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#define NR_GETPPID 110
#define BURST 8

const volatile pid_t targ_tgid = 0;	/* 0: every process */
__u64 sent = 0;				/* .bss: records submitted */
__u64 dropped = 0;			/* .bss: records the full ring refused */

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} rb SEC(".maps");

struct event {
	__u64 seq;
	char pad[1016];
};

SEC("tracepoint/raw_syscalls/sys_enter")
int on_enter(struct trace_event_raw_sys_enter *ctx)
{
	struct event *e[BURST];

	if (ctx->id != NR_GETPPID || (bpf_get_current_pid_tgid() >> 32) != targ_tgid)
		return 0;
	/* Reserve every record of the burst; a full ring refuses one. */
#pragma unroll
	for (int i = 0; i < BURST; i++)
		e[i] = bpf_ringbuf_reserve(&rb, sizeof(struct event), 0);
	/* Fill and submit those it took, count those it refused. */
#pragma unroll
	for (int i = 0; i < BURST; i++) {
		if (!e[i]) {
			__sync_fetch_and_add(&dropped, 1);
			continue;
		}
		e[i]->seq = __sync_fetch_and_add(&sent, 1);
		bpf_ringbuf_submit(e[i], 0);
	}
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
