/* Ring consumer: the walk over a ring's records, the sleep/wake path, and mapping. */
#include "ring/ring.h"
#include "util/clock.h"

#include <errno.h>
#include <linux/bpf.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>

/* Record header flags, as the kernel writes them into the length word. */
#define REC_BUSY BPF_RINGBUF_BUSY_BIT
#define REC_DISCARD BPF_RINGBUF_DISCARD_BIT
#define REC_HDR_SZ BPF_RINGBUF_HDR_SZ
/* A cold ring makes the walk wait on memory for every header. */
#define PREFETCH_AHEAD 4096
/* A batch spans at most this share of its ring (1/4): the records of a batch stay
 * unreleased while the callback runs, and the producer needs the rest. */
#define BATCH_RING_SHARE 4
/* A ring at least this full (1/8) is drained at once, without waiting for a batch to
 * build up: what arrives during the wait must still fit. */
#define NO_WAIT_FILL_SHARE 8
/* After its last drain that found records the consumer polls on its timer, once a bound,
 * for this many bounds before it sleeps for good: records that keep coming are drained
 * on the timer, and only a sleep for good costs a producer a wakeup (sleep_flag). */
#define POLL_ON_BOUNDS 8

struct ring {
	uint64_t *consumer_pos;
	const uint64_t *producer_pos;
	const uint8_t *data;
	uint64_t mask;
	/* The consumer position as we last published it (or found it when the ring was
	 * added). Nobody else writes it, so a map that says otherwise has a second consumer
	 * or a hostile writer, and its position may point anywhere, even into a record whose
	 * payload happens to carry the busy bit, where the walk would wait forever. */
	uint64_t published;
	int fd;			/* what epoll watches: the map, or a simulated ring's eventfd */
	rl_batch_fn fn;
	void *ctx;
	void *map_rw;		/* our mappings of a map-backed ring; NULL for rl_ring_mem */
	void *map_ro;
	size_t map_ro_len;
	bool owns_fd;		/* fd was opened by rl_consumer_add_pinned: closed with us */
	uint32_t tag;		/* what its records carry as rl_rec.ring */
	/* An ordered drain's walk: up to where records are in the batch (or discarded), the
	 * producer position it began with, and the timestamp of the record at walk. */
	uint64_t walk, walk_prod, head_ts;
	bool head;		/* head_ts is of a committed record at walk */
	bool full_walk;		/* the walk reached its span with records still after it */
};

struct rl_consumer {
	struct rl_consumer_opts opts;
	uint64_t *rec_end;	/* position just past each record of the batch */
	int *rec_ring;		/* an ordered batch: the ring index of each record */
	/* An ordered drain held back records until then (CLOCK_MONOTONIC ns): no wakeup
	 * will come for them, so the poll sleeps until then at most. 0: none held. */
	uint64_t held_until;
	bool holding;		/* an ordered poll waits out the latency bound */
	/* Pull mode: the last peek handed out `peeked` records of ring `peek_ring`, whose
	 * walk ended at peek_end; 0 once advanced past or after a poll. */
	size_t peeked;
	int peek_ring;
	uint64_t peek_end;
	struct ring *rings;
	int nr_rings;
	int first_ring;		/* the ring an unordered pass begins with */
	int epoll_fd;
	int timer_fd;		/* in the epoll set: fires when the coalescing window ends */
	bool coalesce;		/* a window is running: wait for its timer before the next drain */
	uint64_t found_ns;	/* when the last drain that found records began; 0: none yet */
	uint64_t wakeups;	/* epoll returns with something ready */
};

/* epoll only wakes us: which descriptors are ready does not matter, every ring is
 * drained after a wakeup. */
#define WAKEUPS_PER_WAIT 8
/* What epoll reports for descriptors that are not rings (rings are 0, 1, ...). */
#define TAG_WAKE_FD UINT32_MAX
#define TAG_TIMER (UINT32_MAX - 1)

/* Ring records are 8-byte aligned; the header counts toward the record's length. */
static uint64_t rec_size(uint32_t len)
{
	return ((uint64_t)len + REC_HDR_SZ + 7) & ~(uint64_t)7;
}

