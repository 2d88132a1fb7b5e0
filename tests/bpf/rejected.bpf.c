// SPDX-License-Identifier: GPL-2.0
/* A program the verifier rejects: it reads through a pointer that may be NULL, the
 * mistake published programs are most often fixed for. ringlua must name the program
 * and say why, from the verifier's log. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16);
	__type(key, u32);
	__type(value, u64);
} starts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} events SEC(".maps");

SEC("tp/syscalls/sys_enter_getppid")
int unchecked_lookup(void *ctx)
{
	u32 key = 0;
	u64 *start = bpf_map_lookup_elem(&starts, &key);

	/* No NULL check: the verifier refuses the read below. */
	return *start > 0;
}

char LICENSE[] SEC("license") = "GPL";
