/* Producer throughput: one shared ring against one ring per CPU, with 1 or every CPU
 * producing at once (bench/ring_contention.bpf.c, run through BPF_PROG_TEST_RUN by one
 * thread pinned on each producing CPU). Nothing consumes during a run: the rings hold
 * every record, and are emptied between runs by moving their consumer positions. Prints
 * a Markdown table of medians over the interleaved runs.
 *   ring_contention [RECORDS_PER_PRODUCER [RUNS]] */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "ring_contention.skel.h"

#define MAX_CPUS 64
#define RECORD_BYTES 48 /* 40 bytes and the ring's 8-byte header */
#define MAX_RUNS 51

struct args {
	__u64 count; /* 64 bits: bpf_loop inlined compares its whole register */
	__u64 per_cpu;
};

struct mode {
	const char *name;
	int producers; /* 0: every CPU */
	bool per_cpu;
};

static const struct mode modes[] = {
	{ "one ring", 1, false },
	{ "one ring", 0, false },
	{ "per-CPU rings", 1, true },
	{ "per-CPU rings", 0, true },
};
#define NR_MODES (sizeof(modes) / sizeof(modes[0]))

struct producer {
	pthread_t thread;
	int cpu, prog_fd;
	struct args args;
	pthread_barrier_t *start;
	double began, ended; /* its own clock: the main thread may have no CPU to run on */
	int err;
};

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* One producer: pinned on its CPU, waits for the others, then runs the program once,
 * timed. */
static void *produce(void *arg)
{
	struct producer *p = arg;
	cpu_set_t set;
	LIBBPF_OPTS(bpf_test_run_opts, opts, .ctx_in = &p->args, .ctx_size_in = sizeof(p->args));

	CPU_ZERO(&set);
	CPU_SET(p->cpu, &set);
	p->err = pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	pthread_barrier_wait(p->start);
	p->began = now_s();
	if (!p->err && bpf_prog_test_run_opts(p->prog_fd, &opts))
		p->err = errno;
	p->ended = now_s();
	if (!p->err && opts.retval)
		p->err = EIO;
	return NULL;
}

/* Empties the ring fd: its consumer position is set to its producer position. */
static int empty_ring(int fd)
{
	long page = sysconf(_SC_PAGESIZE);
	unsigned long *cons = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	unsigned long *prod = mmap(NULL, page, PROT_READ, MAP_SHARED, fd, page);
	int err = cons == MAP_FAILED || prod == MAP_FAILED ? -errno : 0;

	if (!err)
		__atomic_store_n(cons, __atomic_load_n(prod, __ATOMIC_ACQUIRE), __ATOMIC_RELEASE);
	if (cons != MAP_FAILED)
		munmap(cons, page);
	if (prod != MAP_FAILED)
		munmap(prod, page);
	return err;
}

/* One run of mode m on cpus CPUs, count records each; its records per second. */
static double run_mode(int prog_fd, const struct mode *m, int cpus, __u32 count)
{
	int n = m->producers ? m->producers : cpus;
	struct producer p[MAX_CPUS];
	pthread_barrier_t start;
	double began = 0, ended = 0;
	int err = 0;

	pthread_barrier_init(&start, NULL, (unsigned)n + 1);
	for (int i = 0; i < n; i++) {
		p[i] = (struct producer){ .cpu = i, .prog_fd = prog_fd, .start = &start,
					  .args = { .count = count, .per_cpu = m->per_cpu } };
		pthread_create(&p[i].thread, NULL, produce, &p[i]);
	}
	pthread_barrier_wait(&start);
	for (int i = 0; i < n; i++) {
		pthread_join(p[i].thread, NULL);
		err = err ? err : p[i].err;
		began = i && began < p[i].began ? began : p[i].began;
		ended = i && ended > p[i].ended ? ended : p[i].ended;
	}
	pthread_barrier_destroy(&start);
	if (err) {
		fprintf(stderr, "ring_contention: %s\n", strerror(err));
		exit(1);
	}
	return (double)count * n / (ended - began);
}

static int compare(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	__u32 count = argc > 1 ? (__u32)strtoul(argv[1], NULL, 10) : 1000000;
	int runs = argc > 2 ? atoi(argv[2]) : 5;
	int cpus = libbpf_num_possible_cpus();
	size_t ring_size = 1;
	double rate[NR_MODES][MAX_RUNS];
	int rings[MAX_CPUS], shared, outer;
	struct ring_contention *skel;

	if (!count || runs < 1 || runs > MAX_RUNS || cpus < 1 || cpus > MAX_CPUS) {
		fprintf(stderr, "usage: ring_contention [RECORDS_PER_PRODUCER [RUNS <= %d]]\n",
			MAX_RUNS);
		return 2;
	}
	/* Each ring holds every record of a run: the shared one all producers'. */
	while (ring_size < (size_t)count * RECORD_BYTES * (size_t)cpus)
		ring_size <<= 1;
	/* The per-CPU rings, in an outer map made here and handed to the object. */
	for (int c = 0; c < cpus; c++)
		rings[c] = bpf_map_create(BPF_MAP_TYPE_RINGBUF, NULL, 0, 0, (__u32)ring_size, NULL);
	LIBBPF_OPTS(bpf_map_create_opts, outer_opts, .inner_map_fd = rings[0]);
	outer = bpf_map_create(BPF_MAP_TYPE_ARRAY_OF_MAPS, "cpu_rings", sizeof(__u32),
			       sizeof(__u32), (__u32)cpus, &outer_opts);
	for (int c = 0; c < cpus && outer >= 0; c++)
		if (rings[c] < 0 || bpf_map_update_elem(outer, &c, &rings[c], 0))
			outer = -1;
	skel = outer < 0 ? NULL : ring_contention__open();
	if (!skel || bpf_map__set_max_entries(skel->maps.shared, (__u32)ring_size) ||
	    bpf_map__reuse_fd(skel->maps.cpu_rings, outer) || ring_contention__load(skel)) {
		fprintf(stderr, "ring_contention: cannot make the rings or load the producer\n");
		return 1;
	}
	shared = bpf_map__fd(skel->maps.shared);
	/* Interleaved: every mode once per round. */
	for (int r = 0; r < runs; r++)
		for (size_t m = 0; m < NR_MODES; m++) {
			rate[m][r] = run_mode(bpf_program__fd(skel->progs.produce), &modes[m], cpus,
					      count);
			empty_ring(shared);
			for (int c = 0; c < cpus; c++)
				empty_ring(rings[c]);
		}
	printf("%d CPUs, %u records of %d bytes per producer, medians of %d runs; %llu dropped\n\n",
	       cpus, count, RECORD_BYTES, runs, (unsigned long long)skel->bss->dropped);
	printf("| rings | producers | M records/s, all producers | ns per record, each producer |\n");
	printf("| --- | --- | --- | --- |\n");
	for (size_t m = 0; m < NR_MODES; m++) {
		int n = modes[m].producers ? modes[m].producers : cpus;
		double med;

		qsort(rate[m], (size_t)runs, sizeof(double), compare);
		med = rate[m][runs / 2];
		printf("| %s | %d | %.1f | %.1f |\n", modes[m].name, n, med / 1e6, 1e9 * n / med);
	}
	ring_contention__destroy(skel);
	for (int c = 0; c < cpus; c++)
		close(rings[c]);
	close(outer);
	return 0;
}