static uint64_t load_pos(const uint64_t *pos)
{
	return __atomic_load_n(pos, __ATOMIC_ACQUIRE);
}

/* Moves ring r's consumer position to pos: the kernel may reuse what lies before it. */
static void publish(struct ring *r, uint64_t pos)
{
	__atomic_store_n(r->consumer_pos, pos, __ATOMIC_RELEASE);
	r->published = pos;
}

static uint32_t load_hdr(const struct ring *r, uint64_t pos)
{
	return __atomic_load_n((const uint32_t *)(r->data + (pos & r->mask)), __ATOMIC_ACQUIRE);
}

/* Checks the positions a walk starts from. Returns 0, -EUSERS when the consumer
 * position is not the one we published (someone else moved it), or -EBADMSG when they
 * are impossible: positions only ever move by whole 8-byte-aligned records, at most a
 * ring apart. */
static int check_positions(const struct ring *r, uint64_t cons, uint64_t prod)
{
	if (cons != r->published)
		return -EUSERS;
	if ((cons & 7) || cons > prod || prod - cons > r->mask + 1)
		return -EBADMSG;
	return 0;
}

/* Collects the records from cons up to prod into the batch. Stops at a record still
 * being written, at a full batch (batch_cap records, or records spanning a quarter of
 * the ring), or at prod. Returns the records collected (the end of the walk, discarded
 * records included, in *end) or -EBADMSG for a corrupt header. */
static int collect(struct rl_consumer *c, const struct ring *r, uint64_t cons, uint64_t prod,
		   uint64_t *end)
{
	uint64_t pos = cons, span = (r->mask + 1) / BATCH_RING_SHARE;
	size_t n = 0;

	/* Discarded records alone never end the walk: they are released with the batch. */
	while (pos < prod && n < c->opts.batch_cap && (n == 0 || pos - cons < span)) {
		uint32_t hdr = load_hdr(r, pos);
		uint32_t len = hdr & ~(REC_BUSY | REC_DISCARD);

		__builtin_prefetch(r->data + ((pos + PREFETCH_AHEAD) & r->mask));

		if (hdr & REC_BUSY)
			break;
		if (rec_size(len) > prod - pos)
			return -EBADMSG;
		if (!(hdr & REC_DISCARD)) {
			c->opts.batch[n] = (struct rl_rec){
				.data = r->data + (pos & r->mask) + REC_HDR_SZ,
				.len = len,
				.ring = r->tag,
			};
			c->rec_end[n++] = pos + rec_size(len);
		}
		pos += rec_size(len);
	}
	*end = pos;
	return (int)n;
}

/* Hands out the records of ring i that were there when the drain began, one batch per
 * callback, publishing the consumer position once per batch. Returns the records handled
 * (*stopped set when a callback took fewer than offered) or -errno. */
static int drain_ring(struct rl_consumer *c, int i, bool *stopped)
{
	struct ring *r = &c->rings[i];
	uint64_t prod = load_pos(r->producer_pos);
	uint64_t cons = load_pos(r->consumer_pos);
	int total = 0, err = check_positions(r, cons, prod);

	if (err)
		return err;
	while (cons < prod) {
		uint64_t end;
		int n = collect(c, r, cons, prod, &end);
		int taken;

		if (n <= 0) {
			if (n == 0 && end != cons) /* only discarded records */
				publish(r, end);
			return n < 0 ? n : total;
		}
		taken = r->fn(r->ctx, c->opts.batch, (size_t)n);
		if (taken < 0)
			return taken;
		if (taken > n)
			taken = n;
		if (taken < n) {
			if (taken > 0)
				publish(r, c->rec_end[taken - 1]);
			*stopped = true;
			return total + taken;
		}
		publish(r, end);
		total += n;
		cons = end;
	}
	return total;
}

/* One pass over every ring, from c->first_ring on. Returns the records handled
 * (*stopped set when a callback took fewer than offered; the next pass then begins
 * with the ring after that one) or -errno. */
