/* Fuzzes the ring consumer's walk. The input picks the ring's size and the batch size,
 * then is read as a list of operations on a simulated ring in the kernel's layout: a
 * producer emitting, reserving (busy), committing and discarding records, raw writes of
 * headers and positions a broken or hostile producer could make, and polls whose
 * callback takes all, some or none of a batch, or fails.
 *
 * Whatever the input, a poll must return, hand out only records that lie inside the
 * ring's mapping and between the positions it started from, never move the consumer
 * position backwards or past the producer, and fail only with -EBADMSG, -EUSERS (the
 * consumer position was moved behind its back) or the callback's own error. A broken rule aborts, which the fuzzer reports as a crash. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ring/ring.h"
#include "sim_ring.h"

#define HDR_SZ 8
#define BUSY_BIT (1u << 31)
#define DISCARD_BIT (1u << 30)
#define MAX_BATCH 64
/* Enough to reach any state of a small ring; more only makes slow inputs. */
#define MAX_OPS 512
#define MAX_PENDING 8
#define MAX_RING_PAGES 4
#define MAX_PAYLOAD (MAX_RING_PAGES * 4096)
#define CALLBACK_ERROR (-E2BIG)

enum op { OP_EMIT, OP_RESERVE, OP_COMMIT, OP_POKE_HEADER, OP_SET_POSITIONS, OP_POLL, OP_COUNT };

/* How the callback answers a batch. */
enum take { TAKE_ALL, TAKE_SOME, TAKE_NONE, TAKE_FAIL };

struct input {
	const uint8_t *p;
	size_t left;
};

struct run {
	struct sim_ring *sim;
	struct rl_consumer *consumer;
	struct rl_rec batch[MAX_BATCH];
	size_t batch_cap;
	void *pending[MAX_PENDING];	/* reserved, not yet committed */
	size_t nr_pending;
	enum take take;
	size_t take_some;
	uint64_t poll_cons, poll_prod;	/* the positions when the poll began */
	uint64_t taken;			/* records the callback took in this poll */
};

static void expect(bool ok, const char *rule)
{
	if (!ok) {
		fprintf(stderr, "fuzz_ring: broken rule: %s\n", rule);
		abort();
	}
}

/* The next n bytes of the input as a little-endian number; zeros past its end. */
static uint64_t next(struct input *in, size_t n)
{
	uint64_t v = 0;

	for (size_t i = 0; i < n; i++) {
		if (in->left) {
			v |= (uint64_t)*in->p << (8 * i);
			in->p++;
			in->left--;
		}
	}
	return v;
}

static uint64_t cons_pos(const struct run *r)
{
	return __atomic_load_n(r->sim->mem.consumer_pos, __ATOMIC_ACQUIRE);
}

static uint64_t prod_pos(const struct run *r)
{
	return __atomic_load_n(r->sim->producer_pos, __ATOMIC_ACQUIRE);
}

/* A record handed out: inside the data pages (mapped twice), on a record boundary,
 * within the part of the ring that was written, and committed, not busy or discarded. */
static void check_record(const struct run *r, const struct rl_rec *rec)
{
	uint64_t size = r->sim->mem.size;
	const uint8_t *data = r->sim->mem.data;
	uint64_t offset, pos;
	uint32_t hdr;

	expect(rec->data >= data + HDR_SZ && rec->data < data + size + HDR_SZ,
	       "a record starts inside the ring");
	offset = (uint64_t)(rec->data - HDR_SZ - data);
	expect(offset % 8 == 0, "a record starts on an 8-byte boundary");
	expect(offset + HDR_SZ + rec->len <= 2 * size, "a record ends inside the mapping");
	expect(rec->ring == 0, "a record names its ring");
	/* Its position: the one in [poll_cons, poll_prod) that has this offset. */
	pos = r->poll_cons + ((offset - r->poll_cons) & (size - 1));
	expect(pos + HDR_SZ + rec->len <= r->poll_prod, "a record ends before the producer");
	memcpy(&hdr, data + offset, sizeof(hdr));
	expect((hdr & ~(BUSY_BIT | DISCARD_BIT)) == rec->len, "a record's length is its header's");
	expect(!(hdr & (BUSY_BIT | DISCARD_BIT)), "busy and discarded records are not handed out");
}

static int on_batch(void *ctx, const struct rl_rec *recs, size_t n)
{
	struct run *r = ctx;
	size_t taken;

	expect(n >= 1 && n <= r->batch_cap, "a batch holds 1 to batch_cap records");
	for (size_t i = 0; i < n; i++)
		check_record(r, &recs[i]);
	switch (r->take) {
	case TAKE_FAIL: return CALLBACK_ERROR;
	case TAKE_NONE: taken = 0; break;
	case TAKE_SOME: taken = r->take_some < n ? r->take_some : n; break;
	default: taken = n; break;
	}
	r->taken += taken;
	return (int)taken;
}

