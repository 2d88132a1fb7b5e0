/* What every built-in source shares: its ring, its filters, the lost-event count, and
 * the stacks a record may carry. Included by exactly one .bpf.c per object. */
#ifndef RINGLUA_SOURCE_BPF_H
#define RINGLUA_SOURCE_BPF_H

#include <bpf/bpf_tracing.h>
#include "stacks.h"
#include "fill_wake.h"

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

/* Whether records carry the time they were made (ts_ns). Reading the clock is a large
 * part of a small record's cost (on x86 the clocksource is read through an indirect
 * call, a retpoline under Spectre mitigations): a script that never reads ts_ns turns it
 * off (`timestamps = false`, --no-timestamps), and ts_ns is 0; nothing else here reads
 * the clock. Sources whose own fields need it (exit's lifetime, syscall_exit's latency)
 * stamp their records anyway. */
const volatile bool timestamps = true;

static __always_inline bool kagg_stamps(void); /* kagg.bpf.h */

/* The time to stamp a record with: now (CLOCK_MONOTONIC, bpf_ktime_get_ns), or 0 with
 * timestamps off, or while only kernel aggregations that do not read it take records. */
static __always_inline __u64 event_time(void)
{
	return timestamps && kagg_stamps() ? bpf_ktime_get_ns() : 0;
}

/* Lost-event convention: incremented whenever bpf_ringbuf_reserve fails (ring full). */
__u64 dropped = 0;

/* Puts a source's record type into the object's BTF, where ringlua generates its
 * decoders from: clang emits a struct into BTF only when something global refers to it. */
#define RECORD_TYPE(type, name) type *record_type_##name __attribute__((unused))

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096); /* RL_SOURCE_RING_SIZE (sources.h), set before load */
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

/* Fills the header the probes' records share (struct tp_header's fields, which
 * uprobe_event and usdt_event start with too): the time, which probe, the current
 * task's process, thread, parent, user, CPU and name. */
#define RECORD_TASK_HEADER(e, probe_index, pid_tgid, task)                            \
	do {                                                                          \
		(e)->ts_ns = event_time();                                            \
		(e)->probe = (probe_index);                                           \
		(e)->pid = (pid_tgid) >> 32;                                          \
		(e)->tid = (__u32)(pid_tgid);                                         \
		(e)->ppid = (task)->real_parent->tgid;                                \
		(e)->uid = (__u32)bpf_get_current_uid_gid();                          \
		(e)->cpu = bpf_get_smp_processor_id();                                \
		RECORD_COMM((e)->comm);                                               \
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

/* Bytes of user stack a record copies with RL_STACK_DWARF: a multiple of RL_USTACK_PIECE
 * up to RL_USTACK_BYTES_MAX (--stack-bytes), set before load. */
const volatile __u32 ustack_bytes = RL_USTACK_BYTES_DEFAULT;

/* Copies the top of the user stack, from sp up, into u->data: ustack_bytes, or what can
 * be read before the first address that cannot (the stack's end, above its top frame).
 * A read that fails writes nothing useful, so the copy goes in chunks, and the chunk
 * that failed again in pieces. */
static __always_inline void copy_ustack(struct rl_ustack *u, __u64 sp)
{
	__u32 n = 0;

	for (int i = 0; i < RL_USTACK_BYTES_MAX / RL_USTACK_CHUNK; i++) {
		if (n + RL_USTACK_CHUNK > ustack_bytes ||
		    bpf_probe_read_user(u->data + n, RL_USTACK_CHUNK, (void *)(sp + n)))
			break;
		n += RL_USTACK_CHUNK;
	}
	for (int i = 0; i < RL_USTACK_CHUNK / RL_USTACK_PIECE; i++) {
		if (n + RL_USTACK_PIECE > ustack_bytes ||
		    bpf_probe_read_user(u->data + n, RL_USTACK_PIECE, (void *)(sp + n)))
			break;
		n += RL_USTACK_PIECE;
	}
	u->size = n;
}

/* Fills u with the current task's user registers and the top of its stack, for the
 * unwinder (RL_STACK_DWARF). The registers are the task's saved user registers
 * (task_pt_regs): what a tracepoint or uprobe interrupted, and for a perf event sample
 * the same registers a sample taken in user mode carries, or for one taken in the kernel
 * those of the user code that entered it. Returns the bytes filled, or 0 for a task
 * without user space (a kernel thread). */
static __always_inline __u32 capture_ustack(struct rl_ustack *u)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct pt_regs *regs;
	__u64 pid_tgid = bpf_get_current_pid_tgid();

#if defined(__TARGET_ARCH_x86)
	if (!task->mm)
		return 0;
	regs = (struct pt_regs *)bpf_task_pt_regs(task);
	if (!regs || (regs->cs & 3) != 3)
		return 0;
	u->pid = pid_tgid >> 32;
	u->tid = (__u32)pid_tgid;
	u->want = ustack_bytes;
	u->regs[0] = regs->ax;
	u->regs[1] = regs->dx;
	u->regs[2] = regs->cx;
	u->regs[3] = regs->bx;
	u->regs[4] = regs->si;
	u->regs[5] = regs->di;
	u->regs[6] = regs->bp;
	u->regs[RL_USTACK_REG_SP] = regs->sp;
	u->regs[8] = regs->r8;
	u->regs[9] = regs->r9;
	u->regs[10] = regs->r10;
	u->regs[11] = regs->r11;
	u->regs[12] = regs->r12;
	u->regs[13] = regs->r13;
	u->regs[14] = regs->r14;
	u->regs[15] = regs->r15;
	u->regs[RL_USTACK_REG_IP] = regs->ip;
	copy_ustack(u, regs->sp);
	return sizeof(*u) + u->size;
#else
	/* The registers are x86_64's (RL_USTACK_REGS): elsewhere no user stack is copied. */
	(void)task, (void)regs, (void)pid_tgid;
	return 0;
#endif
}

