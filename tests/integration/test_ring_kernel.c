/* The ring consumer against real BPF_MAP_TYPE_RINGBUF maps in the running kernel, fed by
 * the test producer's program (tests/producer/seq.bpf.c) run through BPF_PROG_TEST_RUN:
 * what may be mapped writable, the three wakeup modes, small batches with discards,
 * drops, a callback that stops and a consumer reopened mid-ring, two pinned rings in one
 * consumer, consumer positions the kernel would never write, and map flags. Needs root. */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/types.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "check.h"
#include "ring/ring.h"
#include "seq.h"
#include "seq.skel.h"
#include "sim_ring.h"

/* 8-byte header + 40-byte seq_event. */
#define REC_BYTES 48
/* A sleeping poll's timeout: reached only if a wakeup was lost. */
#define WAKE_TIMEOUT_MS 10000
/* How long a producer thread waits before producing, so that the consumer sleeps. */
#define PRODUCE_DELAY_US 50000

static struct rl_rec batch[64];
static size_t page;

/* What a callback saw: sequence numbers in order, and how many to take per call. */
struct seen {
	uint64_t first, last;
	uint64_t n;
	uint64_t out_of_order;	/* a seq not above the previous one */
	uint32_t ring_index_mix;	/* records whose rl_rec.ring was not ring */
	uint32_t ring;
	int take;		/* records to take per call; -1 all */
};

static int on_batch(void *ctx, const struct rl_rec *recs, size_t n)
{
	struct seen *s = ctx;
	size_t take = s->take < 0 || (size_t)s->take > n ? n : (size_t)s->take;

	for (size_t i = 0; i < take; i++) {
		const struct seq_event *e = (const void *)recs[i].data;

		if (s->n && e->seq <= s->last)
			s->out_of_order++;
		if (!s->n)
			s->first = e->seq;
		s->last = e->seq;
		s->n++;
		s->ring_index_mix += recs[i].ring != s->ring;
	}
	return (int)take;
}

/* Loads the producer program with a ring of size bytes. NULL on failure. */
static struct seq *load_producer(size_t size)
{
	struct seq *skel = seq__open();

	if (!skel)
		return NULL;
	if (bpf_map__set_max_entries(skel->maps.events, (__u32)size) || seq__load(skel)) {
		seq__destroy(skel);
		return NULL;
	}
	return skel;
}

/* Runs the producer program once: count records from seq start. Returns 0 or -errno. */
static int produce(struct seq *skel, __u64 start, __u32 count, __u32 flags,
		   __u32 discard_every)
{
	struct seq_args args = { .start = start, .count = count, .flags = flags,
				 .discard_every = discard_every };
	LIBBPF_OPTS(bpf_test_run_opts, run, .ctx_in = &args, .ctx_size_in = sizeof(args));

	return bpf_prog_test_run_opts(bpf_program__fd(skel->progs.produce), &run);
}

static struct rl_consumer *consumer_on(int map_fd, size_t cap, struct seen *s)
{
	struct rl_consumer_opts o = { .batch = batch, .batch_cap = cap };
	struct rl_consumer *c = NULL;

	if (rl_consumer_open(&c, &o) || rl_consumer_add_map(c, map_fd, on_batch, s) != 0) {
		rl_consumer_close(c);
		return NULL;
	}
	return c;
}

/* mmap(2) of a ring map at offset off; MAP_FAILED with errno on refusal. */
static void *map_at(int fd, size_t len, int prot, size_t off)
{
	return mmap(NULL, len, prot, MAP_SHARED, fd, (off_t)off);
}

