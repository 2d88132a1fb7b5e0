/* The usdt source's attachments: each probe of a list
 * ("usdt:/usr/bin/python3.11:python:audit,usdt:libc:memory_*") resolved to a file as a
 * uprobe's PATH is, its notes matched against the probe's globs, and each matching
 * PROVIDER:NAME attached by libbpf's USDT support. */
#ifndef RINGLUA_USDT_PROBES_H
#define RINGLUA_USDT_PROBES_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

struct rl_bpf;

/* The most distinct PROVIDER:NAME pairs one run attaches: libbpf keeps each site's
 * argument specs in a map of this many entries (usdt.bpf.h's BPF_USDT_MAX_SPEC_CNT). */
#define RL_USDT_ATTACH_MAX 256

/* A probe name "usdt:PATH:[PROVIDER:]NAME", split. */
struct rl_usdt_probe {
	char file[PATH_MAX];	/* PATH as named (rl_uprobe_path resolves it) */
	char provider[256];	/* a glob: "*" when the name leaves it out */
	char name[256];		/* a glob */
};

/* Splits probe into u. Returns 0, or -EINVAL when it is not usdt:PATH:[PROVIDER:]NAME
 * with PATH, PROVIDER and NAME not empty (or too long). */
int rl_usdt_probe_split(const char *probe, struct rl_usdt_probe *u);

/* Whether a note's provider and name match u's globs. */
int rl_usdt_probe_matches(const struct rl_usdt_probe *u, const char *provider,
			  const char *name);

/* Attaches the usdt object b's program to every probe of list (checked by
 * rl_probe_parse), the i-th with USDT cookie i, in process pid only (0: every process).
 * Returns 0 or -errno (printed, naming the probe). */
int rl_usdt_attach(struct rl_bpf *b, const char *list, uint32_t pid);

#endif
