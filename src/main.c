/* ringlua: consume BPF ring buffers and hand every event to a LuaJIT script. */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpf_obj.h"
#include "cli.h"
#include "loop.h"
#include "lua_host.h"
#include "ring.h"
#include "sources.h"
#include "system.h"
#include "watch.h"
#include "watchdog.h"

enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2 };

/* Records per batch: one entry into Lua hands over up to this many. */
#define BATCH_CAP 1024
#define DEFAULT_SCRIPT "scripts/execsnoop.lua"

static volatile sig_atomic_t exiting;
static volatile sig_atomic_t reload_requested;

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		reload_requested = 1;
	else
		exiting++; /* counted: a second one interrupts on_exit */
}

/* Everything main acquires, released in one place. */
struct app {
	struct rl_options opt;
	char data_dir[PATH_MAX];
	char lua_dir[PATH_MAX + 8];
	char default_script[PATH_MAX + 32];
	struct rl_rec batch[BATCH_CAP];
	struct rl_lua *lua;
	struct rl_bpf *bpf;
	int pin_fd;
	struct rl_consumer *consumer;
	struct rl_watch *watch;
	struct rl_loop loop;
};

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list args)
{
	(void)level;
	return vfprintf(stderr, fmt, args);
}

static int open_script(struct app *a)
{
	size_t nr_sources;
	const struct rl_source *sources = rl_sources(&nr_sources);
	struct rl_lua_opts lo = {
		.lua_dir = a->lua_dir,
		.script = a->opt.script,
		.sources = sources,
		.nr_sources = nr_sources,
		.batch = a->batch,
		.max_errors = a->opt.max_errors,
		.memory_limit = (size_t)a->opt.memory_limit_mb << 20,
		.verbose = a->opt.verbose,
		.unsafe_perms = a->opt.unsafe_perms,
	};

	snprintf(a->lua_dir, sizeof(a->lua_dir), "%s/lua", a->data_dir);
	return rl_lua_open(&a->lua, &lo);
}

/* The source: -s, else the script's `source` field, else the default. */
static const struct rl_source *choose_source(const struct app *a)
{
	const char *name = a->opt.source ? a->opt.source : rl_lua_source(a->lua);
	const struct rl_source *src = rl_source_find(name ? name : RL_DEFAULT_SOURCE);

	if (!src)
		fprintf(stderr, "ringlua: %s: unknown source '%s' (try --help)\n", a->opt.script,
			name);
	return src;
}

/* Opens the pinned ring of --pin; returns its fd or -errno (printed). */
static int open_pin(const char *path)
{
	int fd = bpf_obj_get(path);
	int err = fd < 0 ? -errno : 0;

	if (err)
		fprintf(stderr, "ringlua: --pin %s: %s\n", path,
			err == -ENOENT ? "no such pinned map" :
			err == -EACCES || err == -EPERM || err == -EINVAL ?
			"not a BPF object pinned in bpffs" :
			strerror(-err));
	return err ? err : fd;
}

/* Finds the ring to consume, loading the source's BPF unless --pin names one. Returns
 * the map fd or -errno (printed). */
static int open_ring(struct app *a, const struct rl_source *src)
{
	struct rl_source_filter filter = { .tgid = a->opt.pid, .self_tgid = (uint32_t)getpid(),
					   .uid = a->opt.uid, .comm = a->opt.comm };

	if (a->opt.pid && kill((pid_t)a->opt.pid, 0) && errno == ESRCH) {
		fprintf(stderr, "ringlua: -p %u: no such process\n", a->opt.pid);
		return -ESRCH;
	}
	rl_ensure_mounts();
	if (a->opt.pin)
		return a->pin_fd = open_pin(a->opt.pin);
	if (rl_source_open(&a->bpf, src, &filter))
		return -EINVAL;
	return rl_bpf_ring_fd(a->bpf, "events");
}

static int open_consumer(struct app *a, int map_fd)
{
	struct rl_consumer_opts co = {
		.batch = a->batch,
		.batch_cap = BATCH_CAP,
		.latency_us = a->opt.latency_us,
	};
	int err = rl_consumer_open(&a->consumer, &co);

	if (!err)
		err = rl_consumer_add_map(a->consumer, map_fd, rl_loop_batch, &a->loop);
	if (err == -EINVAL)
		fprintf(stderr, "ringlua: %s is not a BPF ring buffer map\n",
			a->opt.pin ? a->opt.pin : "the source's map");
	else if (err < 0)
		fprintf(stderr, "ringlua: cannot map the ring buffer: %s\n", strerror(-err));
	return err < 0 ? err : 0;
}

/* Reload on save: a watcher whose descriptor wakes the consumer's poll. Without it
 * (--no-reload, or no inotify) ringlua runs on, reloading only on SIGHUP. */
static void open_watch(struct app *a)
{
	int err;

	if (a->opt.no_reload)
		return;
	err = rl_watch_open(&a->watch);
	if (!err)
		err = rl_consumer_add_wake_fd(a->consumer, rl_watch_fd(a->watch));
	if (err) {
		fprintf(stderr, "ringlua: cannot watch the script for saves (%s): reload on "
				"SIGHUP only\n", strerror(-err));
		rl_watch_close(a->watch);
		a->watch = NULL;
	}
}

