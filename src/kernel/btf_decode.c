#include "kernel/btf_decode.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/btf.h>

#include "kernel/btf_cdef.h"
#include "kernel/btf_union_tag.h"
#include "util/ident.h"

/* Arrays up to this long are unrolled; longer ones go through a helper. */
#define UNROLL_MAX 16
/* Deeper nesting is not decoded (it becomes nil / null). */
#define DEPTH_MAX 16
/* Room for the Lua expression of a member's place: e["a"]["b"][3]... */
#define PLACE_MAX 1024
/* Values (and enum names) one decoder may hold: nested arrays of structs multiply, and
 * hostile BTF could make a decoder of any size out of a few types. */
#define PARTS_MAX (1 << 16)

/* Generation state. Definitions made once per decoder (enum names, element helpers) go
 * to `defs` as D[n]; JSON is built as a list of parts for table.concat, so that a wide
 * record makes a long list rather than a deep chain of `..` (Lua bounds that nesting). */
struct gen {
	const struct btf *btf;
	FILE *defs;
	int nr_defs;
	long parts;	/* values and enum names written so far (PARTS_MAX) */
	int err;
	/* The record's last member when it is a char array a record may stop inside (see
	 * tail_text), and its byte offset; NULL: none, a record is read whole. */
	const struct btf_member *tail;
	uint32_t tail_off;
	int tagged;	/* unions shown by their live arm so far (tagged_union) */
	bool every_arm;	/* tags are ignored: every arm of every union (every_arm_table) */
};

/* Counts n more parts of the decoder; false (and g->err set) past PARTS_MAX. */
static bool room_for(struct gen *g, long n)
{
	g->parts += n;
	if (g->parts > PARTS_MAX && !g->err)
		g->err = -E2BIG;
	return !g->err;
}

static const struct btf_type *resolved(const struct gen *g, uint32_t *id)
{
	int r = btf__resolve_type(g->btf, *id);

	if (r < 0)
		return NULL;
	*id = (uint32_t)r;
	return btf__type_by_id(g->btf, *id);
}

/* D[n] = { [value] = "NAME", ... } for an enum; returns n. */
static int enum_names(struct gen *g, const struct btf_type *t)
{
	int n = ++g->nr_defs;

	fprintf(g->defs, "D[%d] = {", n);
	if (btf_is_enum(t) && room_for(g, btf_vlen(t))) {
		const struct btf_enum *e = btf_enum(t);

		for (int i = 0; i < btf_vlen(t); i++)
			fprintf(g->defs, " [%d] = \"%s\",", e[i].val,
				btf__name_by_offset(g->btf, e[i].name_off));
	} else if (btf_is_enum64(t)) {
		const struct btf_enum64 *e = btf_enum64(t);

		/* Lua numbers hold the values exactly up to 2^53, as far as keys need. */
		for (int i = 0; i < btf_vlen(t); i++)
			fprintf(g->defs, btf_kflag(t) ? " [%lld] = \"%s\"," : " [%llu] = \"%s\",",
				(unsigned long long)btf_enum64_value(&e[i]),
				btf__name_by_offset(g->btf, e[i].name_off));
	}
	fprintf(g->defs, " }\n");
	return n;
}

static void value(struct gen *g, FILE *out, uint32_t id, const char *at, int depth, bool json);

/* Arrays of plain `char` are text; arrays of bytes (__u8: unsigned char) are numbers. */
static bool is_text(const struct gen *g, const struct btf_type *t)
{
	const char *name = btf__name_by_offset(g->btf, t->name_off);

	return btf_is_int(t) && t->size == 1 && name &&
	       (!strcmp(name, "char") || !strcmp(name, "signed char"));
}

/* Whether t is an array of text (char[n]); its length into *n. */
static bool text_array(const struct gen *g, const struct btf_type *t, uint32_t *n)
{
	uint32_t eid;
	const struct btf_type *et;

	if (!btf_is_array(t))
		return false;
	eid = btf_array(t)->type;
	et = resolved(g, &eid);
	*n = btf_array(t)->nelems;
	return et && is_text(g, et);
}

/* D[n] = function(x) return <element x> end, for arrays too long to unroll. */
static int element_helper(struct gen *g, uint32_t eid, int depth, bool json)
{
	int n = ++g->nr_defs;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f) {
		g->err = -ENOMEM;
		return n;
	}
	/* The element's own definitions land in defs before this line: declared first. */
	fprintf(f, json ? "D[%d] = function(x) return concat({ " : "D[%d] = function(x) return ", n);
	value(g, f, eid, "x", depth + 1, json);
	fprintf(f, json ? " }) end\n" : " end\n");
	fclose(f);
	fputs(buf, g->defs);
	free(buf);
	return n;
}

