/* A session: one run of ringlua from its options to its exit status. Live and replayed
 * runs are both sessions; they differ in what feeds the script (BPF objects and rings,
 * or a recording) and share the rest: the script, the loop, the finish.
 *
 *   rl_session_open    everything up to on_init: the script, what feeds it, the rings
 *   rl_session_run     the event loop, until a stop, a limit or the end of the feed
 *   rl_session_finish  on_exit, the summary line, and the exit status
 *   rl_session_close   releases all of it (also after a failed open) */
#ifndef RINGLUA_SESSION_H
#define RINGLUA_SESSION_H

#include "app/cli.h"

/* Exit statuses: 0 done, 1 failed, 2 the command line asked for something impossible. */
enum rl_exit { RL_EXIT_OK = 0, RL_EXIT_FAIL = 1, RL_EXIT_USAGE = 2 };

/* The one rule from an error to an exit status: -EDOM means the command line named
 * something the program or object does not have (a --set value, a --type), a usage
 * error; every other -errno is a failure. */
int rl_exit_status(int err);

struct rl_session;
struct rl_signals;

/* Opens the session opt describes, stopping at the first failure (printed). Returns 0,
 * or -errno; *out is set either way (NULL only without memory) and must be closed. */
int rl_session_open(struct rl_session **out, const struct rl_options *opt,
		    struct rl_signals *signals);

/* Runs the event loop until a stop signal, a limit, the end of the traced process or of
 * the recording. Returns 0 or -errno (printed). */
int rl_session_run(struct rl_session *s);

/* Ends the script after a run that returned err: on_exit and the summary line when it
 * ran to its end, and the exit status (os.exit's code when the script called it).
 * Accepts a session whose open failed (err is that failure). */
int rl_session_finish(struct rl_session *s, int err);

/* Releases the session. Accepts NULL. */
void rl_session_close(struct rl_session *s);

#endif
