/* The uprobe and uretprobe sources' attachments: each probe of a list
 * ("uprobe:libc:malloc,uretprobe:/usr/bin/bash:readline") resolved to a file the way
 * the dynamic linker or a shell would find it, and its function attached by libbpf. */
#ifndef RINGLUA_UPROBES_H
#define RINGLUA_UPROBES_H

#include <stddef.h>
#include <stdint.h>

struct rl_bpf;

/* The file a uprobe's PATH names, into out: a path (with a '/') as it is; a library
 * name ("libc", "libssl.so.3") as the dynamic linker's cache lists it (`ldconfig -p`),
 * for this machine's architecture; else a program found along $PATH. Returns 0,
 * -ENOENT (found nowhere) or -ENAMETOOLONG. */
int rl_uprobe_path(const char *name, char *out, size_t size);

/* The same as process pid sees its files (0: as ringlua does): a path through the
 * process's root (/proc/PID/root: a container's own files), a library name among the
 * libraries it has mapped, else as rl_uprobe_path finds it. */
int rl_uprobe_path_in(const char *name, uint32_t pid, char *out, size_t size);

/* rl_uprobe_path_in, and when it fails one line on stderr that says why, after what
 * (the probe or option being attached or listed): "ringlua: WHAT: NAME: no such file,
 * library (ldconfig -p) or program ($PATH)". Returns the same. */
int rl_uprobe_find(const char *what, const char *name, uint32_t pid, char *out,
		   size_t size);

/* Calls attach for each probe of a comma-separated list, with its index in the list
 * (the BPF cookie that tells the records apart), until one fails. Returns 0 or its
 * -errno. */
int rl_probe_list_each(const char *list, uint32_t pid, struct rl_bpf *b,
		       int (*attach)(struct rl_bpf *b, const char *probe, uint64_t index,
				     uint32_t pid));

/* Attaches the uprobe object b's programs to every probe of list (checked by
 * rl_probe_parse), the i-th with cookie i, in process pid only (0: every process).
 * Returns 0 or -errno (printed, naming the probe). */
int rl_uprobes_attach(struct rl_bpf *b, const char *list, uint32_t pid);

#endif
