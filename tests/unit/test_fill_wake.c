/* The fill wakeup (src/kernel/bpf/fill_wake.h): producers on several CPUs that reserve,
 * then commit, in every interleaving, wake the consumer exactly once per filling of a
 * ring between two of its drains, wherever the records fall around the mark. */
#include <linux/types.h>

#include "check.h"
#include "kernel/bpf/fill_wake.h"

#define RING 4096
#define FILL (RING / 8)
#define REC 24

/* A ring's producer side as the programs see it: bytes reserved (committed or not) past
 * the consumer's position, and the programs' mark. */
struct ring {
	__u64 cons, prod, mark;
};

static __u64 reserve(struct ring *r)
{
	r->prod += REC;
	return r->prod;
}

/* A commit: the ring as bpf_ringbuf_query(BPF_RB_AVAIL_DATA) reports it now. */
static int commit(struct ring *r, _Bool shared)
{
	return rl_fill_wake(r->prod - r->cons, FILL, r->cons, &r->mark, shared);
}

static void test_two_cpus_reserving_across_the_mark_wake_once(void)
{
	struct ring r = { .cons = 0, .prod = FILL - 10 };
	int woken = 0;

	/* CPU 0's record crosses the mark, CPU 1 reserves after it before either commits:
	 * each then sees the ring already past the mark by more than its own record. */
	reserve(&r);
	reserve(&r);
	woken += commit(&r, 1);
	woken += commit(&r, 1);
	CHECK(woken == 1);
}

static void test_many_producers_interleaved_wake_once_per_filling(void)
{
	struct ring r = { .cons = 0, .prod = 0 };
	int woken = 0;

	/* Eight CPUs, each reserving then committing a quarter of the ring's records in
	 * lockstep: the ring passes the mark with everything in flight. */
	for (int round = 0; round < RING / REC / 4 / 8; round++) {
		for (int cpu = 0; cpu < 8; cpu++)
			reserve(&r);
		for (int cpu = 0; cpu < 8; cpu++)
			woken += commit(&r, 1);
	}
	CHECK(woken == 1);
}

static void test_a_drain_rearms_the_wakeup(void)
{
	struct ring r = { .cons = 0, .prod = FILL };
	int woken = commit(&r, 1);

	CHECK(woken == 1);
	CHECK(commit(&r, 1) == 0);
	/* The consumer drained part of it, still past the mark: the next commit wakes it. */
	r.cons += REC;
	reserve(&r);
	CHECK(commit(&r, 1) == 1);
	CHECK(commit(&r, 1) == 0);
}

static void test_below_the_mark_no_wakeup(void)
{
	struct ring r = { .cons = 1000, .prod = 1000 };

	while (r.prod - r.cons + REC < FILL) {
		reserve(&r);
		CHECK(commit(&r, 1) == 0);
	}
	CHECK(r.mark == 0);
}

static void test_own_ring_wakes_once_per_filling(void)
{
	struct ring r = { .cons = 0, .prod = 0 };
	int woken = 0;

	for (int i = 0; i < RING / REC; i++) {
		reserve(&r);
		woken += commit(&r, 0);
	}
	CHECK(woken == 1);
}

static void test_first_filling_at_position_zero_wakes(void)
{
	struct ring r = { .cons = 0, .prod = FILL + REC };

	CHECK(r.mark == 0);
	CHECK(commit(&r, 1) == 1);
}

int main(void)
{
	RUN(test_two_cpus_reserving_across_the_mark_wake_once);
	RUN(test_many_producers_interleaved_wake_once_per_filling);
	RUN(test_a_drain_rearms_the_wakeup);
	RUN(test_below_the_mark_no_wakeup);
	RUN(test_own_ring_wakes_once_per_filling);
	RUN(test_first_filling_at_position_zero_wakes);
	return check_summary();
}
