/* Test object of --bpf: a perf_event program, attached by ringlua to a CPU clock on
 * every CPU at --hz or at its sample_hz (0 here: no rate of its own). */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

const volatile __u32 sample_hz = 0;

struct event {
	__u32 cpu;
	__u32 hz;
};

struct event *unused_event __attribute__((unused));

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 16);
} events SEC(".maps");

SEC("perf_event")
int on_cpu(void *ctx)
{
	struct event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);

	if (!e)
		return 0;
	e->cpu = bpf_get_smp_processor_id();
	e->hz = sample_hz;
	bpf_ringbuf_submit(e, 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
