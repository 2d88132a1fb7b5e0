/* rl_async_sethook against LuaJIT's own hook changes: a CPU timer's signal sets a hook
 * while the test removes another over and over, so some signals land inside LuaJIT's
 * rewrite of its dispatch table. Each hook a signal set must fire, at once or after one
 * more call (the watchdog's next check). lua_sethook alone loses about half of those
 * that land inside, for good. */
#include "check.h"
#include "lua/async_hook.h"

#include <lauxlib.h>
#include <lualib.h>
#include <signal.h>
#include <sys/time.h>

/* Signals that set a hook to see; a few million removals bring one. */
#define SETS_WANTED 100
#define REMOVALS_MAX 400000000L

static lua_State *state;
static volatile sig_atomic_t signal_sets, fired;

static void mark_fired(lua_State *L, lua_Debug *ar)
{
	(void)ar;
	fired = 1;
	lua_sethook(L, NULL, 0, 0);
}

static void set_mark_hook(void)
{
	rl_async_sethook(state, mark_fired, LUA_MASKCALL | LUA_MASKRET | LUA_MASKCOUNT, 1);
}

static void on_timer(int sig)
{
	(void)sig;
	if (signal_sets)
		set_mark_hook();
}

/* Runs a few instructions of Lua: the hook, if set as it should be, fires. */
static int runs_hook(int chunk)
{
	fired = 0;
	lua_rawgeti(state, LUA_REGISTRYINDEX, chunk);
	lua_pcall(state, 0, 0, 0);
	return fired;
}

static void test_signal_set_hook_fires(void)
{
	struct itimerval every_tick = { { 0, 10 }, { 0, 10 } }, off = { { 0, 0 }, { 0, 0 } };
	long removals, sets = 0, mended = 0;
	int chunk;

	state = luaL_newstate();
	CHECK(state);
	luaL_openlibs(state);
	CHECK(luaL_loadstring(state, "local x = 0 for i = 1, 10 do x = x + i end") == 0);
	chunk = luaL_ref(state, LUA_REGISTRYINDEX);
	signal(SIGVTALRM, on_timer);
	setitimer(ITIMER_VIRTUAL, &every_tick, NULL);
	for (removals = 0; sets < SETS_WANTED && removals < REMOVALS_MAX; removals++) {
		/* A hook of the script's own, which it then removes: the rewrite a signal
		 * may land in. */
		lua_sethook(state, mark_fired, LUA_MASKCOUNT, 1000000000);
		signal_sets = 1;
		lua_sethook(state, NULL, 0, 0);
		signal_sets = 0;
		if (!lua_gethook(state))
			continue;
		sets++;
		if (runs_hook(chunk))
			continue;
		set_mark_hook();
		CHECK(runs_hook(chunk));
		mended++;
	}
	setitimer(ITIMER_VIRTUAL, &off, NULL);
	printf("%ld removals, %ld hooks set by the signal, %ld mended by a second call\n",
	       removals, sets, mended);
	CHECK(sets == SETS_WANTED);
	lua_close(state);
}

int main(void)
{
	RUN(test_signal_set_hook_fires);
	return check_summary();
}
