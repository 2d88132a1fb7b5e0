#include "app/session.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/btf.h>

#include "app/child.h"
#include "app/feed.h"
#include "app/loop.h"
#include "app/replay_run.h"
#include "app/signals.h"
#include "kernel/bpf_obj.h"
#include "kernel/perf_buf.h"
#include "kernel/sources.h"
#include "kernel/system.h"
#include "lua/lua_host.h"
#include "lua/watchdog.h"
#include "output/metrics_out.h"
#include "output/nats_out.h"
#include "output/output.h"
#include "output/record_out.h"
#include "output/stats.h"
#include "output/stdout_out.h"
#include "record/recording.h"
#include "ring/ring.h"
#include "util/clock.h"
#include "util/out_file.h"
#include "util/script_file.h"
#include "util/watch.h"

/* Where ringlua's own files are, below its data directory. */
#define DEFAULT_SCRIPT "scripts/execsnoop.lua"
#define JSON_SCRIPT "lua/ringlua/json_main.lua"
#define TYPES_SCRIPT "lua/ringlua/types_main.lua"

struct rl_session {
	struct rl_options opt;		/* as parsed, with the script filled in */
	struct rl_signals *signals;
	char data_dir[PATH_MAX];
	char lua_dir[PATH_MAX + 8];
	char generated_lua_dir[PATH_MAX];
	char default_script[PATH_MAX + 32];
	char json_script[PATH_MAX + 32];
	char types_script[PATH_MAX + 32];
	char ready_script[PATH_MAX + 300];
	struct rl_rec batch[RL_BATCH_CAP];
	struct rl_lua_event_type *event_types; /* the built-in sources', for every state */
	size_t nr_event_types;
	struct rl_lua *lua;
	struct rl_feed feed;		/* what feeds the script, and the ring table */
	struct rl_consumer *consumer;
	struct rl_perf *perf;		/* the ring table's perf buffers; NULL: none */
	struct rl_watch *watch;
	struct rl_child child;		/* -c: the command traced */
	struct rl_stats stats;
	const char **ring_names;	/* the ring table's names, for --stats and --metrics */
	struct rl_recorder *recorder;
	struct rl_metrics *metrics;	/* --metrics */
	struct rl_metrics_out metrics_out; /* its snapshots */
	struct rl_nats_out *output;	/* --output */
	struct rl_outputs outputs;	/* all of the above that are on, for the loop */
	struct rl_loop loop;
	uint64_t started_us;		/* when the loop began */
	struct rl_replay_feed replay;	/* --replay: the recording that feeds the script */
};

int rl_exit_status(int err)
{
	if (err == 0)
		return RL_EXIT_OK;
	return err == -EDOM ? RL_EXIT_USAGE : RL_EXIT_FAIL;
}

/* A ready script named as bpftrace's tools are (`ringlua execsnoop`): a SCRIPT with no
 * slash that is no file here is looked for as scripts/NAME or scripts/NAME.lua. */
static void find_ready_script(struct rl_session *s)
{
	const char *name = s->opt.script;

	if (strchr(name, '/') || access(name, F_OK) == 0)
		return;
	snprintf(s->ready_script, sizeof(s->ready_script), "%s/scripts/%s", s->data_dir, name);
	if (access(s->ready_script, F_OK) == 0) {
		s->opt.script = s->ready_script;
		return;
	}
	snprintf(s->ready_script, sizeof(s->ready_script), "%s/scripts/%s.lua", s->data_dir,
		 name);
	if (access(s->ready_script, F_OK) == 0)
		s->opt.script = s->ready_script;
}

/* ringlua's own modules in dir/ringlua, which load without a check each: refused (one
 * line) if someone other than root or the invoking user could have written them.
 * Returns 0 or -EPERM. */
static int check_modules(const char *dir)
{
	char path[PATH_MAX], bad[PATH_MAX + 256];
	const char *why;

	snprintf(path, sizeof(path), "%s/ringlua", dir);
	if (!rl_modules_check(path, bad, sizeof(bad), &why))
		return 0;
	fprintf(stderr, "ringlua: refusing to load ringlua's modules: %s: %s (--unsafe-perms "
			"overrides)\n", bad, why);
	return -EPERM;
}

