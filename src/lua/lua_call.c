/* Calls into Lua: every one under the traceback handler and the watchdog; the errors
 * they raise, reported. */
#include "lua/host_state.h"

#include <errno.h>
#include <lauxlib.h>
#include <stdio.h>
#include <string.h>

#include "lua/lua_mem.h"
#include "util/clock.h"

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
int rl_host_traceback(lua_State *L)
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
int rl_host_call(struct rl_lua *h, lua_State *L, int nargs, int nresults,
		       const char *what)
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
	h->last_verdict = verdict;
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
int rl_host_setup_error(struct rl_lua *h, lua_State *L, int err)
{
	const char *msg = lua_tostring(L, -1);
	int len;

	if (h->shared.exit_requested == REQUEST_OS_EXIT) {
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
void rl_host_handler_error(struct rl_lua *h)
{
	if (h->shared.exit_requested == REQUEST_OS_EXIT) {
		lua_pop(h->L, 1);
		return;
	}
	h->errors++;
	rl_errlog_report(&h->errlog, lua_tostring(h->L, -1), rl_now_ns());
	lua_pop(h->L, 1);
}

