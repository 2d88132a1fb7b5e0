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
#include "kernel/usdt_probes.h"
#include "sym/usdt_notes.h"
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

/* The file that name in pattern (-l PATTERN) names, into path: said why when none. */
static int find_file(const char *pattern, const char *name, char *path, size_t size)
{
	char what[PATH_MAX + 8];

	snprintf(what, sizeof(what), "-l %s", pattern);
	return rl_uprobe_find(what, name, 0, path, size);
}

/* Says why path of pattern could not be read when err (from reading it) says it failed.
 * Returns err. */
static int read_failed(const char *pattern, const char *path, int err)
{
	if (err)
		fprintf(stderr, "ringlua: -l %s: %s: %s\n", pattern, path,
			err == -ENOEXEC ? "not an ELF file" : strerror(-err));
	return err;
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
	err = find_file(pattern, file, path, sizeof(path));
	if (!err)
		err = read_failed(pattern, path, rl_sym_functions(path, list_function, &l));
	if (err)
		return err;
	if (!l.matched)
		fprintf(stderr, "ringlua: -l %s: no function of %s matches\n", pattern, path);
	return l.matched ? 0 : -ENOENT;
}

/* One listing of a file's USDT probes. */
struct usdt_listing {
	FILE *out;
	const char *path;	/* resolved */
	struct rl_usdt_probe want;
	int verbose;
	char last[2][256];	/* the pair last printed: a probe's sites follow each other */
	size_t matched;
};

/* The type an argument spec's size gives ("-4@..." is s32, "8@..." u64), or "?". */
static const char *spec_type(const char *spec)
{
	static const char *const types[2][9] = {
		{ "?", "u8", "u16", "?", "u32", "?", "?", "?", "u64" },
		{ "?", "s8", "s16", "?", "s32", "?", "?", "?", "s64" },
	};
	bool is_signed = spec[0] == '-';
	const char *size = spec + is_signed;

	if (size[0] < '1' || size[0] > '8' || size[1] != '@')
		return "?";
	return types[is_signed][size[0] - '0'];
}

/* The arguments of a site as its note gives them, one a line: "arg0: s64 -8@%rax". The
 * string is split at spaces for reading only: libbpf parses it when it attaches. */
static void print_usdt_args(FILE *out, const char *args)
{
	unsigned int n = 0;

	for (const char *at = args; *at; ) {
		size_t len = strcspn(at, " ");

		if (len) {
			char arg[256];

			snprintf(arg, sizeof(arg), "%.*s", (int)len, at);
			fprintf(out, "    arg%u: %s ", n++, spec_type(arg));
			put_escaped(out, arg);
			fputc('\n', out);
		}
		at += len + (at[len] == ' ');
	}
	if (!n)
		fprintf(out, "    (no arguments)\n");
}

/* rl_usdt_notes_read callback: a matching site, its probe named once; with verbose each
 * site's arguments. */
static int list_usdt_note(void *ctx, const struct rl_usdt_note *n)
{
	struct usdt_listing *l = ctx;
	bool same = !strcmp(l->last[0], n->provider) && !strcmp(l->last[1], n->name);

	if (!rl_usdt_probe_matches(&l->want, n->provider, n->name))
		return 0;
	if (!same) {
		fputs("usdt:", l->out);
		put_escaped(l->out, l->path);
		fputc(':', l->out);
		put_escaped(l->out, n->provider);
		fputc(':', l->out);
		put_escaped(l->out, n->name);
		fputc('\n', l->out);
		snprintf(l->last[0], sizeof(l->last[0]), "%s", n->provider);
		snprintf(l->last[1], sizeof(l->last[1]), "%s", n->name);
		l->matched++;
	}
	if (l->verbose) {
		fprintf(l->out, "  site 0x%llx%s\n", (unsigned long long)n->pc,
			n->semaphore ? " (with a semaphore)" : "");
		print_usdt_args(l->out, n->args);
	}
	return ferror(l->out) ? -EIO : 0;
}

/* "usdt:PATH:[PROVIDER:]GLOB" (or "usdt:PATH"): the USDT probes of PATH, with verbose
 * each site's arguments. Returns 0, -ENOENT or -errno (printed). */
static int list_usdt(FILE *out, const char *pattern, int verbose)
{
	char probe[PATH_MAX + 16], path[PATH_MAX];
	struct usdt_listing l = { .out = out, .path = path, .verbose = verbose };
	int err;

	/* "usdt:PATH" lists them all. */
	snprintf(probe, sizeof(probe), "%s%s", pattern, strchr(pattern + 5, ':') ? "" : ":*");
	err = rl_usdt_probe_split(probe, &l.want);
	if (err) {
		fprintf(stderr, "ringlua: -l %s: a USDT probe is usdt:PATH:[PROVIDER:]NAME\n",
			pattern);
		return err;
	}
	err = find_file(pattern, l.want.file, path, sizeof(path));
	if (!err)
		err = read_failed(pattern, path, rl_usdt_notes_read(path, list_usdt_note, &l));
	if (err)
		return err;
	if (!l.matched)
		fprintf(stderr, "ringlua: -l %s: no USDT probe of %s matches\n", pattern, path);
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
	if (pattern && !strncmp(pattern, "usdt:", 5))
		return list_usdt(out, pattern, verbose);
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
