/* --stats: every interval, one line per ring on stderr: events handled per second, how
 * full the ring is, and drops per second (the object's `dropped` count, and the samples
 * its perf buffers lost); then how often the consumer woke per second. */
#ifndef RINGLUA_STATS_H
#define RINGLUA_STATS_H

#include <stddef.h>
#include <stdint.h>

#include "output/output.h"

struct rl_consumer;

/* Rings counted separately; more share the last slot. */
#define RL_STATS_RINGS 32

struct rl_stats {
	uint64_t handled[RL_STATS_RINGS];	/* since the start */
	uint64_t reported[RL_STATS_RINGS];	/* at the last report */
	uint64_t dropped;			/* at the last report */
	uint64_t wakeups;			/* the consumer's, at the last report */
	uint64_t at_us;				/* time of the last report; 0: none yet */
};

/* Counts n records handled from ring. */
static inline void rl_stats_count(struct rl_stats *s, uint32_t ring, uint64_t n)
{
	s->handled[ring < RL_STATS_RINGS ? ring : RL_STATS_RINGS - 1] += n;
}

/* Prints the lines for the time since the last report (names[i]: ring i's map name, or
 * NULL for RL_DEFAULT_RING); after the consumer's rings come nr_perf perf buffers (their
 * fill is not known); dropped: the drop count so far, NULL when the object keeps none.
 * The first call only starts the count. */
void rl_stats_report(struct rl_stats *s, const struct rl_consumer *c,
		     const char *const *names, size_t nr_perf, const uint64_t *dropped,
		     uint64_t now_us);

/* The kernel aggregations' line: lost updates so far (their map of entries was full). */
void rl_stats_kagg_lost(uint64_t lost, uint32_t entries);

/* --stats as an output (ctx: its struct rl_stats): the count starts with the run, each
 * batch is counted by ring, and a report comes at every tick and after the exit drain. */
extern const struct rl_output_ops rl_stats_ops;

#endif
