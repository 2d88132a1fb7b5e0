/* seq_producer: creates (or reuses) a pinned ring buffer and fills it with
 * sequence-numbered records, for ringlua's tests and benchmarks.
 *
 *   seq_producer --pin PATH [--size BYTES] [--count N] [--batch B] [--start S]
 *                [--flags default|nowakeup|force] [--discard-every K] [--rate R]
 *                [--stamp] [--reuse] [--keep] [-v]
 *
 * --count 0 only creates and pins an empty ring; --reuse produces into the ring already
 * pinned at PATH instead (so a consumer can be started on it first). --stamp puts each
 * record's submit time (bpf_ktime_get_ns, CLOCK_MONOTONIC) in its value, in place of
 * seq * 3, for consumers that measure delivery latency. Records go out B per
 * program run; --rate R paces those runs to R records/s (0: flat out). Prints
 * `produced N dropped D discarded K` when done and exits: the pin keeps the ring and its
 * records. --keep waits for SIGINT/SIGTERM before exiting. Errors are one line on stderr
 * (libbpf's own messages only with -v). */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/types.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "seq.h"
#include "seq.skel.h"
#include "kernel/system.h"

#define NSEC_PER_SEC 1000000000ull
/* The ring's size is a u32 map attribute and a power of two. */
#define MAX_RING_SIZE (1ull << 31)
/* Keeps the pacing arithmetic (done % rate * 1e9) inside 64 bits. */
#define MAX_RATE NSEC_PER_SEC

static struct env {
	const char *pin;
	__u64 size;
	__u64 count;
	__u64 batch;		/* records per program run */
	__u64 start;		/* seq of the first record */
	__u64 discard_every;
	__u64 rate;		/* records per second; 0: flat out */
	__u32 flags;		/* bpf_ringbuf_submit wakeup mode */
	bool stamp;		/* value: the submit time, not seq * 3 */
	bool reuse;		/* produce into an existing pin instead of creating one */
	bool keep;		/* stay alive until a signal once done */
	bool verbose;		/* let libbpf print its warnings */
} env = {
	.size = 16 << 20,
	.batch = 64,
};

static volatile sig_atomic_t exiting;

static void on_signal(int sig)
{
	(void)sig;
	exiting = 1;
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (!env.verbose || level == LIBBPF_DEBUG)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

/* Prints one error line; returns err so callers can `return fail(...)`. */
static int fail(int err, const char *fmt, ...)
{
	va_list ap;

	fputs("seq_producer: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return err;
}

static void usage(void)
{
	printf("usage: seq_producer --pin PATH [--size BYTES] [--count N] [--batch B] [--start S]\n"
	       "                    [--flags default|nowakeup|force] [--discard-every K]\n"
	       "                    [--rate R] [--stamp] [--reuse] [--keep] [-v]\n");
}

/* Parses a whole unsigned number (decimal, or 0x hex) no larger than max.
 * Returns 0 or -EINVAL. */
static int parse_num(const char *s, __u64 max, __u64 *out)
{
	unsigned long long v;
	char *end;

	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || *end || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

static int parse_flags(const char *s, __u32 *flags)
{
	if (strcmp(s, "default") == 0)
		*flags = 0;
	else if (strcmp(s, "nowakeup") == 0)
		*flags = BPF_RB_NO_WAKEUP;
	else if (strcmp(s, "force") == 0)
		*flags = BPF_RB_FORCE_WAKEUP;
	else
		return -EINVAL;
	return 0;
}

/* Fills env from argv. Returns 0, 1 when --help was asked, or -EINVAL (printed). */
static int parse(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "pin", 1, NULL, 'p' }, { "size", 1, NULL, 's' }, { "count", 1, NULL, 'n' },
		{ "batch", 1, NULL, 'b' }, { "start", 1, NULL, 'S' }, { "flags", 1, NULL, 'f' },
		{ "discard-every", 1, NULL, 'd' }, { "rate", 1, NULL, 'r' },
		{ "stamp", 0, NULL, 't' }, { "reuse", 0, NULL, 'u' }, { "keep", 0, NULL, 'k' },
		{ "verbose", 0, NULL, 'v' }, { "help", 0, NULL, 'h' }, { 0 },
	};
	long page = sysconf(_SC_PAGESIZE);
	int o, idx, err;

	opterr = 0; /* getopt's messages would add lines to our one-line errors */
	while ((o = getopt_long(argc, argv, ":vh", opts, &idx)) != -1) {
		err = 0;
		switch (o) {
		case 'p': env.pin = optarg; break;
		case 's': err = parse_num(optarg, MAX_RING_SIZE, &env.size); break;
		case 'n': err = parse_num(optarg, UINT64_MAX, &env.count); break;
		case 'b': err = parse_num(optarg, UINT32_MAX, &env.batch); break;
		case 'S': err = parse_num(optarg, UINT64_MAX, &env.start); break;
		case 'd': err = parse_num(optarg, UINT32_MAX, &env.discard_every); break;
		case 'r': err = parse_num(optarg, MAX_RATE, &env.rate); break;
		case 'f': err = parse_flags(optarg, &env.flags); break;
		case 't': env.stamp = true; break;
		case 'u': env.reuse = true; break;
		case 'k': env.keep = true; break;
		case 'v': env.verbose = true; break;
		case 'h': usage(); return 1;
		case ':': return fail(-EINVAL, "%s needs a value", argv[optind - 1]);
		default: return fail(-EINVAL, "unknown option %s (see --help)", argv[optind - 1]);
		}
		if (err)
			return fail(err, "invalid value for --%s: %s", opts[idx].name, optarg);
	}
	if (optind < argc)
		return fail(-EINVAL, "unexpected argument %s", argv[optind]);
	if (!env.pin)
		return fail(-EINVAL, "--pin PATH is required");
	if (!env.batch)
		return fail(-EINVAL, "--batch must be at least 1");
	if (env.size < (__u64)page || (env.size & (env.size - 1)))
		return fail(-EINVAL, "--size must be a power of two, at least %ld", page);
	return 0;
}

/* Points the skeleton's ring at the one pinned at env.pin. Returns 0, -EINVAL if that
 * is not a ring buffer, or -errno. */
static int adopt_ring(struct seq *skel)
{
	struct bpf_map_info info = { 0 };
	__u32 len = sizeof(info);
	int fd, err;

	fd = bpf_obj_get(env.pin);
	if (fd < 0)
		return -errno;
	err = bpf_obj_get_info_by_fd(fd, &info, &len);
	if (!err && info.type != BPF_MAP_TYPE_RINGBUF)
		err = -EINVAL;
	/* The skeleton keeps a duplicate of the fd: ours is closed either way. */
	if (!err)
		err = bpf_map__reuse_fd(skel->maps.events, fd);
	close(fd);
	return err;
}

/* Sleeps until the record numbered `done` is due at env.rate records/s from start.
 * A signal cuts the sleep short; the caller's loop then sees `exiting`. */
static void pace(const struct timespec *start, __u64 done)
{
	__u64 ns = done / env.rate * NSEC_PER_SEC + done % env.rate * NSEC_PER_SEC / env.rate;
	struct timespec due = {
		.tv_sec = start->tv_sec + (time_t)(ns / NSEC_PER_SEC),
		.tv_nsec = start->tv_nsec + (long)(ns % NSEC_PER_SEC),
	};

	if (due.tv_nsec >= (long)NSEC_PER_SEC) {
		due.tv_sec++;
		due.tv_nsec -= (long)NSEC_PER_SEC;
	}
	clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &due, NULL);
}

