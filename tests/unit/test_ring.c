/* The ring consumer's walk over records, on a simulated ring: order, bytes, wrap-around,
 * busy and discard bits, full rings, batching, partial takes, corruption. */
#include <errno.h>
#include <linux/bpf.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "check.h"
#include "ring/ring.h"
#include "sim_ring.h"

#define PAGE 4096
#define MAX_SEEN 100000

/* What the callback saw, and how it should answer. */
struct seen {
	struct sim_ring *sim;
	uint32_t seq[MAX_SEEN];	/* first 4 payload bytes of each record */
	uint32_t len[MAX_SEEN];
	size_t n;
	size_t calls;
	size_t max_batch;
	int bad_bytes;		/* records whose payload was not the pattern of its seq */
	int cons_moved;		/* the consumer position moved while a callback ran */
	uint64_t cons_at_call;
	int take;		/* records to take per call: -1 all; < -1 return that error */
};

static struct rl_rec batch[1024];

/* Payload of record seq: seq in the first 4 bytes, then bytes derived from it. */
static void fill(uint8_t *p, uint32_t seq, uint32_t len)
{
	memcpy(p, &seq, len < 4 ? len : 4);
	for (uint32_t i = 4; i < len; i++)
		p[i] = (uint8_t)(seq * 31 + i);
}

static int pattern_ok(const uint8_t *p, uint32_t len)
{
	uint32_t seq = 0;

	memcpy(&seq, p, len < 4 ? len : 4);
	for (uint32_t i = 4; i < len; i++)
		if (p[i] != (uint8_t)(seq * 31 + i))
			return 0;
	return 1;
}

static int emit(struct sim_ring *s, uint32_t seq, uint32_t len, int flags)
{
	uint8_t buf[512];

	fill(buf, seq, len);
	return sim_emit(s, buf, len, flags);
}

static int on_batch(void *ctx, const struct rl_rec *recs, size_t n)
{
	struct seen *w = ctx;
	size_t take = w->take == -1 ? n : (size_t)w->take < n ? (size_t)w->take : n;

	if (w->take < -1)
		return w->take;
	w->calls++;
	if (n > w->max_batch)
		w->max_batch = n;
	if (*w->sim->mem.consumer_pos != w->cons_at_call)
		w->cons_moved = 1;
	for (size_t i = 0; i < take && w->n < MAX_SEEN; i++, w->n++) {
		w->seq[w->n] = 0;
		memcpy(&w->seq[w->n], recs[i].data, recs[i].len < 4 ? recs[i].len : 4);
		w->len[w->n] = recs[i].len;
		w->bad_bytes += !pattern_ok(recs[i].data, recs[i].len);
	}
	return (int)take;
}

/* A consumer over a fresh simulated ring of size bytes. */
static struct rl_consumer *consumer_for(struct sim_ring *s, struct seen *w, size_t cap,
					uint32_t latency_us)
{
	struct rl_consumer_opts o = { .batch = batch, .batch_cap = cap, .latency_us = latency_us };
	struct rl_consumer *c = NULL;

	w->sim = s;
	w->take = -1;
	if (rl_consumer_open(&c, &o) || rl_consumer_add_mem(c, &s->mem, s->wake_fd, on_batch, w) != 0) {
		rl_consumer_close(c);
		return NULL;
	}
	return c;
}

/* poll(0), remembering where the consumer position stood at the start. */
static int poll_now(struct rl_consumer *c, struct seen *w)
{
	w->cons_at_call = *w->sim->mem.consumer_pos;
	return rl_consumer_poll(c, 0);
}

static void empty_ring_hands_out_nothing(void)
{
	static struct seen w;
	struct sim_ring *s = sim_ring_new(PAGE);
	struct rl_consumer *c = consumer_for(s, &w, 64, 0);

	CHECK(c);
	CHECK(rl_consumer_poll(c, 0) == 0);
	CHECK(rl_consumer_poll(c, 10) == 0);
	CHECK(w.calls == 0);
	rl_consumer_close(c);
	sim_ring_free(s);
}

