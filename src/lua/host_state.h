/* What the files of the Lua host share, and nothing outside src/lua/ may see: the host's
 * state, and the helpers every call into Lua goes through. lua_host.c runs the states
 * (setup in phases, dispatch, reload), lua_call.c calls into them (tracebacks, the
 * watchdog, error reports), lua_load.c reads the script and its modules through the
 * ownership checks. */
#ifndef RINGLUA_HOST_STATE_H
#define RINGLUA_HOST_STATE_H

#include <lua.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lua/dispatch.h"
#include "lua/errlog.h"
#include "lua/lua_host.h"
#include "lua/watchdog.h"

/* Stack slots kept for the life of a state, so a batch costs one lua_pcall. SLOT_CTL is
 * host.start's table: the handlers, `source`, export_state(). */
enum { SLOT_TRACEBACK = 1, SLOT_DISPATCH, SLOT_CTL };

/* The values of shared.exit_requested (dispatch.h) but 0. */
enum { REQUEST_OS_EXIT = 1, REQUEST_STOP = 2 };

/* Setup goes through these in order; each call checks it comes in its turn. */
enum rl_lua_phase {
	PHASE_MANIFEST,	/* the top level ran: source, bpf and globals can be read */
	PHASE_DECLARED,	/* the rings and their types and decoders are known */
	PHASE_RUNNING,	/* on_init ran: records may be dispatched */
};

struct rl_lua {
	lua_State *L;		/* the running state; a reload builds another, then swaps */
	struct rl_lua_opts o;
	const char *source;	/* as given to rl_lua_init, for the states of reloads */
	char *chosen_by;	/* the name that chose it: -s, else the first version's
				 * `source` ("profile:hz:99"); NULL: neither */
	int argc;
	char **argv;
	struct rl_dispatch shared;
	struct rl_errlog errlog;
	uint64_t errors;
	uint64_t reloads;
	enum rl_watchdog_verdict stopped; /* the watchdog cut a call short */
	enum rl_watchdog_verdict last_verdict; /* what it did to the last call */
	bool out_of_memory;	/* the memory limit stopped a call */
	const char *fail_prefix; /* before setup errors: says when a reload failed */
	char **files;		/* the script and the modules loaded beside it */
	size_t nr_files;
	const struct rl_ring_desc *rings; /* the ring table, for its decoders */
	size_t nr_rings;
	const char *bindings;	/* the user object's globals and maps (rl_lua_bind); NULL */
	const char *kagg;	/* the built-in program's, for kernel aggregations; NULL */
	enum rl_lua_phase phase;
};

/* The error handler every call into Lua runs under (in stack slot SLOT_TRACEBACK): the
 * message with the script's part of the Lua stack. */
int rl_host_traceback(lua_State *L);

/* Calls the function under nargs arguments on L's stack (what names it), with the
 * traceback handler and under the watchdog. On error leaves the message on the stack top
 * and returns -1. */
int rl_host_call(struct rl_lua *h, lua_State *L, int nargs, int nresults, const char *what);

/* Prints the setup error on L's stack top (not rate-limited) and pops it; returns err, or
 * -ECANCELED after os.exit (nothing to report). */
int rl_host_setup_error(struct rl_lua *h, lua_State *L, int err);

/* Counts and reports (rate-limited) the handler error on the stack top, and pops it. */
void rl_host_handler_error(struct rl_lua *h);

/* load_module(path) for host.lua's checked searcher (upvalue 1: the host): the chunk;
 * or nil and a "no file" note; an error for a file refused or not compiling. */
int rl_host_load_module(lua_State *L);

/* Pushes the script's chunk (-e's text, or the file through the ownership checks).
 * Returns 0, or -errno with the reason printed. */
int rl_host_load_script(struct rl_lua *h, lua_State *L);

#endif