/* ringlua's lua/ and scripts/, and the script to run: -e's, --json's, the user's (or a
 * ready script by name) or the built-in default. Returns 0 or -ENOENT (printed). */
static int find_script(struct rl_session *s)
{
	if (rl_data_dir(s->data_dir, sizeof(s->data_dir))) {
		fprintf(stderr, "ringlua: cannot find ringlua's lua/ directory\n");
		return -ENOENT;
	}
	snprintf(s->default_script, sizeof(s->default_script), "%s/%s", s->data_dir,
		 DEFAULT_SCRIPT);
	snprintf(s->json_script, sizeof(s->json_script), "%s/%s", s->data_dir, JSON_SCRIPT);
	snprintf(s->types_script, sizeof(s->types_script), "%s/%s", s->data_dir, TYPES_SCRIPT);
	snprintf(s->lua_dir, sizeof(s->lua_dir), "%s/lua", s->data_dir);
	if (rl_generated_lua_dir(s->generated_lua_dir, sizeof(s->generated_lua_dir))) {
		fprintf(stderr, "ringlua: cannot find ringlua's generated Lua modules (build "
				"or install ringlua first)\n");
		return -ENOENT;
	}
	if (!s->opt.unsafe_perms &&
	    (check_modules(s->lua_dir) || check_modules(s->generated_lua_dir)))
		return -EPERM;
	if (s->opt.code)
		s->opt.script = "-e";
	else if (s->opt.json)
		s->opt.script = s->json_script;
	else if (s->opt.lua_types)
		s->opt.script = s->types_script;
	else if (!s->opt.script)
		s->opt.script = s->default_script;
	else
		find_ready_script(s);
	return 0;
}

/* The built-in sources' event types, declared in every Lua state. Returns 0 or -ENOMEM
 * (printed). */
static int list_event_types(struct rl_session *s)
{
	size_t n;
	const struct rl_source *src = rl_sources(&n);

	s->event_types = calloc(n ? n : 1, sizeof(*s->event_types));
	if (!s->event_types) {
		fprintf(stderr, "ringlua: out of memory\n");
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++)
		s->event_types[i] = (struct rl_lua_event_type){ src[i].name, src[i].ctype,
								src[i].cdef };
	s->nr_event_types = n;
	return 0;
}

/* rl_lua_opts.before_read: a file of the script is watched before it is read, so that
 * no save after the read goes unseen (a save between the read and a later watch would
 * never reload it). A file that is not there (a module's candidate path, a missing
 * script) is the read's to report. */
static void watch_file(void *ctx, const char *path)
{
	struct rl_session *s = ctx;
	int err = s->watch ? rl_watch_add(s->watch, path) : 0;

	if (err && err != -ENOENT)
		fprintf(stderr, "ringlua: cannot watch %s for saves: %s\n", path, strerror(-err));
}

/* The Lua host's options as the command line sets them; the rings are the feed's. */
static struct rl_lua_opts lua_opts(struct rl_session *s)
{

	return (struct rl_lua_opts){
		.lua_dir = s->lua_dir,
		.generated_dir = s->generated_lua_dir,
		.script = s->opt.script,
		.code = s->opt.code,
		.source_option = s->opt.source,
		.unwind_mem_mb = s->opt.unwind_mem_mb,
		.event_types = s->event_types,
		.nr_event_types = s->nr_event_types,
		.max_errors = s->opt.max_errors,
		.memory_limit = (size_t)s->opt.memory_limit_mb << 20,
		.verbose = s->opt.verbose,
		.unsafe_perms = s->opt.unsafe_perms,
		.emit = s->output ? rl_nats_out_emit : NULL,
		.emit_ctx = s->output,
		.before_read = watch_file,
		.before_read_ctx = s,
		.script_argc = s->opt.script_argc,
		.script_argv = s->opt.script_argv,
	};
}

/* Starts the script, with the user object's rings and types declared when they are
 * known. Returns 0 or -errno (printed). */
