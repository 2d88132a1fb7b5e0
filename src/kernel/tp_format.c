#include "kernel/tp_format.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kernel/system.h"

/* A format file is a few kilobytes; this bounds a hostile or broken one. */
#define FORMAT_MAX (64 << 10)

bool rl_tp_is_probe(const char *s)
{
	return !strncmp(s, RL_TP_PREFIX, strlen(RL_TP_PREFIX)) ||
	       !strncmp(s, RL_TP_SHORT_PREFIX, strlen(RL_TP_SHORT_PREFIX));
}

int rl_tp_split(const char *spec, char *category, size_t cat_len, char *name,
		size_t name_len)
{
	const char *rest, *colon;
	size_t len;

	if (!rl_tp_is_probe(spec))
		return -EINVAL;
	rest = strchr(spec, ':') + 1;
	colon = strchr(rest, ':');
	if (!colon || colon == rest || !colon[1] || strchr(colon + 1, ':'))
		return -EINVAL;
	len = (size_t)(colon - rest);
	if (len >= cat_len || strlen(colon + 1) >= name_len)
		return -EINVAL;
	memcpy(category, rest, len);
	category[len] = '\0';
	strcpy(name, colon + 1);
	return 0;
}

/* The unsigned number after `key` in line ("offset:24;"), or -1. */
static long number_after(const char *line, const char *key)
{
	const char *at = strstr(line, key);
	char *end;
	long v;

	if (!at)
		return -1;
	errno = 0;
	v = strtol(at + strlen(key), &end, 10);
	return errno || end == at + strlen(key) || v < 0 ? -1 : v;
}

/* Splits a declaration ("const char * filename", "char prev_comm[16]",
 * "__data_loc char[] name") into the field's type, name and array length. Returns 0,
 * -EINVAL or -ENOMEM. */
static int parse_decl(char *decl, struct rl_tp_field *f)
{
	size_t len = strlen(decl);
	char *name, *bracket = NULL;

	while (len && isspace((unsigned char)decl[len - 1]))
		decl[--len] = '\0';
	if (len && decl[len - 1] == ']') {
		bracket = strrchr(decl, '[');
		if (!bracket)
			return -EINVAL;
		f->nelems = (uint32_t)strtoul(bracket + 1, NULL, 10);
		*bracket = '\0';
		len = (size_t)(bracket - decl);
	}
	name = decl + len;
	while (name > decl && (isalnum((unsigned char)name[-1]) || name[-1] == '_'))
		name--;
	if (!*name || name == decl)
		return -EINVAL;
	f->name = strdup(name);
	while (name > decl && isspace((unsigned char)name[-1]))
		name--;
	*name = '\0';
	f->type = strdup(decl);
	return f->name && f->type ? 0 : -ENOMEM;
}

/* Parses one "field:DECL;\toffset:N;\tsize:N;\tsigned:N;" line into f. */
static int parse_field(const char *line, struct rl_tp_field *f)
{
	const char *decl = strstr(line, "field:");
	const char *semi = decl ? strchr(decl, ';') : NULL;
	long offset = number_after(line, "offset:"), size = number_after(line, "size:");
	long is_signed = number_after(line, "signed:");
	char buf[256];

	if (!semi || offset < 0 || size <= 0 || offset > UINT16_MAX || size > UINT16_MAX ||
	    (size_t)(semi - decl) >= sizeof(buf))
		return -EINVAL;
	decl += strlen("field:");
	memcpy(buf, decl, (size_t)(semi - decl));
	buf[semi - decl] = '\0';
	*f = (struct rl_tp_field){ .offset = (uint32_t)offset, .size = (uint32_t)size,
				   .is_signed = is_signed == 1 };
	if (parse_decl(buf, f))
		return -EINVAL;
	f->common = !strncmp(f->name, "common_", 7);
	return 0;
}

