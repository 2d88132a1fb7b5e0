// SPDX-License-Identifier: GPL-2.0
/* One record with every kind of type a C program puts in one (kinds.h), used only
 * through a local pointer, as published programs do: clang leaves it out of BTF, and
 * ringlua finds it in the DWARF. Each field gets a value a test can check. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "kinds.h"

const volatile pid_t targ_pid = 0;
struct { __uint(type, BPF_MAP_TYPE_RINGBUF); __uint(max_entries, 4096); } events SEC(".maps");
SEC("tp/syscalls/sys_enter_getppid")
int on_getppid(void *ctx)
{
	struct event *e;

	if (targ_pid && bpf_get_current_pid_tgid() >> 32 != targ_pid)
		return 0;
	/* Reserve a record with 4 bytes of data after it, fill it, submit it. */
	e = bpf_ringbuf_reserve(&events, sizeof(*e) + 4, 0);
	if (!e)
		return 0;
	e->ok = true;
	e->kind = SMALL_B;
	e->mode = MODE_ON;
	e->big = BIG_HUGE;
	e->flag = 1;
	e->level = 5;
	e->delta = -7;
	e->pid = bpf_get_current_pid_tgid() >> 32;
	e->as_u32 = 0x04030201;
	e->x = 10;
	e->y = 20;
	e->inner.a = -3;
	e->inner.tag[0] = 'h';
	e->inner.tag[1] = 'i';
	e->inner.tag[2] = 0;
	e->wide = ((unsigned __int128)1 << 64) | 5;
	e->packed.c = 'p';
	e->packed.v = 0x1122334455667788ULL;
	e->aligned = 99;
	e->len = 4;
	__builtin_memcpy(e->data, "abcd", 4);
	bpf_ringbuf_submit(e, 0);
	return 0;
}
char LICENSE[] SEC("license") = "GPL";
