/* Pull mode (rl_consumer_peek / rl_consumer_advance) on a simulated ring: a peek hands
 * out records without moving the consumer position, advance releases a prefix of them,
 * and misuse is -EINVAL; also several rings in turn, corruption, and a sleeping peek woken
 * by a producer thread. */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "ring/ring.h"
#include "sim_ring.h"

#define PAGE 4096
#define BATCH_CAP 8

static struct rl_rec batch[BATCH_CAP];

/* A consumer over one fresh simulated ring, read only through peek (no callback). */
static struct rl_consumer *open_one(struct sim_ring **sim)
{
	struct rl_consumer_opts opts = { .batch = batch, .batch_cap = BATCH_CAP };
	struct rl_consumer *c = NULL;

	*sim = sim_ring_new(4 * PAGE);
	if (!*sim || rl_consumer_open(&c, &opts))
		return NULL;
	if (rl_consumer_add_mem(c, &(*sim)->mem, (*sim)->wake_fd, NULL, NULL) != 0) {
		rl_consumer_close(c);
		return NULL;
	}
	return c;
}

static int emit_seq(struct sim_ring *s, uint32_t seq)
{
	return sim_emit(s, &seq, sizeof(seq), 0);
}

static uint32_t seq_of(const struct rl_rec *r)
{
	uint32_t seq;

	memcpy(&seq, r->data, sizeof(seq));
	return seq;
}

static void test_peek_twice_same_records(void)
{
	struct sim_ring *s;
	struct rl_consumer *c = open_one(&s);
	const struct rl_rec *recs;
	const uint8_t *first;

	CHECK(c);
	for (uint32_t i = 0; i < 5; i++)
		CHECK(emit_seq(s, i) == 0);
	CHECK(rl_consumer_peek(c, 0, &recs) == 5);
	CHECK(recs == batch);
	first = recs[0].data;
	CHECK(*s->mem.consumer_pos == 0);
	CHECK(rl_consumer_peek(c, 0, &recs) == 5);
	CHECK(recs[0].data == first);
	for (uint32_t i = 0; i < 5; i++)
		CHECK(seq_of(&recs[i]) == i && recs[i].len == 4 && recs[i].ring == 0);
	CHECK(*s->mem.consumer_pos == 0);
	rl_consumer_close(c);
	sim_ring_free(s);
}

static void test_advance_part_leaves_rest(void)
{
	struct sim_ring *s;
	struct rl_consumer *c = open_one(&s);
	const struct rl_rec *recs;

	CHECK(c);
	for (uint32_t i = 0; i < 6; i++)
		CHECK(emit_seq(s, i) == 0);
	CHECK(rl_consumer_peek(c, 0, &recs) == 6);
	CHECK(rl_consumer_advance(c, 2) == 0);
	CHECK(rl_consumer_pending(c, 0) == 4 * 16);	/* 4 records of 8 + 4 bytes, rounded */
	CHECK(rl_consumer_peek(c, 0, &recs) == 4);
	CHECK(seq_of(&recs[0]) == 2 && seq_of(&recs[3]) == 5);
	CHECK(rl_consumer_advance(c, 4) == 0);
	CHECK(rl_consumer_pending(c, 0) == 0);
	CHECK(rl_consumer_peek(c, 0, &recs) == 0);
	rl_consumer_close(c);
	sim_ring_free(s);
}

static void test_advance_misuse(void)
{
	struct sim_ring *s;
	struct rl_consumer *c = open_one(&s);
	const struct rl_rec *recs;

	CHECK(c);
	CHECK(rl_consumer_advance(c, 1) == -EINVAL);	/* nothing peeked */
	CHECK(rl_consumer_advance(c, 0) == 0);
	for (uint32_t i = 0; i < 3; i++)
		CHECK(emit_seq(s, i) == 0);
	CHECK(rl_consumer_peek(c, 0, &recs) == 3);
	CHECK(rl_consumer_advance(c, 4) == -EINVAL);	/* beyond the peek */
	CHECK(*s->mem.consumer_pos == 0);
	CHECK(rl_consumer_advance(c, 1) == 0);
	CHECK(rl_consumer_advance(c, 1) == -EINVAL);	/* that peek is over */
	CHECK(rl_consumer_peek(c, 0, &recs) == 2);
	rl_consumer_close(c);
	sim_ring_free(s);
}

static int take_all(void *ctx, const struct rl_rec *recs, size_t n)
{
	(void)recs;
	*(size_t *)ctx += n;
	return (int)n;
}

/* A poll moves the position itself: the peek before it cannot be advanced. */
static void test_poll_ends_peek(void)
{
	struct rl_consumer_opts opts = { .batch = batch, .batch_cap = BATCH_CAP };
	struct sim_ring *s = sim_ring_new(4 * PAGE);
	struct rl_consumer *c = NULL;
	const struct rl_rec *recs;
	size_t handled = 0;

	CHECK(s && rl_consumer_open(&c, &opts) == 0);
	CHECK(rl_consumer_add_mem(c, &s->mem, s->wake_fd, take_all, &handled) == 0);
	for (uint32_t i = 0; i < 3; i++)
		CHECK(emit_seq(s, i) == 0);
	CHECK(rl_consumer_peek(c, 0, &recs) == 3);
	CHECK(rl_consumer_poll(c, 0) == 3 && handled == 3);
	CHECK(rl_consumer_advance(c, 1) == -EINVAL);
	CHECK(rl_consumer_pending(c, 0) == 0);
	rl_consumer_close(c);
	sim_ring_free(s);
}

