/* Command line: options and defaults in one place. */
#ifndef RINGLUA_CLI_H
#define RINGLUA_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define RL_MAX_SETS 64	/* --set given more often than this is a mistake */
#define RL_MAX_TYPES 64
#define RL_MAX_ATTACHES 64
#define RL_MAX_PROG_LISTS 64	/* --only or --skip given more often than this */
#define RL_MAX_RING_BYTES 64	/* --ring-bytes given more often than this */

struct rl_options {
	const char *script;	/* NULL: the built-in default */
	const char *code;	/* -e: the script's text itself */
	const char *command;	/* -c: a command to start and trace */
	int script_argc;	/* arguments after the script (after `--`) */
	char **script_argv;
	const char *source;	/* -s: overrides the script's choice */
	uint32_t pid;		/* -p: trace only this process */
	bool follow;		/* --follow (and -c): and the processes it starts */
	bool list;		/* -l: list probes matching `script` (a pattern) */
	const char *pin;	/* --pin: consume this pinned ring, load no BPF */
	uint64_t count;		/* --count: stop after this many events; 0: never */
	uint64_t duration_us;	/* --duration: stop after this long; 0: never */
	const char *output_file; /* -o: the script's stdout goes there; NULL: stdout */
	uint32_t interval_ms;	/* --interval: on_tick period */
	bool interval_given;	/* --interval was given: it wins over the script's */
	uint32_t latency_us;	/* --latency: coalescing bound */
	uint64_t max_errors;	/* --max-errors: 0: never stop for errors */
	uint32_t handler_timeout_ms; /* --handler-timeout: 0: none */
	uint32_t memory_limit_mb; /* --memory-limit: per Lua state; 0: none */
	int verbose;
	bool unsafe_perms;	/* --unsafe-perms: skip the script ownership checks */
	bool no_reload;		/* --no-reload: saving the script does not reload it */
	bool stats;		/* --stats: per-ring rates, fill and drops every interval */
	bool per_cpu_rings;	/* --per-cpu-rings: a built-in source writes one ring per CPU */
	bool ordered;		/* --ordered: its records merged by timestamp */
	bool no_timestamps;	/* --no-timestamps: its records' ts_ns left 0 */
	bool json;		/* --json: print every event as JSON; no script */
	bool lua_types;		/* --lua-types: print LuaCATS annotations of ringlua's
				 * modules and of the source's event types; no script */
	uint64_t cgroup;	/* --cgroup: only tasks in this cgroup (v2 id); 0: all */
	const char *cgroup_dir;	/* --cgroup's directory, for objects that take an fd of it */
	const char *record;	/* --record: write every event handled to this file */
	const char *replay;	/* --replay: run the script on this recording instead */
	bool realtime;		/* --realtime: replay at the recorded pace */
	const char *metrics;	/* --metrics HOST:PORT or unix:PATH: serve /metrics there;
				 * NULL: off */
	const char *metrics_allow; /* --metrics-allow: the clients' networks; NULL: any */
	uint64_t max_series;	/* --max-series: label sets /metrics shows at most */
	bool max_series_given;
	const char *output;	/* --output nats://HOST:PORT/SUBJECT; NULL: stdout only */
	const char *output_creds; /* --output-creds: its credentials file; NULL: none */
	bool help;
	bool version;
	uint32_t uid;		/* --uid: trace only this user; RL_ANY_UID: all */
	const char *comm;	/* --comm: trace only tasks of this name */
	const char *bpf;	/* --bpf: the user's own BPF object or .bpf.c */
	const char *sets[RL_MAX_SETS]; /* --set NAME=VALUE, in order */
	size_t nr_sets;
	const char *types[RL_MAX_TYPES]; /* --type MAP=STRUCT */
	const char *attaches[RL_MAX_ATTACHES]; /* --attach PROG=PROBE */
	size_t nr_attaches;
	const char *only[RL_MAX_PROG_LISTS]; /* --only PROG[,PROG...], as given */
	size_t nr_only;
	const char *skip[RL_MAX_PROG_LISTS]; /* --skip PROG[,PROG...] */
	size_t nr_skip;
	size_t nr_types;
	const char *stacks;	/* --stacks LIST as given (overrides the script's); NULL */
	uint32_t stack_mode;	/* what it names: RL_STACK_KERNEL | RL_STACK_USER |
				 * RL_STACK_DWARF */
	uint32_t ustack_bytes;	/* --stack-bytes; 0: RL_USTACK_BYTES_DEFAULT */
	uint32_t unwind_mem_mb;	/* --unwind-mem; 0: RL_UNWIND_MEM_DEFAULT_MB */
	unsigned int hz;	/* --hz: sampling rate of profile or perf_event programs */
	const char *str;	/* --str ARG: the uprobe value read as a string; NULL */
	size_t perf_pages;	/* --perf-pages: each CPU's perf buffer, in pages */
	const char *ring_bytes[RL_MAX_RING_BYTES]; /* --ring-bytes [MAP=]BYTES, in order */
	size_t nr_ring_bytes;
};

/* Fills o from argv. Returns 0, or -EINVAL with a one-line error printed. */
int rl_cli_parse(struct rl_options *o, int argc, char **argv);

void rl_cli_usage(FILE *out);

/* The first option given that only the built-in sources take (-s, --pin, --uid, --comm,
 * --stacks, --per-cpu-rings, --ordered, --no-timestamps, --follow, --str), or NULL: a
 * BPF object of the user's own filters by itself (its pid global holds one process). */
const char *rl_cli_source_only_option(const struct rl_options *o);

#endif
