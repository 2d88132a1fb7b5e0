#include "app/replay_run.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bpf/btf.h>

#include "app/loop.h"
#include "kernel/btf_cdef.h"
#include "kernel/sources.h"
#include "kernel/tp_format.h"
#include "kernel/tracepoints.h"
#include "lua/lua_host.h"
#include "util/clock.h"

/* Writes the reason into why; returns err. */
__attribute__((format(printf, 4, 5)))
static int say(char *why, size_t len, int err, const char *fmt, ...)
{
	va_list args;

	va_start(args, fmt);
	vsnprintf(why, len, fmt, args);
	va_end(args);
	return err;
}

/* Whether the recording of a built-in source has that source's one ring and type. */
static bool source_ring_ok(const struct rl_recording_meta *m, const struct rl_source *src)
{
	return m->nr_rings == 1 && !strcmp(m->rings[0].name, RL_DEFAULT_RING) &&
	       !strcmp(m->rings[0].ctype, src->ctype);
}

/* Reads and checks the recording's BTF, when it has one. */
static int open_btf(struct rl_replay_types *t, const struct rl_recording_meta *m, char *why,
		    size_t len)
{
	if (!m->btf)
		return 0;
	t->btf = btf__new(m->btf, (uint32_t)m->btf_size);
	if (!t->btf)
		return say(why, len, -EBADMSG, "its BTF cannot be read");
	return rl_btf_valid(t->btf) ? 0 : say(why, len, -EBADMSG, "its BTF is not sound");
}

/* Each ring's record type, found by name in the BTF; their ids into ids, *n of them. */
static int find_types(struct rl_replay_types *t, const struct rl_recording_meta *m,
		      uint32_t *ids, size_t *n, char *why, size_t len)
{
	char found[128];

	for (size_t i = 0; i < m->nr_rings; i++) {
		const struct rl_recording_ring *r = &m->rings[i];

		t->rings[i] = (struct rl_btf_ring){ .map = r->name };
		if (!r->ctype[0])
			continue;
		t->rings[i].type_id = t->btf ? rl_btf_record_type(t->btf, r->name, r->ctype, false,
								  found, sizeof(found)) : -ENOENT;
		if (t->rings[i].type_id < 0 || strcmp(found, r->ctype))
			return say(why, len, -EBADMSG, "ring %s: its type %s is not in its BTF",
				   r->name, r->ctype);
		ids[(*n)++] = (uint32_t)t->rings[i].type_id;
	}
	return 0;
}

/* Whether the recording is of tracepoint probes: its source a probe list, every ring a
 * probe. */
static bool all_probes(const struct rl_recording_meta *m)
{
	if (!strchr(m->source, ':'))
		return false;
	for (size_t i = 0; i < m->nr_rings; i++)
		if (!rl_tp_is_probe(m->rings[i].name))
			return false;
	return m->nr_rings > 0;
}

int rl_replay_types(struct rl_replay_types *t, const struct rl_recording_meta *m,
		    char *why, size_t len)
{
	const struct rl_source *src = rl_source_find(m->source);
	bool probes = all_probes(m), own = !strcmp(m->source, "bpf") || probes;
	uint32_t ids[RL_RECORDING_RINGS];
	size_t nr_ids = 0;
	int err;

	*t = (struct rl_replay_types){ 0 };
	if (!src && !own && strcmp(m->source, "pin"))
		return say(why, len, -EBADMSG, "source '%s' is none this ringlua knows",
			   m->source);
	if (src && !source_ring_ok(m, src))
		return say(why, len, -EBADMSG, "its rings are not source %s's (events: %s)",
			   src->name, src->ctype);
	err = open_btf(t, m, why, len);
	if (!err)
		err = find_types(t, m, ids, &nr_ids, why, len);
	if (err)
		return err;
	/* Checked here as well as where they are printed: a type that cannot be decoded
	 * would otherwise just have no decoder. */
	if (nr_ids && !rl_btf_printable(t->btf, ids, nr_ids))
		return say(why, len, -EBADMSG, "its BTF has names that are not C identifiers");
	/* A built-in source's types are declared already, from ringlua's own headers. */
	if (own && nr_ids) {
		err = probes ? rl_tracepoints_records_cdef(t->btf, ids, nr_ids, &t->cdef) :
			       rl_btf_cdef(t->btf, ids, nr_ids, &t->cdef);
		if (err)
			return say(why, len, err, "its types cannot be declared: %s",
				   rl_btf_cdef_error(err));
	}
	err = rl_btf_ring_decoders(t->btf, t->rings, m->nr_rings);
	if (err)
		return say(why, len, err, "%s", strerror(-err));
	return 0;
}

void rl_replay_types_free(struct rl_replay_types *t)
{
	for (size_t i = 0; i < RL_RECORDING_RINGS; i++)
		free(t->rings[i].decoder);
	free(t->cdef);
	btf__free(t->btf);
	*t = (struct rl_replay_types){ 0 };
}

int rl_replay_feed_open(struct rl_replay_feed *f, const char *path)
{
	const struct rl_recording_meta *m;
	char why_types[512];
	const char *why;
	int err = rl_replay_open(&f->rec, path, &why);

	if (err) {
		fprintf(stderr, "ringlua: --replay %s: %s\n", path, why);
		return err;
	}
	m = rl_replay_meta(f->rec);
	err = rl_replay_types(&f->types, m, why_types, sizeof(why_types));
	if (err) {
		fprintf(stderr, "ringlua: --replay %s: %s\n", path, why_types);
		return err;
	}
	snprintf(f->rings_from, sizeof(f->rings_from), "the recording %s", path);
	f->nr_rings = m->nr_rings;
	for (size_t i = 0; i < m->nr_rings; i++)
		f->rings[i] = (struct rl_ring_desc){
			.name = m->rings[i].name,
			.ctype = m->rings[i].ctype[0] ? m->rings[i].ctype : NULL,
			.btf_id = f->types.rings[i].type_id > 0 ? f->types.rings[i].type_id : 0,
			.fd = -1,
			.decoder = f->types.rings[i].decoder,
			/* Map names have no ':'; a ring named as a probe is one. */
			.tagged = rl_tp_is_probe(m->rings[i].name),
		};
	return 0;
}

