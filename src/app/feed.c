#include "app/feed.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "kernel/bpf_bind.h"
#include "kernel/bpf_obj.h"
#include "kernel/btf_decode.h"
#include "kernel/sources.h"
#include "kernel/system.h"
#include "kernel/tp_format.h"
#include "kernel/tracepoints.h"
#include "kernel/user_bpf.h"
#include "lua/lua_host.h"

/* The ring table of the user's object: its rings, in the object's order. Returns 0 or
 * -ENOMEM. */
static int user_rings(struct rl_feed *f)
{
	size_t n;
	const struct rl_user_ring *rings = rl_user_bpf_rings(f->user, &n);

	f->rings = calloc(n ? n : 1, sizeof(*f->rings));
	if (!f->rings)
		return -ENOMEM;
	f->nr_rings = n;
	for (size_t i = 0; i < n; i++)
		f->rings[i] = (struct rl_ring_desc){
			.name = rings[i].name,
			.ctype = rings[i].ctype[0] ? rings[i].ctype : NULL,
			.btf_id = rings[i].type_id,
			.fd = rings[i].fd,
			.perf = rings[i].perf,
		};
	return 0;
}

int rl_feed_open_user(struct rl_feed *f, const char *path, const struct rl_options *opt)
{
	int err = rl_user_bpf_open(&f->user, path, opt->unsafe_perms);

	if (!err)
		err = rl_user_bpf_types(f->user, opt->types, opt->nr_types) ? -EDOM : 0;
	if (!err)
		err = user_rings(f);
	f->name = "bpf";
	return err;
}

/* One `globals` entry of the script: set, checked against the object's BTF. */
struct global_ctx {
	struct rl_feed *feed;
	const char *script;
};

static int set_script_global(void *ctx, const char *name, const char *value,
			     const char *type)
{
	struct global_ctx *g = ctx;
	char origin[PATH_MAX + 64];
	enum rl_value_kind kind = RL_VALUE_STRING;

	if (!strcmp(type, "number"))
		kind = RL_VALUE_NUMBER;
	else if (!strcmp(type, "boolean"))
		kind = RL_VALUE_BOOLEAN;
	snprintf(origin, sizeof(origin), "%s: globals.%s = %s", g->script, name, value);
	return rl_user_bpf_set(g->feed->user, name, value, kind, origin);
}

/* Sets --set NAME=VALUE; returns 0 or -EDOM (printed). */
static int set_cli_global(struct rl_feed *f, const char *setting)
{
	char name[256], origin[300];
	size_t len = strcspn(setting, "=");

	snprintf(name, sizeof(name), "%.*s", (int)len, setting);
	snprintf(origin, sizeof(origin), "--set %s", setting);
	return rl_user_bpf_set(f->user, name, setting + len + 1, RL_VALUE_TEXT, origin) ?
	       -EDOM : 0;
}

/* The rate of the user object's perf_event programs: --hz (also written into its
 * `sample_hz` global, when it has one), else that global's value. Returns 0 or -EINVAL
 * (printed). */
static int set_user_hz(struct rl_feed *f, unsigned int hz)
{
	struct rl_bpf *b = rl_user_bpf_obj(f->user);
	uint32_t declared = 0;
	int err = rl_bpf_get_global(b, "sample_hz", &declared, sizeof(declared));

	if (err == -ERANGE) {
		fprintf(stderr, "ringlua: the object's sample_hz must be a __u32\n");
		return -EINVAL;
	}
	if (hz && !err && rl_bpf_set_global(b, "sample_hz", &hz, sizeof(hz)))
		return -EINVAL;
	if (!hz && declared > RL_MAX_HZ) {
		fprintf(stderr, "ringlua: the object's sample_hz = %u: at most %d\n", declared,
			RL_MAX_HZ);
		return -EINVAL;
	}
	rl_bpf_set_sample_hz(b, hz ? hz : declared);
	return 0;
}

/* Sets the script's globals, then --set's (which win), loads the user's object and
 * refreshes the ring table with its maps. Returns 0 or -errno (printed). */
