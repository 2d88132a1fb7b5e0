/* The watchdog: a handler that does not return would hang the trace, and a SIGINT that
 * arrives meanwhile would never be seen. A periodic SIGALRM checks how long the script
 * has been running; past the limit (or a while after SIGINT) it sets a Lua hook that
 * raises an error at the script's next instruction. Code that LuaJIT has compiled does
 * not run hooks: if the script is still stuck a limit later, the watchdog says so and
 * ends the process (the kernel detaches the BPF programs). */
#ifndef RINGLUA_WATCHDOG_H
#define RINGLUA_WATCHDOG_H

#include <signal.h>
#include <stdint.h>

struct lua_State;

enum rl_watchdog_verdict {
	RL_WATCHDOG_NONE,
	RL_WATCHDOG_TIMEOUT,	/* the script ran longer than the timeout */
	RL_WATCHDOG_INTERRUPT,	/* the script was still running after SIGINT/SIGTERM */
};

/* Starts checking: timeout_ms (0: no timeout, SIGINT is still answered), exiting counts
 * the stop signals. Returns 0 or -errno. */
int rl_watchdog_start(uint32_t timeout_ms, volatile sig_atomic_t *exiting);

/* Brackets every call into L: what names what runs (for the last-resort message).
 * leave returns what the watchdog did to the call: an error the call returned with was
 * raised by the watchdog when this is not RL_WATCHDOG_NONE. */
void rl_watchdog_enter(struct lua_State *L, const char *what);
enum rl_watchdog_verdict rl_watchdog_leave(void);

/* Removes the watchdog's hook from L, if it set one: the host's error handler does,
 * before it builds its report. */
void rl_watchdog_disarm(struct lua_State *L);

/* Stops the timer. */
void rl_watchdog_stop(void);

#endif
