#include "kernel/bpf_bind.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "kernel/bpf_obj.h"
#include "kernel/btf_cdef.h"

/* The map kinds ringlua.maps serves, by the name the script sees. */
static const char *map_kind(enum bpf_map_type type)
{
	switch (type) {
	case BPF_MAP_TYPE_HASH: return "hash";
	case BPF_MAP_TYPE_LRU_HASH: return "lru_hash";
	case BPF_MAP_TYPE_ARRAY: return "array";
	case BPF_MAP_TYPE_PERCPU_HASH: return "percpu_hash";
	case BPF_MAP_TYPE_LRU_PERCPU_HASH: return "lru_percpu_hash";
	case BPF_MAP_TYPE_PERCPU_ARRAY: return "percpu_array";
	default: return NULL;
	}
}

/* A name that can go into Lua source as it is: BTF and ELF names are C identifiers
 * (the kernel checks BTF's), and anything else is left out rather than quoted. */
static bool plain_name(const char *s)
{
	if (!s || !*s)
		return false;
	for (; *s; s++)
		if (!(*s == '_' || *s == '.' || (*s >= 'a' && *s <= 'z') ||
		      (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9')))
			return false;
	return true;
}

/* Calls fn for every variable in a section of globals, with its section's map. */
static int each_global(const struct rl_bpf *b,
		       int (*fn)(void *ctx, struct bpf_map *map, const char *sec,
				 const char *name, const struct btf_var_secinfo *vs, uint32_t type),
		       void *ctx)
{
	struct bpf_object *obj = rl_bpf_object(b);
	const struct btf *btf = bpf_object__btf(obj);
	int err = 0;

	for (uint32_t id = 1; btf && !err && id < btf__type_cnt(btf); id++) {
		const struct btf_type *t = btf__type_by_id(btf, id);
		const char *sec = btf__name_by_offset(btf, t->name_off);
		const struct btf_var_secinfo *vs = btf_var_secinfos(t);
		struct bpf_map *map;

		if (!btf_is_datasec(t) || !rl_bpf_is_global_section(sec))
			continue;
		map = bpf_object__find_map_by_name(obj, sec);
		for (int i = 0; map && !err && i < btf_vlen(t); i++) {
			const struct btf_type *v = btf__type_by_id(btf, vs[i].type);
			const char *name = btf__name_by_offset(btf, v->name_off);

			if (btf_is_var(v) && plain_name(name))
				err = fn(ctx, map, sec, name, &vs[i], v->type);
		}
	}
	return err;
}

struct id_list {
	uint32_t *ids;
	size_t n, cap;
};

static int add_id(struct id_list *l, uint32_t id)
{
	uint32_t *ids;

	if (!id)
		return 0;
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 16;
		ids = realloc(l->ids, l->cap * sizeof(*ids));
		if (!ids)
			return -ENOMEM;
		l->ids = ids;
	}
	l->ids[l->n++] = id;
	return 0;
}

static int add_global_type(void *ctx, struct bpf_map *map, const char *sec, const char *name,
			   const struct btf_var_secinfo *vs, uint32_t type)
{
	(void)map, (void)sec, (void)name, (void)vs;
	return add_id(ctx, type);
}

int rl_bpf_bind_types(const struct rl_bpf *b, uint32_t **ids, size_t *n)
{
	struct id_list l = { 0 };
	struct bpf_map *map;
	int err = each_global(b, add_global_type, &l);

	bpf_object__for_each_map(map, rl_bpf_object(b)) {
		if (err || !map_kind(bpf_map__type(map)) || bpf_map__is_internal(map))
			continue;
		err = add_id(&l, bpf_map__btf_key_type_id(map));
		if (!err)
			err = add_id(&l, bpf_map__btf_value_type_id(map));
	}
	if (err) {
		free(l.ids);
		return err;
	}
	*ids = l.ids;
	*n = l.n;
	return 0;
}

/* The C type of type id, or bytes of size when the object gives none (a map declared
 * without BTF), into out. Returns 0 or -errno. */
static int ctype(const struct btf *btf, uint32_t id, size_t size, char **out)
{
	if (id && btf)
		return rl_btf_decl(btf, id, out);
	return asprintf(out, "uint8_t[%zu]", size) < 0 ? -ENOMEM : 0;
}

struct writer {
	FILE *out;
	const struct btf *btf;
	struct rl_bpf *bpf;
};

static int write_global(void *ctx, struct bpf_map *map, const char *sec, const char *name,
			const struct btf_var_secinfo *vs, uint32_t type)
{
	struct writer *w = ctx;
	FILE *out = w->out;
	bool writable = strncmp(sec, ".rodata", 7) != 0;
	const char *base = rl_bpf_global_area(w->bpf, map, writable);
	char *decl = NULL;
	int err;

	if (!base || vs->offset + vs->size > bpf_map__value_size(map))
		return 0;
	err = ctype(w->btf, type, vs->size, &decl);
	if (!err)
		fprintf(out, "    { name = \"%s\", section = \"%s\", ctype = \"%s\", "
			     "addr = %llu, size = %u, writable = %s },\n", name, sec, decl,
			(unsigned long long)(uintptr_t)(base + vs->offset), vs->size,
			writable ? "true" : "false");
	free(decl);
	return err;
}

static int write_map(FILE *out, struct bpf_map *map, const struct btf *btf)
{
	const char *kind = map_kind(bpf_map__type(map));
	char *key = NULL, *value = NULL;
	int err;

	/* The maps of .data, .bss and .rodata are reached as globals. */
	if (!kind || bpf_map__is_internal(map) || !plain_name(bpf_map__name(map)))
		return 0;
	err = ctype(btf, bpf_map__btf_key_type_id(map), bpf_map__key_size(map), &key);
	if (!err)
		err = ctype(btf, bpf_map__btf_value_type_id(map), bpf_map__value_size(map),
			    &value);
	if (!err)
		fprintf(out, "    { name = \"%s\", kind = \"%s\", fd = %d, key = \"%s\", "
			     "value = \"%s\", key_size = %u, value_size = %u, "
			     "max_entries = %u },\n", bpf_map__name(map), kind, bpf_map__fd(map),
			key, value, bpf_map__key_size(map), bpf_map__value_size(map),
			bpf_map__max_entries(map));
	free(key);
	free(value);
	return err;
}

int rl_bpf_bindings(struct rl_bpf *b, char **out)
{
	struct bpf_object *obj = rl_bpf_object(b);
	struct bpf_map *map;
	size_t len = 0;
	FILE *f = open_memstream(out, &len);
	struct writer w = { f, bpf_object__btf(obj), b };
	int err;

	if (!f)
		return -ENOMEM;
	fprintf(f, "return {\n  ncpus = %d,\n  globals = {\n", libbpf_num_possible_cpus());
	err = each_global(b, write_global, &w);
	fprintf(f, "  },\n  maps = {\n");
	bpf_object__for_each_map(map, obj)
		if (!err)
			err = write_map(f, map, bpf_object__btf(obj));
	fprintf(f, "  },\n}\n");
	if (fclose(f) && !err)
		err = -ENOMEM;
	if (err) {
		free(*out);
		*out = NULL;
	}
	return err;
}
