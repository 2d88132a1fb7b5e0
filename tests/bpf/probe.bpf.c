/* Test object of --bpf compiled from source: the smallest program that loads and
 * attaches, including its own header (probe.h) by quoted name, as published programs do. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "probe.h"

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} events SEC(".maps");

SEC("tp/syscalls/sys_enter_getppid")
int on_getppid(void *ctx)
{
	struct probe_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);

	if (e)
		bpf_ringbuf_discard(e, 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
