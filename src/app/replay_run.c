#include "app/replay_run.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app/loop.h"
#include "kernel/tp_format.h"
#include "lua/lua_host.h"
#include "record/recording.h"

struct replay_app {
	struct rl_replay *rec;
	struct rl_lua *lua;
	struct rl_ring_desc rings[RL_RECORDING_RINGS];
	struct rl_rec batch[RL_BATCH_CAP];
	struct rl_loop loop;
};

/* The script, with the recording's rings, types and decoders declared as a live run
 * has them. */
static int open_script(struct replay_app *a, const struct rl_lua_opts *base)
{
	const struct rl_recording_meta *m = rl_replay_meta(a->rec);
	struct rl_lua_opts lo = *base;
	int err;

	lo.rings = a->rings;
	lo.nr_rings = m->nr_rings;
	lo.cdef = m->cdef;
	for (size_t i = 0; i < m->nr_rings; i++)
		a->rings[i] = (struct rl_ring_desc){
			.name = m->rings[i].name,
			.ctype = m->rings[i].ctype[0] ? m->rings[i].ctype : NULL,
			.fd = -1,
			.decoder = m->rings[i].decoder[0] ? (char *)m->rings[i].decoder : NULL,
			/* Map names have no ':'; a ring named as a probe is one. */
			.tagged = rl_tp_is_probe(m->rings[i].name),
		};
	err = rl_lua_open(&a->lua, &lo);
	return err ? err : rl_lua_declare(a->lua, a->rings, m->nr_rings, m->cdef);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* With --realtime: sleeps until time t of the recording, which started at t0, is due
 * (the replay started at start). */
static void pace(uint64_t t, uint64_t t0, uint64_t start)
{
	uint64_t due = start + (t - t0);
	struct timespec ts = { .tv_sec = (time_t)(due / 1000000000ull),
			       .tv_nsec = (long)(due % 1000000000ull) };

	clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
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
			pace(t, t0, start);
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
	const char *why;
	int status = 1, code;

	if (rl_replay_open(&a.rec, opt->replay, &why)) {
		fprintf(stderr, "ringlua: --replay %s: %s\n", opt->replay, why);
		return 1;
	}
	if (open_script(&a, lua) ||
	    rl_lua_init(a.lua, rl_replay_meta(a.rec)->source, opt->script_argc,
			opt->script_argv))
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
	rl_replay_close(a.rec);
	return status;
}
