#include "lua/lua_host.h"

#include <errno.h>
#include <stdbool.h>
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lua/host_state.h"
#include "lua/lua_mem.h"
#include "lua/watchdog.h"

/* Pushes where ringlua's own modules are, as a package.path: its lua/ directory and the
 * modules generated at build time. */
static void push_own_path(lua_State *L, const struct rl_lua_opts *o)
{
	lua_pushfstring(L, "%s/?.lua;%s/?/init.lua;%s/?.lua", o->lua_dir, o->lua_dir,
			o->generated_dir);
}

/* package.path: ringlua's modules first, then the system's. Modules beside the script
 * come through host.lua's checked searcher, not through the path. */
static void set_path(lua_State *L, const struct rl_lua_opts *o)
{
	lua_getglobal(L, "package");
	push_own_path(L, o);
	lua_pushliteral(L, ";");
	lua_getfield(L, -3, "path");
	lua_concat(L, 3);
	lua_setfield(L, -2, "path");
	lua_pop(L, 1);
}

/* Pushes {name = {ctype=, cdef=}} for every built-in source. */
static void push_event_types(lua_State *L, const struct rl_lua_event_type *src, size_t n)
{
	lua_createtable(L, 0, (int)n);
	for (size_t i = 0; i < n; i++) {
		lua_createtable(L, 0, 2);
		lua_pushstring(L, src[i].ctype);
		lua_setfield(L, -2, "ctype");
		lua_pushstring(L, src[i].cdef);
		lua_setfield(L, -2, "cdef");
		lua_setfield(L, -2, src[i].name);
	}
}

/* What a new state inherits from the one it replaces. */
struct carry {
	const char *state;	/* ringlua.state, encoded; NULL: start clean */
	size_t state_len;
	uint64_t reloads;	/* ringlua.reloads of the new state */
};

/* Pushes {name=, ctype=, tagged=} for each ring of the user's BPF object or tracepoint
 * probe, in ring order. */
static void push_rings(lua_State *L, const struct rl_ring_desc *rings, size_t n)
{
	lua_createtable(L, (int)n, 0);
	for (size_t i = 0; i < n; i++) {
		lua_createtable(L, 0, 3);
		lua_pushstring(L, rings[i].name);
		lua_setfield(L, -2, "name");
		lua_pushstring(L, rings[i].ctype); /* NULL pushes nil */
		lua_setfield(L, -2, "ctype");
		lua_pushboolean(L, rings[i].tagged);
		lua_setfield(L, -2, "tagged");
		lua_rawseti(L, -2, (int)i + 1);
	}
}

/* Pushes host.start's options: load_module, own_path, state, reloads, rings, cdef,
 * rings_from, unwind_mem_mb. */
static void push_start_opts(struct rl_lua *h, lua_State *L, const struct carry *carry)
{
	lua_createtable(L, 0, 7);
	if (h->o.rings) {
		push_rings(L, h->o.rings, h->o.nr_rings);
		lua_setfield(L, -2, "rings");
		lua_pushstring(L, h->o.cdef ? h->o.cdef : "");
		lua_setfield(L, -2, "cdef");
	}
	if (h->o.rings_from) {
		lua_pushstring(L, h->o.rings_from);
		lua_setfield(L, -2, "rings_from");
	}
	lua_pushstring(L, h->o.source_option); /* NULL pushes nil */
	lua_setfield(L, -2, "source_option");
	lua_pushlightuserdata(L, h);
	lua_pushcclosure(L, rl_host_load_module, 1);
	lua_setfield(L, -2, "load_module");
	push_own_path(L, &h->o);
	lua_setfield(L, -2, "own_path");
	if (carry->state) {
		lua_pushlstring(L, carry->state, carry->state_len);
		lua_setfield(L, -2, "state");
	}
	lua_pushinteger(L, (lua_Integer)carry->reloads);
	lua_setfield(L, -2, "reloads");
	if (h->o.unwind_mem_mb) {
		lua_pushinteger(L, (lua_Integer)h->o.unwind_mem_mb);
		lua_setfield(L, -2, "unwind_mem_mb");
	}
	lua_createtable(L, h->o.script_argc, 0);
	for (int i = 0; i < h->o.script_argc; i++) {
		lua_pushstring(L, h->o.script_argv[i]);
		lua_rawseti(L, -2, i + 1);
	}
	lua_setfield(L, -2, "args");
}

