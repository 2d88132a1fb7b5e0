/* The ordered drain (rl_consumer_opts.ordered) over two simulated per-CPU rings in the
 * kernel's layout: records come out merged by the timestamp that leads each record, a
 * batch mixing rings; a record waits while it is younger than the latency bound unless
 * every ring has a newer one, so a record stamped earlier that commits late on the other
 * ring, within the bound, still comes first; each ring's consumer position moves in its
 * own order; a callback that stops resumes where it stopped; at the stop nothing waits. */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "ring/ring.h"
#include "sim_ring.h"
#include "util/clock.h"

#define PAGE 4096
#define RINGS 2
#define MAX_SEEN 64
#define BOUND_US 200000		/* the latency bound: long, so "within it" is certain */
#define MS 1000000ull
/* A poll that sleeps for held records: reached only if the timer were lost. */
#define WAKE_TIMEOUT_MS 10000

/* A record as the built-in sources write them: the timestamp first. */
struct rec {
	uint64_t ts_ns;
	uint32_t seq;
};

struct seen {
	uint64_t ts[MAX_SEEN];
	uint32_t seq[MAX_SEEN];
	uint32_t ring[MAX_SEEN];
	size_t n, batches;
	int take;		/* records to take per call; -1 all */
};

struct rings {
	struct sim_ring *sim[RINGS];
	struct rl_consumer *c;
	struct seen seen;
};

static struct rl_rec batch[16];

static int on_batch(void *ctx, const struct rl_rec *recs, size_t n)
{
	struct seen *s = ctx;
	size_t take = s->take < 0 || (size_t)s->take > n ? n : (size_t)s->take;

	s->batches++;
	for (size_t i = 0; i < take && s->n < MAX_SEEN; i++, s->n++) {
		struct rec r;

		memcpy(&r, recs[i].data, sizeof(r));
		s->ts[s->n] = r.ts_ns;
		s->seq[s->n] = r.seq;
		s->ring[s->n] = recs[i].ring;
	}
	return (int)take;
}

static int open_rings(struct rings *r, uint32_t latency_us)
{
	struct rl_consumer_opts o = { .batch = batch, .batch_cap = 16,
				      .latency_us = latency_us, .ordered = true };

	memset(r, 0, sizeof(*r));
	r->seen.take = -1;
	if (rl_consumer_open(&r->c, &o))
		return -1;
	for (int i = 0; i < RINGS; i++) {
		r->sim[i] = sim_ring_new(PAGE);
		if (!r->sim[i] || rl_consumer_add_mem(r->c, &r->sim[i]->mem, r->sim[i]->wake_fd,
						      on_batch, &r->seen) != i)
			return -1;
	}
	return 0;
}

static void close_rings(struct rings *r)
{
	rl_consumer_close(r->c);
	for (int i = 0; i < RINGS; i++)
		sim_ring_free(r->sim[i]);
}

static int emit(struct rings *r, int ring, uint64_t ts, uint32_t seq)
{
	struct rec e = { .ts_ns = ts, .seq = seq };

	return sim_emit(r->sim[ring], &e, sizeof(e), 0);
}

static void old_records_come_merged_by_timestamp_in_one_batch(void)
{
	static struct rings r;
	uint64_t old = rl_now_ns() - 10 * BOUND_US * 1000ull;

	CHECK(open_rings(&r, BOUND_US) == 0);
	/* Ring 0: 1 4 5, ring 1: 2 3 6 (ms after `old`). */
	CHECK(emit(&r, 0, old + 1 * MS, 1) == 0 && emit(&r, 0, old + 4 * MS, 4) == 0 &&
	      emit(&r, 0, old + 5 * MS, 5) == 0);
	CHECK(emit(&r, 1, old + 2 * MS, 2) == 0 && emit(&r, 1, old + 3 * MS, 3) == 0 &&
	      emit(&r, 1, old + 6 * MS, 6) == 0);
	CHECK(rl_consumer_poll(r.c, 0) == 6);
	CHECK(r.seen.batches == 1);
	for (uint32_t k = 0; k < 6; k++)
		CHECK(r.seen.seq[k] == k + 1);
	CHECK(r.seen.ring[0] == 0 && r.seen.ring[1] == 1 && r.seen.ring[3] == 0);
	CHECK(rl_consumer_pending(r.c, 0) == 0 && rl_consumer_pending(r.c, 1) == 0);
	close_rings(&r);
}

