/* Consuming in small steps on a simulated ring: batch caps of 1, 2 and 3, callbacks that
 * take fewer records than offered (none, some, all), discards and drops mixed in, over
 * many laps of the ring. Every submitted record must be handed out exactly once and in
 * order, each poll must resume exactly where the previous one stopped, and
 * attempts = delivered + discarded + dropped must hold exactly. Also: a record stuck busy
 * while a producer keeps forcing wakeups behind it must not make the consumer spin. */
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "check.h"
#include "ring/ring.h"
#include "sim_ring.h"

#define PAGE 4096
#define LAPS 3000
/* Every record whose seq is 3 mod DISCARD_MOD is discarded by the producer. */
#define DISCARD_MOD 5

/* Records to take on successive callbacks; -1 takes the whole batch. */
static const int take_pattern[] = { 0, 1, 2, -1, 1, 0, 3, -1 };
#define TAKE_PATTERN_LEN (sizeof(take_pattern) / sizeof(take_pattern[0]))

struct tally {
	struct sim_ring *sim;
	uint32_t next_seq;	/* the submitted seq expected next */
	uint64_t delivered;
	uint64_t out_of_order;
	uint64_t resume_at;	/* data offset the next poll must start from, after a short take */
	int stopped;		/* the last callback took fewer than offered */
	size_t calls;
};

struct production {
	uint64_t attempts, submitted, discarded, dropped;
	uint32_t seq;		/* given to each reserved record */
};

static struct rl_rec batch[8];

static int is_discarded(uint32_t seq)
{
	return seq % DISCARD_MOD == 3;
}

static int take_some(void *ctx, const struct rl_rec *recs, size_t n)
{
	struct tally *t = ctx;
	int want = take_pattern[t->calls++ % TAKE_PATTERN_LEN];
	size_t take = want < 0 || (size_t)want > n ? n : (size_t)want;

	for (size_t i = 0; i < take; i++) {
		uint32_t seq;

		memcpy(&seq, recs[i].data, sizeof(seq));
		if (seq != t->next_seq)
			t->out_of_order++;
		t->next_seq = seq + 1;
		while (is_discarded(t->next_seq))
			t->next_seq++;
		t->delivered++;
	}
	t->stopped = take < n;
	/* Past the last record taken, rounded to the 8-byte record boundary; when nothing is
	 * taken, where the position stands now (published after the previous batch). */
	if (t->stopped && take > 0)
		t->resume_at = ((uint64_t)(recs[take - 1].data - t->sim->data) + recs[take - 1].len +
				7) & ~7ull;
	else if (t->stopped)
		t->resume_at = *t->sim->mem.consumer_pos;
	return (int)take;
}

/* One attempt to produce a record of a size that varies with its seq. */
static void produce_one(struct sim_ring *s, struct production *p)
{
	uint32_t len = 4 + (p->seq * 7) % 60;
	uint8_t *rec;

	p->attempts++;
	rec = sim_reserve(s, len);
	if (!rec) {
		p->dropped++;
		return;
	}
	memset(rec, 0xab, len);
	memcpy(rec, &p->seq, sizeof(p->seq));
	if (is_discarded(p->seq)) {
		sim_discard(s, rec, 0);
		p->discarded++;
	} else {
		sim_commit(s, rec, 0);
		p->submitted++;
	}
	p->seq++;
}

/* After a poll whose last callback took fewer than offered, the consumer position must
 * sit right after the last record taken: the next poll resumes exactly there. */
static int resumes_where_it_stopped(const struct tally *t)
{
	uint64_t mask = t->sim->mem.size - 1;

	return !t->stopped || (*t->sim->mem.consumer_pos & mask) == (t->resume_at & mask);
}