static void poll_and_check(struct run *r, enum take take, size_t take_some)
{
	uint64_t cons;
	int ret;

	r->take = take;
	r->take_some = take_some;
	r->taken = 0;
	r->poll_cons = cons_pos(r);
	r->poll_prod = prod_pos(r);
	ret = rl_consumer_poll(r->consumer, 0);
	cons = cons_pos(r);
	expect(ret >= 0 || ret == -EBADMSG || ret == -EUSERS ||
	       (ret == CALLBACK_ERROR && take == TAKE_FAIL),
	       "poll fails only for a corrupt ring or the callback's error");
	expect(ret < 0 || (uint64_t)ret == r->taken, "poll counts the records taken");
	if (cons == r->poll_cons)
		return;
	expect(cons > r->poll_cons && cons <= r->poll_prod,
	       "the consumer position moves forward, never past the producer");
	expect(cons % 8 == 0, "the consumer position stays on a record boundary");
}

/* A record that a well-behaved producer writes: reserve, fill, commit or discard. */
static void produce(struct run *r, struct input *in, enum op op)
{
	static const uint8_t payload[MAX_PAYLOAD];
	uint32_t len = (uint32_t)(next(in, 2) % r->sim->mem.size % MAX_PAYLOAD);
	int flags = (int)(next(in, 1) & (SIM_NO_WAKEUP | SIM_FORCE_WAKEUP));
	void *p;

	/* Only positions set by corrupt() can be off a record boundary; the well-behaved
	 * producer stops writing there (its headers would be misaligned stores). */
	if (prod_pos(r) % 8)
		return;
	if (op == OP_EMIT) {
		sim_emit(r->sim, payload, len, flags);
		return;
	}
	if (op == OP_RESERVE && r->nr_pending < MAX_PENDING) {
		p = sim_reserve(r->sim, len);
		if (p)
			r->pending[r->nr_pending++] = p;
		return;
	}
	if (op == OP_COMMIT && r->nr_pending) {
		p = r->pending[0];
		memmove(r->pending, r->pending + 1, --r->nr_pending * sizeof(r->pending[0]));
		if (len & 1)
			sim_discard(r->sim, p, flags);
		else
			sim_commit(r->sim, p, flags);
	}
}

/* What a broken producer can do: any header word anywhere, any pair of positions (near
 * a base that may be close to 2^64). */
static void corrupt(struct run *r, struct input *in, enum op op)
{
	uint64_t base, cons, prod;

	if (op == OP_POKE_HEADER) {
		uint64_t pos = next(in, 2) & ~(uint64_t)3;
		uint32_t word = (uint32_t)next(in, 4);

		memcpy(sim_header_at(r->sim, pos), &word, sizeof(word));
		return;
	}
	base = next(in, 8);
	cons = base + next(in, 2);
	prod = base + next(in, 2);
	/* A hostile producer moves only its own position; one that moves the consumer's is
	 * caught at the next poll (-EUSERS), so half of them leave it alone. */
	if (base & 1)
		cons = cons_pos(r);
	sim_set_positions(r->sim, cons, prod);
}

static void run_ops(struct run *r, struct input *in)
{
	for (int i = 0; i < MAX_OPS && in->left; i++) {
		enum op op = (enum op)(next(in, 1) % OP_COUNT);

		if (op == OP_POLL) {
			uint8_t how = (uint8_t)next(in, 1);

			poll_and_check(r, (enum take)(how % 4), how / 4 % MAX_BATCH);
		} else if (op == OP_POKE_HEADER || op == OP_SET_POSITIONS) {
			corrupt(r, in, op);
		} else {
			produce(r, in, op);
		}
	}
	poll_and_check(r, TAKE_ALL, 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = { data, size };
	/* 1, 2 or 4 pages: small enough that the input reaches every byte of it. */
	size_t ring_size = (size_t)sysconf(_SC_PAGESIZE) << (next(&in, 1) % 3);
	struct run r = { .batch_cap = 1 + next(&in, 1) % MAX_BATCH };
	struct rl_consumer_opts opts;

	opts = (struct rl_consumer_opts){ .batch = r.batch, .batch_cap = r.batch_cap };
	r.sim = sim_ring_new(ring_size);
	expect(r.sim != NULL, "a simulated ring can be made");
	expect(rl_consumer_open(&r.consumer, &opts) == 0 &&
	       rl_consumer_add_mem(r.consumer, &r.sim->mem, r.sim->wake_fd, on_batch, &r) == 0,
	       "a consumer can be opened on it");
	run_ops(&r, &in);
	rl_consumer_close(r.consumer);
	sim_ring_free(r.sim);
	return 0;
}
