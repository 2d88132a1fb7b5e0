/* Test object of --bpf: a ring, and a program that nothing attaches automatically (a
 * SEC("syscall") program only runs when a loader runs it), so ringlua must refuse it by
 * name. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} events SEC(".maps");

struct event {
	__u32 n;
};

SEC("syscall")
int run_by_hand(void *ctx)
{
	struct event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);

	if (e)
		bpf_ringbuf_discard(e, 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
