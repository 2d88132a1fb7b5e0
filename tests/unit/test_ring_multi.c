/* Several simulated rings in one consumer: each record reaches its own ring's callback
 * with that ring's index; a callback that stops ends the poll and the next poll resumes
 * there, after the other rings' turn; a corrupt ring fails the poll without losing the
 * others' records; a sleeping poll wakes for any ring. */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "ring/ring.h"
#include "sim_ring.h"

#define PAGE 4096
#define RINGS 3
#define MAX_TAKEN 64
/* A sleeping poll's timeout: reached only if the wakeup was lost. */
#define WAKE_TIMEOUT_MS 10000

/* One ring's callback state. */
struct per_ring {
	uint32_t seq[MAX_TAKEN];	/* first 4 payload bytes of each record taken */
	uint32_t index[MAX_TAKEN];	/* rl_rec.ring of each */
	size_t n;
	int take;			/* records to take per call; -1 all */
};

struct rings {
	struct sim_ring *sim[RINGS];
	struct per_ring seen[RINGS];
	struct rl_consumer *c;
};

static struct rl_rec batch[16];

static int on_batch(void *ctx, const struct rl_rec *recs, size_t n)
{
	struct per_ring *p = ctx;
	size_t take = p->take < 0 || (size_t)p->take > n ? n : (size_t)p->take;

	for (size_t i = 0; i < take && p->n < MAX_TAKEN; i++, p->n++) {
		memcpy(&p->seq[p->n], recs[i].data, sizeof(uint32_t));
		p->index[p->n] = recs[i].ring;
	}
	return (int)take;
}

static void close_rings(struct rings *r)
{
	rl_consumer_close(r->c);
	for (int i = 0; i < RINGS; i++)
		sim_ring_free(r->sim[i]);
}

/* RINGS fresh rings of one page in one consumer. Returns 0 or -1. */
static int open_rings(struct rings *r)
{
	struct rl_consumer_opts o = { .batch = batch, .batch_cap = 16 };

	memset(r, 0, sizeof(*r));
	if (rl_consumer_open(&r->c, &o))
		return -1;
	for (int i = 0; i < RINGS; i++) {
		r->seen[i].take = -1;
		r->sim[i] = sim_ring_new(PAGE);
		if (!r->sim[i] || rl_consumer_add_mem(r->c, &r->sim[i]->mem, r->sim[i]->wake_fd,
						      on_batch, &r->seen[i]) != i)
			return -1;
	}
	return 0;
}

/* Emits count records numbered ring * 100 + k into ring i. */
static int emit_n(struct rings *r, int i, uint32_t count)
{
	for (uint32_t k = 0; k < count; k++) {
		uint32_t seq = (uint32_t)i * 100 + k;

		if (sim_emit(r->sim[i], &seq, sizeof(seq), 0))
			return -1;
	}
	return 0;
}

static void each_ring_feeds_its_own_callback_with_its_index(void)
{
	static struct rings r;

	CHECK(open_rings(&r) == 0);
	for (int i = 0; i < RINGS; i++)
		CHECK(emit_n(&r, i, 5 + i) == 0);
	CHECK(rl_consumer_poll(r.c, 0) == 5 + 6 + 7);
	for (int i = 0; i < RINGS; i++) {
		CHECK(r.seen[i].n == (size_t)(5 + i));
		for (size_t k = 0; k < r.seen[i].n; k++)
			CHECK(r.seen[i].seq[k] == i * 100 + k && r.seen[i].index[k] == (uint32_t)i);
		CHECK(rl_consumer_pending(r.c, i) == 0);
	}
	close_rings(&r);
}

