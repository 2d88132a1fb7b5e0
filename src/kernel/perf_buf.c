/* Perf buffers: libbpf's perf_buffer, its samples gathered into batches. */
#include "kernel/perf_buf.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/perf_event.h>
#include <bpf/libbpf.h>

/* A sample takes its 8-byte perf header and 4-byte size in the buffer besides its data,
 * and the kernel pads it to 8 bytes: no sample is smaller, so a pass over one CPU's
 * buffer holds at most its size over this many samples. */
#define MIN_SAMPLE_BYTES 16
/* Records are copied to this alignment, the one a ring's records have. */
#define REC_ALIGN 8

/* One perf event array map: a perf_buffer with a buffer per CPU. */
struct perf_map {
	struct rl_perf *owner;
	struct perf_buffer *pb;
	uint32_t ring;
	size_t nr_bufs;
	bool counts_lost;	/* its events count their lost samples (PERF_FORMAT_LOST) */
};

/* A sample as PERF_SAMPLE_RAW writes it, and the record of samples lost before it. */
struct raw_sample {
	struct perf_event_header header;
	uint32_t size;
	uint8_t data[];
};
struct lost_record {
	struct perf_event_header header;
	uint64_t id, lost;
};

struct rl_perf {
	struct rl_perf_opts opts;
	struct perf_map **maps;	/* each apart: libbpf's callbacks hold its address */
	size_t nr_maps;
	/* The samples of the current pass, copied out of the buffer. */
	uint8_t *arena;
	size_t arena_size, arena_used;
	struct rl_rec *recs;
	size_t recs_cap, nr_recs;
	size_t next;		/* the first of recs not taken yet */
	size_t cursor;		/* the next buffer of the pass, counted over all maps; 0: none
				 * begun */
	uint64_t lost;		/* lost records read (of maps without counts_lost), and
				 * samples the arena had no room for */
};

int rl_perf_open(struct rl_perf **out, const struct rl_perf_opts *opts)
{
	struct rl_perf *p;
	long page = sysconf(_SC_PAGESIZE);

	if (!opts->pages || (opts->pages & (opts->pages - 1)) || !opts->batch_cap || page <= 0)
		return -EINVAL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->opts = *opts;
	p->arena_size = opts->pages * (size_t)page;
	p->recs_cap = p->arena_size / MIN_SAMPLE_BYTES;
	p->arena = malloc(p->arena_size);
	p->recs = calloc(p->recs_cap, sizeof(*p->recs));
	if (!p->arena || !p->recs) {
		rl_perf_close(p);
		return -ENOMEM;
	}
	*out = p;
	return 0;
}

/* A sample into the arena: its data is valid only until the callback returns. */
static void keep_sample(struct perf_map *m, const void *data, uint32_t size)
{
	struct rl_perf *p = m->owner;
	size_t room = (size + REC_ALIGN - 1) & ~(size_t)(REC_ALIGN - 1);

	/* Never full within one pass (see MIN_SAMPLE_BYTES); were it so, the sample is
	 * counted as the kernel counts those it had no room for. */
	if (p->nr_recs == p->recs_cap || p->arena_size - p->arena_used < room) {
		p->lost++;
		return;
	}
	memcpy(p->arena + p->arena_used, data, size);
	p->recs[p->nr_recs++] = (struct rl_rec){ .data = p->arena + p->arena_used, .len = size,
						 .ring = m->ring };
	p->arena_used += room;
}

/* libbpf's callback for each record of a buffer, whole even where it wrapped. */
static enum bpf_perf_event_ret on_record(void *ctx, int cpu, struct perf_event_header *hdr)
{
	struct perf_map *m = ctx;
	const struct raw_sample *sample = (const void *)hdr;
	const struct lost_record *lost = (const void *)hdr;

	(void)cpu;
	if (hdr->type == PERF_RECORD_SAMPLE && hdr->size >= sizeof(*sample) &&
	    sample->size <= hdr->size - sizeof(*sample))
		keep_sample(m, sample->data, sample->size);
	else if (hdr->type == PERF_RECORD_LOST && hdr->size >= sizeof(*lost) &&
		 !m->counts_lost)
		m->owner->lost += lost->lost;
	return LIBBPF_PERF_EVENT_CONT;
}

/* The attributes libbpf's perf_buffer__new gives each CPU's event, and, where the kernel
 * has it (6.0), the count of lost samples: the kernel writes a lost record only before
 * the next sample it has room for, so a burst that ends in losses would otherwise go
 * uncounted. */
