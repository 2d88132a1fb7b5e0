#include "btf_cdef.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/btf.h>

/* Where btf_dump's output accumulates; `failed` remembers an allocation that failed,
 * since the printf callback cannot report one. */
struct text {
	char *buf;
	size_t len;
	size_t cap;
	int failed;
};

static int reserve(struct text *t, size_t more)
{
	size_t cap = t->cap ? t->cap : 1024;
	char *buf;

	while (cap < t->len + more + 1)
		cap *= 2;
	if (cap == t->cap)
		return 0;
	buf = realloc(t->buf, cap);
	if (!buf)
		return -ENOMEM;
	t->buf = buf;
	t->cap = cap;
	return 0;
}

static void append_printf(void *ctx, const char *fmt, va_list args)
{
	struct text *t = ctx;
	va_list again;
	int n;

	va_copy(again, args);
	n = vsnprintf(NULL, 0, fmt, args);
	if (n < 0 || reserve(t, (size_t)n)) {
		t->failed = -ENOMEM;
	} else {
		vsnprintf(t->buf + t->len, (size_t)n + 1, fmt, again);
		t->len += (size_t)n;
	}
	va_end(again);
}

/* A struct, else a union, called name; its id or -ENOENT. */
static int find_aggregate(const struct btf *btf, const char *name, const char **kind)
{
	int id = btf__find_by_name_kind(btf, name, BTF_KIND_STRUCT);

	*kind = "struct";
	if (id > 0)
		return id;
	*kind = "union";
	id = btf__find_by_name_kind(btf, name, BTF_KIND_UNION);
	return id > 0 ? id : -ENOENT;
}

int rl_btf_record_type(const struct btf *btf, const char *map, const char *named,
		       bool only_ring, char *ctype, size_t len)
{
	char conventional[256];
	const char *kind, *name;
	int id;

	if (named) {
		name = strncmp(named, "struct ", 7) == 0 ? named + 7 :
		       strncmp(named, "union ", 6) == 0 ? named + 6 : named;
		id = find_aggregate(btf, name, &kind);
	} else {
		snprintf(conventional, sizeof(conventional), "%s_event", map);
		name = conventional;
		id = find_aggregate(btf, name, &kind);
		if (id < 0 && only_ring) {
			name = "event";
			id = find_aggregate(btf, name, &kind);
		}
	}
	if (id > 0)
		snprintf(ctype, len, "%s %s", kind, name);
	return id;
}

int rl_btf_cdef(const struct btf *btf, const uint32_t *ids, size_t n, char **out)
{
	struct text t = { 0 };
	struct btf_dump *d = btf_dump__new(btf, append_printf, &t, NULL);
	int err = d ? reserve(&t, 0) : -errno;

	/* The dumper remembers what it emitted: a type shared by two records comes once. */
	for (size_t i = 0; !err && i < n; i++)
		err = btf_dump__dump_type(d, ids[i]);
	if (!err)
		err = t.failed;
	btf_dump__free(d);
	if (err) {
		free(t.buf);
		return err;
	}
	t.buf[t.len] = '\0';
	*out = t.buf;
	return 0;
}