static int drain_all(struct rl_consumer *c, bool *stopped)
{
	int total = 0;

	*stopped = false;
	for (int k = 0; k < c->nr_rings && !*stopped; k++) {
		int i = (c->first_ring + k) % c->nr_rings;
		int n = drain_ring(c, i, stopped);

		if (n < 0)
			return n;
		total += n;
		if (*stopped)
			c->first_ring = (i + 1) % c->nr_rings;
	}
	return total;
}

/* ---- The ordered drain: per-CPU rings merged by timestamp ---- */

/* Finds the record at r->walk for the merge, skipping discarded ones (released with the
 * batch): r->head says whether a committed one is there, its timestamp in r->head_ts.
 * Not while the batch spans a quarter of the ring from cons: then r->full_walk says
 * records wait after it. Returns 0 or -EBADMSG. */
static int merge_head(struct ring *r, uint64_t cons)
{
	uint64_t span = (r->mask + 1) / BATCH_RING_SHARE;

	r->head = false;
	r->full_walk = r->walk < r->walk_prod && r->walk - cons >= span;
	while (r->walk < r->walk_prod && r->walk - cons < span) {
		uint32_t hdr = load_hdr(r, r->walk);
		uint32_t len = hdr & ~(REC_BUSY | REC_DISCARD);
		const uint8_t *rec = r->data + (r->walk & r->mask) + REC_HDR_SZ;

		if (hdr & REC_BUSY)
			return 0;
		if (rec_size(len) > r->walk_prod - r->walk)
			return -EBADMSG;
		if (!(hdr & REC_DISCARD)) {
			r->head_ts = 0; /* a record too short for a timestamp goes first */
			if (len >= sizeof(r->head_ts))
				memcpy(&r->head_ts, rec, sizeof(r->head_ts));
			r->head = true;
			return 0;
		}
		r->walk += rec_size(len);
		r->full_walk = r->walk < r->walk_prod && r->walk - cons >= span;
	}
	return 0;
}

/* Starts every ring's walk at its consumer position. Returns 0 or -errno. */
static int merge_begin(struct rl_consumer *c)
{
	for (int i = 0; i < c->nr_rings; i++) {
		struct ring *r = &c->rings[i];
		uint64_t cons = load_pos(r->consumer_pos);
		int err;

		r->walk_prod = load_pos(r->producer_pos);
		err = check_positions(r, cons, r->walk_prod);
		if (!err) {
			r->walk = cons;
			err = merge_head(r, cons);
		}
		if (err)
			return err;
	}
	return 0;
}

/* The ring whose head record is oldest, or -1 when no ring has one or a ring's walk is
 * full (its next record, unseen, may be older than every head: the batch ends, and the
 * next one walks on from the released position); *all says whether every ring has one. */
static int oldest_head(const struct rl_consumer *c, bool *all)
{
	int best = -1;

	*all = true;
	for (int i = 0; i < c->nr_rings; i++) {
		const struct ring *r = &c->rings[i];

		if (r->full_walk)
			return -1;
		if (!r->head)
			*all = false;
		else if (best < 0 || r->head_ts < c->rings[best].head_ts)
			best = i;
	}
	return best;
}

/* Collects the next batch in timestamp order, from the walks merge_begin started: a
 * record goes in once it is older than the bound at `now`, or when every ring has one
 * at least as new (nothing older can come). Stops at the first that must wait, noting
 * until when in held_until. Returns the records collected or -EBADMSG. */
static int merge_collect(struct rl_consumer *c, uint64_t now)
{
	uint64_t bound = c->holding ? (uint64_t)c->opts.latency_us * 1000 : 0;
	size_t n = 0;

	c->held_until = 0;
	while (n < c->opts.batch_cap) {
		bool all;
		int i = oldest_head(c, &all);
		struct ring *r = i < 0 ? NULL : &c->rings[i];
		uint32_t len;
		int err;

		if (!r)
			break;
		if (!all && r->head_ts + bound > now) {
			c->held_until = r->head_ts + bound;
			break;
		}
		len = load_hdr(r, r->walk) & ~(REC_BUSY | REC_DISCARD);
		c->opts.batch[n] = (struct rl_rec){
			.data = r->data + (r->walk & r->mask) + REC_HDR_SZ,
			.len = len,
			.ring = r->tag,
		};
		r->walk += rec_size(len);
		c->rec_end[n] = r->walk;
		c->rec_ring[n++] = i;
		err = merge_head(r, load_pos(r->consumer_pos));
		if (err)
			return err;
	}
	return (int)n;
}