static void array(struct gen *g, FILE *out, const struct btf_type *t, const char *at,
		  int depth, bool json)
{
	const struct btf_array *a = btf_array(t);
	uint32_t eid = a->type;
	const struct btf_type *et = resolved(g, &eid);
	char sub[PLACE_MAX];

	if (et && is_text(g, et)) {
		fprintf(out, json ? "q(str(%s, %u))" : "str(%s, %u)", at, a->nelems);
	} else if (a->nelems <= UNROLL_MAX) {
		fprintf(out, json ? "'['" : "{ ");
		for (uint32_t i = 0; i < a->nelems; i++) {
			snprintf(sub, sizeof(sub), "%s[%u]", at, i);
			if (json)
				fprintf(out, i ? ", ',', " : ", ");
			value(g, out, eid, sub, depth + 1, json);
			if (!json)
				fprintf(out, ", ");
		}
		fprintf(out, json ? ", ']'" : "}");
	} else {
		int n = element_helper(g, eid, depth, json);

		fprintf(out, json ? "'[', list_json(%s, %u, D[%d]), ']'" : "list(%s, %u, D[%d])",
			at, a->nelems, n);
	}
}

/* The member of struct or union t named `name` + `suffix` when it is an integer (not a
 * bool) of at most 8 bytes, as Lua text `at["NAME_SUFFIX"]` into buf; false when t has
 * none. */
static bool sibling(const struct gen *g, const struct btf_type *t, const char *name,
		    const char *suffix, const char *at, char *buf, size_t size)
{
	const struct btf_member *m = btf_members(t);
	size_t len = strlen(name);

	for (int i = 0; i < btf_vlen(t); i++) {
		const char *mname = btf__name_by_offset(g->btf, m[i].name_off);
		uint32_t id = m[i].type;
		const struct btf_type *mt = resolved(g, &id);

		if (mname && !strncmp(mname, name, len) && !strcmp(mname + len, suffix) && mt &&
		    btf_is_int(mt) && !(btf_int_encoding(mt) & BTF_INT_BOOL) && mt->size <= 8)
			return snprintf(buf, size, "%s[\"%s\"]", at, mname) < (int)size;
	}
	return false;
}

/* Member m of t, a char array of n chars at `sub`. A plain one is a string, up to its
 * first NUL. One that holds several strings, each ended by a NUL, says so with a
 * sibling integer named after it: NAME_size, the bytes in use (execsnoop's args: argv
 * joined by NULs, and after args_size bytes whatever an earlier record left), and/or
 * NAME_count, the strings in use; it is a list of strings, however many it holds, so
 * that a field keeps one JSON type. The record's tail array (g->tail) is read no
 * further than the record goes: `len` is the record's length in the generated code. */
static void text_member(struct gen *g, FILE *out, const struct btf_type *t,
			const struct btf_member *m, const char *name, uint32_t n,
			const char *sub, const char *at, bool json)
{
	char bound[64], size[PLACE_MAX], count[PLACE_MAX];
	bool has_size = sibling(g, t, name, "_size", at, size, sizeof(size));
	bool has_count = sibling(g, t, name, "_count", at, count, sizeof(count));

	if (m == g->tail)
		snprintf(bound, sizeof(bound), "min(%u, len - %u)", n, g->tail_off);
	else
		snprintf(bound, sizeof(bound), "%u", n);
	if (has_size || has_count)
		fprintf(out, json ? "qs(strs(%s, %s, %s, %s))" : "strs(%s, %s, %s, %s)", sub,
			bound, has_size ? size : "nil", has_count ? count : "nil");
	else
		fprintf(out, json ? "q(str(%s, %s))" : "str(%s, %s)", sub, bound);
}

/* The char array that a record may stop inside, if t has one: its last member, when
 * that is a char array with nothing after it. Tools send only the part in use
 * (execsnoop: offsetof(args) + args_size bytes), so a record that reaches the array is
 * decoded, the array cut where the record ends. Sets g->tail and g->tail_off. */
