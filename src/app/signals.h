/* The signals ringlua answers: SIGINT and SIGTERM ask it to stop, SIGHUP to reload the
 * script. Their handlers only set flags, which the loop and the watchdog read. */
#ifndef RINGLUA_SIGNALS_H
#define RINGLUA_SIGNALS_H

#include <signal.h>

/* What the signal handlers set: the one piece of state shared with them. */
struct rl_signals {
	volatile sig_atomic_t exiting;	/* stop requests (SIGINT/SIGTERM), counted: a
					 * second one interrupts on_exit */
	volatile sig_atomic_t reload;	/* SIGHUP */
};

/* Installs the handlers of SIGINT, SIGTERM and SIGHUP, and ignores SIGPIPE (a write to a
 * reader that went away fails instead). Returns the flags they set. */
struct rl_signals *rl_signals_install(void);

#endif
