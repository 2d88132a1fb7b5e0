/* --attach PROG=PROBE: a program of a user's object whose section names no target
 * (libbpf-tools' SEC("uretprobe") in bashreadline, SEC("usdt") in javagc: their own C
 * front ends attach them), attached to the probe the user names:
 * uprobe:PATH:FUNCTION, uretprobe:PATH:FUNCTION or usdt:PATH:PROVIDER:NAME. */
#ifndef RINGLUA_NAMED_ATTACH_H
#define RINGLUA_NAMED_ATTACH_H

#include <stdint.h>

struct rl_bpf;

/* Why assignment is not PROG=PROBE of a kind --attach takes, or NULL: its form only. */
const char *rl_named_attach_check(const char *assignment);

/* Before load: the program assignment names is left for rl_named_attach, not attached
 * by its section. Returns 0, or -ENOENT (printed) when the object has no such program. */
int rl_named_attach_hold(struct rl_bpf *b, const char *assignment);

/* After load: attaches the program to the probe, in process pid only (0: every
 * process). Returns 0 or -errno (printed, naming the option). */
int rl_named_attach(struct rl_bpf *b, const char *assignment, uint32_t pid);

#endif