static void small_steps_deliver_each_record_once(size_t cap)
{
	struct sim_ring *s = sim_ring_new(PAGE);
	struct rl_consumer_opts o = { .batch = batch, .batch_cap = cap };
	struct tally t = { .sim = s };
	struct production p = { 0 };
	struct rl_consumer *c = NULL;
	int bad_resume = 0;

	CHECK(s);
	CHECK(rl_consumer_open(&c, &o) == 0);
	CHECK(rl_consumer_add_mem(c, &s->mem, s->wake_fd, take_some, &t) == 0);
	for (int lap = 0; lap < LAPS; lap++) {
		/* More records than polls take, so the ring fills and drops happen. */
		for (int i = 0; i < 2 + lap % 17; i++)
			produce_one(s, &p);
		for (int i = 0; i < 1 + lap % 3; i++) {
			t.stopped = 0;
			CHECK(rl_consumer_poll(c, 0) >= 0);
			bad_resume += !resumes_where_it_stopped(&t);
		}
	}
	while (rl_consumer_pending(c, 0) > 0)
		CHECK(rl_consumer_poll(c, 0) >= 0);
	rl_consumer_close(c);
	sim_ring_free(s);
	CHECK(bad_resume == 0);
	CHECK(t.out_of_order == 0);
	CHECK(t.delivered == p.submitted);
	CHECK(p.attempts == t.delivered + p.discarded + p.dropped);
	CHECK(p.dropped > 0 && p.discarded > 0);
}

static void batch_cap_1_delivers_each_record_once(void)
{
	small_steps_deliver_each_record_once(1);
}

static void batch_cap_2_delivers_each_record_once(void)
{
	small_steps_deliver_each_record_once(2);
}

static void batch_cap_3_delivers_each_record_once(void)
{
	small_steps_deliver_each_record_once(3);
}

/* Stuck-busy case: a producer thread keeps committing records behind a record that is
 * never committed, each with a forced wakeup. */
struct forcer {
	struct sim_ring *sim;
	int stop;		/* set by the consumer thread when done */
	uint64_t committed;
};

static void *force_wakeups(void *arg)
{
	struct forcer *f = arg;
	uint64_t x = 0;

	while (!__atomic_load_n(&f->stop, __ATOMIC_RELAXED)) {
		if (sim_emit(f->sim, &x, sizeof(x), SIM_FORCE_WAKEUP) == 0)
			f->committed++;
		usleep(1000);
	}
	return NULL;
}

static int count_all(void *ctx, const struct rl_rec *recs, size_t n)
{
	(void)recs;
	*(size_t *)ctx += n;
	return (int)n;
}

static void busy_head_with_forced_wakeups_behind_it_does_not_spin(void)
{
	struct sim_ring *s = sim_ring_new(16 * PAGE);
	struct rl_consumer_opts o = { .batch = batch, .batch_cap = 8, .latency_us = 500 };
	struct forcer f = { .sim = s };
	struct rl_consumer *c = NULL;
	size_t handed = 0;
	double wall0, cpu0, wall, cpu;
	pthread_t th;

	CHECK(s);
	CHECK(sim_reserve(s, 16)); /* never committed: the walk stops at it forever */
	CHECK(rl_consumer_open(&c, &o) == 0);
	CHECK(rl_consumer_add_mem(c, &s->mem, s->wake_fd, count_all, &handed) == 0);
	CHECK(pthread_create(&th, NULL, force_wakeups, &f) == 0);
	wall0 = sim_now_s();
	cpu0 = sim_cpu_s(RUSAGE_THREAD);
	while (sim_now_s() - wall0 < 1.0)
		if (rl_consumer_poll(c, 100) < 0)
			break;
	cpu = sim_cpu_s(RUSAGE_THREAD) - cpu0;
	wall = sim_now_s() - wall0;
	__atomic_store_n(&f.stop, 1, __ATOMIC_RELAXED);
	pthread_join(th, NULL);
	rl_consumer_close(c);
	sim_ring_free(s);
	CHECK(handed == 0);
	CHECK(f.committed > 100);	/* the wakeups did come */
	/* Sleeping between wakeups costs next to nothing; a spin would cost all of it. */
	CHECK(cpu < 0.3 * wall);
}

int main(void)
{
	RUN(batch_cap_1_delivers_each_record_once);
	RUN(batch_cap_2_delivers_each_record_once);
	RUN(batch_cap_3_delivers_each_record_once);
	RUN(busy_head_with_forced_wakeups_behind_it_does_not_spin);
	return check_summary();
}
