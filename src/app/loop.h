/* The event loop: poll the rings, feed batches to Lua, tick, stop when told. */
#ifndef RINGLUA_LOOP_H
#define RINGLUA_LOOP_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ring/ring.h"
#include "app/signals.h"
#include "output/output.h"

/* Records per batch: one entry into Lua hands over up to this many. */
#define RL_BATCH_CAP 1024

struct rl_lua;
struct rl_watch;
struct rl_perf;

struct rl_loop {
	struct rl_consumer *consumer;
	/* The perf buffers, after the consumer's rings in the ring table, woken through the
	 * consumer's epoll set and read after every poll; NULL: none. */
	struct rl_perf *perf;
	uint32_t latency_us;	/* --latency: the perf buffers' coalescing bound too */
	uint64_t perf_window_end; /* the perf buffers are not looked at before then (us) */
	bool tick_cut;		/* a batch of this poll was cut short for a tick */
	bool perf_first;	/* this poll looks at the perf buffers before the rings */
	struct rl_lua *lua;
	uint64_t limit;		/* stop after this many events; 0: never */
	uint32_t interval_ms;	/* on_tick period */
	uint64_t duration_us;	/* --duration: stop this long after the start; 0: never */
	uint64_t stop_at;	/* then (us), set by rl_loop_run; 0: never */
	bool time_up;		/* stop_at came: a stop, as a stop signal is one */
	struct rl_signals *signals; /* stop and reload requests */
	int watch_pid;		/* stop once this process is gone; 0: none */
	struct rl_watch *watch;	/* reports saves of the script's files; NULL: none */
	/* -errno of a failure found after a batch was handled (the recording could not be
	 * written): the batch still counts as taken, so that its position is published and
	 * a pinned ring does not hand it out again; the loop ends with it. 0: none. */
	int failed;
	bool draining;		/* in the exit drain */
	uint64_t drain_until;	/* in it, no records handed out from then on; 0: no time
				 * bound (the watched process ended, no stop signal) */
	/* Lost events: the BPF side's count of records it could not reserve (and the
	 * samples its perf buffers lost), read every interval; new ones go to on_lost(n).
	 * NULL read_dropped: the object keeps none. */
	int (*read_dropped)(void *ctx, uint64_t *dropped);
	/* Kernel aggregations' lost updates, for --stats (with dropped_ctx); NULL: none. */
	int (*read_kagg_lost)(void *ctx, uint64_t *lost, uint32_t *entries);
	void *dropped_ctx;
	uint64_t dropped;	/* as last read */
	bool dropped_known;	/* the last read succeeded */
	const char *const *ring_names; /* for the outputs, by consumer ring; NULL: RL_DEFAULT_RING */
	/* Where the run's results go besides the script: walked at each hook. */
	const struct rl_outputs *outputs;
	uint64_t handled;	/* events handed to Lua so far */
	/* Kept by rl_loop_run. */
	uint64_t next_tick;	/* when on_tick is due (us); 0: not in rl_loop_run, no ticks */
	/* What the last batch cost per event, of the rings [0] and of the perf buffers [1]
	 * (their handlers may differ by far): how many fit before the tick. */
	uint64_t ns_per_event[2];
	bool reading_perf;	/* the batches now handled are the perf buffers' */
	int pid_fd;		/* the watched process, in the consumer's epoll set; -1: none */
};

/* The consumer's batch callback (ctx is the struct rl_loop): hands the batch to Lua,
 * taking no more than the event limit allows, and in rl_loop_run no more than fits
 * before the next tick (none once it is due: the poll ends, the tick runs, the rest
 * follows). */
int rl_loop_batch(void *ctx, const struct rl_rec *recs, size_t n);

/* Whether a limit or the script ended the run: the event or error limit, a watchdog
 * verdict, os.exit. Checked before every batch, and between polls. */
bool rl_loop_finished(const struct rl_loop *l);

/* The run as the outputs see it now. */
struct rl_run_view rl_loop_view(const struct rl_loop *l);

/* Polls until a stop request (whose signals->stop_fd ends any wait at once) or
 * --duration's end (which stops the same way), the event
 * limit, the error limit, or the end of the watched process (seen when it happens,
 * through a pidfd; where pidfds are missing, checked every interval), ticking on
 * schedule under any load, reloading the script when its files are saved or
 * signals->reload is set; then drains what the rings hold, for at most two rounds
 * (unless a limit stopped it): within 50 ms of a stop signal, whole when the watched
 * process ended. With a recorder, its start, every tick and its stop go into the
 * recording as clock marks among the records: the outputs are walked at the start,
 * after every batch, poll and tick, and at the end. Returns 0 or -errno (l->failed,
 * after an output failed). */
int rl_loop_run(struct rl_loop *l);

#endif