/* Loads host.lua and the script into L, then runs
 * host.start(chunk, script, shared, event types, opts) -> dispatch, ctl into their
 * slots. */
static int start_script(struct rl_lua *h, lua_State *L, const struct carry *carry)
{
	char host[4096];
	int err;

	snprintf(host, sizeof(host), "%s/ringlua/host.lua", h->o.lua_dir);
	lua_pushcfunction(L, rl_host_traceback);
	if (luaL_loadfile(L, host) || rl_host_call(h, L, 0, 1, "ringlua's host.lua"))
		return rl_host_setup_error(h, L, -ENOENT);
	lua_getfield(L, -1, "start");
	lua_remove(L, -2);
	err = rl_host_load_script(h, L);
	if (err)
		return err;
	lua_pushstring(L, h->o.script);
	lua_pushlightuserdata(L, &h->shared);
	push_event_types(L, h->o.event_types, h->o.nr_event_types);
	push_start_opts(h, L, carry);
	if (rl_host_call(h, L, 5, 2, "the script's top level"))
		return rl_host_setup_error(h, L, -EINVAL);
	return 0;
}

/* Closes L and releases all it holds, its memory accounting included. */
static void close_state(lua_State *L)
{
	rl_lua_mem_close(L);
}

/* A fresh state with the script started in it. Returns 0, or -errno with the reason
 * printed. */
static int new_state(struct rl_lua *h, lua_State **out, const struct carry *carry)
{
	lua_State *L = luaL_newstate();
	int err;

	if (!L)
		return -ENOMEM;
	if (!rl_lua_mem_limit(L, h->o.memory_limit)) {
		lua_close(L);
		return -ENOMEM;
	}
	luaL_openlibs(L);
	set_path(L, &h->o);
	err = start_script(h, L, carry);
	if (err) {
		close_state(L);
		return err;
	}
	*out = L;
	return 0;
}

int rl_lua_open(struct rl_lua **out, const struct rl_lua_opts *opts)
{
	struct rl_lua *h = calloc(1, sizeof(*h));
	struct carry fresh = { 0 };
	int err;

	if (!h)
		return -ENOMEM;
	h->o = *opts;
	h->shared.emit = opts->emit;
	h->shared.emit_ctx = opts->emit_ctx;
	h->errlog.out = stderr;
	h->fail_prefix = "";
	err = new_state(h, &h->L, &fresh);
	if (err && err != -ECANCELED) {
		rl_lua_close(h);
		return err;
	}
	*out = h;
	return err;
}

/* The string field of host.start's table, or NULL. */
static const char *ctl_string(const struct rl_lua *h, const char *field)
{
	const char *value;

	lua_getfield(h->L, SLOT_CTL, field);
	value = lua_tostring(h->L, -1); /* kept alive by the table */
	lua_pop(h->L, 1);
	return value;
}

const char *rl_lua_source(const struct rl_lua *h)
{
	return ctl_string(h, "source");
}

const char *rl_lua_bpf(const struct rl_lua *h)
{
	return ctl_string(h, "bpf");
}

const char *rl_lua_field(const struct rl_lua *h, const char *name)
{
	return ctl_string(h, name);
}

bool rl_lua_flag(const struct rl_lua *h, const char *name)
{
	bool value;

	lua_getfield(h->L, SLOT_CTL, name);
	value = lua_toboolean(h->L, -1);
	lua_pop(h->L, 1);
	return value;
}

int rl_lua_globals(const struct rl_lua *h,
		   int (*fn)(void *ctx, const char *name, const char *value, const char *type),
		   void *ctx)
{
	lua_State *L = h->L;
	int err = 0;

	/* host.start made it a list of {name, value as text, type}, all strings. */
	lua_getfield(L, SLOT_CTL, "globals");
	for (int i = 1; !err && lua_istable(L, -1); i++) {
		lua_rawgeti(L, -1, i);
		if (lua_isnil(L, -1)) {
			lua_pop(L, 1);
			break;
		}
		for (int k = 1; k <= 3; k++)
			lua_rawgeti(L, -k, k);
		err = fn(ctx, lua_tostring(L, -3), lua_tostring(L, -2), lua_tostring(L, -1));
		lua_pop(L, 4);
	}
	lua_pop(L, 1);
	return err;
}

