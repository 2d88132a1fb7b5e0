#include "app/child.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <wordexp.h>

/* The exit code of a child whose command could not run, as a shell uses. */
#define EXIT_NOT_RUN 127

/* In the child: wait for the go byte, then become the command. */
static void run_when_released(int go_fd, const char *const *argv)
{
	char go;

	/* ringlua ignores SIGPIPE; the command must not inherit that. */
	signal(SIGPIPE, SIG_DFL);
	if (read(go_fd, &go, 1) != 1)
		_exit(EXIT_NOT_RUN);
	close(go_fd);
	execvp(argv[0], (char *const *)argv);
	fprintf(stderr, "ringlua: -c: cannot run %s: %s\n", argv[0], strerror(errno));
	_exit(EXIT_NOT_RUN);
}

int rl_child_spawn(struct rl_child *c, const char *command)
{
	/* Zeroed: wordexp leaves it as it was on most errors, and wordfree frees its
	 * words, none then. */
	wordexp_t words = { 0 };
	int fds[2], err = 0;

	c->pid = 0;
	c->go_fd = -1;
	/* Words as a shell splits them, quotes and all; no command substitution. */
	if (wordexp(command, &words, WRDE_NOCMD) || words.we_wordc == 0) {
		wordfree(&words);
		return -EINVAL;
	}
	if (pipe2(fds, O_CLOEXEC)) {
		err = -errno;
		goto out;
	}
	c->pid = fork();
	if (c->pid == 0) {
		close(fds[1]);
		run_when_released(fds[0], (const char *const *)words.we_wordv);
	}
	if (c->pid < 0) {
		err = -errno;
		c->pid = 0;
		close(fds[1]);
	} else {
		c->go_fd = fds[1];
	}
	close(fds[0]);
out:
	wordfree(&words);
	return err;
}

int rl_child_release(struct rl_child *c)
{
	int err = write(c->go_fd, "g", 1) == 1 ? 0 : -errno;

	close(c->go_fd);
	c->go_fd = -1;
	return err;
}

void rl_child_end(struct rl_child *c)
{
	if (c->go_fd >= 0) {
		close(c->go_fd); /* never released: it exits on the closed pipe */
		c->go_fd = -1;
	} else if (c->pid > 0 && waitpid(c->pid, NULL, WNOHANG) == 0) {
		kill(c->pid, SIGTERM);
	} else {
		c->pid = 0; /* reaped just now, or never spawned */
	}
	if (c->pid > 0)
		waitpid(c->pid, NULL, 0);
	c->pid = 0;
}
