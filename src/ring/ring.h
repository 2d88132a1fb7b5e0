/* Ring consumer: reads BPF_MAP_TYPE_RINGBUF maps in place and hands out batches of
 * records without copying them. Also the public header of libringlua, installed as
 * <ringlua/consumer.h>; ringlua.consumer's ffi declarations are generated from it.
 *
 * Model: open a consumer, add one or more rings, poll(timeout) until done, close.
 * Or pull instead of push, for callers that cannot take a callback cheaply (LuaJIT):
 * peek(timeout) for a batch, advance(n) past what was handled.
 * Each ring is mapped the way the kernel lays it out: the consumer page read-write, the
 * producer page and the data pages (mapped twice back to back, so a record that wraps is
 * contiguous) read-only. A record handed out points into those pages and is valid only
 * until the batch callback returns: the consumer position moves past it right after. */
#ifndef RINGLUA_RING_H
#define RINGLUA_RING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Beside this header in the tree and once installed (<ringlua/consumer.h>). */
#include "rec.h"


/* Called with records 0..n-1 of one ring, in order (with rl_consumer_opts.ordered: of
 * any rings, merged by timestamp). Returns how many it took (0..n):
 * the consumer position moves past exactly those, the rest stay in the ring and the
 * current poll stops; without ordered, the next poll begins with the ring after that
 * one, so that a ring whose callback keeps stopping (an overloaded handler) does not
 * starve the others.
 * Returns -errno to stop polling with that error. */
typedef int (*rl_batch_fn)(void *ctx, const struct rl_rec *recs, size_t n);

struct rl_consumer_opts {
	struct rl_rec *batch;	/* caller-owned array the batches are written into */
	/* batch's length: the most records one callback sees. A batch also spans at most a
	 * quarter of its ring's bytes (and at least one record): it stays unreleased while
	 * the callback runs, and a small ring's producer needs the rest. */
	size_t batch_cap;
	/* Coalescing: after a poll that handed out a partial batch, the next poll waits until
	 * this long after that poll's drain began, for more records, instead of arming a
	 * wakeup for every few records. So a record is handed out at most this long after its
	 * commit, plus the time the callbacks before it take. A ring at least an eighth full
	 * is drained without waiting. 0 hands over each record as soon as it is seen. */
	uint32_t latency_us;
	/* Merge the rings by timestamp, for rings that each hold one CPU's records in order
	 * (per-CPU rings): every record starts with a u64 CLOCK_MONOTONIC timestamp
	 * (bpf_ktime_get_ns), and poll hands out the rings' records in its order, a batch
	 * mixing rings, all to the first ring's callback. A record is handed out once it is
	 * latency_us old (a record stamped before it may still be committing on another
	 * CPU until then) or once every ring has a committed record as new: so with
	 * latency_us 0 only what is committed at once is merged. The consumer position of
	 * each ring still moves in that ring's order; records stay in place. Peek does not
	 * merge. */
	bool ordered;
	/* For producers that commit without waking the consumer (BPF_RB_NO_WAKEUP) and wake
	 * it only when this word, which they share with it (a BPF global, mapped), is
	 * nonzero: before a poll sleeps for good, the consumer sets it, issues a full fence
	 * and looks at the rings once more (any record, committed or not, and it polls on
	 * its timer instead); it clears the word when it wakes. A producer reads the word
	 * after its commit, a full barrier, so one of the two sees the other. The consumer
	 * keeps polling on its timer, once a latency bound, for 8 bounds after its last
	 * drain that found records before it sleeps for good. NULL: producers that wake it
	 * as the kernel does by default. */
	uint32_t *sleep_flag;
};

/* A ring already mapped in the kernel's layout; how simulated rings are added. */
struct rl_ring_mem {
	uint64_t *consumer_pos;		/* start of the consumer page */
	const uint64_t *producer_pos;	/* start of the producer page */
	const uint8_t *data;		/* data pages, mapped twice back to back */
	uint64_t size;			/* data size in bytes, a power of two */
};

struct rl_consumer;

/* Returns 0 and a consumer with no rings in *out, or -errno. */
int rl_consumer_open(struct rl_consumer **out, const struct rl_consumer_opts *opts);

/* Whether a ring buffer map with these map_flags is read correctly by this consumer:
 * 0, or -EOPNOTSUPP for a flag it does not know. Known are none but BPF_F_NUMA_NODE
 * (where the ring's memory lives); a flag that changes the ring's rules, such as
 * BPF_F_RB_OVERWRITE (kernel 6.19, where the kernel moves the consumer position itself),
 * must not be read as a plain ring. */
