// SPDX-License-Identifier: GPL-2.0
/* A ring declared without max_entries, as tools whose front end sizes it declare theirs:
 * --ring-bytes gives it a size. Each getppid call of the target writes the target's pid
 * and the call's number. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

const volatile pid_t targ_tgid = 0;	/* 0: every process */
__u64 calls = 0;			/* .bss: records written */

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
} rb SEC(".maps");

struct event {
	__u32 pid;
	__u32 pad;
	__u64 nr;	/* 0 for the first call */
};

SEC("tracepoint/syscalls/sys_enter_getppid")
int on_getppid(void *ctx)
{
	__u32 pid = bpf_get_current_pid_tgid() >> 32;
	struct event *e;

	if (targ_tgid && pid != targ_tgid)
		return 0;
	/* Reserve a record, fill it, submit it. */
	e = bpf_ringbuf_reserve(&rb, sizeof(*e), 0);
	if (!e)
		return 0;
	e->pid = pid;
	e->pad = 0;
	e->nr = __sync_fetch_and_add(&calls, 1);
	bpf_ringbuf_submit(e, 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