static int load_user(struct rl_feed *f, const struct rl_options *opt, struct rl_lua *lua)
{
	struct global_ctx g = { f, opt->script };
	int err;

	if (rl_lua_globals(lua, set_script_global, &g))
		return -EINVAL;
	for (size_t i = 0; i < opt->nr_sets; i++) {
		err = set_cli_global(f, opt->sets[i]);
		if (err)
			return err;
	}
	err = rl_user_bpf_filter(f->user, &(struct rl_user_filter){
		.pid = opt->pid, .command = opt->command != NULL, .cgroup_id = opt->cgroup,
		.cgroup_dir = opt->cgroup_dir, .sets = opt->sets, .nr_sets = opt->nr_sets,
		.verbose = opt->verbose, .attaches = opt->attaches,
		.nr_attaches = opt->nr_attaches });
	if (err)
		return err;
	if (set_user_hz(f, opt->hz))
		return -EINVAL;
	err = rl_user_bpf_size_maps(f->user, opt->ring_bytes, opt->nr_ring_bytes);
	if (err)
		return err;
	err = rl_user_bpf_load(f->user, &(struct rl_keep_opts){
		.only = opt->only, .nr_only = opt->nr_only, .skip = opt->skip,
		.nr_skip = opt->nr_skip, .verbose = opt->verbose });
	if (err)
		return err == -EDOM ? -EDOM : -EINVAL;
	if (rl_user_bpf_bindings(f->user, &f->bindings))
		return -EINVAL;
	free(f->rings);
	return user_rings(f);
}

/* The probe: -s, else the script's `source` field, else the default, with --hz and the
 * script's `str` field (--str wins). Returns 0 or -EINVAL (printed). */
static int choose_probe(const struct rl_options *opt, const struct rl_lua *lua,
			struct rl_probe *p)
{
	const char *name = opt->source ? opt->source : rl_lua_source(lua);
	const char *str = opt->str ? opt->str : rl_lua_field(lua, "str");
	const char *why = rl_probe_parse(name ? name : RL_DEFAULT_SOURCE, opt->hz, p);

	if (!why && str)
		why = rl_probe_set_str(p, str);
	if (why && !p->source)
		fprintf(stderr, "ringlua: %s: unknown source '%s' (try --help)\n", opt->script,
			name);
	else if (why)
		fprintf(stderr, "ringlua: %s: source '%s': %s\n", opt->script,
			name ? name : RL_DEFAULT_SOURCE, why);
	return why ? -EINVAL : 0;
}

/* The stacks each record carries: --stacks, else the script's `stacks` field. Returns 0
 * or -EINVAL (printed). */
static int choose_stacks(const struct rl_options *opt, const struct rl_lua *lua,
			 uint32_t *mode)
{
	const char *list = rl_lua_field(lua, "stacks");

	*mode = opt->stack_mode;
	if (opt->stacks || !list || rl_stack_mode_parse(list, mode) == 0)
		return 0;
	fprintf(stderr, "ringlua: %s: stacks = \"%s\": expected kernel, user, dwarf, "
		"kernel,user or kernel,dwarf\n",
		opt->script, list);
	return -EINVAL;
}

/* Whether records carry ts_ns: not with --no-timestamps or the script's `timestamps =
 * false`, which --ordered cannot go with (it merges by them). Returns 0 or -EINVAL
 * (printed). */
static int choose_timestamps(const struct rl_options *opt, const struct rl_lua *lua,
			     bool *timestamps)
{
	const char *field = rl_lua_field(lua, "timestamps");

	*timestamps = !opt->no_timestamps && !(field && !strcmp(field, "off"));
	if (*timestamps || !opt->ordered)
		return 0;
	fprintf(stderr, "ringlua: --ordered merges records by their timestamps: it does not "
			"go with %s\n", opt->no_timestamps ? "--no-timestamps" :
			"the script's timestamps = false");
	return -EINVAL;
}

/* Whether the built-in programs commit without waking the consumer, waking it only when
 * it says it sleeps: with a latency bound, within which it polls on its own timer. */
static bool wakes_on_sleep(const struct rl_options *opt)
{
	return opt->latency_us > 0;
}

/* Maps the word the consumer sets before it sleeps, for programs that wake it only then.
 * Returns 0 or -ENOMEM (printed). */