static int open_script(struct rl_session *s)
{
	struct rl_lua_opts lo = lua_opts(s);

	if (s->opt.replay) {
		lo.rings = s->replay.rings;
		lo.nr_rings = s->replay.nr_rings;
		lo.cdef = s->replay.types.cdef;
		lo.rings_from = s->replay.rings_from;
	} else if (s->feed.user) {
		lo.rings = s->feed.rings;
		lo.nr_rings = s->feed.nr_rings;
		lo.cdef = rl_feed_cdef(&s->feed);
	}
	return rl_lua_open(&s->lua, &lo);
}

/* The script and what feeds it, in the order each needs the other: --bpf's object first
 * (its types for the script's top level), the script, the rest of the feed as the
 * script asks for it, then the ring table with its decoders declared to the script.
 * Returns 0 or -errno (printed). */
static int open_script_and_feed(struct rl_session *s)
{
	int err = s->opt.bpf ? rl_feed_open_user(&s->feed, s->opt.bpf, &s->opt) : 0;

	if (!err)
		err = open_script(s);
	if (!err)
		err = rl_feed_load(&s->feed, &s->opt, s->lua);
	if (!err && rl_feed_make_decoders(&s->feed)) {
		fprintf(stderr, "ringlua: out of memory\n");
		err = -ENOMEM;
	}
	if (!err)
		err = rl_lua_declare(s->lua, s->feed.rings, s->feed.nr_rings,
				     rl_feed_cdef(&s->feed));
	if (!err && s->feed.bindings)
		err = rl_lua_bind(s->lua, s->feed.bindings);
	if (!err)
		err = rl_lua_kernel_aggs(s->lua, s->feed.kagg);
	return err;
}

/* Adds ring i of the table to the consumer, the map fd (ring i's own, or one CPU's
 * ring of it). Returns 0 or -errno (printed). */
static int add_ring(struct rl_session *s, size_t i, int fd)
{
	int err = rl_consumer_add_map(s->consumer, fd, rl_loop_batch, &s->loop);

	const char *what = s->opt.pin ? s->opt.pin : s->feed.rings[i].name;

	if (err == -EINVAL)
		fprintf(stderr, "ringlua: %s is not a BPF ring buffer map\n", what);
	else if (err == -EOPNOTSUPP)
		fprintf(stderr, "ringlua: %s: the ring buffer has map flags ringlua does not "
				"read correctly (it knows only BPF_F_NUMA_NODE)\n", what);
	else if (err < 0)
		fprintf(stderr, "ringlua: cannot map the ring buffer: %s\n", strerror(-err));
	if (err >= 0)
		err = rl_consumer_set_tag(s->consumer, err, (uint32_t)i);
	return err < 0 ? err : 0;
}

/* Perf buffer i of the table: read by the perf reader, whose wakeups end the
 * consumer's wait. Returns 0 or -errno (printed). */
static int add_perf(struct rl_session *s, size_t i)
{
	struct rl_perf_opts po = { .pages = s->opt.perf_pages, .batch_cap = RL_BATCH_CAP,
				   .fn = rl_loop_batch, .ctx = &s->loop };
	int err = s->perf ? 0 : rl_perf_open(&s->perf, &po);
	int fd = err ? err : rl_perf_add_map(s->perf, s->feed.rings[i].fd, (uint32_t)i);

	err = fd < 0 ? fd : rl_consumer_add_wake_fd(s->consumer, fd);
	if (err)
		fprintf(stderr, "ringlua: %s: cannot open its perf buffer: %s\n",
			s->feed.rings[i].name, strerror(-err));
	return err;
}

/* The consumer, with every ring of the table, in table order, and the perf reader with
 * the perf buffers that follow them. Returns 0 or -errno. */