/* Pushes the script's hook `name`; returns 0 if it has one, else -1 (nothing pushed). */
static int push_hook(lua_State *L, const char *name)
{
	lua_getfield(L, SLOT_CTL, name);
	if (lua_isnil(L, -1)) {
		lua_pop(L, 1);
		return -1;
	}
	return 0;
}

/* require("ringlua.decode")._install(map, ctype, source) for every ring with a decoder. */
static int install_decoders(struct rl_lua *h, lua_State *L)
{
	for (size_t i = 0; i < h->nr_rings; i++) {
		const struct rl_ring_desc *r = &h->rings[i];

		if (!r->decoder)
			continue;
		lua_getglobal(L, "require");
		lua_pushstring(L, "ringlua.decode");
		if (rl_host_call(h, L, 1, 1, "require"))
			return rl_host_setup_error(h, L, -EINVAL);
		lua_getfield(L, -1, "_install");
		lua_remove(L, -2);
		lua_pushstring(L, r->name);
		lua_pushstring(L, r->ctype);
		lua_pushstring(L, r->decoder);
		if (rl_host_call(h, L, 3, 0, "the decoders' install"))
			return rl_host_setup_error(h, L, -EINVAL);
	}
	return 0;
}

int rl_lua_declare(struct rl_lua *h, const struct rl_ring_desc *rings, size_t n,
		   const char *cdef)
{
	bool undeclared = cdef && !h->o.rings;
	struct carry fresh = { 0 };
	lua_State *L = NULL;
	int err;

	if (h->phase != PHASE_MANIFEST)
		return -EINVAL;
	h->rings = rings;
	h->nr_rings = n;
	if (cdef) {
		/* A user object's rings: declared in Lua by name, with their types. */
		h->o.rings = rings;
		h->o.nr_rings = n;
		h->o.cdef = cdef;
	}
	if (undeclared) {
		/* The top level ran before the object it names was open: it runs again in a
		 * state that declares the object's record types first, as later ones do. */
		err = new_state(h, &L, &fresh);
		if (err)
			return err;
		close_state(h->L);
		h->L = L;
	}
	h->phase = PHASE_DECLARED;
	return 0;
}

/* require("ringlua.object")._install(bindings): ringlua.globals and ringlua.maps. */
static int install_bindings(struct rl_lua *h, lua_State *L)
{
	if (!h->bindings)
		return 0;
	lua_getglobal(L, "require");
	lua_pushstring(L, "ringlua.object");
	if (rl_host_call(h, L, 1, 1, "require"))
		return rl_host_setup_error(h, L, -EINVAL);
	lua_getfield(L, -1, "_install");
	lua_remove(L, -2);
	lua_pushstring(L, h->bindings);
	if (rl_host_call(h, L, 1, 0, "the BPF object's globals and maps"))
		return rl_host_setup_error(h, L, -EINVAL);
	return 0;
}

int rl_lua_bind(struct rl_lua *h, const char *bindings)
{
	if (h->phase != PHASE_DECLARED)
		return -EINVAL;
	h->bindings = bindings;
	return 0;
}

int rl_lua_kernel_aggs(struct rl_lua *h, const char *maps)
{
	if (h->phase != PHASE_DECLARED)
		return -EINVAL;
	h->kagg = maps;
	return 0;
}

/* require("ringlua.agg")._kernel_settle() in L: the program keeps L's kernel
 * aggregations only, and delivers records as L wants. For the state that runs from now
 * on: at start, after a reload, and after a failed one (whose candidate may have added
 * its own). A failure is reported; the aggregations keep what they had. */
