#include "util/watch.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

/* A save is complete when the writer closes the file, or when a finished file is
 * renamed onto the name (sed -i, most editors). Modifications alone are a file still
 * being written. */
#define SAVE_EVENTS (IN_CLOSE_WRITE | IN_MOVED_TO)

struct watched {
	int wd;			/* the inotify watch of its directory */
	char *name;		/* its name in that directory */
};

struct rl_watch {
	int fd;
	struct watched *files;
	size_t nr_files;
};

int rl_watch_open(struct rl_watch **out)
{
	struct rl_watch *w = calloc(1, sizeof(*w));

	if (!w)
		return -ENOMEM;
	w->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (w->fd < 0) {
		int err = -errno;

		free(w);
		return err;
	}
	*out = w;
	return 0;
}

int rl_watch_fd(const struct rl_watch *w)
{
	return w->fd;
}

static bool is_watched(const struct rl_watch *w, int wd, const char *name)
{
	for (size_t i = 0; i < w->nr_files; i++)
		if (w->files[i].wd == wd && strcmp(w->files[i].name, name) == 0)
			return true;
	return false;
}

int rl_watch_add(struct rl_watch *w, const char *path)
{
	char dir[PATH_MAX];
	struct watched *files;
	char *slash, *name = NULL;
	int wd, err = 0;

	/* The file itself, not a symlink to it: saves go to the real file's directory. */
	if (!realpath(path, dir))
		return -errno;
	slash = strrchr(dir, '/');
	name = strdup(slash + 1);
	if (!name)
		return -ENOMEM;
	*(slash == dir ? slash + 1 : slash) = '\0';
	wd = inotify_add_watch(w->fd, dir, SAVE_EVENTS | IN_ONLYDIR);
	if (wd < 0) {
		err = -errno;
		goto out;
	}
	if (is_watched(w, wd, name))
		goto out;
	files = realloc(w->files, (w->nr_files + 1) * sizeof(*files));
	if (!files) {
		err = -ENOMEM;
		goto out;
	}
	w->files = files;
	files[w->nr_files++] = (struct watched){ .wd = wd, .name = name };
	name = NULL;
out:
	free(name);
	return err;
}

/* Forgets the files of a directory that is gone (its watch was removed by the kernel). */
static void forget_dir(struct rl_watch *w, int wd)
{
	size_t kept = 0;

	for (size_t i = 0; i < w->nr_files; i++) {
		if (w->files[i].wd == wd)
			free(w->files[i].name);
		else
			w->files[kept++] = w->files[i];
	}
	w->nr_files = kept;
}

int rl_watch_saved(struct rl_watch *w)
{
	/* Aligned as the kernel's records are. */
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	bool saved = false, dir_gone = false;
	ssize_t len;

	while ((len = read(w->fd, buf, sizeof(buf))) > 0) {
		for (char *p = buf; p < buf + len;) {
			const struct inotify_event *ev = (const struct inotify_event *)p;

			if ((ev->mask & SAVE_EVENTS) && ev->len && is_watched(w, ev->wd, ev->name))
				saved = true;
			/* The queue was full and events were dropped, ours perhaps among them:
			 * a reload of what did not change costs less than missing a save. */
			if (ev->mask & IN_Q_OVERFLOW)
				saved = true;
			/* The kernel drops the watch of a directory that was removed. */
			if (ev->mask & IN_IGNORED) {
				dir_gone = true;
				forget_dir(w, ev->wd);
			}
			p += sizeof(*ev) + ev->len;
		}
	}
	if (len < 0 && errno != EAGAIN && errno != EINTR)
		return -errno;
	if (saved)
		return 1;
	return dir_gone ? -ENOENT : 0;
}

void rl_watch_close(struct rl_watch *w)
{
	if (!w)
		return;
	for (size_t i = 0; i < w->nr_files; i++)
		free(w->files[i].name);
	free(w->files);
	if (w->fd >= 0)
		close(w->fd);
	free(w);
}
