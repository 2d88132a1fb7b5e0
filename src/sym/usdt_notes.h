/* The USDT probes of an ELF file: its SystemTap SDT notes (.note.stapsdt), one per probe
 * site, read from a file someone else may have written: every size is bounded and no
 * offset is trusted. What the notes' argument strings mean is libbpf's to read; here
 * they are only handed on. */
#ifndef RINGLUA_USDT_NOTES_H
#define RINGLUA_USDT_NOTES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The most bytes of notes read from one file: a probe site's note is some 100 bytes. */
#define RL_USDT_NOTES_MAX (4u << 20)

/* One probe site. The strings are NUL-terminated and valid during the callback only. */
struct rl_usdt_note {
	const char *provider;	/* never empty */
	const char *name;	/* never empty */
	const char *args;	/* the argument specs, space-separated ("-4@%eax 8@-8(%rbp)"),
				 * as the note gives them; "" for none */
	uint64_t pc;		/* the site's address, as the note gives it */
	uint64_t semaphore;	/* the address of its semaphore, or 0 */
};

/* Called for each note; returns 0 to go on, anything else to stop the walk with it. */
typedef int (*rl_usdt_note_fn)(void *ctx, const struct rl_usdt_note *note);

/* Calls fn for each SDT note of the size bytes at data (a .note.stapsdt section, in
 * this machine's byte order; wide: a 64-bit ELF file's, whose addresses are 8 bytes).
 * Other notes, and SDT notes too short for their addresses and three strings, are passed
 * over; a note whose sizes run past the end ends the walk. Returns 0 or what fn
 * returned to stop it. */
int rl_usdt_notes_parse(const void *data, size_t size, bool wide, rl_usdt_note_fn fn,
			void *ctx);

/* Calls fn for each SDT note of the ELF file path, in the file's order. Returns 0 (also
 * for a file without notes), -ENOEXEC (not a regular ELF file of this machine's byte
 * order), -EFBIG (notes over RL_USDT_NOTES_MAX bytes, or sections beyond an ELF header's
 * count), open's -errno, or what fn returned to stop the walk. */
int rl_usdt_notes_read(const char *path, rl_usdt_note_fn fn, void *ctx);

#endif