static void settle_kernel_aggs(struct rl_lua *h, lua_State *L)
{
	lua_getglobal(L, "require");
	lua_pushstring(L, "ringlua.agg");
	if (rl_host_call(h, L, 1, 1, "require")) {
		rl_host_setup_error(h, L, 0);
		return;
	}
	lua_getfield(L, -1, "_kernel_settle");
	lua_remove(L, -2);
	if (rl_host_call(h, L, 0, 0, "the kernel aggregations"))
		rl_host_setup_error(h, L, 0);
}

/* require("ringlua.agg")._kernel_install(maps): the script's kernel aggregations written
 * into the program's maps (an error without them: no built-in program feeds it), beside
 * the running script's while L is a reload's candidate, which settles only once it runs
 * (rl_lua_reload); at start, settled at once. */
static int install_kernel_aggs(struct rl_lua *h, lua_State *L)
{
	lua_getglobal(L, "require");
	lua_pushstring(L, "ringlua.agg");
	if (rl_host_call(h, L, 1, 1, "require"))
		return rl_host_setup_error(h, L, -EINVAL);
	lua_getfield(L, -1, "_kernel_install");
	lua_remove(L, -2);
	if (h->kagg)
		lua_pushstring(L, h->kagg);
	else
		lua_pushnil(L);
	lua_getfield(L, SLOT_CTL, "kernel_deliver");
	if (rl_host_call(h, L, 2, 0, "the kernel aggregations"))
		return rl_host_setup_error(h, L, -EINVAL);
	if (L == h->L)
		settle_kernel_aggs(h, L);
	return 0;
}

/* Tells the script in L its source, installs the decoders, then calls its
 * on_init(args). Returns 0 or -errno (error printed). */
static int init_state(struct rl_lua *h, lua_State *L)
{
	int err;

	lua_getglobal(L, "require");
	lua_pushstring(L, "ringlua");
	if (rl_host_call(h, L, 1, 1, "require"))
		return rl_host_setup_error(h, L, -EINVAL);
	lua_getfield(L, -1, "_use_source");
	lua_remove(L, -2);
	lua_pushstring(L, h->source);
	if (rl_host_call(h, L, 1, 0, "ringlua._use_source"))
		return rl_host_setup_error(h, L, -EINVAL);
	err = install_decoders(h, L);
	if (!err)
		err = install_bindings(h, L);
	if (!err)
		err = install_kernel_aggs(h, L);
	if (err)
		return err;
	if (push_hook(L, "on_init"))
		return 0;
	lua_createtable(L, h->argc, 0);
	for (int i = 0; i < h->argc; i++) {
		lua_pushstring(L, h->argv[i]);
		lua_rawseti(L, -2, i + 1);
	}
	return rl_host_call(h, L, 1, 0, "on_init") ? rl_host_setup_error(h, L, -EINVAL) : 0;
}

int rl_lua_init(struct rl_lua *h, const char *source, int argc, char **argv)
{
	const char *chosen_by = h->o.source_option ? h->o.source_option : rl_lua_source(h);
	int err;

	if (h->phase != PHASE_DECLARED)
		return -EINVAL;
	if (chosen_by && !(h->chosen_by = strdup(chosen_by))) {
		fprintf(stderr, "ringlua: out of memory\n");
		return -ENOMEM;
	}
	h->source = source;
	h->argc = argc;
	h->argv = argv;
	err = init_state(h, h->L);
	if (!err)
		h->phase = PHASE_RUNNING;
	return err;
}

/* Pushes the running script's ringlua.state, encoded; on failure, reports it and pushes
 * nothing, and the new state starts clean. Returns whether it pushed. */
static bool push_state_export(struct rl_lua *h)
{
	const char *prefix = h->fail_prefix;

	lua_getfield(h->L, SLOT_CTL, "export_state");
	if (rl_host_call(h, h->L, 0, 1, "ringlua.state's export") == 0)
		return true;
	h->fail_prefix = "reload: ringlua.state not carried over: ";
	rl_host_setup_error(h, h->L, 0);
	h->fail_prefix = prefix;
	return false;
}

/* Whether a new version asks for the running source: by its name ("profile"), or by the
 * name that chose it ("profile:hz:99"). */
