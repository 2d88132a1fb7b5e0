// SPDX-License-Identifier: GPL-2.0
/* test_json's records of several strings in one char array: on each getppid of the
 * target process, four samples to a perf buffer, built in a per-CPU scratch record that
 * is never cleared, so bytes past what each one uses are the previous one's:
 *   0  the whole record; args "one", "", "two words", "caf\xc3\xa9" (UTF-8) and
 *      "\xff\xfe" (not UTF-8), then stale text past args_size
 *   1  cut after args_size bytes (offsetof(args) + 6): "a", "b", "c", of which
 *      args_count says 2
 *   2  cut after args_size bytes: "abc" with no NUL inside args_size
 *   3  8 bytes: shorter than the part before args */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "args_strings.h"

const volatile pid_t targ_pid = 0;	/* -c fills it */

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(u32));
	__uint(value_size, sizeof(u32));
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, struct event);
} scratch SEC(".maps");

#define ARGS0 "one\0\0two words\0caf\xc3\xa9\0\xff\xfe\0"
#define STALE "STALE text"

/* Sends the first len bytes of e (a constant at each call, as the verifier wants). */
static __always_inline void send(void *ctx, struct event *e, u32 seq, u64 len)
{
	e->seq = seq;
	bpf_perf_event_output(ctx, &events, BPF_F_CURRENT_CPU, e, len);
}

SEC("tracepoint/syscalls/sys_enter_getppid")
int on_getppid(void *ctx)
{
	u32 zero = 0;
	struct event *e = bpf_map_lookup_elem(&scratch, &zero);

	if (!e || (bpf_get_current_pid_tgid() >> 32) != targ_pid)
		return 0;
	e->pid = targ_pid;
	/* 0: a plain string with text after its NUL; five strings, stale text after them. */
	__builtin_memcpy(e->label, "plain\0" STALE, sizeof("plain\0" STALE));
	__builtin_memcpy(e->args, ARGS0 STALE, sizeof(ARGS0 STALE));
	e->args_size = sizeof(ARGS0) - 1;
	e->args_count = 5;
	send(ctx, e, 0, sizeof(*e));
	/* 1: three strings in args_size, two in args_count; the record ends with them. */
	__builtin_memcpy(e->args, "a\0b\0c", sizeof("a\0b\0c"));
	e->args_size = sizeof("a\0b\0c");
	e->args_count = 2;
	send(ctx, e, 1, __builtin_offsetof(struct event, args) + sizeof("a\0b\0c"));
	/* 2: args_size ends before the string's NUL. */
	__builtin_memcpy(e->args, "abcdef", sizeof("abcdef"));
	e->args_size = 3;
	e->args_count = 1;
	send(ctx, e, 2, __builtin_offsetof(struct event, args) + 3);
	/* 3: too short to decode. */
	send(ctx, e, 3, 8);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
