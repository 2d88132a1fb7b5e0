/* Built-in source `usdt`: one program, attached by ringlua through libbpf to every USDT
 * probe named, each attachment with its probe's index as the USDT cookie. libbpf keeps
 * each probe site's argument specs in maps of usdt.bpf.h and reads the arguments by
 * them; no program is compiled per probe. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/usdt.bpf.h>
#include "usdt.h"
#include "source.bpf.h"

RECORD_TYPE(struct usdt_event, usdt_event);

/* Which argument (0-11) is read as a user string into `str`, or -1 for none. */
const volatile __s32 str_arg = -1;

/* The arguments the note gives, into e's arg0..arg11: the rest stay 0. */
static __always_inline void read_args(struct pt_regs *ctx, struct usdt_event *e)
{
	__s64 *args = &e->arg0;
	int count = bpf_usdt_arg_cnt(ctx);

	e->arg_count = count > 0 ? (__u32)count : 0;
	for (__u32 i = 0; i < USDT_ARG_MAX; i++) {
		long v = 0;

		/* bpf_usdt_arg sets v to 0 when it fails, and past the last argument. */
		if (i < e->arg_count)
			bpf_usdt_arg(ctx, i, &v);
		args[i] = v;
	}
}

SEC("usdt")
int rl_usdt(struct pt_regs *ctx)
{
	struct task_struct *task = bpf_get_current_task_btf();
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct usdt_event *e;
	long str_value = 0;

	if (!traced(pid_tgid >> 32))
		return 0;
	/* Reserve the record (in the ring, or with stacks in scratch space). */
	e = reserve_event(sizeof(*e));
	if (!e)
		return 0;
	/* Fill it: the header, the arguments, the string. */
	RECORD_TASK_HEADER(e, (__u32)bpf_usdt_cookie(ctx), pid_tgid, task);
	e->pad = 0;
	read_args(ctx, e);
	e->str[0] = '\0';
	if (str_arg >= 0 && str_arg < USDT_ARG_MAX)
		bpf_usdt_arg(ctx, (__u64)str_arg, &str_value);
	if (str_value &&
	    bpf_probe_read_user_str(e->str, sizeof(e->str), (const void *)str_value) < 0)
		e->str[0] = '\0';
	/* Submit: the consumer sees it from now on. */
	submit_event(ctx, e, sizeof(*e));
	return 0;
}
