/* Loading the script and the modules beside it: read through the ownership checks,
 * remembered for the watcher, compiled as text only. */
#include "lua/host_state.h"

#include <errno.h>
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
int rl_host_load_module(lua_State *L)
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
 * file checks; ffi, ringlua, agg and names are in scope, on the same line to keep line
 * numbers. */
static int load_code(struct rl_lua *h, lua_State *L)
{
	lua_pushstring(L, "local ffi, ringlua, agg, names = require('ffi'), require('ringlua'), "
			  "require('ringlua.agg'), require('ringlua.names'); ");
	lua_pushstring(L, h->o.code);
	lua_concat(L, 2);
	if (luaL_loadbufferx(L, lua_tostring(L, -1), lua_objlen(L, -1), "=-e", "t")) {
		lua_remove(L, -2);
		return rl_host_setup_error(h, L, -EINVAL);
	}
	lua_remove(L, -2);
	return 0;
}

/* Pushes the script's chunk. Returns 0, or -errno with the reason printed. */
int rl_host_load_script(struct rl_lua *h, lua_State *L)
{
	const char *path = h->o.script;
	const char *why;
	int err;

	if (h->o.code)
		return load_code(h, L);
	err = read_chunk(h, L, path, &why);

	if (err == 1)
		return rl_host_setup_error(h, L, -EINVAL);
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

