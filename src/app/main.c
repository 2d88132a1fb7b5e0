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
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "kernel/bpf_obj.h"
#include "kernel/btf_decode.h"
#include "app/child.h"
#include "record/recording.h"
#include "app/replay_run.h"
#include "app/cli.h"
#include "app/loop.h"
#include "lua/lua_host.h"
#include "ring/ring.h"
#include "kernel/sources.h"
#include "kernel/system.h"
#include "kernel/user_bpf.h"
#include "util/watch.h"
#include "lua/watchdog.h"
#include "app/stats.h"

enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2 };

#define DEFAULT_SCRIPT "scripts/execsnoop.lua"
#define JSON_SCRIPT "lua/ringlua/json_main.lua"

static volatile sig_atomic_t exiting;
static volatile sig_atomic_t reload_requested;

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		reload_requested = 1;
	else {
		exiting++; /* counted: a second one interrupts on_exit */
		rl_watchdog_stop_signal();
	}
}

/* Everything main acquires, released in one place. */
struct app {
	struct rl_options opt;
	char data_dir[PATH_MAX];
	char lua_dir[PATH_MAX + 8];
	char default_script[PATH_MAX + 32];
	char json_script[PATH_MAX + 32];
	struct rl_rec batch[RL_BATCH_CAP];
	struct rl_lua *lua;
	struct rl_bpf *bpf;
	struct rl_user_bpf *user;	/* --bpf, or the script's `bpf` field */
	struct rl_lua_ring *lua_rings;	/* its rings, as the script sees them */
	size_t nr_rings;
	char user_path[PATH_MAX];
	int pin_fd;
	struct rl_consumer *consumer;
	struct rl_watch *watch;
	struct rl_child child;		/* -c: the command traced */
	struct rl_stats stats;
	const struct rl_source *src;	/* the built-in source, when one feeds the script */
	struct rl_recording_meta meta;	/* what --record writes first */
	char *meta_decoders[RL_RECORDING_RINGS];
	struct rl_recorder *recorder;
	const char **ring_names;	/* the user's object's ring names, for --stats */
	struct rl_loop loop;
};

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list args)
{
	(void)level;
	return vfprintf(stderr, fmt, args);
}

/* The Lua host's options as the command line sets them; the rings and their types are
 * for the caller to add. */
static struct rl_lua_opts lua_opts(struct app *a)
{
	size_t nr_sources;
	const struct rl_source *sources = rl_sources(&nr_sources);

	return (struct rl_lua_opts){
		.lua_dir = a->lua_dir,
		.script = a->opt.script,
		.code = a->opt.code,
		.sources = sources,
		.nr_sources = nr_sources,
		.batch = a->batch,
		.max_errors = a->opt.max_errors,
		.memory_limit = (size_t)a->opt.memory_limit_mb << 20,
		.verbose = a->opt.verbose,
		.unsafe_perms = a->opt.unsafe_perms,
	};
}

static int open_script(struct app *a)
{
	struct rl_lua_opts lo = lua_opts(a);

	lo.rings = a->lua_rings;
	lo.nr_rings = a->nr_rings;
	lo.cdef = a->user ? rl_user_bpf_cdef(a->user) : NULL;
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
					   .uid = a->opt.uid, .comm = a->opt.comm,
					   .cgroup = a->opt.cgroup };

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

/* Opens the user's BPF object at path and finds its rings' record types, for the script
 * to be started with. Returns EXIT_OK, or the failure's exit status (printed). */
static int open_user_bpf(struct app *a, const char *path)
{
	const struct rl_user_ring *rings;

	if (rl_user_bpf_open(&a->user, path, a->opt.unsafe_perms))
		return EXIT_FAIL;
	if (rl_user_bpf_types(a->user, a->opt.types, a->opt.nr_types))
		return EXIT_USAGE;
	rings = rl_user_bpf_rings(a->user, &a->nr_rings);
	a->lua_rings = calloc(a->nr_rings, sizeof(*a->lua_rings));
	if (!a->lua_rings)
		return EXIT_FAIL;
	for (size_t i = 0; i < a->nr_rings; i++)
		a->lua_rings[i] = (struct rl_lua_ring){ rings[i].name,
							rings[i].ctype[0] ? rings[i].ctype : NULL };
	return EXIT_OK;
}