const char *rl_replay_feed_source(const struct rl_replay_feed *f)
{
	return rl_replay_meta(f->rec)->source;
}

/* A script that asks for no source, and a recording of a pinned ring (whatever type
 * the script gave it live), fit any. */
int rl_replay_feed_check(const struct rl_replay_feed *f, const struct rl_options *opt,
			 const struct rl_lua *lua)
{
	const char *asked = opt->source ? opt->source : rl_lua_source(lua);

	if (!asked && rl_lua_bpf(lua))
		asked = "bpf";

	const struct rl_recording_meta *m = rl_replay_meta(f->rec);

	if (!asked || !strcmp(asked, m->source) || !strcmp(m->source, "pin"))
		return 0;
	fprintf(stderr, "ringlua: --replay %s: a recording of source '%s', but %s asks for "
			"source '%s'\n", opt->replay, m->source,
		opt->source ? "-s" : opt->script, asked);
	return -EINVAL;
}

/* With --realtime: sleeps until time t of the recording, which started at t0, is due
 * (the replay started at start), or until a stop signal. A signal that is no stop (the
 * watchdog's, SIGHUP) ends the sleep early: it sleeps again, to the same deadline.
 * Times before t0 (a file not in time order) are due at once. */
static void pace(uint64_t t, uint64_t t0, uint64_t start, volatile sig_atomic_t *exiting)
{
	uint64_t gap = t > t0 ? t - t0 : 0;
	/* Saturated: a gap of centuries waits until a stop signal, never wraps to now. */
	uint64_t due = gap > UINT64_MAX - start ? UINT64_MAX : start + gap;
	struct timespec ts = { .tv_sec = (time_t)(due / 1000000000ull),
			       .tv_nsec = (long)(due % 1000000000ull) };

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR &&
	       !*exiting)
		;
}

/* The recorded clock on_tick follows. A recording with clock marks (it begins with its
 * start mark) has the live run's ticks among its records. One without (format 2) has
 * none: a tick every interval from its first record's time t0. Those ticks are counted,
 * not kept as the time of the next one, so that a time near the end of the clock (a
 * hostile file's) cannot wrap a sum. */
struct replay_clock {
	uint64_t interval;	/* ns, > 0 */
	uint64_t t0;		/* the start mark's time, else the first record's */
	uint64_t ticks;		/* given so far, without marks */
	bool started;		/* t0 is set: 0 is a time like any other */
	bool marked;		/* ticks are the recorded ones */
};

static void tick(struct rl_loop *loop)
{
	struct rl_run_view v;

	rl_lua_tick(loop->lua);
	v = rl_loop_view(loop);
	rl_outputs_tick(loop->outputs, &v);
}

/* How many ticks are due at time t: whole intervals since t0, none before it. */
static uint64_t ticks_due(const struct replay_clock *c, uint64_t t)
{
	return t > c->t0 ? (t - c->t0) / c->interval : 0;
}

/* Without marks: calls on_tick for every tick due at time t, until a stop signal or the
 * loop is finished: a gap of centuries in a file owes billions of them. */
static void tick_until(struct replay_clock *c, uint64_t t, struct rl_loop *loop)
{
	uint64_t due = ticks_due(c, t);

	for (; c->ticks < due && !loop->signals->exiting && !rl_loop_finished(loop); c->ticks++)
		tick(loop);
}

/* The clock at an entry of time t (mark: the clock mark it is, or RL_MARK_NONE for
 * records): the pace, then the ticks due before it. Returns whether the replay goes on
 * (no stop mark, no stop signal). */
static bool clock_at(struct replay_clock *c, uint64_t t, enum rl_mark mark, uint64_t start,
		     const struct rl_options *opt, struct rl_loop *loop)
{
	if (!c->started) {
		c->t0 = t;
		c->started = true;
		c->marked = mark == RL_MARK_START;
	}
	if (opt->realtime)
		pace(t, c->t0, start, &loop->signals->exiting);
	if (!c->marked)
		tick_until(c, t, loop);
	else if (mark == RL_MARK_TICK && !loop->signals->exiting)
		tick(loop);
	return mark != RL_MARK_STOP && !loop->signals->exiting;
}

int rl_replay_feed_run(struct rl_replay_feed *f, const struct rl_options *opt,
		       struct rl_loop *loop, struct rl_rec *batch, size_t cap)
{
	struct replay_clock clock = { .interval = (uint64_t)opt->interval_ms * 1000000 };
	uint64_t start = rl_now_ns(), t;
	enum rl_mark mark;
	const char *why;
	int n;

	while (!loop->signals->exiting && !rl_loop_finished(loop)) {
		n = rl_replay_next(f->rec, batch, cap, &t, &mark, &why);
		if (n < 0) {
			fprintf(stderr, "ringlua: --replay %s: %s\n", opt->replay, why);
			return -ECANCELED;
		}
		if (n == 0 && mark == RL_MARK_NONE)
			break; /* the end */
		if (!clock_at(&clock, t, mark, start, opt, loop))
			break;
		if (n)
			rl_loop_batch(loop, batch, (size_t)n);
	}
	return 0;
}

void rl_replay_feed_close(struct rl_replay_feed *f)
{
	rl_replay_types_free(&f->types);
	rl_replay_close(f->rec);
	f->rec = NULL;
}
