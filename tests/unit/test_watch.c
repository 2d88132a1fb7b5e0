/* Watching a script's directory for saves: each way of saving is reported once it is
 * complete, other files of the directory are not, and a save cuts a consumer's sleep
 * short through its wake descriptor. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "ring/ring.h"
#include "sim_ring.h"
#include "util/watch.h"

/* Far longer than a wakeup takes: a poll that reaches it was not woken. */
#define WAKE_TIMEOUT_MS 5000

static char dir[PATH_MAX], script[PATH_MAX + 16];

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

static char *in_dir(const char *name)
{
	static char path[PATH_MAX + 64];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return path;
}

/* A fresh watcher on a fresh script; NULL on failure. */
static struct rl_watch *watch_script(void)
{
	struct rl_watch *w = NULL;

	write_file(script, "return {}\n");
	if (rl_watch_open(&w) || rl_watch_add(w, script)) {
		rl_watch_close(w);
		return NULL;
	}
	return w;
}

static void test_rewrite_in_place_is_a_save(void)
{
	struct rl_watch *w = watch_script();

	CHECK(w);
	CHECK(rl_watch_saved(w) == 0);
	write_file(script, "return { v = 2 }\n");
	CHECK(rl_watch_saved(w) == 1);
	CHECK(rl_watch_saved(w) == 0); /* reported once */
	rl_watch_close(w);
}

static void test_rename_into_place_is_a_save(void)
{
	struct rl_watch *w = watch_script();
	char tmp[PATH_MAX + 64];

	CHECK(w);
	snprintf(tmp, sizeof(tmp), "%s", in_dir(".handler.lua.tmp"));
	write_file(tmp, "return { v = 3 }\n");
	CHECK(rl_watch_saved(w) == 0); /* the temporary file is not ours */
	CHECK(rename(tmp, script) == 0);
	CHECK(rl_watch_saved(w) == 1);
	rl_watch_close(w);
}

static void test_write_still_open_is_not_a_save(void)
{
	struct rl_watch *w = watch_script();
	int fd;

	CHECK(w);
	fd = open(script, O_WRONLY | O_TRUNC);
	CHECK(fd >= 0);
	CHECK(write(fd, "return", 6) == 6);
	CHECK(rl_watch_saved(w) == 0);
	CHECK(write(fd, " {}\n", 4) == 4);
	close(fd);
	CHECK(rl_watch_saved(w) == 1);
	rl_watch_close(w);
}

static void test_editor_litter_is_not_a_save(void)
{
	static const char *const litter[] = { ".handler.lua.swp", "handler.lua~", "#handler.lua#",
					      "4913", "handler.lua.bak" };
	struct rl_watch *w = watch_script();

	CHECK(w);
	for (size_t i = 0; i < sizeof(litter) / sizeof(litter[0]); i++) {
		write_file(in_dir(litter[i]), "x");
		CHECK(rl_watch_saved(w) == 0);
		unlink(in_dir(litter[i]));
	}
	rl_watch_close(w);
}

/* More notifications than the kernel queues (fs.inotify.max_queued_events): it drops the
 * rest, the script's save among them, and says only that it overflowed. */
static void test_a_queue_overflow_counts_as_a_save(void)
{
	struct rl_watch *w = watch_script();
	FILE *f = fopen("/proc/sys/fs/inotify/max_queued_events", "r");
	long max = 0;

	CHECK(w && f && fscanf(f, "%ld", &max) == 1 && max > 0);
	fclose(f);
	/* One file renamed back and forth: a notification per call, under two names in turn
	 * (the kernel merges only a repeat of the last event). */
	write_file(in_dir("litter.a"), "x");
	for (long i = 0; i <= max; i++) {
		char from[PATH_MAX + 64];

		snprintf(from, sizeof(from), "%s", in_dir(i & 1 ? "litter.b" : "litter.a"));
		CHECK(rename(from, in_dir(i & 1 ? "litter.a" : "litter.b")) == 0);
	}
	write_file(script, "return { v = 3 }\n"); /* dropped from the full queue */
	CHECK(rl_watch_saved(w) == 1);
	unlink(in_dir("litter.a"));
	unlink(in_dir("litter.b"));
	rl_watch_close(w);
}