/* Releases the first `taken` of the n records of an ordered batch: each ring's consumer
 * position moves past its last record taken, or, when all were, to the end of its walk
 * (past discarded records too). */
static void merge_release(struct rl_consumer *c, size_t taken, size_t n)
{
	for (size_t j = 0; j < taken && taken < n; j++)
		publish(&c->rings[c->rec_ring[j]], c->rec_end[j]);
	for (int i = 0; taken == n && i < c->nr_rings; i++)
		if (c->rings[i].walk != c->rings[i].published)
			publish(&c->rings[i], c->rings[i].walk);
}

static bool any_full_walk(const struct rl_consumer *c)
{
	for (int i = 0; i < c->nr_rings; i++)
		if (c->rings[i].full_walk)
			return true;
	return false;
}

/* One ordered pass over the rings: what poll hands out instead of drain_all. Returns
 * the records handled (*stopped set when the callback took fewer than offered) or
 * -errno. */
static int drain_merged(struct rl_consumer *c, bool *stopped)
{
	uint64_t now = rl_now_ns();
	int total = 0, err = merge_begin(c);

	*stopped = false;
	while (!err) {
		int n = merge_collect(c, now);
		int taken = n > 0 ? c->rings[0].fn(c->rings[0].ctx, c->opts.batch, (size_t)n) : n;

		if (taken < 0)
			return taken;
		if (taken > n)
			taken = n;
		merge_release(c, (size_t)taken, (size_t)n);
		total += taken;
		/* A full walk over discarded records alone collected nothing, but their release
		 * lets the walk go on. */
		if ((n == 0 && !any_full_walk(c)) || taken < n) {
			*stopped = taken < n;
			return total;
		}
		/* Walks go on from where they are, up to the producer positions the pass began
		 * with: what came since waits for the next pass, so a producer that keeps up
		 * with the handler cannot hold the poll (reloads, ticks and a library caller
		 * wait for it to return). */
		for (int i = 0; i < c->nr_rings; i++) {
			err = merge_head(&c->rings[i], c->rings[i].published);
			if (err)
				break;
		}
	}
	return err;
}

/* Collects the ready records of ring i for a peek, moving the consumer position only
 * past discarded records at its head. Returns the records collected or -EBADMSG. */
static int peek_ring(struct rl_consumer *c, int i)
{
	struct ring *r = &c->rings[i];
	uint64_t prod = load_pos(r->producer_pos);
	uint64_t cons = load_pos(r->consumer_pos);
	int n = check_positions(r, cons, prod);

	if (n)
		return n;
	n = collect(c, r, cons, prod, &c->peek_end);
	if (n == 0 && c->peek_end != cons) /* only discarded records */
		publish(r, c->peek_end);
	return n;
}

/* One peek over the rings, from the ring of the last peek on: its records not yet
 * released come back first. Returns the records of the first ring that has some, or
 * -errno. */
static int peek_all(struct rl_consumer *c, bool *stopped)
{
	*stopped = false; /* nothing is handed to a callback */
	for (int k = 0; k < c->nr_rings; k++) {
		int i = (c->peek_ring + k) % c->nr_rings;
		int n = peek_ring(c, i);

		if (n > 0) {
			c->peek_ring = i;
			c->peeked = (size_t)n;
		}
		if (n != 0)
			return n;
	}
	return 0;
}

/* True when a committed record waits at the head of some ring. Called after the
 * consumer position is published and a full fence: the producer reads the consumer
 * position after committing to decide whether to wake us, so a record committed before
 * we sleep is either seen here or wakes us. Acquire/release alone allows both sides to
 * miss each other. A busy head record needs no check: its commit will wake us. */
