/* What a script reaches of a loaded BPF object besides its rings: its globals (.rodata,
 * .data, .bss, through libbpf's mmap of their maps: live, no system call) and its
 * hash, LRU hash, array and per-CPU maps (by fd), described as Lua data for
 * ringlua.globals and ringlua.maps (lua/ringlua/object.lua). */
#ifndef RINGLUA_BPF_BIND_H
#define RINGLUA_BPF_BIND_H

#include <stddef.h>
#include <stdint.h>

struct rl_bpf;

/* The BTF ids (in the object's BTF) of the types the bindings name: each global's and
 * each bound map's key and value, for rl_btf_cdef. Works before load. *ids is malloc'd.
 * Returns 0 or -ENOMEM. */
int rl_bpf_bind_types(const struct rl_bpf *b, uint32_t **ids, size_t *n);

/* Lua source of a chunk returning { globals = {...}, maps = {...}, ncpus = N } for the
 * loaded object b: each global's name, C type, address, size and whether it may be
 * written (not in .rodata); each map's name, kind, fd, key and value C types and sizes.
 * The globals' maps are mapped for it (rl_bpf_global_area). malloc'd into *out. Returns
 * 0 or -errno. */
int rl_bpf_bindings(struct rl_bpf *b, char **out);

#endif
