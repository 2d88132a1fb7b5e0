/* A memory limit for a Lua state: its allocator wrapped with a count of what it holds.
 * An allocation past the limit fails, which LuaJIT turns into a "not enough memory"
 * error where the script allocated. */
#ifndef RINGLUA_LUA_MEM_H
#define RINGLUA_LUA_MEM_H

#include <stdbool.h>
#include <stddef.h>

struct lua_State;
struct rl_lua_mem;

/* Puts L's allocations under limit bytes (0: no limit, only counted). Returns the
 * accounting, released with L by rl_lua_mem_close(L), or NULL when out of memory (L is
 * then left as it was). */
struct rl_lua_mem *rl_lua_mem_limit(struct lua_State *L, size_t limit);

/* The accounting of L, or NULL if it has none. */
struct rl_lua_mem *rl_lua_mem_of(struct lua_State *L);

/* True once an allocation was refused. */
bool rl_lua_mem_exceeded(const struct rl_lua_mem *m);

/* Whether the limit applies (it does from rl_lua_mem_limit on). The host lifts it
 * between its calls into the script: LuaJIT raises a refused allocation as an error,
 * and outside a pcall that error ends the process. Accepts NULL. */
void rl_lua_mem_enforce(struct rl_lua_mem *m, bool on);

/* Raises the limit by an eighth, once: room for on_exit after the script reached the
 * limit. Accepts NULL. */
void rl_lua_mem_make_room(struct rl_lua_mem *m);

/* Bytes the state holds now. */
size_t rl_lua_mem_used(const struct rl_lua_mem *m);

/* Closes L, with or without accounting, and releases all its memory. Accepts NULL. */
void rl_lua_mem_close(struct lua_State *L);

#endif
