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

/* The most levels the walks that declare types go (a member's, an element's, a
 * pointed-to or a named type is one level deeper): a frame of the C stack each. The
 * kernel takes no BTF that nests deeper than 32 of its own levels, which are a few of
 * these; hostile BTF checked without it may chain as many types as it holds. */
#define RL_BTF_DEPTH_MAX 256

/* The C declarations of the types ids[0..n-1] and of every type they refer to, each once
 * and in an order that declares a type before its use, as a malloc'd string in *out.
 * They are for LuaJIT's ffi.cdef: each struct is laid out with explicit padding so that
 * LuaJIT puts every member at its BTF offset (bitfields, packed and aligned members,
 * anonymous unions and structs, flexible arrays); bool is LuaJIT's; enums that are not
 * 4 bytes or hold values past an int become integers of their size (with their
 * constants declared where they fit an int); 128-bit integers become rl_uint128_t, two
 * 64-bit halves lo and hi. Returns 0 or -errno (-EINVAL for BTF that is not sound;
 * -ELOOP for types that nest deeper than RL_BTF_DEPTH_MAX levels, or anonymous structs
 * and unions deeper than 32). */
int rl_btf_cdef(const struct btf *btf, const uint32_t *ids, size_t n, char **out);

/* What an error of rl_btf_cdef, rl_btf_cdef_parts or rl_btf_decl means, for a line
 * ("types nest deeper than 256 levels" for -ELOOP, else strerror's). */
const char *rl_btf_cdef_error(int err);

/* Types of one BTF, for rl_btf_cdef_parts. */
struct rl_btf_part {
	const struct btf *btf;
	const uint32_t *ids;
	size_t n;
};

/* rl_btf_cdef of several BTFs of one program (its object's and its DWARF's): a struct,
 * union, enum or typedef name defined by an earlier part is not defined again. */
int rl_btf_cdef_parts(const struct rl_btf_part *parts, size_t n, char **out);

/* The C type of id as rl_btf_cdef declares it ("uint32_t", "struct key", "char[16]"),
 * malloc'd into *out, for ffi.typeof once that declaration is made. btf must have
 * passed rl_btf_valid. Returns 0 or -errno (-ELOOP as rl_btf_cdef's). */
int rl_btf_decl(const struct btf *btf, uint32_t id, char **out);

#endif
