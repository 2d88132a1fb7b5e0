/* --replay FILE: a script run on a recording, without root and without BPF. */
#ifndef RINGLUA_REPLAY_RUN_H
#define RINGLUA_REPLAY_RUN_H

#include <signal.h>
#include <stddef.h>

#include "app/cli.h"
#include "kernel/btf_decode.h"
#include "record/recording.h"

struct btf;
struct rl_lua_opts;

/* What a recording's rings give the script, made from its BTF as a live run makes it:
 * nothing of the file but checked names and the BTF reaches the Lua host. */
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

/* Runs the script on the recording opt->replay: as fast as it goes, or at the pace it
 * was recorded with opt->realtime; on_tick every --interval of recorded time. The
 * script must fit the recording: the source it asks for (-s, else its `source` field,
 * else `bpf` when it names an object) is the recorded one, and its `handlers` name the
 * recorded rings; else one line names both and the status is 1. lua: the Lua host's
 * options as the command line sets them (the recording gives the rings and the batch
 * array is the replay's); exiting: the stop signals' counter. Returns the exit status
 * (failures printed). */
int rl_replay_run(const struct rl_options *opt, const struct rl_lua_opts *lua,
		  volatile sig_atomic_t *exiting);

#endif