static bool records_ready(const struct rl_consumer *c)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	for (int i = 0; i < c->nr_rings; i++) {
		const struct ring *r = &c->rings[i];
		uint64_t cons = load_pos(r->consumer_pos);

		if (load_pos(r->producer_pos) != cons && !(load_hdr(r, cons) & REC_BUSY))
			return true;
	}
	return false;
}

/* True when some ring is full enough that waiting for more would risk filling it. */
static bool rings_filling(const struct rl_consumer *c)
{
	for (int i = 0; i < c->nr_rings; i++) {
		const struct ring *r = &c->rings[i];

		if (load_pos(r->producer_pos) - load_pos(r->consumer_pos) >=
		    (r->mask + 1) / NO_WAIT_FILL_SHARE)
			return true;
	}
	return false;
}

/* Arms the window's timer to fire at `at` (CLOCK_MONOTONIC ns); 0 disarms it, which
 * also clears an expiry not yet read. Returns 0 or -errno. */
static int set_timer(const struct rl_consumer *c, uint64_t at)
{
	struct itimerspec its = { .it_value = { .tv_sec = (time_t)(at / 1000000000),
						.tv_nsec = (long)(at % 1000000000) } };

	return timerfd_settime(c->timer_fd, TFD_TIMER_ABSTIME, &its, NULL) ? -errno : 0;
}

/* Starts a coalescing window after a drain that began at `start`: the next drain comes
 * latency_us after it, so a record that drain missed (committed after it began) waits at
 * most that long. A drain that took longer already let a batch build up: no window. */
static void start_window(struct rl_consumer *c, uint64_t start)
{
	uint64_t end = start + (uint64_t)c->opts.latency_us * 1000;

	c->coalesce = rl_now_ns() < end && set_timer(c, end) == 0;
}

/* Waits for the window's timer, bounded by the caller's timeout; a wake fd cuts it short,
 * and so does a ring found past its fill threshold. Ring wakeups do not end it (the first
 * record after a drain always wakes us) but are a chance to look at the fill again.
 * Returns 0 when the window is over, or -errno: -EINTR when a signal cut it short, and
 * then the timer runs on, so that the next poll waits out the same window, not a new
 * one. */
static int coalesce_wait(struct rl_consumer *c, int timeout_ms)
{
	uint64_t give_up = timeout_ms < 0 ? 0 : rl_now_ns() + (uint64_t)timeout_ms * 1000000;

	while (!rings_filling(c)) {
		struct epoll_event ev[WAKEUPS_PER_WAIT];
		uint64_t now = give_up ? rl_now_ns() : 0;
		int n;

		if (give_up && now >= give_up)
			return 0;
		n = epoll_wait(c->epoll_fd, ev, WAKEUPS_PER_WAIT,
			       give_up ? (int)((give_up - now + 999999) / 1000000) : -1);
		if (n < 0)
			return -errno;
		c->wakeups += n > 0;
		for (int i = 0; i < n; i++)
			if (ev[i].data.u32 == TAG_TIMER || ev[i].data.u32 == TAG_WAKE_FD)
				return 0;
	}
	return 0;
}

/* True when some ring holds a record, committed or still being written. */
static bool records_pending(const struct rl_consumer *c)
{
	for (int i = 0; i < c->nr_rings; i++)
		if (load_pos(c->rings[i].producer_pos) != load_pos(c->rings[i].consumer_pos))
			return true;
	return false;
}

/* Tells producers that wake only a sleeping consumer (sleep_flag) that it sleeps: sets
 * the word, fences, and looks at the rings once more. A producer reads the word after
 * its commit, so either it sees the word or this sees its record (then the word is taken
 * back, and false returned: a record is on its way). */
