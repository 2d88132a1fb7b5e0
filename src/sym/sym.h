/* User-space symbols: a process's executable mappings (/proc/PID/maps) and each mapped
 * file's ELF function symbols (.symtab, else .dynsym, else the .symtab of its debug file
 * under /usr/lib/debug/.build-id), read with libelf. Files are read once, cached by
 * device and inode; a process's mappings are read once, when it is first noted, so that
 * its addresses still resolve after it exits. Called from Lua through the FFI
 * (ringlua.names.usym); no BPF and no root needed beyond reading /proc/PID. */
#ifndef RINGLUA_SYM_H
#define RINGLUA_SYM_H

#include <stddef.h>
#include <stdint.h>

struct rl_sym;

/* A new, empty symbolizer. Returns 0 or -ENOMEM. */
int rl_sym_open(struct rl_sym **out);

/* Reads process pid's mappings and the symbols of every file they map, unless already
 * known for the program it runs now (one read of /proc/PID/stat for a known pid: one
 * that exec'd since is read again). Returns 1 when it read them, 0 when they were
 * known, or -errno (-ENOENT: no such process). */
int rl_sym_note_pid(struct rl_sym *s, uint32_t pid);

/* Writes into buf (NUL-terminated, cut to size) the name of addr in process pid:
 * "malloc+0x1a" (the function it falls in), "[libfoo.so+0x1234]" (a mapped file
 * without a symbol there; the offset is the file's own address, as addr2line -e takes
 * it), or "0x7f12..." (no file: anonymous memory such as JIT code, or a process never
 * noted and gone). An address in no mapping makes a live process's mappings be read
 * again (it may have loaded a library since). Returns the length written. */
int rl_sym_user(struct rl_sym *s, uint32_t pid, uint64_t addr, char *buf, size_t size);

/* Forgets process pid's mappings (its files stay cached). */
void rl_sym_forget_pid(struct rl_sym *s, uint32_t pid);

/* Calls fn(ctx, name) for each function of the ELF file path (the symbols names.usym
 * would use: .symtab, else its debug file's, else .dynsym), each name once, sorted.
 * Stops at fn's first nonzero return and returns it. Returns 0, or -errno (-ENOEXEC:
 * not an ELF file). */
int rl_sym_functions(const char *path, int (*fn)(void *ctx, const char *name), void *ctx);

/* Frees everything. Accepts NULL. */
void rl_sym_close(struct rl_sym *s);

#endif
