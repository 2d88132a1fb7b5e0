/* Built-in source `exit`: one event per process exit, system-wide or for one pid. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "exit.h"
#include "source.bpf.h"

RECORD_TYPE(struct exit_event, exit_event);

SEC("tp/sched/sched_process_exit")
int on_exit(void *ctx)
{
	struct task_struct *task = bpf_get_current_task_btf();
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 tgid = pid_tgid >> 32;
	struct exit_event *e;
	__u32 code;

	/* Threads exit too: only the leader's exit is the process's. */
	if ((__u32)pid_tgid != tgid || !traced(tgid))
		return 0;
	/* Reserve the record in the ring; a full ring counts a drop. */
	e = reserve_event(sizeof(*e));
	if (!e)
		return 0;
	/* Fill it: exit_code is already set in do_exit(), in wait(2)'s encoding; start_time
	 * is on the same monotonic clock as bpf_ktime_get_ns. */
	code = task->exit_code;
	e->ts_ns = bpf_ktime_get_ns();
	e->lifetime_ns = e->ts_ns - task->start_time;
	e->pid = tgid;
	e->ppid = task->real_parent->tgid;
	e->uid = (__u32)bpf_get_current_uid_gid();
	e->exit_code = code;
	e->exit_status = (code >> 8) & 0xff;
	e->signal = code & 0x7f;
	e->core_dumped = (code >> 7) & 1;
	RECORD_COMM(e->comm);
	/* Submit: the consumer sees it from now on. */
	submit_event(ctx, e, sizeof(*e));
	return 0;
}
