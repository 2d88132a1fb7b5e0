/* What every built-in source shares: its ring, its filters, the lost-event count, and
 * the stacks a record may carry. Included by exactly one .bpf.c per object. */
#ifndef RINGLUA_SOURCE_BPF_H
#define RINGLUA_SOURCE_BPF_H

#include <bpf/bpf_tracing.h>
#include "stacks.h"

#define ANY_UID ((__u32)-1) /* not a uid a task can have: (uid_t)-1 means "unchanged" */
#define FILTER_COMM_LEN 16

/* Filters, set by ringlua before load. */
const volatile __u32 targ_tgid = 0; /* trace only this process; 0 traces all */
const volatile __u32 self_tgid = 0; /* ringlua itself: never traced, or it would feed on itself */
const volatile __u32 targ_uid = ANY_UID; /* trace only this (real) uid; ANY_UID traces all */
const volatile char targ_comm[FILTER_COMM_LEN] = {}; /* only tasks so named; "" traces all */
const volatile __u64 targ_cgroup = 0; /* only tasks in this cgroup (v2 id); 0 traces all */
const volatile bool follow = false; /* also trace the processes targ_tgid starts, and theirs */
/* Stacks each record carries after its struct: RL_STACK_KERNEL | RL_STACK_USER; 0: none,
 * and the records go straight into the ring as before. */
const volatile __u32 stack_mode = 0;

/* Lost-event convention: incremented whenever bpf_ringbuf_reserve fails (ring full). */
__u64 dropped = 0;

/* Puts a source's record type into the object's BTF, where ringlua generates its
 * decoders from: clang emits a struct into BTF only when something global refers to it. */
#define RECORD_TYPE(type, name) type *record_type_##name __attribute__((unused))

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 << 20);
} events SEC(".maps");

/* With `follow`: the descendants of targ_tgid, added when they are forked and removed
 * when they exit, by the two programs below (loaded only with `follow`). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, __u8);
} followed SEC(".maps");

/* Whether process tgid passes the pid filters. */
static __always_inline bool pid_traced(__u32 tgid)
{
	if (tgid == self_tgid)
		return false;
	if (!targ_tgid || tgid == targ_tgid)
		return true;
	return follow && bpf_map_lookup_elem(&followed, &tgid);
}

/* A new process (not a thread) of a traced parent is traced from its first instruction:
 * the fork tracepoint fires before the child first runs. */
SEC("?tp_btf/sched_process_fork")
int BPF_PROG(rl_follow_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 parent_tgid = parent->tgid, child_tgid = child->tgid;
	__u8 yes = 1;

	if (child->pid != child_tgid)
		return 0;
	if (parent_tgid == targ_tgid || bpf_map_lookup_elem(&followed, &parent_tgid))
		bpf_map_update_elem(&followed, &child_tgid, &yes, BPF_ANY);
	return 0;
}

/* A followed process is forgotten when its main thread exits: its pid may be reused. */
SEC("?tp_btf/sched_process_exit")
int BPF_PROG(rl_follow_exit, struct task_struct *task)
{
	__u32 tgid = task->tgid;

	if (task->pid == tgid)
		bpf_map_delete_elem(&followed, &tgid);
	return 0;
}

/* Whether the current task passes the uid, cgroup and comm filters. Unset filters are constants
 * the verifier sees, so their checks cost nothing. */
static __always_inline bool task_traced(void)
{
	char comm[FILTER_COMM_LEN];

	if (targ_uid != ANY_UID && (__u32)bpf_get_current_uid_gid() != targ_uid)
		return false;
	if (targ_cgroup && bpf_get_current_cgroup_id() != targ_cgroup)
		return false;
	if (!targ_comm[0])
		return true;
	bpf_get_current_comm(comm, sizeof(comm));
	for (int i = 0; i < FILTER_COMM_LEN; i++) {
		if (comm[i] != targ_comm[i])
			return false;
		if (!comm[i])
			break;
	}
	return true;
}

/* Whether to trace the current task, whose process is tgid: every filter. */
static __always_inline bool traced(__u32 tgid)
{
	return pid_traced(tgid) && task_traced();
}

/* Largest event struct a source may have when it carries stacks. */
#define EVENT_MAX 1024

/* With stacks, a record is built here and copied to the ring at its exact size: a ring
 * reservation takes a size fixed at load, and stacks vary in length. */
struct stack_scratch {
	__u8 bytes[EVENT_MAX + RL_STACKS_BYTES];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct stack_scratch);
} stack_scratch SEC(".maps");

/* Captures the stacks stack_mode asks for into s, which has RL_STACKS_BYTES of room, and
 * returns the bytes it filled (the trailer's header and its frames). ctx is the
 * program's context. Shared by every program that carries stacks. */
static __always_inline __u32 capture_stacks(void *ctx, struct rl_stacks *s)
{
	const long max = RL_STACK_MAX * sizeof(__u64);
	long k = 0, u = 0;

	if (stack_mode & RL_STACK_KERNEL) {
		k = bpf_get_stack(ctx, s->ip, max, 0);
		if (k < 0 || k > max)
			k = 0;
	}
	if (stack_mode & RL_STACK_USER) {
		u = bpf_get_stack(ctx, (__u8 *)s->ip + k, max, BPF_F_USER_STACK);
		if (u < 0 || u > max)
			u = 0;
	}
	s->nr_kernel = k / sizeof(__u64);
	s->nr_user = u / sizeof(__u64);
	return sizeof(*s) + k + u;
}

#include "kagg.bpf.h"

/* Room for a record of size bytes (a constant): in the ring, or with stacks (or kernel
 * aggregations) in the scratch buffer. NULL when the ring is full (a drop counted). Hand it to submit_event. */
static __always_inline void *reserve_event(__u64 size)
{
	__u32 zero = 0;
	void *e;

	if (stack_mode || kagg_on) {
		if (size > EVENT_MAX)
			return NULL;
		return bpf_map_lookup_elem(&stack_scratch, &zero);
	}
	e = bpf_ringbuf_reserve(&events, size, 0);
	if (!e)
		__sync_fetch_and_add(&dropped, 1);
	return e;
}

/* Submits the record e of reserve_event(size): at once, or with its stacks captured
 * (ctx: the program's context) and copied to the ring at its exact length. */
static __always_inline void submit_event(void *ctx, void *e, __u64 size)
{
	__u32 len;

	if (kagg_on && kagg_took(e, size))
		return;
	if (!stack_mode) {
		bpf_ringbuf_submit(e, 0);
		return;
	}
	len = size + capture_stacks(ctx, (struct rl_stacks *)((__u8 *)e + size));
	if (len > EVENT_MAX + RL_STACKS_BYTES)
		return;
	if (bpf_ringbuf_output(&events, e, len, 0))
		__sync_fetch_and_add(&dropped, 1);
}

char LICENSE[] SEC("license") = "GPL";

#endif
