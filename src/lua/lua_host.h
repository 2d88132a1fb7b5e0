/* The Lua side of ringlua: one LuaJIT state running the user's script, entered once per
 * batch of records. */
#ifndef RINGLUA_LUA_HOST_H
#define RINGLUA_LUA_HOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ring/ring.h"
#include "ring/ring_desc.h"

/* An event type declared in every state before the script runs (a built-in source's):
 * ringlua.types[name] is a pointer to ctype, declared with cdef. */
struct rl_lua_event_type {
	const char *name;
	const char *ctype;
	const char *cdef;
};
struct rl_lua;

struct rl_lua_opts {
	const char *lua_dir;	/* where ringlua's own modules live */
	const char *generated_dir; /* and those generated at build time */
	const char *script;	/* the user's script; its name when code is set */
	const char *code;	/* the script's text (-e), instead of reading script */
	const struct rl_lua_event_type *event_types; /* declared up front */
	size_t nr_event_types;
	uint64_t max_errors;	/* handler errors tolerated before stopping; 0: no limit */
	size_t memory_limit;	/* bytes a Lua state may hold; 0: no limit */
	int verbose;		/* print tracebacks of setup errors too */
	bool unsafe_perms;	/* load scripts whoever could have written them */
	const struct rl_ring_desc *rings; /* the user's BPF object's rings, by ring index
					   * (name and record type); NULL: a built-in
					   * source or --pin */
	size_t nr_rings;
	const char *cdef;	/* declarations of the rings' record types */
	const char *source_option; /* -s as given: a probe list means the rings come later */
	const char *rings_from;	/* what has the rings, for errors ("the recording x.rec");
				 * NULL: the BPF object */
	/* Where ringlua.emit() sends each line; NULL: to stdout. */
	int (*emit)(void *emit_ctx, const char *data, uint64_t len);
	void *emit_ctx;
	/* Called with each file of the script (itself, each module it requires) before it
	 * is read, on reloads too: a watcher told then sees every save after the read. */
	void (*before_read)(void *ctx, const char *path);
	void *before_read_ctx;
	uint32_t unwind_mem_mb;	/* --unwind-mem, for ringlua.names' unwinder; 0: its own
				 * default */
	int script_argc;	/* the script's arguments, also handed to its top level as
				 * `...`, so that its manifest may depend on them */
	char **script_argv;
};

/* Setup is three calls, in this order (each refuses to come out of turn with -EINVAL):
 *   rl_lua_open     runs the script's top level: its manifest (source, bpf, globals)
 *                   can then be read
 *   rl_lua_declare  the rings that feed it, with their record types and decoders
 *   rl_lua_init     on_init(args); from then on records may be dispatched */

/* Starts LuaJIT, declares the sources' event types (and opts->rings' when the feed is
 * already known), runs the script's top level and finds its handlers. Returns 0, or
 * -errno with the reason printed (file:line for Lua errors); -ECANCELED when the top
 * level called os.exit (then *out is set, for rl_lua_exit_requested, and must be
 * closed). */
int rl_lua_open(struct rl_lua **out, const struct rl_lua_opts *opts);

/* The source the script asked for (its `source` field), or NULL when it did not say. */
const char *rl_lua_source(const struct rl_lua *h);

/* The BPF program the script names in its `bpf` field (made relative to the script's
 * directory), or NULL. */
const char *rl_lua_bpf(const struct rl_lua *h);

/* The string field name of the script's manifest ("stacks", "str"), or NULL. */
const char *rl_lua_field(const struct rl_lua *h, const char *name);

/* Whether the boolean field name of the script's manifest is true ("kernel_deliver":
 * with kernel aggregations, its records still go to the ring). */
bool rl_lua_flag(const struct rl_lua *h, const char *name);

/* Calls fn for each entry of the script's `globals` table, in name order, with the
 * value as text and its Lua type ("number", "string" or "boolean"). Stops at the first
 * nonzero return and returns it; 0 when all went through. */
int rl_lua_globals(const struct rl_lua *h,
		   int (*fn)(void *ctx, const char *name, const char *value, const char *type),
		   void *ctx);

/* The ring table of what feeds the script, by ring index: decoders are installed from it
 * in this state and every state a reload makes. cdef: declarations of the record types
 * of a user object's rings (then the rings are declared in Lua by name); NULL for a
 * built-in source or a pinned ring. A script whose top level ran without those types
 * declared (it named its object itself) runs its top level again with them. The table
 * must outlive the host. Returns 0 or -errno (printed). */