/* The script, and the user's BPF object if there is one: --bpf is opened first, so the
 * script starts with its types declared; a script that names its own (`bpf = ...`) is
 * started again once the object is open. Returns EXIT_OK or an exit status (printed). */
static int open_script_and_bpf(struct app *a)
{
	int status = a->opt.bpf ? open_user_bpf(a, a->opt.bpf) : EXIT_OK;

	if (status)
		return status;
	if (open_script(a))
		return EXIT_FAIL;
	if (a->user || !rl_lua_bpf(a->lua))
		return EXIT_OK;
	snprintf(a->user_path, sizeof(a->user_path), "%s", rl_lua_bpf(a->lua));
	rl_lua_close(a->lua);
	a->lua = NULL;
	status = open_user_bpf(a, a->user_path);
	return status ? status : open_script(a) ? EXIT_FAIL : EXIT_OK;
}

/* One `globals` entry of the script: set, checked against the object's BTF. */
static int set_script_global(void *ctx, const char *name, const char *value,
			     const char *type)
{
	struct app *a = ctx;
	char origin[PATH_MAX + 64];
	enum rl_value_kind kind = !strcmp(type, "number") ? RL_VALUE_NUMBER :
				  !strcmp(type, "boolean") ? RL_VALUE_BOOLEAN : RL_VALUE_STRING;

	snprintf(origin, sizeof(origin), "%s: globals.%s = %s", a->opt.script, name, value);
	return rl_user_bpf_set(a->user, name, value, kind, origin);
}

/* Sets --set NAME=VALUE; returns 0 or -errno (printed). */
static int set_cli_global(struct app *a, const char *setting)
{
	char name[256], origin[300];
	size_t len = strcspn(setting, "=");

	snprintf(name, sizeof(name), "%.*s", (int)len, setting);
	snprintf(origin, sizeof(origin), "--set %s", setting);
	return rl_user_bpf_set(a->user, name, setting + len + 1, RL_VALUE_TEXT, origin);
}

/* Options that only mean something for the built-in sources; the first one given. */
static const char *source_only_option(const struct rl_options *o)
{
	return o->source ? "-s" : o->pin ? "--pin" : o->pid ? "-p" :
	       o->uid != RL_ANY_UID ? "--uid" : o->comm ? "--comm" : o->cgroup ? "--cgroup" :
	       NULL;
}

/* Sets the script's globals, then --set's (which win), and loads the user's object.
 * Returns EXIT_OK, or the failure's exit status (printed). */
static int load_user_bpf(struct app *a)
{
	const char *conflict = source_only_option(&a->opt);

	if (conflict) {
		fprintf(stderr, "ringlua: %s is for the built-in sources: a BPF object of your "
				"own filters in its program (--set)\n", conflict);
		return EXIT_USAGE;
	}
	rl_ensure_mounts();
	if (rl_lua_globals(a->lua, set_script_global, a))
		return EXIT_FAIL;
	for (size_t i = 0; i < a->opt.nr_sets; i++)
		if (set_cli_global(a, a->opt.sets[i]))
			return EXIT_USAGE;
	return rl_user_bpf_load(a->user) ? EXIT_FAIL : EXIT_OK;
}

static int open_consumer(struct app *a)
{
	struct rl_consumer_opts co = {
		.batch = a->batch,
		.batch_cap = RL_BATCH_CAP,
		.latency_us = a->opt.latency_us,
	};
	int err = rl_consumer_open(&a->consumer, &co);

	if (err)
		fprintf(stderr, "ringlua: cannot open the ring consumer: %s\n", strerror(-err));
	return err;
}

