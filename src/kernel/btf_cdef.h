/* Record types of a BPF object's rings, from its BTF, as C declarations for ffi.cdef. */
#ifndef RINGLUA_BTF_CDEF_H
#define RINGLUA_BTF_CDEF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct btf;

/* Whether btf is sound enough to walk (here, in btf_decode.c, and in libbpf's dumper,
 * which trusts it): every type names only types it has, of kinds C allows there, and has
 * a readable name, base types have sizes C gives them, every member lies inside its
 * struct, no loop of references passes through no struct or
 * union, and the kernel, which checks far
 * more, accepts it, when this process may ask it (CAP_BPF; without it, as on a replay,
 * the checks before are all). */
bool rl_btf_valid(const struct btf *btf);

/* The most bytes of structs and unions the declarations of one set of types may span:
 * libbpf's dumper writes a line of padding per 8 bytes of a gap, and a hostile struct
 * of gigabytes would take minutes; real record types are far smaller. */
#define RL_BTF_PRINT_MAX (4u << 20)

/* Whether the types ids[0..n-1], and what they refer to, may be printed into ffi.cdef
 * text and generated Lua: every name they would print is a C identifier (base types:
 * identifier words, "unsigned int"; members and parameters may be anonymous), and their
 * structs and unions span at most RL_BTF_PRINT_MAX bytes in all. False for an id btf
 * does not have. Call on a btf rl_btf_valid passed. */
bool rl_btf_printable(const struct btf *btf, const uint32_t *ids, size_t n);

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
