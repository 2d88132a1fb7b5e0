/* The Lua memory limit (src/lua/lua_mem.c) on real LuaJIT states: a closed state gives
 * all its memory back, the limit refuses what would pass it while it is enforced, and the
 * room after a refusal is given by the host, once. */
#include <lauxlib.h>
#include <lualib.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "lua/lua_mem.h"

#define STATES 200
/* LuaJIT maps an arena of at least 128 KiB per state: 200 kept would be over 25 MiB. */
#define MAX_GROWTH_KB (4 * 1024)

/* A field of /proc/self/status in kB ("VmSize:"), or -1. */
static long status_kb(const char *key)
{
	char line[256];
	long kb = -1;
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, key, strlen(key)) == 0)
			sscanf(line + strlen(key), "%ld", &kb);
	fclose(f);
	return kb;
}

/* A state under limit bytes, with the standard libraries, that ran chunk. Returns the
 * chunk's status (0: ran, else a LUA_ERR* code) in *status. */
static lua_State *state_running(size_t limit, const char *chunk, int *status)
{
	lua_State *L = luaL_newstate();

	if (!L || !rl_lua_mem_limit(L, limit)) {
		rl_lua_mem_close(L);
		return NULL;
	}
	luaL_openlibs(L);
	*status = luaL_loadstring(L, chunk);
	if (*status == 0)
		*status = lua_pcall(L, 0, 0, 0);
	return L;
}

static void closed_states_give_their_memory_back(void)
{
	long before = status_kb("VmSize:");
	int status;

	for (int i = 0; i < STATES; i++) {
		lua_State *L = state_running(0, "local t = {} for i = 1, 1000 do t[i] = {i} end",
					     &status);

		CHECK(L && status == 0);
		rl_lua_mem_close(L);
	}
	CHECK(before > 0 && status_kb("VmSize:") - before < MAX_GROWTH_KB);
}

static void allocations_past_the_limit_fail(void)
{
	int status;
	lua_State *L = state_running(1 << 20, "local t = {} for i = 1, 1e7 do t[i] = i end",
				     &status);

	CHECK(L);
	CHECK(status == LUA_ERRMEM);
	CHECK(rl_lua_mem_exceeded(rl_lua_mem_of(L)));
	rl_lua_mem_close(L);
}

/* Runs chunk in L, protected: 0 or a LUA_ERR* code. */
static int run(lua_State *L, const char *chunk)
{
	int status = luaL_loadstring(L, chunk);

	return status ? status : lua_pcall(L, 0, 0, 0);
}

static void a_lifted_limit_refuses_nothing(void)
{
	int status;
	lua_State *L = state_running(1 << 20, "big = {}", &status);
	struct rl_lua_mem *m = rl_lua_mem_of(L);

	CHECK(L && status == 0);
	rl_lua_mem_enforce(m, false);
	CHECK(run(L, "for i = 1, 1e5 do big[i] = tostring(i) end") == 0);
	CHECK(!rl_lua_mem_exceeded(m));
	CHECK(rl_lua_mem_used(m) > (1 << 20));
	rl_lua_mem_enforce(m, true);
	CHECK(run(L, "big[#big + 1] = string.rep('y', 4096)") == LUA_ERRMEM);
	CHECK(rl_lua_mem_exceeded(m));
	rl_lua_mem_enforce(NULL, true);
	rl_lua_mem_close(L);
}

/* A refusal alone raises nothing (a pcall in the script may have caught it); the room
 * the host then gives is an eighth, once. */
static void room_is_an_eighth_given_once(void)
{
	int status;
	lua_State *L = state_running(8 << 20, "t = {} for i = 1, 1e7 do t[i] = i end", &status);
	struct rl_lua_mem *m = rl_lua_mem_of(L);
	size_t at_limit;

	CHECK(L && status == LUA_ERRMEM);
	CHECK(run(L, "for i = #t + 1, 1e7 do t[i] = i end") == LUA_ERRMEM);
	at_limit = rl_lua_mem_used(m);
	CHECK(at_limit <= (8 << 20));
	rl_lua_mem_make_room(m);
	rl_lua_mem_make_room(m);
	CHECK(run(L, "for i = #t + 1, 1e7 do t[i] = i end") == LUA_ERRMEM);
	CHECK(rl_lua_mem_used(m) > at_limit);
	CHECK(rl_lua_mem_used(m) <= (9 << 20));
	rl_lua_mem_make_room(NULL);
	rl_lua_mem_close(L);
}

static void counted_but_unlimited_state_runs(void)
{
	int status;
	lua_State *L = state_running(0, "local s = string.rep('x', 1048576)", &status);

	CHECK(L && status == 0);
	CHECK(!rl_lua_mem_exceeded(rl_lua_mem_of(L)));
	CHECK(rl_lua_mem_used(rl_lua_mem_of(L)) > 0);
	rl_lua_mem_close(L);
	rl_lua_mem_close(NULL);
}

int main(void)
{
	RUN(closed_states_give_their_memory_back);
	RUN(allocations_past_the_limit_fail);
	RUN(a_lifted_limit_refuses_nothing);
	RUN(room_is_an_eighth_given_once);
	RUN(counted_but_unlimited_state_runs);
	return check_summary();
}
