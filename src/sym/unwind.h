/* User stacks unwound from a copy of their top (a record's struct rl_ustack) with
 * elfutils' libdwfl, as perf --call-graph dwarf does: one process's address space, its
 * mapped files reported as modules, and the record's registers and stack as the thread
 * libdwfl walks. Each step uses the CFI (.eh_frame) of the file the code is in; code in
 * no file (a JIT's) or in a file without CFI gets libdwfl's frame-pointer step. Internal
 * to src/sym: the symbolizer keeps one per process (sym.c), with the process's mappings. */
#ifndef RINGLUA_UNWIND_H
#define RINGLUA_UNWIND_H

#include <stddef.h>
#include <stdint.h>

/* The unwinders' memory all told (--unwind-mem): each holds the CFI sections its
 * process's files have, read (not mapped) as it needs them, and what libdwfl keeps per
 * file; past it, the least recently used process's unwinder is closed (made again when
 * next asked). Megabytes. */
#define RL_UNWIND_MEM_DEFAULT_MB 64
#define RL_UNWIND_MEM_MAX_MB 4096

struct rl_ustack;
struct sym_unwind;

/* A mapped file to report: its name, an open descriptor of it (not taken: duplicated),
 * and its load bias (mapped address minus file address). */
struct sym_unwind_mod {
	const char *name;
	int fd;
	uint64_t bias;
};

/* Why a walk ended. */
enum sym_unwind_end {
	SYM_UNWIND_DONE,	/* at the outermost frame (_start, clone) */
	SYM_UNWIND_COPY,	/* a frame lay past the stack's copy: --stack-bytes short */
	SYM_UNWIND_STUCK,	/* a step did not move: the same frame twice */
	SYM_UNWIND_MAX,		/* max frames given */
	SYM_UNWIND_ERROR,	/* no step found (no CFI, and no frame pointer to follow) */
	SYM_UNWIND_ENDS
};

/* Makes an unwinder of process pid's address space from its n files. Returns 0, -ENOENT
 * (no file could be read as ELF), or -ENOMEM. */
int sym_unwind_open(struct sym_unwind **out, uint32_t pid, const struct sym_unwind_mod *mods,
		    size_t n);

/* What u holds, in bytes (an estimate: its files' CFI sections and a share per file). */
size_t sym_unwind_bytes(const struct sym_unwind *u);

/* Unwinds the stack st (whose data holds st->size bytes) into ips (room for max >= 1),
 * innermost first: the interrupted address, then return addresses. Returns how many,
 * and in *end why it stopped. */
int sym_unwind_stack(struct sym_unwind *u, const struct rl_ustack *st, uint64_t *ips, int max,
		     enum sym_unwind_end *end);

/* Frees u, its descriptors and libdwfl's state. Accepts NULL. */
void sym_unwind_close(struct sym_unwind *u);

#endif