/* Adds the ring map_fd to the consumer; its records carry the next ring index. */
static int add_ring(struct app *a, int map_fd)
{
	int err = rl_consumer_add_map(a->consumer, map_fd, rl_loop_batch, &a->loop);

	if (err == -EINVAL)
		fprintf(stderr, "ringlua: %s is not a BPF ring buffer map\n",
			a->opt.pin ? a->opt.pin : "the source's map");
	else if (err < 0)
		fprintf(stderr, "ringlua: cannot map the ring buffer: %s\n", strerror(-err));
	return err < 0 ? err : 0;
}

/* Generates the decoder of one ring from BTF into d. Returns 0 or -errno. */
static int make_decoder(struct rl_lua_decoder *d, const struct btf *btf, int type_id,
			const char *map, const char *ctype)
{
	*d = (struct rl_lua_decoder){ .map = map, .ctype = ctype };
	return type_id > 0 ? rl_btf_decoder(btf, (uint32_t)type_id, map, &d->source) : -ENOENT;
}

/* The BPF object whose `dropped` count says how many records found no ring space. */
static struct rl_bpf *events_object(const struct app *a)
{
	return a->user ? rl_user_bpf_obj(a->user) : a->bpf;
}

/* The BTF of the object that feeds the script; NULL for a pinned ring. */
static const struct btf *events_btf(const struct app *a)
{
	struct rl_bpf *obj = events_object(a);

	return obj ? bpf_object__btf(rl_bpf_object(obj)) : NULL;
}

/* How many rings feed the script: the user's object's, or the one built-in or pinned. */
static size_t rings_fed(const struct app *a)
{
	size_t n = 1;

	if (a->user)
		rl_user_bpf_rings(a->user, &n);
	return n;
}

/* Ring i's map name and record C type ("" when unknown); the one built-in or pinned
 * ring is "events". */
static void ring_at(const struct app *a, size_t i, const char **map, const char **ctype)
{
	size_t n;
	const struct rl_user_ring *rings = a->user ? rl_user_bpf_rings(a->user, &n) : NULL;

	*map = rings ? rings[i].name : "events";
	*ctype = rings ? rings[i].ctype : a->src ? a->src->ctype : "";
}

/* Ring i's record type in btf: the user's object found it; a built-in source's is the
 * struct its ctype names ("struct exec_event"). */
static int ring_type_id(const struct app *a, const struct btf *btf, size_t i)
{
	size_t n;
	const struct rl_user_ring *rings = a->user ? rl_user_bpf_rings(a->user, &n) : NULL;

	if (rings)
		return rings[i].type_id;
	return a->src ? btf__find_by_name_kind(btf, a->src->ctype + strlen("struct "),
					       BTF_KIND_STRUCT) : -ENOENT;
}

/* Decoders of every ring whose record type BTF knows; with --record, a copy of each
 * ring's, by ring index, for the recording's header. Returns 0 or -ENOMEM. */
static int make_decoders(struct app *a)
{
	const struct btf *btf = events_btf(a);
	size_t nr = rings_fed(a), n = 0;
	struct rl_lua_decoder *d = calloc(nr, sizeof(*d));
	const char *map, *ctype;
	int err;

	if (!d)
		return -ENOMEM;
	for (size_t i = 0; btf && i < nr; i++) {
		ring_at(a, i, &map, &ctype);
		if (make_decoder(&d[n], btf, ring_type_id(a, btf, i), map, ctype))
			continue;
		if (a->opt.record && i < RL_RECORDING_RINGS)
			a->meta_decoders[i] = strdup(d[n].source);
		n++;
	}
	err = rl_lua_set_decoders(a->lua, d, n);
	for (size_t i = 0; err && i < n; i++)
		free(d[i].source);
	free(d);
	return err;
}

/* The recording's description of the rings: names, record types, decoders, BTF. */
static void describe_rings(struct app *a, const char *source_name)
{
	struct rl_recording_meta *m = &a->meta;
	const struct btf *btf = events_btf(a);
	uint32_t btf_size = 0;

	m->source = source_name;
	m->cdef = a->user && rl_user_bpf_cdef(a->user) ? rl_user_bpf_cdef(a->user) : "";
	m->btf = btf ? btf__raw_data(btf, &btf_size) : NULL;
	m->btf_size = btf_size;
	m->nr_rings = rings_fed(a);
	for (size_t i = 0; i < m->nr_rings; i++) {
		ring_at(a, i, &m->rings[i].name, &m->rings[i].ctype);
		m->rings[i].decoder = a->meta_decoders[i] ? a->meta_decoders[i] : "";
	}
}

