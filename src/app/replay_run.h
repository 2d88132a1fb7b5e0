/* --replay FILE: a script run on a recording, without root and without BPF. */
#ifndef RINGLUA_REPLAY_RUN_H
#define RINGLUA_REPLAY_RUN_H

#include <signal.h>

#include "app/cli.h"

struct rl_lua_opts;

/* Runs the script on the recording opt->replay: as fast as it goes, or at the pace it
 * was recorded with opt->realtime; on_tick every --interval of recorded time. lua: the
 * Lua host's options as the command line sets them (the recording gives the rings and
 * the batch array is the replay's); exiting: the stop signals' counter. Returns the exit status (failures printed). */
int rl_replay_run(const struct rl_options *opt, const struct rl_lua_opts *lua,
		  volatile sig_atomic_t *exiting);

#endif
