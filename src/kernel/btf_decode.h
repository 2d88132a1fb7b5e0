/* Decoders of ring records, generated once per record type from BTF as Lua source: one
 * function turns a record into a plain Lua table (char arrays as strings, nested structs
 * and arrays as tables, enums by name), another into one line of JSON with its fields in
 * declaration order. No reflection per event: the field walk happens here, once. */
#ifndef RINGLUA_BTF_DECODE_H
#define RINGLUA_BTF_DECODE_H

#include <stdint.h>

struct btf;

/* Lua source of a chunk that, called with (ffi, helpers, ctype), returns
 * decode(ptr) -> table and json(ptr) -> string for the type type_id of btf, whose C name
 * is ctype ("struct x_event"). map is put first in each JSON object as "map". The
 * source is malloc'd into *out. Returns 0 or -errno (-ENOTSUP for a type that is not a
 * struct or union). */
int rl_btf_decoder(const struct btf *btf, uint32_t type_id, const char *map, char **out);

#endif
