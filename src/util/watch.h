/* Watching the files a script is made of, so that a save reloads it. Directories are
 * watched, not the files: editors that save by writing a new file and renaming it over
 * the old one would kill a watch on the file at their first save. */
#ifndef RINGLUA_WATCH_H
#define RINGLUA_WATCH_H

struct rl_watch;

/* Returns 0 and a watcher with no files in *out, or -errno. */
int rl_watch_open(struct rl_watch **out);

/* The descriptor to poll: readable when a watched directory changed. */
int rl_watch_fd(const struct rl_watch *w);

/* Watches path (through its directory). Adding a path twice is harmless.
 * Returns 0 or -errno. */
int rl_watch_add(struct rl_watch *w, const char *path);

/* Reads what the kernel reported, without blocking. Returns 1 if a watched file was
 * saved: closed after writing, or renamed into place. Other files of the directory
 * (temporary files, editor swap and backup files) and writes still in progress do not
 * count. A full notification queue (IN_Q_OVERFLOW: some events were lost) counts as a
 * save of every watched file. Returns 0 if nothing of ours was saved, or -errno. */
int rl_watch_saved(struct rl_watch *w);

/* Releases the watcher. Accepts NULL. */
void rl_watch_close(struct rl_watch *w);

#endif