static void records_arrive_in_order_with_their_bytes(void)
{
	static struct seen w;
	struct sim_ring *s = sim_ring_new(16 * PAGE);
	struct rl_consumer *c = consumer_for(s, &w, 1024, 0);

	CHECK(c);
	for (uint32_t i = 0; i < 300; i++)
		CHECK(emit(s, i, 1 + i % 97, 0) == 0);
	CHECK(poll_now(c, &w) == 300);
	CHECK(w.n == 300 && w.bad_bytes == 0);
	for (uint32_t i = 0; i < 300; i++)
		CHECK(w.len[i] == 1 + i % 97 && (w.len[i] < 4 || w.seq[i] == i));
	CHECK(batch[0].ring == 0);
	CHECK(*s->mem.consumer_pos == *s->producer_pos);
	rl_consumer_close(c);
	sim_ring_free(s);
}

static void records_that_wrap_arrive_contiguous(void)
{
	static struct seen w;
	struct sim_ring *s = sim_ring_new(PAGE);
	struct rl_consumer *c = consumer_for(s, &w, 1024, 0);
	uint32_t seq = 0;

	CHECK(c);
	/* Odd sizes over many laps put records across the end of the data area. */
	for (int lap = 0; lap < 200; lap++) {
		while (emit(s, seq, 4 + (seq * 13) % 300, 0) == 0)
			seq++;
		CHECK(poll_now(c, &w) > 0);
	}
	CHECK(w.n == seq && w.bad_bytes == 0);
	for (uint32_t i = 0; i < seq; i++)
		CHECK(w.seq[i] == i);
	rl_consumer_close(c);
	sim_ring_free(s);
}

static void busy_record_stops_the_walk_until_committed(void)
{
	static struct seen w;
	struct sim_ring *s = sim_ring_new(PAGE);
	struct rl_consumer *c = consumer_for(s, &w, 64, 0);
	uint8_t *busy;

	CHECK(c);
	CHECK(emit(s, 0, 16, 0) == 0);
	busy = sim_reserve(s, 16);
	CHECK(busy);
	fill(busy, 1, 16);
	CHECK(emit(s, 2, 16, 0) == 0);
	CHECK(poll_now(c, &w) == 1);
	CHECK(poll_now(c, &w) == 0);
	sim_commit(s, busy, 0);
	CHECK(poll_now(c, &w) == 2);
	CHECK(w.n == 3 && w.seq[1] == 1 && w.seq[2] == 2);
	rl_consumer_close(c);
	sim_ring_free(s);
}

static void discarded_records_are_consumed_but_not_handed_out(void)
{
	static struct seen w;
	struct sim_ring *s = sim_ring_new(PAGE);
	struct rl_consumer *c = consumer_for(s, &w, 64, 0);

	CHECK(c);
	for (uint32_t i = 0; i < 10; i++) {
		uint8_t *p = sim_reserve(s, 8);

		CHECK(p);
		fill(p, i, 8);
		if (i % 3 == 0)
			sim_discard(s, p, 0);
		else
			sim_commit(s, p, 0);
	}
	CHECK(poll_now(c, &w) == 6);
	CHECK(w.seq[0] == 1 && w.seq[1] == 2 && w.seq[2] == 4 && w.seq[5] == 8);
	CHECK(*s->mem.consumer_pos == *s->producer_pos);
	rl_consumer_close(c);
	sim_ring_free(s);
}

static void only_discarded_records_still_move_the_position(void)
{
	static struct seen w;
	struct sim_ring *s = sim_ring_new(PAGE);
	struct rl_consumer *c = consumer_for(s, &w, 64, 0);
	uint8_t *p;

	CHECK(c);
	p = sim_reserve(s, 40);
	CHECK(p);
	sim_discard(s, p, 0);
	CHECK(poll_now(c, &w) == 0);
	CHECK(w.calls == 0);
	CHECK(*s->mem.consumer_pos == 48);
	rl_consumer_close(c);
	sim_ring_free(s);
}

