/* libbpf_consumer: the baseline of the benchmarks. Reads a pinned ring with libbpf's
 * ring_buffer and a C handler doing what bench/handler.lua does: decode, filter on a
 * field, sum another, and check the sequence has no gaps. Or (bench/observer.sh) loads
 * ringlua's own `syscalls` source, filtered to tasks named COMM ("": any) in the cgroup
 * of id CGROUP (0: any), with the BPF program's
 * defaults (the kernel's wakeup rule, as any libbpf tool has it), and counts its events
 * by system call as bench/observer_count.lua does, until SIGINT.
 *
 *   libbpf_consumer --pin PATH --count N      prints `events N sum S gaps G`
 *   libbpf_consumer --syscalls COMM CGROUP    prints `events N reads R dropped D` */
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
#include "kernel/bpf/syscalls.h"
#include "kernel/sources.h"
#include "source_syscalls.skel.h"

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

struct syscall_tally {
	__u64 events;
	__u64 reads;
};

static int handle_syscall(void *ctx, void *data, size_t len)
{
	struct syscall_tally *t = ctx;
	const struct syscall_event *e = data;

	(void)len;
	t->events++;
	if (e->nr == 0)
		t->reads++;
	return 0;
}

/* --syscalls COMM CGROUP: the source loaded and attached, its ring read until a signal.
 * Returns the exit status. */
static int consume_syscalls(const char *comm, const char *cgroup)
{
	struct syscall_tally t = { 0 };
	struct source_syscalls *skel = source_syscalls__open();
	struct ring_buffer *rb = NULL;
	int err = 1;

	/* Open the source and set its filters: tasks named comm in cgroup, never this one. */
	if (!skel || strlen(comm) >= sizeof(skel->rodata->targ_comm)) {
		fprintf(stderr, "libbpf_consumer: cannot open the syscalls source\n");
		goto cleanup;
	}
	strcpy(skel->rodata->targ_comm, comm);
	skel->rodata->targ_cgroup = strtoull(cgroup, NULL, 10);
	skel->rodata->self_tgid = (__u32)getpid();
	bpf_map__set_max_entries(skel->maps.events, RL_SOURCE_RING_SIZE);
	/* Load, attach, and open its ring. */
	if (source_syscalls__load(skel) || source_syscalls__attach(skel)) {
		fprintf(stderr, "libbpf_consumer: cannot load the syscalls source\n");
		goto cleanup;
	}
	rb = ring_buffer__new(bpf_map__fd(skel->maps.events), handle_syscall, &t, NULL);
	if (!rb)
		goto cleanup;
	fprintf(stderr, "READY\n");
	/* Consume until a signal, then what is left. */
	while (!exiting) {
		int n = ring_buffer__poll(rb, POLL_TIMEOUT_MS);

		if (n < 0 && n != -EINTR)
			goto cleanup;
	}
	ring_buffer__consume(rb);
	printf("events %llu reads %llu dropped %llu\n", (unsigned long long)t.events,
	       (unsigned long long)t.reads, (unsigned long long)skel->bss->dropped);
	err = 0;
cleanup:
	ring_buffer__free(rb);
	source_syscalls__destroy(skel);
	return err;
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

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	if (argc == 4 && strcmp(argv[1], "--syscalls") == 0)
		return consume_syscalls(argv[2], argv[3]);
	/* Options: --pin PATH --count N. */
	if (argc != 5 || strcmp(argv[1], "--pin") || strcmp(argv[3], "--count") ||
	    parse_count(argv[4], &t.limit)) {
		fprintf(stderr, "usage: libbpf_consumer --pin PATH --count N (N >= 1)\n"
				"       libbpf_consumer --syscalls COMM CGROUP_ID\n");
		return 2;
	}

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
