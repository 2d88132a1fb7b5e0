#include "loop.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "lua_host.h"

/* Rounds of draining at exit: enough to empty the rings, bounded so that a producer
 * faster than us cannot keep us from exiting. */
#define EXIT_DRAIN_ROUNDS 64

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int rl_loop_batch(void *ctx, const struct rl_rec *recs, size_t n)
{
	struct rl_loop *l = ctx;
	size_t done;

	(void)recs; /* Lua reads the batch array itself */
	if (l->limit && n > l->limit - l->handled)
		n = (size_t)(l->limit - l->handled);
	done = rl_lua_dispatch(l->lua, n);
	l->handled += done;
	return (int)done;
}

static int finished(const struct rl_loop *l)
{
	return (l->limit && l->handled >= l->limit) || rl_lua_failed(l->lua);
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
	/* "pid (comm) S ...": comm may hold spaces and parentheses, the state follows the last ')'. */
	state = strrchr(stat, ')');
	return state && (state[2] == 'Z' || state[2] == 'X');
}

int rl_loop_run(struct rl_loop *l)
{
	uint64_t next_tick = now_ms() + l->interval_ms;

	while (!*l->exiting && !finished(l)) {
		uint64_t now = now_ms();
		int n = rl_consumer_poll(l->consumer, now < next_tick ? (int)(next_tick - now) : 0);

		if (n < 0)
			return n;
		now = now_ms();
		if (now >= next_tick) {
			rl_lua_tick(l->lua);
			next_tick = now + l->interval_ms;
			if (process_gone(l->watch_pid)) {
				fprintf(stderr, "ringlua: process %d exited\n", l->watch_pid);
				break;
			}
		}
	}
	for (int i = 0; i < EXIT_DRAIN_ROUNDS && !finished(l); i++) {
		int n = rl_consumer_poll(l->consumer, 0);

		if (n <= 0)
			return n;
	}
	return 0;
}
