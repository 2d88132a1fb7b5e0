#include "lua/watchdog.h"
#include "lua/async_hook.h"
#include "util/clock.h"

#include <errno.h>
#include <lua.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* How often a running call is checked, in CPU time (and after a stop signal in wall
 * time): a timeout is seen within about this. */
#define CHECK_PERIOD_MS 50
/* After SIGINT a handler may finish what it is doing; past this it is interrupted. */
#define INTERRUPT_GRACE_MS 50
/* Compiled code ignores the hook; after this much longer, give up on it. */
#define HOOK_GRACE_MS 1000
/* A call that used less than 1/this of the wall time since the hook was set is taken to
 * be blocked outside Lua, not running compiled code. */
#define BLOCKED_CPU_SHARE 10
/* The CPU timer's signal restarts the system calls it meets: a handler that uses CPU
 * time in one (a large read) must not see it fail. The stop timer's does not: after a
 * stop signal, a handler blocked in a system call returns to Lua, where the hook runs. */
#define CPU_SIGNAL SIGVTALRM
#define STOP_SIGNAL SIGALRM
/* glibc before 2.37 names the field of SIGEV_THREAD_ID only by its union member. */
#ifndef sigev_notify_thread_id
#define sigev_notify_thread_id _sigev_un._tid
#endif

/* Shared with the signal handlers, which is why they are file-scope. */
static struct lua_State *_Atomic busy_L;
static const char *_Atomic busy_what;
static const volatile int32_t *_Atomic busy_progress;
static _Atomic int32_t seen_progress;	/* the record the last check saw */
static _Atomic uint64_t cpu_used_ms;	/* CPU time of this call, counted by its timer */
static _Atomic uint64_t record_since_ms; /* cpu_used_ms when that record was first seen */
static _Atomic bool hooked;		/* the hook is set */
static _Atomic bool unhooked;		/* the host took it away to report */
static _Atomic uint64_t hooked_cpu_ms, hooked_wall_ms, hooked_thread_cpu_ms;
static _Atomic int verdict;
static uint32_t timeout_ms;
static volatile sig_atomic_t no_stops;
static volatile sig_atomic_t *stop_flag = &no_stops;
static _Atomic int stops_at_enter;	/* stop signals counted when the call began */
static _Atomic uint64_t stop_seen_ms;	/* wall time of the first stop signal in this call */
static timer_t cpu_timer, stop_timer;
static _Atomic bool timers_made, cpu_armed, stop_armed;