static void only_the_consumer_page_maps_writable(void)
{
	size_t size = 4 * page;
	int fd = bpf_map_create(BPF_MAP_TYPE_RINGBUF, NULL, 0, 0, (__u32)size, NULL);
	void *cons, *prod_rw, *data_rw, *ro;
	int prod_errno, data_errno, mprotect_rc;

	CHECK(fd >= 0);
	cons = map_at(fd, page, PROT_READ | PROT_WRITE, 0);
	prod_rw = map_at(fd, page, PROT_READ | PROT_WRITE, page);
	prod_errno = errno;
	data_rw = map_at(fd, size, PROT_READ | PROT_WRITE, 2 * page);
	data_errno = errno;
	ro = map_at(fd, page + 2 * size, PROT_READ, page);
	mprotect_rc = ro == MAP_FAILED ? 0 : mprotect(ro, page, PROT_READ | PROT_WRITE);
	CHECK(cons != MAP_FAILED);
	/* The consumer page is ours: writing the position back is what consuming is. */
	__atomic_store_n((uint64_t *)cons, *(uint64_t *)cons, __ATOMIC_RELEASE);
	CHECK(prod_rw == MAP_FAILED && prod_errno == EPERM);
	CHECK(data_rw == MAP_FAILED && data_errno == EPERM);
	CHECK(ro != MAP_FAILED);
	CHECK(mprotect_rc == -1 && errno == EACCES); /* and no way to upgrade later */
	munmap(cons, page);
	munmap(ro, page + 2 * size);
	close(fd);
}

struct delayed {
	struct seq *skel;
	__u32 count, flags;
	int err;
};

static void *produce_later(void *arg)
{
	struct delayed *d = arg;

	usleep(PRODUCE_DELAY_US);
	d->err = produce(d->skel, 0, d->count, d->flags, 0);
	return NULL;
}

/* A consumer asleep in poll(timeout_ms) while another thread produces 100 records with
 * these submit flags: checks they all arrived, in order, and puts how long the polls
 * took in *elapsed (-1 if they never ran). */
static void sleeping_poll_gets_records(__u32 flags, int timeout_ms, double *elapsed)
{
	struct seq *skel = load_producer(16 * page);
	struct seen s = { .take = -1 };
	struct delayed d = { .skel = skel, .count = 100, .flags = flags };
	struct rl_consumer *c = skel ? consumer_on(bpf_map__fd(skel->maps.events), 64, &s) : NULL;
	pthread_t t;
	double t0;
	int n = 0;

	*elapsed = -1;
	CHECK(c);
	CHECK(pthread_create(&t, NULL, produce_later, &d) == 0);
	t0 = sim_now_s();
	/* One sleep; a poll that woke between two of the producer's records goes again. */
	while (n >= 0 && s.n < 100 && sim_now_s() - t0 < 2.0 * timeout_ms / 1000)
		n = rl_consumer_poll(c, timeout_ms);
	*elapsed = sim_now_s() - t0;
	pthread_join(t, NULL);
	rl_consumer_close(c);
	seq__destroy(skel);
	CHECK(d.err == 0 && n >= 0);
	CHECK(s.n == 100 && s.first == 0 && s.last == 99 && s.out_of_order == 0);
}

static void default_and_forced_wakeups_wake_a_sleeping_poll(void)
{
	double elapsed;

	sleeping_poll_gets_records(0, WAKE_TIMEOUT_MS, &elapsed);
	CHECK(elapsed >= 0 && elapsed < WAKE_TIMEOUT_MS / 2000.0);
	sleeping_poll_gets_records(BPF_RB_FORCE_WAKEUP, WAKE_TIMEOUT_MS, &elapsed);
	CHECK(elapsed >= 0 && elapsed < WAKE_TIMEOUT_MS / 2000.0);
}

static void records_without_wakeup_arrive_when_the_poll_times_out(void)
{
	double elapsed;

	/* Nothing wakes the consumer: the records are drained when its timeout ends. */
	sleeping_poll_gets_records(BPF_RB_NO_WAKEUP, 500, &elapsed);
	CHECK(elapsed >= 0.4);
}

/* 1000 records, every 7th reserved one discarded, consumed cap records at a time. */
static void small_batches_skip_discards_and_account_exactly(size_t cap)
{
	struct seq *skel = load_producer(16 * page);
	struct seen s = { .take = -1 };
	struct rl_consumer *c = skel ? consumer_on(bpf_map__fd(skel->maps.events), cap, &s) : NULL;
	int n;

	CHECK(c);
	CHECK(produce(skel, 0, 1000, 0, 7) == 0);
	while ((n = rl_consumer_poll(c, 0)) > 0)
		;
	CHECK(n == 0);
	CHECK(skel->bss->discarded == 1000 / 7 && skel->bss->dropped == 0);
	CHECK(s.n + skel->bss->discarded == 1000);
	CHECK(s.out_of_order == 0 && s.first == 0 && s.last == 999);
	CHECK(rl_consumer_pending(c, 0) == 0);
	rl_consumer_close(c);
	seq__destroy(skel);
}

