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
/* Only tasks so named, zero-padded; "" traces all. Aligned: it is compared as two words. */
const volatile char targ_comm[FILTER_COMM_LEN] __attribute__((aligned(8))) = {};
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

/* Per-CPU rings (--per-cpu-rings): set before load, with cpu_rings filled by ringlua
 * with one ring per possible CPU (ringlua sizes the template and the rings alike, and
 * shrinks `events` to a page: it is then unused). Off, the choice below is a constant
 * the verifier folds away, and the one ring costs what it cost before. */
const volatile bool per_cpu_rings = false;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 1);	/* the possible CPUs, set before load */
	__type(key, __u32);
	__array(values, struct {
		__uint(type, BPF_MAP_TYPE_RINGBUF);
		__uint(max_entries, 4096);	/* the size of each CPU's ring, set before load */
	});
} cpu_rings SEC(".maps");

/* The ring this CPU's records go to: `events`, or with per_cpu_rings the CPU's own, so
 * that CPUs do not contend for one ring's lock. NULL only if ringlua left a CPU without
 * a ring (a drop, counted by the caller). */
static __always_inline void *event_ring(void)
{
	__u32 cpu;

	if (!per_cpu_rings)
		return &events;
	cpu = bpf_get_smp_processor_id();
	return bpf_map_lookup_elem(&cpu_rings, &cpu);
}

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

/* The current task's name, copied to dst (FILTER_COMM_LEN bytes) straight from its
 * task_struct: two word loads, where bpf_get_current_comm is a helper call that copies
 * byte by byte. The kernel pads the name with zeros (strscpy_pad), as the helper does. */
static __always_inline void current_comm(char *dst)
{
	const __u64 *name = (const __u64 *)bpf_get_current_task_btf()->comm;

	((__u64 *)dst)[0] = name[0];
	((__u64 *)dst)[1] = name[1];
}

/* Fills the char array field with the current task's name: current_comm, for a field
 * of exactly its size. */
#define RECORD_COMM(field)                                                            \
	do {                                                                          \
		_Static_assert(sizeof(field) == FILTER_COMM_LEN, "a task name field"); \
		current_comm(field);                                                  \
	} while (0)

/* Whether the current task passes the uid, cgroup and comm filters. Unset filters are
 * constants the verifier sees, so their checks cost nothing. Names compare as two words:
 * both are zero-padded. */
static __always_inline bool task_traced(void)
{
	const volatile __u64 *want = (const volatile __u64 *)targ_comm;
	const __u64 *name;

	if (targ_uid != ANY_UID && (__u32)bpf_get_current_uid_gid() != targ_uid)
		return false;
	if (targ_cgroup && bpf_get_current_cgroup_id() != targ_cgroup)
		return false;
	if (!targ_comm[0])
		return true;
	name = (const __u64 *)bpf_get_current_task_btf()->comm;
	return name[0] == want[0] && name[1] == want[1];
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
	void *e, *ring;

	if (stack_mode || kagg_on) {
		if (size > EVENT_MAX)
			return NULL;
		return bpf_map_lookup_elem(&stack_scratch, &zero);
	}
	ring = event_ring();
	e = ring ? bpf_ringbuf_reserve(ring, size, 0) : NULL;
	if (!e)
		__sync_fetch_and_add(&dropped, 1);
	return e;
}

/* Wakeup budget. The consumer drains on its own timer within its latency bound while
 * records come, so a record needs no wakeup of its own (each costs the traced task an
 * irq_work, often an IPI, and the consumer a trip through epoll): records are committed
 * with BPF_RB_NO_WAKEUP, and a wakeup is forced only
 * - when none was forced for wakeup_interval_ns: a consumer keeps polling on its timer
 *   until that long (and a bound) after its last drain that found records, so the first
 *   record after a quiet spell wakes it, and it sleeps for good only when nothing comes
 *   (ring.h: rl_wakeup_interval_ns, several bounds); and
 * - when a record takes the ring past 1/WAKEUP_FILL_SHARE full, where the consumer stops
 *   waiting for its window (ring.c's NO_WAIT_FILL_SHARE), so a burst cannot fill it.
 * ringlua sets wakeup_interval_ns from --latency before load; 0 keeps the kernel's rule
 * (wake when the consumer has caught up), which --latency 0 wants. */
#define WAKEUP_FILL_SHARE 8
const volatile __u64 wakeup_interval_ns = 0;
__u64 last_wakeup_ns = 0; /* when a wakeup was last forced, by any CPU */

/* The flags to commit a record of size payload bytes to ring with, stamped now;
 * reserved: whether the record already holds its place in the ring (bpf_ringbuf_reserve),
 * or is yet to be copied in (bpf_ringbuf_output). */
static __always_inline __u64 wakeup_flags(void *ring, __u64 now, __u64 size, bool reserved)
{
	__u64 bytes = (size + BPF_RINGBUF_HDR_SZ + 7) & ~7ULL;
	__u64 fill, pending;
	bool crossed;

	if (!wakeup_interval_ns)
		return 0;
	fill = bpf_ringbuf_query(ring, BPF_RB_RING_SIZE) / WAKEUP_FILL_SHARE;
	pending = bpf_ringbuf_query(ring, BPF_RB_AVAIL_DATA) + (reserved ? 0 : bytes);
	crossed = pending >= fill && pending - bytes < fill;
	/* Signed: another CPU may have stamped a later time than ours. */
	if (!crossed && (__s64)(now - last_wakeup_ns) < (__s64)wakeup_interval_ns)
		return BPF_RB_NO_WAKEUP;
	last_wakeup_ns = now;
	return BPF_RB_FORCE_WAKEUP;
}

/* Copies size bytes at data into the ring as one record stamped now, on the wakeup
 * budget; a full ring counts a drop. For records whose size is known only at run time. */
static __always_inline void output_event(const void *data, __u64 size, __u64 now)
{
	void *ring = event_ring();

	if (!ring || bpf_ringbuf_output(ring, (void *)data, size,
					wakeup_flags(ring, now, size, false)))
		__sync_fetch_and_add(&dropped, 1);
}

/* Submits the record e of reserve_event(size), stamped now (its ts_ns), on the wakeup
 * budget: at once, or with its stacks captured (ctx: the program's context) and copied
 * to the ring at its exact length. */
static __always_inline void submit_event(void *ctx, void *e, __u64 size, __u64 now)
{
	__u32 len;

	/* With kernel aggregations e is in the scratch buffer: it goes to them, then to the
	 * ring (copied, with its stacks if any) only while the script takes records. */
	if (kagg_on && !kagg_record(e, KAGG_ANY_PROBE))
		return;
	if (kagg_on && !stack_mode) {
		output_event(e, size, now);
		return;
	}
	if (!stack_mode) {
		/* The budget reads the ring e was reserved in: this CPU's, with per-CPU rings. */
		void *ring = event_ring();

		bpf_ringbuf_submit(e, ring ? wakeup_flags(ring, now, size, true) : 0);
		return;
	}
	len = size + capture_stacks(ctx, (struct rl_stacks *)((__u8 *)e + size));
	if (len > EVENT_MAX + RL_STACKS_BYTES)
		return;
	output_event(e, len, now);
}

char LICENSE[] SEC("license") = "GPL";

#endif
