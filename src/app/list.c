#include "app/list.h"

#include <errno.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/sources.h"
#include "kernel/system.h"
#include "kernel/tp_format.h"
#include "kernel/uprobes.h"
#include "sym/sym.h"

struct listing {
	FILE *out;
	char pattern[512];
	int verbose;
	size_t matched;
};

/* The fields of a built-in source's event: the lines of its struct in the cdef. */
static void print_source_fields(FILE *out, const struct rl_source *src)
{
	char head[128];
	const char *at, *end;

	snprintf(head, sizeof(head), "%s {", src->ctype);
	at = strstr(src->cdef, head);
	end = at ? strstr(at, "\n};") : NULL;
	if (!end)
		return;
	for (at = strchr(at, '\n'); at && at < end; at = strchr(at + 1, '\n')) {
		const char *line = at + 1;
		int len = (int)strcspn(line, ";\n");

		while (*line == ' ' || *line == '\t') {
			line++;
			len--;
		}
		if (line < end && len > 0)
			fprintf(out, "    %.*s\n", len, line);
	}
}

static void list_sources(struct listing *l)
{
	size_t n;
	const struct rl_source *src = rl_sources(&n);

	for (size_t i = 0; i < n; i++) {
		char name[128];

		/* A source that needs more to its name (uprobe:PATH:FUNCTION) says what. */
		snprintf(name, sizeof(name), "%s%s%s", src[i].name, src[i].probe_form ? ":" : "",
			 src[i].probe_form ? src[i].probe_form : "");
		if (fnmatch(l->pattern, name, 0) && fnmatch(l->pattern, src[i].name, 0))
			continue;
		l->matched++;
		fprintf(l->out, "%s\n", name);
		if (l->verbose)
			print_source_fields(l->out, &src[i]);
	}
}

/* The fields of a tracepoint as its format declares them (the common ones left out:
 * every record has them). */
static void print_tp_fields(FILE *out, const char *category, const char *name)
{
	struct rl_tp_format f;

	if (rl_tp_format_read(category, name, &f)) {
		fprintf(out, "    (format unreadable)\n");
		return;
	}
	for (size_t i = 0; i < f.nr_fields; i++) {
		const struct rl_tp_field *x = &f.fields[i];

		if (x->common)
			continue;
		if (x->nelems)
			fprintf(out, "    %s %s[%u]\n", x->type, x->name, x->nelems);
		else
			fprintf(out, "    %s %s\n", x->type, x->name);
	}
	rl_tp_format_free(&f);
}

/* rl_tp_each callback: one tracepoint, printed when its full name matches. */
static int list_tracepoint(void *ctx, const char *category, const char *name)
{
	struct listing *l = ctx;
	char full[512];

	snprintf(full, sizeof(full), "%s%s:%s", RL_TP_PREFIX, category, name);
	if (fnmatch(l->pattern, full, 0))
		return 0;
	l->matched++;
	fprintf(l->out, "%s\n", full);
	if (l->verbose)
		print_tp_fields(l->out, category, name);
	return ferror(l->out) ? -EIO : 0;
}

/* One listing of a file's functions. */
struct function_listing {
	FILE *out;
	const char *kind;	/* "uprobe" or "uretprobe" */
	const char *path;	/* resolved */
	const char *glob;	/* of function names */
	const struct rl_source *fields;	/* -v: the source whose record to show; or NULL */
	size_t matched;
};

/* Writes s to out with control characters as \xNN, as the aggregations print them: a
 * function's name comes from a file anyone may have written, where a newline would
 * forge a line and an escape sequence reach the terminal. */
static void put_escaped(FILE *out, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c < 0x20 || c == 0x7f)
			fprintf(out, "\\x%02x", c);
		else
			fputc(c, out);
	}
}

static int list_function(void *ctx, const char *name)
{
	struct function_listing *l = ctx;

	if (fnmatch(l->glob, name, 0) == 0) {
		fprintf(l->out, "%s:", l->kind);
		put_escaped(l->out, l->path);
		fputc(':', l->out);
		put_escaped(l->out, name);
		fputc('\n', l->out);
		if (l->fields)
			print_source_fields(l->out, l->fields);
		l->matched++;
	}
	return 0;
}

/* "uprobe:PATH:GLOB": the functions of PATH, with verbose each one's record fields.
 * Returns 0, -ENOENT or -errno (printed). */
static int list_uprobes(FILE *out, const char *pattern, int verbose)
{
	const char *first = strchr(pattern, ':'), *last = strrchr(pattern, ':');
	char kind[16], file[PATH_MAX], path[PATH_MAX];
	struct function_listing l = { .out = out, .kind = kind, .path = path };
	int err;

	snprintf(kind, sizeof(kind), "%.*s", (int)(first - pattern), pattern);
	snprintf(file, sizeof(file), "%.*s", last > first ? (int)(last - first - 1) :
		 (int)strlen(first + 1), first + 1);
	l.glob = last > first ? last + 1 : "*";
	l.fields = verbose ? rl_source_find(kind) : NULL;
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
	struct listing l = { .out = out, .verbose = verbose };
	bool short_prefix = pattern && !strncmp(pattern, RL_TP_SHORT_PREFIX,
						strlen(RL_TP_SHORT_PREFIX));
	int err;

	if (pattern && (!strncmp(pattern, "uprobe:", 7) || !strncmp(pattern, "uretprobe:", 10)))
		return list_uprobes(out, pattern, verbose);
	if (!pattern)
		pattern = "*";
	else if (short_prefix)
		pattern += strlen(RL_TP_SHORT_PREFIX);
	snprintf(l.pattern, sizeof(l.pattern), "%s%s", short_prefix ? RL_TP_PREFIX : "",
		 pattern);
	list_sources(&l);
	rl_ensure_mounts();
	err = rl_tp_each("*", "*", list_tracepoint, &l);
	if (err == -EACCES || err == -EPERM)
		/* Sources and uprobes need no root; tracefs does. */
		fprintf(stderr, "ringlua: -l: tracepoints not listed: tracefs is readable by root "
				"only\n");
	else if (err) {
		fprintf(stderr, "ringlua: -l: cannot list tracepoints: %s\n", strerror(-err));
		return err;
	}
	if (!l.matched) {
		fprintf(stderr, "ringlua: -l: no probe matches '%s'\n", l.pattern);
		return -ENOENT;
	}
	return fflush(out) ? -EIO : 0;
}
