/* -l [PATTERN]: the probes ringlua can trace, as bpftrace -l lists them. */
#ifndef RINGLUA_LIST_H
#define RINGLUA_LIST_H

#include <stdio.h>

/* Prints to out, one a line, the probes whose name matches the glob pattern (NULL:
 * all): the built-in sources, every tracepoint ("tracepoint:CATEGORY:NAME"; "tp:" stands
 * for "tracepoint:"), or for "uprobe:PATH:GLOB" (and uretprobe:) the functions of PATH
 * (resolved as a uprobe's PATH is) as "uprobe:/full/path:FUNCTION"; with verbose, each
 * tracepoint followed by its fields with their C types. Returns 0, -ENOENT when nothing
 * matched (printed), or -errno (printed). */
int rl_list_probes(FILE *out, const char *pattern, int verbose);

#endif