int rl_lua_declare(struct rl_lua *h, const struct rl_ring_desc *rings, size_t n,
		   const char *cdef);

/* Between rl_lua_declare and rl_lua_init: the user object's globals and maps, as the
 * Lua source rl_bpf_bindings writes; from on_init on (in every state a reload makes),
 * the script reaches them as ringlua.globals and ringlua.maps. The string must outlive
 * the host. Returns 0 or -EINVAL out of turn. */
int rl_lua_bind(struct rl_lua *h, const char *bindings);

/* Between rl_lua_declare and rl_lua_init: the built-in program's globals and maps as
 * rl_bpf_bindings writes them, where the script's kernel aggregations (ringlua.agg's
 * kernel = true) are kept; NULL when no built-in program feeds it (then such an
 * aggregation is a setup error). Written into the maps before on_init, and again in
 * every state a reload makes. The string must outlive the host. Returns 0 or -EINVAL
 * out of turn. */
int rl_lua_kernel_aggs(struct rl_lua *h, const char *maps);

/* Tells the script which source feeds it, installs the decoders, then calls
 * on_init(args) with the script arguments. Returns 0 or -errno (error printed). */
int rl_lua_init(struct rl_lua *h, const char *source, int argc, char **argv);

/* Reloads the script: builds a new state from the file as it is now, carries
 * ringlua.state over, runs its top level and on_init, and only when all that worked
 * calls the old state's on_reload and replaces it (its on_exit is not called). On any
 * failure the running state goes on untouched. Called between batches only: no record
 * is handed to a state being torn down. Returns 0, or -errno with the reason printed. */
int rl_lua_reload(struct rl_lua *h);

/* Successful reloads so far. */
uint64_t rl_lua_reloads(const struct rl_lua *h);

/* Every file the script was loaded from so far: the script first, then the modules
 * required from beside it (by this state or by earlier attempts). *n receives how many. */
const char *const *rl_lua_files(const struct rl_lua *h, size_t *n);

/* Calls on_event (or the ring's handler) for records 0..n-1 of batch, all of one ring. A
 * handler error is reported, counted, and the batch goes on. Returns the records handled:
 * fewer than n only when the error limit stopped it (then rl_lua_failed is true). */
size_t rl_lua_dispatch(struct rl_lua *h, const struct rl_rec *batch, size_t n);

/* Calls on_lost(n) if the script has one: n more records the BPF side could not put in
 * a ring. Errors count as handler errors. */
void rl_lua_lost(struct rl_lua *h, uint64_t n);

/* Calls on_tick() if the script has one; errors count as handler errors. */
void rl_lua_tick(struct rl_lua *h);

/* The Prometheus exposition of the script's ringlua.agg aggregations (ringlua.metrics),
 * with at most max_series label sets: *text (malloc'd, the caller frees it) and *len,
 * and in *dropped how many label sets were left out. An error counts as a handler
 * error. Returns 0 or -errno (-EINVAL: the rendering failed; -ENOMEM). */
int rl_lua_render_metrics(struct rl_lua *h, uint64_t max_series, char **text, size_t *len,
			  uint64_t *dropped);

/* Calls on_exit() if the script has one. Returns 0 or -errno (error printed): -EINTR
 * when a stop signal that came during the call interrupted it. */
int rl_lua_exit(struct rl_lua *h);

/* Handler errors so far, and whether the script must stop: the error limit reached, a
 * handler past --handler-timeout, or the memory limit reached (each already reported). */
uint64_t rl_lua_errors(const struct rl_lua *h);
int rl_lua_failed(const struct rl_lua *h);

/* Whether the script called os.exit, and with what code. Accepts NULL. */
bool rl_lua_exit_requested(const struct rl_lua *h, int *code);

/* Whether the script asked to stop (ringlua.stop(), a program's exit()): the run ends as
 * after a stop signal, with on_exit and the summary. Accepts NULL. */
bool rl_lua_stop_requested(const struct rl_lua *h);

/* Whether a handler was interrupted by the watchdog after SIGINT/SIGTERM: the records
 * after it stay in the ring. */
bool rl_lua_interrupted(const struct rl_lua *h);

/* Closes the state. Accepts NULL. */
void rl_lua_close(struct rl_lua *h);

#endif
