/* ringlua: consume BPF ring buffers and hand every event to a LuaJIT script. */
#include <stdio.h>
#include <string.h>

#include "app/cli.h"
#include "app/list.h"
#include "app/session.h"
#include "app/signals.h"
#include "kernel/libbpf_log.h"
#include "kernel/system.h"

int main(int argc, char **argv)
{
	struct rl_options opt;
	struct rl_session *session = NULL;
	struct rl_signals *signals;
	int err, status;

	/* Options; --help and --version end here. */
	if (rl_cli_parse(&opt, argc, argv))
		return RL_EXIT_USAGE;
	if (opt.help) {
		rl_cli_usage(stdout);
		return RL_EXIT_OK;
	}
	if (opt.version) {
		printf("ringlua %s\n", RINGLUA_VERSION);
		return RL_EXIT_OK;
	}
	/* -l: the probes there are, and their fields with -v (uprobes need no root). */
	if (opt.list)
		return rl_list_probes(stdout, opt.script, opt.verbose) ? RL_EXIT_FAIL : RL_EXIT_OK;
	/* libbpf's own messages with -v; without, ringlua says what failed in one line. */
	rl_libbpf_log_init(opt.verbose);

	/* Privileges: without them nothing else matters (a replay needs none). */
	if (!opt.replay && !rl_can_trace()) {
		fprintf(stderr, "ringlua: needs root (CAP_BPF and CAP_PERFMON, or "
				"CAP_SYS_ADMIN) to use BPF\n");
		return RL_EXIT_FAIL;
	}

	/* The script and what feeds it, up to on_init; then events until a stop, a limit
	 * or the end of what is traced; then on_exit, the summary and the exit status. */
	err = rl_signals_install(&signals);
	if (err)
		fprintf(stderr, "ringlua: cannot set up the stop signals: %s\n", strerror(-err));
	if (!err)
		err = rl_session_open(&session, &opt, signals);
	if (!err)
		err = rl_session_run(session);
	status = rl_session_finish(session, err);
	rl_session_close(session);
	return status;
}
