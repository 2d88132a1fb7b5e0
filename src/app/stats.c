#include "app/stats.h"

#include <stdio.h>

#include "ring/ring.h"

void rl_stats_report(struct rl_stats *s, const struct rl_consumer *c,
		     const char *const *names, const uint64_t *dropped, uint64_t now_us)
{
	double seconds = (double)(now_us - s->at_us) / 1e6;
	int64_t size, pending;

	for (int i = 0; s->at_us && (size = rl_consumer_size(c, i)) > 0; i++) {
		int slot = i < RL_STATS_RINGS ? i : RL_STATS_RINGS - 1;

		pending = rl_consumer_pending(c, i);
		fprintf(stderr, "ringlua: stats: %s: %.0f events/s, ring %.1f%% full",
			names && names[i] ? names[i] : "events",
			(double)(s->handled[slot] - s->reported[slot]) / seconds,
			100.0 * (double)(pending > 0 ? pending : 0) / (double)size);
		fputc('\n', stderr);
		s->reported[slot] = s->handled[slot];
	}
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
