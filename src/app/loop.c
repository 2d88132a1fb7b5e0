#include "app/loop.h"
#include "ring/ring_desc.h"

#include <errno.h>
#include <stdbool.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>

#include "kernel/perf_buf.h"
#include "lua/lua_host.h"
#include "util/watch.h"
#include "util/clock.h"

/* Rounds of draining at exit. Each round hands out what the rings held when it began:
 * the first what was there at the stop, the second what was still being written then.
 * Every further round would take a whole ring again from a producer faster than the
 * handler, and with a slow handler each can take seconds: the exit must not wait on it. */
#define EXIT_DRAIN_ROUNDS 2
/* After a stop signal it is bounded in time, so that a stop is prompt even then; what
 * is left in the rings is reported (a pinned ring keeps it for the next consumer). When
 * the watched process ended, what it wrote is handed out whole, however slow a loaded
 * machine is, unless a stop signal comes. */
#define EXIT_DRAIN_US 50000
/* One save can come as several notifications (an editor writes a backup, then the
 * file; a script truncates, then writes): the reload waits until they have been quiet
 * this long, and happens once. */
#define SAVE_QUIET_US 5000

/* Whether a stop was asked for: by a stop signal, or by --duration's end (noted by
 * note_time). Both stop the same way: a drain bounded in time, on_exit, the summary,
 * exit status 0. */
static bool stop_asked(const struct rl_loop *l)
{
	return l->signals->exiting || l->time_up;
}

/* Notes --duration's end once it has come. */
static void note_time(struct rl_loop *l, uint64_t now)
{
	if (l->stop_at && now >= l->stop_at)
		l->time_up = true;
}

bool rl_loop_finished(const struct rl_loop *l)
{
	int code;

	return (l->limit && l->handled >= l->limit) || l->failed || rl_lua_failed(l->lua) ||
	       rl_lua_interrupted(l->lua) || rl_lua_exit_requested(l->lua, &code) ||
	       rl_lua_stop_requested(l->lua);
}

/* A batch of a kind (rings, perf buffers) whose cost per event is not known yet takes at
 * most this many: a slow handler's first full batch would run far past the tick. */
#define PROBE_BATCH 16

/* How many of n events fit before the next tick at the last batch's cost per event:
 * none once it is due, at least one before. */
static size_t fit_before_tick(const struct rl_loop *l, uint64_t now, size_t n)
{
	uint64_t fit;

	if (!l->next_tick || l->draining)
		return n;
	if (now >= l->next_tick)
		return 0;
	if (!l->ns_per_event[l->reading_perf])
		return n < PROBE_BATCH ? n : PROBE_BATCH;
	fit = (l->next_tick - now) * 1000 / l->ns_per_event[l->reading_perf];
	return fit < 1 ? 1 : fit < n ? (size_t)fit : n;
}

struct rl_run_view rl_loop_view(const struct rl_loop *l)
{
	return (struct rl_run_view){
		.now_us = rl_now_us(), .handled = l->handled,
		.dropped = l->dropped_known ? &l->dropped : NULL,
		.finished = rl_loop_finished(l), .lua = l->lua, .consumer = l->consumer,
		.ring_names = l->ring_names, .nr_perf = rl_perf_nr_maps(l->perf),
		.read_kagg_lost = l->read_kagg_lost, .kagg_ctx = l->dropped_ctx,
		.all = l->outputs,
	};
}

/* Walks the outputs' hook (a rl_outputs_* walker) unless one failed before; a failure
 * ends the run. Returns what the hook returned. */
static int walk_outputs(struct rl_loop *l, int (*walker)(const struct rl_outputs *,
							  const struct rl_run_view *))
{
	struct rl_run_view v;
	int rc;

	if (l->failed)
		return 0;
	v = rl_loop_view(l);
	rc = walker(l->outputs, &v);
	if (rc < 0)
		l->failed = rc;
	return rc;
}

