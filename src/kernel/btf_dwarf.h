/* Types from an object's DWARF, as BTF: for programs whose record type clang left out of
 * BTF (a struct used only through a local pointer), when the object was built with -g.
 * dwarves' pahole does the conversion, as the kernel's own build turns its DWARF into
 * BTF. */
#ifndef RINGLUA_BTF_DWARF_H
#define RINGLUA_BTF_DWARF_H

#include <stdbool.h>
#include <stddef.h>

struct btf;

/* Whether the ELF image has DWARF type information (a .debug_info section). */
bool rl_elf_has_dwarf(const void *elf, size_t len);

/* Every type of the ELF image's DWARF as BTF, in *out (free with btf__free). Returns 0;
 * -ENOENT when pahole is not installed; -EINVAL when it could not convert the image;
 * or -errno. */
int rl_btf_from_dwarf(const void *elf, size_t len, struct btf **out);

#endif
