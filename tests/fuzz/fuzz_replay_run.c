/* Fuzzing whole replays: each input is a recording, replayed as `ringlua --replay FILE
 * replay_decode.lua` replays it, in this process: the options parsed by rl_cli_parse,
 * then rl_session_open, rl_session_run, rl_session_finish and rl_session_close, as
 * main.c calls them. So the script runs in a real LuaJIT state of the host's, with
 * the recording's types declared by ffi.cdef from its BTF, its decoders installed, on_tick
 * called at its clock marks (or every interval of a format 2 recording's time), and
 * every record handed to replay_decode.lua, which decodes it every way ringlua offers.
 * Runs without CAP_BPF, as a replay by any user does.
 *
 * Whatever the input: no crash, no hang, no leak (each run frees what it made), and no
 * read past a record. The last one needs more than ASan: the records are read by LuaJIT,
 * whose loads ASan does not see, and in the file they sit just before the next entry.
 * So every batch is copied before the script gets it, each record to the end of a page
 * followed by one that cannot be read: a read past a record's last byte faults. */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>
#include <bpf/libbpf.h>

#include "app/cli.h"
#include "app/loop.h"
#include "app/session.h"
#include "app/signals.h"
#include "caps.h"
#include "ring/rec.h"

/* Each record of a batch gets a slot: SLOT_PAGES pages it ends at, then a guard page. A
 * longer record gets a mapping of its own for its batch. */
#define SLOT_PAGES 1

static size_t page;
static uint8_t *slots;			/* RL_BATCH_CAP slots, each with its guard */
static struct rl_rec copies[RL_BATCH_CAP];
static struct rl_signals signals = { .stop_fd = -1 };

/* The linker (--wrap) sends replay_run.c's calls of rl_loop_batch here. */
int __real_rl_loop_batch(void *ctx, const struct rl_rec *recs, size_t n);
int __wrap_rl_loop_batch(void *ctx, const struct rl_rec *recs, size_t n);

static size_t slot_size(void)
{
	return (SLOT_PAGES + 1) * page;
}

/* A mapping of len bytes and a guard page after them; the guard's address. */
static uint8_t *map_guarded(size_t len)
{
	uint8_t *m = mmap(NULL, len + page, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (m == MAP_FAILED || mprotect(m + len, page, PROT_NONE))
		abort();
	return m + len;
}

static size_t round_up(size_t len)
{
	return (len + page - 1) / page * page;
}

/* Copies recs[0..n-1] into copies, each record to end where a guard page begins, and
 * hands those to the loop as the replay would have handed the originals. */
int __wrap_rl_loop_batch(void *ctx, const struct rl_rec *recs, size_t n)
{
	uint8_t *own[RL_BATCH_CAP];
	int done;

	if (n > RL_BATCH_CAP)
		abort(); /* the session's batches are of at most this many */
	for (size_t i = 0; i < n; i++) {
		uint8_t *end = recs[i].len <= SLOT_PAGES * page ?
			       slots + i * slot_size() + SLOT_PAGES * page : NULL;

		own[i] = end ? NULL : map_guarded(round_up(recs[i].len));
		end = end ? end : own[i];
		memcpy(end - recs[i].len, recs[i].data, recs[i].len);
		copies[i] = (struct rl_rec){ .data = end - recs[i].len, .len = recs[i].len,
					     .ring = recs[i].ring };
	}
	done = __real_rl_loop_batch(ctx, copies, n);
	for (size_t i = 0; i < n; i++)
		if (own[i])
			munmap(own[i] - round_up(copies[i].len), round_up(copies[i].len) + page);
	return done;
}

int LLVMFuzzerInitialize(int *argc, char **argv[])
{
	(void)argc;
	(void)argv;
	libbpf_set_print(NULL);
	if (drop_bpf_caps())
		abort();
	page = (size_t)sysconf(_SC_PAGESIZE);
	slots = mmap(NULL, RL_BATCH_CAP * slot_size(), PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (slots == MAP_FAILED)
		abort();
	for (size_t i = 0; i < RL_BATCH_CAP; i++)
		if (mprotect(slots + i * slot_size() + SLOT_PAGES * page, page, PROT_NONE))
			abort();
	/* What main.c's rl_signals_install makes, without taking SIGINT and SIGTERM from
	 * libFuzzer: nobody stops a replay here. */
	signals.stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (signals.stop_fd < 0)
		abort();
	return 0;
}

/* libFuzzer's -timeout runs on SIGALRM, and so does the watchdog's stop timer: each
 * session's watchdog takes the signal over. Both get it, or a hang would go unseen. */
static struct sigaction fuzzer_alarm, watchdog_alarm;

static void call(const struct sigaction *sa, int sig, siginfo_t *info, void *uc)
{
	if (sa->sa_flags & SA_SIGINFO)
		sa->sa_sigaction(sig, info, uc);
	else if (sa->sa_handler != SIG_DFL && sa->sa_handler != SIG_IGN)
		sa->sa_handler(sig);
}

static void both_alarms(int sig, siginfo_t *info, void *uc)
{
	call(&watchdog_alarm, sig, info, uc);
	call(&fuzzer_alarm, sig, info, uc);
}

/* After a session took SIGALRM: its handler, then libFuzzer's. */
static void share_alarm(void)
{
	struct sigaction sa = { .sa_sigaction = both_alarms, .sa_flags = SA_SIGINFO };

	if (sigaction(SIGALRM, NULL, &watchdog_alarm) ||
	    watchdog_alarm.sa_sigaction == both_alarms ||
	    watchdog_alarm.sa_sigaction == fuzzer_alarm.sa_sigaction)
		return; /* shared already, or no session got as far as its watchdog */
	sigfillset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool fuzzer_alarm_saved;
	int fd = memfd_create("recording", MFD_CLOEXEC);
	char path[64], arg0[] = "ringlua", arg1[] = "--replay", script[] = FUZZ_REPLAY_SCRIPT;
	char *argv[] = { arg0, arg1, path, script, NULL };
	struct rl_session *session = NULL;
	struct rl_options opt;
	int err;

	if (!fuzzer_alarm_saved) {
		/* libFuzzer's, set before the first input. */
		sigaction(SIGALRM, NULL, &fuzzer_alarm);
		fuzzer_alarm_saved = true;
	}
	if (fd < 0 || write(fd, data, size) != (ssize_t)size)
		abort();
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if (rl_cli_parse(&opt, 4, argv))
		abort();
	err = rl_session_open(&session, &opt, &signals);
	share_alarm();
	if (!err)
		err = rl_session_run(session);
	rl_session_finish(session, err);
	rl_session_close(session);
	close(fd);
	return 0;
}
