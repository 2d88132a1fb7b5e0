/* Built-in sources `uprobe` and `uretprobe`: one program for calls and one for returns,
 * attached by ringlua to every function named, each attachment with its probe's index
 * as the cookie. No program is compiled per probe. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "uprobe.h"
#include "source.bpf.h"

RECORD_TYPE(struct uprobe_event, uprobe_event);

/* The sixth argument register: libbpf's bpf_tracing.h names only five before 1.2. */
#ifdef PT_REGS_PARM6
#define ARG6(ctx) PT_REGS_PARM6(ctx)
#elif defined(__TARGET_ARCH_x86)
#define ARG6(ctx) ((ctx)->r9)
#elif defined(__TARGET_ARCH_arm64)
#define ARG6(ctx) (((const struct user_pt_regs *)(ctx))->regs[5])
#else
#error "uprobe: the sixth argument register is missing for this architecture"
#endif

/* Which value is read as a user string into `str`: argument 0-5, UPROBE_STR_RET, or -1
 * for none. */
const volatile __s32 str_arg = -1;

/* The value str_arg names. */
static __always_inline __u64 str_source(const struct uprobe_event *e)
{
	switch (str_arg) {
	case 0: return e->arg0;
	case 1: return e->arg1;
	case 2: return e->arg2;
	case 3: return e->arg3;
	case 4: return e->arg4;
	case 5: return e->arg5;
	default: return (__u64)e->ret;
	}
}

static __always_inline int emit(struct pt_regs *ctx, bool is_return)
{
	struct task_struct *task = bpf_get_current_task_btf();
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct uprobe_event *e;

	if (!traced(pid_tgid >> 32))
		return 0;
	/* Reserve the record (in the ring, or with stacks in scratch space). */
	e = reserve_event(sizeof(*e));
	if (!e)
		return 0;
	/* Fill it: the header, the arguments or the return value, the string. */
	RECORD_TASK_HEADER(e, (__u32)bpf_get_attach_cookie(ctx), pid_tgid, task);
	/* At a return the argument registers hold whatever the function left there. */
	e->arg0 = is_return ? 0 : PT_REGS_PARM1(ctx);
	e->arg1 = is_return ? 0 : PT_REGS_PARM2(ctx);
	e->arg2 = is_return ? 0 : PT_REGS_PARM3(ctx);
	e->arg3 = is_return ? 0 : PT_REGS_PARM4(ctx);
	e->arg4 = is_return ? 0 : PT_REGS_PARM5(ctx);
	e->arg5 = is_return ? 0 : ARG6(ctx);
	e->ret = is_return ? (__s64)PT_REGS_RC(ctx) : 0;
	e->str[0] = '\0';
	if (str_arg >= 0 &&
	    bpf_probe_read_user_str(e->str, sizeof(e->str), (const void *)str_source(e)) < 0)
		e->str[0] = '\0';
	/* Submit: the consumer sees it from now on. */
	submit_event(ctx, e, sizeof(*e));
	return 0;
}

SEC("uprobe")
int rl_uprobe(struct pt_regs *ctx)
{
	return emit(ctx, false);
}

SEC("uretprobe")
int rl_uretprobe(struct pt_regs *ctx)
{
	return emit(ctx, true);
}
