#include "output/stats.h"

#include <stdio.h>

#include "ring/ring.h"
#include "ring/ring_desc.h"

/* One line: ring i's rate since the last report, and its fill (size 0: a perf buffer,
 * whose fill is not known); of the fullest ring when it is one ring per CPU (rings > 1). */
static void report_ring(struct rl_stats *s, const char *const *names, int i, double seconds,
			int64_t pending, int64_t size, int rings)
{
	int slot = i < RL_STATS_RINGS ? i : RL_STATS_RINGS - 1;

	fprintf(stderr, "ringlua: stats: %s: %.0f events/s", names && names[i] ? names[i] :
		RL_DEFAULT_RING, (double)(s->handled[slot] - s->reported[slot]) / seconds);
	if (size > 0)
		fprintf(stderr, ", %s %.1f%% full", rings > 1 ? "fullest ring" : "ring",
			100.0 * (double)(pending > 0 ? pending : 0) / (double)size);
	else
		fprintf(stderr, ", perf buffer");
	if (rings > 1)
		fprintf(stderr, " (%d per-CPU rings)", rings);
	fputc('\n', stderr);
	s->reported[slot] = s->handled[slot];
}

/* Reports the consumer's rings from ring *i on that carry one tag (one ring per CPU, or
 * one ring) as one line, and moves *i past them. Returns the tag. */
static int report_group(struct rl_stats *s, const struct rl_consumer *c,
			const char *const *names, double seconds, int *i)
{
	int tag = (int)rl_consumer_tag(c, *i), rings = 0;
	int64_t pending = 0, size = 1, ring_size;

	for (; (ring_size = rl_consumer_size(c, *i)) > 0 && rl_consumer_tag(c, *i) == tag;
	     (*i)++, rings++) {
		int64_t p = rl_consumer_pending(c, *i);

		if (!rings || p * size > pending * ring_size) {
			pending = p;
			size = ring_size;
		}
	}
	report_ring(s, names, tag, seconds, pending, size, rings);
	return tag;
}

void rl_stats_kagg_lost(uint64_t lost, uint32_t entries)
{
	fprintf(stderr, "ringlua: stats: kernel aggregations: %llu updates lost in all: the map "
			"holds %u keys\n", (unsigned long long)lost, entries);
}

void rl_stats_report(struct rl_stats *s, const struct rl_consumer *c,
		     const char *const *names, size_t nr_perf, const uint64_t *dropped,
		     uint64_t now_us)
{
	double seconds = (double)(now_us - s->at_us) / 1e6;
	int i = 0, next = 0;

	while (s->at_us && rl_consumer_size(c, i) > 0)
		next = report_group(s, c, names, seconds, &i) + 1;
	for (size_t j = 0; s->at_us && j < nr_perf; j++, next++)
		report_ring(s, names, next, seconds, 0, 0, 1);
	if (dropped && s->at_us)
		fprintf(stderr, "ringlua: stats: %.0f dropped/s, %llu in all\n",
			(double)(*dropped - s->dropped) / seconds, (unsigned long long)*dropped);
	if (dropped)
		s->dropped = *dropped;
	if (s->at_us)
		fprintf(stderr, "ringlua: stats: %.0f wakeups/s\n",
			(double)(rl_consumer_wakeups(c) - s->wakeups) / seconds);
	s->wakeups = rl_consumer_wakeups(c);
	s->at_us = now_us;
}

/* The report for the time since the last one, with the kernel aggregations' lost
 * updates when there are any. */
static int report(void *ctx, const struct rl_run_view *v)
{
	uint64_t lost;
	uint32_t entries;

	rl_stats_report(ctx, v->consumer, v->ring_names, v->nr_perf, v->dropped, v->now_us);
	if (v->read_kagg_lost && v->read_kagg_lost(v->kagg_ctx, &lost, &entries) == 0 && lost)
		rl_stats_kagg_lost(lost, entries);
	return 0;
}

static int start_count(void *ctx, const struct rl_run_view *v)
{
	rl_stats_report(ctx, v->consumer, v->ring_names, v->nr_perf, NULL, v->now_us);
	return 0;
}

static int count_batch(void *ctx, const struct rl_rec *recs, size_t n)
{
	rl_stats_count(ctx, recs[0].ring, n);
	return 0;
}

/* After the drain, unless a limit or the script ended the run. */
static int last_report(void *ctx, const struct rl_run_view *v)
{
	return v->finished ? 0 : report(ctx, v);
}

const struct rl_output_ops rl_stats_ops = {
	.start = start_count,
	.batch = count_batch,
	.tick = report,
	.stop = last_report,
};
