#include "kernel/btf_cdef.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>

#include "util/ident.h"

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
 * types); loading it asks it. Only a process with CAP_BPF may ask: without it (a
 * replay, by any user) ringlua's own checks are what the walkers rely on: references in
 * range, no loop outside a struct (plain_loop), and the names (rl_btf_printable).
 * bpf_btf_load, not btf__load_into_kernel: after any refusal, EPERM too, that one
 * loads again with a 16 MB log buffer it allocates and clears, for reasons that are not
 * wanted here; every replay by a user without CAP_BPF paid for it. */
static bool kernel_accepts(const struct btf *btf)
{
	uint32_t size;
	const void *raw = btf__raw_data(btf, &size);
	int fd = raw ? bpf_btf_load(raw, size, NULL) : -ENOMEM;

	if (fd >= 0)
		close(fd); /* and the kernel's copy with it */
	return fd >= 0 || fd == -EPERM;
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

/* The C declarations are written here rather than by libbpf's btf_dump, whose output is
 * for C compilers: LuaJIT's parser refuses its padding (`long: 64;`, `long: 0;`),
 * `typedef _Bool bool`, `__int128` and 64-bit enumerators, and would silently lay out
 * a 1-byte enum or an `aligned` member differently. Each struct is written with explicit
 * byte padding computed against LuaJIT's layout rules, so every member lands at the
 * offset the BTF gives, and the struct has the BTF's size. */

/* Types LuaJIT (or ringlua's init.lua) already defines: a typedef of one of these names
 * is not declared again; its uses name the type it stands for. */
static const char *const predefined[] = {
	"bool", "_Bool", "int8_t", "int16_t", "int32_t", "int64_t", "uint8_t", "uint16_t",
	"uint32_t", "uint64_t", "intptr_t", "uintptr_t", "ptrdiff_t", "size_t", "ssize_t",
	"wchar_t", "va_list", "__u8", "__s8", "__u16", "__s16", "__u32", "__s32", "__u64",
	"__s64",
};

/* 128-bit integers, which LuaJIT lacks: 16 aligned bytes, read as two halves. */
#define INT128_CDEF "typedef struct { uint64_t lo, hi; } __attribute__((aligned(16))) " \
		    "rl_uint128_t;\ntypedef rl_uint128_t rl_int128_t;\n"

enum { UNSEEN, DEFINING, DEFINED };

struct emit {
	const struct btf *btf;
	FILE *fwd;		/* forward declarations: `struct x;`, pointers need only these */
	FILE *defs;		/* definitions, each after what it holds by value */
	uint8_t *state;		/* per type id: UNSEEN, DEFINING, DEFINED */
	uint8_t *fwd_done;	/* per type id: its forward declaration is written */
	uint8_t *aligns;	/* per type id: its LuaJIT alignment, once measured; 0: not yet */
	bool int128;		/* a 128-bit integer is used: INT128_CDEF goes first */
	char **names;		/* "struct x", "typedef y", ...: defined already, by any part */
	size_t nr_names;
	int depth;		/* levels the walk is in now (RL_BTF_DEPTH_MAX) */
	int err;
};

/* Enters one level of a walk over the types: a step to a member's, an element's, a
 * pointed-to or a named type. False past RL_BTF_DEPTH_MAX, with e->err -ELOOP: BTF
 * checked without the kernel (a replay's) may chain as many types as it holds, and each
 * level is a frame of the C stack. */
static bool enter(struct emit *e)
{
	if (e->depth >= RL_BTF_DEPTH_MAX) {
		e->err = e->err ? e->err : -ELOOP;
		return false;
	}
	e->depth++;
	return true;
}

static void leave(struct emit *e)
{
	e->depth--;
}

/* Whether the named type kind+name was defined already (by this BTF or an earlier
 * part); if not, remembers it as defined now. Two parts of one program agree on what a
 * name means, so the first definition serves both. */
static bool defined_by_name(struct emit *e, const char *kind, const char *name)
{
	char **names;
	char *key;

	if (!*name)
		return false;
	if (asprintf(&key, "%s %s", kind, name) < 0) {
		e->err = -ENOMEM;
		return true;
	}
	for (size_t i = 0; i < e->nr_names; i++) {
		if (!strcmp(e->names[i], key)) {
			free(key);
			return true;
		}
	}
	names = realloc(e->names, (e->nr_names + 1) * sizeof(*names));
	if (!names) {
		free(key);
		e->err = -ENOMEM;
		return true;
	}
	e->names = names;
	e->names[e->nr_names++] = key;
	return false;
}

static const char *name_of(const struct emit *e, const struct btf_type *t)
{
	const char *n = btf__name_by_offset(e->btf, t->name_off);

	return n ? n : "";
}

static bool is_predefined(const char *name)
{
	for (size_t i = 0; i < sizeof(predefined) / sizeof(*predefined); i++)
		if (!strcmp(predefined[i], name))
			return true;
	return false;
}

/* Skips qualifiers, type tags and typedefs that are not declared (predefined names). */
static uint32_t skip_mods(const struct emit *e, uint32_t id)
{
	for (int guard = 0; id && guard < 64; guard++) {
		const struct btf_type *t = btf__type_by_id(e->btf, id);

		if (!t)
			return 0;
		if (btf_is_mod(t) || btf_is_type_tag(t) ||
		    (btf_is_typedef(t) && is_predefined(name_of(e, t))))
			id = t->type;
		else
			return id;
	}
	return id;
}

/* Whether an enum is declared as one (4 bytes, every value fits an int): else its
 * members are declared as integers of its size. */
static bool enum_as_enum(const struct btf_type *t)
{
	const struct btf_enum *v = btf_enum(t);

	if (!btf_is_enum(t) || t->size != 4)
		return false;
	for (int i = 0; i < btf_vlen(t); i++)
		if (btf_kflag(t) ? (int32_t)v[i].val != v[i].val : v[i].val > INT32_MAX)
			return false;
	return true;
}

/* The name LuaJIT knows for an integer of this size and signedness. */
static const char *int_name(const struct emit *e, const struct btf_type *t, bool is_signed)
{
	static const char *const sized[2][4] = {
		{ "uint8_t", "uint16_t", "uint32_t", "uint64_t" },
		{ "int8_t", "int16_t", "int32_t", "int64_t" },
	};
	const char *name = name_of(e, t);

	if (btf_is_int(t) && (btf_int_encoding(t) & BTF_INT_BOOL))
		return "bool";
	if (btf_is_int(t) && (!strcmp(name, "char") || !strcmp(name, "signed char")))
		return "char"; /* char arrays stay text for ffi.string */
	switch (t->size) {
	case 1: return sized[is_signed][0];
	case 2: return sized[is_signed][1];
	case 4: return sized[is_signed][2];
	case 8: return sized[is_signed][3];
	case 16: return is_signed ? "rl_int128_t" : "rl_uint128_t";
	default: return NULL;
	}
}

static int layout(struct emit *e, uint32_t id, FILE *out, int depth);
static void decl(struct emit *e, FILE *out, uint32_t id, const char *inner, int depth);

static int align_of(struct emit *e, uint32_t id);

/* LuaJIT's alignment of type id, one level of the walk. */
static int type_align(struct emit *e, uint32_t id)
{
	const struct btf_type *t;

	id = skip_mods(e, id);
	t = btf__type_by_id(e->btf, id);
	if (!t || !id)
		return 1;
	if (btf_is_typedef(t))
		return align_of(e, t->type);
	if (btf_is_array(t))
		return align_of(e, btf_array(t)->type);
	if (btf_is_ptr(t))
		return 8;
	if (btf_is_enum(t) || btf_is_enum64(t))
		return enum_as_enum(t) ? 4 : (int)t->size;
	if ((btf_is_int(t) || btf_is_float(t)) && !t->size)
		return 1;
	if (btf_is_int(t) || btf_is_float(t))
		return t->size > 16 ? 16 : (int)t->size;
	if (btf_is_composite(t)) {
		if (!e->aligns[id])
			e->aligns[id] = (uint8_t)layout(e, id, NULL, 0);
		return e->aligns[id];
	}
	return 1;
}

/* LuaJIT's alignment of type id; 1 past the depth bound (the walk has failed then). */
static int align_of(struct emit *e, uint32_t id)
{
	int align = 1;

	if (enter(e)) {
		align = type_align(e, id);
		leave(e);
	}
	return align;
}

static void pad(FILE *out, int *nr_pads, int64_t bytes, int depth)
{
	if (out && bytes > 0)
		fprintf(out, "%*suint8_t __rl_pad%d[%lld];\n", depth * 2 + 2, "", (*nr_pads)++,
			(long long)bytes);
}

/* Whether the members of struct t, at the offsets BTF gives, need the struct packed in
 * LuaJIT: one is not where its alignment would put it, or the size is no multiple of
 * the alignment. */
static bool needs_packing(struct emit *e, const struct btf_type *t)
{
	const struct btf_member *m = btf_members(t);
	int64_t cur = 0;
	int max_align = 1;

	for (int i = 0; i < btf_vlen(t); i++) {
		uint32_t bits = btf_member_bitfield_size(t, i);
		uint32_t off = btf_member_bit_offset(t, i);
		int a = align_of(e, m[i].type);
		int64_t size = btf__resolve_size(e->btf, m[i].type);

		max_align = a > max_align ? a : max_align;
		if (bits) {
			cur = (off + bits + 7) / 8;
			continue;
		}
		if (off % 8 || (off / 8) % a || (int64_t)(off / 8) < (cur + a - 1) / a * a)
			return true;
		cur = off / 8 + (size > 0 ? size : 0);
	}
	return t->size % max_align != 0;
}

/* Writes (when out is not NULL) the member list of struct or union id with the padding
 * that puts each member at its BTF offset; returns the alignment LuaJIT gives it. */
static int layout(struct emit *e, uint32_t id, FILE *out, int depth)
{
	const struct btf_type *t = btf__type_by_id(e->btf, id);
	const struct btf_member *m = btf_members(t);
	bool is_union = btf_is_union(t), packed = !is_union && needs_packing(e, t);
	int64_t cur = 0, size;
	int max_align = 1, nr_pads = 0;

	if (depth > 32) {
		e->err = -ELOOP;
		return 1;
	}
	for (int i = 0; i < btf_vlen(t); i++) {
		uint32_t bits = btf_member_bitfield_size(t, i);
		uint32_t off = is_union ? 0 : btf_member_bit_offset(t, i);
		const char *name = btf__name_by_offset(e->btf, m[i].name_off);
		int a = align_of(e, m[i].type);
		char field[160];

		if (bits && (!name || !*name))
			continue; /* unnamed padding bits: the offsets of what follows cover it */
		if (!packed && a > max_align)
			max_align = a;
		if (!is_union && off / 8 > cur)
			pad(out, &nr_pads, off / 8 - cur, depth);
		if (bits)
			snprintf(field, sizeof(field), "%s: %u", name, bits);
		else
			snprintf(field, sizeof(field), "%s", name ? name : "");
		if (out) {
			fprintf(out, "%*s", depth * 2 + 2, "");
			decl(e, out, m[i].type, field, depth + 1);
			fprintf(out, ";\n");
		}
		size = btf__resolve_size(e->btf, m[i].type);
		if (bits)
			size = (off % 8 + bits + 7) / 8;
		else if (size < 0)
			size = 0;
		if (is_union)
			cur = size > cur ? size : cur;
		else if (off / 8 + size > cur)
			cur = off / 8 + size;
	}
	/* The trailing padding: a union's goes in as a member of its whole size. */
	if (is_union && (cur + max_align - 1) / max_align * max_align < t->size && out)
		fprintf(out, "%*suint8_t __rl_pad%d[%u];\n", depth * 2 + 2, "", nr_pads++, t->size);
	else if (!is_union && (cur + max_align - 1) / max_align * max_align < t->size)
		pad(out, &nr_pads, t->size - cur, depth);
	if (out && packed)
		fprintf(out, "%*s} __attribute__((packed))", depth * 2, "");
	else if (out)
		fprintf(out, "%*s}", depth * 2, "");
	return packed ? 1 : max_align;
}

static void define(struct emit *e, uint32_t id);

/* `struct x;` once, before anything that points at x. */
static void forward(struct emit *e, uint32_t id, const struct btf_type *t)
{
	if (e->fwd_done[id] || !*name_of(e, t))
		return;
	e->fwd_done[id] = 1; /* LuaJIT takes it again after a definition: parts may repeat it */
	fprintf(e->fwd, "%s %s;\n", btf_is_union(t) || (btf_is_fwd(t) && btf_kflag(t)) ?
		"union" : "struct", name_of(e, t));
}

/* The C name of a floating-point type of size bytes. */
static const char *float_name(uint32_t size)
{
	if (size == 4)
		return "float";
	return size == 8 ? "double" : "long double";
}

/* Writes the C declarator of type id around inner (a name, "*name", ...), with
 * anonymous structs and unions written out in place. */
static void decl(struct emit *e, FILE *out, uint32_t id, const char *inner, int depth)
{
	const struct btf_type *t;
	char wrapped[512];
	const char *kw;

	if (!enter(e))
		return;
	id = skip_mods(e, id);
	t = btf__type_by_id(e->btf, id);
	if (!id || !t) {
		fprintf(out, "void%s%s", *inner ? " " : "", inner);
	} else if (btf_is_ptr(t)) {
		const struct btf_type *to = btf__type_by_id(e->btf, skip_mods(e, t->type));
		bool to_array = to && (btf_is_array(to) || btf_is_func_proto(to));

		snprintf(wrapped, sizeof(wrapped), to_array ? "(*%s)" : "*%s", inner);
		if (to && btf_is_func_proto(to))
			fprintf(out, "void *%s", inner); /* a code address: nothing to call */
		else
			decl(e, out, t->type, wrapped, depth);
	} else if (btf_is_array(t)) {
		snprintf(wrapped, sizeof(wrapped), "%s[%u]", inner, btf_array(t)->nelems);
		decl(e, out, btf_array(t)->type, wrapped, depth);
	} else if (btf_is_composite(t) && !*name_of(e, t)) {
		fprintf(out, "%s {\n", btf_is_union(t) ? "union" : "struct");
		layout(e, id, out, depth);
		fprintf(out, "%s%s", *inner ? " " : "", inner);
	} else {
		kw = btf_is_composite(t) || btf_is_fwd(t) ?
		     (btf_is_union(t) || (btf_is_fwd(t) && btf_kflag(t)) ? "union " : "struct ") :
		     enum_as_enum(t) && *name_of(e, t) ? "enum " : "";
		if (btf_is_int(t))
			fprintf(out, "%s", int_name(e, t, btf_int_encoding(t) & BTF_INT_SIGNED));
		else if (btf_is_enum(t) || btf_is_enum64(t))
			fprintf(out, "%s%s", kw, enum_as_enum(t) && *name_of(e, t) ? name_of(e, t) :
				int_name(e, t, btf_kflag(t)));
		else if (btf_is_float(t))
			fprintf(out, "%s", float_name(t->size));
		else
			fprintf(out, "%s%s", kw, name_of(e, t));
		fprintf(out, "%s%s", *inner ? " " : "", inner);
	}
	leave(e);
}

/* An enum's constants, for ffi.C: as the enum itself when LuaJIT can hold it, else as
 * an anonymous enum of those that fit an int. */
static void define_enum(struct emit *e, const struct btf_type *t)
{
	const struct btf_enum *v = btf_enum(t);
	bool whole = enum_as_enum(t) && *name_of(e, t);
	int written = 0;

	if (!btf_is_enum(t) || !btf_vlen(t))
		return;
	fprintf(e->defs, "enum %s{", whole ? name_of(e, t) : "");
	for (int i = 0; i < btf_vlen(t); i++) {
		int64_t val = btf_kflag(t) ? (int32_t)v[i].val : (int64_t)v[i].val;

		if (val < INT32_MIN || val > INT32_MAX)
			continue;
		fprintf(e->defs, "%s %s = %lld", written++ ? "," : "",
			btf__name_by_offset(e->btf, v[i].name_off), (long long)val);
	}
	fprintf(e->defs, " };\n");
}

/* What a definition of composite t holds by value, defined first. */
static void define_members(struct emit *e, const struct btf_type *t)
{
	const struct btf_member *m = btf_members(t);

	for (int i = 0; i < btf_vlen(t); i++)
		define(e, m[i].type);
}

/* Defines type id and, before it, what it needs: by value, their definitions; through
 * pointers, forward declarations. */
static void define(struct emit *e, uint32_t id)
{
	const struct btf_type *t;

	id = skip_mods(e, id);
	t = btf__type_by_id(e->btf, id);
	if (!id || !t || e->state[id] != UNSEEN || e->err || !enter(e))
		return;
	e->state[id] = DEFINING;
	if (btf_is_ptr(t)) {
		const struct btf_type *to = btf__type_by_id(e->btf, skip_mods(e, t->type));

		if (to && (btf_is_composite(to) || btf_is_fwd(to)) && *name_of(e, to))
			forward(e, skip_mods(e, t->type), to);
		else
			define(e, t->type);
	} else if (btf_is_array(t)) {
		define(e, btf_array(t)->type);
	} else if (btf_is_typedef(t)) {
		define(e, t->type);
		if (!defined_by_name(e, "typedef", name_of(e, t))) {
			fprintf(e->defs, "typedef ");
			decl(e, e->defs, t->type, name_of(e, t), 0);
			fprintf(e->defs, ";\n");
		}
	} else if (btf_is_enum(t) || btf_is_enum64(t)) {
		if (!defined_by_name(e, "enum", name_of(e, t)))
			define_enum(e, t);
	} else if (btf_is_fwd(t)) {
		forward(e, id, t);
	} else if (btf_is_int(t) && t->size == 16) {
		e->int128 = true;
	} else if (btf_is_composite(t)) {
		define_members(e, t);
		if (*name_of(e, t) && !defined_by_name(e, btf_is_union(t) ? "union" : "struct",
						       name_of(e, t))) {
			forward(e, id, t);
			fprintf(e->defs, "%s %s {\n", btf_is_union(t) ? "union" : "struct",
				name_of(e, t));
			layout(e, id, e->defs, 0);
			fprintf(e->defs, ";\n");
		}
	}
	e->state[id] = DEFINED;
	leave(e);
}

/* Defines the types of one part, with per-id state of its own. Returns 0 or -errno. */
static int emit_part(struct emit *e, const struct rl_btf_part *part)
{
	uint32_t cnt = btf__type_cnt(part->btf);

	/* The walk trusts the ids it finds, and writes the names it finds into C: a hostile
	 * object's BTF must not reach it unchecked. */
	if (!rl_btf_valid(part->btf) || !rl_btf_printable(part->btf, part->ids, part->n))
		return -EINVAL;
	e->btf = part->btf;
	e->state = calloc(cnt, 1);
	e->fwd_done = calloc(cnt, 1);
	e->aligns = calloc(cnt, 1);
	if (!e->state || !e->fwd_done || !e->aligns)
		e->err = -ENOMEM;
	for (size_t i = 0; !e->err && i < part->n; i++)
		define(e, part->ids[i]);
	free(e->state);
	free(e->fwd_done);
	free(e->aligns);
	return e->err;
}

int rl_btf_cdef_parts(const struct rl_btf_part *parts, size_t n, char **out)
{
	struct emit e = { 0 };
	char *fwd = NULL, *defs = NULL;
	size_t fwd_len = 0, defs_len = 0;
	int err = -ENOMEM;

	e.fwd = open_memstream(&fwd, &fwd_len);
	e.defs = open_memstream(&defs, &defs_len);
	if (e.fwd && e.defs) {
		err = 0;
		for (size_t i = 0; !err && i < n; i++)
			err = emit_part(&e, &parts[i]);
	}
	if (e.fwd)
		fclose(e.fwd);
	if (e.defs)
		fclose(e.defs);
	if (!err && asprintf(out, "%s%s%s", e.int128 ? INT128_CDEF : "", fwd, defs) < 0)
		err = -ENOMEM;
	for (size_t i = 0; i < e.nr_names; i++)
		free(e.names[i]);
	free(e.names);
	free(fwd);
	free(defs);
	return err;
}

const char *rl_btf_cdef_error(int err)
{
	static _Thread_local char text[64];

	if (err != -ELOOP)
		return strerror(-err);
	snprintf(text, sizeof(text), "types nest deeper than %d levels", RL_BTF_DEPTH_MAX);
	return text;
}

int rl_btf_cdef(const struct btf *btf, const uint32_t *ids, size_t n, char **out)
{
	struct rl_btf_part part = { btf, ids, n };

	return rl_btf_cdef_parts(&part, 1, out);
}

int rl_btf_decl(const struct btf *btf, uint32_t id, char **out)
{
	struct emit e = { .btf = btf };
	size_t len = 0;
	FILE *f;

	if (id >= btf__type_cnt(btf))
		return -EINVAL;
	e.aligns = calloc(btf__type_cnt(btf), 1);
	f = e.aligns ? open_memstream(out, &len) : NULL;
	if (!f) {
		free(e.aligns);
		return -ENOMEM;
	}
	decl(&e, f, id, "", 0);
	fclose(f);
	free(e.aligns);
	if (e.err) {
		free(*out); /* a declaration cut short */
		*out = NULL;
	}
	return e.err;
}