static bool asks_for_running_source(const struct rl_lua *h, const char *wanted)
{
	return (h->source && !strcmp(wanted, h->source)) ||
	       (h->chosen_by && !strcmp(wanted, h->chosen_by));
}

/* The event source is chosen once, at start: a new version that asks for another
 * source than the old one did still gets the running source, and is told so (not when
 * what it asks for is the running source: a change back, or -s's). */
static void warn_source_change(const struct rl_lua *h, lua_State *L)
{
	const char *old, *wanted;

	lua_getfield(h->L, SLOT_CTL, "source");
	lua_getfield(L, SLOT_CTL, "source");
	old = lua_tostring(h->L, -1);
	wanted = lua_tostring(L, -1);
	if (wanted && (!old || strcmp(wanted, old) != 0) && !asks_for_running_source(h, wanted))
		fprintf(stderr, "ringlua: reload: %s now asks for source '%s'; the running "
				"source '%s' stays until ringlua is restarted\n", h->o.script,
			wanted, h->source);
	lua_pop(L, 1);
	lua_pop(h->L, 1);
}

/* The flags a run is judged by, which a candidate state sets as the running one does. */
struct verdicts {
	struct rl_dispatch shared;
	enum rl_watchdog_verdict stopped;
	bool out_of_memory;
};

/* Whether the candidate being built asked to exit: that is its failure, said here (the
 * setup error path says nothing after os.exit). */
static bool candidate_exited(const struct rl_lua *h, const struct verdicts *before)
{
	if (h->shared.exit_requested != REQUEST_OS_EXIT || before->shared.exit_requested)
		return false;
	fprintf(stderr, "ringlua: %s%s called os.exit(%d) while starting\n", h->fail_prefix,
		h->o.script, (int)h->shared.exit_code);
	return true;
}

int rl_lua_reload(struct rl_lua *h)
{
	struct carry carry = { .reloads = h->reloads + 1 };
	/* A candidate that fails leaves nothing behind: its timeout, memory limit or
	 * os.exit would otherwise end the script that goes on. */
	const struct verdicts before = { h->shared, h->stopped, h->out_of_memory };
	lua_State *L = NULL;
	bool exported;
	int err;

	/* Build and start the new state beside the running one... */
	h->fail_prefix = "reload failed, the running script goes on: ";
	exported = push_state_export(h);
	if (exported)
		carry.state = lua_tolstring(h->L, -1, &carry.state_len);
	err = new_state(h, &L, &carry);
	if (exported)
		lua_pop(h->L, 1);
	if (!err)
		err = init_state(h, L);
	if (candidate_exited(h, &before))
		err = -ECANCELED;
	h->fail_prefix = "";
	if (err) {
		if (L)
			close_state(L);
		h->shared = before.shared;
		h->stopped = before.stopped;
		h->out_of_memory = before.out_of_memory;
		/* The candidate's kernel aggregations, if it wrote any, go with it. */
		settle_kernel_aggs(h, h->L);
		return err;
	}
	warn_source_change(h, L);
	/* ...then let the old one know and swap. */
	if (push_hook(h->L, "on_reload") == 0 && rl_host_call(h, h->L, 0, 0, "on_reload"))
		rl_host_handler_error(h);
	close_state(h->L);
	h->L = L;
	h->reloads++;
	settle_kernel_aggs(h, L);
	return 0;
}

uint64_t rl_lua_reloads(const struct rl_lua *h)
{
	return h->reloads;
}

const char *const *rl_lua_files(const struct rl_lua *h, size_t *n)
{
	*n = h->nr_files;
	return (const char *const *)h->files;
}

/* The records of the batch handled once a call from first stopped: up to the one the
 * loop was on. The cursor was set to first before the call, so one that failed before
 * the loop stored it (a watchdog or memory error on entry) still moves on by a record;
 * the clamp keeps the count within the batch whatever the cursor holds. */
static size_t handled_until_cursor(const struct rl_lua *h, size_t first, size_t n)
{
	int64_t cursor = h->shared.cursor;
	size_t next = cursor < (int64_t)first ? first + 1 : (size_t)cursor + 1;

	return next < n ? next : n;
}

