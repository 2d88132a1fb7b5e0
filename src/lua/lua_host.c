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

#include "lua/dispatch.h"
#include "lua/errlog.h"
#include "lua/lua_mem.h"
#include "util/script_file.h"
#include "kernel/sources.h"
#include "lua/watchdog.h"

/* Stack slots kept for the life of a state, so a batch costs one lua_pcall. SLOT_CTL is
 * host.start's table: the handlers, `source`, export_state(). */
enum { SLOT_TRACEBACK = 1, SLOT_DISPATCH, SLOT_CTL };

/* Setup goes through these in order; each call checks it comes in its turn. */
enum rl_lua_phase {
	PHASE_MANIFEST,	/* the top level ran: source, bpf and globals can be read */
	PHASE_DECLARED,	/* the rings and their types and decoders are known */
	PHASE_RUNNING,	/* on_init ran: records may be dispatched */
};

struct rl_lua {
	lua_State *L;		/* the running state; a reload builds another, then swaps */
	struct rl_lua_opts o;
	const char *source;	/* as given to rl_lua_init, for the states of reloads */
	int argc;
	char **argv;
	struct rl_dispatch shared;
	struct rl_errlog errlog;
	uint64_t errors;
	uint64_t reloads;
	enum rl_watchdog_verdict stopped; /* the watchdog cut a call short */
	bool out_of_memory;	/* the memory limit stopped a call */
	const char *fail_prefix; /* before setup errors: says when a reload failed */
	char **files;		/* the script and the modules loaded beside it */
	size_t nr_files;
	const struct rl_ring_desc *rings; /* the ring table, for its decoders */
	size_t nr_rings;
	enum rl_lua_phase phase;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Frames of ringlua's own loop and of C say nothing about the script's bug. Only frame
 * lines (tab-indented) are judged: the message itself always stays. */
static int frame_is_noise(const char *line, size_t len)
{
	if (len == 0 || line[0] != '\t')
		return 0;
	return (len >= 4 && memcmp(line, "\t[C]", 4) == 0) ||
	       memmem(line, len, "ringlua/host.lua", 16) != NULL;
}

/* Error handler of every call into Lua: the message with the script's part of the Lua
 * stack, so errors say where they happened. */
static int traceback(lua_State *L)
{
	const char *msg = lua_tostring(L, 1);
	const char *line, *next;
	luaL_Buffer b;

	rl_watchdog_disarm(L);
	luaL_traceback(L, L, msg ? msg : "(error object is not a string)", 1);
	line = lua_tostring(L, -1);
	luaL_buffinit(L, &b);
	for (; *line; line = next) {
		next = strchr(line, '\n');
		next = next ? next + 1 : line + strlen(line);
		if (!frame_is_noise(line, (size_t)(next - line)))
			luaL_addlstring(&b, line, (size_t)(next - line));
	}
	luaL_pushresult(&b);
	return 1;
}

/* Calls the function under nargs arguments on L's stack (what names it), with the
 * traceback handler and under the watchdog, which times each record of a batch on its
 * own (the batch loop's cursor says which it is on). On error leaves the message on the
 * stack top and returns -1. */
static int call(struct rl_lua *h, lua_State *L, int nargs, int nresults, const char *what)
{
	struct rl_lua_mem *mem = rl_lua_mem_of(L);
	enum rl_watchdog_verdict verdict;
	int err;

	/* The memory limit holds while the script runs, where a refusal is an error it
	 * sees; the host's own allocations around the call are never refused. */
	rl_lua_mem_enforce(mem, true);
	rl_watchdog_enter(L, what, &h->shared.cursor);
	err = lua_pcall(L, nargs, nresults, SLOT_TRACEBACK);
	verdict = rl_watchdog_leave();
	rl_lua_mem_enforce(mem, false);
	if (err && verdict != RL_WATCHDOG_NONE)
		h->stopped = verdict;
	/* To interrupt a handler blocked writing, the watchdog ends the write (EINTR): that
	 * is no failure of the output, which on_exit may still use. */
	if (verdict == RL_WATCHDOG_INTERRUPT)
		clearerr(stdout);
	if (err == LUA_ERRMEM && rl_lua_mem_exceeded(mem)) {
		/* LuaJIT's message, "not enough memory", would not say which limit. */
		h->out_of_memory = true;
		rl_lua_mem_make_room(mem);
		lua_pop(L, 1);
		lua_pushfstring(L, "%s: the script's Lua memory reached the limit of %d MB "
				"(--memory-limit)", what, (int)(h->o.memory_limit >> 20));
	}
	return err ? -1 : 0;
}

/* Prints the error on L's stack top (a setup error: not rate-limited) and pops it: its
 * first line, file:line and message, or with -v its traceback too. After os.exit there
 * is nothing to report: returns -ECANCELED. */
static int fail(struct rl_lua *h, lua_State *L, int err)
{
	const char *msg = lua_tostring(L, -1);
	int len;

	if (h->shared.exit_requested) {
		lua_pop(L, 1);
		return -ECANCELED;
	}
	if (!msg)
		msg = "(error object is not a string)";
	len = h->o.verbose ? (int)strlen(msg) : (int)strcspn(msg, "\n");
	fprintf(stderr, "ringlua: %s%.*s\n", h->fail_prefix, len, msg);
	lua_pop(L, 1);
	return err;
}

/* Counts and reports (rate-limited) the handler error on the stack top, and pops it. */
static void handler_error(struct rl_lua *h)
{
	if (h->shared.exit_requested) {
		lua_pop(h->L, 1);
		return;
	}
	h->errors++;
	rl_errlog_report(&h->errlog, lua_tostring(h->L, -1), now_ns());
	lua_pop(h->L, 1);
}

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
static void push_sources(lua_State *L, const struct rl_source *src, size_t n)
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

/* Remembers path as part of the script (for watching), once. Returns 0 or -ENOMEM. */
static int add_file(struct rl_lua *h, const char *path)
{
	char **files;

	for (size_t i = 0; i < h->nr_files; i++)
		if (strcmp(h->files[i], path) == 0)
			return 0;
	files = realloc(h->files, (h->nr_files + 1) * sizeof(*files));
	if (!files)
		return -ENOMEM;
	h->files = files;
	files[h->nr_files] = strdup(path);
	if (!files[h->nr_files])
		return -ENOMEM;
	h->nr_files++;
	return 0;
}

/* Reads path through the ownership checks and pushes it compiled as text (or the
 * compile error). Returns 0 (a chunk pushed), 1 (an error message pushed), or -errno
 * when it could not be read, with *why saying why. */
static int read_chunk(struct rl_lua *h, lua_State *L, const char *path, const char **why)
{
	char *text = NULL;
	size_t len = 0;
	int err = rl_script_read(path, h->o.unsafe_perms, &text, &len, why);

	if (err)
		return err;
	add_file(h, path);
	lua_pushfstring(L, "@%s", path);
	err = luaL_loadbufferx(L, text, len, lua_tostring(L, -1), "t") ? 1 : 0;
	free(text);
	lua_remove(L, -2); /* the chunk name, under the chunk or the error */
	return err;
}

/* load_module(path) for host.lua's searcher: the chunk; or nil and a "no file" note
 * when there is no such file; an error for a file that is refused or does not compile. */
static int load_module(lua_State *L)
{
	struct rl_lua *h = lua_touserdata(L, lua_upvalueindex(1));
	const char *path = luaL_checkstring(L, 1);
	const char *why;
	int err = read_chunk(h, L, path, &why);

	if (err == 0)
		return 1;
	if (err == 1)
		return lua_error(L);
	if (err == -ENOENT || err == -ENOTDIR) {
		lua_pushnil(L);
		lua_pushfstring(L, "\n\tno file '%s'", path);
		return 2;
	}
	/* No position: the module's path says where. */
	lua_pushfstring(L, "%s %s: %s%s", err == -EPERM ? "refusing to load module" :
			"cannot load module", path, why,
			err == -EPERM ? " (--unsafe-perms overrides)" : "");
	return lua_error(L);
}

/* Pushes the chunk of -e CODE: given by the invoking user on the command line, so no
 * file checks; ffi and ringlua are in scope, on the same line to keep line numbers. */
static int load_code(struct rl_lua *h, lua_State *L)
{
	lua_pushstring(L, "local ffi, ringlua = require('ffi'), require('ringlua'); ");
	lua_pushstring(L, h->o.code);
	lua_concat(L, 2);
	if (luaL_loadbufferx(L, lua_tostring(L, -1), lua_objlen(L, -1), "=-e", "t")) {
		lua_remove(L, -2);
		return fail(h, L, -EINVAL);
	}
	lua_remove(L, -2);
	return 0;
}

/* Pushes the script's chunk. Returns 0, or -errno with the reason printed. */
static int load_script(struct rl_lua *h, lua_State *L)
{
	const char *path = h->o.script;
	const char *why;
	int err;

	if (h->o.code)
		return load_code(h, L);
	err = read_chunk(h, L, path, &why);

	if (err == 1)
		return fail(h, L, -EINVAL);
	if (err == -EPERM)
		fprintf(stderr, "ringlua: %srefusing to load %s: %s (--unsafe-perms overrides)\n",
			h->fail_prefix, path, why);
	else if (err == -ENOEXEC)
		fprintf(stderr, "ringlua: %s%s: %s\n", h->fail_prefix, path, why);
	else if (err)
		fprintf(stderr, "ringlua: %scannot read script %s: %s\n", h->fail_prefix, path,
			why);
	return err;
}

/* What a new state inherits from the one it replaces. */
struct carry {
	const char *state;	/* ringlua.state, encoded; NULL: start clean */
	size_t state_len;
	uint64_t reloads;	/* ringlua.reloads of the new state */
};

/* Pushes {name=, ctype=} for each ring of the user's BPF object, in ring order. */
static void push_rings(lua_State *L, const struct rl_ring_desc *rings, size_t n)
{
	lua_createtable(L, (int)n, 0);
	for (size_t i = 0; i < n; i++) {
		lua_createtable(L, 0, 2);
		lua_pushstring(L, rings[i].name);
		lua_setfield(L, -2, "name");
		lua_pushstring(L, rings[i].ctype); /* NULL pushes nil */
		lua_setfield(L, -2, "ctype");
		lua_rawseti(L, -2, (int)i + 1);
	}
}

/* Pushes host.start's options: load_module, own_path, state, reloads, rings, cdef,
 * rings_from. */
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
	lua_pushlightuserdata(L, h);
	lua_pushcclosure(L, load_module, 1);
	lua_setfield(L, -2, "load_module");
	push_own_path(L, &h->o);
	lua_setfield(L, -2, "own_path");
	if (carry->state) {
		lua_pushlstring(L, carry->state, carry->state_len);
		lua_setfield(L, -2, "state");
	}
	lua_pushinteger(L, (lua_Integer)carry->reloads);
	lua_setfield(L, -2, "reloads");
	lua_createtable(L, h->o.script_argc, 0);
	for (int i = 0; i < h->o.script_argc; i++) {
		lua_pushstring(L, h->o.script_argv[i]);
		lua_rawseti(L, -2, i + 1);
	}
	lua_setfield(L, -2, "args");
}