static void batch_cap_1_on_a_real_ring(void)
{
	small_batches_skip_discards_and_account_exactly(1);
}

static void batch_cap_2_on_a_real_ring(void)
{
	small_batches_skip_discards_and_account_exactly(2);
}

static void batch_cap_3_on_a_real_ring(void)
{
	small_batches_skip_discards_and_account_exactly(3);
}

static void a_full_ring_drops_and_the_count_adds_up(void)
{
	struct seq *skel = load_producer(4 * page);
	struct seen s = { .take = -1 };
	struct rl_consumer *c = skel ? consumer_on(bpf_map__fd(skel->maps.events), 64, &s) : NULL;

	CHECK(c);
	CHECK(produce(skel, 0, 1000, 0, 0) == 0);
	CHECK(rl_consumer_poll(c, 0) == (int)(4 * page / REC_BYTES));
	CHECK(skel->bss->dropped == 1000 - 4 * page / REC_BYTES);
	CHECK(s.n + skel->bss->dropped == 1000);
	CHECK(s.first == 0 && s.last == s.n - 1 && s.out_of_order == 0);
	rl_consumer_close(c);
	seq__destroy(skel);
}

static void stopped_consumer_resumes_there_even_when_reopened(void)
{
	struct seq *skel = load_producer(16 * page);
	struct seen s = { .take = 2 };
	int fd = skel ? bpf_map__fd(skel->maps.events) : -1;
	struct rl_consumer *c = consumer_on(fd, 64, &s);
	uint64_t *cons = map_at(fd, page, PROT_READ | PROT_WRITE, 0);

	CHECK(c && cons != MAP_FAILED);
	CHECK(produce(skel, 0, 10, 0, 0) == 0);
	CHECK(rl_consumer_poll(c, 0) == 2);
	CHECK(*cons == 2 * REC_BYTES); /* the kernel's consumer position, in the map */
	s.take = 0;
	CHECK(rl_consumer_poll(c, 0) == 0);
	CHECK(*cons == 2 * REC_BYTES);
	/* A new consumer on the same map continues from the position the map holds. */
	rl_consumer_close(c);
	s.take = 3;
	c = consumer_on(fd, 64, &s);
	CHECK(c);
	CHECK(rl_consumer_poll(c, 0) == 3);
	CHECK(s.n == 5 && s.first == 0 && s.last == 4 && s.out_of_order == 0);
	CHECK(*cons == 5 * REC_BYTES);
	rl_consumer_close(c);
	munmap(cons, page);
	seq__destroy(skel);
}

/* Pins two producers' rings, opens both pins, and consumes them in one consumer. */
static void two_pinned_rings_in_one_consumer(void)
{
	struct seq *skel[2] = { load_producer(16 * page), load_producer(4 * page) };
	struct seen s[2] = { { .take = -1, .ring = 0 }, { .take = -1, .ring = 1 } };
	struct rl_consumer_opts o = { .batch = batch, .batch_cap = 64 };
	struct rl_consumer *c = NULL;
	char pin[2][64];
	int fd[2] = { -1, -1 }, n, total = 0;

	CHECK(skel[0] && skel[1]);
	CHECK(rl_consumer_open(&c, &o) == 0);
	for (int i = 0; i < 2; i++) {
		snprintf(pin[i], sizeof(pin[i]), "/sys/fs/bpf/ringlua_test_kernel_%d_%d", getpid(), i);
		unlink(pin[i]);
		CHECK(bpf_map__pin(skel[i]->maps.events, pin[i]) == 0);
		fd[i] = bpf_obj_get(pin[i]);
		unlink(pin[i]); /* the fd holds the ring from here on */
		CHECK(fd[i] >= 0);
		CHECK(rl_consumer_add_map(c, fd[i], on_batch, &s[i]) == i);
	}
	CHECK(produce(skel[0], 1000, 300, 0, 0) == 0);
	CHECK(produce(skel[1], 5000, 50, 0, 0) == 0);
	CHECK(produce(skel[0], 1300, 200, 0, 0) == 0);
	while ((n = rl_consumer_poll(c, 0)) > 0)
		total += n;
	CHECK(n == 0 && total == 550);
	CHECK(s[0].n == 500 && s[0].first == 1000 && s[0].last == 1499 && !s[0].out_of_order);
	CHECK(s[1].n == 50 && s[1].first == 5000 && s[1].last == 5049 && !s[1].out_of_order);
	CHECK(s[0].ring_index_mix == 0 && s[1].ring_index_mix == 0);
	rl_consumer_close(c);
	for (int i = 0; i < 2; i++) {
		close(fd[i]);
		seq__destroy(skel[i]);
	}
}

