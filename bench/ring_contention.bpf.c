// SPDX-License-Identifier: GPL-2.0
/* Producers only: each run of `produce` reserves, fills and submits `count` records of
 * the syscalls source's size, without waking anyone, into the one shared ring or into
 * the ring of the CPU it runs on. bench/ring_contention.c runs it on one or both CPUs at
 * once, so that what the ring's lock costs shared producers shows and nothing else does. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

/* The size of a syscalls record (src/kernel/bpf/syscalls.h). */
struct record {
	__u64 ts_ns;
	__u32 pid, tid;
	__s64 nr;
	char comm[16];
};

struct args {
	__u64 count; /* 64 bits: bpf_loop inlined compares its whole register */
	__u64 per_cpu; /* 1: this CPU's ring of cpu_rings; 0: the shared ring */
};

struct ring {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 20); /* the loader sets the real size */
};

struct ring shared SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 64);
	__type(key, __u32);
	__array(values, struct ring);
} cpu_rings SEC(".maps");

__u64 dropped = 0;

/* Fills and submits r, a reserved record; or counts a drop. */
static __always_inline void fill_submit(struct record *r, __u32 i)
{
	if (!r) {
		__sync_fetch_and_add(&dropped, 1);
		return;
	}
	r->ts_ns = i;
	r->pid = r->tid = i;
	r->nr = i;
	__builtin_memset(r->comm, 0, sizeof(r->comm));
	bpf_ringbuf_submit(r, BPF_RB_NO_WAKEUP);
}

/* One record, into the ring a built-in source would choose: this CPU's (looked up per
 * record, as source.bpf.h does), or the shared one. */
static long produce_one(__u32 i, void *data)
{
	const struct args *a = data;
	__u32 cpu = bpf_get_smp_processor_id();
	void *ring;

	if (!a->per_cpu) {
		fill_submit(bpf_ringbuf_reserve(&shared, sizeof(struct record), 0), i);
		return 0;
	}
	ring = bpf_map_lookup_elem(&cpu_rings, &cpu);
	if (ring)
		fill_submit(bpf_ringbuf_reserve(ring, sizeof(struct record), 0), i);
	return 0;
}

SEC("syscall")
int produce(struct args *in)
{
	/* bpf_loop hands its callback a pointer into this stack only: copy the arguments. */
	struct args a = *in;

	long n = bpf_loop(a.count, produce_one, &a, 0);

	return n == a.count ? 0 : (int)n;
}

char LICENSE[] SEC("license") = "GPL";
