/* seq_producer: creates (or reuses) a pinned ring buffer and fills it with
 * sequence-numbered records, for ringlua's tests and benchmarks.
 *
 *   seq_producer --pin PATH [--size BYTES] [--count N] [--batch B] [--start S]
 *                [--flags default|nowakeup|force] [--discard-every K] [--reuse] [--keep]
 *
 * Prints `produced N dropped D discarded K` when done. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/types.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "seq.h"
#include "seq.skel.h"
#include "system.h"

struct config {
	const char *pin;
	__u32 size;
	__u64 count;
	__u32 batch;	/* records per program run */
	__u64 start;
	__u32 flags;
	__u32 discard_every;
	bool reuse;	/* produce into an existing pin instead of creating one */
	bool keep;	/* stay alive until a signal once done */
};

static volatile sig_atomic_t exiting;

static void on_signal(int sig)
{
	(void)sig;
	exiting = 1;
}

static int usage(void)
{
	fprintf(stderr, "usage: seq_producer --pin PATH [--size BYTES] [--count N] [--batch B] "
			"[--start S] [--flags default|nowakeup|force] [--discard-every K] "
			"[--reuse] [--keep]\n");
	return -EINVAL;
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

static int parse(struct config *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "pin", 1, NULL, 'p' }, { "size", 1, NULL, 's' }, { "count", 1, NULL, 'n' },
		{ "batch", 1, NULL, 'b' }, { "start", 1, NULL, 'S' }, { "flags", 1, NULL, 'f' },
		{ "discard-every", 1, NULL, 'd' }, { "reuse", 0, NULL, 'r' },
		{ "keep", 0, NULL, 'k' }, { 0 },
	};
	int o;

	*c = (struct config){ .size = 16 << 20, .batch = 64 };
	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 'p': c->pin = optarg; break;
		case 's': c->size = (__u32)strtoul(optarg, NULL, 0); break;
		case 'n': c->count = strtoull(optarg, NULL, 0); break;
		case 'b': c->batch = (__u32)strtoul(optarg, NULL, 0); break;
		case 'S': c->start = strtoull(optarg, NULL, 0); break;
		case 'd': c->discard_every = (__u32)strtoul(optarg, NULL, 0); break;
		case 'r': c->reuse = true; break;
		case 'k': c->keep = true; break;
		case 'f':
			if (parse_flags(optarg, &c->flags))
				return usage();
			break;
		default: return usage();
		}
	}
	if (!c->pin || !c->batch || !c->size || (c->size & (c->size - 1)))
		return usage();
	return 0;
}

/* Makes the skeleton's ring the pinned one: a fresh pin, or the existing one. */
static int setup_ring(struct seq *skel, const struct config *c)
{
	int fd;

	if (!c->reuse) {
		unlink(c->pin);
		return bpf_map__set_max_entries(skel->maps.events, c->size);
	}
	fd = bpf_obj_get(c->pin);
	if (fd < 0)
		return -errno;
	return bpf_map__reuse_fd(skel->maps.events, fd);
}

/* Runs the program until count records were emitted (or a signal). */
static int produce(struct seq *skel, const struct config *c)
{
	struct seq_args args = { .flags = c->flags, .discard_every = c->discard_every };
	LIBBPF_OPTS(bpf_test_run_opts, run, .ctx_in = &args, .ctx_size_in = sizeof(args));
	int prog_fd = bpf_program__fd(skel->progs.produce);

	for (__u64 done = 0; done < c->count && !exiting; done += args.count) {
		args.start = c->start + done;
		args.count = (__u32)(c->count - done < c->batch ? c->count - done : c->batch);
		if (bpf_prog_test_run_opts(prog_fd, &run))
			return -errno;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct config c;
	struct seq *skel = NULL;
	int err;

	/* Options. */
	if (parse(&c, argc, argv))
		return 2;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);

	/* Open the object and point its ring at the pin; load. */
	rl_ensure_mounts();
	skel = seq__open();
	err = skel ? setup_ring(skel, &c) : -errno;
	if (!err)
		err = seq__load(skel);
	if (!err && !c.reuse)
		err = bpf_map__pin(skel->maps.events, c.pin);
	if (err) {
		fprintf(stderr, "seq_producer: cannot set up the ring at %s: %s\n", c.pin,
			strerror(-err));
		goto cleanup;
	}

	/* Emit, report, and stay alive if asked. */
	err = produce(skel, &c);
	if (err) {
		fprintf(stderr, "seq_producer: cannot run the producer: %s\n", strerror(-err));
		goto cleanup;
	}
	printf("produced %llu dropped %llu discarded %llu\n", (unsigned long long)c.count,
	       (unsigned long long)skel->bss->dropped, (unsigned long long)skel->bss->discarded);
	fflush(stdout);
	while (c.keep && !exiting)
		pause();
cleanup:
	seq__destroy(skel);
	return err ? 1 : 0;
}