/* --record FILE: opened once the rings are known. Returns 0 or -errno (printed). */
static int open_recorder(struct app *a, const char *source_name)
{
	int err;

	if (!a->opt.record)
		return 0;
	if (rings_fed(a) > RL_RECORDING_RINGS) {
		fprintf(stderr, "ringlua: --record: a recording holds at most %d rings\n",
			RL_RECORDING_RINGS);
		return -E2BIG;
	}
	describe_rings(a, source_name);
	err = rl_recorder_open(&a->recorder, a->opt.record, &a->meta);
	if (err)
		fprintf(stderr, "ringlua: --record %s: %s\n", a->opt.record, strerror(-err));
	return err;
}

/* The rings' names, for --stats: the user's object's maps; NULL for the one built-in
 * or pinned ring. */
static const char *const *ring_names(struct app *a)
{
	if (!a->user || !a->opt.stats)
		return NULL;
	a->ring_names = calloc(a->nr_rings, sizeof(*a->ring_names));
	for (size_t i = 0; a->ring_names && i < a->nr_rings; i++)
		a->ring_names[i] = a->lua_rings[i].name;
	return a->ring_names;
}

/* The user's object loaded, and every ring of it consumed, in the object's order. */
static int open_user_events(struct app *a)
{
	size_t n;
	const struct rl_user_ring *rings = rl_user_bpf_rings(a->user, &n);
	int status = load_user_bpf(a);

	if (status || open_consumer(a))
		return status ? status : EXIT_FAIL;
	for (size_t i = 0; i < n; i++)
		if (add_ring(a, rings[i].fd))
			return EXIT_FAIL;
	return EXIT_OK;
}

/* The script and what feeds it: the user's BPF object with all its rings, or a built-in
 * source's ring, or a pinned one. *source_name receives what ringlua.source says.
 * Returns EXIT_OK, or the failure's exit status (printed). */
static int open_events(struct app *a, const char **source_name)
{
	const struct rl_source *src;
	int status = open_script_and_bpf(a), fd;

	if (status)
		return status;
	if (a->user) {
		*source_name = "bpf";
		return open_user_events(a);
	}
	if (a->opt.nr_sets || a->opt.nr_types) {
		fprintf(stderr, "ringlua: --set and --type are for a BPF object of your own "
				"(--bpf, or the script's `bpf`)\n");
		return EXIT_USAGE;
	}
	src = choose_source(a);
	if (!src)
		return EXIT_FAIL;
	*source_name = a->opt.pin ? "pin" : src->name;
	a->src = a->opt.pin ? NULL : src;
	fd = open_ring(a, src);
	return fd < 0 || open_consumer(a) || add_ring(a, fd) ? EXIT_FAIL : EXIT_OK;
}

/* Reload on save: a watcher whose descriptor wakes the consumer's poll. Without it
 * (--no-reload, or no inotify) ringlua runs on, reloading only on SIGHUP. */