static void test_adding_a_file_twice_reports_once(void)
{
	struct rl_watch *w = watch_script();

	CHECK(w);
	CHECK(rl_watch_add(w, script) == 0);
	write_file(script, "return {}\n");
	CHECK(rl_watch_saved(w) == 1);
	CHECK(rl_watch_saved(w) == 0);
	rl_watch_close(w);
}

static void test_a_missing_file_cannot_be_watched(void)
{
	struct rl_watch *w = NULL;

	CHECK(rl_watch_open(&w) == 0);
	CHECK(rl_watch_add(w, in_dir("no-such-file.lua")) == -ENOENT);
	rl_watch_close(w);
	rl_watch_close(NULL);
}

static void test_removed_directory_is_reported(void)
{
	struct rl_watch *w = NULL;
	char sub[PATH_MAX + 64], file[PATH_MAX + 80];

	snprintf(sub, sizeof(sub), "%s", in_dir("sub"));
	snprintf(file, sizeof(file), "%s/m.lua", sub);
	CHECK(mkdir(sub, 0755) == 0);
	write_file(file, "return 1\n");
	CHECK(rl_watch_open(&w) == 0);
	CHECK(rl_watch_add(w, file) == 0);
	unlink(file);
	rmdir(sub);
	CHECK(rl_watch_saved(w) == -ENOENT);
	CHECK(rl_watch_saved(w) == 0);
	rl_watch_close(w);
}

static int take_all(void *ctx, const struct rl_rec *recs, size_t n)
{
	(void)ctx;
	(void)recs;
	return (int)n;
}

static double elapsed_ms(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) * 1e3 + (t1.tv_nsec - t0->tv_nsec) / 1e6;
}

static void test_a_save_wakes_a_sleeping_poll(void)
{
	static struct rl_rec batch[16];
	struct rl_consumer_opts opts = { .batch = batch, .batch_cap = 16 };
	struct rl_consumer *c = NULL;
	struct sim_ring *sim = sim_ring_new(1 << 16);
	struct rl_watch *w = watch_script();
	struct timespec t0;

	CHECK(sim && w);
	CHECK(rl_consumer_open(&c, &opts) == 0);
	CHECK(rl_consumer_add_mem(c, &sim->mem, sim->wake_fd, take_all, NULL) == 0);
	CHECK(rl_consumer_add_wake_fd(c, rl_watch_fd(w)) == 0);
	write_file(script, "return { v = 4 }\n");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK(rl_consumer_poll(c, WAKE_TIMEOUT_MS) == 0);
	CHECK(elapsed_ms(&t0) < WAKE_TIMEOUT_MS / 2);
	CHECK(rl_watch_saved(w) == 1);
	rl_consumer_close(c);
	rl_watch_close(w);
	sim_ring_free(sim);
}

int main(void)
{
	char tmpl[] = "/tmp/ringlua_watch.XXXXXX";

	if (!mkdtemp(tmpl))
		return 1;
	snprintf(dir, sizeof(dir), "%s", tmpl);
	snprintf(script, sizeof(script), "%s/handler.lua", dir);
	RUN(test_rewrite_in_place_is_a_save);
	RUN(test_rename_into_place_is_a_save);
	RUN(test_write_still_open_is_not_a_save);
	RUN(test_editor_litter_is_not_a_save);
	RUN(test_a_queue_overflow_counts_as_a_save);
	RUN(test_adding_a_file_twice_reports_once);
	RUN(test_a_missing_file_cannot_be_watched);
	RUN(test_removed_directory_is_reported);
	RUN(test_a_save_wakes_a_sleeping_poll);
	unlink(script);
	rmdir(dir);
	return check_summary();
}
