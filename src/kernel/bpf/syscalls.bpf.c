/* Built-in source `syscalls`: one event per system call entry (raw tracepoint). */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "syscalls.h"
#include "source.bpf.h"

RECORD_TYPE(struct syscall_event, syscall_event);

SEC("raw_tp/sys_enter")
int on_sys_enter(struct bpf_raw_tracepoint_args *ctx)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 tgid = pid_tgid >> 32;
	struct syscall_event *e;

	if (!traced(tgid))
		return 0;
	/* Reserve the record in the ring; a full ring counts a drop. */
	e = reserve_event(sizeof(*e));
	if (!e)
		return 0;
	/* Fill it: args[1] of sys_enter is the system call number. */
	e->ts_ns = event_time();
	e->pid = tgid;
	e->tid = (__u32)pid_tgid;
	e->nr = (__s64)ctx->args[1];
	RECORD_COMM(e->comm);
	/* Submit: the consumer sees it from now on. */
	submit_event(ctx, e, sizeof(*e));
	return 0;
}
