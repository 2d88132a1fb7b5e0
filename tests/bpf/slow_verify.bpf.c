/* Test object of --bpf: a program the verifier takes long to check (a bounded loop it
 * walks iteration by iteration), so that its load outlasts any watchdog period. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

/* Iterations the verifier walks one by one: enough for a few hundred milliseconds. */
#define ROUNDS 4000
#define STEPS 16 /* unrolled in each round: more for the verifier to walk */

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} events SEC(".maps");

__u64 mixed = 0;

SEC("tp/syscalls/sys_enter_getppid")
int on_getppid(void *ctx)
{
	__u64 x = bpf_get_prandom_u32();

	/* Each round's value depends on the last, so the verifier cannot prune. */
	for (int i = 0; i < ROUNDS; i++) {
#pragma unroll
		for (int j = 0; j < STEPS; j++)
			x = (x * 31 + i + j) ^ (x >> 7);
	}
	mixed = x;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