static void tail_text(struct gen *g, const struct btf_type *t)
{
	const struct btf_member *m = btf_members(t);
	int last = btf_vlen(t) - 1;
	uint32_t id, n;
	const struct btf_type *mt;

	if (!btf_is_struct(t) || last < 0 || btf_member_bitfield_size(t, last) ||
	    btf_member_bit_offset(t, last) % 8)
		return;
	for (int i = 0; i < last; i++)
		if (btf_member_bit_offset(t, i) >= btf_member_bit_offset(t, last))
			return;
	id = m[last].type;
	mt = resolved(g, &id);
	if (mt && text_array(g, mt, &n)) {
		g->tail = &m[last];
		g->tail_off = btf_member_bit_offset(t, last) / 8;
	}
}

/* The value of member i of t (a struct or union) found at `sub`, its place `at`. */
static void member_value(struct gen *g, FILE *out, const struct btf_type *t, int i,
			 const char *sub, const char *at, int depth, bool json)
{
	const struct btf_member *m = &btf_members(t)[i];
	const char *name = btf__name_by_offset(g->btf, m->name_off);
	uint32_t mid = m->type, n;
	const struct btf_type *mt = resolved(g, &mid);

	if (mt && text_array(g, mt, &n) && depth < DEPTH_MAX && room_for(g, 1))
		text_member(g, out, t, m, name, n, sub, at, json);
	else
		value(g, out, mid, sub, depth + 1, json);
}

/* The value of enumerator i of e as Lua text, as enum_names writes it. */
static void enumerator_value(const struct btf_type *e, int i, char *buf, size_t size)
{
	if (btf_is_enum(e))
		snprintf(buf, size, "%d", btf_enum(e)[i].val);
	else
		snprintf(buf, size, btf_kflag(e) ? "%lld" : "%llu",
			 (unsigned long long)btf_enum64_value(&btf_enum64(e)[i]));
}

/* What arm_helper's function returns of the live arm. */
enum arm_text { ARM_NAME, ARM_VALUE, ARM_JSON };

/* D[n] = function(x) ... end, choosing among the arms of union un (found at `place`, x
 * being the struct) by the value of x[tag], enum e (btf_union_tag.h): what it returns
 * is, by `what`, the live arm's name, its value, or (JSON) its `"name":value` parts,
 * with a comma first unless first. The first arm is the fallback. Returns n. */
static int arm_helper(struct gen *g, const struct btf_type *e, const struct btf_type *un,
		      const char *tag, const char *place, int depth, enum arm_text what,
		      bool first)
{
	int n = ++g->nr_defs;
	char *buf = NULL, val[32], sub[PLACE_MAX];
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f) {
		g->err = -ENOMEM;
		return n;
	}
	fprintf(f, "D[%d] = function(x) local v = tonumber(x[\"%s\"])\n", n, tag);
	/* Arm 0 last, as the else: the fallback of a value that names no arm. */
	for (int k = btf_vlen(un) - 1; k >= 0 && room_for(g, 1); k--) {
		const char *name = btf__name_by_offset(g->btf, btf_members(un)[k].name_off);

		if (k) {
			enumerator_value(e, rl_btf_arm_enumerator(g->btf, e, un, k), val,
					 sizeof(val));
			fprintf(f, "  if v == %s then ", val);
		} else {
			fprintf(f, "  ");
		}
		snprintf(sub, sizeof(sub), "%s[\"%s\"]", place, name);
		if (what == ARM_NAME) {
			fprintf(f, "return \"%s\"", name);
		} else if (what == ARM_VALUE) {
			fprintf(f, "return ");
			member_value(g, f, un, k, sub, place, depth, false);
		} else {
			fprintf(f, "return concat({ '%s\"%s\":', ", first ? "" : ",", name);
			member_value(g, f, un, k, sub, place, depth, true);
			fprintf(f, " })");
		}
		fprintf(f, k ? " end\n" : "\nend\n");
	}
	fclose(f);
	fputs(buf, g->defs);
	free(buf);
	return n;
}

/* Member u of struct t, a union whose live arm enum member `tag` names: that arm alone,
 * in the table as in JSON (anonymous: flattened into t's, as every arm would be). */
