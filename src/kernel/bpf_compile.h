/* Compiling a user's .bpf.c with clang, cached: an object is rebuilt only when the
 * source, the compiler flags or the compiler changed. */
#ifndef RINGLUA_BPF_COMPILE_H
#define RINGLUA_BPF_COMPILE_H

#include <stdbool.h>
#include <stddef.h>

struct rl_compile {
	const char *path;	 /* the source's path: what diagnostics name; its directory
				  * is searched for the headers it includes */
	const char *text;	 /* its text, as read (and checked) by the caller */
	size_t len;
	const char *include_dir; /* where vmlinux.h is */
	bool unsafe_perms;	 /* --unsafe-perms: headers others could write are used */
};

/* The directory objects are cached in: $XDG_CACHE_HOME/ringlua, else
 * /var/cache/ringlua. Returns 0, or -ENAMETOOLONG. */
int rl_compile_cache_dir(char *buf, size_t len);

/* Reads into a malloc'd *elf (length in *elf_len) the object compiled from c->path,
 * compiling it first unless an object of the same source, headers, flags and clang
 * version is already cached. clang compiles the file at c->path, so a header it includes
 * by quoted name is looked for beside it (then in c->include_dir), never in the working
 * directory; the source and every header it reads must pass the script rule
 * (util/script_file.h) unless c->unsafe_perms. The cache directory is created (mode
 * 0700, with its parents) when missing; one that is a link, another user's, or writable
 * by group or others is refused, and so is a cached object that is not a regular file
 * we own that only we can write. clang writes to a pipe, never to a file by name; the
 * object reaches the cache through a new file of an unpredictable name, renamed into
 * place. Compiler errors are shown as clang prints them. Returns 0, or -errno with one
 * line printed after them. */
int rl_compile_bpf(const struct rl_compile *c, char **elf, size_t *elf_len);

#endif
