#include "kernel/named_attach.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "kernel/bpf_obj.h"
#include "kernel/uprobes.h"
#include "kernel/usdt_probes.h"

#define PROG_NAME_MAX 128

/* assignment's program name into prog, and its probe. Returns false when there is no
 * '=' or the name is empty or too long. */
static bool split(const char *assignment, char *prog, const char **probe)
{
	const char *eq = strchr(assignment, '=');

	if (!eq || eq == assignment || eq - assignment >= PROG_NAME_MAX)
		return false;
	snprintf(prog, PROG_NAME_MAX, "%.*s", (int)(eq - assignment), assignment);
	*probe = eq + 1;
	return true;
}

/* Whether probe is KIND:PATH:FUNCTION for kind uprobe or uretprobe. */
static bool uprobe_form(const char *probe)
{
	const char *first = strchr(probe, ':'), *last = strrchr(probe, ':');

	return first && last > first + 1 && last[1] &&
	       (!strncmp(probe, "uprobe:", 7) || !strncmp(probe, "uretprobe:", 10));
}

/* Whether probe is usdt:PATH:PROVIDER:NAME, without globs: one probe. */
static bool usdt_form(const char *probe, struct rl_usdt_probe *u)
{
	return !strncmp(probe, "usdt:", 5) && rl_usdt_probe_split(probe, u) == 0 &&
	       strcmp(u->provider, "*") && !strpbrk(u->provider, "*?[") &&
	       !strpbrk(u->name, "*?[");
}

const char *rl_named_attach_check(const char *assignment)
{
	char prog[PROG_NAME_MAX];
	const char *probe;
	struct rl_usdt_probe u;

	if (!split(assignment, prog, &probe))
		return "expected PROG=PROBE";
	if (!uprobe_form(probe) && !usdt_form(probe, &u))
		return "PROBE is uprobe:PATH:FUNCTION, uretprobe:PATH:FUNCTION or "
		       "usdt:PATH:PROVIDER:NAME";
	return NULL;
}

int rl_named_attach_hold(struct rl_bpf *b, const char *assignment)
{
	char prog[PROG_NAME_MAX];
	const char *probe;
	int err = split(assignment, prog, &probe) ? rl_bpf_attach_later(b, prog) : -EINVAL;

	if (err)
		fprintf(stderr, "ringlua: --attach %s: the object has no program %s\n",
			assignment, prog);
	return err;
}

/* The file name of probe that prog is attached to, into path (said why when none). */
static int find_file(const char *prog, const char *probe, const char *name, uint32_t pid,
		     char *path, size_t size)
{
	char what[PROG_NAME_MAX + PATH_MAX];

	snprintf(what, sizeof(what), "--attach %s=%s", prog, probe);
	return rl_uprobe_find(what, name, pid, path, size);
}

/* A uprobe or uretprobe at PATH:FUNCTION. */
static int attach_uprobe(struct rl_bpf *b, const char *prog, const char *probe, uint32_t pid)
{
	const char *first = strchr(probe, ':'), *last = strrchr(probe, ':');
	char file[PATH_MAX], path[PATH_MAX];
	struct rl_uprobe u = { .path = path, .func = last + 1, .pid = pid,
			       .ret = !strncmp(probe, "uretprobe:", 10) };
	int err;

	snprintf(file, sizeof(file), "%.*s", (int)(last - first - 1), first + 1);
	err = find_file(prog, probe, file, pid, path, sizeof(path));
	if (err)
		return err;
	err = rl_bpf_attach_uprobe(b, prog, &u);
	if (err)
		fprintf(stderr, "ringlua: --attach %s=%s: cannot attach to %s in %s: %s\n", prog,
			probe, u.func, path, err == -ENOENT ? "no such function" : strerror(-err));
	return err;
}

/* A USDT probe PROVIDER:NAME of PATH. */
static int attach_usdt(struct rl_bpf *b, const char *prog, const char *probe, uint32_t pid)
{
	struct rl_usdt_probe want;
	char path[PATH_MAX];
	int err;

	rl_usdt_probe_split(probe, &want);
	err = find_file(prog, probe, want.file, pid, path, sizeof(path));
	if (err)
		return err;
	err = rl_bpf_attach_usdt(b, prog, &(struct rl_usdt){ .path = path,
		.provider = want.provider, .name = want.name, .pid = pid });
	if (err)
		fprintf(stderr, "ringlua: --attach %s=%s: cannot attach: %s\n", prog, probe,
			err == -ENOENT ? "no such USDT probe in the file" : strerror(-err));
	return err;
}

int rl_named_attach(struct rl_bpf *b, const char *assignment, uint32_t pid)
{
	char prog[PROG_NAME_MAX];
	const char *probe;

	if (!split(assignment, prog, &probe))
		return -EINVAL;
	if (!strncmp(probe, "usdt:", 5))
		return attach_usdt(b, prog, probe, pid);
	return attach_uprobe(b, prog, probe, pid);
}
