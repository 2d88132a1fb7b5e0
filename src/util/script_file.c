#include "util/script_file.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Scripts are source text; anything this large is a mistake, not a handler. */
#define MAX_SCRIPT_BYTES (64u << 20)

/* Root, the real user, or the user sudo was invoked by. */
static bool trusted_owner(uid_t uid)
{
	const char *sudo_uid = getenv("SUDO_UID");

	return uid == 0 || uid == getuid() ||
	       (sudo_uid && strtoul(sudo_uid, NULL, 10) == (unsigned long)uid);
}

static const char *check_file(const struct stat *st)
{
	if (!S_ISREG(st->st_mode))
		return "not a regular file";
	if (st->st_nlink != 1)
		return "it has more than one hard link";
	if (st->st_mode & (S_IWGRP | S_IWOTH))
		return "writable by group or others";
	if (!trusted_owner(st->st_uid))
		return "owned by a user other than root or the invoking user";
	return NULL;
}

/* Every directory above the file: none may be writable by someone else, except sticky
 * ones such as /tmp where others cannot replace what is ours. */
static const char *check_dirs(const char *path)
{
	char real[PATH_MAX];
	char *slash;
	struct stat st;

	if (!realpath(path, real))
		return "cannot resolve its path";
	while ((slash = strrchr(real, '/')) != NULL) {
		*(slash == real ? slash + 1 : slash) = '\0';
		if (stat(real, &st))
			return "cannot check its directories";
		if (!trusted_owner(st.st_uid) ||
		    ((st.st_mode & (S_IWGRP | S_IWOTH)) && !(st.st_mode & S_ISVTX)))
			return "a directory above it is writable by someone else";
		if (slash == real)
			break;
	}
	return NULL;
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

int rl_script_read(const char *path, bool unsafe_perms, char **text, size_t *len,
		   const char **why)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	int err = 0;

	*why = NULL;
	if (fd < 0 || fstat(fd, &st)) {
		err = -errno;
		*why = strerror(errno);
	} else if (st.st_size > MAX_SCRIPT_BYTES) {
		err = -EFBIG;
		*why = "larger than 64 MiB";
	} else if (!unsafe_perms && ((*why = check_file(&st)) || (*why = check_dirs(path)))) {
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