static int map_sleep_flag(struct rl_feed *f, const struct rl_options *opt)
{
	if (opt->pin || !wakes_on_sleep(opt))
		return 0;
	f->sleep_flag = rl_source_sleep_flag(rl_feed_object(f));
	if (f->sleep_flag)
		return 0;
	fprintf(stderr, "ringlua: cannot map the source's globals\n");
	return -ENOMEM;
}

/* Why a pinned path cannot be opened, in words. */
static const char *pin_error(int err)
{
	if (err == -ENOENT)
		return "no such pinned map";
	if (err == -EACCES || err == -EPERM || err == -EINVAL)
		return "not a BPF object pinned in bpffs";
	return strerror(-err);
}

/* Opens the pinned ring of --pin; returns its fd or -errno (printed). */
static int open_pin(const char *path)
{
	int fd = bpf_obj_get(path);

	if (fd >= 0)
		return fd;
	fd = -errno;
	fprintf(stderr, "ringlua: --pin %s: %s\n", path, pin_error(fd));
	return fd;
}

/* Tracepoint probes as the feed. A name that names none is a usage error on the
 * command line (-s, or a program's probes, which are written as -s's), and a failure of
 * a script's `source`, as an unknown built-in source is. Returns 0 or -errno (printed). */
static int open_probes(struct rl_feed *f, const char *names, bool given,
		       const struct rl_source_filter *filter)
{
	int err = rl_feed_open_tracepoints(f, names, filter);

	return err == -EDOM && !given ? -EINVAL : err;
}

/* The one ring of a built-in source or a pinned map: loads the source's BPF unless
 * --pin names the ring. Returns 0 or -errno (printed). */
static int load_source(struct rl_feed *f, const struct rl_options *opt,
		       const struct rl_lua *lua)
{
	struct rl_source_filter filter = { .tgid = opt->pid, .self_tgid = (uint32_t)getpid(),
					   .uid = opt->uid, .comm = opt->comm,
					   .cgroup = opt->cgroup, .follow = opt->follow,
					   .cpu_ring_size = opt->per_cpu_rings ?
						rl_cpu_ring_size(RL_SOURCE_RING_SIZE) : 0,
					   .wake_on_sleep = wakes_on_sleep(opt) };
	const char *name = opt->source ? opt->source : rl_lua_source(lua);
	struct rl_probe probe;
	const struct rl_source *src;
	int fd;

	filter.ustack_bytes = opt->ustack_bytes;
	if (choose_stacks(opt, lua, &filter.stack_mode) ||
	    choose_timestamps(opt, lua, &filter.timestamps))
		return -EINVAL;
	filter.kagg = rl_lua_field(lua, "kernel_aggs") != NULL;
	filter.kagg_deliver = rl_lua_flag(lua, "kernel_deliver");
	if (!opt->pin && name && rl_tp_is_probe(name))
		return open_probes(f, name, opt->source || rl_lua_flag(lua, "program"), &filter);
	if (choose_probe(opt, lua, &probe))
		return -EINVAL;
	src = probe.source;
	f->rings = calloc(1, sizeof(*f->rings));
	if (!f->rings)
		return -ENOMEM;
	f->nr_rings = 1;
	if (opt->pin) {
		f->name = "pin";
		fd = f->pin_fd = open_pin(opt->pin);
	} else {
		f->name = src->name;
		f->source = src;
		if (rl_source_open(&f->source_bpf, &probe, &filter))
			return -EINVAL;
		fd = rl_bpf_ring_fd(f->source_bpf, RL_DEFAULT_RING);
	}
	if (fd < 0)
		return fd;
	f->rings[0] = (struct rl_ring_desc){ .name = RL_DEFAULT_RING, .fd = fd };
	if (f->source) {
		f->rings[0].ctype = src->ctype;
		f->rings[0].btf_id = btf__find_by_name_kind(rl_feed_btf(f),
							    src->ctype + strlen("struct "),
							    BTF_KIND_STRUCT);
	}
	return 0;
}