int rl_loop_batch(void *ctx, const struct rl_rec *recs, size_t n)
{
	struct rl_loop *l = ctx;
	uint64_t start = rl_now_us();
	size_t done;

	/* A poll walks all a ring holds, batch after batch: under overload that is seconds
	 * of handler time, so a stop ends it here, and the exit drain has its own bound; and
	 * so does a tick that is due, for ticks (and --stats) to keep their schedule. The
	 * script's own stops (os.exit, the error limit, a watchdog verdict) end it too,
	 * whichever batch or ring they came in. */
	note_time(l, start);
	if (l->draining && !l->drain_until && stop_asked(l))
		/* A stop signal in a whole drain bounds it from now on, as at a stop. */
		l->drain_until = start + EXIT_DRAIN_US;
	if (l->draining ? start >= l->drain_until && l->drain_until : stop_asked(l))
		return 0;
	if (rl_loop_finished(l))
		return 0;
	done = fit_before_tick(l, start, n);
	l->tick_cut |= done < n;
	n = done;
	if (l->limit && n > l->limit - l->handled)
		n = (size_t)(l->limit - l->handled);
	if (!n)
		return 0;
	done = rl_lua_dispatch(l->lua, recs, n);
	if (done) {
		uint64_t cost = (rl_now_us() - start) * 1000 / done;

		/* At least 1: known, however cheap (below the clock's microsecond). */
		l->ns_per_event[l->reading_perf] = cost ? cost : 1;
	}
	l->handled += done;
	if (done && !l->failed) {
		int err = rl_outputs_batch(l->outputs, recs, done);

		if (err < 0)
			l->failed = err;
	}
	return (int)done;
}

/* Gone, or exited and waiting to be reaped: kill(pid, 0) still succeeds on a zombie. */
static int process_gone(int pid)
{
	char path[64], stat[256];
	const char *state;
	FILE *f;
	size_t n;

	if (!pid)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return errno == ENOENT;
	n = fread(stat, 1, sizeof(stat) - 1, f);
	fclose(f);
	stat[n] = '\0';
	/* "pid (comm) S ...": comm may hold spaces and parentheses; the state follows the
	 * last ')'. */
	state = strrchr(stat, ')');
	return state && (state[2] == 'Z' || state[2] == 'X');
}

/* Notes saves reported by the watcher: the reload is due once they have been quiet. */
static void note_saves(struct rl_loop *l, uint64_t now, uint64_t *reload_at)
{
	int saved = l->watch ? rl_watch_saved(l->watch) : 0;

	if (saved > 0)
		*reload_at = now + SAVE_QUIET_US;
	else if (saved == -ENOENT)
		fprintf(stderr, "ringlua: a directory of the script was removed: saves there "
				"no longer reload it\n");
}

static void reload_script(struct rl_loop *l)
{
	uint64_t start = rl_now_us();
	size_t n;
	const char *const *files = rl_lua_files(l->lua, &n);
	const char *script = n ? files[0] : "the -e script";

	if (rl_lua_reload(l->lua) == 0)
		fprintf(stderr, "ringlua: reloaded %s (%.1f ms)\n", script,
			(double)(rl_now_us() - start) / 1000.0);
}

/* The poll timeout that wakes us for the earliest of the tick, a due reload, the time
 * an output asks for and --duration's end. */
static int poll_timeout_ms(const struct rl_loop *l, uint64_t now, uint64_t next_tick,
			   uint64_t reload_at)
{
	uint64_t wake = reload_at && reload_at < next_tick ? reload_at : next_tick;
	uint64_t output_at = rl_outputs_wake_at(l->outputs);

	if (output_at && output_at < wake)
		wake = output_at;
	if (l->stop_at && l->stop_at < wake)
		wake = l->stop_at;

	return now < wake ? (int)((wake - now + 999) / 1000) : 0;
}

/* Reads the drops: new ones go to on_lost. */
static void check_lost(struct rl_loop *l)
{
	uint64_t dropped;

	l->dropped_known = l->read_dropped && l->read_dropped(l->dropped_ctx, &dropped) == 0;
	if (l->dropped_known && dropped > l->dropped) {
		rl_lua_lost(l->lua, dropped - l->dropped);
		l->dropped = dropped;
	}
}

