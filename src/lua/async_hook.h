/* Setting a Lua hook from a signal handler so that it takes. */
#ifndef RINGLUA_LUA_ASYNC_HOOK_H
#define RINGLUA_LUA_ASYNC_HOOK_H

#include <lua.h>

/* lua_sethook(L, hook, mask, count), made to work from a signal handler that may have
 * interrupted LuaJIT in the middle of changing its hooks. A call that lands in such a
 * change can still be lost; the next call mends it, so a caller calls it again at each
 * check until the hook has done its work. Async-signal-safe. */
void rl_async_sethook(lua_State *L, lua_Hook hook, int mask, int count);

#endif
