#include "app/signals.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "lua/watchdog.h"
#include "util/clock.h"

/* A stop signal this soon after the last one counted is the same request: `timeout`
 * sends its signal to ringlua and then to its whole process group, and a ^C reaches
 * every process of the terminal's foreground group, some of which pass it on. Whoever
 * means a second request (to cut a slow on_exit short) sends it later than this. */
#define SAME_REQUEST_MS 500

static struct rl_signals signals = { .stop_fd = -1 };
static uint64_t last_request_ms;	/* when the last stop request was counted */

/* Counts a stop signal that came at now_ms as a new request, unless it belongs to the
 * last one. Returns whether it counted. */
static bool count_stop(uint64_t now_ms)
{
	if (signals.exiting && now_ms - last_request_ms < SAME_REQUEST_MS)
		return false;
	last_request_ms = now_ms;
	signals.exiting++;
	return true;
}

/* Async-signal-safe: flags, clock_gettime(2) and write(2), and the watchdog's own
 * signal-safe call. The handlers block each other (sa_mask), so they never overlap. */
static void on_signal(int sig)
{
	uint64_t one = 1;
	int saved_errno = errno;

	if (sig == SIGHUP) {
		signals.reload = 1;
		return;
	}
	if (count_stop(rl_now_ms())) {
		(void)!write(signals.stop_fd, &one, sizeof(one));
		rl_watchdog_stop_signal();
	}
	errno = saved_errno;
}

int rl_signals_install(struct rl_signals **out)
{
	/* SA_RESTART: a signal must not fail the script's write to a full pipe (stdio would
	 * drop what it holds). The waits that must wake, epoll_wait and nanosleep, end
	 * with EINTR even so (signal(7)); and the loop's by stop_fd, whenever it came. */
	struct sigaction sa = { .sa_handler = on_signal, .sa_flags = SA_RESTART };

	sigemptyset(&sa.sa_mask);
	sigaddset(&sa.sa_mask, SIGINT);
	sigaddset(&sa.sa_mask, SIGTERM);
	sigaddset(&sa.sa_mask, SIGHUP);
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
