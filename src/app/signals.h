/* The signals ringlua answers: SIGINT and SIGTERM ask it to stop, SIGHUP to reload the
 * script. Their handlers only set flags, which the loop and the watchdog read. Stop
 * signals that come close together (half a second) are one request; a second request
 * interrupts what the first one left running (on_exit). */
#ifndef RINGLUA_SIGNALS_H
#define RINGLUA_SIGNALS_H

#include <signal.h>

/* What the signal handlers set: the one piece of state shared with them. */
struct rl_signals {
	volatile sig_atomic_t exiting;	/* stop requests (SIGINT/SIGTERM), counted */
	volatile sig_atomic_t reload;	/* SIGHUP */
	/* An eventfd, readable from the first stop request on: a wait that watches it ends
	 * at once whenever the request came, also between a look at `exiting` and the
	 * wait, where the signal interrupts no wait. Never read. */
	int stop_fd;
};

/* Installs the handlers of SIGINT, SIGTERM and SIGHUP, and ignores SIGPIPE (a write to a
 * reader that went away fails instead); *out is the flags they set. Returns 0 or -errno
 * (no eventfd). */
int rl_signals_install(struct rl_signals **out);

#endif
