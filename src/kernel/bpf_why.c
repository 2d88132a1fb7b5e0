#include "kernel/bpf_why.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "kernel/prog_hook.h"
#include "kernel/system.h"

static const char *const KPROBE_KINDS[] = { "kprobe", "kretprobe", "ksyscall", "kretsyscall" };
/* Sections that may name their target, or leave it to the loader (SEC("uretprobe")). */
static const char *const NO_TARGET_KINDS[] = { "uprobe", "uretprobe", "usdt" };
static const char *const TRAMPOLINE_KINDS[] = { "fentry", "fexit", "fmod_ret", "lsm",
						 "freplace" };
/* Kinds whose target is a kernel function in BTF (through a trampoline). */
static const char *const BTF_FUNC_KINDS[] = { "fentry", "fexit", "fmod_ret" };
/* Kinds whose target is a tracepoint by name alone, found in BTF as btf_trace_NAME. */
static const char *const RAW_TP_KINDS[] = { "tp_btf", "raw_tp", "raw_tracepoint" };
static const char *const TP_KINDS[] = { "tp", "tracepoint" };
#define NKINDS(kinds) (sizeof(kinds) / sizeof(*(kinds)))
/* The prefix of the typedef BTF has for every tracepoint (its raw arguments). */
#define BTF_TRACE_PREFIX "btf_trace_"

bool rl_bpf_is_trampoline(const char *section)
{
	return rl_section_kind(section, TRAMPOLINE_KINDS, NKINDS(TRAMPOLINE_KINDS));
}

bool rl_bpf_tracepoint_exists(const char *category_name)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/events/%s", RL_TRACEFS_DIR, category_name);
	return access(path, F_OK) == 0;
}

/* Whether the kernel's BTF has a type of kind named prefix+name; -1 when the kernel has
 * no BTF to look in. */
static int kernel_btf_has(const char *prefix, const char *name, int kind)
{
	struct btf *btf = btf__load_vmlinux_btf();
	char full[256];
	int found;

	if (!btf)
		return -1;
	snprintf(full, sizeof(full), "%s%s", prefix, name);
	found = btf__find_by_name_kind(btf, full, kind) > 0;
	btf__free(btf);
	return found;
}

/* What the kernel lacks for a program of section whose target is target (after the
 * kind's '/'), into buf; NULL when nothing is known to be missing. */
static const char *kernel_lacks(const char *section, const char *target, char *buf, size_t size)
{
	int has;

	if (rl_section_kind(section, KPROBE_KINDS, NKINDS(KPROBE_KINDS)))
		return access(RL_TRACEFS_DIR "/kprobe_events", F_OK) ?
		       "this kernel has no kprobes (tracefs has no kprobe_events)" : NULL;
	if (target && rl_section_kind(section, TP_KINDS, NKINDS(TP_KINDS))) {
		if (rl_bpf_tracepoint_exists(target))
			return NULL;
		snprintf(buf, size, "this kernel has no tracepoint %s (not in %s/events)",
			 target, RL_TRACEFS_DIR);
		return buf;
	}
	if (target && rl_section_kind(section, RAW_TP_KINDS, NKINDS(RAW_TP_KINDS))) {
		has = kernel_btf_has(BTF_TRACE_PREFIX, target, BTF_KIND_TYPEDEF);
		if (has)
			return has < 0 ? "this kernel has no BTF (/sys/kernel/btf/vmlinux)" : NULL;
		snprintf(buf, size, "this kernel has no tracepoint %s (its BTF has no %s%s)",
			 target, BTF_TRACE_PREFIX, target);
		return buf;
	}
	if (!target || !rl_section_kind(section, BTF_FUNC_KINDS, NKINDS(BTF_FUNC_KINDS)))
		return rl_bpf_is_trampoline(section) ? "the kernel refused a program attached "
		       "through a BPF trampoline" : NULL;
	has = kernel_btf_has("", target, BTF_KIND_FUNC);
	if (has > 0)
		return "the kernel refused a program attached through a BPF trampoline "
		       "(fentry, fexit, fmod_ret)";
	if (has < 0)
		return "this kernel has no BTF (/sys/kernel/btf/vmlinux)";
	snprintf(buf, size, "the kernel's BTF has no function %s", target);
	return buf;
}

const char *rl_bpf_why(const struct bpf_program *prog, int err, char *buf, size_t size)
{
	const char *section = bpf_program__section_name(prog);
	const char *slash = strchr(section, '/');
	char lack_buf[256];
	const char *lack;

	if (rl_section_kind(section, NO_TARGET_KINDS, NKINDS(NO_TARGET_KINDS)) && !slash)
		return "its section names no target: name one with --attach PROG=PROBE "
		       "(uprobe:PATH:FUNCTION, uretprobe:PATH:FUNCTION or usdt:PATH:PROVIDER:NAME)";
	if (err == -EOPNOTSUPP)
		return "ringlua does not know how to attach this section (it is attached by "
		       "a loader that runs it)";
	if (err == -EDESTADDRREQ && bpf_program__type(prog) == BPF_PROG_TYPE_PERF_EVENT)
		return "it samples the CPUs, and no frequency is given (--hz N, or a global "
		       "`const volatile __u32 sample_hz = N;`)";
	lack = kernel_lacks(section, slash ? slash + 1 : NULL, lack_buf, sizeof(lack_buf));
	snprintf(buf, size, "%s%s%s", strerror(-err), lack ? ": " : "", lack ? lack : "");
	return buf;
}
