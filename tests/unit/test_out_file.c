/* Opening -o's file as root (util/out_file.c): a new file, or an existing regular file of
 * root's or the invoking user's with one link, truncated only once it passed; never a
 * link, a second hard link, a FIFO (without blocking) or another user's file. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "util/out_file.h"

/* A user id that is neither root nor the one running the test. */
#define OTHER_UID 65534

static char base[] = "/tmp/ringlua_out_file.XXXXXX";

/* base/name, in a static buffer. */
static const char *in_base(const char *name)
{
	static char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", base, name);
	return path;
}

static int write_text(const char *name, const char *text)
{
	FILE *f = fopen(in_base(name), "w");

	if (!f)
		return -1;
	fputs(text, f);
	return fclose(f);
}

static off_t size_of(const char *name)
{
	struct stat st;

	return stat(in_base(name), &st) ? -1 : st.st_size;
}

/* Opens name and expects a refusal with why; the file keeps its size. */
static int refused(const char *name, const char *why)
{
	off_t before = size_of(name);
	const char *got = NULL;
	int fd = rl_out_file_open(in_base(name), &got);

	if (fd >= 0) {
		close(fd);
		return 0;
	}
	return got && strstr(got, why) && size_of(name) == before;
}

static void test_a_new_file_is_created(void)
{
	const char *why = NULL;
	int fd = rl_out_file_open(in_base("new"), &why);
	struct stat st;

	CHECK(fd >= 0);
	CHECK(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	CHECK(fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 0);
	close(fd);
}

static void test_an_own_file_is_truncated(void)
{
	const char *why = NULL;
	int fd;

	CHECK(write_text("own", "old contents") == 0);
	fd = rl_out_file_open(in_base("own"), &why);
	CHECK(fd >= 0);
	close(fd);
	CHECK(size_of("own") == 0);
}

static void test_links_fifos_and_directories_are_refused(void)
{
	char target[PATH_MAX], nowhere[PATH_MAX];

	snprintf(target, sizeof(target), "%s", in_base("target"));
	snprintf(nowhere, sizeof(nowhere), "%s", in_base("nowhere"));
	CHECK(write_text("target", "kept") == 0);
	CHECK(symlink(target, in_base("symlink")) == 0);
	CHECK(symlink(nowhere, in_base("dangling")) == 0);
	CHECK(link(target, in_base("hard")) == 0);
	CHECK(mkfifo(in_base("fifo"), 0644) == 0);
	CHECK(mkdir(in_base("dir"), 0755) == 0);
	CHECK(refused("symlink", "symbolic link"));
	CHECK(refused("dangling", "symbolic link"));
	CHECK(access(in_base("nowhere"), F_OK) != 0);
	CHECK(refused("hard", "more than one hard link"));
	CHECK(refused("fifo", "No such device or address")); /* no reader: at once */
	CHECK(refused("dir", "Is a directory"));
	CHECK(size_of("target") == 4);
}

static void test_another_users_file_is_refused(void)
{
	if (geteuid() != 0) /* only root can give a file away */
		return;
	CHECK(write_text("theirs", "theirs") == 0);
	CHECK(chown(in_base("theirs"), OTHER_UID, OTHER_UID) == 0);
	CHECK(refused("theirs", "owned by a user other than root or the invoking user"));
}

int main(void)
{
	static const char *const names[] = { "new", "own", "target", "symlink", "dangling",
					     "hard", "fifo", "theirs" };

	if (!mkdtemp(base))
		return 1;
	unsetenv("SUDO_UID");
	RUN(test_a_new_file_is_created);
	RUN(test_an_own_file_is_truncated);
	RUN(test_links_fifos_and_directories_are_refused);
	RUN(test_another_users_file_is_refused);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		unlink(in_base(names[i]));
	rmdir(in_base("dir"));
	rmdir(base);
	return check_summary();
}