static void a_record_committed_late_within_the_bound_still_comes_first(void)
{
	static struct rings r;
	uint64_t now = rl_now_ns(), start;

	CHECK(open_rings(&r, BOUND_US) == 0);
	/* CPU 0 commits a record stamped now; CPU 1 is still writing one it stamped
	 * earlier: the first must wait. */
	CHECK(emit(&r, 0, now, 2) == 0);
	CHECK(rl_consumer_poll(r.c, 0) == 0);
	CHECK(r.seen.n == 0 && rl_consumer_pending(r.c, 0) > 0);
	/* CPU 1's commit arrives, within the bound: it comes out first. Ring 0's record
	 * still waits, ring 1 being empty again. */
	CHECK(emit(&r, 1, now - 1 * MS, 1) == 0);
	CHECK(rl_consumer_poll(r.c, 0) == 1);
	CHECK(r.seen.seq[0] == 1 && r.seen.ring[0] == 1);
	CHECK(rl_consumer_pending(r.c, 1) == 0 && rl_consumer_pending(r.c, 0) > 0);
	/* A sleeping poll wakes for it once it is a bound old: no wakeup comes for it. */
	start = rl_now_ns();
	for (int polls = 0; r.seen.n < 2 && polls < 100; polls++)
		CHECK(rl_consumer_poll(r.c, WAKE_TIMEOUT_MS) >= 0);
	CHECK(r.seen.n == 2 && r.seen.seq[1] == 2 && r.seen.ring[1] == 0);
	CHECK(rl_now_ns() >= now + BOUND_US * 1000ull);
	CHECK(rl_now_ns() - start < (uint64_t)WAKE_TIMEOUT_MS * MS / 2);
	close_rings(&r);
}

static void a_newer_record_on_every_ring_releases_the_oldest_at_once(void)
{
	static struct rings r;
	uint64_t now = rl_now_ns();

	CHECK(open_rings(&r, BOUND_US) == 0);
	CHECK(emit(&r, 0, now + 1, 1) == 0 && emit(&r, 0, now + 3, 3) == 0);
	CHECK(emit(&r, 1, now + 2, 2) == 0 && emit(&r, 1, now + 4, 4) == 0);
	/* 1, 2, 3 each have a newer record on the other ring; 4 is the last and waits. */
	CHECK(rl_consumer_poll(r.c, 0) == 3);
	CHECK(r.seen.seq[0] == 1 && r.seen.seq[1] == 2 && r.seen.seq[2] == 3);
	rl_consumer_stop_holding(r.c);
	CHECK(rl_consumer_poll(r.c, 0) == 1 && r.seen.seq[3] == 4);
	close_rings(&r);
}

static void a_callback_that_stops_resumes_in_order_per_ring(void)
{
	static struct rings r;
	uint64_t old = rl_now_ns() - 10 * BOUND_US * 1000ull;

	CHECK(open_rings(&r, BOUND_US) == 0);
	for (uint32_t k = 0; k < 8; k++)
		CHECK(emit(&r, (int)(k % 2), old + k * MS, k) == 0);
	r.seen.take = 3;
	CHECK(rl_consumer_poll(r.c, 0) == 3);
	r.seen.take = -1;
	CHECK(rl_consumer_poll(r.c, 0) == 5);
	CHECK(r.seen.n == 8);
	for (uint32_t k = 0; k < 8; k++)
		CHECK(r.seen.seq[k] == k && r.seen.ring[k] == k % 2);
	CHECK(rl_consumer_pending(r.c, 0) == 0 && rl_consumer_pending(r.c, 1) == 0);
	close_rings(&r);
}

static void tagged_rings_carry_their_tag(void)
{
	static struct rings r;
	uint64_t old = rl_now_ns() - 10 * BOUND_US * 1000ull;

	CHECK(open_rings(&r, BOUND_US) == 0);
	CHECK(rl_consumer_set_tag(r.c, 1, 0) == 0 && rl_consumer_tag(r.c, 1) == 0);
	CHECK(rl_consumer_set_tag(r.c, 2, 0) == -EINVAL);
	CHECK(emit(&r, 1, old, 7) == 0);
	CHECK(rl_consumer_poll(r.c, 0) == 1 && r.seen.ring[0] == 0 && r.seen.seq[0] == 7);
	close_rings(&r);
}

/* The ordered batch of a consumer with room for more records than a quarter of a ring
 * holds: counts the records and the times a timestamp came before an older one. */
struct order {
	uint64_t last_ts;
	size_t n, inversions;
};

