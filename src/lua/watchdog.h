/* The watchdog: a handler that does not return would hang the trace, and a SIGINT that
 * arrives meanwhile would never be seen. Two timers of this thread check the script, and
 * only while a call into Lua runs: one on the thread's CPU clock measures the CPU time
 * of each handler call (a record of a batch starts a new one), so time blocked in a
 * system call (a write to a paused pipe) never counts; the other, on the wall clock, is
 * armed by a stop signal that came during the call. Past the limit (or a grace after
 * the stop signal) the watchdog sets a Lua hook that raises an error at the script's next
 * instruction. Code that LuaJIT has compiled does not run hooks: if the script is still
 * stuck a limit later, the watchdog says so and ends the process (the kernel detaches
 * the BPF programs). Between calls nothing is armed: no signal interrupts the loading of
 * BPF objects, and an idle ringlua takes no wakeups. */
#ifndef RINGLUA_WATCHDOG_H
#define RINGLUA_WATCHDOG_H

#include <signal.h>
#include <stdint.h>

struct lua_State;

enum rl_watchdog_verdict {
	RL_WATCHDOG_NONE,
	RL_WATCHDOG_TIMEOUT,	/* a handler call used more CPU time than the timeout */
	RL_WATCHDOG_INTERRUPT,	/* the script was still running after SIGINT/SIGTERM */
};

/* Sets up the timers of the calling thread, the one that calls into Lua, without arming
 * them: timeout_ms of CPU time per handler call (0: no timeout, SIGINT is still
 * answered); exiting counts the stop signals. Returns 0 or -errno. */
int rl_watchdog_start(uint32_t timeout_ms, volatile sig_atomic_t *exiting);

/* Brackets every call into L: what names what runs (for the last-resort message);
 * progress, when not NULL, is the index of the record being handled: each new value
 * starts a new handler call for the timeout. leave returns what the watchdog did to the
 * call: an error the call returned with was raised by the watchdog when this is not
 * RL_WATCHDOG_NONE. */
void rl_watchdog_enter(struct lua_State *L, const char *what,
		       const volatile int32_t *progress);
enum rl_watchdog_verdict rl_watchdog_leave(void);

/* To be called by the handler of SIGINT/SIGTERM once it has counted the signal
 * (async-signal-safe): a call into Lua running now is interrupted if it is still running
 * after a grace, even if it is blocked in a system call. */
void rl_watchdog_stop_signal(void);

/* Removes the watchdog's hook from L, if it set one: the host's error handler does,
 * before it builds its report. */
void rl_watchdog_disarm(struct lua_State *L);

/* Disarms and deletes the timers. */
void rl_watchdog_stop(void);

#endif