static void tagged_union(struct gen *g, FILE *out, const struct btf_type *t, int u, int tag,
			 const char *at, int depth, bool json, bool *first)
{
	const struct btf_member *m = btf_members(t);
	const char *name = btf__name_by_offset(g->btf, m[u].name_off);
	const char *tag_name = btf__name_by_offset(g->btf, m[tag].name_off);
	uint32_t uid = m[u].type, eid = m[tag].type;
	const struct btf_type *un = resolved(g, &uid), *e = resolved(g, &eid);
	bool named = name && *name;
	char place[PLACE_MAX];

	if (depth >= DEPTH_MAX)
		return;
	snprintf(place, sizeof(place), named ? "x[\"%s\"]" : "x", name);
	if (json) {
		if (named)
			fprintf(out, ", '%s\"%s\":{', ", *first ? "" : ",", name);
		else
			fprintf(out, ", ");
		fprintf(out, "D[%d](%s)", arm_helper(g, e, un, tag_name, place, depth + 1,
						     ARM_JSON, named || *first), at);
		if (named)
			fprintf(out, ", '}'");
	} else {
		int key = arm_helper(g, e, un, tag_name, place, depth + 1, ARM_NAME, true);
		int val = arm_helper(g, e, un, tag_name, place, depth + 1, ARM_VALUE, true);

		if (named)
			fprintf(out, "[\"%s\"] = { ", name);
		fprintf(out, "[D[%d](%s)] = D[%d](%s), ", key, at, val, at);
		if (named)
			fprintf(out, "}, ");
	}
	g->tagged++;
	*first = false;
}

/* Whether member e of struct t (-1: none) tags a member of type mt, a union
 * (btf_union_tag.h); matching counts as many parts as the union has arms. */
static bool tags(struct gen *g, const struct btf_type *t, int e, const struct btf_type *mt)
{
	uint32_t eid;
	const struct btf_type *et;

	if (e < 0 || !btf_is_struct(t) || !btf_is_union(mt) || !room_for(g, btf_vlen(mt)))
		return false;
	eid = btf_members(t)[e].type;
	et = resolved(g, &eid);
	return et && rl_btf_union_tags(g->btf, et, mt);
}

/* Members of a struct or union in order; anonymous ones are flattened, as ffi lets
 * their fields be reached directly. A union an enum member tags shows its live arm
 * alone (tagged_union). In JSON any other union shows its first arm alone, as bpftool
 * prints one: the others read the same bytes as what they are not (the Lua tables have
 * every arm, to pick from). */
static void members(struct gen *g, FILE *out, const struct btf_type *t, const char *at,
		    int depth, bool json, bool *first)
{
	const struct btf_member *m = btf_members(t);
	int arms = json && btf_is_union(t) && btf_vlen(t) > 0 ? 1 : btf_vlen(t);
	char sub[PLACE_MAX];
	int last_enum = -1; /* the struct's enum member nearest before i */

	/* Each member counts, named or not: anonymous ones nest without writing a value. */
	for (int i = 0; i < arms && room_for(g, 1); i++) {
		const char *name = btf__name_by_offset(g->btf, m[i].name_off);
		uint32_t mid = m[i].type;
		const struct btf_type *mt = resolved(g, &mid);

		if (!mt)
			continue;
		if (!g->every_arm && tags(g, t, last_enum, mt)) {
			tagged_union(g, out, t, i, last_enum, at, depth, json, first);
			continue;
		}
		if ((btf_is_enum(mt) || btf_is_enum64(mt)) && !btf_member_bitfield_size(t, i))
			last_enum = i;
		if (!name || !*name) {
			if (btf_is_composite(mt) && depth < DEPTH_MAX)
				members(g, out, mt, at, depth + 1, json, first);
			continue;
		}
		snprintf(sub, sizeof(sub), "%s[\"%s\"]", at, name);
		if (json)
			fprintf(out, ", '%s\"%s\":', ", *first ? "" : ",", name);
		else
			fprintf(out, "[\"%s\"] = ", name);
		member_value(g, out, t, i, sub, at, depth, json);
		if (!json)
			fprintf(out, ", ");
		*first = false;
	}
}

/* The Lua expression of the value of type id found at `at` (JSON: its parts). */
static void value(struct gen *g, FILE *out, uint32_t id, const char *at, int depth, bool json)
{
	const struct btf_type *t = resolved(g, &id);
	bool first = true;

	if (!t || depth > DEPTH_MAX || !room_for(g, 1)) {
		fprintf(out, json ? "'null'" : "nil");
	} else if (btf_is_int(t) && (btf_int_encoding(t) & BTF_INT_BOOL)) {
		fprintf(out, json ? "tostring(%s)" : "%s", at);
	} else if (btf_is_int(t) && t->size == 16) {
		/* No Lua number holds it: hex text, as two 64-bit halves (btf_cdef.c). */
		fprintf(out, json ? "q(wide(%s))" : "wide(%s)", at);
	} else if (btf_is_int(t) || btf_is_float(t)) {
		fprintf(out, json ? "jnum(%s)" : "num(%s)", at);
	} else if (btf_is_enum(t) || btf_is_enum64(t)) {
		fprintf(out, json ? "jenum(D[%d], %s)" : "enum(D[%d], %s)", enum_names(g, t), at);
	} else if (btf_is_ptr(t)) {
		fprintf(out, json ? "jnum(ptr(%s))" : "ptr(%s)", at);
	} else if (btf_is_array(t)) {
		array(g, out, t, at, depth, json);
	} else if (btf_is_composite(t)) {
		fprintf(out, json ? "'{'" : "{ ");
		members(g, out, t, at, depth, json, &first);
		fprintf(out, json ? ", '}'" : "}");
	} else {
		fprintf(out, json ? "'null'" : "nil");
	}
}

