#include "app/stats.h"

#include <stdio.h>

#include "ring/ring.h"
#include "ring/ring_desc.h"

/* One line: ring i's rate since the last report, and its fill (size 0: a perf buffer,
 * whose fill is not known). */
static void report_ring(struct rl_stats *s, const char *const *names, int i, double seconds,
			int64_t pending, int64_t size)
{
	int slot = i < RL_STATS_RINGS ? i : RL_STATS_RINGS - 1;

	fprintf(stderr, "ringlua: stats: %s: %.0f events/s", names && names[i] ? names[i] :
		RL_DEFAULT_RING, (double)(s->handled[slot] - s->reported[slot]) / seconds);
	if (size > 0)
		fprintf(stderr, ", ring %.1f%% full",
			100.0 * (double)(pending > 0 ? pending : 0) / (double)size);
	else
		fprintf(stderr, ", perf buffer");
	fputc('\n', stderr);
	s->reported[slot] = s->handled[slot];
}

void rl_stats_report(struct rl_stats *s, const struct rl_consumer *c,
		     const char *const *names, size_t nr_perf, const uint64_t *dropped,
		     uint64_t now_us)
{
	double seconds = (double)(now_us - s->at_us) / 1e6;
	int64_t size;
	int i;

	for (i = 0; s->at_us && (size = rl_consumer_size(c, i)) > 0; i++)
		report_ring(s, names, i, seconds, rl_consumer_pending(c, i), size);
	for (size_t j = 0; s->at_us && j < nr_perf; j++, i++)
		report_ring(s, names, i, seconds, 0, 0);
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