static int in_order(void *ctx, const struct rl_rec *recs, size_t n)
{
	struct order *o = ctx;

	for (size_t i = 0; i < n; i++, o->n++) {
		uint64_t ts;

		memcpy(&ts, recs[i].data, sizeof(ts));
		if (ts < o->last_ts)
			o->inversions++;
		o->last_ts = ts;
	}
	return (int)n;
}

/* A batch walks at most a quarter of each ring: a ring whose walk reached it still has
 * records, older than the other ring's next ones, which must not go first. */
static void a_ring_walked_to_its_quarter_holds_the_batch_back(void)
{
	static struct rl_rec big[128];
	struct rl_consumer_opts o = { .batch = big, .batch_cap = 128, .latency_us = BOUND_US,
				      .ordered = true };
	struct order seen = { 0 };
	struct sim_ring *sim[RINGS] = { 0 };
	struct rl_consumer *c = NULL;
	uint64_t old = rl_now_ns() - 10 * BOUND_US * 1000ull;
	int total = 0, n;

	CHECK(rl_consumer_open(&c, &o) == 0);
	for (int i = 0; i < RINGS; i++) {
		sim[i] = sim_ring_new(PAGE);
		CHECK(sim[i] && rl_consumer_add_mem(c, &sim[i]->mem, sim[i]->wake_fd, in_order,
						    &seen) == i);
	}
	/* 60 records a ring (24 bytes each: 42 fill a quarter of 4 KiB); ring 0's all older
	 * than ring 1's. */
	for (uint32_t k = 0; k < 120; k++) {
		struct rec e = { .ts_ns = old + (k < 60 ? k : 100 + k) * MS, .seq = k };

		CHECK(sim_emit(sim[k < 60 ? 0 : 1], &e, sizeof(e), 0) == 0);
	}
	rl_consumer_stop_holding(c);
	while ((n = rl_consumer_poll(c, 0)) > 0)
		total += n;
	CHECK(n == 0 && total == 120 && seen.n == 120);
	CHECK(seen.inversions == 0);
	rl_consumer_close(c);
	for (int i = 0; i < RINGS; i++)
		sim_ring_free(sim[i]);
}

/* A producer as fast as the handler: each record handled brings a new one. */
struct refill {
	struct sim_ring *sim;
	uint64_t ts;
	size_t handled, emitted;
};

static int handle_and_refill(void *ctx, const struct rl_rec *recs, size_t n)
{
	struct refill *f = ctx;

	(void)recs;
	for (size_t i = 0; i < n && f->emitted < 100000; i++, f->emitted++) {
		struct rec e = { .ts_ns = f->ts++, .seq = 0 };

		if (sim_emit(f->sim, &e, sizeof(e), 0))
			return -EIO;
	}
	f->handled += n;
	return (int)n;
}

/* An ordered poll hands out what the rings held when it began, as an unordered one
 * does: a producer that keeps up with the handler cannot keep it in the poll. */
static void an_ordered_poll_ends_under_a_producer_that_keeps_up(void)
{
	static struct rl_rec big[16];
	struct rl_consumer_opts o = { .batch = big, .batch_cap = 16, .latency_us = BOUND_US,
				      .ordered = true };
	struct refill f = { .ts = rl_now_ns() - 10 * BOUND_US * 1000ull };
	struct rl_consumer *c = NULL;
	int n;

	f.sim = sim_ring_new(16 * PAGE);
	CHECK(f.sim && rl_consumer_open(&c, &o) == 0);
	CHECK(rl_consumer_add_mem(c, &f.sim->mem, f.sim->wake_fd, handle_and_refill, &f) == 0);
	for (int k = 0; k < 100; k++) {
		struct rec e = { .ts_ns = f.ts++, .seq = 0 };

		CHECK(sim_emit(f.sim, &e, sizeof(e), 0) == 0);
	}
	rl_consumer_stop_holding(c);
	n = rl_consumer_poll(c, 0);
	CHECK(n == 100 && f.handled == 100);
	rl_consumer_close(c);
	sim_ring_free(f.sim);
}

int main(void)
{
	RUN(old_records_come_merged_by_timestamp_in_one_batch);
	RUN(a_record_committed_late_within_the_bound_still_comes_first);
	RUN(a_newer_record_on_every_ring_releases_the_oldest_at_once);
	RUN(a_callback_that_stops_resumes_in_order_per_ring);
	RUN(tagged_rings_carry_their_tag);
	RUN(a_ring_walked_to_its_quarter_holds_the_batch_back);
	RUN(an_ordered_poll_ends_under_a_producer_that_keeps_up);
	printf("%d passed, %d failed\n", tests_passed, tests_failed);
	return tests_failed != 0;
}
