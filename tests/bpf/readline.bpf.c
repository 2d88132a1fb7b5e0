/* Test object of --bpf, as libbpf-tools' bashreadline is written: a uretprobe whose
 * section names no target (its own front end attaches it to bash's readline), reading
 * the returned line. ringlua attaches it with --attach. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 16);
} events SEC(".maps");

struct event {
	char line[80];
};

SEC("uretprobe")
int BPF_URETPROBE(printret, const void *ret)
{
	struct event *e;

	if (!ret)
		return 0;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e)
		return 0;
	bpf_probe_read_user_str(e->line, sizeof(e->line), ret);
	bpf_ringbuf_submit(e, 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
