#include "kernel/btf_cdef.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/btf.h>

#include "util/ident.h"

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

/* The i-th type t refers to, into *ref; false past the last. */
static bool nth_ref(const struct btf_type *t, int i, uint32_t *ref)
{
	int vlen = btf_vlen(t);

	if (btf_is_ptr(t) || btf_is_typedef(t) || btf_is_mod(t) || btf_is_func(t) ||
	    btf_is_var(t) || btf_is_decl_tag(t) || btf_is_type_tag(t))
		*ref = t->type;
	else if (btf_is_array(t) && i < 2)
		*ref = i ? btf_array(t)->index_type : btf_array(t)->type;
	else if (btf_is_composite(t) && i < vlen)
		*ref = btf_members(t)[i].type;
	else if (btf_is_func_proto(t) && i <= vlen)
		*ref = i < vlen ? btf_params(t)[i].type : t->type;
	else if (btf_is_datasec(t) && i < vlen)
		*ref = btf_var_secinfos(t)[i].type;
	else
		return false;
	return i == 0 || btf_is_array(t) || btf_is_composite(t) || btf_is_func_proto(t) ||
	       btf_is_datasec(t);
}

/* Whether every type id t refers to is one of btf's cnt types. */
static bool refs_ok(const struct btf_type *t, uint32_t cnt)
{
	uint32_t ref;

	for (int i = 0; nth_ref(t, i, &ref); i++)
		if (ref >= cnt)
			return false;
	return true;
}

/* Whether type id is one a value can have (not a variable, function, section or tag). */
static bool data_kind(const struct btf *btf, uint32_t id)
{
	const struct btf_type *t = id ? btf__type_by_id(btf, id) : NULL;

	return t && (btf_is_int(t) || btf_is_ptr(t) || btf_is_array(t) || btf_is_composite(t) ||
		     btf_is_any_enum(t) || btf_is_fwd(t) || btf_is_typedef(t) || btf_is_mod(t) ||
		     btf_is_float(t) || btf_is_type_tag(t));
}

/* Whether what t refers to is of a kind C allows there: members and elements are values,
 * and pointers, typedefs and qualifiers lead to a value, a function type or void. The
 * dumper follows each without asking. Call after refs_ok. */
static bool ref_kinds_ok(const struct btf *btf, const struct btf_type *t)
{
	const struct btf_type *to;

	if (btf_is_composite(t)) {
		for (int i = 0; i < btf_vlen(t); i++)
			if (!data_kind(btf, btf_members(t)[i].type))
				return false;
		return true;
	}
	if (btf_is_array(t))
		return data_kind(btf, btf_array(t)->type);
	if (!btf_is_ptr(t) && !btf_is_typedef(t) && !btf_is_mod(t) && !btf_is_type_tag(t))
		return true;
	to = t->type ? btf__type_by_id(btf, t->type) : NULL;
	return !to || data_kind(btf, t->type) || btf_is_func_proto(to);
}

/* Whether every member of t (a struct or union) lies inside it: libbpf's dumper pads
 * between members and to the end, a line per 8 bytes, from their offsets and sizes.
 * Call after ref_kinds_ok. */
static bool members_inside(const struct btf *btf, const struct btf_type *t)
{
	for (int i = 0; btf_is_composite(t) && i < btf_vlen(t); i++) {
		uint64_t off = btf_member_bit_offset(t, (uint32_t)i);
		uint64_t bits = btf_member_bitfield_size(t, (uint32_t)i);
		long long size = bits ? 0 : btf__resolve_size(btf, btf_members(t)[i].type);

		if (size < 0)
			return false;
		if (off + (bits ? bits : (uint64_t)size * 8) > (uint64_t)t->size * 8)
			return false;
	}
	return true;
}

/* Whether a base type's size is one a C compiler gives (the kernel checks the same):
 * the dumper computes padding and alignment from them. */
static bool size_sane(const struct btf_type *t)
{
	uint32_t size = t->size;
	bool power = size && (size & (size - 1)) == 0;

	if (btf_is_int(t))
		return power && size <= 16;
	if (btf_is_enum(t) || btf_is_enum64(t))
		return power && size <= 8;
	if (btf_is_float(t))
		return (power && size >= 2 && size <= 16) || size == 12;
	return true;
}

enum { WHITE, GREY, BLACK };

/* Whether btf has a loop of references that passes through no struct or union (a
 * pointer to itself, a typedef of itself): libbpf's dumper would recurse on one until
 * the stack ends. A loop through a struct is how a list is declared, and is fine. The
 * walk keeps its own stack: a hostile chain may be as long as the BTF. */