int rl_tp_format_parse(const char *text, struct rl_tp_format *out)
{
	const char *line = strstr(text, "\nformat:");
	int err = 0;

	*out = (struct rl_tp_format){ 0 };
	if (!line)
		return -EINVAL;
	for (line = strchr(line + 1, '\n'); !err && line; line = strchr(line + 1, '\n')) {
		const char *start = line + 1;
		struct rl_tp_field *fields;

		while (*start == ' ' || *start == '\t')
			start++;
		if (!strncmp(start, "print fmt:", 10))
			break;
		if (strncmp(start, "field:", 6))
			continue;
		fields = realloc(out->fields, (out->nr_fields + 1) * sizeof(*fields));
		if (!fields) {
			err = -ENOMEM;
			break;
		}
		out->fields = fields;
		err = parse_field(start, &fields[out->nr_fields]);
		if (!err)
			out->nr_fields++;
	}
	if (!err && !out->nr_fields)
		err = -EINVAL;
	if (err)
		rl_tp_format_free(out);
	return err;
}

/* Reads the whole (small) file path into a malloc'd string. Returns 0 or -errno. */
static int read_text(const char *path, char **out)
{
	FILE *f = fopen(path, "re");
	char *buf = f ? malloc(FORMAT_MAX + 1) : NULL;
	size_t n = buf ? fread(buf, 1, FORMAT_MAX, f) : 0;
	int err = 0;

	if (!f)
		err = -errno;
	else if (!buf)
		err = -ENOMEM;
	else if (ferror(f))
		err = -EIO;

	if (f)
		fclose(f);
	if (err) {
		free(buf);
		return err;
	}
	buf[n] = '\0';
	*out = buf;
	return 0;
}

/* Whether a category or tracepoint name can be a path component of tracefs. */
static bool plain_name(const char *s)
{
	return *s && !strchr(s, '/') && strcmp(s, ".") && strcmp(s, "..");
}

int rl_tp_format_read(const char *category, const char *name, struct rl_tp_format *out)
{
	char path[PATH_MAX];
	char *text = NULL;
	int err;

	*out = (struct rl_tp_format){ 0 };
	if (!plain_name(category) || !plain_name(name))
		return -ENOENT;
	snprintf(path, sizeof(path), "%s/events/%s/%s/format", RL_TRACEFS_DIR, category, name);
	err = read_text(path, &text);
	if (!err)
		err = rl_tp_format_parse(text, out);
	free(text);
	return err;
}

void rl_tp_format_free(struct rl_tp_format *f)
{
	for (size_t i = 0; f->fields && i < f->nr_fields; i++) {
		free(f->fields[i].name);
		free(f->fields[i].type);
	}
	free(f->fields);
	*f = (struct rl_tp_format){ 0 };
}

/* scandir filter: entries that are not "." or "..". */
static int not_dot(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

/* Calls fn for every tracepoint of category matching name_glob. */
static int each_in_category(const char *category, const char *name_glob,
			    int (*fn)(void *, const char *, const char *), void *ctx)
{
	char dir[PATH_MAX], format[PATH_MAX + 300];
	struct dirent **names = NULL;
	int n, err = 0;

	snprintf(dir, sizeof(dir), "%s/events/%s", RL_TRACEFS_DIR, category);
	n = scandir(dir, &names, not_dot, alphasort);
	for (int i = 0; i < n; i++) {
		snprintf(format, sizeof(format), "%s/%s/format", dir, names[i]->d_name);
		if (!err && !fnmatch(name_glob, names[i]->d_name, 0) && !access(format, F_OK))
			err = fn(ctx, category, names[i]->d_name);
		free(names[i]);
	}
	free(names);
	return err;
}

int rl_tp_each(const char *cat_glob, const char *name_glob,
	       int (*fn)(void *ctx, const char *category, const char *name), void *ctx)
{
	char dir[PATH_MAX];
	struct dirent **cats = NULL;
	int n, err = 0;

	snprintf(dir, sizeof(dir), "%s/events", RL_TRACEFS_DIR);
	n = scandir(dir, &cats, not_dot, alphasort);
	if (n < 0)
		return -errno;
	for (int i = 0; i < n; i++) {
		if (!err && !fnmatch(cat_glob, cats[i]->d_name, 0))
			err = each_in_category(cats[i]->d_name, name_glob, fn, ctx);
		free(cats[i]);
	}
	free(cats);
	return err;
}
