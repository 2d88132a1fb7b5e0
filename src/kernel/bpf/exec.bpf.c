/* Built-in source `exec`: one event per successful execve, system-wide or for one pid. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "exec.h"
#include "source.bpf.h"

RECORD_TYPE(struct exec_event, exec_event);

SEC("tp/sched/sched_process_exec")
int on_exec(struct trace_event_raw_sched_process_exec *ctx)
{
	struct task_struct *task = bpf_get_current_task_btf();
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 tgid = pid_tgid >> 32;
	unsigned int filename_off = ctx->__data_loc_filename & 0xFFFF;
	struct exec_event *e;

	if (!traced(tgid))
		return 0;
	/* Reserve the record in the ring; a full ring counts a drop. */
	e = reserve_event(sizeof(*e));
	if (!e)
		return 0;
	/* Fill it: comm is already the new program's name at this point. */
	e->ts_ns = event_time();
	e->pid = tgid;
	e->tid = (__u32)pid_tgid;
	e->ppid = task->real_parent->tgid;
	e->uid = (__u32)bpf_get_current_uid_gid();
	RECORD_COMM(e->comm);
	bpf_probe_read_kernel_str(e->filename, sizeof(e->filename), (void *)ctx + filename_off);
	/* Submit: the consumer sees it from now on. */
	submit_event(ctx, e, sizeof(*e));
	return 0;
}