static struct perf_buffer *new_buffer(struct perf_map *m, int map_fd, size_t pages)
{
	struct perf_event_attr attr = {
		.type = PERF_TYPE_SOFTWARE, .config = PERF_COUNT_SW_BPF_OUTPUT,
		.sample_type = PERF_SAMPLE_RAW, .sample_period = 1, .wakeup_events = 1,
		.size = sizeof(attr), .read_format = PERF_FORMAT_LOST,
	};
	struct perf_buffer *pb = perf_buffer__new_raw(map_fd, pages, &attr, on_record, m, NULL);

	m->counts_lost = pb != NULL;
	if (!pb && errno == EINVAL) {
		attr.read_format = 0;
		pb = perf_buffer__new_raw(map_fd, pages, &attr, on_record, m, NULL);
	}
	return pb;
}

int rl_perf_add_map(struct rl_perf *p, int map_fd, uint32_t ring)
{
	struct perf_map **maps = realloc(p->maps, (p->nr_maps + 1) * sizeof(*maps));
	struct perf_map *m;
	int err;

	if (!maps)
		return -ENOMEM;
	p->maps = maps;
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	*m = (struct perf_map){ .owner = p, .ring = ring };
	m->pb = new_buffer(m, map_fd, p->opts.pages);
	if (!m->pb) {
		err = -errno;
		free(m);
		return err;
	}
	m->nr_bufs = perf_buffer__buffer_cnt(m->pb);
	maps[p->nr_maps++] = m;
	return perf_buffer__epoll_fd(m->pb);
}

/* Offers the records not taken yet, batch_cap at a time. Returns how many were taken or
 * -errno; *stopped: a callback took fewer than offered. */
static int hand_out(struct rl_perf *p, bool *stopped)
{
	int taken = 0;

	*stopped = false;
	while (p->next < p->nr_recs) {
		size_t n = p->nr_recs - p->next;
		int r;

		if (n > p->opts.batch_cap)
			n = p->opts.batch_cap;
		r = p->opts.fn(p->opts.ctx, p->recs + p->next, n);
		if (r < 0)
			return r;
		p->next += (size_t)r;
		taken += r;
		if ((size_t)r < n) {
			*stopped = true;
			return taken;
		}
	}
	p->nr_recs = p->next = p->arena_used = 0;
	return taken;
}

/* Buffer i of the pass, counted over all maps, into the arena. Returns 0 or -errno. */
static int gather(struct rl_perf *p, size_t i)
{
	for (size_t m = 0; m < p->nr_maps; m++) {
		if (i < p->maps[m]->nr_bufs)
			return perf_buffer__consume_buffer(p->maps[m]->pb, i);
		i -= p->maps[m]->nr_bufs;
	}
	return -ENOENT;
}

static size_t buffer_count(const struct rl_perf *p)
{
	size_t n = 0;

	for (size_t m = 0; m < p->nr_maps; m++)
		n += p->maps[m]->nr_bufs;
	return n;
}

int rl_perf_poll(struct rl_perf *p)
{
	size_t nr_bufs = buffer_count(p);
	bool stopped;
	int total = hand_out(p, &stopped), n;

	if (total < 0 || stopped)
		return total;
	while (p->cursor < nr_bufs) {
		int err = gather(p, p->cursor++);

		if (err)
			return err;
		n = hand_out(p, &stopped);
		if (n < 0)
			return n;
		total += n;
		if (stopped)
			return total;
	}
	p->cursor = 0;
	return total;
}

bool rl_perf_busy(const struct rl_perf *p)
{
	return p->next < p->nr_recs || p->cursor != 0;
}

/* What one map's events counted lost, read from each CPU's event. */
static uint64_t counted_lost(const struct perf_map *m)
{
	uint64_t total = 0;

	for (size_t i = 0; i < m->nr_bufs; i++) {
		uint64_t values[2]; /* the count, then the lost samples */
		int fd = perf_buffer__buffer_fd(m->pb, i);

		if (fd >= 0 && read(fd, values, sizeof(values)) == sizeof(values))
			total += values[1];
	}
	return total;
}

uint64_t rl_perf_lost(const struct rl_perf *p)
{
	uint64_t lost = p->lost;

	for (size_t m = 0; m < p->nr_maps; m++)
		if (p->maps[m]->counts_lost)
			lost += counted_lost(p->maps[m]);
	return lost;
}

size_t rl_perf_nr_maps(const struct rl_perf *p)
{
	return p ? p->nr_maps : 0;
}

void rl_perf_close(struct rl_perf *p)
{
	if (!p)
		return;
	for (size_t m = 0; m < p->nr_maps; m++) {
		perf_buffer__free(p->maps[m]->pb);
		free(p->maps[m]);
	}
	free(p->maps);
	free(p->arena);
	free(p->recs);
	free(p);
}
