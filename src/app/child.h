/* -c CMD: a command ringlua starts and traces from its first instruction. It is forked
 * first and held until the BPF programs are attached with its pid as their filter, then
 * released to run. */
#ifndef RINGLUA_CHILD_H
#define RINGLUA_CHILD_H

#include <sys/types.h>

struct rl_child {
	pid_t pid;	/* 0: none */
	int go_fd;	/* written to release it; -1 once released */
};

/* Forks the child of command, split into words as a shell would (quotes, variables;
 * no pipes, `;` or command substitution: run `sh -c '...'` for those), held before
 * exec. Returns 0, -EINVAL for a command that does not split, or -errno. */
int rl_child_spawn(struct rl_child *c, const char *command);

/* Lets the child exec its command. Returns 0 or -errno. */
int rl_child_release(struct rl_child *c);

/* Ends the child: one never released exits without running; one still running gets
 * SIGTERM. Reaps it. Accepts a child that was never spawned. */
void rl_child_end(struct rl_child *c);

#endif
