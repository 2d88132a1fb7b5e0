#include "output/metrics_out.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "lua/lua_host.h"
#include "ring/ring.h"
#include "ring/ring_desc.h"

/* A snapshot is made this often: a scrape sees values at most this old, and the
 * script's aggregations are walked at most twice a second however often scrapers
 * come. */
#define RENDER_US 500000

/* CPU time of this thread, the loop's: ring reads and the script. */
static double thread_cpu_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts); /* not the wall clock of util/clock */
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The rings' fill: names from the ring table, or RL_DEFAULT_RING; a source's per-CPU
 * rings summed into one. Returns how many series there are (0 and *out NULL when out
 * of memory). */
static size_t ring_fill(const struct rl_run_view *v, struct rl_metrics_ring **out)
{
	const struct rl_consumer *c = v->consumer;
	size_t n = 0, series = 0;

	while (rl_consumer_pending(c, (int)n) >= 0)
		n++;
	*out = calloc(n ? n : 1, sizeof(**out));
	if (!*out)
		return 0;
	/* One ring per CPU is one series, summed: the rings of one tag follow each other. */
	for (size_t i = 0; i < n; i++) {
		int64_t tag = rl_consumer_tag(c, (int)i);

		if (i == 0 || tag != rl_consumer_tag(c, (int)i - 1))
			(*out)[series++].name = v->ring_names ? v->ring_names[tag] : RL_DEFAULT_RING;
		(*out)[series - 1].pending += rl_consumer_pending(c, (int)i);
		(*out)[series - 1].size += rl_consumer_size(c, (int)i);
	}
	return series;
}

/* A new snapshot. A failed rendering keeps the aggregations of the last good one out,
 * not the rest. */
static void render(struct rl_metrics_out *m, const struct rl_run_view *v)
{
	struct rl_metrics_own own = {
		.events = v->handled, .dropped = v->dropped ? *v->dropped : 0,
		.reloads = rl_lua_reloads(v->lua), .cpu_seconds = thread_cpu_seconds(),
	};
	struct rl_metrics_ring *rings = NULL;
	char *text = NULL;
	size_t len = 0;

	if (rl_lua_render_metrics(v->lua, m->max_series, &text, &len, &own.series_dropped))
		m->render_errors++;
	own.render_errors = m->render_errors;
	own.output = rl_outputs_counts(v->all, m, &own.output_published, &own.output_dropped);
	own.errors = rl_lua_errors(v->lua); /* a failed rendering is one of them */
	own.nr_rings = ring_fill(v, &rings);
	own.rings = rings;
	if (rl_metrics_publish(m->metrics, &own, text, len))
		fprintf(stderr, "ringlua: --metrics: out of memory for a snapshot\n");
	free(rings);
	free(text);
}

static int render_when_due(void *ctx, const struct rl_run_view *v)
{
	struct rl_metrics_out *m = ctx;

	if (v->now_us >= m->next_render) {
		render(m, v);
		m->next_render = v->now_us + RENDER_US;
	}
	return 0;
}

static uint64_t next_render(void *ctx)
{
	return ((const struct rl_metrics_out *)ctx)->next_render;
}

const struct rl_output_ops rl_metrics_out_ops = {
	.poll = render_when_due,
	.wake_at = next_render,
};
