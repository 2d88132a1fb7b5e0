// SPDX-License-Identifier: GPL-2.0
/* System calls of one process, written the way libbpf-tools write their programs: a
 * `const volatile` target pid and cgroup filter set before load, plain writable globals as filters
 * (.data and .bss) that user space may change while it runs, a hash map of counts keyed
 * by a struct, a per-CPU total, and a ring of records whose type lives in counts.h and
 * is used only as a local. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "counts.h"

const volatile pid_t targ_pid = 0;	/* 0: every process */
const volatile bool filter_cg = false;	/* only tasks in the cgroup of cgroup_map */
int watch_nr = -1;			/* .data: the system call that goes to the ring */
__u64 sent = 0;				/* .bss: records put in the ring */
__u64 dropped = 0;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, struct count_key);
	__type(value, u64);
} counts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, u64);
} calls SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_CGROUP_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, u32);
} cgroup_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 * 1024);
} events SEC(".maps");

SEC("tp/raw_syscalls/sys_enter")
int count_syscall(struct trace_event_raw_sys_enter *ctx)
{
	u32 pid = bpf_get_current_pid_tgid() >> 32, zero = 0;
	struct count_key key = { .pid = pid, .nr = (u32)ctx->id };
	u64 one = 1, *n, *total;
	struct event *e;

	if (targ_pid && pid != targ_pid)
		return 0;
	if (filter_cg && !bpf_current_task_under_cgroup(&cgroup_map, 0))
		return 0;
	/* Count it: in the hash by (pid, nr), and in this CPU's total. */
	n = bpf_map_lookup_elem(&counts, &key);
	if (n)
		__sync_fetch_and_add(n, 1);
	else
		bpf_map_update_elem(&counts, &key, &one, BPF_NOEXIST);
	total = bpf_map_lookup_elem(&calls, &zero);
	if (total)
		*total += 1;
	if (ctx->id != watch_nr)
		return 0;
	/* Reserve a record, fill it, submit it. */
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		__sync_fetch_and_add(&dropped, 1);
		return 0;
	}
	e->pid = pid;
	e->nr = key.nr;
	e->watched = true;
	e->parity = sent & 1;
	e->low_bits = sent & 7;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	bpf_ringbuf_submit(e, 0);
	__sync_fetch_and_add(&sent, 1);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