/* Captures the stacks stack_mode asks for into s, which has RL_STACKS_BYTES of room, and
 * returns the bytes it filled (the trailer's header, its frames, and a copied user
 * stack). ctx is the program's context. Shared by every program that carries stacks. */
static __always_inline __u32 capture_stacks(void *ctx, struct rl_stacks *s)
{
	const long max = RL_STACK_MAX * sizeof(__u64);
	long k = 0, u = 0;

	s->flags = 0;
	if (stack_mode & RL_STACK_KERNEL) {
		k = bpf_get_stack(ctx, s->ip, max, 0);
		if (k < 0 || k > max)
			k = 0;
	}
	if ((stack_mode & RL_STACK_USER) && (stack_mode & RL_STACK_DWARF)) {
		u = capture_ustack((struct rl_ustack *)((__u8 *)s->ip + k));
		if (u)
			s->flags = RL_STACKS_USTACK;
		s->nr_kernel = k / sizeof(__u64);
		s->nr_user = 0;
		return sizeof(*s) + k + u;
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

/* Wakeups. The consumer drains on its own timer within its latency bound while records
 * come, so a record needs no wakeup of its own (each costs the traced task an irq_work,
 * often an IPI, and the consumer a trip through epoll): with wake_on_sleep, records are
 * committed with BPF_RB_NO_WAKEUP, and the consumer is woken only
 * - when it said it sleeps: before it sleeps for good (it keeps polling on its timer for
 *   a while after its last drain that found records) it sets consumer_asleep, issues a
 *   full fence and looks at the rings once more; a producer reads the word after its
 *   commit (a full barrier), so one of the two sees the other, and the first producer
 *   to see the word clears it and wakes the consumer; and
 * - when a record finds the ring past 1/WAKEUP_FILL_SHARE full, where the consumer stops
 *   waiting for its window (ring.c's NO_WAIT_FILL_SHARE), so a burst cannot fill it: the
 *   first such record since the consumer last moved (fill_wake.h).
 * No clock is read. ringlua sets wake_on_sleep and ring_bytes before load; off (--latency
 * 0) keeps the kernel's rule: wake a consumer that has caught up. */
#define WAKEUP_FILL_SHARE 8
const volatile bool wake_on_sleep = false;
const volatile __u64 ring_bytes = 0; /* each ring's size */
__u32 consumer_asleep = 0; /* set by the consumer, cleared by the producer that wakes it */
/* The marks of the fill wakeups (fill_wake.h): the one ring's, which every CPU's
 * producers race for, and with per-CPU rings each CPU's own ring's. */
__u64 fill_woken = 0;
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} cpu_fill_woken SEC(".maps");

/* Whether a record committed to ring, which then holds pending bytes, wakes the consumer
 * as the ring fills. */
static __always_inline bool fill_wake(void *ring, __u64 pending)
{
	__u64 cons, *mark = &fill_woken;
	__u32 zero = 0;

	if (pending < ring_bytes / WAKEUP_FILL_SHARE)
		return false;
	if (per_cpu_rings) {
		mark = bpf_map_lookup_elem(&cpu_fill_woken, &zero);
		if (!mark)
			return false;
	}
	cons = bpf_ringbuf_query(ring, BPF_RB_CONS_POS);
	return rl_fill_wake(pending, ring_bytes / WAKEUP_FILL_SHARE, cons, mark, !per_cpu_rings);
}

/* The flags to commit a record of size payload bytes to ring with; reserved: whether it
 * already holds its place in the ring (bpf_ringbuf_reserve), or is yet to be copied in
 * (bpf_ringbuf_output). */
static __always_inline __u64 commit_flags(void *ring, __u64 size, bool reserved)
{
	__u64 bytes = (size + BPF_RINGBUF_HDR_SZ + 7) & ~7ULL, pending;

	if (!wake_on_sleep)
		return 0;
	pending = bpf_ringbuf_query(ring, BPF_RB_AVAIL_DATA) + (reserved ? 0 : bytes);
	return fill_wake(ring, pending) ? BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP;
}

/* After a commit to ring: wakes the consumer if it said it sleeps, with a discarded
 * record (the consumer skips it) committed with BPF_RB_FORCE_WAKEUP. Two producers may
 * both wake it: harmless. When even that record finds no room, the word is set again
 * for the next producer. */
static __always_inline void wake_sleeper(void *ring)
{
	void *nudge;

	if (!wake_on_sleep || !consumer_asleep)
		return;
	consumer_asleep = 0;
	nudge = bpf_ringbuf_reserve(ring, 8, 0);
	if (!nudge) {
		consumer_asleep = 1;
		return;
	}
	bpf_ringbuf_discard(nudge, BPF_RB_FORCE_WAKEUP);
}

/* Copies size bytes at data into the ring as one record; a full ring counts a drop.
 * For records whose size is known only at run time. */
static __always_inline void output_event(const void *data, __u64 size)
{
	void *ring = event_ring();

	if (!ring || bpf_ringbuf_output(ring, (void *)data, size,
					commit_flags(ring, size, false)))
		__sync_fetch_and_add(&dropped, 1);
	else
		wake_sleeper(ring);
}

/* Submits the record e of reserve_event(size): at once, or with its stacks captured
 * (ctx: the program's context) and copied to the ring at its exact length. */
static __always_inline void submit_event(void *ctx, void *e, __u64 size)
{
	void *ring;
	__u32 len;

	/* With kernel aggregations e is in the scratch buffer: it goes to them, then to the
	 * ring (copied, with its stacks if any) only while the script takes records. */
	if (kagg_on && !kagg_record(e, KAGG_ANY_PROBE))
		return;
	if (kagg_on && !stack_mode) {
		output_event(e, size);
		return;
	}
	if (!stack_mode) {
		/* The ring e was reserved in: this CPU's, with per-CPU rings. */
		ring = event_ring();
		bpf_ringbuf_submit(e, ring ? commit_flags(ring, size, true) : 0);
		if (ring)
			wake_sleeper(ring);
		return;
	}
	len = size + capture_stacks(ctx, (struct rl_stacks *)((__u8 *)e + size));
	if (len > EVENT_MAX + RL_STACKS_BYTES)
		return;
	output_event(e, len);
}

char LICENSE[] SEC("license") = "GPL";

#endif