int rl_ring_check_flags(uint32_t map_flags);

/* Maps the ring map map_fd (not taken over: the caller closes it after rl_consumer_close)
 * and watches it. Returns the ring's index, -EINVAL if map_fd is not a ring buffer,
 * -EOPNOTSUPP if its map flags fail rl_ring_check_flags, or -errno. */
int rl_consumer_add_map(struct rl_consumer *c, int map_fd, rl_batch_fn fn, void *ctx);

/* Opens the ring map pinned at path (on bpffs) and adds it as rl_consumer_add_map does;
 * the map's fd is the consumer's, closed by rl_consumer_close. Returns the ring's index,
 * -ENOENT if nothing is pinned there, -EINVAL if it is not a ring buffer, or -errno. */
int rl_consumer_add_pinned(struct rl_consumer *c, const char *path, rl_batch_fn fn,
			   void *ctx);

/* Adds a ring mapped by the caller, woken through wake_fd (readable when the producer
 * signals: an eventfd for a simulated ring). Returns the ring's index or -errno. */
int rl_consumer_add_mem(struct rl_consumer *c, const struct rl_ring_mem *mem, int wake_fd,
			rl_batch_fn fn, void *ctx);

/* Makes a poll that sleeps return (with what the rings hold) when fd becomes readable:
 * how the caller's own events, such as a file being saved, cut a long wait short. The
 * caller reads fd after each poll; until it does, polls do not sleep.
 * Returns 0 or -errno. */
int rl_consumer_add_wake_fd(struct rl_consumer *c, int fd);

/* Hands every ready record to its ring's callback. timeout_ms: 0 never sleeps, -1 waits
 * until records arrive. On a timeout it still drains what producers left without a
 * wakeup. Returns the number of records handled (0 on timeout or when a signal arrived:
 * a signal during a coalescing wait leaves the window running, and the next poll waits
 * out the rest of it), or -errno: -EBADMSG for a corrupt ring, -EUSERS when a ring's
 * consumer position is not where this consumer last put it (another consumer, or a
 * hostile writer, moved it; the ring is not read until it is put back), or an error
 * returned by a callback. */
int rl_consumer_poll(struct rl_consumer *c, int timeout_ms);

/* Pull mode: rings read only through peek may be added with fn NULL (poll needs fn).
 * Waits like rl_consumer_poll, then collects the ready records of one ring (at most
 * batch_cap) into the batch and points *recs at it, without moving the consumer
 * position: the records stay valid, and another peek hands out the same ones first,
 * until rl_consumer_advance releases them. The ring of the last peek is looked at
 * first, the others in turn. Returns the number of records (0 on timeout or when a
 * signal arrived) or -errno: -EBADMSG for a corrupt ring. */
int rl_consumer_peek(struct rl_consumer *c, int timeout_ms, const struct rl_rec **recs);

/* Releases the first n records of the last peek: the consumer position moves past them
 * (and past discarded records among them). The rest stay in the ring for the next peek.
 * An advance of n > 0, or a poll, ends that peek: what is left must be peeked again.
 * Returns 0, or -EINVAL if n is more than the last peek returned. */
int rl_consumer_advance(struct rl_consumer *c, size_t n);

/* Records of ring i carry tag as rl_rec.ring instead of the ring's index: how several
 * rings (one per CPU) are one ring to the callback. Returns 0 or -EINVAL. */
int rl_consumer_set_tag(struct rl_consumer *c, int ring, uint32_t tag);

/* What records of ring i carry as rl_rec.ring (its index unless set), or -EINVAL. */
int64_t rl_consumer_tag(const struct rl_consumer *c, int ring);

/* For the last drain before close: an ordered poll no longer waits out the latency
 * bound, and hands out every committed record (still merged by timestamp). */
void rl_consumer_stop_holding(struct rl_consumer *c);

/* How often the consumer has woken from epoll (a ring's wakeup, the coalescing timer, a
 * wake fd) since it was opened: what a producer's wakeup policy costs it. */
uint64_t rl_consumer_wakeups(const struct rl_consumer *c);

/* Bytes written but not yet consumed in ring i, or -errno. */
int64_t rl_consumer_pending(const struct rl_consumer *c, int ring);

/* The data size of ring i in bytes, or -errno. */
int64_t rl_consumer_size(const struct rl_consumer *c, int ring);

/* Unmaps every ring and releases the consumer. Accepts NULL. */
void rl_consumer_close(struct rl_consumer *c);

#endif
