#include "kernel/btf_cdef.h"

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

/* Whether every type id t refers to is one of btf's cnt types. */
static bool refs_ok(const struct btf_type *t, uint32_t cnt)
{
	int vlen = btf_vlen(t);

	if (btf_is_ptr(t) || btf_is_typedef(t) || btf_is_mod(t) || btf_is_func(t) ||
	    btf_is_var(t) || btf_is_decl_tag(t) || btf_is_type_tag(t))
		return t->type < cnt;
	if (btf_is_array(t))
		return btf_array(t)->type < cnt && btf_array(t)->index_type < cnt;
	for (int i = 0; btf_is_composite(t) && i < vlen; i++)
		if (btf_members(t)[i].type >= cnt)
			return false;
	for (int i = 0; btf_is_func_proto(t) && i < vlen; i++)
		if (btf_params(t)[i].type >= cnt)
			return false;
	for (int i = 0; btf_is_datasec(t) && i < vlen; i++)
		if (btf_var_secinfos(t)[i].type >= cnt)
			return false;
	return !btf_is_func_proto(t) || t->type < cnt;
}

/* The kernel checks BTF thoroughly before it takes it (names, sizes, loops between
 * types); loading a copy asks it. */
static bool kernel_accepts(const struct btf *btf)
{
	uint32_t size;
	const void *raw = btf__raw_data(btf, &size);
	struct btf *copy = raw ? btf__new(raw, size) : NULL;
	bool ok = copy && btf__load_into_kernel(copy) == 0;

	btf__free(copy); /* and the kernel's copy with it */
	return ok;
}

bool rl_btf_valid(const struct btf *btf)
{
	uint32_t cnt = btf__type_cnt(btf);

	for (uint32_t id = 1; id < cnt; id++) {
		const struct btf_type *t = btf__type_by_id(btf, id);

		if (!t || !btf__name_by_offset(btf, t->name_off) || !refs_ok(t, cnt))
			return false;
	}
	return kernel_accepts(btf);
}

int rl_btf_cdef(const struct btf *btf, const uint32_t *ids, size_t n, char **out)
{
	struct text t = { 0 };
	struct btf_dump *d;
	int err;

	/* libbpf's dumper trusts the ids it finds; a hostile object's BTF must not reach it
	 * unchecked. */
	if (!rl_btf_valid(btf))
		return -EINVAL;
	d = btf_dump__new(btf, append_printf, &t, NULL);
	err = d ? reserve(&t, 0) : -errno;

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
