/* Record types of a BPF object's rings, from its BTF, as C declarations for ffi.cdef. */
#ifndef RINGLUA_BTF_CDEF_H
#define RINGLUA_BTF_CDEF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct btf;

/* Whether btf is sound enough to walk (here, in btf_decode.c, and in libbpf's dumper,
 * which trusts it): every type names only types it has and has a readable name, no loop
 * of references passes through no struct or union, and the kernel, which checks far
 * more, accepts it, when this process may ask it (CAP_BPF; without it, as on a replay,
 * the checks before are all). */
bool rl_btf_valid(const struct btf *btf);

/* Whether every name the declarations or decoders of the types ids[0..n-1] and of what
 * they refer to would print is a C identifier (base types: identifier words, "unsigned
 * int"; members and parameters may be anonymous): only such names reach ffi.cdef text
 * or generated Lua. False for an id btf does not have. Call on a btf rl_btf_valid
 * passed. */
bool rl_btf_names_ok(const struct btf *btf, const uint32_t *ids, size_t n);

/* The record type of the ring named map: the struct or union named by `named` when it is
 * not NULL ("foo" or "struct foo"); else `struct <map>_event`; else `struct event` when
 * only_ring. Writes its C name ("struct foo") into ctype. Returns its BTF id (> 0), or
 * -ENOENT when there is no such type. */
int rl_btf_record_type(const struct btf *btf, const char *map, const char *named,
		       bool only_ring, char *ctype, size_t len);

/* The C declarations of the types ids[0..n-1] and of every type they refer to, each once
 * and in an order that declares a type before its use, as a malloc'd string in *out.
 * Returns 0 or -errno. */
int rl_btf_cdef(const struct btf *btf, const uint32_t *ids, size_t n, char **out);

#endif
