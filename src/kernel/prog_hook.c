#include "kernel/prog_hook.h"

#include <stdio.h>
#include <string.h>

/* What a kind's target names. */
enum target {
	FUNC_ENTRY,	/* a kernel function, at its entry */
	FUNC_EXIT,	/* at its return */
	TRACEPOINT,	/* a tracepoint, by its name alone */
	CAT_TRACEPOINT,	/* CATEGORY/NAME: the category is left out of the hook */
	SYSCALL_ENTRY,	/* a system call by name: its sys_enter_NAME tracepoint's event */
	SYSCALL_EXIT,
};

struct kind {
	const char *name;	/* the section's kind, before its '/' */
	enum target target;
	int rank;		/* preference among the kinds of one hook, lower first */
};

/* The order libbpf-tools choose in: a BPF trampoline (fentry, fexit) where the kernel
 * has one, BTF-typed tracepoints before raw ones, raw ones before the classic tracepoint
 * (no record built for them), kprobes last (any kernel function, the costliest). */
static const struct kind kinds[] = {
	{ "fentry", FUNC_ENTRY, 0 },	{ "fentry.s", FUNC_ENTRY, 0 },
	{ "fexit", FUNC_EXIT, 0 },	{ "fexit.s", FUNC_EXIT, 0 },
	{ "tp_btf", TRACEPOINT, 1 },
	{ "raw_tp", TRACEPOINT, 2 },	{ "raw_tracepoint", TRACEPOINT, 2 },
	{ "raw_tp.w", TRACEPOINT, 2 },	{ "raw_tracepoint.w", TRACEPOINT, 2 },
	{ "tp", CAT_TRACEPOINT, 3 },	{ "tracepoint", CAT_TRACEPOINT, 3 },
	{ "ksyscall", SYSCALL_ENTRY, 4 }, { "kretsyscall", SYSCALL_EXIT, 4 },
	{ "kprobe", FUNC_ENTRY, 5 },	{ "kretprobe", FUNC_EXIT, 5 },
};

bool rl_section_kind(const char *section, const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(names[i]);

		if (!strncmp(section, names[i], len) &&
		    (section[len] == '\0' || section[len] == '/' || section[len] == '.'))
			return true;
	}
	return false;
}

/* The kind section names exactly (the whole word before its '/'), or NULL. */
static const struct kind *kind_of(const char *section)
{
	const char *slash = strchr(section, '/');

	for (size_t i = 0; slash && i < sizeof(kinds) / sizeof(*kinds); i++)
		if (strlen(kinds[i].name) == (size_t)(slash - section) &&
		    !strncmp(section, kinds[i].name, (size_t)(slash - section)))
			return &kinds[i];
	return NULL;
}

/* The key of target (what follows the kind's '/') for k, into key; -1 when it has none. */
static int make_key(const struct kind *k, const char *target, char *key, size_t size)
{
	static const char *const prefix[] = {
		[FUNC_ENTRY] = "entry:", [FUNC_EXIT] = "exit:", [TRACEPOINT] = "event:",
		[CAT_TRACEPOINT] = "event:", [SYSCALL_ENTRY] = "event:sys_enter_",
		[SYSCALL_EXIT] = "event:sys_exit_",
	};
	int n;

	if (k->target == CAT_TRACEPOINT) {
		const char *slash = strchr(target, '/');

		if (!slash)
			return -1;
		target = slash + 1; /* the name, without its category */
	}
	if (!*target || strchr(target, '/') || strchr(target, '+'))
		return -1;
	n = snprintf(key, size, "%s%s", prefix[k->target], target);
	return n < 0 || (size_t)n >= size ? -1 : 0;
}

int rl_prog_hook(const char *section, char *key, size_t size)
{
	const struct kind *k = kind_of(section);

	if (size)
		key[0] = '\0';
	if (!k || make_key(k, strchr(section, '/') + 1, key, size)) {
		if (size)
			key[0] = '\0';
		return -1;
	}
	return k->rank;
}
