#include "kernel/map_sizes.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/libbpf.h>

#include "kernel/bpf/stacks.h"

/* A stack-trace map's value: the frames of one stack, as ringlua's own sources take. */
#define STACK_VALUE_SIZE (RL_STACK_MAX * sizeof(uint64_t))

const char *rl_ring_bytes_parse(const char *arg, const char **map, size_t *map_len,
				uint32_t *bytes)
{
	const char *eq = strchr(arg, '='), *num = eq ? eq + 1 : arg;
	unsigned long page = (unsigned long)sysconf(_SC_PAGESIZE);
	unsigned long long v;
	char *end;

	*map = eq ? arg : NULL;
	*map_len = eq ? (size_t)(eq - arg) : 0;
	if (eq == arg)
		return "expected [MAP=]BYTES: the map name is empty";
	if (num[0] < '0' || num[0] > '9')
		return "expected [MAP=]BYTES: BYTES is a number";
	errno = 0;
	v = strtoull(num, &end, 10);
	if (errno || *end)
		return "expected [MAP=]BYTES: BYTES is a number";
	/* The kernel maps a ring's data pages twice, back to back, and masks positions by
	 * its size. */
	if (v < page || v > RL_RING_BYTES_MAX || (v & (v - 1)) || v % page)
		return "a ring's size must be a power of two multiple of the page size";
	*bytes = (uint32_t)v;
	return NULL;
}

/* Prints the object's ring buffer maps, for an error about one. */
static void print_rings(struct bpf_object *obj)
{
	struct bpf_map *map;
	const char *sep = "";

	bpf_object__for_each_map(map, obj) {
		if (bpf_map__type(map) != BPF_MAP_TYPE_RINGBUF)
			continue;
		fprintf(stderr, "%s%s", sep, bpf_map__name(map));
		sep = ", ";
	}
	fprintf(stderr, "%s\n", sep[0] ? "" : "none");
}

/* Checks that every spec naming a map names a ring buffer map of obj. Returns 0 or
 * -EDOM (printed). */
static int check_named(struct bpf_object *obj, const char *name, const char *const *specs,
		       size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const char *map_name;
		size_t len;
		uint32_t bytes;
		char want[128];
		struct bpf_map *map;

		if (rl_ring_bytes_parse(specs[i], &map_name, &len, &bytes) || !map_name)
			continue;
		snprintf(want, sizeof(want), "%.*s", (int)len, map_name);
		map = bpf_object__find_map_by_name(obj, want);
		if (map && bpf_map__type(map) == BPF_MAP_TYPE_RINGBUF)
			continue;
		fprintf(stderr, "ringlua: --ring-bytes %s: %s has no ring buffer map %s; its "
				"ring buffer maps: ", specs[i], name, want);
		print_rings(obj);
		return -EDOM;
	}
	return 0;
}

/* --ring-bytes on the ring map: the last spec that names it, or names no map, wins.
 * Returns 0 or -errno. */
static int size_ring(struct bpf_map *map, const char *const *specs, size_t n)
{
	const char *name = bpf_map__name(map);

	for (size_t i = n; i-- > 0;) {
		const char *map_name;
		size_t len;
		uint32_t bytes;

		if (rl_ring_bytes_parse(specs[i], &map_name, &len, &bytes))
			continue;
		if (!map_name || (strlen(name) == len && !strncmp(map_name, name, len)))
			return bpf_map__set_max_entries(map, bytes);
	}
	return 0;
}

/* Whether the kernel or libbpf gives a map of this type its size when it has none:
 * local storage takes none, libbpf sizes a perf event array by the CPUs. */
static bool sized_for_it(enum bpf_map_type type)
{
	return type == BPF_MAP_TYPE_PERF_EVENT_ARRAY || type == BPF_MAP_TYPE_SK_STORAGE ||
	       type == BPF_MAP_TYPE_INODE_STORAGE || type == BPF_MAP_TYPE_TASK_STORAGE;
}

/* What a front end sets before load, for one map. Returns 0 or -errno (printed). */
static int size_map(struct bpf_map *map, const char *name)
{
	enum bpf_map_type type = bpf_map__type(map);
	int err = 0;

	if (type == BPF_MAP_TYPE_STACK_TRACE && !bpf_map__value_size(map))
		err = bpf_map__set_value_size(map, STACK_VALUE_SIZE);
	if (err)
		fprintf(stderr, "ringlua: %s: map %s: cannot set its value size: %s\n", name,
			bpf_map__name(map), strerror(-err));
	if (err || bpf_map__max_entries(map) || bpf_map__is_internal(map) || sized_for_it(type))
		return err;
	fprintf(stderr, "ringlua: %s: map %s has no max_entries: the object leaves its size "
			"to its front end%s\n", name, bpf_map__name(map),
		type == BPF_MAP_TYPE_RINGBUF ? " (give it with --ring-bytes)" : "");
	return -EINVAL;
}

int rl_map_sizes_apply(struct bpf_object *obj, const char *name, const char *const *specs,
		       size_t n)
{
	struct bpf_map *map;
	int err = check_named(obj, name, specs, n);

	bpf_object__for_each_map(map, obj) {
		if (!err && bpf_map__type(map) == BPF_MAP_TYPE_RINGBUF)
			err = size_ring(map, specs, n);
		if (!err)
			err = size_map(map, name);
	}
	return err;
}