/* A full batch at a time, and discarded records after the last one are released with it. */
static void test_batches_and_discards(void)
{
	struct sim_ring *s;
	struct rl_consumer *c = open_one(&s);
	const struct rl_rec *recs;
	uint32_t next = 0, seq = 0;

	CHECK(c);
	for (; seq < 2 * BATCH_CAP + 3; seq++)
		CHECK(emit_seq(s, seq) == 0);
	sim_discard(s, sim_reserve(s, 4), 0);
	for (int n; (n = rl_consumer_peek(c, 0, &recs)) > 0;) {
		CHECK(n <= BATCH_CAP);
		for (int i = 0; i < n; i++)
			CHECK(seq_of(&recs[i]) == next++);
		CHECK(rl_consumer_advance(c, (size_t)n) == 0);
	}
	CHECK(next == seq);
	CHECK(rl_consumer_pending(c, 0) == 0);
	/* Only a discarded record: the peek finds nothing and moves past it. */
	sim_discard(s, sim_reserve(s, 4), 0);
	CHECK(rl_consumer_peek(c, 0, &recs) == 0);
	CHECK(rl_consumer_pending(c, 0) == 0);
	rl_consumer_close(c);
	sim_ring_free(s);
}

/* The ring of the last peek comes first until released; then the next ring. */
static void test_rings_in_turn(void)
{
	struct rl_consumer_opts opts = { .batch = batch, .batch_cap = BATCH_CAP };
	struct sim_ring *a = sim_ring_new(4 * PAGE), *b = sim_ring_new(4 * PAGE);
	struct rl_consumer *c = NULL;
	const struct rl_rec *recs;

	CHECK(a && b && rl_consumer_open(&c, &opts) == 0);
	CHECK(rl_consumer_add_mem(c, &a->mem, a->wake_fd, NULL, NULL) == 0);
	CHECK(rl_consumer_add_mem(c, &b->mem, b->wake_fd, NULL, NULL) == 1);
	CHECK(emit_seq(b, 100) == 0);
	CHECK(rl_consumer_peek(c, 0, &recs) == 1 && recs[0].ring == 1);
	CHECK(emit_seq(a, 0) == 0);
	CHECK(rl_consumer_peek(c, 0, &recs) == 1 && recs[0].ring == 1);	/* not released */
	CHECK(emit_seq(b, 101) == 0);
	CHECK(rl_consumer_peek(c, 0, &recs) == 2 && seq_of(&recs[1]) == 101);
	CHECK(rl_consumer_advance(c, 2) == 0);
	CHECK(rl_consumer_peek(c, 0, &recs) == 1 && recs[0].ring == 0 && seq_of(&recs[0]) == 0);
	CHECK(rl_consumer_advance(c, 1) == 0);
	CHECK(rl_consumer_peek(c, 0, &recs) == 0);
	rl_consumer_close(c);
	sim_ring_free(a);
	sim_ring_free(b);
}

static void test_corrupt_ring(void)
{
	struct sim_ring *s;
	struct rl_consumer *c = open_one(&s);
	const struct rl_rec *recs;

	CHECK(c);
	sim_set_positions(s, 4, 16); /* moved behind the consumer's back */
	CHECK(rl_consumer_peek(c, 0, &recs) == -EUSERS);
	sim_set_positions(s, 0, 16);
	*sim_header_at(s, 0) = 4 * PAGE; /* a record longer than what was produced */
	CHECK(rl_consumer_peek(c, 0, &recs) == -EBADMSG);
	CHECK(rl_consumer_advance(c, 1) == -EINVAL);
	rl_consumer_close(c);
	sim_ring_free(s);
}

static void *emit_later(void *arg)
{
	usleep(50 * 1000);
	emit_seq(arg, 7);
	return NULL;
}

/* A peek that waits sleeps in epoll and is woken by the commit. */
static void test_peek_waits_for_records(void)
{
	struct sim_ring *s;
	struct rl_consumer *c = open_one(&s);
	const struct rl_rec *recs;
	pthread_t producer;

	CHECK(c);
	CHECK(rl_consumer_peek(c, 20, &recs) == 0);	/* timeout on an empty ring */
	CHECK(pthread_create(&producer, NULL, emit_later, s) == 0);
	CHECK(rl_consumer_peek(c, -1, &recs) == 1 && seq_of(&recs[0]) == 7);
	pthread_join(producer, NULL);
	CHECK(s->wakeups == 1);
	CHECK(rl_consumer_advance(c, 1) == 0);
	rl_consumer_close(c);
	sim_ring_free(s);
}

int main(void)
{
	RUN(test_peek_twice_same_records);
	RUN(test_advance_part_leaves_rest);
	RUN(test_advance_misuse);
	RUN(test_poll_ends_peek);
	RUN(test_batches_and_discards);
	RUN(test_rings_in_turn);
	RUN(test_corrupt_ring);
	RUN(test_peek_waits_for_records);
	return check_summary();
}
