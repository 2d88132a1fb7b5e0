#include "kernel/bpf_globals.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/btf.h>

#include "kernel/bpf_obj.h"

/* A value on its way into the variable's bytes, and the reason when it cannot go in. */
struct setting {
	const char *value;
	enum rl_value_kind kind;
	char *why;
	size_t why_len;
	uint8_t bytes[8];	/* little room is needed: only scalars come through here */
	size_t size;
};

static int reject(struct setting *s, int err, const char *expected)
{
	const char *what = "cannot be set";

	if (err == -ERANGE)
		what = "does not fit";
	else if (err == -EINVAL)
		what = "wrong type";
	snprintf(s->why, s->why_len, "%s: expected %s", what, expected);
	return err;
}

/* The integer s->value as the low `size` bytes, in the host's byte order. */
static void store(struct setting *s, uint64_t v, size_t size)
{
	/* Little-endian hosts (the only BPF targets ringlua builds for): the low bytes first. */
	memcpy(s->bytes, &v, size);
	s->size = size;
}

/* Parses s->value as an integer of `bits` bits; out of range is -ERANGE. */
static int parse_int(struct setting *s, unsigned int bits, bool is_signed, const char *what)
{
	char expected[96];
	char *end;
	int64_t min = is_signed ? -(int64_t)((UINT64_C(1) << (bits - 1)) - 1) - 1 : 0;
	uint64_t max = is_signed ? (UINT64_C(1) << (bits - 1)) - 1 :
		       bits == 64 ? UINT64_MAX : (UINT64_C(1) << bits) - 1;
	bool negative = strchr(s->value, '-') != NULL;
	uint64_t v;

	snprintf(expected, sizeof(expected), "%s (%lld to %llu)", what, (long long)min,
		 (unsigned long long)max);
	errno = 0;
	v = negative ? (uint64_t)strtoll(s->value, &end, 0) : strtoull(s->value, &end, 0);
	if (end == s->value || *end)
		return reject(s, -EINVAL, expected);
	if (errno == ERANGE || (negative ? (int64_t)v < min : v > max))
		return reject(s, -ERANGE, expected);
	store(s, v, bits / 8);
	return 0;
}

static int set_bool(struct setting *s)
{
	bool text = s->kind == RL_VALUE_TEXT;

	if (s->kind != RL_VALUE_BOOLEAN && !text)
		return reject(s, -EINVAL, "a boolean");
	if (!strcmp(s->value, "true") || (text && !strcmp(s->value, "1")))
		store(s, 1, 1);
	else if (!strcmp(s->value, "false") || (text && !strcmp(s->value, "0")))
		store(s, 0, 1);
	else
		return reject(s, -EINVAL, "true or false");
	return 0;
}

static int set_int(struct setting *s, const struct btf_type *t)
{
	__u32 info = btf_int_encoding(t);
	bool is_signed = info & BTF_INT_SIGNED;
	char what[64];

	if (info & BTF_INT_BOOL)
		return set_bool(s);
	if (t->size > 8 || btf_int_bits(t) != t->size * 8)
		return reject(s, -ENOTSUP, "an integer of 1, 2, 4 or 8 bytes");
	snprintf(what, sizeof(what), "%s %u-bit integer", is_signed ? "a signed" : "an unsigned",
		 t->size * 8);
	if (s->kind == RL_VALUE_BOOLEAN)
		return reject(s, -EINVAL, what);
	return parse_int(s, t->size * 8, is_signed, what);
}

/* The enumerators of t, "A, B, C", into buf. */
static void list_enumerators(const struct btf *btf, const struct btf_type *t, char *buf,
			     size_t len)
{
	const struct btf_enum *e = btf_enum(t);
	size_t used = 0;

	buf[0] = '\0';
	for (int i = 0; i < btf_vlen(t) && used < len; i++, e++)
		used += (size_t)snprintf(buf + used, len - used, "%s%s", i ? ", " : "",
					 btf__name_by_offset(btf, e->name_off));
}

static int set_enum(struct setting *s, const struct btf *btf, const struct btf_type *t)
{
	const struct btf_enum *e = btf_enum(t);
	char names[512], expected[640];

	list_enumerators(btf, t, names, sizeof(names));
	snprintf(expected, sizeof(expected), "one of enum %s: %s, or a number",
		 btf__name_by_offset(btf, t->name_off), names);
	if (s->kind == RL_VALUE_BOOLEAN || t->size > 8)
		return reject(s, -EINVAL, expected);
	for (int i = 0; i < btf_vlen(t); i++, e++) {
		if (strcmp(btf__name_by_offset(btf, e->name_off), s->value) == 0) {
			store(s, (uint64_t)(int64_t)e->val, t->size);
			return 0;
		}
	}
	/* The kind flag of an enum says its values are signed. */
	return parse_int(s, t->size * 8, btf_kflag(t), expected);
}

/* A char array takes a string and its NUL, zero-filled after it. */
static int set_chars(struct setting *s, const struct btf_array *a, uint8_t *dst)
{
	char expected[64];
	size_t len = strlen(s->value);

	snprintf(expected, sizeof(expected), "a string of at most %u characters",
		 a->nelems ? a->nelems - 1 : 0);
	if (s->kind != RL_VALUE_TEXT && s->kind != RL_VALUE_STRING)
		return reject(s, -EINVAL, expected);
	if (len >= a->nelems)
		return reject(s, -ERANGE, expected);
	memset(dst, 0, a->nelems);
	memcpy(dst, s->value, len);
	return 0;
}

static bool is_char(const struct btf *btf, __u32 id)
{
	const struct btf_type *t = btf__type_by_id(btf, btf__resolve_type(btf, id));

	return t && btf_is_int(t) && t->size == 1 && !(btf_int_encoding(t) & BTF_INT_BOOL);
}

/* Converts s->value into the bytes of the variable of type id and sets it. */
static int set_value(struct rl_bpf *b, const char *name, struct setting *s,
		     const struct btf *btf, __u32 id)
{
	const struct btf_type *t = btf__type_by_id(btf, btf__resolve_type(btf, id));
	uint8_t chars[256];
	int err;

	if (t && btf_is_array(t) && is_char(btf, btf_array(t)->type) &&
	    btf_array(t)->nelems <= sizeof(chars)) {
		err = set_chars(s, btf_array(t), chars);
		return err ? err : rl_bpf_set_global(b, name, chars, btf_array(t)->nelems);
	}
	if (t && btf_is_int(t))
		err = set_int(s, t);
	else if (t && btf_is_enum(t))
		err = set_enum(s, btf, t);
	else
		err = reject(s, -ENOTSUP, "an integer, bool, enum or char array variable");
	return err ? err : rl_bpf_set_global(b, name, s->bytes, s->size);
}

int rl_bpf_set_typed(struct rl_bpf *b, const char *name, const char *value,
		     enum rl_value_kind kind, char *why, size_t why_len)
{
	struct setting s = { .value = value, .kind = kind, .why = why, .why_len = why_len };
	const struct btf *btf;
	int id = rl_bpf_global_type(b, name, &btf);

	if (id < 0) {
		snprintf(why, why_len, "no global named '%s' (in .rodata, .data or .bss)", name);
		return -ENOENT;
	}
	return set_value(b, name, &s, btf, (__u32)id);
}
