/* Built-in source `tcp`: one event per TCP connect or accept, from the system calls'
 * returns: they run in the caller, so the pid is the caller's (the socket's state changes
 * mostly run in softirq, on behalf of whoever was interrupted), and by then the socket
 * has both its ends (the local port of a connect is chosen after its SYN_SENT change). */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>
#include "tcp.h"
#include "source.bpf.h"

RECORD_TYPE(struct tcp_event, tcp_event);

#define AF_INET 2
#define AF_INET6 10
#define S_IFMT 00170000
#define S_IFSOCK 0140000
#define SOCK_STREAM 1
#define EINPROGRESS 115

/* Threads in connect(2), by tid: the socket's fd, until the return. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, __u32);
	__type(value, __s32);
} connecting SEC(".maps");

/* The TCP socket behind the current process's fd, or NULL for any other file. */
static __always_inline struct sock *tcp_sock_of_fd(long fd)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct file **fds = BPF_CORE_READ(task, files, fdt, fd);
	struct file *file = NULL;
	struct socket *sock;
	struct sock *sk;
	__u16 family;

	if (fd < 0 || fd >= BPF_CORE_READ(task, files, fdt, max_fds) ||
	    bpf_probe_read_kernel(&file, sizeof(file), &fds[fd]) || !file)
		return NULL;
	/* private_data is a struct socket only on a socket's file. */
	if ((BPF_CORE_READ(file, f_inode, i_mode) & S_IFMT) != S_IFSOCK)
		return NULL;
	sock = BPF_CORE_READ(file, private_data);
	sk = BPF_CORE_READ(sock, sk);
	family = BPF_CORE_READ(sk, __sk_common.skc_family);
	if (!sk || BPF_CORE_READ(sock, type) != SOCK_STREAM ||
	    BPF_CORE_READ(sk, sk_protocol) != IPPROTO_TCP ||
	    (family != AF_INET && family != AF_INET6))
		return NULL;
	return sk;
}

/* Copies the socket's addresses and ports into e; IPv4 addresses take the first 4
 * bytes of each 16. */
static __always_inline void read_endpoints(struct tcp_event *e, struct sock *sk)
{
	struct sock_common *skc = &sk->__sk_common;

	e->family = BPF_CORE_READ(skc, skc_family);
	if (e->family == AF_INET) {
		bpf_core_read(e->saddr, sizeof(skc->skc_rcv_saddr), &skc->skc_rcv_saddr);
		bpf_core_read(e->daddr, sizeof(skc->skc_daddr), &skc->skc_daddr);
	} else {
		bpf_core_read(e->saddr, sizeof(skc->skc_v6_rcv_saddr), &skc->skc_v6_rcv_saddr);
		bpf_core_read(e->daddr, sizeof(skc->skc_v6_daddr), &skc->skc_v6_daddr);
	}
	e->sport = BPF_CORE_READ(skc, skc_num);
	e->dport = bpf_ntohs(BPF_CORE_READ(skc, skc_dport));
}

static __always_inline int emit(void *ctx, long fd, enum tcp_event_direction direction)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct sock *sk = tcp_sock_of_fd(fd);
	struct tcp_event *e;

	if (!sk)
		return 0;
	/* Reserve the record in the ring; a full ring counts a drop. */
	e = reserve_event(sizeof(*e));
	if (!e)
		return 0;
	/* Fill it: addresses shorter than 16 bytes leave zeros behind them. */
	__builtin_memset(e, 0, sizeof(*e));
	e->ts_ns = event_time();
	read_endpoints(e, sk);
	e->pid = pid_tgid >> 32;
	e->tid = (__u32)pid_tgid;
	e->uid = (__u32)bpf_get_current_uid_gid();
	e->direction = direction;
	RECORD_COMM(e->comm);
	/* Submit: the consumer sees it from now on. */
	submit_event(ctx, e, sizeof(*e));
	return 0;
}

SEC("tp/syscalls/sys_enter_connect")
int on_connect(struct trace_event_raw_sys_enter *ctx)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)pid_tgid;
	__s32 fd = (__s32)ctx->args[0];

	if (traced(pid_tgid >> 32))
		bpf_map_update_elem(&connecting, &tid, &fd, BPF_ANY);
	return 0;
}

/* A connect that returned 0 or -EINPROGRESS has a connection established or under way. */
SEC("tp/syscalls/sys_exit_connect")
int on_connect_return(struct trace_event_raw_sys_exit *ctx)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	__s32 *fd = bpf_map_lookup_elem(&connecting, &tid);

	if (!fd)
		return 0; /* not traced, or entered before we attached */
	if (ctx->ret == 0 || ctx->ret == -EINPROGRESS)
		emit(ctx, *fd, TCP_EVENT_CONNECT);
	bpf_map_delete_elem(&connecting, &tid);
	return 0;
}

/* accept and accept4 return the new connection's fd. */
static __always_inline int accepted(void *ctx, long fd)
{
	return fd >= 0 && traced(bpf_get_current_pid_tgid() >> 32) ?
		emit(ctx, fd, TCP_EVENT_ACCEPT) : 0;
}

SEC("tp/syscalls/sys_exit_accept4")
int on_accept4_return(struct trace_event_raw_sys_exit *ctx)
{
	return accepted(ctx, ctx->ret);
}

/* accept(2) is a separate system call on some architectures only. */
SEC("?tp/syscalls/sys_exit_accept")
int on_accept_return(struct trace_event_raw_sys_exit *ctx)
{
	return accepted(ctx, ctx->ret);
}
