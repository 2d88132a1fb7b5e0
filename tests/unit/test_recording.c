/* Recordings through the recorder and the reader (record/recording.h): records and
 * clock marks come back in order, a mark is an entry of its own, and a format 3
 * stream whose clock is out of order is refused at the entry that breaks it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "record/recording.h"

static char dir[] = "/tmp/test_recording.XXXXXX";
static int nr_paths;
static const uint8_t payload[8] = "ringlua";

/* The i-th path in the test's directory. */
static const char *path_of(int i)
{
	static char path[64];

	snprintf(path, sizeof(path), "%s/%d.rec", dir, i);
	return path;
}

/* A fresh path: recordings are always new files. */
static const char *new_path(void)
{
	return path_of(nr_paths++);
}

/* Writes a --pin recording: a record of ring 0 where marks[i] is RL_MARK_NONE, else
 * that mark, at times[i]. Returns 0 or -errno. */
static int write_entries(const char *path, const enum rl_mark *marks, const uint64_t *times,
			 size_t n)
{
	struct rl_recording_meta m = { .source = "pin", .nr_rings = 1 };
	struct rl_rec rec = { .data = payload, .len = sizeof(payload), .ring = 0 };
	struct rl_recorder *r = NULL;
	int err, close_err;

	m.rings[0] = (struct rl_recording_ring){ "events", "" };
	err = rl_recorder_open(&r, path, &m);
	for (size_t i = 0; !err && i < n; i++)
		err = marks[i] ? rl_recorder_mark(r, marks[i], times[i]) :
				 rl_recorder_write(r, &rec, 1, times[i]);
	close_err = rl_recorder_close(r);
	return err ? err : close_err;
}

/* Two records of one time make one batch; the tick between them and the next record
 * is an entry of its own. */
static void test_marks_between_records(void)
{
	const enum rl_mark marks[] = { RL_MARK_START, RL_MARK_NONE, RL_MARK_NONE,
				       RL_MARK_TICK, RL_MARK_NONE, RL_MARK_STOP };
	const uint64_t times[] = { 10, 20, 20, 30, 30, 40 };
	const char *path = new_path(), *why;
	struct rl_replay *r = NULL;
	struct rl_rec batch[8];
	enum rl_mark mark;
	uint64_t t;

	CHECK(write_entries(path, marks, times, 6) == 0);
	CHECK(rl_replay_open(&r, path, &why) == 0);
	CHECK(rl_replay_next(r, batch, 8, &t, &mark, &why) == 0);
	CHECK(mark == RL_MARK_START && t == 10);
	CHECK(rl_replay_next(r, batch, 8, &t, &mark, &why) == 2);
	CHECK(mark == RL_MARK_NONE && t == 20 && !memcmp(batch[1].data, payload, 8));
	CHECK(rl_replay_next(r, batch, 8, &t, &mark, &why) == 0);
	CHECK(mark == RL_MARK_TICK && t == 30);
	CHECK(rl_replay_next(r, batch, 8, &t, &mark, &why) == 1);
	CHECK(mark == RL_MARK_NONE && t == 30);
	CHECK(rl_replay_next(r, batch, 8, &t, &mark, &why) == 0);
	CHECK(mark == RL_MARK_STOP && t == 40);
	CHECK(rl_replay_next(r, batch, 8, &t, &mark, &why) == 0);
	CHECK(mark == RL_MARK_NONE);
	rl_replay_close(r);
}

/* Entries 0..n-1 are read, then the next one is refused, saying want. */
static void expect_refused(const enum rl_mark *marks, const uint64_t *times, size_t n,
			   size_t good, const char *want)
{
	const char *path = new_path(), *why = NULL;
	struct rl_replay *r = NULL;
	struct rl_rec batch[1];
	enum rl_mark mark;
	uint64_t t;

	CHECK(write_entries(path, marks, times, n) == 0);
	CHECK(rl_replay_open(&r, path, &why) == 0);
	for (size_t i = 0; i < good; i++)
		CHECK(rl_replay_next(r, batch, 1, &t, &mark, &why) >= 0);
	CHECK(rl_replay_next(r, batch, 1, &t, &mark, &why) == -EBADMSG);
	CHECK(why && !strcmp(why, want));
	rl_replay_close(r);
}

static void test_out_of_order(void)
{
	const enum rl_mark no_start[] = { RL_MARK_NONE, RL_MARK_START };
	const enum rl_mark two_starts[] = { RL_MARK_START, RL_MARK_START };
	const enum rl_mark after_stop[] = { RL_MARK_START, RL_MARK_STOP, RL_MARK_TICK };
	const enum rl_mark back[] = { RL_MARK_START, RL_MARK_TICK, RL_MARK_NONE };
	const uint64_t times[] = { 5, 6, 7 }, back_times[] = { 5, UINT64_MAX, 6 };

	expect_refused(no_start, times, 2, 0, "its first entry is not its start mark");
	expect_refused(two_starts, times, 2, 1, "it has a second start mark");
	expect_refused(after_stop, times, 3, 1, "it goes on after its stop mark");
	expect_refused(back, back_times, 3, 2, "its times go backwards");
}

int main(void)
{
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	RUN(test_marks_between_records);
	RUN(test_out_of_order);
	for (int i = 0; i < nr_paths; i++)
		unlink(path_of(i));
	rmdir(dir);
	return check_summary();
}
