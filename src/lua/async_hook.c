#include "lua/async_hook.h"

/* LuaJIT updates its hook mask and dispatch table without atomics (around __gc
 * finalizers, when a trace starts or stops, in debug.sethook()), and it records the new
 * dispatch mode before it rewrites the table. A signal inside such an update sets its
 * hook and table, then the update resumes and overwrites the table, while the recorded
 * mode already claims the hook's: setting the same hook again would change nothing,
 * ever. Taking the hook away first makes LuaJIT rewrite the whole table twice. */
void rl_async_sethook(lua_State *L, lua_Hook hook, int mask, int count)
{
	lua_sethook(L, NULL, 0, 0);
	lua_sethook(L, hook, mask, count);
}
