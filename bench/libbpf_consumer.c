/* libbpf_consumer: the baseline of the benchmark. Reads a pinned ring with libbpf's
 * ring_buffer and a C handler doing what bench/handler.lua does: decode, filter on a
 * field, sum another, and check the sequence has no gaps.
 *
 *   libbpf_consumer --pin PATH --count N      prints `events N sum S gaps G` */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/types.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "seq.h"

#define POLL_TIMEOUT_MS 100

struct tally {
	__u64 events;
	__u64 limit;
	__u64 sum;
	__u64 gaps;
	__u64 next_seq;
};

static volatile sig_atomic_t exiting;

static void on_signal(int sig)
{
	(void)sig;
	exiting = 1;
}

static int handle(void *ctx, void *data, size_t len)
{
	struct tally *t = ctx;
	const struct seq_event *e = data;

	(void)len;
	if (t->events && e->seq != t->next_seq)
		t->gaps++;
	t->next_seq = e->seq + 1;
	if (e->kind != 3)
		t->sum += e->value;
	/* A negative return stops ring_buffer__poll once the limit is reached. */
	return ++t->events >= t->limit ? -ECANCELED : 0;
}

/* Parses a whole decimal count of at least 1. Returns 0 or -EINVAL. */
static int parse_count(const char *s, __u64 *out)
{
	unsigned long long v;
	char *end;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v == 0)
		return -EINVAL;
	*out = v;
	return 0;
}

int main(int argc, char **argv)
{
	struct tally t = { 0 };
	struct ring_buffer *rb = NULL;
	int fd = -1, err = 0;

	/* Options: --pin PATH --count N. */
	if (argc != 5 || strcmp(argv[1], "--pin") || strcmp(argv[3], "--count") ||
	    parse_count(argv[4], &t.limit)) {
		fprintf(stderr, "usage: libbpf_consumer --pin PATH --count N (N >= 1)\n");
		return 2;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);

	/* Open the pinned ring. */
	fd = bpf_obj_get(argv[2]);
	rb = fd >= 0 ? ring_buffer__new(fd, handle, &t, NULL) : NULL;
	if (!rb) {
		fprintf(stderr, "libbpf_consumer: cannot open %s: %s\n", argv[2], strerror(errno));
		err = 1;
		goto cleanup;
	}

	/* Consume until the count or a signal. */
	while (!exiting && t.events < t.limit) {
		int n = ring_buffer__poll(rb, POLL_TIMEOUT_MS);

		if (n < 0 && n != -EINTR && n != -ECANCELED) {
			fprintf(stderr, "libbpf_consumer: poll: %s\n", strerror(-n));
			err = 1;
			break;
		}
	}
	printf("events %llu sum %llu gaps %llu\n", (unsigned long long)t.events,
	       (unsigned long long)t.sum, (unsigned long long)t.gaps);
cleanup:
	ring_buffer__free(rb);
	if (fd >= 0)
		close(fd);
	return err;
}
