/* --replay FILE: a script run on a recording, without root and without BPF. */
#ifndef RINGLUA_REPLAY_RUN_H
#define RINGLUA_REPLAY_RUN_H

#include <signal.h>

#include "cli.h"

/* Runs opt->script on the recording opt->replay: as fast as it goes, or at the pace it
 * was recorded with opt->realtime; on_tick every --interval of recorded time. exiting
 * is the stop signals' counter. Returns the exit status (failures printed). */
int rl_replay_run(const struct rl_options *opt, const char *lua_dir,
		  volatile sig_atomic_t *exiting);

#endif
