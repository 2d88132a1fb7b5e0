/* Built-in source `profile`: a sample of each CPU on a software clock. ringlua opens the
 * clock's perf events (one per online CPU) and attaches this program to each. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "profile.h"
#include "source.bpf.h"

RECORD_TYPE(struct profile_event, profile_event);

/* Whether the sampled registers are user space's: the privilege level the CPU was at. */
static __always_inline __u8 in_user_mode(const bpf_user_pt_regs_t *regs)
{
#if defined(__TARGET_ARCH_x86)
	/* The low 2 bits of cs are the privilege level. cs is a u64 in older kernels and a
	 * u16 in a u64 union in newer ones; the context only allows whole-u64 loads, and
	 * volatile keeps the compiler from narrowing this one. */
	const volatile __u64 *cs = (const void *)regs + __builtin_offsetof(struct pt_regs, cs);

	return (*cs & 3) == 3;
#elif defined(__TARGET_ARCH_arm64)
	return (regs->pstate & 0xf) == 0; /* PSR_MODE_EL0t */
#else
#error "profile: user mode test missing for this architecture"
#endif
}

SEC("perf_event")
int on_sample(struct bpf_perf_event_data *ctx)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 tgid = pid_tgid >> 32;
	struct profile_event *e;

	if (!traced(tgid))
		return 0;
	/* Reserve the record in the ring; a full ring counts a drop. */
	e = reserve_event(sizeof(*e));
	if (!e)
		return 0;
	/* Fill it: the current task is the one the clock interrupted. */
	__builtin_memset(e, 0, sizeof(*e));
	e->ts_ns = event_time();
	e->cpu = bpf_get_smp_processor_id();
	e->pid = tgid;
	e->tid = (__u32)pid_tgid;
	e->uid = (__u32)bpf_get_current_uid_gid();
	e->user_mode = in_user_mode(&ctx->regs);
	RECORD_COMM(e->comm);
	/* Submit: the consumer sees it from now on. */
	submit_event(ctx, e, sizeof(*e));
	return 0;
}
