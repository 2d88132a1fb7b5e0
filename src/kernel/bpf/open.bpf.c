/* Built-in source `open`: one event per file open. The entry of open, openat or openat2
 * stashes the arguments by thread; the return emits them with the result. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "open.h"
#include "source.bpf.h"

RECORD_TYPE(struct open_event, open_event);

/* Arguments of an open in progress, until its return. */
struct open_args {
	__u64 path;	/* user pointer to the path */
	__u64 flags;
	__u64 how;	/* openat2: user pointer to its struct open_how; else 0 */
	__u32 mode;
};

/* The start of openat2's struct open_how (uapi, so its layout is fixed). */
struct open_how_head {
	__u64 flags;
	__u64 mode;
};

/* Threads in an open. A thread sits in at most one system call, so tid is the key; an
 * entry lives from the entry to the return. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, __u32);
	__type(value, struct open_args);
} opens SEC(".maps");

static __always_inline int stash(const void *path, __u64 flags, __u32 mode, const void *how)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)pid_tgid;
	struct open_args args = {
		.path = (__u64)path, .flags = flags, .mode = mode, .how = (__u64)how,
	};

	if (traced(pid_tgid >> 32))
		bpf_map_update_elem(&opens, &tid, &args, BPF_ANY);
	return 0;
}

static __always_inline int emit(void *ctx, long ret)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)pid_tgid;
	struct open_args *args = bpf_map_lookup_elem(&opens, &tid);
	struct open_how_head how = {};
	struct open_event *e;

	if (!args)
		return 0; /* not traced, or entered before we attached */
	/* Reserve the record in the ring; a full ring counts a drop. */
	e = reserve_event(sizeof(*e));
	if (!e)
		goto out;
	/* Fill it: the kernel has read the path (and open_how) by now, so their pages are
	 * resident and the reads cannot fault. */
	e->ts_ns = event_time();
	e->flags = args->flags;
	e->mode = args->mode;
	if (args->how && !bpf_probe_read_user(&how, sizeof(how), (const void *)args->how)) {
		e->flags = how.flags;
		e->mode = (__u32)how.mode;
	}
	e->ret = ret;
	e->pid = pid_tgid >> 32;
	e->tid = tid;
	e->uid = (__u32)bpf_get_current_uid_gid();
	RECORD_COMM(e->comm);
	if (bpf_probe_read_user_str(e->path, sizeof(e->path), (const void *)args->path) < 0)
		e->path[0] = '\0';
	/* Submit: the consumer sees it from now on. */
	submit_event(ctx, e, sizeof(*e));
out:
	bpf_map_delete_elem(&opens, &tid);
	return 0;
}

SEC("tp/syscalls/sys_enter_openat")
int on_openat(struct trace_event_raw_sys_enter *ctx)
{
	return stash((const void *)ctx->args[1], ctx->args[2], (__u32)ctx->args[3], NULL);
}

SEC("tp/syscalls/sys_exit_openat")
int on_openat_return(struct trace_event_raw_sys_exit *ctx)
{
	return emit(ctx, ctx->ret);
}

/* open(2) exists on some architectures only: "?" leaves it out where it is missing. */
SEC("?tp/syscalls/sys_enter_open")
int on_open(struct trace_event_raw_sys_enter *ctx)
{
	return stash((const void *)ctx->args[0], ctx->args[1], (__u32)ctx->args[2], NULL);
}

SEC("?tp/syscalls/sys_exit_open")
int on_open_return(struct trace_event_raw_sys_exit *ctx)
{
	return emit(ctx, ctx->ret);
}

/* openat2(2) came in Linux 5.6; its flags and mode are in a struct open_how, read at
 * the return. */
SEC("?tp/syscalls/sys_enter_openat2")
int on_openat2(struct trace_event_raw_sys_enter *ctx)
{
	return stash((const void *)ctx->args[1], 0, 0, (const void *)ctx->args[2]);
}

SEC("?tp/syscalls/sys_exit_openat2")
int on_openat2_return(struct trace_event_raw_sys_exit *ctx)
{
	return emit(ctx, ctx->ret);
}
