#include "lua/watchdog.h"

#include <errno.h>
#include <lua.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

/* How often the script is checked: a SIGINT is answered within about this, plus the
 * grace below. */
#define CHECK_PERIOD_MS 50
/* After SIGINT a handler may finish what it is doing; past this it is interrupted. */
#define INTERRUPT_GRACE_MS 50
/* Compiled code ignores the hook; after this much longer, give up on it. */
#define HOOK_GRACE_MS 1000

/* Shared with the SIGALRM handler, which is why they are file-scope. */
static struct lua_State *_Atomic busy_L;
static const char *_Atomic busy_what;
static _Atomic uint64_t busy_since_ms;
static _Atomic uint64_t hooked_at_ms;	/* when the hook was set; 0: not set */
static _Atomic int verdict;
static uint32_t timeout_ms;
static volatile sig_atomic_t no_stops;
static volatile sig_atomic_t *stop_flag = &no_stops;
static _Atomic int stops_at_enter;	/* stop signals counted when the call began */
static _Atomic uint64_t stop_seen_ms;	/* when the check first saw a new stop signal */

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Runs at the script's every instruction, call and return once set: raises an error
 * that says why, with file:line. It stays set until the call into Lua has unwound, so a
 * pcall in the script cannot swallow it; the host's error handler removes it
 * (rl_watchdog_disarm) to report. */
static void stop_hook(lua_State *L, lua_Debug *ar)
{
	const char *what = atomic_load(&busy_what);

	(void)ar;
	/* No position: the hook may fire in ringlua's own loop; the traceback shows where
	 * the script was. */
	if (atomic_load(&verdict) == RL_WATCHDOG_TIMEOUT)
		lua_pushfstring(L, "%s did not return within %d ms (--handler-timeout)", what,
				(int)timeout_ms);
	else
		lua_pushfstring(L, "%s interrupted: still running after SIGINT", what);
	lua_error(L);
}

static void write_str(const char *s)
{
	(void)!write(STDERR_FILENO, s, strlen(s));
}

/* Async-signal-safe: write(2) and _exit(2) only. */
static void give_up(void)
{
	const char *what = atomic_load(&busy_what);

	write_str("ringlua: ");
	write_str(what ? what : "the script");
	write_str(" is stuck in compiled code, which cannot be interrupted; exiting\n");
	_exit(1);
}

static int overdue(uint64_t now, uint64_t since)
{
	uint64_t stop_seen;

	if (timeout_ms && now - since >= timeout_ms)
		return RL_WATCHDOG_TIMEOUT;
	/* Only a stop signal that came during this call interrupts it: on_exit, which runs
	 * after the first SIGINT, is interrupted by a second one. */
	if (*stop_flag <= atomic_load(&stops_at_enter))
		return RL_WATCHDOG_NONE;
	stop_seen = atomic_load(&stop_seen_ms);
	if (!stop_seen)
		atomic_store(&stop_seen_ms, stop_seen = now);
	return now - stop_seen >= INTERRUPT_GRACE_MS ? RL_WATCHDOG_INTERRUPT : RL_WATCHDOG_NONE;
}

static void check(int sig)
{
	lua_State *L = atomic_load(&busy_L);
	uint64_t now = now_ms(), hooked = atomic_load(&hooked_at_ms);
	int saved_errno = errno, why;

	(void)sig;
	if (!L)
		goto out;
	if (hooked) {
		if (now - hooked >= HOOK_GRACE_MS + (timeout_ms ? timeout_ms : 0))
			give_up();
		goto out;
	}
	why = overdue(now, atomic_load(&busy_since_ms));
	if (why != RL_WATCHDOG_NONE) {
		atomic_store(&verdict, why);
		atomic_store(&hooked_at_ms, now);
		/* lua_sethook is the one Lua call made to be safe from a signal handler. */
		lua_sethook(L, stop_hook, LUA_MASKCALL | LUA_MASKRET | LUA_MASKCOUNT, 1);
	}
out:
	errno = saved_errno;
}

int rl_watchdog_start(uint32_t timeout, volatile sig_atomic_t *exiting)
{
	struct sigaction sa = { .sa_handler = check, .sa_flags = SA_RESTART };
	struct itimerval period = {
		.it_interval = { .tv_usec = CHECK_PERIOD_MS * 1000 },
		.it_value = { .tv_usec = CHECK_PERIOD_MS * 1000 },
	};

	timeout_ms = timeout;
	stop_flag = exiting;
	if (sigaction(SIGALRM, &sa, NULL) || setitimer(ITIMER_REAL, &period, NULL))
		return -errno;
	return 0;
}

void rl_watchdog_enter(lua_State *L, const char *what)
{
	atomic_store(&busy_what, what);
	atomic_store(&busy_since_ms, now_ms());
	atomic_store(&stops_at_enter, (int)*stop_flag);
	atomic_store(&stop_seen_ms, 0);
	atomic_store(&busy_L, L);
}

void rl_watchdog_disarm(lua_State *L)
{
	if (atomic_load(&hooked_at_ms))
		lua_sethook(L, NULL, 0, 0);
}

enum rl_watchdog_verdict rl_watchdog_leave(void)
{
	lua_State *L = atomic_exchange(&busy_L, NULL);

	/* A hook set as the call returned must not fire in the next one. */
	if (L)
		rl_watchdog_disarm(L);
	atomic_store(&hooked_at_ms, 0);
	return (enum rl_watchdog_verdict)atomic_exchange(&verdict, RL_WATCHDOG_NONE);
}

void rl_watchdog_stop(void)
{
	struct itimerval off = { 0 };

	setitimer(ITIMER_REAL, &off, NULL);
	atomic_store(&busy_L, NULL);
}
