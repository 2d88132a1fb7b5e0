/* --replay FILE: a recording as what feeds a session's script, without root and without
 * BPF. Nothing of the file but checked names and its BTF reaches the Lua host: the
 * declarations and decoders are made from the BTF as a live run makes them. */
#ifndef RINGLUA_REPLAY_RUN_H
#define RINGLUA_REPLAY_RUN_H

#include <limits.h>
#include <stddef.h>

#include "app/cli.h"
#include "kernel/btf_decode.h"
#include "record/recording.h"
#include "ring/rec.h"
#include "ring/ring_desc.h"

struct btf;
struct rl_loop;
struct rl_lua;

/* What a recording's rings give the script, made from its BTF as a live run makes it. */
struct rl_replay_types {
	struct btf *btf;	/* the recording's; NULL when it has none (--pin) */
	struct rl_btf_ring rings[RL_RECORDING_RINGS]; /* by ring: map, type id, decoder */
	char *cdef;		/* declarations of a BPF object's ring types; NULL for a
				 * built-in source (ringlua declares those) or no types */
};

/* Reads m's BTF (libbpf), checks it (rl_btf_valid), finds each ring's record type in it
 * by name, and generates the declarations and decoders (rl_btf_cdef,
 * rl_btf_ring_decoders). A built-in source's recording must have that source's one
 * ring and type. Returns 0, or -errno with the reason in why (len bytes) for a line
 * "--replay FILE: <why>". Free t with rl_replay_types_free, also after a failure. */
int rl_replay_types(struct rl_replay_types *t, const struct rl_recording_meta *m,
		    char *why, size_t len);

/* Frees what rl_replay_types made. Accepts a zeroed t. */
void rl_replay_types_free(struct rl_replay_types *t);

/* A recording, open, with its ring table. */
struct rl_replay_feed {
	struct rl_replay *rec;
	struct rl_replay_types types;
	struct rl_ring_desc rings[RL_RECORDING_RINGS]; /* the ring table */
	size_t nr_rings;
	char rings_from[PATH_MAX + 32];	/* "the recording FILE", for the script's errors */
};

/* Opens the recording at path and fills the ring table from it. Returns 0 or -errno
 * (printed). Close f with rl_replay_feed_close, also after a failure. */
int rl_replay_feed_open(struct rl_replay_feed *f, const char *path);

/* The source the recording was made from ("exec", "bpf", "pin", ...). */
const char *rl_replay_feed_source(const struct rl_replay_feed *f);

/* Whether the script in lua fits the recording: the source it asks for (-s, else its
 * `source` field, else `bpf` when it names an object) is the recorded one. Returns 0, or
 * -EINVAL with one line naming both. */
int rl_replay_feed_check(const struct rl_replay_feed *f, const struct rl_options *opt,
			 const struct rl_lua *lua);

/* Hands the recorded records to the loop's batch callback, batch by batch into batch
 * (cap records), as fast as it goes or, with --realtime, at the pace they were recorded
 * (from the recording's start). on_tick where the live run called it, at its clock
 * marks; in a recording without them (format 2), every --interval of recorded time from
 * the first record. Stops at the end or the stop mark, at a stop signal or when the loop
 * is finished. Returns 0, or -ECANCELED for a corrupt entry (printed). */
int rl_replay_feed_run(struct rl_replay_feed *f, const struct rl_options *opt,
		       struct rl_loop *loop, struct rl_rec *batch, size_t cap);

/* Unmaps and frees. Accepts a zeroed f. */
void rl_replay_feed_close(struct rl_replay_feed *f);

#endif
