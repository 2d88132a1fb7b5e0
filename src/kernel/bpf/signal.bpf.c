/* Built-in source `signal`: one event per signal generated, system-wide or for signals
 * a pid sends or receives. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "signal.h"
#include "source.bpf.h"

RECORD_TYPE(struct signal_event, signal_event);

/* With -p, a signal concerns the process if it sends it or receives it; the uid and
 * comm filters look at the sender. A signal to ringlua is never traced, whoever sends it
 * (the SIGINT that stops it would otherwise be its last event), as none it sends is.
 * (ringlua is one thread: its pid is its tgid.) */
static __always_inline bool signal_traced(__u32 sender_tgid, __u32 target_pid)
{
	if (sender_tgid == self_tgid || target_pid == self_tgid)
		return false;
	return task_traced() &&
	       (!targ_tgid || sender_tgid == targ_tgid || target_pid == targ_tgid);
}

SEC("tp/signal/signal_generate")
int on_signal_generate(struct trace_event_raw_signal_generate *ctx)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 tgid = pid_tgid >> 32;
	struct signal_event *e;

	if (!signal_traced(tgid, (__u32)ctx->pid))
		return 0;
	/* Reserve the record in the ring; a full ring counts a drop. */
	e = reserve_event(sizeof(*e));
	if (!e)
		return 0;
	/* Fill it: the sender is the current task; the target comes with the tracepoint. */
	e->ts_ns = event_time();
	e->pid = tgid;
	e->tid = (__u32)pid_tgid;
	e->uid = (__u32)bpf_get_current_uid_gid();
	e->target_pid = (__u32)ctx->pid;
	e->sig = ctx->sig;
	e->code = ctx->code;
	e->result = ctx->result;
	e->group = ctx->group != 0;
	RECORD_COMM(e->comm);
	bpf_probe_read_kernel(e->target_comm, sizeof(e->target_comm), ctx->comm);
	/* Submit: the consumer sees it from now on. */
	submit_event(ctx, e, sizeof(*e));
	return 0;
}
