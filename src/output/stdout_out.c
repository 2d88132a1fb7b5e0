#include "output/stdout_out.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <unistd.h>

/* Into a pipe or a file stdout is block-buffered, and a script need not set line
 * buffering: every tick hands it over, so output arrives within an interval (within the
 * longer of the interval and --latency), at one write per interval rather than per
 * event. */
static int flush_at_tick(void *ctx, const struct rl_run_view *v)
{
	(void)ctx;
	(void)v;
	fflush(stdout);
	return 0;
}

/* Whether the output can still be written: then there is no point going on. Its
 * reader went away (`ringlua ... | head -1`): a normal end; writing failed otherwise (a
 * full disk): a failure. stdio keeps the error, so one check per poll sees it. */
static int check_reader(void *ctx, const struct rl_run_view *v)
{
	struct pollfd out = { .fd = STDOUT_FILENO };

	(void)ctx;
	(void)v;
	if (!ferror(stdout))
		return 0;
	/* A pipe whose reading end was closed polls as an error. */
	if (poll(&out, 1, 0) == 1 && (out.revents & POLLERR)) {
		fprintf(stderr, "ringlua: the reader of standard output went away; stopping\n");
		return RL_OUTPUT_STOP;
	}
	return -EIO;
}

const struct rl_output_ops rl_stdout_ops = {
	.poll = check_reader,
	.tick = flush_at_tick,
};
