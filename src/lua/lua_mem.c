#include "lua/lua_mem.h"

#include <lua.h>
#include <stdlib.h>

struct rl_lua_mem {
	lua_Alloc alloc;	/* the allocator LuaJIT set up, which does the work */
	void *ud;
	size_t used;
	size_t limit;
	bool enforced;		/* the script runs: the limit applies */
	bool exceeded;
	bool margin_given;	/* the eighth for on_exit was added to the limit */
};

/* The count starts from an estimate (what the state held before it was wrapped), so a
 * free may exceed it. */
static void account(struct rl_lua_mem *m, size_t osize, size_t nsize)
{
	m->used = (m->used > osize ? m->used - osize : 0) + nsize;
}

/* lua_Alloc: ptr of osize bytes resized to nsize (0: freed). */
static void *limited_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
	struct rl_lua_mem *m = ud;
	void *p;

	if (m->enforced && m->limit && nsize > osize && m->used + (nsize - osize) > m->limit) {
		m->exceeded = true;
		return NULL;
	}
	p = m->alloc(m->ud, ptr, osize, nsize);
	if (p || nsize == 0)
		account(m, osize, nsize);
	return p;
}

struct rl_lua_mem *rl_lua_mem_limit(lua_State *L, size_t limit)
{
	struct rl_lua_mem *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	m->alloc = lua_getallocf(L, &m->ud);
	m->limit = limit;
	m->enforced = true;
	/* What the state holds already: lua_gc counts it in KB plus a remainder. */
	m->used = (size_t)lua_gc(L, LUA_GCCOUNT, 0) * 1024 + (size_t)lua_gc(L, LUA_GCCOUNTB, 0);
	lua_setallocf(L, limited_alloc, m);
	return m;
}

struct rl_lua_mem *rl_lua_mem_of(lua_State *L)
{
	void *ud;

	return lua_getallocf(L, &ud) == limited_alloc ? ud : NULL;
}

bool rl_lua_mem_exceeded(const struct rl_lua_mem *m)
{
	return m && m->exceeded;
}

void rl_lua_mem_enforce(struct rl_lua_mem *m, bool on)
{
	if (m)
		m->enforced = on;
}

void rl_lua_mem_make_room(struct rl_lua_mem *m)
{
	if (m && m->limit && !m->margin_given) {
		m->margin_given = true;
		m->limit += m->limit / 8;
	}
}

size_t rl_lua_mem_used(const struct rl_lua_mem *m)
{
	return m ? m->used : 0;
}

/* LuaJIT unmaps its own arena only when a state is closed with the allocator it made:
 * closed through the wrapper, every state would leave its arena mapped. */
void rl_lua_mem_close(lua_State *L)
{
	struct rl_lua_mem *m;

	if (!L)
		return;
	m = rl_lua_mem_of(L);
	if (m)
		lua_setallocf(L, m->alloc, m->ud);
	lua_close(L);
	free(m);
}
