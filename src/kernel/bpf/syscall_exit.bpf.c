/* Built-in source `syscall_exit`: one event per completed system call. The entry stashes
 * the number and the time by thread; the return emits them with the result. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "syscall_exit.h"
#include "source.bpf.h"

RECORD_TYPE(struct syscall_exit_event, syscall_exit_event);

struct syscall_start {
	__u64 ts_ns;
	__s64 nr;
};

/* Threads inside a system call, by tid. LRU: exit and exit_group never return, so their
 * entries are never deleted; the oldest go first when the map is full. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, struct syscall_start);
} starts SEC(".maps");

SEC("raw_tp/sys_enter")
int on_sys_enter(struct bpf_raw_tracepoint_args *ctx)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)pid_tgid;
	/* args[1] of sys_enter is the system call number. */
	struct syscall_start start = { .ts_ns = bpf_ktime_get_ns(), .nr = (__s64)ctx->args[1] };

	if (traced(pid_tgid >> 32))
		bpf_map_update_elem(&starts, &tid, &start, BPF_ANY);
	return 0;
}

SEC("raw_tp/sys_exit")
int on_sys_exit(struct bpf_raw_tracepoint_args *ctx)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)pid_tgid;
	struct syscall_start *start = bpf_map_lookup_elem(&starts, &tid);
	struct syscall_exit_event *e;

	if (!start)
		return 0; /* not traced, or entered before we attached */
	/* Reserve the record in the ring; a full ring counts a drop. */
	e = reserve_event(sizeof(*e));
	if (!e)
		goto out;
	/* Fill it: args[1] of sys_exit is the return value. */
	e->ts_ns = bpf_ktime_get_ns();
	e->latency_ns = e->ts_ns - start->ts_ns;
	e->nr = start->nr;
	e->ret = (__s64)ctx->args[1];
	e->pid = pid_tgid >> 32;
	e->tid = tid;
	e->uid = (__u32)bpf_get_current_uid_gid();
	RECORD_COMM(e->comm);
	/* Submit: the consumer sees it from now on. */
	submit_event(ctx, e, sizeof(*e));
out:
	bpf_map_delete_elem(&starts, &tid);
	return 0;
}