static void full_ring_refuses_records_until_drained(void)
{
	static struct seen w;
	struct sim_ring *s = sim_ring_new(PAGE);
	struct rl_consumer *c = consumer_for(s, &w, 1024, 0);
	uint32_t n = 0;

	CHECK(c);
	while (emit(s, n, 56, 0) == 0) /* 64 bytes with the header */
		n++;
	CHECK(n == PAGE / 64);
	CHECK(rl_consumer_pending(c, 0) == PAGE);
	CHECK(poll_now(c, &w) == (int)n);
	CHECK(rl_consumer_pending(c, 0) == 0);
	CHECK(emit(s, n, 56, 0) == 0);
	rl_consumer_close(c);
	sim_ring_free(s);
}

static void batches_are_capped_and_committed_after_each(void)
{
	static struct seen w;
	struct sim_ring *s = sim_ring_new(PAGE);
	struct rl_consumer *c = consumer_for(s, &w, 4, 0);

	CHECK(c);
	for (uint32_t i = 0; i < 10; i++)
		CHECK(emit(s, i, 8, 0) == 0);
	w.cons_at_call = 0;
	CHECK(rl_consumer_poll(c, 0) == 10);
	CHECK(w.calls == 3 && w.max_batch == 4 && w.n == 10);
	/* Each callback after the first sees the position its predecessor published. */
	CHECK(w.cons_moved == 1);
	rl_consumer_close(c);
	sim_ring_free(s);
}

/* Records of 64 bytes take 72 in the ring: a 16 KiB ring full of them is 227 records,
 * and a batch of them may span 4 KiB, a quarter of it (the record that crosses the line
 * included), however many records batch_cap allows. */
static void batches_span_at_most_a_quarter_of_the_ring(void)
{
	static struct seen w;
	struct sim_ring *s = sim_ring_new(4 * PAGE);
	struct rl_consumer *c = consumer_for(s, &w, 1024, 0);
	const uint32_t rec = 72, quarter = PAGE;
	uint32_t n = 0;

	CHECK(c);
	while (emit(s, n, 64, 0) == 0)
		n++;
	CHECK(n == 4 * PAGE / rec);
	w.cons_at_call = 0;
	CHECK(rl_consumer_poll(c, 0) == (int)n);
	CHECK(w.n == n && w.bad_bytes == 0);
	CHECK((w.max_batch - 1) * rec < quarter);
	CHECK(w.max_batch * rec >= quarter);
	rl_consumer_close(c);
	sim_ring_free(s);
}

static void position_holds_still_while_a_batch_is_handled(void)
{
	static struct seen w;
	struct sim_ring *s = sim_ring_new(PAGE);
	struct rl_consumer *c = consumer_for(s, &w, 64, 0);

	CHECK(c);
	for (uint32_t i = 0; i < 10; i++)
		CHECK(emit(s, i, 8, 0) == 0);
	CHECK(poll_now(c, &w) == 10);
	CHECK(w.calls == 1 && w.cons_moved == 0);
	CHECK(*s->mem.consumer_pos == 160);
	rl_consumer_close(c);
	sim_ring_free(s);
}

static void callback_taking_fewer_leaves_the_rest_in_the_ring(void)
{
	static struct seen w;
	struct sim_ring *s = sim_ring_new(PAGE);
	struct rl_consumer *c = consumer_for(s, &w, 64, 0);

	CHECK(c);
	for (uint32_t i = 0; i < 5; i++)
		CHECK(emit(s, i, 8, 0) == 0);
	w.take = 2;
	CHECK(poll_now(c, &w) == 2);
	CHECK(*s->mem.consumer_pos == 32);
	w.take = -1;
	CHECK(poll_now(c, &w) == 3);
	CHECK(w.n == 5 && w.seq[2] == 2 && w.seq[4] == 4);
	rl_consumer_close(c);
	sim_ring_free(s);
}