static int open_consumer(struct rl_session *s)
{
	struct rl_consumer_opts co = {
		.batch = s->batch,
		.batch_cap = RL_BATCH_CAP,
		.latency_us = s->opt.latency_us,
		.ordered = s->opt.ordered,
		.sleep_flag = s->feed.sleep_flag,
	};
	int err = rl_consumer_open(&s->consumer, &co);

	if (err) {
		fprintf(stderr, "ringlua: cannot open the ring consumer: %s\n", strerror(-err));
		return err;
	}
	/* Per-CPU rings are all the first entry's; tagged entries of the table share the
	 * first one's map: it is added once. */
	for (size_t cpu = 0; !err && cpu < s->feed.nr_cpu_rings; cpu++)
		err = add_ring(s, 0, s->feed.cpu_rings[cpu]);
	for (size_t i = s->feed.nr_cpu_rings ? 1 : 0; !err && i < s->feed.nr_rings; i++)
		if (s->feed.rings[i].perf)
			err = add_perf(s, i);
		else if (!(i && s->feed.rings[i].tagged))
			err = add_ring(s, i, s->feed.rings[i].fd);
	return err;
}

/* Says that saves will not reload the script, and why (err). */
static void say_no_watch(int err)
{
	fprintf(stderr, "ringlua: cannot watch the script for saves (%s): reload on SIGHUP "
			"only\n", strerror(-err));
}

/* Reload on save: a watcher, opened before the script is read (watch_file). Without
 * it (--no-reload, -e, or no inotify) ringlua runs on, reloading only on SIGHUP. */
static void open_watch(struct rl_session *s)
{
	int err;

	if (s->opt.no_reload || s->opt.code)
		return;
	err = rl_watch_open(&s->watch);
	if (err)
		say_no_watch(err);
}

/* The watcher's descriptor wakes the consumer's poll; saves made before are queued in
 * it. Without that, reload on SIGHUP only. */
static void watch_wakes_poll(struct rl_session *s)
{
	int err = s->watch ? rl_consumer_add_wake_fd(s->consumer, rl_watch_fd(s->watch)) : 0;

	if (err) {
		say_no_watch(err);
		rl_watch_close(s->watch);
		s->watch = NULL;
	}
}

/* --record FILE: the ring table described in the recording's header. Returns 0 or
 * -errno (printed). */
static int open_recorder(struct rl_session *s)
{
	struct rl_recording_meta m = { .source = s->feed.name, .nr_rings = s->feed.nr_rings };
	const struct btf *btf = rl_feed_btf(&s->feed);
	uint32_t btf_size = 0;
	int err;

	if (!s->opt.record)
		return 0;
	if (s->feed.nr_rings > RL_RECORDING_RINGS) {
		fprintf(stderr, "ringlua: --record: a recording holds at most %d rings\n",
			RL_RECORDING_RINGS);
		return -E2BIG;
	}
	m.btf = btf ? btf__raw_data(btf, &btf_size) : NULL;
	m.btf_size = btf_size;
	for (size_t i = 0; i < m.nr_rings; i++) {
		const struct rl_ring_desc *r = &s->feed.rings[i];

		m.rings[i] = (struct rl_recording_ring){ r->name, r->ctype ? r->ctype : "" };
	}
	err = rl_recorder_open(&s->recorder, s->opt.record, &m);
	if (err == -EINVAL)
		fprintf(stderr, "ringlua: --record %s: a ring's name or record type is not a C "
				"identifier\n", s->opt.record);
	else if (err == -EEXIST)
		fprintf(stderr, "ringlua: --record %s: it exists already: a recording is always "
				"a new file\n", s->opt.record);
	else if (err)
		fprintf(stderr, "ringlua: --record %s: %s\n", s->opt.record, strerror(-err));
	return err;
}

/* The ring table's names, for --stats and --metrics. Returns 0 or -ENOMEM. */
static int name_rings(struct rl_session *s)
{
	if (!s->opt.stats && !s->opt.metrics)
		return 0;
	s->ring_names = calloc(s->feed.nr_rings ? s->feed.nr_rings : 1,
			       sizeof(*s->ring_names));
	if (!s->ring_names)
		return -ENOMEM;
	for (size_t i = 0; i < s->feed.nr_rings; i++)
		s->ring_names[i] = s->feed.rings[i].tagged ? RL_DEFAULT_RING :
				   s->feed.rings[i].name;
	return 0;
}