static bool announce_sleep(const struct rl_consumer *c)
{
	__atomic_store_n(c->opts.sleep_flag, 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (!records_pending(c))
		return true;
	__atomic_store_n(c->opts.sleep_flag, 0, __ATOMIC_RELAXED);
	return false;
}

/* Sleeps until a ring's wakeup, a wake fd, or timeout_ms, after a drain that began at
 * start found nothing. Until POLL_ON_BOUNDS bounds (and one) after the last drain that
 * found records, the sleep also ends on the timer a bound after start; after that the
 * consumer sleeps for good, and says so to producers that wake only a sleeper. Returns 0
 * or -errno (-EINTR for a signal). */
static int sleep_for_records(struct rl_consumer *c, uint64_t start, int timeout_ms)
{
	uint64_t bound = (uint64_t)c->opts.latency_us * 1000;
	uint64_t polls_end = c->found_ns + (POLL_ON_BOUNDS + 1) * bound;
	bool polling = bound && c->found_ns && start < polls_end;
	struct epoll_event ev[WAKEUPS_PER_WAIT];
	uint64_t at;
	bool timed;
	int n, err;

	if (!polling && bound && c->opts.sleep_flag && !announce_sleep(c))
		polling = true; /* a record is being written: look again within a bound */
	at = polling ? start + bound : 0;
	/* Records an ordered drain held back get no wakeup: the timer ends the sleep when
	 * the first of them is old enough. */
	if (c->held_until && (!at || c->held_until < at))
		at = c->held_until;
	timed = at && set_timer(c, at) == 0;
	n = epoll_wait(c->epoll_fd, ev, WAKEUPS_PER_WAIT, timeout_ms);
	err = n < 0 ? -errno : 0;
	if (c->opts.sleep_flag)
		__atomic_store_n(c->opts.sleep_flag, 0, __ATOMIC_RELAXED);
	if (timed)
		set_timer(c, 0);
	c->wakeups += n > 0;
	return err;
}

/* One drain by pass that began at start; notes when a drain last found records. */
static int timed_pass(struct rl_consumer *c, uint64_t start, bool *stopped,
		      int (*pass)(struct rl_consumer *, bool *stopped))
{
	int n = pass(c, stopped);

	if (n > 0)
		c->found_ns = start;
	return n;
}

/* Under load a wakeup arrives every few records, and each costs far more than handling
 * them; so a poll that handed out a partial batch starts a window of the latency bound,
 * and the next poll waits for its timer before draining, letting a batch build up; it
 * goes back to epoll only once a drain finds nothing. pass is the drain (drain_all for
 * poll, peek_all for peek); it returns records or -errno, and says whether a callback
 * took fewer than offered. */
static int poll_with(struct rl_consumer *c, int timeout_ms,
		     int (*pass)(struct rl_consumer *, bool *stopped))
{
	uint64_t start;
	bool stopped;
	int n;

	if (c->coalesce) {
		int err = timeout_ms ? coalesce_wait(c, timeout_ms) : 0;

		if (err == -EINTR)
			return 0;
		c->coalesce = false;
		set_timer(c, 0);
		if (err)
			return err;
	}
	start = rl_now_ns();
	n = timed_pass(c, start, &stopped, pass);
	if (n == 0 && timeout_ms != 0 && !stopped) {
		/* Records an ordered drain held back are ready but must wait. */
		int err = records_ready(c) && !c->held_until ? 0 :
			  sleep_for_records(c, start, timeout_ms);

		if (err)
			return err == -EINTR ? 0 : err;
		/* Woken, timed out, or raced: drain, for producers that never wake us too. */
		start = rl_now_ns();
		n = timed_pass(c, start, &stopped, pass);
	}
	/* A callback that stopped early left records ready: the next poll must not wait. */
	if (n > 0 && (size_t)n < c->opts.batch_cap && !stopped && c->opts.latency_us)
		start_window(c, start);
	return n;
}

uint64_t rl_consumer_wakeups(const struct rl_consumer *c)
{
	return c->wakeups;
}

int rl_consumer_poll(struct rl_consumer *c, int timeout_ms)
{
	c->peeked = 0; /* positions move: a peek before this no longer describes the ring */
	return poll_with(c, timeout_ms, c->opts.ordered ? drain_merged : drain_all);
}

int rl_consumer_peek(struct rl_consumer *c, int timeout_ms, const struct rl_rec **recs)
{
	int n;

	c->peeked = 0;
	n = poll_with(c, timeout_ms, peek_all);
	*recs = c->opts.batch;
	return n;
}

/* Releasing a whole peek publishes the end of its walk, past discarded records after its
 * last record too; the next peek then starts at the next ring, so that one busy ring
 * cannot keep the others waiting. */
int rl_consumer_advance(struct rl_consumer *c, size_t n)
{
	struct ring *r;

	if (n > c->peeked)
		return -EINVAL;
	if (n == 0)
		return 0;
	r = &c->rings[c->peek_ring];
	publish(r, n == c->peeked ? c->peek_end : c->rec_end[n - 1]);
	if (n == c->peeked)
		c->peek_ring = (c->peek_ring + 1) % c->nr_rings;
	c->peeked = 0;
	return 0;
}

/* The coalescing window's timer, in the epoll set. Level-triggered: an expiry stays
 * readable until the window is closed (set_timer(c, 0)). Returns 0, or -1 with errno. */
static int add_timer(struct rl_consumer *c)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = TAG_TIMER };

	c->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (c->timer_fd < 0)
		return -1;
	return epoll_ctl(c->epoll_fd, EPOLL_CTL_ADD, c->timer_fd, &ev);
}

