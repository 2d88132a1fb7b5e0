// SPDX-License-Identifier: GPL-2.0
/* test_json's unions of several arms: on each getppid of the target process, four
 * records whose op names the live arm of their union, each filled through its own arm:
 *   0  OP_MOUNT   flags 7, src "/dev/x", dest "/mnt"
 *   1  OP_UMOUNT  ret -2, target "/mnt/y"
 *   2  OP_FSOPEN  flags 0x11
 *   3  OP_SYNC    no arm: its bytes read as the first arm, mount
 * Each record's raw union (arms not named after colour's enumerators) holds 0x04030201. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "union_arms.h"

const volatile pid_t targ_pid = 0;	/* -c fills it */

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} events SEC(".maps");

/* Reserves a record, zeroes it and fills what every op has; NULL when the ring is full. */
static __always_inline struct event *start(u32 seq, enum op op)
{
	struct event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);

	if (!e)
		return NULL;
	__builtin_memset(e, 0, sizeof(*e));
	e->seq = seq;
	e->op = op;
	e->colour = GREEN;
	e->raw.word = 0x04030201;
	return e;
}

SEC("tracepoint/syscalls/sys_enter_getppid")
int on_getppid(void *ctx)
{
	struct event *e;

	if ((bpf_get_current_pid_tgid() >> 32) != targ_pid)
		return 0;
	/* 0: a mount. */
	e = start(0, OP_MOUNT);
	if (e) {
		e->mount.flags = 7;
		__builtin_memcpy(e->mount.src, "/dev/x", sizeof("/dev/x"));
		__builtin_memcpy(e->mount.dest, "/mnt", sizeof("/mnt"));
		bpf_ringbuf_submit(e, 0);
	}
	/* 1: an umount, whose bytes read as a mount would be wrong. */
	e = start(1, OP_UMOUNT);
	if (e) {
		e->umount.ret = -2;
		__builtin_memcpy(e->umount.target, "/mnt/y", sizeof("/mnt/y"));
		bpf_ringbuf_submit(e, 0);
	}
	/* 2: an fsopen. */
	e = start(2, OP_FSOPEN);
	if (e) {
		e->fsopen = 0x11;
		bpf_ringbuf_submit(e, 0);
	}
	/* 3: an op with no arm. */
	e = start(3, OP_SYNC);
	if (e) {
		e->mount.flags = 9;
		bpf_ringbuf_submit(e, 0);
	}
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