static void a_callback_that_stops_ends_the_poll_and_the_next_resumes(void)
{
	static struct rings r;
	int64_t pending_2;

	CHECK(open_rings(&r) == 0);
	for (int i = 0; i < RINGS; i++)
		CHECK(emit_n(&r, i, 4) == 0);
	pending_2 = rl_consumer_pending(r.c, 2);
	r.seen[1].take = 1;
	/* Ring 0 is drained, ring 1 gives one record and stops, ring 2 waits. */
	CHECK(rl_consumer_poll(r.c, 0) == 4 + 1);
	CHECK(r.seen[1].n == 1 && r.seen[2].n == 0);
	CHECK(rl_consumer_pending(r.c, 2) == pending_2);
	r.seen[1].take = -1;
	CHECK(rl_consumer_poll(r.c, 0) == 3 + 4);
	CHECK(r.seen[1].n == 4 && r.seen[1].seq[1] == 101 && r.seen[1].seq[3] == 103);
	CHECK(r.seen[2].n == 4 && r.seen[2].seq[0] == 200);
	close_rings(&r);
}

/* An overloaded handler takes fewer than offered at every look (its tick is due): the
 * rings after it still get their turn. */
static void a_ring_whose_callback_always_stops_starves_no_other(void)
{
	static struct rings r;

	CHECK(open_rings(&r) == 0);
	for (int i = 0; i < RINGS; i++)
		CHECK(emit_n(&r, i, 10) == 0);
	r.seen[0].take = 1;
	for (int poll = 0; poll < 3; poll++)
		CHECK(rl_consumer_poll(r.c, 0) > 0);
	CHECK(r.seen[1].n == 10 && r.seen[2].n == 10);
	CHECK(r.seen[0].n == 3 && r.seen[0].seq[2] == 2);
	close_rings(&r);
}

static void a_corrupt_ring_fails_the_poll_and_spares_the_others(void)
{
	static struct rings r;

	CHECK(open_rings(&r) == 0);
	for (int i = 0; i < RINGS; i++)
		CHECK(emit_n(&r, i, 3) == 0);
	sim_set_positions(r.sim[1], 0, 2 * PAGE); /* producer more than a ring ahead */
	CHECK(rl_consumer_poll(r.c, 0) == -EBADMSG);
	/* Ring 0, walked first, was handed out; ring 2's records are still there. */
	CHECK(r.seen[0].n == 3 && r.seen[1].n == 0 && r.seen[2].n == 0);
	CHECK(rl_consumer_pending(r.c, 2) > 0);
	CHECK(rl_consumer_poll(r.c, 0) == -EBADMSG); /* stays an error, never a crash */
	close_rings(&r);
}

static void *emit_later(void *arg)
{
	struct sim_ring *s = arg;
	uint32_t seq = 200;

	usleep(50 * 1000); /* let the consumer go to sleep first */
	sim_emit(s, &seq, sizeof(seq), 0);
	return NULL;
}

static void a_sleeping_poll_wakes_for_the_last_ring(void)
{
	static struct rings r;
	pthread_t t;
	double t0;
	int n;

	CHECK(open_rings(&r) == 0);
	CHECK(pthread_create(&t, NULL, emit_later, r.sim[RINGS - 1]) == 0);
	t0 = sim_now_s();
	n = rl_consumer_poll(r.c, WAKE_TIMEOUT_MS);
	pthread_join(t, NULL);
	CHECK(n == 1);
	CHECK(r.sim[RINGS - 1]->wakeups == 1);
	CHECK(r.seen[RINGS - 1].n == 1 && r.seen[RINGS - 1].index[0] == RINGS - 1);
	/* Woken, not timed out: a lost wakeup would wait the whole 10 s. */
	CHECK(sim_now_s() - t0 < WAKE_TIMEOUT_MS / 2000.0);
	close_rings(&r);
}

int main(void)
{
	RUN(each_ring_feeds_its_own_callback_with_its_index);
	RUN(a_callback_that_stops_ends_the_poll_and_the_next_resumes);
	RUN(a_ring_whose_callback_always_stops_starves_no_other);
	RUN(a_corrupt_ring_fails_the_poll_and_spares_the_others);
	RUN(a_sleeping_poll_wakes_for_the_last_ring);
	return check_summary();
}
