#include "app/signals.h"

#include "lua/watchdog.h"

static struct rl_signals signals;

static void on_signal(int sig)
{
	if (sig == SIGHUP) {
		signals.reload = 1;
		return;
	}
	signals.exiting++;
	rl_watchdog_stop_signal();
}

struct rl_signals *rl_signals_install(void)
{
	/* SA_RESTART: a signal must not fail the script's write to a full pipe (stdio would
	 * drop what it holds). The waits that must wake, epoll_wait and nanosleep, end
	 * with EINTR even so (signal(7)). */
	struct sigaction sa = { .sa_handler = on_signal, .sa_flags = SA_RESTART };

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	return &signals;
}
