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
 * Format 3, little-endian:
 *   "RINGLUA" 0x03, u32 header size, header, entries.
 *   header: fields of u32 length + bytes: source name, ring count (as text), then per
 *     ring its map name and record C type ("struct NAME" or "union NAME", or empty when
 *     unknown), then the object's raw BTF (may be empty: a pinned ring has none).
 *   entry: u32 length, u32 ring, u64 time (ns, CLOCK_MONOTONIC), bytes, padded to 8.
 *     A record has a ring below the ring count; a clock mark has one of the ring ids
 *     RL_RING_MARK_* and no bytes. The live loop writes a mark when it starts (the first
 *     entry), at every tick (after the records it handled before that on_tick) and when
 *     it stops (the last entry; missing when the run was killed), so that a replay
 *     ticks where the live run did. Times never go backwards.
 * Format 2 is format 3 without clock marks; it is read as well (a replay counts its
 * ticks from its first record). Format 1 also carried decoders as Lua source and
 * declarations as text; it is refused (it would have to be trusted), with a line that
 * says to record again. */
#ifndef RINGLUA_RECORDING_H
#define RINGLUA_RECORDING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ring/ring.h"

#define RL_RECORDING_RINGS 32

/* The format a recording starts with: these 7 bytes, then the format's number. */
#define RL_RECORDING_MAGIC "RINGLUA"
#define RL_RECORDING_FORMAT 3		/* written, and read */
#define RL_RECORDING_FORMAT_UNMARKED 2	/* read: the same without clock marks */

/* The ring ids of clock marks: no recording has that many rings. */
#define RL_RING_MARK_START 0xfffffffdu
#define RL_RING_MARK_TICK 0xfffffffeu
#define RL_RING_MARK_STOP 0xffffffffu

/* What the live loop did at a clock mark. */
enum rl_mark {
	RL_MARK_NONE,	/* no mark: records, or the end */
	RL_MARK_START,	/* it started: the recording's start */
	RL_MARK_TICK,	/* it called on_tick */
	RL_MARK_STOP,	/* it stopped */
};

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

/* The ring id a clock mark is written with (RL_RING_MARK_*); 0 for RL_MARK_NONE. */
uint32_t rl_recording_mark_ring(enum rl_mark mark);

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

/* Appends the clock mark of what the loop does at time_ns (never before the last
 * record's or mark's time). Returns 0 or -errno. */
int rl_recorder_mark(struct rl_recorder *r, enum rl_mark mark, uint64_t time_ns);

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

/* The next entry: records, up to cap, of one ring and one time, into batch (pointing
 * into the mapping), or a clock mark; *time_ns receives their time. Returns how many
 * records (*mark RL_MARK_NONE); or 0 with *mark the mark read, or RL_MARK_NONE at the
 * end; or -EBADMSG (*why set) for a corrupt or truncated entry, or marks out of order
 * (format 3: the start mark first, the stop mark last, no time before the last one). */
int rl_replay_next(struct rl_replay *r, struct rl_rec *batch, size_t cap, uint64_t *time_ns,
		   enum rl_mark *mark, const char **why);

/* Unmaps. Accepts NULL. */
void rl_replay_close(struct rl_replay *r);

#endif