/* A pidfd of the watched process, added to the consumer's wake fds so that its exit
 * ends a poll at once. Returns the fd, or -1: no process watched, or no pidfd (a kernel
 * without them; the process is then checked at every tick). */
static int watch_process(const struct rl_loop *l)
{
	int fd;

	if (!l->watch_pid)
		return -1;
	fd = (int)syscall(SYS_pidfd_open, l->watch_pid, 0);
	if (fd >= 0 && rl_consumer_add_wake_fd(l->consumer, fd)) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/* Stop requests end the consumer's wait at once: their eventfd is among its wake fds.
 * Returns 0 or -errno (printed). */
static int watch_stop_requests(const struct rl_loop *l)
{
	int err = rl_consumer_add_wake_fd(l->consumer, l->signals->stop_fd);

	if (err)
		fprintf(stderr, "ringlua: cannot watch for stop requests: %s\n", strerror(-err));
	return err;
}

/* Whether the watched process has exited: its pidfd is readable from then on. */
static bool watched_process_gone(const struct rl_loop *l, bool at_tick)
{
	struct pollfd p = { .fd = l->pid_fd, .events = POLLIN };

	if (l->pid_fd < 0)
		return at_tick && process_gone(l->watch_pid);
	return poll(&p, 1, 0) == 1;
}

/* Between polls: reloads that are due, the tick, the watched process. Returns 1 when
 * the loop should end (the process is gone). */
static int between_polls(struct rl_loop *l, uint64_t now, uint64_t *next_tick,
			 uint64_t *reload_at)
{
	bool at_tick = false;

	note_saves(l, now, reload_at);
	if (l->signals->reload || (*reload_at && now >= *reload_at)) {
		l->signals->reload = 0;
		*reload_at = 0;
		reload_script(l);
	}
	if (now >= *next_tick) {
		uint64_t interval = (uint64_t)l->interval_ms * 1000;

		check_lost(l);
		rl_lua_tick(l->lua);
		walk_outputs(l, rl_outputs_tick);
		/* On the schedule; a tick missed altogether is not made up in a burst. */
		*next_tick += interval;
		if (*next_tick <= now)
			*next_tick = now + interval;
		at_tick = true;
	}
	if (!watched_process_gone(l, at_tick))
		return 0;
	fprintf(stderr, "ringlua: process %d exited\n", l->watch_pid);
	return 1;
}

/* Bytes of records still in the rings. */
static int64_t left_in_rings(const struct rl_consumer *c)
{
	int64_t left = 0, n;

	for (int i = 0; (n = rl_consumer_pending(c, i)) >= 0; i++)
		left += n;
	return left;
}

/* A perf buffer wakes us for every sample (perf_buf.c asks for wakeup_events 1),
 * and a wakeup costs far more than a sample. So, as the ring consumer coalesces, a look
 * that found a partial batch starts a window of the latency bound, and the next look
 * waits it out first: samples are handed out at most that long after they were sent,
 * in batches. A signal cuts the wait short. */
static void wait_perf_window(struct rl_loop *l)
{
	uint64_t now = rl_now_us();

	if (now < l->perf_window_end) {
		uint64_t left = l->perf_window_end - now;
		struct timespec ts = { .tv_sec = (time_t)(left / 1000000),
				       .tv_nsec = (long)(left % 1000000) * 1000 };

		nanosleep(&ts, NULL);
	}
	l->perf_window_end = 0;
}

/* One look at the perf buffers, after their window if the rings' poll before it may
 * have slept (may_wait). Returns the samples handled, or -errno. */
static int poll_perf(struct rl_loop *l, bool may_wait)
{
	uint64_t start;
	int m;

	if (may_wait)
		wait_perf_window(l);
	start = rl_now_us();
	l->reading_perf = true;
	m = rl_perf_poll(l->perf);
	l->reading_perf = false;
	if (m > 0 && m < RL_BATCH_CAP && !rl_perf_busy(l->perf) && l->latency_us)
		l->perf_window_end = start + l->latency_us;
	return m;
}

/* One poll of the rings, then a look at the perf buffers, which never sleeps but for
 * their window: their wakeups end the rings' wait, and records they still hold keep it
 * from starting. Under overload the first may take every record it can up to the tick,
 * which leaves the second none: after a poll a tick cut short, they take turns at going
 * first. Returns the records handled, or -errno. */
static int poll_feed(struct rl_loop *l, int timeout_ms)
{
	int n, m = 0;

	if (!l->perf)
		return rl_consumer_poll(l->consumer, timeout_ms);
	l->perf_first = l->tick_cut && !l->perf_first;
	l->tick_cut = false;
	if (l->perf_first)
		m = poll_perf(l, false);
	if (m < 0)
		return m;
	if (l->perf_first || rl_perf_busy(l->perf))
		timeout_ms = 0;
	n = rl_consumer_poll(l->consumer, timeout_ms);
	if (n < 0 || l->perf_first)
		return n < 0 ? n : n + m;
	m = poll_perf(l, timeout_ms != 0);
	return m < 0 ? m : n + m;
}

/* Hands out what the rings hold at the stop, within the bounds above. */
static int drain_at_exit(struct rl_loop *l)
{
	int64_t left;

	l->draining = true;
	l->drain_until = stop_asked(l) ? rl_now_us() + EXIT_DRAIN_US : 0;
	rl_consumer_stop_holding(l->consumer); /* no record is newer than the stop */
	for (int i = 0; i < EXIT_DRAIN_ROUNDS && !rl_loop_finished(l); i++) {
		int n = poll_feed(l, 0);

		if (n < 0)
			return n;
		if (n == 0)
			break;
	}
	/* Cut short by a stop: its time bound ran out, or the handler was interrupted. */
	left = stop_asked(l) && (rl_lua_interrupted(l->lua) ||
			       (l->drain_until && rl_now_us() >= l->drain_until)) ?
		       left_in_rings(l->consumer) : 0;
	if (!rl_loop_finished(l))
		check_lost(l); /* the last drops reach on_lost, and the outputs at the stop */
	if (left > 0)
		fprintf(stderr, "ringlua: stopped draining after %d ms: %lld bytes of records "
				"left in the ring\n", EXIT_DRAIN_US / 1000, (long long)left);
	return l->failed;
}

/* The loop proper, between the setup and the teardown of rl_loop_run. */
static int poll_until_stopped(struct rl_loop *l)
{
	uint64_t reload_at = 0;

	/* rl_loop_run handed the watcher its files and started the outputs. */
	while (!stop_asked(l) && !rl_loop_finished(l)) {
		int n = poll_feed(l, poll_timeout_ms(l, rl_now_us(), l->next_tick, reload_at));
		int shown;

		if (n < 0)
			return n;
		shown = walk_outputs(l, rl_outputs_poll);
		if (shown < 0)
			return shown;
		if (shown == RL_OUTPUT_STOP)
			return 0; /* nothing more can be shown: no drain either */
		/* No tick or reload after the script stopped itself in the poll, or once
		 * --duration is over. */
		note_time(l, rl_now_us());
		if (rl_loop_finished(l) || l->time_up ||
		    between_polls(l, rl_now_us(), &l->next_tick, &reload_at))
			break;
	}
	return l->failed ? l->failed : drain_at_exit(l);
}

int rl_loop_run(struct rl_loop *l)
{
	int err = watch_stop_requests(l);

	if (err)
		return err;
	l->next_tick = rl_now_us() + (uint64_t)l->interval_ms * 1000;
	l->stop_at = l->duration_us ? rl_now_us() + l->duration_us : 0;
	walk_outputs(l, rl_outputs_start);
	l->pid_fd = watch_process(l);
	err = poll_until_stopped(l);
	walk_outputs(l, rl_outputs_stop);
	if (!err)
		err = l->failed;
	/* Closing the pidfd takes it out of the consumer's epoll set. */
	if (l->pid_fd >= 0)
		close(l->pid_fd);
	l->pid_fd = -1;
	l->next_tick = 0;
	return err;
}