int rl_consumer_open(struct rl_consumer **out, const struct rl_consumer_opts *opts)
{
	struct rl_consumer *c;

	if (!opts->batch || opts->batch_cap == 0 || opts->batch_cap > INT32_MAX)
		return -EINVAL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->opts = *opts;
	c->timer_fd = -1;
	c->holding = true;
	c->rec_end = calloc(opts->batch_cap, sizeof(*c->rec_end));
	c->rec_ring = calloc(opts->batch_cap, sizeof(*c->rec_ring));
	c->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (!c->rec_end || !c->rec_ring || c->epoll_fd < 0 || add_timer(c)) {
		int err = c->rec_end && c->rec_ring ? -errno : -ENOMEM;

		rl_consumer_close(c);
		return err;
	}
	*out = c;
	return 0;
}

/* Grows the ring array by one slot; returns the new ring, or NULL. */
static struct ring *ring_slot(struct rl_consumer *c)
{
	struct ring *rings = realloc(c->rings, (c->nr_rings + 1) * sizeof(*rings));

	if (!rings)
		return NULL;
	c->rings = rings;
	memset(&rings[c->nr_rings], 0, sizeof(*rings));
	return &rings[c->nr_rings];
}

/* Edge-triggered: we are told of wakeups, not of a ring that merely holds data, so a
 * record stuck busy by a misbehaving producer cannot make epoll spin. */
static int watch_ring(struct rl_consumer *c, struct ring *r)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLET, .data.u32 = c->nr_rings };

	r->tag = (uint32_t)c->nr_rings;
	if (epoll_ctl(c->epoll_fd, EPOLL_CTL_ADD, r->fd, &ev) < 0)
		return -errno;
	return c->nr_rings++;
}

int rl_consumer_add_mem(struct rl_consumer *c, const struct rl_ring_mem *mem, int wake_fd,
			rl_batch_fn fn, void *ctx)
{
	struct ring *r;

	if (!mem->size || (mem->size & (mem->size - 1)))
		return -EINVAL;
	r = ring_slot(c);
	if (!r)
		return -ENOMEM;
	*r = (struct ring){
		.consumer_pos = mem->consumer_pos,
		.producer_pos = mem->producer_pos,
		.data = mem->data,
		.mask = mem->size - 1,
		.published = load_pos(mem->consumer_pos),
		.fd = wake_fd,
		.fn = fn,
		.ctx = ctx,
	};
	return watch_ring(c, r);
}

static void unmap_ring(struct ring *r)
{
	long page = sysconf(_SC_PAGESIZE);

	if (r->map_rw && r->map_rw != MAP_FAILED)
		munmap(r->map_rw, (size_t)page);
	if (r->map_ro && r->map_ro != MAP_FAILED)
		munmap(r->map_ro, r->map_ro_len);
	r->map_rw = r->map_ro = NULL;
}

/* The kernel's layout: consumer page at offset 0 (ours to write), then the producer
 * page followed by the data pages, which the kernel maps twice so records never wrap. */