static uint64_t clock_ms(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static uint64_t wall_ms(void)
{
	return rl_now_ms();
}

/* The CPU time of the calling thread, the one that runs Lua (the timers signal it
 * alone). A system call to read: only the signal handlers do. */
static uint64_t thread_cpu_ms(void)
{
	return clock_ms(CLOCK_THREAD_CPUTIME_ID);
}

/* Arms timer (async-signal-safe): first after first_ms, then every CHECK_PERIOD_MS;
 * 0 disarms. */
static void arm(timer_t timer, uint32_t first_ms)
{
	struct itimerspec when = {
		.it_value = { .tv_sec = first_ms / 1000,
			      .tv_nsec = (long)(first_ms % 1000) * 1000000 },
		.it_interval = { .tv_nsec = first_ms ? CHECK_PERIOD_MS * 1000000L : 0 },
	};

	timer_settime(timer, 0, &when, NULL);
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

/* Async-signal-safe: write(2) and _exit(2) only. compiled: the script kept using CPU
 * time without running the hook; else it is blocked outside Lua. */
static void give_up(bool compiled)
{
	const char *what = atomic_load(&busy_what);

	write_str("ringlua: ");
	write_str(what ? what : "the script");
	write_str(compiled ? " is stuck in compiled code, which cannot be interrupted; "
			     "exiting\n" :
			     " is blocked outside Lua (in a system call or C code) and does "
			     "not return; exiting\n");
	_exit(1);
}

/* Whether the hook has been ignored for too long: CPU time spent without it running
 * (compiled code, by definition), or, once a stop signal asked for the end, wall time.
 * Then *compiled says whether the call kept using the CPU: a thread blocked in a system
 * call uses next to none, one in a loop its share of a CPU, which stays far above
 * BLOCKED_CPU_SHARE even with every CPU busy. */
static bool hook_ignored(uint64_t cpu, uint64_t wall, bool *compiled)
{
	uint64_t grace = HOOK_GRACE_MS + timeout_ms;
	uint64_t cpu_spent = cpu - atomic_load(&hooked_cpu_ms);
	uint64_t wall_spent = wall - atomic_load(&hooked_wall_ms);

	if (cpu_spent >= grace) {
		*compiled = true;
		return true;
	}
	if (!atomic_load(&stop_seen_ms) || wall_spent < grace)
		return false;
	*compiled = thread_cpu_ms() - atomic_load(&hooked_thread_cpu_ms) >=
		    wall_spent / BLOCKED_CPU_SHARE;
	return true;
}

static int overdue(uint64_t cpu, uint64_t wall)
{
	const volatile int32_t *progress = atomic_load(&busy_progress);
	int32_t at = progress ? *progress : 0;
	uint64_t stop_seen = atomic_load(&stop_seen_ms);

	/* A new record is a new handler call: its time starts now (it began at most a
	 * check period ago, so a timeout is never early). */
	if (at != atomic_load(&seen_progress)) {
		atomic_store(&seen_progress, at);
		atomic_store(&record_since_ms, cpu);
	}
	if (timeout_ms && cpu - atomic_load(&record_since_ms) >= timeout_ms)
		return RL_WATCHDOG_TIMEOUT;
	if (stop_seen && wall - stop_seen >= INTERRUPT_GRACE_MS)
		return RL_WATCHDOG_INTERRUPT;
	return RL_WATCHDOG_NONE;
}

/* Set again at each check until it has stopped the call: a set inside one of LuaJIT's
 * own hook changes can be lost (lua/async_hook.c), and the script itself may call
 * debug.sethook(). */
static void set_hook(lua_State *L)
{
	rl_async_sethook(L, stop_hook, LUA_MASKCALL | LUA_MASKRET | LUA_MASKCOUNT, 1);
}

/* The handler of both timers' signals. */
static void check_script(int sig)
{
	lua_State *L = atomic_load(&busy_L);
	uint64_t cpu, wall = wall_ms();
	int saved_errno = errno, why;
	bool compiled;

	if (!L)
		goto out;
	/* The CPU timer's expiries count the call's CPU time: no clock to read per call. */
	if (sig == CPU_SIGNAL)
		atomic_fetch_add(&cpu_used_ms, (uint64_t)(1 + timer_getoverrun(cpu_timer)) *
						       CHECK_PERIOD_MS);
	cpu = atomic_load(&cpu_used_ms);
	if (atomic_load(&hooked)) {
		if (hook_ignored(cpu, wall, &compiled))
			give_up(compiled);
		if (!atomic_load(&unhooked))
			set_hook(L);
		goto out;
	}
	why = overdue(cpu, wall);
	if (why != RL_WATCHDOG_NONE) {
		atomic_store(&verdict, why);
		atomic_store(&hooked_cpu_ms, cpu);
		atomic_store(&hooked_wall_ms, wall);
		atomic_store(&hooked_thread_cpu_ms, thread_cpu_ms());
		atomic_store(&hooked, true);
		set_hook(L);
	}
out:
	errno = saved_errno;
}

/* A timer of this thread on clock, signalling sig, handled by check. */
static int make_timer(clockid_t clock, int sig, int flags, timer_t *timer)
{
	struct sigaction sa = { .sa_handler = check_script, .sa_flags = flags };
	struct sigevent ev = {
		.sigev_notify = SIGEV_THREAD_ID,
		.sigev_signo = sig,
		.sigev_notify_thread_id = (pid_t)syscall(SYS_gettid),
	};

	/* One check at a time: a check inside another would leave its hook half set. */
	sigemptyset(&sa.sa_mask);
	sigaddset(&sa.sa_mask, CPU_SIGNAL);
	sigaddset(&sa.sa_mask, STOP_SIGNAL);
	if (sigaction(sig, &sa, NULL) || timer_create(clock, &ev, timer))
		return -errno;
	return 0;
}

int rl_watchdog_start(uint32_t timeout, volatile sig_atomic_t *exiting)
{
	int err;

	timeout_ms = timeout;
	stop_flag = exiting;
	err = make_timer(CLOCK_THREAD_CPUTIME_ID, CPU_SIGNAL, SA_RESTART, &cpu_timer);
	if (err)
		return err;
	err = make_timer(CLOCK_MONOTONIC, STOP_SIGNAL, 0, &stop_timer);
	if (err) {
		timer_delete(cpu_timer);
		return err;
	}
	atomic_store(&timers_made, true);
	return 0;
}

void rl_watchdog_stop_signal(void)
{
	int saved_errno = errno;

	/* Only a stop request that came during this call interrupts it: on_exit, which runs
	 * after the first SIGINT, is interrupted by a second request (signals that come
	 * close together are one: app/signals.c). */
	if (atomic_load(&busy_L) && *stop_flag > atomic_load(&stops_at_enter) &&
	    !atomic_exchange(&stop_armed, true)) {
		atomic_store(&stop_seen_ms, wall_ms());
		arm(stop_timer, INTERRUPT_GRACE_MS);
	}
	errno = saved_errno;
}

void rl_watchdog_enter(lua_State *L, const char *what, const volatile int32_t *progress)
{
	if (!atomic_load(&timers_made))
		return;
	atomic_store(&busy_what, what);
	atomic_store(&busy_progress, progress);
	atomic_store(&seen_progress, progress ? *progress : 0);
	atomic_store(&cpu_used_ms, 0);
	atomic_store(&record_since_ms, 0);
	atomic_store(&stops_at_enter, (int)*stop_flag);
	atomic_store(&stop_seen_ms, 0);
	atomic_store(&unhooked, false);
	atomic_store(&busy_L, L);
	if (timeout_ms) {
		atomic_store(&cpu_armed, true);
		arm(cpu_timer, CHECK_PERIOD_MS);
	}
	/* A stop signal between the count above and busy_L found no call to stop. */
	rl_watchdog_stop_signal();
}

void rl_watchdog_disarm(lua_State *L)
{
	/* First the flag: a check that comes after it no longer sets the hook again. */
	atomic_store(&unhooked, true);
	if (atomic_load(&hooked))
		lua_sethook(L, NULL, 0, 0);
}

enum rl_watchdog_verdict rl_watchdog_leave(void)
{
	lua_State *L = atomic_exchange(&busy_L, NULL);

	/* From here the signal handlers leave the state alone; a signal still pending
	 * finds no call. */
	if (atomic_exchange(&cpu_armed, false))
		arm(cpu_timer, 0);
	if (atomic_exchange(&stop_armed, false))
		arm(stop_timer, 0);
	/* A hook set as the call returned must not fire in the next one. */
	if (L)
		rl_watchdog_disarm(L);
	atomic_store(&hooked, false);
	return (enum rl_watchdog_verdict)atomic_exchange(&verdict, RL_WATCHDOG_NONE);
}

void rl_watchdog_stop(void)
{
	atomic_store(&busy_L, NULL);
	if (!atomic_exchange(&timers_made, false))
		return;
	timer_delete(cpu_timer);
	timer_delete(stop_timer);
	atomic_store(&cpu_armed, false);
	atomic_store(&stop_armed, false);
}
