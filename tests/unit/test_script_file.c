/* The permission rule for scripts and modules (util/script_file.c): directories are
 * checked from the opened file upwards, never by looking its path up again, so a path
 * whose directory is swapped between the open and the check cannot pass off a file
 * from a directory others can write as one from a safe directory. */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "util/script_file.h"

/* Reads of a path whose directory flips between a safe and an unsafe one. */
#define RACE_READS 20000
/* Far longer than reading a FIFO takes when it is refused at once. */
#define FIFO_SECONDS 10

static char base[] = "/tmp/ringlua_script_file.XXXXXX";
static atomic_int flipping;

static int write_file(const char *path, const char *text, mode_t mode)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return -1;
	fputs(text, f);
	fclose(f);
	return chmod(path, mode);
}

static void in_base(char *buf, const char *name)
{
	snprintf(buf, PATH_MAX, "%s/%s", base, name);
}

/* good/ is safe, bad/ is writable by everyone (and not sticky); both hold s.lua. */
static int make_tree(void)
{
	char p[PATH_MAX];

	if (!mkdtemp(base) || chmod(base, 0755))
		return -1;
	in_base(p, "good");
	if (mkdir(p, 0755))
		return -1;
	in_base(p, "bad");
	if (mkdir(p, 0755) || chmod(p, 0777))
		return -1;
	in_base(p, "good/s.lua");
	if (write_file(p, "good", 0644))
		return -1;
	in_base(p, "bad/s.lua");
	if (write_file(p, "bad", 0644))
		return -1;
	in_base(p, "d");
	return symlink("good", p);
}

/* Points the link d at good/ and bad/ in turn, each swap atomic (a rename). */
static void *flip(void *arg)
{
	char tmp[PATH_MAX], link[PATH_MAX];

	(void)arg;
	in_base(tmp, "d.new");
	in_base(link, "d");
	for (int i = 0; atomic_load(&flipping); i++) {
		unlink(tmp);
		if (symlink(i & 1 ? "bad" : "good", tmp) || rename(tmp, link))
			break;
	}
	return NULL;
}

static int read_path(const char *name, char **text)
{
	char p[PATH_MAX];
	const char *why;
	size_t len;

	in_base(p, name);
	*text = NULL;
	return rl_script_read(p, false, text, &len, &why);
}

static void a_file_in_a_directory_others_can_write_is_refused(void)
{
	char *text;

	CHECK(read_path("good/s.lua", &text) == 0 && strcmp(text, "good") == 0);
	free(text);
	CHECK(read_path("bad/s.lua", &text) == -EPERM);
	CHECK(read_path("d/s.lua", &text) == 0); /* through the link, to good/ */
	free(text);
}

static void a_directory_swapped_while_reading_never_lets_the_unsafe_file_in(void)
{
	pthread_t t;
	int accepted_bad = 0, refused = 0;

	atomic_store(&flipping, 1);
	CHECK(pthread_create(&t, NULL, flip, NULL) == 0);
	for (int i = 0; i < RACE_READS; i++) {
		char *text;
		int err = read_path("d/s.lua", &text);

		if (err == 0 && strcmp(text, "bad") == 0)
			accepted_bad++;
		refused += err == -EPERM;
		free(text);
	}
	atomic_store(&flipping, 0);
	pthread_join(t, NULL);
	printf("reads: %d, of bad/ accepted: %d, refused: %d\n", RACE_READS, accepted_bad,
	       refused);
	CHECK(accepted_bad == 0);
}

/* A FIFO is refused without waiting for a writer, with or without the checks; a
 * link at the file's name is refused unless the checks are off. */
static void a_fifo_or_a_link_is_refused_before_anything_is_read(void)
{
	char p[PATH_MAX], *text;
	const char *why;
	size_t len;

	in_base(p, "good/fifo.lua");
	CHECK(mkfifo(p, 0644) == 0);
	alarm(FIFO_SECONDS); /* a blocking open ends the test here */
	CHECK(rl_script_read(p, false, &text, &len, &why) == -EINVAL);
	CHECK(strcmp(why, "not a regular file") == 0);
	CHECK(rl_script_read(p, true, &text, &len, &why) == -EINVAL);
	alarm(0);
	in_base(p, "good/link.lua");
	CHECK(symlink("s.lua", p) == 0);
	CHECK(rl_script_read(p, false, &text, &len, &why) == -EPERM);
	CHECK(strcmp(why, "it is a symbolic link") == 0);
	CHECK(rl_script_read(p, true, &text, &len, &why) == 0 && strcmp(text, "good") == 0);
	free(text);
}

static void remove_tree(void)
{
	static const char *const names[] = { "good/s.lua", "bad/s.lua", "good/fifo.lua",
					     "good/link.lua", "good", "bad", "d", "d.new" };
	char p[PATH_MAX];

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		in_base(p, names[i]);
		remove(p);
	}
	rmdir(base);
}

int main(void)
{
	if (make_tree()) {
		perror("test_script_file: cannot make its tree");
		return 1;
	}
	RUN(a_file_in_a_directory_others_can_write_is_refused);
	RUN(a_directory_swapped_while_reading_never_lets_the_unsafe_file_in);
	RUN(a_fifo_or_a_link_is_refused_before_anything_is_read);
	remove_tree();
	return check_summary();
}
