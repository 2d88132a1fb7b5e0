/* The consumer's sleep/wake path under a producer thread: bursts of records while the
 * consumer catches up a few at a time. Every record must arrive exactly once and in
 * order, and no poll may sleep through records (a lost wakeup shows up as a poll that
 * waits out its whole timeout while records are ready). */
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "ring.h"
#include "sim_ring.h"

#define RECORDS 200000
#define BURST 97
/* Far longer than any scheduling hiccup: a poll that reaches it slept through records. */
#define STALL_TIMEOUT_MS 5000

struct stream {
	struct sim_ring *sim;
	uint64_t next;		/* sequence number expected next */
	uint64_t out_of_order;
	int flags;		/* wakeup flags the producer uses */
};

static struct rl_rec batch[256];

static void *produce(void *arg)
{
	struct stream *st = arg;

	for (uint64_t seq = 0; seq < RECORDS;) {
		for (int i = 0; i < BURST && seq < RECORDS;) {
			if (sim_emit(st->sim, &seq, sizeof(seq), st->flags) == 0) {
				seq++;
				i++;
			} else {
				sched_yield(); /* full: let the consumer catch up */
			}
		}
		if (seq % 3 == 0)
			usleep(50); /* let the consumer drain and go to sleep now and then */
	}
	return NULL;
}

static int on_batch(void *ctx, const struct rl_rec *recs, size_t n)
{
	struct stream *st = ctx;

	for (size_t i = 0; i < n; i++) {
		uint64_t seq;

		memcpy(&seq, recs[i].data, sizeof(seq));
		if (seq != st->next)
			st->out_of_order++;
		st->next = seq + 1;
	}
	return (int)n;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Streams RECORDS through a consumer with the given batch cap and coalescing bound. */
static void stream_arrives_whole(size_t cap, uint32_t latency_us, int flags)
{
	struct stream st = { .sim = sim_ring_new(4 * 4096), .flags = flags };
	struct rl_consumer_opts o = { .batch = batch, .batch_cap = cap, .latency_us = latency_us };
	struct rl_consumer *c = NULL;
	double longest = 0;
	pthread_t t;

	CHECK(st.sim);
	CHECK(rl_consumer_open(&c, &o) == 0);
	CHECK(rl_consumer_add_mem(c, &st.sim->mem, st.sim->wake_fd, on_batch, &st) == 0);
	CHECK(pthread_create(&t, NULL, produce, &st) == 0);
	while (st.next < RECORDS && longest < STALL_TIMEOUT_MS / 1000.0) {
		double t0 = now_s();

		if (rl_consumer_poll(c, STALL_TIMEOUT_MS) < 0)
			break;
		if (now_s() - t0 > longest)
			longest = now_s() - t0;
	}
	pthread_join(t, NULL);
	rl_consumer_close(c);
	sim_ring_free(st.sim);
	CHECK(st.next == RECORDS);
	CHECK(st.out_of_order == 0);
	CHECK(longest < STALL_TIMEOUT_MS / 1000.0);
}

static void one_record_batches_without_coalescing_lose_nothing(void)
{
	stream_arrives_whole(1, 0, 0);
}

static void small_batches_without_coalescing_lose_nothing(void)
{
	stream_arrives_whole(7, 0, 0);
}

static void coalescing_consumer_loses_nothing(void)
{
	stream_arrives_whole(256, 200, 0);
}

static void forced_wakeups_lose_nothing(void)
{
	stream_arrives_whole(3, 0, SIM_FORCE_WAKEUP);
}

int main(void)
{
	RUN(one_record_batches_without_coalescing_lose_nothing);
	RUN(small_batches_without_coalescing_lose_nothing);
	RUN(coalescing_consumer_loses_nothing);
	RUN(forced_wakeups_lose_nothing);
	return check_summary();
}