static bool plain_loop(const struct btf *btf)
{
	uint32_t cnt = btf__type_cnt(btf), ref;
	uint8_t *color = calloc(cnt, 1);
	struct frame { uint32_t id; int next; } *stack = calloc(cnt, sizeof(*stack));
	bool loop = !color || !stack;

	for (uint32_t root = 1; !loop && root < cnt; root++) {
		size_t depth = 0;

		if (color[root])
			continue;
		color[root] = GREY;
		stack[depth++] = (struct frame){ root, 0 };
		while (depth && !loop) {
			struct frame *f = &stack[depth - 1];

			if (!nth_ref(btf__type_by_id(btf, f->id), f->next++, &ref)) {
				color[f->id] = BLACK;
				depth--;
			} else if (ref && !btf_is_composite(btf__type_by_id(btf, ref)) &&
				   color[ref] != BLACK) {
				loop = color[ref] == GREY;
				color[ref] = GREY;
				stack[depth++] = (struct frame){ ref, 0 };
			}
		}
	}
	free(color);
	free(stack);
	return loop;
}

/* The kernel checks BTF thoroughly before it takes it (names, sizes, loops between
 * types); loading a copy asks it. Only a process with CAP_BPF may ask: without it (a
 * replay, by any user) ringlua's own checks are what the walkers rely on: references in
 * range, no loop outside a struct (plain_loop), and the names (rl_btf_printable). */
static bool kernel_accepts(const struct btf *btf)
{
	uint32_t size;
	const void *raw = btf__raw_data(btf, &size);
	struct btf *copy = raw ? btf__new(raw, size) : NULL;
	int err = copy ? btf__load_into_kernel(copy) : -ENOMEM;

	btf__free(copy); /* and the kernel's copy with it */
	return err == 0 || err == -EPERM;
}

bool rl_btf_valid(const struct btf *btf)
{
	uint32_t cnt = btf__type_cnt(btf);

	for (uint32_t id = 1; id < cnt; id++) {
		const struct btf_type *t = btf__type_by_id(btf, id);

		if (!t || !btf__name_by_offset(btf, t->name_off) || !refs_ok(t, cnt) ||
		    !size_sane(t))
			return false;
	}
	/* Kinds and sizes look through references: all must be in range first. */
	for (uint32_t id = 1; id < cnt; id++) {
		const struct btf_type *t = btf__type_by_id(btf, id);

		if (!ref_kinds_ok(btf, t) || !members_inside(btf, t))
			return false;
	}
	return !plain_loop(btf) && kernel_accepts(btf);
}

/* Whether the name at off is an identifier, or "" where allowed. */
static bool name_ok(const struct btf *btf, uint32_t off, bool may_be_empty)
{
	const char *name = btf__name_by_offset(btf, off);

	return name && ((may_be_empty && !*name) || rl_ident_ok(name));
}

/* Whether every name of t (its own, its members', its values', its parameters') is one
 * that may be printed into declarations and decoders. */
static bool type_names_ok(const struct btf *btf, const struct btf_type *t)
{
	const char *name = btf__name_by_offset(btf, t->name_off);
	int vlen = btf_vlen(t);

	if (!name || (btf_is_int(t) || btf_is_float(t) ? !rl_ident_words_ok(name) :
		      *name && !rl_ident_ok(name)))
		return false;
	for (int i = 0; btf_is_composite(t) && i < vlen; i++)
		if (!name_ok(btf, btf_members(t)[i].name_off, true))
			return false;
	for (int i = 0; btf_is_enum(t) && i < vlen; i++)
		if (!name_ok(btf, btf_enum(t)[i].name_off, false))
			return false;
	for (int i = 0; btf_is_enum64(t) && i < vlen; i++)
		if (!name_ok(btf, btf_enum64(t)[i].name_off, false))
			return false;
	for (int i = 0; btf_is_func_proto(t) && i < vlen; i++)
		if (!name_ok(btf, btf_params(t)[i].name_off, true))
			return false;
	return true;
}

bool rl_btf_printable(const struct btf *btf, const uint32_t *ids, size_t n)
{
	uint32_t cnt = btf__type_cnt(btf), ref;
	uint8_t *seen = calloc(cnt, 1);
	uint32_t *todo = calloc(cnt, sizeof(*todo));
	size_t nr_todo = 0;
	uint64_t bytes = 0;
	bool ok = seen && todo;

	for (size_t i = 0; ok && i < n; i++) {
		ok = ids[i] > 0 && ids[i] < cnt;
		if (ok && !seen[ids[i]]) {
			seen[ids[i]] = 1;
			todo[nr_todo++] = ids[i];
		}
	}
	while (ok && nr_todo) {
		const struct btf_type *t = btf__type_by_id(btf, todo[--nr_todo]);

		ok = t && type_names_ok(btf, t);
		if (ok && btf_is_composite(t))
			ok = (bytes += t->size) <= RL_BTF_PRINT_MAX;
		for (int i = 0; ok && nth_ref(t, i, &ref); i++) {
			if (ref >= cnt) {
				ok = false;
			} else if (ref && !seen[ref]) {
				seen[ref] = 1;
				todo[nr_todo++] = ref;
			}
		}
	}
	free(seen);
	free(todo);
	return ok;
}

int rl_btf_cdef(const struct btf *btf, const uint32_t *ids, size_t n, char **out)
{
	struct text t = { 0 };
	struct btf_dump *d;
	int err;

	/* libbpf's dumper trusts the ids it finds; a hostile object's BTF must not reach it
	 * unchecked. */
	if (!rl_btf_valid(btf) || !rl_btf_printable(btf, ids, n))
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
