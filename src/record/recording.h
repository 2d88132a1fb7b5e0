/* Recordings: every raw event ringlua handled (ring, length, bytes, time) and what is
 * needed to decode them (the rings' names and record types, the C declarations of those
 * types, the generated decoders), so that a script can run on them later without root
 * and without BPF (--record FILE, --replay FILE).
 *
 * Format, little-endian:
 *   "RINGLUA" 0x01, u32 header size, header, records.
 *   header: fields of u32 length + bytes: source name, ring count (as text), then per
 *     ring its map name, record C type and decoder source (may be empty), then the C
 *     declarations of the record types (may be empty), then the object's raw BTF (may be
 *     empty; kept for tools: the declarations and decoders are made from it).
 *   record: u32 length, u32 ring, u64 time (ns, CLOCK_MONOTONIC), bytes, padded to 8. */
#ifndef RINGLUA_RECORDING_H
#define RINGLUA_RECORDING_H

#include <stddef.h>
#include <stdint.h>

#include "ring/ring.h"

#define RL_RECORDING_RINGS 32

struct rl_recording_ring {
	const char *name;
	const char *ctype;	/* "" when unknown */
	const char *decoder;	/* Lua source; "" when none */
};

struct rl_recording_meta {
	const char *source;	/* what fed the script: "exec", "bpf", "pin", ... */
	size_t nr_rings;
	struct rl_recording_ring rings[RL_RECORDING_RINGS];
	const char *cdef;	/* "" when none */
	const void *btf;	/* the object's raw BTF; NULL when none */
	size_t btf_size;
};

struct rl_recorder;
struct rl_replay;

/* Creates path (mode 0600) and writes the header. Returns 0 or -errno. */
int rl_recorder_open(struct rl_recorder **out, const char *path,
		     const struct rl_recording_meta *meta);

/* Appends records recs[0..n-1], all handled at time_ns. Returns 0 or -errno. */
int rl_recorder_write(struct rl_recorder *r, const struct rl_rec *recs, size_t n,
		      uint64_t time_ns);

/* Flushes and closes; returns 0 or -errno (a failed write shows here). Accepts NULL. */
int rl_recorder_close(struct rl_recorder *r);

/* Maps a recording and reads its header. Returns 0, or -errno with *why saying what is
 * wrong (-EBADMSG: not a recording, or a corrupt or truncated one). */
int rl_replay_open(struct rl_replay **out, const char *path, const char **why);

/* The header: valid until rl_replay_close. */
const struct rl_recording_meta *rl_replay_meta(const struct rl_replay *r);

/* The next records, up to cap, of one ring and one time, into batch (pointing into the
 * mapping); *time_ns receives their time. Returns how many, 0 at the end, or -EBADMSG
 * (*why set) for a corrupt or truncated record. */
int rl_replay_next(struct rl_replay *r, struct rl_rec *batch, size_t cap, uint64_t *time_ns,
		   const char **why);

/* Unmaps. Accepts NULL. */
void rl_replay_close(struct rl_replay *r);

#endif
