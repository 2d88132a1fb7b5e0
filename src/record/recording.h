/* Recordings: every raw event ringlua handled (ring, length, bytes, time) and what is
 * needed to decode them (the rings' names and record types, and the object's BTF), so
 * that a script can run on them later without root and without BPF (--record FILE,
 * --replay FILE).
 *
 * A recording is data only: anyone may hand one over, so it holds no code and no text
 * that is compiled. The C declarations and decoders are made again from its BTF on
 * replay, by the code a live run uses (rl_btf_ring_decoders, rl_btf_cdef), and every
 * name is checked here before anything else sees it.
 *
 * Format 2, little-endian:
 *   "RINGLUA" 0x02, u32 header size, header, records.
 *   header: fields of u32 length + bytes: source name, ring count (as text), then per
 *     ring its map name and record C type ("struct NAME" or "union NAME", or empty when
 *     unknown), then the object's raw BTF (may be empty: a pinned ring has none).
 *   record: u32 length, u32 ring, u64 time (ns, CLOCK_MONOTONIC), bytes, padded to 8.
 * Format 1 also carried decoders as Lua source and declarations as text; it is refused
 * (it would have to be trusted), with a line that says to record again. */
#ifndef RINGLUA_RECORDING_H
#define RINGLUA_RECORDING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ring/ring.h"

#define RL_RECORDING_RINGS 32

struct rl_recording_ring {
	const char *name;	/* a C identifier */
	const char *ctype;	/* "struct NAME" or "union NAME"; "" when unknown */
};

struct rl_recording_meta {
	const char *source;	/* what fed the script: "exec", "bpf", "pin", ... */
	size_t nr_rings;
	struct rl_recording_ring rings[RL_RECORDING_RINGS];
	const void *btf;	/* the object's raw BTF; NULL when none */
	size_t btf_size;
};

struct rl_recorder;
struct rl_replay;

/* Creates path as a new file of mode 0600 and writes the header. An existing path, a
 * link too, is refused: a recording never goes into a file someone else made or
 * through a link someone planted. Returns 0, or -errno (-EEXIST: path exists; -EINVAL:
 * a source or ring name that is not a C identifier (util/ident.h), or a type that
 * rl_recording_ctype_ok refuses: the reader would refuse them). */
int rl_recorder_open(struct rl_recorder **out, const char *path,
		     const struct rl_recording_meta *meta);

/* Appends records recs[0..n-1], all handled at time_ns. Returns 0 or -errno. */
int rl_recorder_write(struct rl_recorder *r, const struct rl_rec *recs, size_t n,
		      uint64_t time_ns);

/* Flushes and closes; returns 0 or -errno (a failed write shows here). Accepts NULL. */
int rl_recorder_close(struct rl_recorder *r);

/* Whether s is a record type a recording may name: "", or "struct NAME" / "union NAME"
 * with NAME a C identifier. */
bool rl_recording_ctype_ok(const char *s);

/* Maps a recording and reads its header, checking every name and type in it. Returns 0,
 * or -errno with *why saying what is wrong (-EBADMSG: not a recording, or a corrupt or
 * truncated one, or one with names that are not identifiers; -EPROTO: one of format 1). */
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