/* Records lost so far: the object's u64 global `dropped`, the convention every built-in
 * source follows and a user's object may, plus the samples its perf buffers lost.
 * Returns 0, or -ENOENT when the feed counts neither. */
static int count_dropped(const struct rl_session *s, uint64_t *dropped)
{
	struct rl_bpf *bpf = rl_feed_object(&s->feed);
	int err = bpf ? rl_bpf_read_u64(bpf, "dropped", dropped) : -ENOENT;

	if (!s->perf)
		return err;
	*dropped = (err ? 0 : *dropped) + rl_perf_lost(s->perf);
	return 0;
}

/* loop.read_kagg_lost: of the built-in program, with kernel aggregations. */
static int read_kagg_lost(void *ctx, uint64_t *lost, uint32_t *entries)
{
	const struct rl_session *s = ctx;
	const struct rl_bpf *bpf = rl_feed_object(&s->feed);

	return s->feed.kagg && bpf ? rl_source_kagg_lost(bpf, lost, entries) : -ENOENT;
}

/* loop.read_dropped, over count_dropped. */
static int read_dropped(void *ctx, uint64_t *dropped)
{
	return count_dropped(ctx, dropped);
}

/* -c: the command's process exists, held, before the filters are set. Returns 0 or
 * -errno (printed). */
static int spawn_command(struct rl_session *s)
{
	int err;

	if (!s->opt.command)
		return 0;
	err = rl_child_spawn(&s->child, s->opt.command);
	if (err) {
		fprintf(stderr, "ringlua: -c %s: %s\n", s->opt.command, err == -EINVAL ?
			"not a command (words, quotes; no pipes, `;` or `$(...)`)" :
			strerror(-err));
		return err;
	}
	s->opt.pid = (uint32_t)s->child.pid;
	s->opt.follow = true; /* a command's work is often done by what it starts */
	return 0;
}

/* -c: the command runs from here on, traced from its first instruction. */
static int release_command(struct rl_session *s)
{
	if (!s->child.pid || rl_child_release(&s->child) == 0)
		return 0;
	fprintf(stderr, "ringlua: -c: the command could not be started\n");
	return -ECHILD;
}

/* -o FILE: the script's stdout (print, io.write, --json's lines) goes to FILE from here
 * on. Called after -c's command was forked: it keeps ringlua's own stdout. Returns 0 or
 * -errno (printed). */
static int redirect_output(const struct rl_session *s)
{
	const char *why;
	int fd, err = 0;

	if (!s->opt.output_file)
		return 0;
	fd = rl_out_file_open(s->opt.output_file, &why);
	if (fd < 0) {
		fprintf(stderr, "ringlua: -o %s: %s\n", s->opt.output_file, why);
		return fd;
	}
	fflush(stdout);
	if (dup2(fd, STDOUT_FILENO) < 0) {
		err = -errno;
		fprintf(stderr, "ringlua: -o %s: %s\n", s->opt.output_file, strerror(errno));
	}
	close(fd);
	return err;
}

/* The tick's period: --interval's, else the script's `interval` (checked by the host:
 * a whole number of ms from 1 to INT_MAX), else the default. */
static uint32_t interval_ms(const struct rl_session *s)
{
	const char *asked = s->lua ? rl_lua_field(s->lua, "interval") : NULL;

	if (s->opt.interval_given || !asked)
		return s->opt.interval_ms;
	return (uint32_t)strtoul(asked, NULL, 10);
}

/* The outputs that are on, in the order the loop walks them: what the script prints
 * first, the recording last (its stop mark after everything else). */
static void gather_outputs(struct rl_session *s)
{
	s->outputs.n = 0;
	rl_outputs_add(&s->outputs, &rl_stdout_ops, NULL);
	if (s->opt.stats)
		rl_outputs_add(&s->outputs, &rl_stats_ops, &s->stats);
	if (s->metrics) {
		s->metrics_out = (struct rl_metrics_out){ .metrics = s->metrics,
							  .max_series = s->opt.max_series };
		rl_outputs_add(&s->outputs, &rl_metrics_out_ops, &s->metrics_out);
	}
	if (s->output)
		rl_outputs_add(&s->outputs, &rl_nats_out_ops, s->output);
	if (s->recorder)
		rl_outputs_add(&s->outputs, &rl_record_out_ops, s->recorder);
}

