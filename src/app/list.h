/* -l [PATTERN]: the probes ringlua can trace, as bpftrace -l lists them. */
#ifndef RINGLUA_LIST_H
#define RINGLUA_LIST_H

#include <stdio.h>

/* Prints to out, one a line, the built-in sources and then every tracepoint
 * ("tracepoint:CATEGORY:NAME") whose name matches the glob pattern (NULL: all; "tp:"
 * stands for "tracepoint:"); with verbose, each followed by its fields with their C
 * types. Returns 0, -ENOENT when nothing matched (printed), or -errno (printed). */
int rl_list_probes(FILE *out, const char *pattern, int verbose);

#endif