/* Loads host.lua and the script into L, then runs
 * host.start(chunk, script, shared, sources, opts) -> dispatch, ctl into their slots. */
static int start(struct rl_lua *h, lua_State *L, const struct carry *carry)
{
	char host[4096];
	int err;

	snprintf(host, sizeof(host), "%s/ringlua/host.lua", h->o.lua_dir);
	lua_pushcfunction(L, traceback);
	if (luaL_loadfile(L, host) || call(h, L, 0, 1, "ringlua's host.lua"))
		return fail(h, L, -ENOENT);
	lua_getfield(L, -1, "start");
	lua_remove(L, -2);
	err = load_script(h, L);
	if (err)
		return err;
	lua_pushstring(L, h->o.script);
	lua_pushlightuserdata(L, &h->shared);
	push_sources(L, h->o.sources, h->o.nr_sources);
	push_start_opts(h, L, carry);
	return call(h, L, 5, 2, "the script's top level") ? fail(h, L, -EINVAL) : 0;
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
	err = start(h, L, carry);
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
		if (call(h, L, 1, 1, "require"))
			return fail(h, L, -EINVAL);
		lua_getfield(L, -1, "_install");
		lua_remove(L, -2);
		lua_pushstring(L, r->name);
		lua_pushstring(L, r->ctype);
		lua_pushstring(L, r->decoder);
		if (call(h, L, 3, 0, "the decoders' install"))
			return fail(h, L, -EINVAL);
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

/* Tells the script in L its source, installs the decoders, then calls its
 * on_init(args). Returns 0 or -errno (error printed). */
static int init_state(struct rl_lua *h, lua_State *L)
{
	int err;

	lua_getglobal(L, "require");
	lua_pushstring(L, "ringlua");
	if (call(h, L, 1, 1, "require"))
		return fail(h, L, -EINVAL);
	lua_getfield(L, -1, "_use_source");
	lua_remove(L, -2);
	lua_pushstring(L, h->source);
	if (call(h, L, 1, 0, "ringlua._use_source"))
		return fail(h, L, -EINVAL);
	err = install_decoders(h, L);
	if (err)
		return err;
	if (push_hook(L, "on_init"))
		return 0;
	lua_createtable(L, h->argc, 0);
	for (int i = 0; i < h->argc; i++) {
		lua_pushstring(L, h->argv[i]);
		lua_rawseti(L, -2, i + 1);
	}
	return call(h, L, 1, 0, "on_init") ? fail(h, L, -EINVAL) : 0;
}

int rl_lua_init(struct rl_lua *h, const char *source, int argc, char **argv)
{
	int err;

	if (h->phase != PHASE_DECLARED)
		return -EINVAL;
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
	if (call(h, h->L, 0, 1, "ringlua.state's export") == 0)
		return true;
	h->fail_prefix = "reload: ringlua.state not carried over: ";
	fail(h, h->L, 0);
	h->fail_prefix = prefix;
	return false;
}

/* The event source is chosen once, at start: a new version that asks for another
 * source than the old one did still gets the running source, and is told so. */
static void warn_source_change(const struct rl_lua *h, lua_State *L)
{
	const char *old, *wanted;

	lua_getfield(h->L, SLOT_CTL, "source");
	lua_getfield(L, SLOT_CTL, "source");
	old = lua_tostring(h->L, -1);
	wanted = lua_tostring(L, -1);
	if (wanted && (!old || strcmp(wanted, old) != 0))
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
	if (!h->shared.exit_requested || before->shared.exit_requested)
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
		return err;
	}
	warn_source_change(h, L);
	/* ...then let the old one know and swap. */
	if (push_hook(h->L, "on_reload") == 0 && call(h, h->L, 0, 0, "on_reload"))
		handler_error(h);
	close_state(h->L);
	h->L = L;
	h->reloads++;
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
		if (call(h, h->L, 2, 0, "on_event") == 0)
			/* The loop ends early only after os.exit. */
			return h->shared.exit_requested ? handled_until_cursor(h, first, n) : n;
		/* on_event failed on record `cursor`: report it and go on after it, unless
		 * that was the watchdog: a record cut short counts as handled. */
		handler_error(h);
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
	if (call(h, h->L, 1, 0, "on_lost"))
		handler_error(h);
}

void rl_lua_tick(struct rl_lua *h)
{
	if (push_hook(h->L, "on_tick") == 0 && call(h, h->L, 0, 0, "on_tick"))
		handler_error(h);
}

int rl_lua_exit(struct rl_lua *h)
{
	rl_errlog_flush(&h->errlog);
	if (push_hook(h->L, "on_exit") == 0 && call(h, h->L, 0, 0, "on_exit"))
		return fail(h, h->L, -EINVAL);
	return 0;
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
	if (!h || !h->shared.exit_requested)
		return false;
	*code = h->shared.exit_code;
	return true;
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
	free(h);
}