size_t rl_lua_dispatch(struct rl_lua *h, const struct rl_rec *batch, size_t n)
{
	size_t first = 0;

	h->shared.batch = batch;
	while (first < n) {
		h->shared.cursor = (int32_t)first;
		lua_pushvalue(h->L, SLOT_DISPATCH);
		lua_pushinteger(h->L, (lua_Integer)first);
		lua_pushinteger(h->L, (lua_Integer)n);
		if (rl_host_call(h, h->L, 2, 0, "on_event") == 0)
			/* The loop ends early only after os.exit. */
			return h->shared.exit_requested ? handled_until_cursor(h, first, n) : n;
		/* on_event failed on record `cursor`: report it and go on after it, unless
		 * that was the watchdog: a record cut short counts as handled. */
		rl_host_handler_error(h);
		first = handled_until_cursor(h, first, n);
		if (rl_lua_failed(h) || h->stopped || h->shared.exit_requested)
			return first;
	}
	return n;
}

void rl_lua_lost(struct rl_lua *h, uint64_t n)
{
	if (push_hook(h->L, "on_lost"))
		return;
	lua_pushnumber(h->L, (lua_Number)n);
	if (rl_host_call(h, h->L, 1, 0, "on_lost"))
		rl_host_handler_error(h);
}

void rl_lua_tick(struct rl_lua *h)
{
	if (push_hook(h->L, "on_tick") == 0 && rl_host_call(h, h->L, 0, 0, "on_tick"))
		rl_host_handler_error(h);
}

int rl_lua_render_metrics(struct rl_lua *h, uint64_t max_series, char **text, size_t *len,
			  uint64_t *dropped)
{
	lua_State *L = h->L;
	const char *rendered;
	int err = 0;

	*text = NULL;
	lua_getglobal(L, "require");
	lua_pushstring(L, "ringlua.metrics");
	if (rl_host_call(h, L, 1, 1, "require")) {
		rl_host_handler_error(h);
		return -EINVAL;
	}
	lua_getfield(L, -1, "render");
	lua_remove(L, -2);
	lua_pushnumber(L, (lua_Number)max_series);
	if (rl_host_call(h, L, 1, 2, "--metrics' rendering")) {
		rl_host_handler_error(h);
		return -EINVAL;
	}
	rendered = lua_tolstring(L, -2, len);
	*dropped = (uint64_t)lua_tonumber(L, -1);
	*text = rendered ? malloc(*len + 1) : NULL;
	if (*text)
		memcpy(*text, rendered, *len + 1);
	else
		err = -ENOMEM;
	lua_pop(L, 2);
	return err;
}

int rl_lua_exit(struct rl_lua *h)
{
	rl_errlog_flush(&h->errlog);
	if (push_hook(h->L, "on_exit") || rl_host_call(h, h->L, 0, 0, "on_exit") == 0)
		return 0;
	return rl_host_setup_error(h, h->L, h->last_verdict == RL_WATCHDOG_INTERRUPT ?
					    -EINTR : -EINVAL);
}

uint64_t rl_lua_errors(const struct rl_lua *h)
{
	return h->errors;
}

int rl_lua_failed(const struct rl_lua *h)
{
	return (h->o.max_errors && h->errors >= h->o.max_errors) ||
	       h->stopped == RL_WATCHDOG_TIMEOUT || h->out_of_memory;
}

bool rl_lua_exit_requested(const struct rl_lua *h, int *code)
{
	if (!h || h->shared.exit_requested != REQUEST_OS_EXIT)
		return false;
	*code = h->shared.exit_code;
	return true;
}

bool rl_lua_stop_requested(const struct rl_lua *h)
{
	return h && h->shared.exit_requested == REQUEST_STOP;
}

bool rl_lua_interrupted(const struct rl_lua *h)
{
	return h->stopped == RL_WATCHDOG_INTERRUPT;
}


void rl_lua_close(struct rl_lua *h)
{
	if (!h)
		return;
	if (h->L)
		close_state(h->L);
	for (size_t i = 0; i < h->nr_files; i++)
		free(h->files[i]);
	free(h->files);
	free(h->chosen_by);
	free(h);
}
