/* C identifiers: the only names ringlua lets into generated Lua source and ffi.cdef
 * text when they come from outside (a BPF object's BTF, a recording). */
#ifndef RINGLUA_IDENT_H
#define RINGLUA_IDENT_H

#include <stdbool.h>
#include <stddef.h>

/* Longer names are not ones a C compiler or libbpf would have made. */
#define RL_IDENT_MAX 255

/* Whether s is a C identifier ([A-Za-z_][A-Za-z0-9_]*) of at most RL_IDENT_MAX bytes. */
bool rl_ident_ok(const char *s);

/* Whether s is words that are identifiers, one space apart: the names BTF gives base
 * types ("long unsigned int"). */
bool rl_ident_words_ok(const char *s);

/* Probe names as tracepoints are named ("tracepoint:sched:sched_switch"): runs of
 * [A-Za-z0-9_] split by single colons, at least two runs, at most RL_IDENT_MAX bytes.
 * The ring names of tracepoint probes. */
bool rl_ident_probe_ok(const char *s);

/* What -s takes for probes ("tp:sched:*,tp:irq:irq_handler_entry"): items of
 * [A-Za-z0-9_:*?] split by single commas, with a colon somewhere, at most
 * RL_PROBE_LIST_MAX bytes. The source name of a tracepoint feed. */
#define RL_PROBE_LIST_MAX 4096
bool rl_ident_probe_list_ok(const char *s);

#endif
