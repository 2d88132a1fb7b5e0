/* What every built-in source shares: its ring, its filters, and the lost-event count.
 * Included by exactly one .bpf.c per object. */
#ifndef RINGLUA_SOURCE_BPF_H
#define RINGLUA_SOURCE_BPF_H

/* Filters, set by ringlua before load. */
const volatile __u32 targ_tgid = 0; /* trace only this process; 0 traces all */
const volatile __u32 self_tgid = 0; /* ringlua itself: never traced, or it would feed on itself */

/* Lost-event convention: incremented whenever bpf_ringbuf_reserve fails (ring full). */
__u64 dropped = 0;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 << 20);
} events SEC(".maps");

static __always_inline bool traced(__u32 tgid)
{
	return tgid != self_tgid && (!targ_tgid || tgid == targ_tgid);
}

static __always_inline void *reserve_event(__u64 size)
{
	void *e = bpf_ringbuf_reserve(&events, size, 0);

	if (!e)
		__sync_fetch_and_add(&dropped, 1);
	return e;
}

char LICENSE[] SEC("license") = "GPL";

#endif
