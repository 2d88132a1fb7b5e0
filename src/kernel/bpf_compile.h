/* Compiling a user's .bpf.c with clang, cached: an object is rebuilt only when the
 * source, the compiler flags or the compiler changed. */
#ifndef RINGLUA_BPF_COMPILE_H
#define RINGLUA_BPF_COMPILE_H

#include <stddef.h>

struct rl_compile {
	const char *path;	 /* the source's path: what diagnostics name; its directory
				  * is searched for the headers it includes */
	const char *text;	 /* its text, as read (and checked) by the caller */
	size_t len;
	const char *include_dir; /* where vmlinux.h is */
};

/* The directory objects are cached in: $XDG_CACHE_HOME/ringlua, else
 * /var/cache/ringlua. Returns 0, or -ENAMETOOLONG. */
int rl_compile_cache_dir(char *buf, size_t len);

/* Writes into obj_path the cached object compiled from c->text, compiling it first
 * unless an object of the same source, flags and clang version is already cached.
 * The source goes to clang on its standard input, so clang compiles exactly the text the
 * caller checked; its diagnostics still name c->path. Compiler errors are shown as clang
 * prints them. Returns 0, or -errno with one line printed after them. */
int rl_compile_bpf(const struct rl_compile *c, char *obj_path, size_t obj_len);

#endif
