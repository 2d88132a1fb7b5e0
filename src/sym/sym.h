/* User-space symbols: a process's executable mappings (/proc/PID/maps) and each mapped
 * file's ELF function symbols (.symtab, else the .symtab of its debug file under
 * /usr/lib/debug/.build-id, else .dynsym), read with libelf. Files are read once, cached by
 * device and inode; a process's mappings are read once, when it is first noted, so that
 * its addresses still resolve after it exits. Called from Lua through the FFI
 * (ringlua.names.usym); no BPF and no root needed beyond reading /proc/PID.
 *
 * The processes and files are others', so what they can make the symbolizer hold or do
 * is bounded by the budgets below; past one, frames print in a fallback form instead
 * ("[file+0x1234]" or "0x7f..."), never with more memory or time. */
#ifndef RINGLUA_SYM_H
#define RINGLUA_SYM_H

#include <stddef.h>
#include <stdint.h>

/* A file's symbols kept: its function entries and its string table (one copy, which
 * all its names point into). A file whose symbol tables are all larger is not read for
 * symbols; its frames print as "[file+0x1234]". Large enough for the .symtab of a
 * debug file of a big C++ library. */
#define RL_SYM_FILE_BYTES_MAX ((size_t)64 << 20)
/* All files' symbols kept. Files no process maps any more are forgotten first, least
 * recently used first; when the files still mapped hold it all, a new file gets what is
 * left (maybe nothing, then "[file+0x1234]"). */
#define RL_SYM_BYTES_MAX ((size_t)256 << 20)
/* Files kept (each mapped file, and each that could not be read, is one). Past it, and
 * with every file still mapped, a new file's frames print as "0x7f...". */
#define RL_SYM_FILES_MAX 1024
/* Processes whose mappings are kept, and their executable mappings all told: past
 * either, the least recently used process is forgotten (an exited one's addresses then
 * print as "0x..."; a live one's mappings are read again when next asked for). */
#define RL_SYM_PROCS_MAX 1024
#define RL_SYM_MAPPINGS_MAX (256 * 1024)
/* Lines of one process's /proc/PID/maps read (the kernel's vm.max_map_count default is
 * 65530): addresses in mappings past them print as "0x7f...". */
#define RL_SYM_MAPS_LINES_MAX 65536
/* An address in none of a live process's mappings reads its mappings again (it may
 * have loaded a library since), at most once in this many milliseconds per process: a
 * reread of a process with 60000 mappings takes 0.1 s, and a stack has up to 127 frames. */
#define RL_SYM_REREAD_MS 1000

/* Files kept open for the unwinder (rl_sym_unwind): past it, a file's frames are
 * stepped over by frame pointer. Well under the default limit of 1024 descriptors. */
#define RL_SYM_UNWIND_FDS_MAX 256

struct rl_sym;

/* A new, empty symbolizer. Returns 0 or -ENOMEM. */
int rl_sym_open(struct rl_sym **out);

/* Reads process pid's mappings and the symbols of every file they map, unless already
 * known for the process and program it runs now (one read of /proc/PID/stat for a
 * known pid: one that exec'd since, or a pid another process has now, is read again).
 * May forget other processes (the budgets above; see rl_sym_forgotten). Returns 1 when
 * it read them, 0 when they were known, or -errno (-ENOENT: no such process). */
int rl_sym_note_pid(struct rl_sym *s, uint32_t pid);

/* Writes into buf (NUL-terminated, cut to size) the name of addr in process pid:
 * "malloc+0x1a" (the function it falls in), "[libfoo.so+0x1234]" (a mapped file
 * without a symbol there, or over budget; the offset is the file's own address, as
 * addr2line -e takes it), or "0x7f12..." (no file: anonymous memory such as JIT code,
 * or a process never noted and gone). An address in no mapping makes a live process's
 * mappings be read again, at most once per RL_SYM_REREAD_MS (which may forget other
 * processes). Returns the length written. */
int rl_sym_user(struct rl_sym *s, uint32_t pid, uint64_t addr, char *buf, size_t size);

/* With raw non-zero, rl_sym_user names C++ functions as their files have them
 * (`_ZN2ns6Worker4spinEi`); by default demangled (`ns::Worker::spin(int)`). */
void rl_sym_set_raw_names(struct rl_sym *s, int raw);

/* Moves into pids (room for max) the pids whose mappings were forgotten to stay within
 * budget since the last call, oldest first, so that a cache of their names can go too.
 * Returns how many it moved (0: none left), or -EOVERFLOW when more were forgotten
 * than it kept track of: then forget every pid's names. */
int rl_sym_forgotten(struct rl_sym *s, uint32_t *pids, int max);

/* Forgets process pid's mappings (its files stay cached while other processes map them,
 * and within budget after). */
void rl_sym_forget_pid(struct rl_sym *s, uint32_t pid);

/* Writes into buf (NUL-terminated, cut to size) what the symbolizer holds and has done,
 * as "name=N" words: processes, mappings, files, file_bytes, over_budget (files with a
 * table over their budget: RL_SYM_FILE_BYTES_MAX, or what RL_SYM_BYTES_MAX had left),
 * maps_reads (reads of a /proc/PID/maps) and forgotten (processes forgotten to stay
 * within budget); and of the unwinder: unwinds, unwound_frames, unwind_cut_copy (a walk
 * that needed more stack than was copied), unwind_cut_stuck, unwind_cut_max,
 * unwind_cut_error (no CFI and no frame pointer to step with), unwind_bytes,
 * unwinders_closed (for the budget) and file_fds. Returns the length written. */
int rl_sym_stats(const struct rl_sym *s, char *buf, size_t size);

/* Calls fn(ctx, name) for each function of the ELF file path (the symbols names.usym
 * would use: .symtab, else its debug file's, else .dynsym), each name once, sorted.
 * Stops at fn's first nonzero return and returns it. Returns 0, or -errno (-ENOEXEC:
 * not an ELF file; -EFBIG: its symbol tables are over RL_SYM_FILE_BYTES_MAX). */
int rl_sym_functions(const char *path, int (*fn)(void *ctx, const char *name), void *ctx);

/* Unwinds the user stack a record copied (ustack: its struct rl_ustack, len bytes of
 * record from there) into ips (room for max), innermost first, from the CFI of the
 * files its process maps, noting the process if it is not known yet (src/sym/unwind.h).
 * The files are read as rl_sym_note_pid reads them, and from its first call on kept open
 * as processes are noted, so that a process that has exited since still unwinds. Sets
 * *cut when the walk stopped short of the outermost frame (counted by why in
 * rl_sym_stats). Returns the frames written (at least 1: where the thread was), or
 * -EINVAL (a copy longer than len, or max < 1). */
int rl_sym_unwind(struct rl_sym *s, const void *ustack, size_t len, uint64_t *ips, int max,
		  int *cut);

/* Bounds the unwinders' memory at bytes (RL_UNWIND_MEM_DEFAULT_MB until set): past it
 * the least recently used process's unwinder is closed. */
void rl_sym_set_unwind_mem(struct rl_sym *s, size_t bytes);

/* Frees everything. Accepts NULL. */
void rl_sym_close(struct rl_sym *s);

#endif
