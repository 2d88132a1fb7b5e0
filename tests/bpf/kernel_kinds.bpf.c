/* Test object of --bpf: programs of kinds a kernel may lack, selected with -D: KPROBE a
 * kprobe (kernels built without kprobes have no kprobe_events in tracefs), FENTRY an
 * fentry program (attached through a BPF trampoline, which some kernels refuse). What
 * fails must say so by program and kind. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} events SEC(".maps");

struct event {
	__u32 n;
};

#ifdef FENTRY
SEC("fentry/do_unlinkat")
int BPF_PROG(on_unlink_entry, int dfd, struct filename *name)
{
	return 0;
}
#endif

SEC("kprobe/do_unlinkat")
int on_unlink_kprobe(void *ctx)
{
	struct event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);

	if (!e)
		return 0;
	e->n = 1;
	bpf_ringbuf_submit(e, 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
