/* A stop request ends the loop's wait at once, whenever it comes. The loop checks its stop
 * flag, then sleeps in epoll until the next tick: a SIGINT whose handler ran between the
 * two set the flag but interrupted no wait, and was seen only at the tick, up to
 * --interval later. Here the handler runs on another thread (the loop's blocks the
 * signal) while the loop sleeps: the same case, every time. The loop is the real one,
 * over a simulated ring, with a real Lua host; the interval is far past the bound. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "check.h"
#include "sim_ring.h"
#include "app/loop.h"
#include "app/signals.h"
#include "lua/lua_host.h"
#include "ring/ring_desc.h"

/* The tick the loop would otherwise sleep until, and the bound on its answer to a stop:
 * generous on a machine whose CPUs are busy, far below the interval. */
#define INTERVAL_MS 30000
#define STOP_BOUND_S 5.0
/* How long the helper waits for the loop to be asleep. */
#define SLEEP_WAIT_S 10.0
#define RING_SIZE (64 * 1024)

struct helper {
	pid_t loop_tid;
	double signalled_at;	/* when the stop was sent; 0: never (the loop never slept) */
};

/* Whether thread tid sleeps in epoll: /proc's syscall file names the call it is in. */
static int sleeps_in_epoll(pid_t tid)
{
	char path[64], line[64] = "";
	FILE *f;
	long nr;

	snprintf(path, sizeof(path), "/proc/self/task/%d/syscall", (int)tid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	if (!fgets(line, sizeof(line), f))
		line[0] = '\0';
	fclose(f);
	if (sscanf(line, "%ld", &nr) != 1)
		return 0; /* "running" */
#ifdef SYS_epoll_wait
	if (nr == SYS_epoll_wait)
		return 1;
#endif
	return nr == SYS_epoll_pwait;
}

/* Waits (bounded) until the loop sleeps, then sends the process SIGINT, which only this
 * thread takes; sends it anyway once the wait is over, for the test to end. */
static void *send_stop(void *arg)
{
	struct helper *h = arg;
	double give_up = sim_now_s() + SLEEP_WAIT_S;
	sigset_t stop;

	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	pthread_sigmask(SIG_UNBLOCK, &stop, NULL);
	while (!sleeps_in_epoll(h->loop_tid) && sim_now_s() < give_up)
		usleep(1000);
	if (sleeps_in_epoll(h->loop_tid))
		h->signalled_at = sim_now_s();
	else
		fprintf(stderr, "the loop did not sleep in epoll within %.0f s\n", SLEEP_WAIT_S);
	kill(getpid(), SIGINT);
	return NULL;
}

/* A Lua host with a handler that does nothing, set up as for --pin. */
static struct rl_lua *open_script(const struct rl_ring_desc *ring)
{
	struct rl_lua_opts o = { .lua_dir = LUA_DIR, .generated_dir = GENERATED_LUA_DIR,
				 .script = "-e", .code = "on_event = function() end" };
	struct rl_lua *lua = NULL;

	if (rl_lua_open(&lua, &o) || rl_lua_declare(lua, ring, 1, NULL) ||
	    rl_lua_init(lua, "pin", 0, NULL)) {
		rl_lua_close(lua);
		return NULL;
	}
	return lua;
}

static void test_a_stop_that_interrupts_no_wait_still_ends_it(void)
{
	static struct rl_rec batch[RL_BATCH_CAP];
	struct rl_consumer_opts co = { .batch = batch, .batch_cap = RL_BATCH_CAP };
	struct rl_ring_desc ring = { .name = RL_DEFAULT_RING };
	struct helper h = { .loop_tid = (pid_t)syscall(SYS_gettid) };
	struct rl_loop l = { .interval_ms = INTERVAL_MS };
	struct sim_ring *sim = sim_ring_new(RING_SIZE);
	pthread_t helper;
	sigset_t stop;
	double took;
	int err;

	/* The loop's thread never takes the signal: its wait is never interrupted. */
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	pthread_sigmask(SIG_BLOCK, &stop, NULL);
	CHECK(rl_signals_install(&l.signals) == 0);
	l.lua = open_script(&ring);
	CHECK(sim && l.lua);
	CHECK(rl_consumer_open(&l.consumer, &co) == 0);
	CHECK(rl_consumer_add_mem(l.consumer, &sim->mem, sim->wake_fd, rl_loop_batch, &l) >= 0);
	CHECK(pthread_create(&helper, NULL, send_stop, &h) == 0);
	err = rl_loop_run(&l);
	took = sim_now_s() - h.signalled_at;
	pthread_join(helper, NULL);
	rl_consumer_close(l.consumer);
	rl_lua_close(l.lua);
	sim_ring_free(sim);
	CHECK(h.signalled_at > 0);
	CHECK(err == 0);
	if (took > STOP_BOUND_S)
		fprintf(stderr, "the loop ended %.1f s after the stop request\n", took);
	CHECK(took <= STOP_BOUND_S);
}

int main(void)
{
	RUN(test_a_stop_that_interrupts_no_wait_still_ends_it);
	return check_summary();
}
