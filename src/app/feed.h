/* What feeds the script: the user's BPF object with all its rings, a built-in source's
 * ring, or a pinned ring. Opening a feed fills the ring table (name, record type, BTF
 * id, map fd of every ring) that the rest of the session hands on. */
#ifndef RINGLUA_FEED_H
#define RINGLUA_FEED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "app/cli.h"
#include "ring/ring_desc.h"

struct btf;
struct rl_bpf;
struct rl_lua;
struct rl_source;
struct rl_source_filter;
struct rl_tracepoints;
struct rl_user_bpf;

struct rl_feed {
	struct rl_user_bpf *user;	/* --bpf, or the script's `bpf` field */
	struct rl_bpf *source_bpf;	/* the built-in source's object */
	const struct rl_source *source;	/* the built-in source; NULL for the others */
	struct rl_tracepoints *tracepoints; /* tracepoint probes */
	char *probes;			/* the probe names they were opened from */
	int pin_fd;			/* --pin's map; -1: none */
	const char *name;		/* what ringlua.source says: a source's name, "bpf", "pin",
					 * or the probe names */
	struct rl_ring_desc *rings;	/* the ring table, by ring index */
	size_t nr_rings;
	/* --per-cpu-rings: every CPU's ring, by CPU; all are the table's first entry (the
	 * consumer tags their records 0): one ring to the script, the recording, --stats */
	int *cpu_rings;
	size_t nr_cpu_rings;
	uint32_t *sleep_flag;		/* the built-in program's word the consumer sets before
					 * it sleeps (ring.h); NULL: the kernel's wakeups */
	char *bindings;			/* the user object's globals and maps, for Lua */
	char *kagg;			/* the built-in program's globals and maps, for the
					 * script's kernel aggregations; NULL: it has none */
};

/* Opens the user's object of --bpf before the script starts, so that the script's top
 * level sees its record types. Returns 0 or -errno (printed; -EDOM for a --type that
 * names nothing). */
int rl_feed_open_user(struct rl_feed *f, const char *path, const struct rl_options *opt);

/* Opens the rest of the feed once the script's top level ran (lua: its `source`,
 * `bpf` and `globals`): the object the script names, loaded with its settings, or the
 * built-in source (with --per-cpu-rings, its rings in cpu_rings) or pinned ring. Fills
 * the ring table. Returns 0 or -errno (printed; -EDOM for options that belong to the
 * other kind of feed, and for -s probes that name no tracepoint). */
int rl_feed_load(struct rl_feed *f, const struct rl_options *opt, struct rl_lua *lua);

/* Opens the tracepoints probes names (comma-separated, with wildcards) as the feed, one
 * tagged entry of the ring table per tracepoint, all on one ring. Returns 0 or -errno
 * (printed; -EDOM for a name that names no tracepoint). */
int rl_feed_open_tracepoints(struct rl_feed *f, const char *probes,
			     const struct rl_source_filter *filter);

/* The object whose `dropped` count says how many records found no ring space; NULL for
 * a pinned ring. */
struct rl_bpf *rl_feed_object(const struct rl_feed *f);

/* The BTF the rings' record type ids belong to (a user object's DWARF types when its
 * BTF lacked them); NULL for a pinned ring. */
const struct btf *rl_feed_btf(const struct rl_feed *f);

/* C declarations of the user's rings' record types, for ffi.cdef; NULL: none. */
const char *rl_feed_cdef(const struct rl_feed *f);

/* Generates each ring's decoder from BTF into the ring table. Returns 0 or -ENOMEM. */
int rl_feed_make_decoders(struct rl_feed *f);

/* Unloads and releases. Accepts a feed never opened (zeroed, pin_fd -1). */
void rl_feed_close(struct rl_feed *f);

#endif
