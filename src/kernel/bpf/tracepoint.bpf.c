/* The generic tracepoint program: one program, attached to any number of tracepoints,
 * each attachment with a cookie that indexes the config map `probes`. Each event becomes
 * ringlua's common header, the tracepoint's fields as the raw record has them, and the
 * strings the probe's config names (user strings of system call arguments, __data_loc
 * strings of the record), so no program is compiled per tracepoint. Many per-syscall
 * probes are served from the two raw_syscalls tracepoints instead, whose records have the
 * same layout: the map `syscall_probes` finds the probe by the call's number. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "tracepoint.h"
#include "source.bpf.h"

RECORD_TYPE(struct tp_header, tp_header);

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, TP_MAX_PROBES);
	__type(key, __u32);
	__type(value, struct tp_probe);
} probes SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, TP_MAX_SYSCALLS);
	__type(key, __u32);
	__type(value, struct tp_syscall);
} syscall_probes SEC(".maps");

/* thread_info.status: a 32-bit system call is running (arch/x86/include/asm/thread_info.h). */
#define TS_COMPAT 0x0002

/* Where a record is built before it goes to the ring: its size is only known at run
 * time, and a ring reservation takes a constant one. The largest record and the most its
 * stacks take after it: more than twice the largest record, so that every bounded offset
 * plus a bounded length stays inside too. */
_Static_assert(RL_STACKS_BYTES >= TP_RECORD_MAX,
	       "the scratch buffer holds twice the largest record");
struct scratch {
	__u8 bytes[TP_RECORD_MAX + RL_STACKS_BYTES];
};
_Static_assert(sizeof(struct scratch) >= KAGG_RECORD_MAX + KAGG_KEY_MAX,
	       "kernel aggregations read whole words past a field");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct scratch);
} scratch SEC(".maps");

/* Fills string slot s of the record in buf. */
static __always_inline void fill_string(__u8 *buf, void *ctx, const struct tp_string *s)
{
	__u32 src = s->src & (TP_RECORD_MAX - 1);
	__u32 dst = s->dst & (TP_RECORD_MAX - 1);
	__u8 *slot = buf + dst;
	long n = -1;

	if (s->kind == TP_STRING_USER) {
		const void *ptr = (const void *)*(__u64 *)(buf + src);

		n = bpf_probe_read_user_str(slot, TP_STRING_LEN, ptr);
	} else if (s->kind == TP_STRING_DATA_LOC || s->kind == TP_STRING_REL_LOC) {
		__u32 loc = *(__u32 *)(buf + src) & 0xffff;

		if (s->kind == TP_STRING_REL_LOC)
			loc += s->raw + sizeof(__u32);
		n = bpf_probe_read_kernel_str(slot, TP_STRING_LEN, ctx + loc);
	}
	if (n < 0)
		slot[0] = '\0';
}

/* Whether the event is about one of ringlua's own tasks (sched_switch to it). */
static __always_inline bool about_self(const __u8 *buf, const struct tp_probe *p)
{
	__u32 at;

	if (p->subject_pid < 0)
		return false;
	at = (__u32)p->subject_pid & (TP_RECORD_MAX - 1);
	return *(const __s32 *)(buf + at) == (__s32)self_tgid;
}

/* The probe a raw_syscalls event (cookie TP_COOKIE_SYS_ENTER or _EXIT) is for, by the
 * call's number, as the per-syscall tracepoints would see it: those leave out 32-bit
 * calls (numbered otherwise; x32's are above TP_MAX_SYSCALLS). Returns the probe's
 * index, or -1 for none. */
static __always_inline long syscall_probe(const struct trace_event_raw_sys_enter *raw,
					  __u64 cookie, struct task_struct *task)
{
	long id = -1;
	__u32 nr, index;
	struct tp_syscall *s;

	/* Not read directly: the kernel refuses to attach a program that reads the context
	 * past the end of a tracepoint's record, and this one is attached to
	 * syscalls:sys_enter_uprobe (8 bytes after the common fields) too. sys_exit's
	 * record has id at the same place. */
	bpf_probe_read_kernel(&id, sizeof(id), &raw->id);
	nr = (__u32)id;
	if (id < 0 || id >= TP_MAX_SYSCALLS)
		return -1;
	s = bpf_map_lookup_elem(&syscall_probes, &nr);
	if (!s)
		return -1;
	index = cookie == TP_COOKIE_SYS_ENTER ? s->enter : s->exit;
	if (!index || task->thread_info.status & TS_COMPAT)
		return -1;
	return index - 1;
}

SEC("tracepoint")
int rl_tracepoint(void *ctx)
{
	struct task_struct *task = bpf_get_current_task_btf();
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u64 cookie = bpf_get_attach_cookie(ctx);
	long probe = cookie < TP_COOKIE_SYS_ENTER ? (long)cookie : syscall_probe(ctx, cookie, task);
	__u32 index = (__u32)probe, zero = 0;
	struct tp_probe *p;
	struct tp_header *h;
	__u32 len, size;
	__u8 *buf;

	if (probe < 0 || !traced(pid_tgid >> 32))
		return 0;
	p = bpf_map_lookup_elem(&probes, &index);
	if (!p)
		return 0;
	buf = bpf_map_lookup_elem(&scratch, &zero);
	if (!buf)
		return 0;
	/* Build the record in the scratch buffer: header, raw fields, strings. */
	h = (struct tp_header *)buf;
	RECORD_TASK_HEADER(h, index, pid_tgid, task);
	len = p->copy_len;
	if (len > TP_COPY_MAX)
		return 0;
	if (bpf_probe_read_kernel(buf + sizeof(*h), len, ctx + (p->copy_from & 0xffff)))
		return 0;
	if (about_self(buf, p))
		return 0;
	for (int i = 0; i < TP_MAX_STRINGS; i++) {
		if (i >= p->nr_strings)
			break;
		fill_string(buf, ctx, &p->strings[i]);
	}
	if (kagg_on && !kagg_record(buf, index))
		return 0;
	/* Submit: the ring copies it; a full ring counts a drop. With stacks, they follow
	 * the record, from the next 8-byte boundary (the scratch buffer has room). */
	size = p->record_size;
	if (size > TP_RECORD_MAX)
		return 0;
	if (stack_mode) {
		size = (size + 7) & ~7u;
		size += capture_stacks(ctx, (struct rl_stacks *)(buf + size));
		if (size > TP_RECORD_MAX + RL_STACKS_BYTES)
			return 0;
	}
	output_event(buf, size);
	return 0;
}
