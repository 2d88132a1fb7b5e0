/* The sizes of a user's object's maps, set before load: --ring-bytes, and what a
 * published tool's front end would set (a stack-trace map's value size) or must set (a
 * map declared without max_entries). */
#ifndef RINGLUA_MAP_SIZES_H
#define RINGLUA_MAP_SIZES_H

#include <stddef.h>
#include <stdint.h>

struct bpf_object;

/* The largest ring --ring-bytes takes: max_entries is a __u32, and the kernel wants a
 * power of two. */
#define RL_RING_BYTES_MAX (1u << 31)

/* Reads one --ring-bytes [MAP=]BYTES: *map receives MAP (a pointer into arg; NULL for
 * every ring) and its length, *bytes the size. Returns NULL, or why it is refused (for
 * one line after the option). */
const char *rl_ring_bytes_parse(const char *arg, const char **map, size_t *map_len,
				uint32_t *bytes);

/* Before load: sizes the ring buffer maps of obj (named name in messages) as specs
 * (--ring-bytes's, already checked in form) ask, later ones winning; gives a stack-trace
 * map without a value size ringlua's stack depth; refuses a map left without
 * max_entries. Returns 0, -EDOM (printed) for a spec naming no ring map of obj, -EINVAL
 * (printed) for a map left without max_entries, or libbpf's -errno (printed). */
int rl_map_sizes_apply(struct bpf_object *obj, const char *name, const char *const *specs,
		       size_t n);

#endif
