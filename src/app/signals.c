#include "app/signals.h"

#include <errno.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "lua/watchdog.h"

static struct rl_signals signals = { .stop_fd = -1 };

/* Async-signal-safe: flags, write(2), and the watchdog's own signal-safe call. */
static void on_signal(int sig)
{
	uint64_t one = 1;
	int saved_errno = errno;

	if (sig == SIGHUP) {
		signals.reload = 1;
		return;
	}
	signals.exiting++;
	(void)!write(signals.stop_fd, &one, sizeof(one));
	rl_watchdog_stop_signal();
	errno = saved_errno;
}

int rl_signals_install(struct rl_signals **out)
{
	/* SA_RESTART: a signal must not fail the script's write to a full pipe (stdio would
	 * drop what it holds). The waits that must wake, epoll_wait and nanosleep, end
	 * with EINTR even so (signal(7)); and the loop's by stop_fd, whenever it came. */
	struct sigaction sa = { .sa_handler = on_signal, .sa_flags = SA_RESTART };

	*out = &signals;
	if (signals.stop_fd < 0)
		signals.stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (signals.stop_fd < 0)
		return -errno;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	return 0;
}
