// SPDX-License-Identifier: GPL-2.0
/* Test object of --bpf: one event offered through several kinds of probe, as published
 * tools offer it, each program tagging its records with its kind. The entry of
 * getppid's system call: tp_btf (written so the verifier refuses it), raw_tp and the
 * classic tracepoint, all of raw_syscalls' sys_enter; and the entry of
 * __do_sys_getppid through fentry and kprobe. ringlua must attach one program per hook:
 * of the system call's, raw_tp. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#define GETPPID 110

enum kind { TP_BTF = 1, RAW_TP, TRACEPOINT, FENTRY, KPROBE };

struct event {
	__u32 kind;
};

const volatile __u32 targ_tgid = 0;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 * 1024);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} unused SEC(".maps");

/* Reserves a record, tags it with kind, submits it: for targ_tgid's calls only. */
static int emit(enum kind kind)
{
	struct event *e;

	if (bpf_get_current_pid_tgid() >> 32 != targ_tgid)
		return 0;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e)
		return 0;
	e->kind = kind;
	bpf_ringbuf_submit(e, 0);
	return 0;
}

SEC("tp_btf/sys_enter")
int BPF_PROG(via_tp_btf, struct pt_regs *regs, long id)
{
	__u32 key = 0;
	__u64 *v = bpf_map_lookup_elem(&unused, &key);

	/* No NULL check: the verifier refuses this read. */
	return id == GETPPID && *v == 0 ? emit(TP_BTF) : 0;
}

SEC("raw_tp/sys_enter")
int BPF_PROG(via_raw_tp, struct pt_regs *regs, long id)
{
	return id == GETPPID ? emit(RAW_TP) : 0;
}

SEC("tracepoint/raw_syscalls/sys_enter")
int via_tracepoint(struct trace_event_raw_sys_enter *ctx)
{
	return ctx->id == GETPPID ? emit(TRACEPOINT) : 0;
}

SEC("fentry/__do_sys_getppid")
int BPF_PROG(via_fentry)
{
	return emit(FENTRY);
}

SEC("kprobe/__do_sys_getppid")
int via_kprobe(void *ctx)
{
	return emit(KPROBE);
}

char LICENSE[] SEC("license") = "GPL";
