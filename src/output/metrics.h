/* --metrics HOST:PORT or unix:PATH: a Prometheus exporter. An HTTP server
 * (libmicrohttpd, on its own thread) answers GET /metrics with the latest snapshot; the
 * event loop makes a new one between batches. A scrape only copies the snapshot under a
 * lock, so a client never makes the loop wait, and the loop never waits on a client.
 * Nor can clients hold the server: connections are limited per client address and in
 * all, and a reaper thread ends each one that misses its deadline (its request, then its
 * answer), which a client sending a byte now and then cannot put off. */
#ifndef RINGLUA_METRICS_H
#define RINGLUA_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "output/metrics_listen.h"

struct rl_metrics;

/* ringlua's own series, as the loop knows them when it makes a snapshot. */
struct rl_metrics_ring {
	const char *name;
	int64_t pending;	/* bytes of records in the ring; < 0: unknown */
	int64_t size;		/* the ring's data size in bytes */
};

struct rl_metrics_own {
	uint64_t events;	/* handed to the script */
	uint64_t dropped;	/* records the BPF side could not put in a ring */
	uint64_t errors;	/* handler errors */
	uint64_t reloads;
	uint64_t series_dropped; /* label sets --max-series left out of this snapshot */
	uint64_t render_errors;	/* snapshots the script's aggregations failed to make */
	bool output;		/* --output is on: its counts follow */
	uint64_t output_published, output_dropped;
	double cpu_seconds;	/* the event loop thread's CPU time: ring reads and script */
	const struct rl_metrics_ring *rings;
	size_t nr_rings;
};

/* Listens on addr (HOST:PORT, HOST a name or address, [v6] in brackets; or unix:PATH,
 * see metrics_listen.h) and serves /metrics from its own thread (which takes no
 * signals: they stay the loop's). allow (NULL: anyone) is --metrics-allow's list of
 * networks a TCP client must be in. Each client address holds a few connections at
 * most, all together a few dozen, and each must send its request, and read its answer,
 * within a deadline. Until the first rl_metrics_publish a scrape gets 503. Returns 0,
 * or -errno with one line printed (a bad address, a port in use). */
int rl_metrics_open(struct rl_metrics **out, const char *addr, const char *allow);

/* Makes the next snapshot: ringlua's own series, then agg_text (the script's
 * aggregations, ringlua.metrics's exposition; NULL: none). Scrapes from now on get it.
 * Returns 0 or -ENOMEM (the previous snapshot stays). */
int rl_metrics_publish(struct rl_metrics *m, const struct rl_metrics_own *own,
		       const char *agg_text, size_t agg_len);

/* Scrapes answered so far. */
uint64_t rl_metrics_scrapes(const struct rl_metrics *m);

/* Stops the server (waiting for a scrape being answered), removes its Unix socket and
 * frees it. Accepts NULL. */
void rl_metrics_close(struct rl_metrics *m);

#endif
