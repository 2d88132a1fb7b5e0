/* Tracepoints as sources: every tracepoint of the running kernel, typed from its tracefs
 * format, through one precompiled program (bpf/tracepoint.bpf.c) attached once per
 * tracepoint with a cookie that selects its probe's config. The record types are
 * synthesized as BTF (one struct per probe: ringlua's header, then the tracepoint's
 * fields under the kernel's names, strings as char arrays), so that the C declarations
 * and the decoders come from the same generators as for any BPF object. */
#ifndef RINGLUA_TRACEPOINTS_H
#define RINGLUA_TRACEPOINTS_H

#include <stddef.h>
#include <stdint.h>

#include "kernel/tp_format.h"

struct btf;
struct rl_bpf;
struct rl_source_filter;
struct rl_tracepoints;

/* One attached tracepoint. */
struct rl_tp_probe {
	char *spec;		/* "tracepoint:CATEGORY:NAME" */
	char *category;
	char *name;
	char *ctype;		/* its record's C type: "struct tp_sched__sched_switch" */
	int btf_id;		/* that type in rl_tracepoints_btf */
	struct rl_tp_format format;
};

/* Expands probes, a comma-separated list of probe names with wildcards
 * ("tracepoint:sched:*,tp:syscalls:sys_enter_read"), into the tracepoints that exist
 * (each once, in the order named, a wildcard's sorted), lays out their records, and
 * loads and attaches the tracepoint program to each with f's filters. Records go to its
 * ring "events"; each names its probe by index in its header. Returns 0 or -errno
 * (printed; -EDOM for a name that is no probe name or matches no tracepoint). */
int rl_tracepoints_open(struct rl_tracepoints **out, const char *probes,
			const struct rl_source_filter *f);

/* The attached probes, by index; *n receives how many. */
const struct rl_tp_probe *rl_tracepoints_probes(const struct rl_tracepoints *t, size_t *n);

/* The loaded object (its ring "events", its `dropped` count). */
struct rl_bpf *rl_tracepoints_bpf(const struct rl_tracepoints *t);

/* The BTF of the probes' record types. */
const struct btf *rl_tracepoints_btf(const struct rl_tracepoints *t);

/* C declarations of struct tp_header and of every probe's record type, for ffi.cdef. */
const char *rl_tracepoints_cdef(const struct rl_tracepoints *t);

/* The declarations of the probes' common header and of the records ids of btf (the
 * probes' synthesized BTF, live or as a recording keeps it), malloc'd into *out: the one
 * way a live run and a replay declare tracepoint records. Returns 0 or -errno. */
int rl_tracepoints_records_cdef(const struct btf *btf, const uint32_t *ids, size_t n,
				char **out);

/* Detaches and frees. Accepts NULL. */
void rl_tracepoints_close(struct rl_tracepoints *t);

#endif
