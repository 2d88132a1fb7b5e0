#include "output/record_out.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "record/recording.h"
#include "util/clock.h"

/* The time a recording's entries are stamped with. */
static uint64_t recording_now(void)
{
	return rl_now_us() * 1000;
}

/* Returns -ECANCELED, said, when err says the write failed. */
static int written(int err)
{
	if (!err)
		return 0;
	fprintf(stderr, "ringlua: --record: cannot write the recording: %s\n", strerror(errno));
	return -ECANCELED;
}

static int mark_start(void *ctx, const struct rl_run_view *v)
{
	(void)v;
	return written(rl_recorder_mark(ctx, RL_MARK_START, recording_now()));
}

/* After the records handled before it. */
static int mark_tick(void *ctx, const struct rl_run_view *v)
{
	(void)v;
	return written(rl_recorder_mark(ctx, RL_MARK_TICK, recording_now()));
}

static int mark_stop(void *ctx, const struct rl_run_view *v)
{
	(void)v;
	return written(rl_recorder_mark(ctx, RL_MARK_STOP, recording_now()));
}

static int write_batch(void *ctx, const struct rl_rec *recs, size_t n)
{
	return written(rl_recorder_write(ctx, recs, n, recording_now()));
}

const struct rl_output_ops rl_record_out_ops = {
	.start = mark_start,
	.batch = write_batch,
	.tick = mark_tick,
	.stop = mark_stop,
};