/* Options that belong to the other kind of feed. Returns 0 or -EDOM (printed). */
static int check_options(bool user_object, const struct rl_options *opt)
{
	const char *conflict = rl_cli_source_only_option(opt);

	if (user_object && conflict) {
		fprintf(stderr, "ringlua: %s is for the built-in sources: a BPF object of your "
				"own filters in its program (--set)\n", conflict);
		return -EDOM;
	}
	if (!user_object && (opt->nr_sets || opt->nr_types || opt->nr_attaches ||
			     opt->nr_only || opt->nr_skip || opt->nr_ring_bytes)) {
		fprintf(stderr, "ringlua: --set, --type, --attach, --only, --skip and --ring-bytes "
				"are for a BPF object of your own (--bpf, or the script's `bpf`)\n");
		return -EDOM;
	}
	return 0;
}

int rl_feed_load(struct rl_feed *f, const struct rl_options *opt, struct rl_lua *lua)
{
	const char *named = rl_lua_bpf(lua);
	int err = check_options(f->user || named, opt);

	if (err)
		return err;
	if (opt->pid && kill((pid_t)opt->pid, 0) && errno == ESRCH) {
		fprintf(stderr, "ringlua: -p %u: no such process\n", opt->pid);
		return -ESRCH;
	}
	/* Every feed loads through tracefs or reads pins in bpffs: mounted when missing. */
	rl_ensure_mounts();
	if (!f->user && named) {
		err = rl_feed_open_user(f, named, opt);
		if (err)
			return err;
	}
	if (f->user)
		return load_user(f, opt, lua);
	err = load_source(f, opt, lua);
	if (!err && opt->per_cpu_rings &&
	    (err = rl_source_cpu_rings(rl_feed_object(f), &f->cpu_rings, &f->nr_cpu_rings)))
		fprintf(stderr, "ringlua: cannot open the per-CPU rings: %s\n", strerror(-err));
	if (!err)
		err = map_sleep_flag(f, opt);
	/* Kernel aggregations reach the built-in program's maps and globals as a user
	 * object's do. */
	if (!err && !opt->pin && rl_lua_field(lua, "kernel_aggs"))
		err = rl_bpf_bindings(rl_feed_object(f), &f->kagg);
	return err;
}

struct rl_bpf *rl_feed_object(const struct rl_feed *f)
{
	if (f->tracepoints)
		return rl_tracepoints_bpf(f->tracepoints);
	return f->user ? rl_user_bpf_obj(f->user) : f->source_bpf;
}

const struct btf *rl_feed_btf(const struct rl_feed *f)
{
	struct rl_bpf *obj = rl_feed_object(f);

	if (f->user)
		return rl_user_bpf_btf(f->user);
	if (f->tracepoints)
		return rl_tracepoints_btf(f->tracepoints);
	return obj ? bpf_object__btf(rl_bpf_object(obj)) : NULL;
}

const char *rl_feed_cdef(const struct rl_feed *f)
{
	if (f->tracepoints)
		return rl_tracepoints_cdef(f->tracepoints);
	return f->user ? rl_user_bpf_cdef(f->user) : NULL;
}

int rl_feed_make_decoders(struct rl_feed *f)
{
	struct rl_btf_ring *rings = calloc(f->nr_rings ? f->nr_rings : 1, sizeof(*rings));
	int err = rings ? 0 : -ENOMEM;

	for (size_t i = 0; rings && i < f->nr_rings; i++)
		rings[i] = (struct rl_btf_ring){ .map = f->rings[i].name,
						 .type_id = f->rings[i].btf_id };
	if (!err)
		err = rl_btf_ring_decoders(rl_feed_btf(f), rings, f->nr_rings);
	for (size_t i = 0; !err && i < f->nr_rings; i++)
		f->rings[i].decoder = rings[i].decoder;
	free(rings);
	return err;
}

void rl_feed_close(struct rl_feed *f)
{
	for (size_t i = 0; f->rings && i < f->nr_rings; i++)
		free(f->rings[i].decoder);
	free(f->rings);
	for (size_t i = 0; i < f->nr_cpu_rings; i++)
		close(f->cpu_rings[i]);
	free(f->cpu_rings);
	free(f->bindings);
	free(f->kagg);
	rl_tracepoints_close(f->tracepoints);
	free(f->probes);
	rl_bpf_close(f->source_bpf);
	rl_user_bpf_close(f->user);
	if (f->pin_fd >= 0)
		close(f->pin_fd);
	*f = (struct rl_feed){ .pin_fd = -1 };
}
