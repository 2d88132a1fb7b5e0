/* The consumer's sleep/wake path under producer threads: bursts of records while the
 * consumer catches up a few at a time, from one ring or from two rings at once. Every
 * record must arrive exactly once and in order, and no poll may sleep through records (a
 * lost wakeup shows up as a poll that waits out its whole timeout while records are
 * ready). And the coalescing window: a bound that signals do not stretch, and no wait
 * at all for a ring that is filling up. And producers that commit without a wakeup:
 * records committed so soon after the last find are handed out within the bound,
 * a consumer left alone long enough sleeps for good, and producers that wake only a
 * consumer that said it sleeps (sleep_flag) lose nothing. */
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "check.h"
#include "ring/ring.h"
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

static int all_arrived(const struct stream *st, int n)
{
	for (int i = 0; i < n; i++)
		if (st[i].next < RECORDS)
			return 0;
	return 1;
}

/* Polls until every stream's records arrived or a poll stalled; returns the longest
 * poll in seconds. */
static double poll_until_all_arrive(struct rl_consumer *c, const struct stream *st, int n)
{
	double longest = 0;

	while (!all_arrived(st, n) && longest < STALL_TIMEOUT_MS / 1000.0) {
		double t0 = sim_now_s();

		if (rl_consumer_poll(c, STALL_TIMEOUT_MS) < 0)
			break;
		if (sim_now_s() - t0 > longest)
			longest = sim_now_s() - t0;
	}
	return longest;
}

