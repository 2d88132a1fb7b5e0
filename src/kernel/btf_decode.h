/* Decoders of ring records, generated once per record type from BTF as Lua source: one
 * function turns a record into a plain Lua table (char arrays as strings, nested structs
 * and arrays as tables, enums by name), another into one line of JSON with its fields in
 * declaration order. A union an enum member tags (btf_union_tag.h) is its live arm
 * alone. No reflection per event: the field walk happens here, once.
 * A char array with a sibling integer NAME_size and/or NAME_count holds several strings
 * and becomes a list of them; a record may end inside its last member when that is a
 * char array (a tool sends only the bytes in use). */
#ifndef RINGLUA_BTF_DECODE_H
#define RINGLUA_BTF_DECODE_H

#include <stddef.h>
#include <stdint.h>

struct btf;

/* Lua source of a chunk that, called with (ffi, helpers, ctype), returns
 * decode(ptr, len) -> table, json(ptr, len) -> string and the shortest record length
 * they may be called with (the type's size, or the offset of a tail char array), and
 * when a union an enum tags shows its live arm alone, a fourth: a table function that
 * shows every arm (for --lua-types' annotations), for the
 * type type_id of btf, whose C name is ctype ("struct x_event"); len is the record's
 * length. map is put first in each JSON object as "map". The
 * source is malloc'd into *out. Every name in it is a C identifier (rl_btf_printable):
 * nothing else of the BTF reaches the Lua source. Returns 0 or -errno (-ENOTSUP for a
 * type that is not a struct or union; -EINVAL for unsound BTF, a map or a name that is
 * not an identifier; -E2BIG for a type too big to decode). */
int rl_btf_decoder(const struct btf *btf, uint32_t type_id, const char *map, char **out);

/* A ring whose decoders are wanted. */
struct rl_btf_ring {
	const char *map;	/* its map name */
	int type_id;		/* its record type in the BTF; <= 0: none known */
	char *decoder;		/* out: rl_btf_decoder's source, malloc'd; NULL: none */
};

/* The decoders of rings[0..n-1] from btf, the one way a live run and a replay make them
 * (a recording keeps only the BTF and the types' names): each ring whose type is known
 * and decodable gets its source in .decoder, for the caller to free or hand on; the
 * others, and all when btf is NULL, get NULL. Returns 0, or -ENOMEM (then none is set). */
int rl_btf_ring_decoders(const struct btf *btf, struct rl_btf_ring *rings, size_t n);

#endif
