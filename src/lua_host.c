#include "lua_host.h"

#include <errno.h>
#include <stdbool.h>
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "errlog.h"
#include "script_file.h"
#include "sources.h"

/* Shared with the Lua batch loop (host.lua declares the same struct): where the batch
 * is, and the index of the record being handled, for resuming after an error. */
struct rl_dispatch {
	const struct rl_rec *batch;
	int32_t cursor;
};

/* Stack slots kept for the life of the state, so a batch costs one lua_pcall. */
enum { SLOT_TRACEBACK = 1, SLOT_DISPATCH, SLOT_HOOKS, SLOT_SOURCE };

struct rl_lua {
	lua_State *L;
	struct rl_dispatch shared;
	struct rl_errlog errlog;
	uint64_t errors;
	uint64_t max_errors;
	int verbose;
	bool unsafe_perms;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Frames of ringlua's own loop and of C say nothing about the script's bug. */
static int frame_is_noise(const char *line, size_t len)
{
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

/* Calls the function under nargs arguments on the stack, with the traceback handler.
 * On error leaves the message on the stack top and returns -1. */
static int call(struct rl_lua *h, int nargs, int nresults)
{
	return lua_pcall(h->L, nargs, nresults, SLOT_TRACEBACK) ? -1 : 0;
}

/* Prints the error on the stack top (a setup error: not rate-limited) and pops it: its
 * first line, file:line and message, or with -v its traceback too. */
static int fail(struct rl_lua *h, int err)
{
	const char *msg = lua_tostring(h->L, -1);
	int len = h->verbose ? (int)strlen(msg) : (int)strcspn(msg, "\n");

	fprintf(stderr, "ringlua: %.*s\n", len, msg);
	lua_pop(h->L, 1);
	return err;
}

/* Counts and reports (rate-limited) the handler error on the stack top, and pops it. */
static void handler_error(struct rl_lua *h)
{
	h->errors++;
	rl_errlog_report(&h->errlog, lua_tostring(h->L, -1), now_ns());
	lua_pop(h->L, 1);
}

/* package.path: ringlua's modules first, then modules beside the script. */
static void set_path(lua_State *L, const char *lua_dir, const char *script)
{
	const char *slash = strrchr(script, '/');
	int dir_len = slash ? (int)(slash - script) : 1;
	const char *dir = slash ? script : ".";

	lua_getglobal(L, "package");
	lua_pushfstring(L, "%s/?.lua;%s/?/init.lua;", lua_dir, lua_dir);
	lua_pushlstring(L, dir, (size_t)dir_len);
	lua_pushstring(L, "/?.lua;");
	lua_getfield(L, -4, "path");
	lua_concat(L, 4);
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

/* Pushes the script's chunk, read through the ownership checks and compiled as text.
 * Returns 0, or -errno with the reason printed. */
static int load_script(struct rl_lua *h, const char *path)
{
	char *text = NULL;
	size_t len = 0;
	const char *why;
	int err = rl_script_read(path, h->unsafe_perms, &text, &len, &why);

	if (err == -EPERM)
		fprintf(stderr, "ringlua: refusing to load %s: %s (--unsafe-perms overrides)\n",
			path, why);
	else if (err == -ENOEXEC)
		fprintf(stderr, "ringlua: %s: %s\n", path, why);
	else if (err)
		fprintf(stderr, "ringlua: cannot read script %s: %s\n", path, why);
	if (err)
		return err;
	lua_pushfstring(h->L, "@%s", path);
	err = luaL_loadbufferx(h->L, text, len, lua_tostring(h->L, -1), "t");
	free(text);
	lua_remove(h->L, -2); /* the chunk name, under the chunk or the error */
	return err ? fail(h, -EINVAL) : 0;
}

/* Loads host.lua and the script, then runs
 * host.start(chunk, script, shared, sources) -> source, dispatch, hooks into their slots. */
static int start(struct rl_lua *h, const struct rl_lua_opts *o)
{
	lua_State *L = h->L;
	char host[4096];
	int err;

	snprintf(host, sizeof(host), "%s/ringlua/host.lua", o->lua_dir);
	lua_pushcfunction(L, traceback);
	if (luaL_loadfile(L, host) || call(h, 0, 1))
		return fail(h, -ENOENT);
	lua_getfield(L, -1, "start");
	lua_remove(L, -2);
	err = load_script(h, o->script);
	if (err)
		return err;
	lua_pushstring(L, o->script);
	lua_pushlightuserdata(L, &h->shared);
	push_sources(L, o->sources, o->nr_sources);
	if (call(h, 4, 3))
		return fail(h, -EINVAL);
	/* host.start returned source, dispatch, hooks: order them as the slots want. */
	lua_pushvalue(L, -3);
	lua_remove(L, -4);
	return 0;
}

int rl_lua_open(struct rl_lua **out, const struct rl_lua_opts *opts)
{
	struct rl_lua *h = calloc(1, sizeof(*h));
	int err;

	if (!h)
		return -ENOMEM;
	h->shared.batch = opts->batch;
	h->errlog.out = stderr;
	h->max_errors = opts->max_errors;
	h->verbose = opts->verbose;
	h->unsafe_perms = opts->unsafe_perms;
	h->L = luaL_newstate();
	if (!h->L) {
		free(h);
		return -ENOMEM;
	}
	luaL_openlibs(h->L);
	set_path(h->L, opts->lua_dir, opts->script);
	err = start(h, opts);
	if (err) {
		rl_lua_close(h);
		return err;
	}
	*out = h;
	return 0;
}

const char *rl_lua_source(const struct rl_lua *h)
{
	return lua_tostring(h->L, SLOT_SOURCE);
}

/* Pushes hooks[name]; returns 0 if the script has that hook, else pops and returns -1. */
static int push_hook(struct rl_lua *h, const char *name)
{
	lua_getfield(h->L, SLOT_HOOKS, name);
	if (lua_isnil(h->L, -1)) {
		lua_pop(h->L, 1);
		return -1;
	}
	return 0;
}

int rl_lua_init(struct rl_lua *h, const char *source, int argc, char **argv)
{
	lua_State *L = h->L;

	lua_getglobal(L, "require");
	lua_pushstring(L, "ringlua");
	if (call(h, 1, 1))
		return fail(h, -EINVAL);
	lua_getfield(L, -1, "_use_source");
	lua_remove(L, -2);
	lua_pushstring(L, source);
	if (call(h, 1, 0))
		return fail(h, -EINVAL);
	if (push_hook(h, "on_init"))
		return 0;
	lua_createtable(L, argc, 0);
	for (int i = 0; i < argc; i++) {
		lua_pushstring(L, argv[i]);
		lua_rawseti(L, -2, i + 1);
	}
	return call(h, 1, 0) ? fail(h, -EINVAL) : 0;
}

size_t rl_lua_dispatch(struct rl_lua *h, size_t n)
{
	size_t first = 0;

	while (first < n) {
		lua_pushvalue(h->L, SLOT_DISPATCH);
		lua_pushinteger(h->L, (lua_Integer)first);
		lua_pushinteger(h->L, (lua_Integer)n);
		if (call(h, 2, 0) == 0)
			return n;
		/* on_event failed on record `cursor`: report it and go on after it. */
		handler_error(h);
		first = (size_t)h->shared.cursor + 1;
		if (rl_lua_failed(h))
			return first;
	}
	return n;
}

void rl_lua_tick(struct rl_lua *h)
{
	if (push_hook(h, "on_tick") == 0 && call(h, 0, 0))
		handler_error(h);
}

int rl_lua_exit(struct rl_lua *h)
{
	rl_errlog_flush(&h->errlog);
	if (push_hook(h, "on_exit") == 0 && call(h, 0, 0))
		return fail(h, -EINVAL);
	return 0;
}

uint64_t rl_lua_errors(const struct rl_lua *h)
{
	return h->errors;
}

int rl_lua_failed(const struct rl_lua *h)
{
	return h->max_errors && h->errors >= h->max_errors;
}

void rl_lua_close(struct rl_lua *h)
{
	if (!h)
		return;
	if (h->L)
		lua_close(h->L);
	free(h);
}