static void callback_error_stops_the_poll_with_that_error(void)
{
	static struct seen w;
	struct sim_ring *s = sim_ring_new(PAGE);
	struct rl_consumer *c = consumer_for(s, &w, 64, 0);

	CHECK(c);
	CHECK(emit(s, 0, 8, 0) == 0);
	w.take = -E2BIG;
	CHECK(poll_now(c, &w) == -E2BIG);
	CHECK(*s->mem.consumer_pos == 0);
	rl_consumer_close(c);
	sim_ring_free(s);
}

/* Each corruption must make poll fail with -EBADMSG and hand out nothing. */
static void expect_corrupt(struct sim_ring *s, struct seen *w)
{
	struct rl_consumer *c = consumer_for(s, w, 64, 0);

	CHECK(c);
	CHECK(poll_now(c, w) == -EBADMSG);
	CHECK(w->calls == 0);
	rl_consumer_close(c);
}

static void corrupt_rings_are_errors_not_crashes(void)
{
	static struct seen w;
	struct sim_ring *s = sim_ring_new(PAGE);

	CHECK(s);
	CHECK(emit(s, 0, 8, 0) == 0);
	*sim_header_at(s, 0) = 0x3fffff00; /* a length far beyond the ring */
	expect_corrupt(s, &w);
	*sim_header_at(s, 0) = 64; /* runs past the producer position (16) */
	expect_corrupt(s, &w);
	sim_set_positions(s, 0, 2 * PAGE); /* producer more than a ring ahead */
	expect_corrupt(s, &w);
	sim_set_positions(s, 32, 16); /* consumer ahead of the producer */
	expect_corrupt(s, &w);
	sim_set_positions(s, 4, 16); /* consumer not on a record boundary */
	expect_corrupt(s, &w);
	sim_ring_free(s);
}

/* Another consumer (or a hostile writer) moves the position into a record, onto a payload
 * word that carries the busy bit: read as a header, it would stall the ring for good. */
static void a_consumer_position_moved_by_another_is_an_error(void)
{
	static struct seen w;
	struct sim_ring *s = sim_ring_new(PAGE);
	struct rl_consumer *c = consumer_for(s, &w, 64, 0);
	uint8_t payload[64];
	uint32_t busy_word = 0x80000000u | 8;

	CHECK(c);
	CHECK(emit(s, 1, 8, 0) == 0);
	CHECK(poll_now(c, &w) == 1);
	memset(payload, 0, sizeof(payload));
	memcpy(payload + 8, &busy_word, sizeof(busy_word));
	CHECK(sim_emit(s, payload, sizeof(payload), 0) == 0);
	/* The record starts at 16: its header, then the payload; 32 is payload + 8. */
	sim_set_positions(s, 32, *s->mem.producer_pos);
	CHECK(poll_now(c, &w) == -EUSERS);
	CHECK(rl_consumer_poll(c, 10) == -EUSERS); /* stays an error, never a silent wait */
	CHECK(w.n == 1);
	sim_set_positions(s, 16, *s->mem.producer_pos); /* put back: the ring reads again */
	CHECK(poll_now(c, &w) == 1 && w.len[1] == sizeof(payload));
	rl_consumer_close(c);
	sim_ring_free(s);
}

static void only_known_ring_flags_are_accepted(void)
{
	CHECK(rl_ring_check_flags(0) == 0);
	CHECK(rl_ring_check_flags(BPF_F_NUMA_NODE) == 0);
	CHECK(rl_ring_check_flags(1u << 19) == -EOPNOTSUPP); /* BPF_F_RB_OVERWRITE, 6.19 */
	CHECK(rl_ring_check_flags(BPF_F_NUMA_NODE | (1u << 31)) == -EOPNOTSUPP);
	CHECK(rl_ring_check_flags(BPF_F_RDONLY_PROG) == -EOPNOTSUPP);
}