static void open_watch(struct app *a)
{
	int err;

	if (a->opt.no_reload || a->opt.code)
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

/* loop.read_dropped: the object's u64 global `dropped`, the convention every built-in
 * source follows and a user's object may. */
static int read_dropped(void *ctx, uint64_t *dropped)
{
	struct rl_bpf *bpf = events_object(ctx);

	return bpf ? rl_bpf_read_u64(bpf, "dropped", dropped) : -ENOENT;
}

static void print_summary(const struct app *a, double seconds)
{
	struct rl_bpf *bpf = events_object(a);
	uint64_t dropped = 0;

	fprintf(stderr, "ringlua: %llu events, %llu errors",
		(unsigned long long)a->loop.handled,
		(unsigned long long)rl_lua_errors(a->lua));
	if (bpf && rl_bpf_read_u64(bpf, "dropped", &dropped) == 0)
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
	static struct app a = { .pin_fd = -1, .child = { .go_fd = -1 } };
	const char *source_name = NULL;
	struct timespec t0;
	int err, status = EXIT_FAIL;

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

	/* Privileges: without them nothing else matters (a replay needs none). */
	if (!a.opt.replay && !rl_can_trace()) {
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
	snprintf(a.json_script, sizeof(a.json_script), "%s/%s", a.data_dir, JSON_SCRIPT);
	snprintf(a.lua_dir, sizeof(a.lua_dir), "%s/lua", a.data_dir);
	if (a.opt.code)
		a.opt.script = "-e";
	else if (a.opt.json)
		a.opt.script = a.json_script;
	else if (!a.opt.script)
		a.opt.script = a.default_script;

	/* The script, then its rings: the user's BPF object, a pinned map, or the source's
	 * BPF program, loaded and attached. From here on the watchdog stops a script that
	 * does not return. */
	install_signals();
	if (rl_watchdog_start(a.opt.handler_timeout_ms, &exiting)) {
		fprintf(stderr, "ringlua: cannot start the watchdog: %s\n", strerror(errno));
		goto cleanup;
	}
	if (a.opt.replay) {
		struct rl_lua_opts lo = lua_opts(&a);

		status = rl_replay_run(&a.opt, &lo, &exiting);
		goto cleanup;
	}
	if (a.opt.command) {
		/* -c: the command's process exists, held, before the filters are set. */
		err = rl_child_spawn(&a.child, a.opt.command);
		if (err) {
			fprintf(stderr, "ringlua: -c %s: %s\n", a.opt.command, err == -EINVAL ?
				"not a command (words, quotes; no pipes, `;` or `$(...)`)" :
				strerror(-err));
			goto cleanup;
		}
		a.opt.pid = (uint32_t)a.child.pid;
	}
	status = open_events(&a, &source_name);
	if (status)
		goto cleanup;
	status = EXIT_FAIL;
	open_watch(&a);

	/* on_init(args), then events until a signal or a limit; drained at the end. */
	if (make_decoders(&a)) {
		fprintf(stderr, "ringlua: out of memory\n");
		goto cleanup;
	}
	if (open_recorder(&a, source_name))
		goto cleanup;
	if (rl_lua_init(a.lua, source_name, a.opt.script_argc, a.opt.script_argv))
		goto cleanup;
	if (a.child.pid && rl_child_release(&a.child)) {
		fprintf(stderr, "ringlua: -c: the command could not be started\n");
		goto cleanup;
	}
	a.loop = (struct rl_loop){ .consumer = a.consumer, .lua = a.lua,
				   .limit = a.opt.count, .interval_ms = a.opt.interval_ms,
				   .exiting = &exiting, .watch_pid = (int)a.opt.pid,
				   .watch = a.watch, .reload = &reload_requested,
				   .read_dropped = read_dropped, .dropped_ctx = &a,
				   .stats = a.opt.stats ? &a.stats : NULL,
				   .ring_names = ring_names(&a), .recorder = a.recorder };
	clock_gettime(CLOCK_MONOTONIC, &t0);
	err = rl_loop_run(&a.loop);
	if (err) {
		if (err != -ECANCELED) /* already said */
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
	rl_child_end(&a.child);
	if (rl_recorder_close(a.recorder)) {
		fprintf(stderr, "ringlua: --record %s: the recording could not be written\n",
			a.opt.record);
		status = EXIT_FAIL;
	}
	for (size_t i = 0; i < RL_RECORDING_RINGS; i++)
		free(a.meta_decoders[i]);
	rl_watchdog_stop();
	rl_watch_close(a.watch);
	rl_consumer_close(a.consumer);
	rl_bpf_close(a.bpf);
	rl_user_bpf_close(a.user);
	free(a.lua_rings);
	if (a.pin_fd >= 0)
		close(a.pin_fd);
	rl_lua_close(a.lua);
	free(a.ring_names);
	return status;
}
