/* Loading the script and the modules beside it: read through the ownership checks,
 * remembered for the watcher, compiled as text only. */
#include "lua/host_state.h"

#include <errno.h>
#include <stdbool.h>
#include <lauxlib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/script_file.h"

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

/* What -e's code has in scope, on its first line to keep line numbers. A program's
 * translation declares the same itself. */
#define CODE_PRELUDE "local ffi, ringlua, agg, names = require('ffi'), require('ringlua'), " \
		     "require('ringlua.agg'), require('ringlua.names'); "

/* Pushes require("ringlua.program").translate(text, name, sources): the Lua script of a
 * program, or nil when text is none; or nil, an error and whether it is a usage error.
 * Returns 0 (three values pushed) or 1 (the call failed: its error pushed). */
static int translate(struct rl_lua *h, lua_State *L, const char *text, size_t len,
		     const char *name)
{
	lua_getglobal(L, "require");
	lua_pushstring(L, "ringlua.program");
	if (rl_host_call(h, L, 1, 1, "require"))
		return 1;
	lua_getfield(L, -1, "translate");
	lua_remove(L, -2);
	lua_pushlstring(L, text, len);
	lua_pushstring(L, name);
	lua_createtable(L, (int)h->o.nr_event_types, 0);
	for (size_t i = 0; i < h->o.nr_event_types; i++) {
		lua_pushstring(L, h->o.event_types[i].name);
		lua_rawseti(L, -2, (int)i + 1);
	}
	return rl_host_call(h, L, 3, 3, "ringlua.program") ? 1 : 0;
}

/* Pushes the script's text compiled under chunkname (name in a program's errors): a
 * program (`PROBE { LUA }` clauses) translated first, plain Lua after prelude. Returns
 * 0 (the chunk pushed), 1 (an error message pushed), or -EDOM (a usage error's message
 * pushed: an unknown probe). */
static int compile_script(struct rl_lua *h, lua_State *L, const char *text, size_t len,
			  const char *name, const char *chunkname, const char *prelude)
{
	int err = translate(h, L, text, len, name);
	bool usage;

	if (err)
		return err;
	if (lua_isstring(L, -3)) {
		lua_pop(L, 2);
		err = luaL_loadbufferx(L, lua_tostring(L, -1), lua_objlen(L, -1), chunkname,
				       "t") ? 1 : 0;
		lua_remove(L, -2);
		return err;
	}
	if (lua_isstring(L, -2)) {
		usage = lua_toboolean(L, -1);
		lua_pop(L, 1);
		lua_remove(L, -2);
		return usage ? -EDOM : 1;
	}
	lua_pop(L, 3);
	lua_pushstring(L, prelude);
	lua_pushlstring(L, text, len);
	lua_concat(L, 2);
	err = luaL_loadbufferx(L, lua_tostring(L, -1), lua_objlen(L, -1), chunkname, "t") ? 1 : 0;
	lua_remove(L, -2);
	return err;
}

/* Reads path through the ownership checks and pushes it compiled as text (or the
 * compile error); the script (not a module) may be a program. Returns 0 (a chunk
 * pushed), 1 (an error message pushed), -EDOM (a program's usage error pushed), or
 * -errno when it could not be read, with *why saying why. */
static int read_chunk(struct rl_lua *h, lua_State *L, const char *path, bool script,
		      const char **why)
{
	char *text = NULL;
	size_t len = 0;
	int err;

	if (h->o.before_read)
		h->o.before_read(h->o.before_read_ctx, path);
	err = rl_script_read(path, h->o.unsafe_perms, &text, &len, why);

	if (err)
		return err;
	add_file(h, path);
	lua_pushfstring(L, "@%s", path);
	if (script)
		err = compile_script(h, L, text, len, path, lua_tostring(L, -1), "");
	else
		err = luaL_loadbufferx(L, text, len, lua_tostring(L, -1), "t") ? 1 : 0;
	free(text);
	lua_remove(L, -2); /* the chunk name, under the chunk or the error */
	return err;
}

/* load_module(path) for host.lua's searcher: the chunk; or nil and a "no file" note
 * when there is no such file; an error for a file that is refused or does not compile. */
int rl_host_load_module(lua_State *L)
{
	struct rl_lua *h = lua_touserdata(L, lua_upvalueindex(1));
	const char *path = luaL_checkstring(L, 1);
	const char *why;
	int err = read_chunk(h, L, path, false, &why);

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
 * file checks; ffi, ringlua, agg and names are in scope. */
static int load_code(struct rl_lua *h, lua_State *L)
{
	int err = compile_script(h, L, h->o.code, strlen(h->o.code), "-e", "=-e", CODE_PRELUDE);

	return err ? rl_host_setup_error(h, L, err == 1 ? -EINVAL : err) : 0;
}

/* Pushes the script's chunk. Returns 0, or -errno with the reason printed. */
int rl_host_load_script(struct rl_lua *h, lua_State *L)
{
	const char *path = h->o.script;
	const char *why;
	int err;

	if (h->o.code)
		return load_code(h, L);
	err = read_chunk(h, L, path, true, &why);

	if (err == 1 || err == -EDOM)
		return rl_host_setup_error(h, L, err == 1 ? -EINVAL : err);
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

