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
#include "lua/lua_host.h"

struct replay_app {
	struct rl_replay *rec;
	struct rl_replay_types types;
	struct rl_lua *lua;
	struct rl_lua_ring rings[RL_RECORDING_RINGS];
	struct rl_rec batch[RL_BATCH_CAP];
	char rings_from[PATH_MAX + 32];
	struct rl_loop loop;
};

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
	return m->nr_rings == 1 && !strcmp(m->rings[0].name, "events") &&
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

int rl_replay_types(struct rl_replay_types *t, const struct rl_recording_meta *m,
		    char *why, size_t len)
{
	const struct rl_source *src = rl_source_find(m->source);
	bool own = !strcmp(m->source, "bpf");
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
	/* Checked here as well as where they are printed: a type that cannot be decoded
	 * would otherwise just have no decoder. */
	if (!err && nr_ids && !rl_btf_printable(t->btf, ids, nr_ids))
		return say(why, len, -EBADMSG, "its BTF has names that are not C identifiers");
	/* A built-in source's types are declared already, from ringlua's own headers. */
	if (!err && own && nr_ids && (err = rl_btf_cdef(t->btf, ids, nr_ids, &t->cdef)))
		return say(why, len, err, "its types cannot be declared: %s", strerror(-err));
	if (!err && (err = rl_btf_ring_decoders(t->btf, t->rings, m->nr_rings)))
		return say(why, len, err, "%s", strerror(-err));
	return err;
}

void rl_replay_types_free(struct rl_replay_types *t)
{
	for (size_t i = 0; i < RL_RECORDING_RINGS; i++)
		free(t->rings[i].decoder);
	free(t->cdef);
	btf__free(t->btf);
	*t = (struct rl_replay_types){ 0 };
}

/* The script, with the recording's rings and types declared as a live run has them, and
 * their decoders (handed over to the host). */
static int open_script(struct replay_app *a, const struct rl_options *opt,
		       const struct rl_lua_opts *base)
{
	const struct rl_recording_meta *m = rl_replay_meta(a->rec);
	struct rl_lua_decoder d[RL_RECORDING_RINGS];
	struct rl_lua_opts lo = *base;
	size_t n = 0;
	int err;

	snprintf(a->rings_from, sizeof(a->rings_from), "the recording %s", opt->replay);
	lo.batch = a->batch;
	lo.rings = a->rings;
	lo.nr_rings = m->nr_rings;
	lo.cdef = a->types.cdef;
	lo.rings_from = a->rings_from;
	for (size_t i = 0; i < m->nr_rings; i++)
		a->rings[i] = (struct rl_lua_ring){ m->rings[i].name,
						    m->rings[i].ctype[0] ? m->rings[i].ctype : NULL };
	err = rl_lua_open(&a->lua, &lo);
	for (size_t i = 0; !err && i < m->nr_rings; i++) {
		if (a->types.rings[i].decoder)
			d[n++] = (struct rl_lua_decoder){ m->rings[i].name, m->rings[i].ctype,
							  a->types.rings[i].decoder };
		a->types.rings[i].decoder = NULL; /* the host's now, or freed below */
	}
	err = err ? err : rl_lua_set_decoders(a->lua, d, n);
	for (size_t i = 0; err && i < n; i++)
		free(d[i].source);
	return err;
}

/* Whether the script fits the recording: the source it asks for (-s, its `source`
 * field, `bpf` for one that names an object) is the one recorded. A script that asks
 * for none, and a recording of a pinned ring (whatever type the script gave it live),
 * fit any. Returns 0, or -EINVAL with one line naming both. */
static int check_source(const struct rl_options *opt, const struct rl_lua *lua,
			const struct rl_recording_meta *m)
{
	const char *asked = opt->source ? opt->source : rl_lua_source(lua) ?
			    rl_lua_source(lua) : rl_lua_bpf(lua) ? "bpf" : NULL;

	if (!asked || !strcmp(asked, m->source) || !strcmp(m->source, "pin"))
		return 0;
	fprintf(stderr, "ringlua: --replay %s: a recording of source '%s', but %s asks for "
			"source '%s'\n", opt->replay, m->source,
		opt->source ? "-s" : opt->script, asked);
	return -EINVAL;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* With --realtime: sleeps until time t of the recording, which started at t0, is due
 * (the replay started at start), or until a stop signal. A signal that is no stop (the
 * watchdog's tick, SIGHUP) ends the sleep early: it sleeps again, to the same deadline.
 * Times before t0 (a file not in time order) are due at once. */
static void pace(uint64_t t, uint64_t t0, uint64_t start, volatile sig_atomic_t *exiting)
{
	uint64_t due = start + (t > t0 ? t - t0 : 0);
	struct timespec ts = { .tv_sec = (time_t)(due / 1000000000ull),
			       .tv_nsec = (long)(due % 1000000000ull) };

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR &&
	       !*exiting)
		;
}

/* Hands the records to the script, batch by batch, ticking on recorded time. */
static int feed(struct replay_app *a, const struct rl_options *opt,
		volatile sig_atomic_t *exiting)
{
	uint64_t interval = (uint64_t)opt->interval_ms * 1000000, t0 = 0, next_tick = 0, t;
	uint64_t start = now_ns();
	const char *why;
	int n;

	while (!*exiting && !rl_lua_failed(a->lua) &&
	       (!opt->count || a->loop.handled < opt->count)) {
		n = rl_replay_next(a->rec, a->batch, RL_BATCH_CAP, &t, &why);
		if (n < 0) {
			fprintf(stderr, "ringlua: --replay %s: %s\n", opt->replay, why);
			return -EBADMSG;
		}
		if (n == 0)
			break;
		if (!t0) {
			t0 = t;
			next_tick = t + interval;
		}
		if (opt->realtime)
			pace(t, t0, start, exiting);
		if (*exiting)
			break;
		for (; t >= next_tick; next_tick += interval)
			rl_lua_tick(a->lua);
		rl_loop_batch(&a->loop, a->batch, (size_t)n);
	}
	return 0;
}

int rl_replay_run(const struct rl_options *opt, const struct rl_lua_opts *lua,
		  volatile sig_atomic_t *exiting)
{
	static struct replay_app a;
	const struct rl_recording_meta *m;
	char why_types[512];
	const char *why;
	int status = 1, code;

	if (rl_replay_open(&a.rec, opt->replay, &why)) {
		fprintf(stderr, "ringlua: --replay %s: %s\n", opt->replay, why);
		return 1;
	}
	m = rl_replay_meta(a.rec);
	if (rl_replay_types(&a.types, m, why_types, sizeof(why_types))) {
		fprintf(stderr, "ringlua: --replay %s: %s\n", opt->replay, why_types);
		goto out;
	}
	if (open_script(&a, opt, lua) || check_source(opt, a.lua, m) ||
	    rl_lua_init(a.lua, m->source, opt->script_argc, opt->script_argv))
		goto out;
	a.loop = (struct rl_loop){ .lua = a.lua, .limit = opt->count, .exiting = exiting };
	if (feed(&a, opt, exiting) == 0 && !rl_lua_exit_requested(a.lua, &code)) {
		status = rl_lua_exit(a.lua) || rl_lua_failed(a.lua) ? 1 : 0;
		fprintf(stderr, "ringlua: replayed %llu events, %llu errors\n",
			(unsigned long long)a.loop.handled,
			(unsigned long long)rl_lua_errors(a.lua));
	}
out:
	rl_lua_exit_requested(a.lua, &status);
	rl_lua_close(a.lua);
	rl_replay_types_free(&a.types);
	rl_replay_close(a.rec);
	return status;
}
