#include "util/script_file.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Scripts are source text; anything this large is a mistake, not a handler. */
#define MAX_SCRIPT_BYTES (64u << 20)

bool rl_trusted_owner(uid_t uid)
{
	const char *sudo_uid = getenv("SUDO_UID");

	return uid == 0 || uid == getuid() ||
	       (sudo_uid && strtoul(sudo_uid, NULL, 10) == (unsigned long)uid);
}

static const char *check_file(const struct stat *st)
{
	if (st->st_nlink != 1)
		return "it has more than one hard link";
	if (st->st_mode & (S_IWGRP | S_IWOTH))
		return "writable by group or others";
	if (!rl_trusted_owner(st->st_uid))
		return "owned by a user other than root or the invoking user";
	return NULL;
}

static const char *check_dir(const struct stat *st)
{
	if (!rl_trusted_owner(st->st_uid) ||
	    ((st->st_mode & (S_IWGRP | S_IWOTH)) && !(st->st_mode & S_ISVTX)))
		return "a directory above it is writable by someone else";
	return NULL;
}

/* Opens the directory that holds the opened file fd (whose stat is *file): the one the
 * kernel names for the descriptor, confirmed to hold that very inode, so that no later
 * lookup of the script's path by name can land somewhere else. Returns the directory's
 * O_PATH descriptor, or -1 with *why set. */
static int open_parent(int fd, const struct stat *file, const char **why)
{
	char link[32], path[PATH_MAX];
	struct stat st;
	ssize_t n;
	char *slash;
	int dir;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, path, sizeof(path) - 1);
	if (n <= 0 || n >= (ssize_t)sizeof(path) - 1 || path[0] != '/') {
		*why = "cannot resolve its path";
		return -1;
	}
	path[n] = '\0';
	slash = strrchr(path, '/');
	*slash = '\0';
	dir = open(slash == path ? "/" : path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dir < 0 || fstatat(dir, slash + 1, &st, AT_SYMLINK_NOFOLLOW) ||
	    st.st_dev != file->st_dev || st.st_ino != file->st_ino) {
		if (dir >= 0)
			close(dir);
		*why = "it was moved or removed while being opened";
		return -1;
	}
	return dir;
}

/* Every directory above the opened file, walked upwards by descriptor (`..` of each):
 * none may be writable by someone else, except sticky ones such as /tmp where others
 * cannot replace what is ours. */
static const char *check_dirs(int fd, const struct stat *file)
{
	const char *why = NULL;
	int dir = open_parent(fd, file, &why);

	while (dir >= 0) {
		struct stat st, up_st;
		int up;

		why = fstat(dir, &st) ? "cannot check its directories" : check_dir(&st);
		up = why ? -1 : openat(dir, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
		close(dir);
		dir = up;
		if (why)
			break;
		if (up < 0 || fstat(up, &up_st)) {
			why = "cannot check its directories";
			break;
		}
		if (up_st.st_dev == st.st_dev && up_st.st_ino == st.st_ino)
			break; /* the root is its own parent */
	}
	if (dir >= 0)
		close(dir);
	return why;
}

static int read_all(int fd, size_t size, char **text, size_t *len)
{
	char *buf = malloc(size + 1);
	size_t got = 0;

	if (!buf)
		return -ENOMEM;
	while (got < size) {
		ssize_t n = read(fd, buf + got, size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	buf[got] = '\0';
	*text = buf;
	*len = got;
	return 0;
}

/* Opens path for reading without blocking (opening a FIFO or a device could wait
 * forever) and, unless follow, not through a link as its last component: the link is
 * someone's, whatever the file it names. Returns the descriptor, or -errno with *why
 * set (-EPERM for a link). */
static int open_file(const char *path, bool follow, const char **why)
{
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | (follow ? 0 : O_NOFOLLOW));
	int err = errno;
	struct stat st;

	if (fd >= 0)
		return fd;
	if (err == ELOOP && !follow && !lstat(path, &st) && S_ISLNK(st.st_mode)) {
		*why = "it is a symbolic link";
		return -EPERM;
	}
	*why = strerror(err);
	return -err;
}

int rl_script_read(const char *path, bool unsafe_perms, char **text, size_t *len,
		   const char **why)
{
	struct stat st;
	int err = 0, fd;

	*why = NULL;
	fd = open_file(path, unsafe_perms, why);
	if (fd < 0) {
		err = fd;
	} else if (fstat(fd, &st)) {
		err = -errno;
		*why = strerror(errno);
	} else if (!S_ISREG(st.st_mode)) {
		err = -EINVAL;
		*why = "not a regular file";
	} else if (st.st_size > MAX_SCRIPT_BYTES) {
		err = -EFBIG;
		*why = "larger than 64 MiB";
	} else if (!unsafe_perms && ((*why = check_file(&st)) || (*why = check_dirs(fd, &st)))) {
		err = -EPERM;
	} else {
		err = read_all(fd, (size_t)st.st_size, text, len);
	}
	if (fd >= 0)
		close(fd);
	if (!err && *len > 0 && (*text)[0] == 0x1b) {
		free(*text);
		*why = "precompiled bytecode is refused: scripts load as text only";
		err = -ENOEXEC;
	}
	return err;
}

/* The entries of the open directory fd: each a regular file that passes check_file.
 * Returns 0, or -EPERM with *why set and the entry's name in bad. */
static int check_entries(int fd, const char *dir, char *bad, size_t len, const char **why)
{
	int dup_fd = dup(fd);
	DIR *d = dup_fd >= 0 ? fdopendir(dup_fd) : NULL;
	struct dirent *e;
	struct stat st;
	int err = 0;

	if (!d) {
		if (dup_fd >= 0)
			close(dup_fd);
		*why = "cannot read the directory";
		return -errno;
	}
	while (!err && (e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (fstatat(fd, e->d_name, &st, AT_SYMLINK_NOFOLLOW))
			*why = "cannot check it";
		else if (!S_ISREG(st.st_mode))
			*why = "not a regular file";
		else
			*why = check_file(&st);
		if (*why) {
			snprintf(bad, len, "%s/%s", dir, e->d_name);
			err = -EPERM;
		}
	}
	closedir(d);
	return err;
}

int rl_modules_check(const char *dir, char *bad, size_t len, const char **why)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;
	int err;

	snprintf(bad, len, "%s", dir);
	*why = NULL;
	if (fd < 0) {
		err = -errno;
		*why = strerror(errno);
		return err;
	}
	if (fstat(fd, &st))
		*why = "cannot check it";
	else if (!rl_trusted_owner(st.st_uid) || (st.st_mode & (S_IWGRP | S_IWOTH)))
		*why = "writable by someone other than root or the invoking user";
	else
		*why = check_dirs(fd, &st);
	err = *why ? -EPERM : check_entries(fd, dir, bad, len, why);
	close(fd);
	return err;
}
