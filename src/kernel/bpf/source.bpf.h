/* What every built-in source shares: its ring, its filters, and the lost-event count.
 * Included by exactly one .bpf.c per object. */
#ifndef RINGLUA_SOURCE_BPF_H
#define RINGLUA_SOURCE_BPF_H

#define ANY_UID ((__u32)-1) /* not a uid a task can have: (uid_t)-1 means "unchanged" */
#define FILTER_COMM_LEN 16

/* Filters, set by ringlua before load. */
const volatile __u32 targ_tgid = 0; /* trace only this process; 0 traces all */
const volatile __u32 self_tgid = 0; /* ringlua itself: never traced, or it would feed on itself */
const volatile __u32 targ_uid = ANY_UID; /* trace only this (real) uid; ANY_UID traces all */
const volatile char targ_comm[FILTER_COMM_LEN] = {}; /* only tasks so named; "" traces all */
const volatile __u64 targ_cgroup = 0; /* only tasks in this cgroup (v2 id); 0 traces all */

/* Lost-event convention: incremented whenever bpf_ringbuf_reserve fails (ring full). */
__u64 dropped = 0;

/* Puts a source's record type into the object's BTF, where ringlua generates its
 * decoders from: clang emits a struct into BTF only when something global refers to it. */
#define RECORD_TYPE(type, name) type *record_type_##name __attribute__((unused))

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 << 20);
} events SEC(".maps");

/* Whether process tgid passes the pid filters. */
static __always_inline bool pid_traced(__u32 tgid)
{
	return tgid != self_tgid && (!targ_tgid || tgid == targ_tgid);
}

/* Whether the current task passes the uid and cgroup filters. Unset filters are constants
 * the verifier sees, so their checks cost nothing. */
static __always_inline bool owner_traced(void)
{
	if (targ_uid != ANY_UID && (__u32)bpf_get_current_uid_gid() != targ_uid)
		return false;
	return !targ_cgroup || bpf_get_current_cgroup_id() == targ_cgroup;
}

/* Whether a task named comm passes the comm filter (which is set). */
static __always_inline bool comm_traced(const char *comm)
{
	for (int i = 0; i < FILTER_COMM_LEN; i++) {
		if (comm[i] != targ_comm[i])
			return false;
		if (!comm[i])
			break;
	}
	return true;
}

/* Whether the current task passes the uid, cgroup and comm filters. */
static __always_inline bool task_traced(void)
{
	char comm[FILTER_COMM_LEN];

	if (!owner_traced())
		return false;
	if (!targ_comm[0])
		return true;
	bpf_get_current_comm(comm, sizeof(comm));
	return comm_traced(comm);
}

/* Whether to trace the current task, whose process is tgid: every filter. */
static __always_inline bool traced(__u32 tgid)
{
	return pid_traced(tgid) && task_traced();
}

/* traced(tgid), leaving the task's name in comm: for programs that record it, so that the
 * name is read once, not once for the filter and again for the record. */
static __always_inline bool traced_named(__u32 tgid, char comm[FILTER_COMM_LEN])
{
	if (!pid_traced(tgid) || !owner_traced())
		return false;
	bpf_get_current_comm(comm, FILTER_COMM_LEN);
	return !targ_comm[0] || comm_traced(comm);
}

static __always_inline void *reserve_event(__u64 size)
{
	void *e = bpf_ringbuf_reserve(&events, size, 0);

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
 * (wake when the consumer has caught up), which --latency 0 wants. Every source's program
 * commits through the helpers below. */
#define WAKEUP_FILL_SHARE 8
const volatile __u64 wakeup_interval_ns = 0;
__u64 last_wakeup_ns = 0; /* when a wakeup was last forced, by any CPU */

/* The flags to commit a record of size payload bytes with, stamped now (its ts_ns);
 * reserved: whether the record already holds its place in the ring (reserve_event), or
 * is yet to be copied in (bpf_ringbuf_output). */
static __always_inline __u64 wakeup_flags(__u64 now, __u64 size, bool reserved)
{
	__u64 bytes = (size + BPF_RINGBUF_HDR_SZ + 7) & ~7ULL;
	__u64 fill, pending;
	bool crossed;

	if (!wakeup_interval_ns)
		return 0;
	fill = bpf_ringbuf_query(&events, BPF_RB_RING_SIZE) / WAKEUP_FILL_SHARE;
	pending = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) + (reserved ? 0 : bytes);
	crossed = pending >= fill && pending - bytes < fill;
	/* Signed: another CPU may have stamped a later time than ours. */
	if (!crossed && (__s64)(now - last_wakeup_ns) < (__s64)wakeup_interval_ns)
		return BPF_RB_NO_WAKEUP;
	last_wakeup_ns = now;
	return BPF_RB_FORCE_WAKEUP;
}

/* Submits record e of reserve_event(size), stamped now, on the wakeup budget. */
static __always_inline void submit_record(void *e, __u64 size, __u64 now)
{
	bpf_ringbuf_submit(e, wakeup_flags(now, size, true));
}

/* Copies size bytes at data into the ring as one record stamped now, on the wakeup
 * budget; a full ring counts a drop. For records whose size is known only at run time. */
static __always_inline void output_record(const void *data, __u64 size, __u64 now)
{
	if (bpf_ringbuf_output(&events, (void *)data, size, wakeup_flags(now, size, false)))
		__sync_fetch_and_add(&dropped, 1);
}

char LICENSE[] SEC("license") = "GPL";

#endif