/* The loop over the consumer, with everything it reports to. */
static void prepare_loop(struct rl_session *s)
{
	gather_outputs(s);
	s->loop = (struct rl_loop){
		.consumer = s->consumer, .perf = s->perf, .latency_us = s->opt.latency_us,
		.lua = s->lua,
		.limit = s->opt.count, .interval_ms = interval_ms(s),
		.duration_us = s->opt.duration_us,
		.signals = s->signals, .watch_pid = (int)s->opt.pid, .watch = s->watch,
		.read_dropped = read_dropped, .read_kagg_lost = read_kagg_lost,
		.dropped_ctx = s,
		.ring_names = s->ring_names, .outputs = &s->outputs,
	};
}

/* A live session: the script and its feed, the consumer, the watcher, the decoders and
 * the recorder, then on_init and the traced command's start. */
static int open_live(struct rl_session *s)
{
	int err = spawn_command(s);

	if (!err)
		err = redirect_output(s);
	/* The output before the script: its emit() reaches it from the top level on. */
	if (!err && s->opt.output)
		err = rl_nats_out_open(&s->output, s->opt.output, s->opt.output_creds);
	if (!err)
		open_watch(s);
	if (!err)
		err = open_script_and_feed(s);
	if (!err)
		err = open_consumer(s);
	if (err)
		return err;
	watch_wakes_poll(s);
	err = open_recorder(s);
	if (!err)
		err = name_rings(s);
	if (!err && s->opt.metrics)
		err = rl_metrics_open(&s->metrics, s->opt.metrics, s->opt.metrics_allow);
	if (!err)
		err = rl_lua_init(s->lua, s->feed.name, s->opt.script_argc, s->opt.script_argv);
	if (!err)
		err = release_command(s);
	prepare_loop(s);
	return err;
}

/* A replayed session: the recording, the script that must fit it, on_init. */
static int open_replay(struct rl_session *s)
{
	int err = redirect_output(s);

	if (!err)
		err = rl_replay_feed_open(&s->replay, s->opt.replay);

	if (!err)
		err = open_script(s);
	if (!err)
		err = rl_replay_feed_check(&s->replay, &s->opt, s->lua);
	if (!err)
		err = rl_lua_declare(s->lua, s->replay.rings, s->replay.nr_rings,
				     s->replay.types.cdef ? s->replay.types.cdef : "");
	if (!err)
		err = rl_lua_init(s->lua, rl_replay_feed_source(&s->replay),
				  s->opt.script_argc, s->opt.script_argv);
	/* What it prints is its one output. */
	s->outputs.n = 0;
	rl_outputs_add(&s->outputs, &rl_stdout_ops, NULL);
	s->loop = (struct rl_loop){ .lua = s->lua, .limit = s->opt.count,
				    .signals = s->signals, .outputs = &s->outputs };
	return err;
}

int rl_session_open(struct rl_session **out, const struct rl_options *opt,
		    struct rl_signals *signals)
{
	struct rl_session *s = calloc(1, sizeof(*s));
	int err;

	*out = s;
	if (!s)
		return -ENOMEM;
	s->opt = *opt;
	s->signals = signals;
	s->feed.pin_fd = -1;
	s->child.go_fd = -1;
	err = find_script(s);
	if (!err)
		err = list_event_types(s);
	if (err)
		return err;
	/* From here on the watchdog stops a script that does not return. */
	err = rl_watchdog_start(s->opt.handler_timeout_ms, &signals->exiting) ? -errno : 0;
	if (err) {
		fprintf(stderr, "ringlua: cannot start the watchdog: %s\n", strerror(-err));
		return err;
	}
	return s->opt.replay ? open_replay(s) : open_live(s);
}

/* Why the loop stopped on err, in words. */
static const char *loop_error(int err)
{
	switch (err) {
	case -EBADMSG:
		return "corrupt record header in the ring buffer";
	case -EUSERS:
		return "another consumer moved the ring's consumer position (run one consumer "
		       "per ring)";
	case -EIO:
		return "cannot write to standard output";
	default:
		return strerror(-err);
	}
}