/* Streams RECORDS through a consumer with the given batch cap and coalescing bound. */
static void stream_arrives_whole(size_t cap, uint32_t latency_us, int flags)
{
	struct stream st = { .sim = sim_ring_new(4 * 4096), .flags = flags };
	struct rl_consumer_opts o = { .batch = batch, .batch_cap = cap, .latency_us = latency_us };
	struct rl_consumer *c = NULL;
	double longest;
	pthread_t t;

	CHECK(st.sim);
	CHECK(rl_consumer_open(&c, &o) == 0);
	CHECK(rl_consumer_add_mem(c, &st.sim->mem, st.sim->wake_fd, on_batch, &st) == 0);
	CHECK(pthread_create(&t, NULL, produce, &st) == 0);
	longest = poll_until_all_arrive(c, &st, 1);
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

/* Two rings, each with its own producer thread, one consumer sleeping on both: a wakeup
 * from either ring must drain both, and neither may wait on the other. */
static void two_rings_with_two_producers_lose_nothing(void)
{
	struct stream st[2] = { { .sim = sim_ring_new(4 * 4096) },
				{ .sim = sim_ring_new(2 * 4096), .flags = SIM_FORCE_WAKEUP } };
	struct rl_consumer_opts o = { .batch = batch, .batch_cap = 5, .latency_us = 100 };
	struct rl_consumer *c = NULL;
	double longest;
	pthread_t t[2];

	CHECK(st[0].sim && st[1].sim);
	CHECK(rl_consumer_open(&c, &o) == 0);
	for (int i = 0; i < 2; i++)
		CHECK(rl_consumer_add_mem(c, &st[i].sim->mem, st[i].sim->wake_fd, on_batch,
					  &st[i]) == i);
	for (int i = 0; i < 2; i++)
		CHECK(pthread_create(&t[i], NULL, produce, &st[i]) == 0);
	longest = poll_until_all_arrive(c, st, 2);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	rl_consumer_close(c);
	for (int i = 0; i < 2; i++)
		sim_ring_free(st[i].sim);
	CHECK(st[0].next == RECORDS && st[1].next == RECORDS);
	CHECK(st[0].out_of_order == 0 && st[1].out_of_order == 0);
	CHECK(longest < STALL_TIMEOUT_MS / 1000.0);
}

static void on_alarm(int sig)
{
	(void)sig;
}

/* A record committed just after a poll that started a window of 30 ms is handed out by
 * the polls that follow within that window (plus a margin for scheduling), although a
 * signal every 2 ms cuts every wait short: each poll waits out the rest of the same
 * window instead of a new one. */
static void signals_do_not_stretch_the_window(void)
{
	static struct stream st;
	struct rl_consumer_opts o = { .batch = batch, .batch_cap = 256, .latency_us = 30000 };
	struct itimerval every_2ms = { .it_interval = { .tv_usec = 2000 },
				       .it_value = { .tv_usec = 2000 } }, off = { 0 };
	struct sigaction sa = { .sa_handler = on_alarm }; /* no SA_RESTART */
	struct rl_consumer *c = NULL;
	uint64_t seq = 0;
	double committed, waited;

	st = (struct stream){ .sim = sim_ring_new(4 * 4096) };
	CHECK(st.sim);
	CHECK(rl_consumer_open(&c, &o) == 0);
	CHECK(rl_consumer_add_mem(c, &st.sim->mem, st.sim->wake_fd, on_batch, &st) == 0);
	CHECK(sigaction(SIGALRM, &sa, NULL) == 0);
	CHECK(sim_emit(st.sim, &seq, sizeof(seq), 0) == 0);
	CHECK(rl_consumer_poll(c, 1000) == 1); /* a partial batch: the window starts */
	seq++;
	committed = sim_now_s();
	CHECK(sim_emit(st.sim, &seq, sizeof(seq), 0) == 0);
	CHECK(setitimer(ITIMER_REAL, &every_2ms, NULL) == 0);
	while (st.next < 2 && sim_now_s() - committed < 1.0)
		if (rl_consumer_poll(c, 1000) < 0)
			break;
	waited = sim_now_s() - committed;
	setitimer(ITIMER_REAL, &off, NULL);
	rl_consumer_close(c);
	sim_ring_free(st.sim);
	CHECK(st.next == 2);
	CHECK(waited < 0.030 + 0.020);
}

/* With a window of 10 s running, a ring an eighth full is drained at once. */
static void filling_ring_is_drained_without_waiting(void)
{
	static struct stream st;
	struct rl_consumer_opts o = { .batch = batch, .batch_cap = 256, .latency_us = 10000000 };
	struct rl_consumer *c = NULL;
	uint64_t seq = 0, filled;
	double t0;

	st = (struct stream){ .sim = sim_ring_new(4 * 4096) };
	CHECK(st.sim);
	CHECK(rl_consumer_open(&c, &o) == 0);
	CHECK(rl_consumer_add_mem(c, &st.sim->mem, st.sim->wake_fd, on_batch, &st) == 0);
	CHECK(sim_emit(st.sim, &seq, sizeof(seq), 0) == 0);
	CHECK(rl_consumer_poll(c, -1) == 1); /* a partial batch: the window starts */
	/* 16-byte records: 128 of them are 2 KiB, an eighth of the ring. */
	for (seq = 1; seq <= 128; seq++)
		CHECK(sim_emit(st.sim, &seq, sizeof(seq), 0) == 0);
	filled = seq;
	t0 = sim_now_s();
	CHECK(rl_consumer_poll(c, 5000) == 128);
	CHECK(sim_now_s() - t0 < 1.0);
	rl_consumer_close(c);
	sim_ring_free(st.sim);
	CHECK(st.next == filled && st.out_of_order == 0);
}

/* Emits record 1 without a wakeup, BUDGET_DELAY_US after it starts. */
#define BUDGET_DELAY_US 5000
static void *emit_later_quietly(void *arg)
{
	struct stream *st = arg;
	uint64_t seq = 1;

	usleep(BUDGET_DELAY_US);
	sim_emit(st->sim, &seq, sizeof(seq), SIM_NO_WAKEUP);
	return NULL;
}

/* After a drain that found a record, then one that found nothing, a record committed
 * with BPF_RB_NO_WAKEUP (what source.bpf.h's producers do while it polls) still comes
 * out within the bound: the sleep ends on the consumer's timer, not the 5 s timeout. */
static void quiet_record_soon_after_a_find_is_in_time(void)
{
	static struct stream st;
	struct rl_consumer_opts o = { .batch = batch, .batch_cap = 256, .latency_us = 20000 };
	struct rl_consumer *c = NULL;
	uint64_t seq = 0;
	pthread_t t;
	double t0;
	int n = 0;

	st = (struct stream){ .sim = sim_ring_new(4 * 4096) };
	CHECK(st.sim);
	CHECK(rl_consumer_open(&c, &o) == 0);
	CHECK(rl_consumer_add_mem(c, &st.sim->mem, st.sim->wake_fd, on_batch, &st) == 0);
	CHECK(sim_emit(st.sim, &seq, sizeof(seq), 0) == 0);
	CHECK(rl_consumer_poll(c, -1) == 1);
	CHECK(rl_consumer_poll(c, STALL_TIMEOUT_MS) == 0); /* the window, empty */
	t0 = sim_now_s();
	CHECK(pthread_create(&t, NULL, emit_later_quietly, &st) == 0);
	while (n == 0 && sim_now_s() - t0 < STALL_TIMEOUT_MS / 1000.0)
		n = rl_consumer_poll(c, STALL_TIMEOUT_MS);
	pthread_join(t, NULL);
	CHECK(n == 1);
	CHECK(sim_now_s() - t0 < (BUDGET_DELAY_US + 2 * 20000) / 1e6 + 0.5);
	rl_consumer_close(c);
	sim_ring_free(st.sim);
	CHECK(st.next == 2 && st.out_of_order == 0);
}

/* Once POLL_ON_BOUNDS bounds and one have passed since the last find, an empty ring's
 * poll sleeps its whole timeout: no timer keeps an idle consumer awake. */
static void idle_consumer_sleeps_for_good(void)
{
	static struct stream st;
	uint32_t latency_us = 2000;
	struct rl_consumer_opts o = { .batch = batch, .batch_cap = 256, .latency_us = latency_us };
	struct rl_consumer *c = NULL;
	uint64_t seq = 0, wakeups;
	double t0;

	st = (struct stream){ .sim = sim_ring_new(4 * 4096) };
	CHECK(st.sim);
	CHECK(rl_consumer_open(&c, &o) == 0);
	CHECK(rl_consumer_add_mem(c, &st.sim->mem, st.sim->wake_fd, on_batch, &st) == 0);
	CHECK(sim_emit(st.sim, &seq, sizeof(seq), SIM_NO_WAKEUP) == 0);
	CHECK(rl_consumer_poll(c, -1) == 1);
	usleep(10 * latency_us); /* ring.c's POLL_ON_BOUNDS (8) and a bound, and more */
	CHECK(rl_consumer_poll(c, 0) == 0); /* ends the window without waiting */
	wakeups = rl_consumer_wakeups(c);
	t0 = sim_now_s();
	CHECK(rl_consumer_poll(c, 300) == 0);
	CHECK(sim_now_s() - t0 > 0.25);
	CHECK(rl_consumer_wakeups(c) == wakeups);
	rl_consumer_close(c);
	sim_ring_free(st.sim);
}

/* A producer of source.bpf.h's kind: commits without a wakeup, then (after a full
 * barrier, as the commit's xchg is) wakes the consumer only if it said it sleeps. */
struct sleeper_stream {
	struct stream st;
	uint32_t asleep;	/* the consumer's sleep_flag */
	uint64_t nudges;	/* wakeups the producer gave */
};

static void emit_waking_sleeper(struct sleeper_stream *ss, uint64_t seq)
{
	uint64_t one = 1;

	while (sim_emit(ss->st.sim, &seq, sizeof(seq), SIM_NO_WAKEUP))
		sched_yield();
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (!__atomic_load_n(&ss->asleep, __ATOMIC_RELAXED))
		return;
	__atomic_store_n(&ss->asleep, 0, __ATOMIC_RELAXED);
	ss->nudges++;
	if (write(ss->st.sim->wake_fd, &one, sizeof(one)) != sizeof(one))
		abort();
}

/* Records in bursts with pauses longer than the consumer's polling spell, so that it
 * sleeps for good between them and each burst's first record must wake it. */
#define SLEEPER_BURSTS 40
static void *produce_for_sleeper(void *arg)
{
	struct sleeper_stream *ss = arg;
	uint64_t seq = 0;

	for (int b = 0; b < SLEEPER_BURSTS; b++) {
		for (int i = 0; i < 50; i++)
			emit_waking_sleeper(ss, seq++);
		usleep(b % 2 ? 30000 : 200); /* a long quiet spell every other burst */
	}
	return NULL;
}

/* Producers that wake only a sleeping consumer (sleep_flag): every record arrives, no
 * poll sleeps through records, and the producer woke the consumer about once per long
 * quiet spell, not per record. */
static void sleeping_consumer_is_woken_by_the_flag(void)
{
	static struct sleeper_stream ss;
	struct rl_consumer_opts o = { .batch = batch, .batch_cap = 256, .latency_us = 1000,
				      .sleep_flag = &ss.asleep };
	struct rl_consumer *c = NULL;
	double longest = 0;
	pthread_t t;

	ss = (struct sleeper_stream){ .st = { .sim = sim_ring_new(16 * 4096) } };
	CHECK(ss.st.sim);
	CHECK(rl_consumer_open(&c, &o) == 0);
	CHECK(rl_consumer_add_mem(c, &ss.st.sim->mem, ss.st.sim->wake_fd, on_batch, &ss.st) == 0);
	CHECK(pthread_create(&t, NULL, produce_for_sleeper, &ss) == 0);
	while (ss.st.next < SLEEPER_BURSTS * 50 && longest < STALL_TIMEOUT_MS / 1000.0) {
		double t0 = sim_now_s();

		if (rl_consumer_poll(c, STALL_TIMEOUT_MS) < 0)
			break;
		if (sim_now_s() - t0 > longest)
			longest = sim_now_s() - t0;
	}
	pthread_join(t, NULL);
	rl_consumer_close(c);
	CHECK(ss.st.sim->wakeups == 0); /* every record was committed without one */
	sim_ring_free(ss.st.sim);
	CHECK(ss.st.next == SLEEPER_BURSTS * 50 && ss.st.out_of_order == 0);
	CHECK(longest < 1.0);
	CHECK(ss.nudges >= 1 && ss.nudges <= SLEEPER_BURSTS);
}

int main(void)
{
	RUN(one_record_batches_without_coalescing_lose_nothing);
	RUN(small_batches_without_coalescing_lose_nothing);
	RUN(coalescing_consumer_loses_nothing);
	RUN(forced_wakeups_lose_nothing);
	RUN(two_rings_with_two_producers_lose_nothing);
	RUN(signals_do_not_stretch_the_window);
	RUN(filling_ring_is_drained_without_waiting);
	RUN(quiet_record_soon_after_a_find_is_in_time);
	RUN(idle_consumer_sleeps_for_good);
	RUN(sleeping_consumer_is_woken_by_the_flag);
	return check_summary();
}
