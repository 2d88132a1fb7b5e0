#include "kernel/usdt_probes.h"

#include <errno.h>
#include <fnmatch.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/bpf_obj.h"
#include "kernel/uprobes.h"
#include "sym/usdt_notes.h"

#define PROGRAM "rl_usdt"

/* Copies the len bytes at s into out (size bytes) as a string. Returns false when they
 * are empty or do not fit. */
static bool copy_part(char *out, size_t size, const char *s, size_t len)
{
	if (!len || len >= size)
		return false;
	memcpy(out, s, len);
	out[len] = '\0';
	return true;
}

int rl_usdt_probe_split(const char *probe, struct rl_usdt_probe *u)
{
	const char *path = strchr(probe, ':'), *rest = path ? strchr(path + 1, ':') : NULL;
	const char *colon = rest ? strchr(rest + 1, ':') : NULL;

	if (!rest || !copy_part(u->file, sizeof(u->file), path + 1, (size_t)(rest - path - 1)))
		return -EINVAL;
	if (!colon) {
		strcpy(u->provider, "*");
		return copy_part(u->name, sizeof(u->name), rest + 1, strlen(rest + 1)) ? 0 :
		       -EINVAL;
	}
	if (!copy_part(u->provider, sizeof(u->provider), rest + 1, (size_t)(colon - rest - 1)) ||
	    !copy_part(u->name, sizeof(u->name), colon + 1, strlen(colon + 1)) ||
	    strchr(colon + 1, ':'))
		return -EINVAL;
	return 0;
}

int rl_usdt_probe_matches(const struct rl_usdt_probe *u, const char *provider,
			  const char *name)
{
	return !fnmatch(u->provider, provider, 0) && !fnmatch(u->name, name, 0);
}

/* One probe's attachment: the notes of its file walked, each matching pair attached
 * once (libbpf attaches all of a pair's sites at once). */
struct attaching {
	struct rl_bpf *b;
	const char *probe;	/* as named, for errors */
	const struct rl_usdt_probe *want;
	struct rl_usdt usdt;	/* path, pid and cookie set; provider and name per pair */
	char *done[RL_USDT_ATTACH_MAX][2]; /* the pairs attached, copied */
	size_t nr_done;
	size_t matched;		/* notes that matched */
	bool failed;		/* an attachment failed (and said so) */
};

/* Whether the pair provider:name is among those done. */
static bool already_done(const struct attaching *a, const char *provider, const char *name)
{
	for (size_t i = 0; i < a->nr_done; i++)
		if (!strcmp(a->done[i][0], provider) && !strcmp(a->done[i][1], name))
			return true;
	return false;
}

/* Keeps a copy of the pair provider:name as done. Returns 0 or -ENOMEM. */
static int mark_done(struct attaching *a, const char *provider, const char *name)
{
	char *p = strdup(provider), *n = strdup(name);

	if (!p || !n) {
		free(p);
		free(n);
		return -ENOMEM;
	}
	a->done[a->nr_done][0] = p;
	a->done[a->nr_done][1] = n;
	a->nr_done++;
	return 0;
}

static void forget_done(struct attaching *a)
{
	for (size_t i = 0; i < a->nr_done; i++) {
		free(a->done[i][0]);
		free(a->done[i][1]);
	}
	a->nr_done = 0;
}

/* rl_usdt_notes_read callback: attaches a matching note's pair unless done. Returns 0 or
 * -errno (printed). */
static int attach_note(void *ctx, const struct rl_usdt_note *n)
{
	struct attaching *a = ctx;
	int err = 0;

	if (!rl_usdt_probe_matches(a->want, n->provider, n->name))
		return 0;
	a->matched++;
	if (already_done(a, n->provider, n->name))
		return 0;
	a->usdt.provider = n->provider;
	a->usdt.name = n->name;
	if (a->nr_done == RL_USDT_ATTACH_MAX)
		err = -E2BIG;
	if (!err)
		err = rl_bpf_attach_usdt(a->b, PROGRAM, &a->usdt);
	if (!err)
		err = mark_done(a, n->provider, n->name);
	if (err) {
		fprintf(stderr, "ringlua: %s: cannot attach to %s:%s in %s: %s\n", a->probe,
			n->provider, n->name, a->usdt.path, err == -E2BIG ?
			"more USDT probes than libbpf keeps specs for" : strerror(-err));
		a->failed = true;
	}
	return err;
}

/* Says why the probe attached nothing: its file not read, or no note matched. */
static void report_unattached(const struct attaching *a, int err)
{
	if (err == -ENOENT)
		fprintf(stderr, "ringlua: %s: %s has no USDT probe %s:%s (in .note.stapsdt)\n",
			a->probe, a->usdt.path, a->want->provider, a->want->name);
	else if (err == -ENOEXEC)
		fprintf(stderr, "ringlua: %s: %s: not an ELF file\n", a->probe, a->usdt.path);
	else
		fprintf(stderr, "ringlua: %s: %s: %s\n", a->probe, a->usdt.path, strerror(-err));
}

/* Attaches one probe "usdt:PATH:[PROVIDER:]NAME" with cookie index. Returns 0 or
 * -errno (printed). */
static int attach_one(struct rl_bpf *b, const char *probe, uint64_t index, uint32_t pid)
{
	struct rl_usdt_probe want;
	char path[PATH_MAX] = "";
	struct attaching a = { .b = b, .probe = probe, .want = &want,
			       .usdt = { .path = path, .pid = pid, .cookie = index } };
	int err = rl_usdt_probe_split(probe, &want);

	if (err) {
		fprintf(stderr, "ringlua: %s: a USDT probe is usdt:PATH:[PROVIDER:]NAME\n", probe);
		return err;
	}
	err = rl_uprobe_find(probe, want.file, pid, path, sizeof(path));
	if (err)
		return err;
	err = rl_usdt_notes_read(path, attach_note, &a);
	if (!err && !a.matched)
		err = -ENOENT;
	if (err && !a.failed)
		report_unattached(&a, err);
	forget_done(&a);
	return err;
}

int rl_usdt_attach(struct rl_bpf *b, const char *list, uint32_t pid)
{
	return rl_probe_list_each(list, pid, b, attach_one);
}