static int map_ring(struct ring *r, int map_fd, uint32_t size)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);

	r->map_rw = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED, map_fd, 0);
	if (r->map_rw == MAP_FAILED)
		return -errno;
	r->map_ro_len = page + 2 * (size_t)size;
	r->map_ro = mmap(NULL, r->map_ro_len, PROT_READ, MAP_SHARED, map_fd, (off_t)page);
	if (r->map_ro == MAP_FAILED) {
		int err = -errno;

		unmap_ring(r);
		return err;
	}
	r->consumer_pos = r->map_rw;
	r->producer_pos = r->map_ro;
	r->data = (const uint8_t *)r->map_ro + page;
	r->mask = size - 1;
	return 0;
}

/* Only where the kernel puts the ring's memory. */
#define KNOWN_RING_FLAGS BPF_F_NUMA_NODE

int rl_ring_check_flags(uint32_t map_flags)
{
	return map_flags & ~(uint32_t)KNOWN_RING_FLAGS ? -EOPNOTSUPP : 0;
}

int rl_consumer_add_map(struct rl_consumer *c, int map_fd, rl_batch_fn fn, void *ctx)
{
	struct bpf_map_info info = { 0 };
	uint32_t info_len = sizeof(info);
	struct ring *r;
	int err;

	if (bpf_obj_get_info_by_fd(map_fd, &info, &info_len) < 0)
		return -errno;
	if (info.type != BPF_MAP_TYPE_RINGBUF)
		return -EINVAL;
	err = rl_ring_check_flags(info.map_flags);
	if (err)
		return err;
	r = ring_slot(c);
	if (!r)
		return -ENOMEM;
	err = map_ring(r, map_fd, info.max_entries);
	if (err)
		return err;
	r->published = load_pos(r->consumer_pos);
	r->fd = map_fd;
	r->fn = fn;
	r->ctx = ctx;
	err = watch_ring(c, r);
	if (err < 0)
		unmap_ring(r);
	return err;
}

int rl_consumer_add_pinned(struct rl_consumer *c, const char *path, rl_batch_fn fn,
			   void *ctx)
{
	int fd = bpf_obj_get(path);
	int idx;

	if (fd < 0)
		return -errno;
	idx = rl_consumer_add_map(c, fd, fn, ctx);
	if (idx < 0) {
		close(fd);
		return idx;
	}
	c->rings[idx].owns_fd = true;
	return idx;
}

int rl_consumer_add_wake_fd(struct rl_consumer *c, int fd)
{
	/* Level-triggered: the caller reads fd after every poll, and a wakeup it has not
	 * read yet must not be lost. */
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = TAG_WAKE_FD };

	return epoll_ctl(c->epoll_fd, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

int rl_consumer_set_tag(struct rl_consumer *c, int ring, uint32_t tag)
{
	if (ring < 0 || ring >= c->nr_rings)
		return -EINVAL;
	c->rings[ring].tag = tag;
	return 0;
}

int64_t rl_consumer_tag(const struct rl_consumer *c, int ring)
{
	if (ring < 0 || ring >= c->nr_rings)
		return -EINVAL;
	return c->rings[ring].tag;
}

void rl_consumer_stop_holding(struct rl_consumer *c)
{
	c->holding = false;
}

int64_t rl_consumer_pending(const struct rl_consumer *c, int ring)
{
	const struct ring *r;

	if (ring < 0 || ring >= c->nr_rings)
		return -EINVAL;
	r = &c->rings[ring];
	return (int64_t)(load_pos(r->producer_pos) - load_pos(r->consumer_pos));
}

int64_t rl_consumer_size(const struct rl_consumer *c, int ring)
{
	if (ring < 0 || ring >= c->nr_rings)
		return -EINVAL;
	return (int64_t)(c->rings[ring].mask + 1);
}

void rl_consumer_close(struct rl_consumer *c)
{
	if (!c)
		return;
	for (int i = 0; i < c->nr_rings; i++) {
		unmap_ring(&c->rings[i]);
		if (c->rings[i].owns_fd)
			close(c->rings[i].fd);
	}
	if (c->epoll_fd >= 0)
		close(c->epoll_fd);
	if (c->timer_fd >= 0)
		close(c->timer_fd);
	free(c->rings);
	free(c->rec_end);
	free(c->rec_ring);
	free(c);
}