/* A position written behind the consumer's back is another consumer's (-EUSERS); one
 * found at the start that the kernel never writes is a corrupt ring (-EBADMSG). */
static void impossible_consumer_positions_are_errors(void)
{
	struct seq *skel = load_producer(4 * page);
	struct seen s = { .take = -1 };
	int fd = skel ? bpf_map__fd(skel->maps.events) : -1;
	struct rl_consumer *c = consumer_on(fd, 64, &s);
	uint64_t *cons = map_at(fd, page, PROT_READ | PROT_WRITE, 0);

	CHECK(c && cons != MAP_FAILED);
	CHECK(produce(skel, 0, 10, 0, 0) == 0);
	*cons = 2 * REC_BYTES; /* a second consumer took two records */
	CHECK(rl_consumer_poll(c, 0) == -EUSERS);
	CHECK(rl_consumer_poll(c, 10) == -EUSERS);
	*cons = 4; /* inside a record */
	CHECK(rl_consumer_poll(c, 0) == -EUSERS);
	CHECK(s.n == 0);
	rl_consumer_close(c);
	*cons = 11 * REC_BYTES; /* ahead of the producer, before a consumer opens */
	c = consumer_on(fd, 64, &s);
	CHECK(c && rl_consumer_poll(c, 0) == -EBADMSG);
	*cons = 0; /* put back: the ring reads again */
	CHECK(rl_consumer_poll(c, 0) == -EUSERS);
	rl_consumer_close(c);
	c = consumer_on(fd, 64, &s);
	CHECK(c && rl_consumer_poll(c, 0) == 10);
	rl_consumer_close(c);
	munmap(cons, page);
	seq__destroy(skel);
}

/* The kernel accepts only BPF_F_NUMA_NODE on a ring today; the consumer reads such a ring
 * (its map_flags say so), and rl_ring_check_flags (unit-tested) refuses the rest. */
static void a_ring_placed_on_a_numa_node_is_read(void)
{
	LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = BPF_F_NUMA_NODE, .numa_node = 0);
	struct bpf_map_info info = { 0 };
	__u32 info_len = sizeof(info);
	int fd = bpf_map_create(BPF_MAP_TYPE_RINGBUF, "numa_ring", 0, 0, (__u32)(4 * page), &opts);
	struct seen s = { .take = -1 };
	struct rl_consumer *c = fd >= 0 ? consumer_on(fd, 64, &s) : NULL;

	CHECK(fd >= 0 && bpf_obj_get_info_by_fd(fd, &info, &info_len) == 0);
	CHECK(info.map_flags == BPF_F_NUMA_NODE);
	CHECK(c && rl_consumer_poll(c, 0) == 0);
	rl_consumer_close(c);
	if (fd >= 0)
		close(fd);
}

int main(void)
{
	page = (size_t)sysconf(_SC_PAGESIZE);
	libbpf_set_print(NULL);
	RUN(only_the_consumer_page_maps_writable);
	RUN(default_and_forced_wakeups_wake_a_sleeping_poll);
	RUN(records_without_wakeup_arrive_when_the_poll_times_out);
	RUN(batch_cap_1_on_a_real_ring);
	RUN(batch_cap_2_on_a_real_ring);
	RUN(batch_cap_3_on_a_real_ring);
	RUN(a_full_ring_drops_and_the_count_adds_up);
	RUN(stopped_consumer_resumes_there_even_when_reopened);
	RUN(two_pinned_rings_in_one_consumer);
	RUN(impossible_consumer_positions_are_errors);
	RUN(a_ring_placed_on_a_numa_node_is_read);
	return check_summary();
}
