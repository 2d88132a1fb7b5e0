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

int main(void)
{
	RUN(old_records_come_merged_by_timestamp_in_one_batch);
	RUN(a_record_committed_late_within_the_bound_still_comes_first);
	RUN(a_newer_record_on_every_ring_releases_the_oldest_at_once);
	RUN(a_callback_that_stops_resumes_in_order_per_ring);
	RUN(tagged_rings_carry_their_tag);
	printf("%d passed, %d failed\n", tests_passed, tests_failed);
	return tests_failed != 0;
}
