// SPDX-License-Identifier: GPL-2.0
/* Opens, filtered as opensnoop, drsnoop and runqslower filter: `targ_tgid` is the
 * process (what their -p sets), `targ_pid` one of its threads (their -t). The record
 * has the name of ringlua's own `open` source record, which a user's object may use. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

const volatile pid_t targ_tgid = 0;	/* 0: every process */
const volatile pid_t targ_pid = 0;	/* 0: every thread */

struct open_event {
	__u32 tgid;
	__u32 tid;
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 16);
} events SEC(".maps");

SEC("tracepoint/syscalls/sys_enter_openat")
int on_openat(void *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct open_event *e;

	if (targ_tgid && (__u32)(id >> 32) != (__u32)targ_tgid)
		return 0;
	if (targ_pid && (__u32)id != (__u32)targ_pid)
		return 0;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e)
		return 0;
	e->tgid = id >> 32;
	e->tid = (__u32)id;
	bpf_ringbuf_submit(e, 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