static void print_summary(const struct app *a, double seconds)
{
	uint64_t dropped = 0;

	fprintf(stderr, "ringlua: %llu events, %llu errors",
		(unsigned long long)a->loop.handled,
		(unsigned long long)rl_lua_errors(a->lua));
	if (a->bpf && rl_bpf_read_u64(a->bpf, "dropped", &dropped) == 0)
		fprintf(stderr, ", %llu dropped", (unsigned long long)dropped);
	if (rl_lua_reloads(a->lua))
		fprintf(stderr, ", %llu reloads", (unsigned long long)rl_lua_reloads(a->lua));
	fprintf(stderr, ", %.2f s\n", seconds);
}

static double seconds_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) + (t1.tv_nsec - t0->tv_nsec) / 1e9;
}

static void install_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal }; /* no SA_RESTART: wake epoll */

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

int main(int argc, char **argv)
{
	static struct app a = { .pin_fd = -1 };
	const struct rl_source *src;
	struct timespec t0;
	int ring_fd, err, status = EXIT_FAIL;

	/* Options; --help and --version end here. */
	if (rl_cli_parse(&a.opt, argc, argv))
		return EXIT_USAGE;
	if (a.opt.help || a.opt.version) {
		if (a.opt.help)
			rl_cli_usage(stdout);
		else
			printf("ringlua %s\n", RINGLUA_VERSION);
		return EXIT_OK;
	}
	if (a.opt.verbose)
		libbpf_set_print(libbpf_print);
	else
		libbpf_set_print(NULL);

	/* Privileges: without them nothing else matters. */
	if (!rl_can_trace()) {
		fprintf(stderr, "ringlua: needs root (CAP_BPF and CAP_PERFMON, or "
				"CAP_SYS_ADMIN) to use BPF\n");
		goto cleanup;
	}

	/* Our Lua modules, and the built-in default script when none is given. */
	if (rl_data_dir(a.data_dir, sizeof(a.data_dir))) {
		fprintf(stderr, "ringlua: cannot find ringlua's lua/ directory\n");
		goto cleanup;
	}
	snprintf(a.default_script, sizeof(a.default_script), "%s/%s", a.data_dir,
		 DEFAULT_SCRIPT);
	if (!a.opt.script)
		a.opt.script = a.default_script;

	/* The script: top level run, handlers found, its source chosen; from here on the
	 * watchdog stops a script that does not return. */
	install_signals();
	if (rl_watchdog_start(a.opt.handler_timeout_ms, &exiting)) {
		fprintf(stderr, "ringlua: cannot start the watchdog: %s\n", strerror(errno));
		goto cleanup;
	}
	if (open_script(&a) || !(src = choose_source(&a)))
		goto cleanup;

	/* The ring: a pinned map, or the source's BPF program loaded and attached. */
	ring_fd = open_ring(&a, src);
	if (ring_fd < 0 || open_consumer(&a, ring_fd))
		goto cleanup;
	open_watch(&a);

	/* on_init(args), then events until a signal or a limit; drained at the end. */
	if (rl_lua_init(a.lua, a.opt.pin ? "pin" : src->name, a.opt.script_argc,
			a.opt.script_argv))
		goto cleanup;
	a.loop = (struct rl_loop){ .consumer = a.consumer, .lua = a.lua,
				   .limit = a.opt.count, .interval_ms = a.opt.interval_ms,
				   .exiting = &exiting, .watch_pid = (int)a.opt.pid,
				   .watch = a.watch, .reload = &reload_requested };
	clock_gettime(CLOCK_MONOTONIC, &t0);
	err = rl_loop_run(&a.loop);
	if (err) {
		fprintf(stderr, "ringlua: stopping: %s\n", err == -EBADMSG ?
			"corrupt record header in the ring buffer" : err == -EIO ?
			"cannot write to standard output" : strerror(-err));
		goto cleanup;
	}

	/* on_exit, and the one-line summary (not after os.exit: the script said it is done). */
	if (rl_lua_exit_requested(a.lua, &status))
		goto cleanup;
	status = rl_lua_exit(a.lua) ? EXIT_FAIL : EXIT_OK;
	if (rl_lua_failed(a.lua)) {
		/* A timeout or the memory limit was reported when it happened. */
		if (a.opt.max_errors && rl_lua_errors(a.lua) >= a.opt.max_errors)
			fprintf(stderr, "ringlua: stopped after %llu handler errors "
					"(--max-errors)\n",
				(unsigned long long)rl_lua_errors(a.lua));
		status = EXIT_FAIL;
	}
	print_summary(&a, seconds_since(&t0));
cleanup:
	rl_lua_exit_requested(a.lua, &status); /* os.exit(code) wins, wherever it came */
	rl_watchdog_stop();
	rl_watch_close(a.watch);
	rl_consumer_close(a.consumer);
	rl_bpf_close(a.bpf);
	if (a.pin_fd >= 0)
		close(a.pin_fd);
	rl_lua_close(a.lua);
	return status;
}
