#include "util/out_file.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/script_file.h"

/* Why the opened file st may not be written over, or NULL. A second hard link or
 * another user's ownership is how a file of someone else's ends up at a name we were
 * given (a link to /etc/shadow in /tmp, a file an attacker made there first). */
static const char *check_existing(const struct stat *st)
{
	if (!S_ISREG(st->st_mode))
		return "not a regular file";
	if (st->st_nlink != 1)
		return "it has more than one hard link";
	if (!rl_trusted_owner(st->st_uid))
		return "owned by a user other than root or the invoking user";
	return NULL;
}

int rl_out_file_open(const char *path, const char **why)
{
	/* A new file: O_EXCL never follows a link, even a dangling one. */
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	struct stat st;

	if (fd >= 0)
		return fd;
	/* An existing one: opened without truncating, without blocking (a FIFO with no
	 * reader), and not through a link; checked on the descriptor, then truncated. */
	if (errno == EEXIST)
		fd = open(path, O_WRONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		int err = errno;

		*why = err == ELOOP ? "it is a symbolic link" : strerror(err);
		return err == ELOOP ? -EPERM : -err;
	}
	*why = fstat(fd, &st) ? strerror(errno) : check_existing(&st);
	if (!*why && ftruncate(fd, 0))
		*why = strerror(errno);
	if (!*why)
		return fd;
	close(fd);
	return -EPERM;
}
