#include "app/list.h"

#include <errno.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "kernel/sources.h"
#include "kernel/uprobes.h"
#include "sym/sym.h"

/* One listing of a file's functions. */
struct function_listing {
	FILE *out;
	const char *kind;	/* "uprobe" or "uretprobe" */
	const char *path;	/* resolved */
	const char *glob;	/* of function names */
	size_t matched;
};

static int list_function(void *ctx, const char *name)
{
	struct function_listing *l = ctx;

	if (fnmatch(l->glob, name, 0) == 0) {
		fprintf(l->out, "%s:%s:%s\n", l->kind, l->path, name);
		l->matched++;
	}
	return 0;
}

/* "uprobe:PATH:GLOB": the functions of PATH. Returns 0, -ENOENT or -errno (printed). */
static int list_uprobes(FILE *out, const char *pattern)
{
	const char *first = strchr(pattern, ':'), *last = strrchr(pattern, ':');
	char kind[16], file[PATH_MAX], path[PATH_MAX];
	struct function_listing l = { .out = out, .kind = kind, .path = path };
	int err;

	snprintf(kind, sizeof(kind), "%.*s", (int)(first - pattern), pattern);
	snprintf(file, sizeof(file), "%.*s", last > first ? (int)(last - first - 1) :
		 (int)strlen(first + 1), first + 1);
	l.glob = last > first ? last + 1 : "*";
	err = rl_uprobe_path(file, path, sizeof(path));
	if (!err)
		err = rl_sym_functions(path, list_function, &l);
	if (err) {
		fprintf(stderr, "ringlua: -l %s: %s: %s\n", pattern, file, err == -ENOEXEC ?
			"not an ELF file" : err == -ENOENT ? "no such file, library (ldconfig -p) "
			"or program ($PATH)" : strerror(-err));
		return err;
	}
	if (!l.matched)
		fprintf(stderr, "ringlua: -l %s: no function of %s matches\n", pattern, path);
	return l.matched ? 0 : -ENOENT;
}

int rl_list_probes(FILE *out, const char *pattern, int verbose)
{
	size_t n, matched = 0;
	const struct rl_source *src = rl_sources(&n);

	(void)verbose;
	if (pattern && (!strncmp(pattern, "uprobe:", 7) || !strncmp(pattern, "uretprobe:", 10)))
		return list_uprobes(out, pattern);
	for (size_t i = 0; i < n; i++) {
		char name[128];

		snprintf(name, sizeof(name), "%s%s%s", src[i].name, src[i].probe_form ? ":" : "",
			 src[i].probe_form ? src[i].probe_form : "");
		if (!pattern || fnmatch(pattern, name, 0) == 0 ||
		    fnmatch(pattern, src[i].name, 0) == 0) {
			fprintf(out, "%s\n", name);
			matched++;
		}
	}
	if (!matched)
		fprintf(stderr, "ringlua: -l %s: no probe matches\n", pattern);
	return matched ? 0 : -ENOENT;
}