int rl_session_run(struct rl_session *s)
{
	int err;

	s->started_us = rl_now_us();
	if (s->opt.replay)
		return rl_replay_feed_run(&s->replay, &s->opt, &s->loop, s->batch, RL_BATCH_CAP);
	err = rl_loop_run(&s->loop);
	if (err && err != -ECANCELED) /* ECANCELED: already said */
		fprintf(stderr, "ringlua: stopping: %s\n", loop_error(err));
	return err;
}

static void print_summary(const struct rl_session *s)
{
	uint64_t dropped = 0, published, lost;

	fprintf(stderr, "ringlua: %s%llu events, %llu errors", s->opt.replay ? "replayed " : "",
		(unsigned long long)s->loop.handled,
		(unsigned long long)rl_lua_errors(s->lua));
	if (count_dropped(s, &dropped) == 0)
		fprintf(stderr, ", %llu dropped", (unsigned long long)dropped);
	if (rl_lua_reloads(s->lua))
		fprintf(stderr, ", %llu reloads", (unsigned long long)rl_lua_reloads(s->lua));
	if (rl_outputs_counts(&s->outputs, NULL, &published, &lost))
		fprintf(stderr, ", %llu published, %llu not published",
			(unsigned long long)published, (unsigned long long)lost);
	fprintf(stderr, ", %.2f s\n", (double)(rl_now_us() - s->started_us) / 1e6);
}

/* After the summary: the kernel aggregations' updates a full map lost, if any, which
 * their printed counts do not have. */
static void print_kagg_lost(struct rl_session *s)
{
	uint64_t lost;
	uint32_t entries;

	if (read_kagg_lost(s, &lost, &entries) == 0 && lost)
		fprintf(stderr, "ringlua: kernel aggregations: %llu updates lost: the map holds "
				"%u keys\n", (unsigned long long)lost, entries);
}

/* After a run to its end: on_exit, and the one-line summary. Returns the exit status. */
static int end_script(struct rl_session *s)
{
	int err = rl_lua_exit(s->lua);
	/* An on_exit cut short by a second stop request ends as asked: no failure. */
	int status = err && err != -EINTR ? RL_EXIT_FAIL : RL_EXIT_OK;

	rl_outputs_finish(&s->outputs); /* on_exit's messages too, for the summary's counts */

	if (rl_lua_failed(s->lua)) {
		/* A timeout or the memory limit was reported when it happened. */
		if (s->opt.max_errors && rl_lua_errors(s->lua) >= s->opt.max_errors)
			fprintf(stderr, "ringlua: stopped after %llu handler errors "
					"(--max-errors)\n",
				(unsigned long long)rl_lua_errors(s->lua));
		status = RL_EXIT_FAIL;
	}
	print_summary(s);
	print_kagg_lost(s);
	return status;
}

int rl_session_finish(struct rl_session *s, int err)
{
	int status = rl_exit_status(err);

	if (s && !err && !rl_lua_exit_requested(s->lua, &status))
		status = end_script(s); /* not after os.exit: the script said it is done */
	rl_lua_exit_requested(s ? s->lua : NULL, &status); /* os.exit(code) wins */
	if (s && rl_recorder_close(s->recorder)) {
		fprintf(stderr, "ringlua: --record %s: the recording could not be written\n",
			s->opt.record);
		status = RL_EXIT_FAIL;
	}
	if (s)
		s->recorder = NULL;
	return status;
}

void rl_session_close(struct rl_session *s)
{
	if (!s)
		return;
	rl_child_end(&s->child);
	rl_recorder_close(s->recorder);
	rl_watchdog_stop();
	rl_metrics_close(s->metrics);
	rl_nats_out_close(s->output);
	rl_watch_close(s->watch);
	rl_perf_close(s->perf);
	rl_consumer_close(s->consumer);
	rl_feed_close(&s->feed);
	rl_replay_feed_close(&s->replay);
	rl_lua_close(s->lua);
	free(s->ring_names);
	free(s->event_types);
	free(s);
}