/* function(p, len) returning record type t as a table. */
static void table_function(struct gen *g, FILE *body, const struct btf_type *t)
{
	bool first = true;

	fprintf(body, "function(p, len)\n  local e = cast(T, p)\n  return { ");
	members(g, body, t, "e", 0, false, &first);
	fprintf(body, "}\nend");
}

/* The chunk's body: it returns the table function, the JSON function, the shortest
 * record they read and, when some union showed its live arm alone, a table function
 * of every arm of every union, for --lua-types, whose annotations must name every
 * field a script may read (a record of zeroes names one arm). */
static int generate(struct gen *g, uint32_t id, const char *map, FILE *body)
{
	const struct btf_type *t = resolved(g, &id);
	bool first = false; /* "map" comes first */

	if (!t || !btf_is_composite(t))
		return -ENOTSUP;
	tail_text(g, t);
	fprintf(body, "return ");
	table_function(g, body, t);
	fprintf(body, ",\nfunction(p, len)\n  local e = cast(T, p)\n"
		      "  return concat({ '{\"map\":\"%s\"'", map);
	members(g, body, t, "e", 0, true, &first);
	/* Then the shortest record the functions read: up to the tail array, if any. */
	fprintf(body, ", '}' })\nend,\n%u", g->tail ? g->tail_off : t->size);
	if (g->tagged) {
		g->every_arm = true;
		fprintf(body, ",\n");
		table_function(g, body, t);
	}
	fprintf(body, "\n");
	return g->err;
}

int rl_btf_decoder(const struct btf *btf, uint32_t type_id, const char *map, char **out)
{
	struct gen g = { .btf = btf };
	char *defs = NULL, *body = NULL;
	size_t defs_len = 0, body_len = 0;
	FILE *bf;
	int err = -ENOMEM;

	/* Names are printed into Lua string literals: only identifiers may be. */
	if (!(rl_ident_ok(map) || rl_ident_probe_ok(map)) || !rl_btf_valid(btf) ||
	    !rl_btf_printable(btf, &type_id, 1))
		return -EINVAL;
	g.defs = open_memstream(&defs, &defs_len);
	bf = open_memstream(&body, &body_len);
	if (g.defs && bf) {
		fprintf(g.defs, "local ffi, h, ctype = ...\n"
				"local cast, T = ffi.cast, ffi.typeof(\"const \" .. ctype .. \" *\")\n"
				"local concat, D = table.concat, {}\n"
				"local str, q, num, jnum, enum, jenum, ptr, list, list_json, wide =\n"
				"  h.str, h.q, h.num, h.jnum, h.enum, h.jenum, h.ptr, h.list, "
				"h.list_json, h.wide\n"
				"local strs, qs, min, tonumber = h.strs, h.qs, math.min, tonumber\n");
		err = generate(&g, type_id, map, bf);
	}
	if (g.defs)
		fclose(g.defs);
	if (bf)
		fclose(bf);
	if (!err && asprintf(out, "%s%s", defs, body) < 0) {
		*out = NULL; /* asprintf leaves it undefined */
		err = -ENOMEM;
	}
	free(defs);
	free(body);
	return err;
}

int rl_btf_ring_decoders(const struct btf *btf, struct rl_btf_ring *rings, size_t n)
{
	int err = 0;

	for (size_t i = 0; i < n; i++)
		rings[i].decoder = NULL;
	for (size_t i = 0; btf && !err && i < n; i++)
		if (rings[i].type_id > 0 &&
		    rl_btf_decoder(btf, (uint32_t)rings[i].type_id, rings[i].map,
				   &rings[i].decoder) == -ENOMEM)
			err = -ENOMEM;
	for (size_t i = 0; err && i < n; i++) {
		free(rings[i].decoder);
		rings[i].decoder = NULL;
	}
	return err;
}