static void reopened_ring_resumes_at_its_consumer_position(void)
{
	static struct seen w;
	struct sim_ring *s = sim_ring_new(PAGE);
	struct rl_consumer *c;

	CHECK(s);
	sim_set_positions(s, 1000 * 64, 1000 * 64);
	for (uint32_t i = 0; i < 20; i++)
		CHECK(emit(s, 500 + i, 56, 0) == 0);
	c = consumer_for(s, &w, 64, 0);
	CHECK(c);
	CHECK(poll_now(c, &w) == 20);
	CHECK(w.seq[0] == 500 && w.seq[19] == 519 && w.bad_bytes == 0);
	rl_consumer_close(c);
	sim_ring_free(s);
}

static void records_without_wakeup_are_drained_on_timeout(void)
{
	static struct seen w;
	struct sim_ring *s = sim_ring_new(PAGE);
	struct rl_consumer *c = consumer_for(s, &w, 64, 0);

	CHECK(c);
	CHECK(emit(s, 7, 8, SIM_NO_WAKEUP) == 0);
	CHECK(s->wakeups == 0);
	CHECK(rl_consumer_poll(c, 20) == 1);
	CHECK(w.seq[0] == 7);
	rl_consumer_close(c);
	sim_ring_free(s);
}

static void record_stuck_busy_does_not_make_poll_spin(void)
{
	static struct seen w;
	struct sim_ring *s = sim_ring_new(PAGE);
	struct rl_consumer *c = consumer_for(s, &w, 64, 0);
	double cpu0;

	CHECK(c);
	CHECK(sim_reserve(s, 16)); /* never committed */
	cpu0 = sim_cpu_s(RUSAGE_SELF);
	for (int i = 0; i < 10; i++)
		CHECK(rl_consumer_poll(c, 20) == 0);
	/* 200 ms of waiting: sleeping costs next to nothing, spinning costs it all. */
	CHECK(sim_cpu_s(RUSAGE_SELF) - cpu0 < 0.1);
	rl_consumer_close(c);
	sim_ring_free(s);
}

static void bad_arguments_are_refused(void)
{
	struct rl_consumer_opts o = { .batch = batch, .batch_cap = 0 };
	struct rl_consumer *c = NULL;
	struct rl_ring_mem odd = { .size = 3000 };

	CHECK(rl_consumer_open(&c, &o) == -EINVAL);
	o.batch_cap = 8;
	CHECK(rl_consumer_open(&c, &o) == 0);
	CHECK(rl_consumer_add_mem(c, &odd, -1, on_batch, NULL) == -EINVAL);
	CHECK(rl_consumer_pending(c, 0) == -EINVAL);
	rl_consumer_close(c);
	rl_consumer_close(NULL);
}

int main(void)
{
	RUN(empty_ring_hands_out_nothing);
	RUN(records_arrive_in_order_with_their_bytes);
	RUN(records_that_wrap_arrive_contiguous);
	RUN(busy_record_stops_the_walk_until_committed);
	RUN(discarded_records_are_consumed_but_not_handed_out);
	RUN(only_discarded_records_still_move_the_position);
	RUN(full_ring_refuses_records_until_drained);
	RUN(batches_are_capped_and_committed_after_each);
	RUN(batches_span_at_most_a_quarter_of_the_ring);
	RUN(position_holds_still_while_a_batch_is_handled);
	RUN(callback_taking_fewer_leaves_the_rest_in_the_ring);
	RUN(callback_error_stops_the_poll_with_that_error);
	RUN(corrupt_rings_are_errors_not_crashes);
	RUN(a_consumer_position_moved_by_another_is_an_error);
	RUN(only_known_ring_flags_are_accepted);
	RUN(reopened_ring_resumes_at_its_consumer_position);
	RUN(records_without_wakeup_are_drained_on_timeout);
	RUN(record_stuck_busy_does_not_make_poll_spin);
	RUN(bad_arguments_are_refused);
	return check_summary();
}