/* Runs the program until env.count records were emitted or a signal came; *done counts
 * the records emitted (submitted, discarded or dropped). Returns 0 or -errno. */
static int produce(struct seq *skel, __u64 *done)
{
	struct seq_args args = { .flags = env.flags, .discard_every = (__u32)env.discard_every,
				 .stamp = env.stamp };
	LIBBPF_OPTS(bpf_test_run_opts, run, .ctx_in = &args, .ctx_size_in = sizeof(args));
	int prog_fd = bpf_program__fd(skel->progs.produce);
	struct timespec start;
	int err;

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (*done = 0; *done < env.count && !exiting; *done += args.count) {
		if (env.rate)
			pace(&start, *done);
		args.start = env.start + *done;
		args.count = (__u32)(env.count - *done < env.batch ? env.count - *done : env.batch);
		err = bpf_prog_test_run_opts(prog_fd, &run);
		if (err)
			return err;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct seq *skel = NULL;
	__u64 done = 0;
	int err;

	/* Options; libbpf stays quiet (unless -v) so that each failure is one line. */
	err = parse(argc, argv);
	if (err)
		return err > 0 ? 0 : 2;
	libbpf_set_print(libbpf_print);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);

	/* bpffs at /sys/fs/bpf. Its result is not checked: it also wants tracefs, which the
	 * producer does not need, and a missing bpffs makes the pin below fail anyway. */
	rl_ensure_mounts();

	/* Open the object: size a new ring, or adopt the pinned one. */
	skel = seq__open();
	if (!skel) {
		err = fail(-errno, "cannot open the BPF object: %s", strerror(errno));
		goto cleanup;
	}
	err = env.reuse ? adopt_ring(skel)
			: bpf_map__set_max_entries(skel->maps.events, (__u32)env.size);
	if (err) {
		fail(err, "cannot use the ring pinned at %s (must be a BPF ring buffer): %s",
		     env.pin, strerror(-err));
		goto cleanup;
	}

	/* Load: the verifier checks the program against the ring. */
	err = seq__load(skel);
	if (err) {
		fail(err, "cannot load the producer program: %s", strerror(-err));
		goto cleanup;
	}

	/* Pin a new ring, replacing a stale pin left at the path. */
	if (!env.reuse) {
		unlink(env.pin);
		err = bpf_map__pin(skel->maps.events, env.pin);
		if (err) {
			fail(err, "cannot pin the ring at %s (a path on bpffs): %s", env.pin,
			     strerror(-err));
			goto cleanup;
		}
	}

	/* Emit, and report: the pin keeps the ring and its records after we exit. */
	err = produce(skel, &done);
	if (err) {
		fail(err, "cannot run the producer program: %s", strerror(-err));
		goto cleanup;
	}
	printf("produced %llu dropped %llu discarded %llu\n", (unsigned long long)done,
	       (unsigned long long)skel->bss->dropped, (unsigned long long)skel->bss->discarded);
	fflush(stdout);

	/* Stay alive until a signal, if asked. */
	while (env.keep && !exiting)
		pause();
cleanup:
	seq__destroy(skel);
	return err ? 1 : 0;
}
