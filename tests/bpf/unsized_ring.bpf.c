// SPDX-License-Identifier: GPL-2.0
/* A ring declared without max_entries, as tools whose front end sizes it declare theirs:
 * --ring-bytes gives it a size. Each getppid call of the target writes its pid; the hash
 * map counts them. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

const volatile pid_t targ_tgid = 0;	/* 0: every process */

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
} rb SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 64);
} counts SEC(".maps");

SEC("tracepoint/syscalls/sys_enter_getppid")
int on_getppid(void *ctx)
{
	__u32 key = bpf_get_current_pid_tgid() >> 32;
	__u64 one = 1, *n = bpf_map_lookup_elem(&counts, &key);
	__u64 *e;

	if (targ_tgid && key != targ_tgid)
		return 0;
	if (n)
		__sync_fetch_and_add(n, 1);
	else
		bpf_map_update_elem(&counts, &key, &one, BPF_ANY);
	e = bpf_ringbuf_reserve(&rb, sizeof(*e), 0);
	if (e) {
		*e = key;
		bpf_ringbuf_submit(e, 0);
	}
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
