#include "app/cli.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <pwd.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>

#include "output/metrics.h"
#include "output/nats_out.h"
#include "kernel/map_sizes.h"
#include "kernel/named_attach.h"
#include "kernel/perf_buf.h"
#include "kernel/sources.h"
#include "kernel/bpf/stacks.h"
#include "sym/unwind.h"
#include "kernel/tp_format.h"

#define DEFAULT_INTERVAL_MS 1000
/* Long enough to batch thousands of records under load, short enough to feel live. */
#define DEFAULT_LATENCY_US 500
#define MAX_LATENCY_MS 1000
/* A year: longer is a typo, and the microseconds stay far from overflowing the clock. */
#define MAX_DURATION_S (365.0 * 24 * 3600)
/* Far beyond what a handler needs, short enough that a stuck one is noticed. */
#define DEFAULT_HANDLER_TIMEOUT_MS 10000
/* A tracing script that holds more than this is almost surely leaking. */
#define DEFAULT_MEMORY_LIMIT_MB 1024
#define MAX_MEMORY_LIMIT_MB (1u << 20)
/* Label sets a scrape shows at most: a key taken from pids or paths can grow without
 * bound, and Prometheus slows down with millions of series. */
#define DEFAULT_MAX_SERIES 10000
/* 1 GiB per CPU with 4 KiB pages: past any sane need, short of a mistyped size. */
#define MAX_PERF_PAGES (1u << 18)

enum {
	OPT_PIN = 256,
	OPT_COUNT,
	OPT_INTERVAL,
	OPT_LATENCY,
	OPT_MAX_ERRORS,
	OPT_VERSION,
	OPT_UNSAFE_PERMS,
	OPT_NO_RELOAD,
	OPT_STATS,
	OPT_JSON,
	OPT_RECORD,
	OPT_CGROUP,
	OPT_REPLAY,
	OPT_REALTIME,
	OPT_HANDLER_TIMEOUT,
	OPT_MEMORY_LIMIT,
	OPT_UID,
	OPT_COMM,
	OPT_BPF,
	OPT_SET,
	OPT_TYPE,
	OPT_FOLLOW,
	OPT_METRICS,
	OPT_MAX_SERIES,
	OPT_METRICS_ALLOW,
	OPT_OUTPUT,
	OPT_OUTPUT_CREDS,
	OPT_STACKS,
	OPT_STACK_BYTES,
	OPT_UNWIND_MEM,
	OPT_HZ,
	OPT_STR,
	OPT_PERF_PAGES,
	OPT_RING_BYTES,
	OPT_PER_CPU_RINGS,
	OPT_NO_TIMESTAMPS,
	OPT_ORDERED,
	OPT_DURATION,
	OPT_LUA_TYPES,
	OPT_ATTACH,
	OPT_ONLY,
	OPT_SKIP,
};

static const struct option long_opts[] = {
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ "pid", required_argument, NULL, 'p' },
	{ "source", required_argument, NULL, 's' },
	{ "execute", required_argument, NULL, 'e' },
	{ "command", required_argument, NULL, 'c' },
	{ "pin", required_argument, NULL, OPT_PIN },
	{ "count", required_argument, NULL, OPT_COUNT },
	{ "interval", required_argument, NULL, OPT_INTERVAL },
	{ "latency", required_argument, NULL, OPT_LATENCY },
	{ "max-errors", required_argument, NULL, OPT_MAX_ERRORS },
	{ "verbose", no_argument, NULL, 'v' },
	{ "unsafe-perms", no_argument, NULL, OPT_UNSAFE_PERMS },
	{ "no-reload", no_argument, NULL, OPT_NO_RELOAD },
	{ "stats", no_argument, NULL, OPT_STATS },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "record", required_argument, NULL, OPT_RECORD },
	{ "cgroup", required_argument, NULL, OPT_CGROUP },
	{ "replay", required_argument, NULL, OPT_REPLAY },
	{ "realtime", no_argument, NULL, OPT_REALTIME },
	{ "handler-timeout", required_argument, NULL, OPT_HANDLER_TIMEOUT },
	{ "memory-limit", required_argument, NULL, OPT_MEMORY_LIMIT },
	{ "uid", required_argument, NULL, OPT_UID },
	{ "comm", required_argument, NULL, OPT_COMM },
	{ "bpf", required_argument, NULL, OPT_BPF },
	{ "set", required_argument, NULL, OPT_SET },
	{ "type", required_argument, NULL, OPT_TYPE },
	{ "follow", no_argument, NULL, OPT_FOLLOW },
	{ "list", no_argument, NULL, 'l' },
	{ "metrics", required_argument, NULL, OPT_METRICS },
	{ "max-series", required_argument, NULL, OPT_MAX_SERIES },
	{ "metrics-allow", required_argument, NULL, OPT_METRICS_ALLOW },
	{ "output", required_argument, NULL, OPT_OUTPUT },
	{ "output-creds", required_argument, NULL, OPT_OUTPUT_CREDS },
	{ "stacks", required_argument, NULL, OPT_STACKS },
	{ "stack-bytes", required_argument, NULL, OPT_STACK_BYTES },
	{ "unwind-mem", required_argument, NULL, OPT_UNWIND_MEM },
	{ "hz", required_argument, NULL, OPT_HZ },
	{ "str", required_argument, NULL, OPT_STR },
	{ "perf-pages", required_argument, NULL, OPT_PERF_PAGES },
	{ "ring-bytes", required_argument, NULL, OPT_RING_BYTES },
	{ "per-cpu-rings", no_argument, NULL, OPT_PER_CPU_RINGS },
	{ "ordered", no_argument, NULL, OPT_ORDERED },
	{ "no-timestamps", no_argument, NULL, OPT_NO_TIMESTAMPS },
	{ "output-file", required_argument, NULL, 'o' },
	{ "duration", required_argument, NULL, OPT_DURATION },
	{ "lua-types", no_argument, NULL, OPT_LUA_TYPES },
	{ "attach", required_argument, NULL, OPT_ATTACH },
	{ "only", required_argument, NULL, OPT_ONLY },
	{ "skip", required_argument, NULL, OPT_SKIP },
	{ 0 },
};

void rl_cli_usage(FILE *out)
{
	size_t n;
	const struct rl_source *src = rl_sources(&n);

	fprintf(out,
		"Usage: ringlua [OPTIONS] [SCRIPT] [-- SCRIPT ARGS...]\n"
		"   or: ringlua [OPTIONS] -e CODE [-- SCRIPT ARGS...]\n"
		"Consume BPF ring buffers and hand every event to a LuaJIT handler.\n"
		"With no SCRIPT, prints one line per process exec.\n\nOptions:\n"
		"  -e, --execute CODE  the script's text itself (ffi, ringlua, agg and names are\n"
		"                      in scope), or a program of clauses as bpftrace writes\n"
		"                      them: 'PROBE[,PROBE] [/PREDICATE/] { LUA }', with BEGIN,\n"
		"                      END, interval:s:N (i:ms:N); in a clause `e` is the event,\n"
		"                      pid tid ppid uid cpu comm ts probe its header;\n"
		"                      count(k...), sum min max avg hist(v, k...),\n"
		"                      lhist(v, lo, hi, step, k...), printf, exit() (a SCRIPT\n"
		"                      file may be a program too)\n"
		"  -c, --command CMD   start CMD, trace only it, stop when it ends\n"
		"      --json          no script: print every event as one JSON object a line\n"
		"      --lua-types     no script: print LuaCATS annotations (for lua-language-\n"
		"                      server) of ringlua's modules and of the events of -s\n"
		"                      NAME or --bpf FILE (default: %s)\n"
		"      --record FILE   also write every event handled to FILE, to replay later\n"
		"      --replay FILE   run the script on the events recorded in FILE: no root,\n"
		"                      no BPF (--realtime: at the pace they were recorded)\n"
		"  -s, --source NAME   built-in event source (default: the script's `source`, else %s),\n"
		"                      or a probe: tracepoint:CATEGORY:NAME (tp:, wildcards *\n"
		"                      and ?), profile:hz:N, uprobe:PATH:FUNCTION,\n"
		"                      uretprobe:PATH:FUNCTION (PATH: a file, a library such as\n"
		"                      libc, or a program on $PATH), usdt:PATH:[PROVIDER:]NAME\n"
		"                      (wildcards * and ?); several separated by commas\n"
		"      --stacks LIST   each record carries these stacks: kernel, user or\n"
		"                      kernel,user (up to 127 frames; ringlua.stacks reads them);\n"
		"                      dwarf for user: unwound from a copy of the stack with\n"
		"                      the files' CFI, where user walks frame pointers\n"
		"      --stack-bytes N  with dwarf: the user stack bytes a record copies\n"
		"                      (%d to %d, a multiple of %d; default %d)\n"
		"      --unwind-mem MB  with dwarf: the unwinder's memory for the CFI of\n"
		"                      the processes' files (default %d)\n"
		"      --hz N          samples a second on each CPU: profile's, or a --bpf\n"
		"                      object's perf_event programs (1 to %d)\n"
		"      --str ARG       uprobe: read arg0-arg5 (or ret) as a string into `str`;\n"
		"                      usdt: arg0-arg11\n"
		"  -l, --list [PATTERN]  list the probes matching PATTERN and exit (-lv: with\n"
		"                      their fields); for 'uprobe:PATH:*' the functions of PATH,\n"
		"                      for 'usdt:PATH:*' its USDT probes (-lv: their arguments)\n"
		"  -p, --pid PID       trace only process PID (filtered in the kernel);\n"
		"                      stop when it exits\n"
		"      --follow        with -p: also the processes it starts, and theirs (-c\n"
		"                      always follows; with --bpf neither does)\n"
		"      --uid USER      trace only tasks of this real user (an id or a name)\n"
		"      --comm NAME     trace only tasks of this name (at most %d characters)\n"
		"      --cgroup DIR    trace only tasks in this cgroup (a cgroup v2 directory)\n"
		"      --pin PATH      consume the ring buffer map pinned at PATH; load no BPF\n"
		"      --bpf FILE      load your own BPF object (.bpf.o) or .bpf.c, consume all\n"
		"                      its ring buffer and perf event array maps\n"
		"      --set NAME=VAL  set its global NAME (.rodata, .data, .bss) before load\n"
		"                      (repeatable)\n"
		"      --type MAP=STRUCT  the record type of ring MAP (default: struct MAP_event)\n"
		"      --attach PROG=PROBE  attach its program PROG, whose section names no\n"
		"                      target, to uprobe:PATH:FUNCTION, uretprobe:PATH:FUNCTION\n"
		"                      or usdt:PATH:PROVIDER:NAME (repeatable)\n"
		"      --only PROG[,PROG...]  load and attach only these programs of it (an\n"
		"                      optional one, in a \"?\" section, too)\n"
		"      --skip PROG[,PROG...]  leave these programs of it out (programs that\n"
		"                      fail to load or attach are left out anyway, and of\n"
		"                      alternatives for one hook the first that attaches is\n"
		"                      kept; -v says which)\n"
		"      --perf-pages N  each CPU's buffer of its perf event arrays, in pages (a\n"
		"                      power of two; default %d)\n"
		"      --ring-bytes [MAP=]BYTES  the size of its ring buffer map MAP, or of\n"
		"                      every one, set before load (a power of two multiple of\n"
		"                      the page size; repeatable)\n"
		"      --count N       exit after N events\n"
		"      --duration SECONDS\n"
		"                      stop after SECONDS (fractions allowed), as a SIGINT\n"
		"                      does: on_exit and the summary run, exit status 0\n"
		"  -o, --output-file FILE\n"
		"                      what the script prints goes to FILE, not stdout: a new\n"
		"                      file, or a regular one of root's or yours, truncated\n"
		"                      (never through a symbolic link); -c's command keeps\n"
		"                      ringlua's stdout\n"
		"      --interval MS   call on_tick every MS milliseconds (default: the script's\n"
		"                      `interval`, else %d)\n"
		"      --latency MS    hand each event over within MS of its submit (fractions\n"
		"                      allowed), batching what comes meanwhile; 0: at once\n"
		"                      (default %.1f)\n"
		"      --per-cpu-rings a built-in source or tracepoints write one ring per CPU\n"
		"                      (8 MiB over the CPUs each), so CPUs do not contend for\n"
		"                      one; records come in order per CPU\n"
		"      --ordered       with --per-cpu-rings: records in timestamp order across\n"
		"                      CPUs, each handed over once --latency old\n"
		"      --no-timestamps a built-in source or tracepoints leave ts_ns 0: no clock\n"
		"                      read per record (for scripts that never read it)\n"
		"      --max-errors N  stop after N handler errors (default: never)\n"
		"      --stats         every interval: events/s and fill of each ring, drops/s,\n"
		"                      the consumer's wakeups/s\n"
		"      --metrics HOST:PORT\n"
		"                      serve the script's ringlua.agg aggregations and ringlua's\n"
		"                      own counters at http://HOST:PORT/metrics, for Prometheus\n"
		"      --metrics unix:PATH\n"
		"                      the same on a Unix socket ringlua creates at PATH,\n"
		"                      mode 0600: only root can connect\n"
		"      --metrics-allow ADDR[/PREFIX][,...]\n"
		"                      with --metrics HOST:PORT: answer only clients in these\n"
		"                      networks (at most %d)\n"
		"      --max-series N  label sets /metrics shows at most (default %d)\n"
		"      --output nats://HOST:PORT/SUBJECT[?stream=NAME]\n"
		"                      publish every --json line, or what the script passes to\n"
		"                      ringlua.emit(), to NATS SUBJECT; acknowledged by the\n"
		"                      JetStream stream that covers it (NAME, created if none);\n"
		"                      tls://HOST:PORT/...: over TLS, the server's certificate\n"
		"                      checked against the system's CAs and HOST\n"
		"      --output-creds FILE\n"
		"                      --output's credentials: lines user=NAME and password=PASS,\n"
		"                      or token=TOKEN, in a file only root or you can write\n"
		"      --handler-timeout MS\n"
		"                      stop a handler call (one record) that uses more than MS\n"
		"                      of CPU time (default %d; 0: never)\n"
		"      --memory-limit MB\n"
		"                      most memory the script's Lua state may hold (default %d;\n"
		"                      0: no limit)\n"
		"      --no-reload     do not reload the script when it is saved (SIGHUP still\n"
		"                      reloads it)\n"
		"      --unsafe-perms  load scripts even if others could have written them\n"
		"  -v, --verbose       print libbpf's loading details and tracebacks of load errors\n"
		"  -h, --help          print this help\n"
		"      --version       print the version\n\nSources:\n",
		RL_DEFAULT_SOURCE, RL_DEFAULT_SOURCE, RL_USTACK_PIECE, RL_USTACK_BYTES_MAX,
		RL_USTACK_PIECE, RL_USTACK_BYTES_DEFAULT, RL_UNWIND_MEM_DEFAULT_MB, RL_MAX_HZ,
		RL_COMM_MAX, RL_PERF_DEFAULT_PAGES,
		DEFAULT_INTERVAL_MS, DEFAULT_LATENCY_US / 1000.0, RL_METRICS_MAX_ALLOW,
		DEFAULT_MAX_SERIES,
		DEFAULT_HANDLER_TIMEOUT_MS, DEFAULT_MEMORY_LIMIT_MB);
	for (size_t i = 0; i < n; i++)
		fprintf(out, "  %-12s %s\n", src[i].name, src[i].summary);
}

/* Parses a whole decimal number in [min, max]; returns 0 or -EINVAL. */
static int parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-' || v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

/* --duration SECONDS, fractions allowed, more than 0 and at most MAX_DURATION_S. */
static int parse_duration(const char *s, uint64_t *us)
{
	char *end;
	double sec;

	errno = 0;
	sec = strtod(s, &end);
	if (errno || end == s || *end || !(sec > 0 && sec <= MAX_DURATION_S))
		return -EINVAL;
	*us = (uint64_t)(sec * 1e6 + 0.5);
	return *us ? 0 : -EINVAL;
}

static int parse_latency(const char *s, uint32_t *us)
{
	char *end;
	double ms;

	errno = 0;
	ms = strtod(s, &end);
	if (errno || end == s || *end || !(ms >= 0 && ms <= MAX_LATENCY_MS))
		return -EINVAL;
	*us = (uint32_t)(ms * 1000 + 0.5);
	return 0;
}

/* The id of the cgroup v2 directory path: the inode number, as the kernel's
 * bpf_get_current_cgroup_id() gives it. Returns 0 or -EINVAL (printed). */
static int cgroup_id(const char *path, uint64_t *id)
{
	struct statfs fs;
	struct stat st;
	const char *why = NULL;

	if (statfs(path, &fs) || stat(path, &st))
		why = strerror(errno);
	else if (fs.f_type == CGROUP_SUPER_MAGIC)
		why = "a cgroup v1 directory; only cgroup v2 ids can be filtered in the kernel";
	else if (fs.f_type != CGROUP2_SUPER_MAGIC)
		why = "not in a cgroup v2 file system (such as /sys/fs/cgroup)";
	else if (!S_ISDIR(st.st_mode))
		why = "not a directory";
	if (why) {
		fprintf(stderr, "ringlua: --cgroup %s: %s\n", path, why);
		return -EINVAL;
	}
	*id = st.st_ino;
	return 0;
}

/* A user id, or a user name of the password database. Returns 0 or -EINVAL. */
static int parse_uid(const char *s, uint32_t *uid)
{
	struct passwd *pw;
	uint64_t v;

	if (parse_u64(s, 0, RL_ANY_UID - 1, &v) == 0) {
		*uid = (uint32_t)v;
		return 0;
	}
	pw = s[0] && !(s[0] >= '0' && s[0] <= '9') ? getpwnam(s) : NULL;
	if (!pw || pw->pw_uid >= RL_ANY_UID)
		return -EINVAL;
	*uid = (uint32_t)pw->pw_uid;
	return 0;
}

static int bad_value(const char *opt, const char *val)
{
	fprintf(stderr, "ringlua: invalid value for %s: '%s'\n", opt, val);
	return -EINVAL;
}

/* Appends arg of the repeatable option opt to list (of at most max). */
static int append(const char *opt, const char *arg, const char **list, size_t *n, size_t max)
{
	if (*n == max) {
		fprintf(stderr, "ringlua: %s given more than %zu times\n", opt, max);
		return -EINVAL;
	}
	list[(*n)++] = arg;
	return 0;
}

/* Appends a NAME=VALUE argument of opt to list (of at most max). */
static int add_pair(const char *opt, const char *arg, const char **list, size_t *n,
		    size_t max)
{
	if (arg[0] == '=' || !strchr(arg, '='))
		return bad_value(opt, arg);
	return append(opt, arg, list, n, max);
}

/* --attach PROG=PROBE, checked in form (the program is looked for once the object is
 * open). */
static int add_attach(struct rl_options *o, const char *arg)
{
	const char *why = rl_named_attach_check(arg);

	if (why) {
		fprintf(stderr, "ringlua: --attach %s: %s\n", arg, why);
		return -EINVAL;
	}
	return add_pair("--attach", arg, o->attaches, &o->nr_attaches, RL_MAX_ATTACHES);
}

/* --only or --skip PROG[,PROG...]: names, checked against the object once it is open. */
static int add_programs(const char *opt, const char *arg, const char **list, size_t *n)
{
	if (!arg[0] || arg[0] == ',' || arg[strlen(arg) - 1] == ',' || strstr(arg, ",,"))
		return bad_value(opt, arg);
	return append(opt, arg, list, n, RL_MAX_PROG_LISTS);
}

/* --ring-bytes [MAP=]BYTES, checked in form (the map is looked for once the object is
 * open). */
static int add_ring_bytes(struct rl_options *o, const char *arg)
{
	const char *map, *why;
	size_t len;
	uint32_t bytes;

	why = rl_ring_bytes_parse(arg, &map, &len, &bytes);
	if (why) {
		fprintf(stderr, "ringlua: --ring-bytes %s: %s\n", arg, why);
		return -EINVAL;
	}
	return append("--ring-bytes", arg, o->ring_bytes, &o->nr_ring_bytes, RL_MAX_RING_BYTES);
}

/* --metrics HOST:PORT or unix:PATH, checked in form (resolved when it is opened). */
static int check_metrics_addr(const char *addr)
{
	return rl_metrics_check_addr(addr) ? bad_value("--metrics", addr) : 0;
}

/* --metrics-allow ADDR[/PREFIX][,...], checked in form (parsed again when it is used). */
static int check_metrics_allow(const char *list)
{
	struct rl_metrics_net nets[RL_METRICS_MAX_ALLOW];
	size_t nr;

	return rl_metrics_parse_allow(list, nets, RL_METRICS_MAX_ALLOW, &nr) ?
		bad_value("--metrics-allow", list) : 0;
}

/* --output nats://HOST:PORT/SUBJECT[?stream=NAME] (or tls://): the URL as the output
 * reads it, shown without its credentials when refused. */
static int check_output(const char *url)
{
	struct rl_nats_url u;
	char shown[512];

	rl_nats_out_shown_url(url, shown, sizeof(shown));
	return rl_nats_out_parse_url(url, &u) ? bad_value("--output", shown) : 0;
}

/* Whether the (valid) --output URL carries credentials of its own. */
static bool output_has_userinfo(const char *url)
{
	struct rl_nats_url u;

	return rl_nats_out_parse_url(url, &u) == 0 && u.userinfo;
}

/* Applies one option; returns 0 or -EINVAL (printed). */
static int apply(struct rl_options *o, int c, const char *arg)
{
	uint64_t v;

	switch (c) {
	case 'h': o->help = true; return 0;
	case OPT_VERSION: o->version = true; return 0;
	case 'v': o->verbose++; return 0;
	case 'l': o->list = true; return 0;
	case OPT_FOLLOW: o->follow = true; return 0;
	case OPT_UNSAFE_PERMS: o->unsafe_perms = true; return 0;
	case OPT_NO_RELOAD: o->no_reload = true; return 0;
	case OPT_STATS: o->stats = true; return 0;
	case OPT_JSON: o->json = true; return 0;
	case OPT_LUA_TYPES: o->lua_types = true; return 0;
	case OPT_RECORD: o->record = arg; return 0;
	case OPT_CGROUP:
		o->cgroup_dir = arg;
		return cgroup_id(arg, &o->cgroup);
	case OPT_REPLAY: o->replay = arg; return 0;
	case OPT_REALTIME: o->realtime = true; return 0;
	case OPT_HANDLER_TIMEOUT:
		if (parse_u64(arg, 0, INT_MAX, &v))
			return bad_value("--handler-timeout", arg);
		o->handler_timeout_ms = (uint32_t)v;
		return 0;
	case OPT_MEMORY_LIMIT:
		if (parse_u64(arg, 0, MAX_MEMORY_LIMIT_MB, &v))
			return bad_value("--memory-limit", arg);
		o->memory_limit_mb = (uint32_t)v;
		return 0;
	case 's': o->source = arg; return 0;
	case 'e': o->code = arg; return 0;
	case 'c': o->command = arg; return 0;
	case OPT_PIN: o->pin = arg; return 0;
	case 'p':
		if (parse_u64(arg, 1, INT_MAX, &v))
			return bad_value("--pid", arg);
		o->pid = (uint32_t)v;
		return 0;
	case OPT_COUNT:
		return parse_u64(arg, 1, UINT64_MAX, &o->count) ? bad_value("--count", arg) : 0;
	case OPT_MAX_ERRORS:
		return parse_u64(arg, 1, UINT64_MAX, &o->max_errors) ?
			bad_value("--max-errors", arg) : 0;
	case OPT_INTERVAL:
		if (parse_u64(arg, 1, INT_MAX, &v))
			return bad_value("--interval", arg);
		o->interval_ms = (uint32_t)v;
		o->interval_given = true;
		return 0;
	case OPT_DURATION:
		return parse_duration(arg, &o->duration_us) ? bad_value("--duration", arg) : 0;
	case 'o':
		if (!arg[0])
			return bad_value("--output-file", arg);
		o->output_file = arg;
		return 0;
	case OPT_LATENCY:
		return parse_latency(arg, &o->latency_us) ? bad_value("--latency", arg) : 0;
	case OPT_UID:
		return parse_uid(arg, &o->uid) ? bad_value("--uid", arg) : 0;
	case OPT_COMM:
		if (!arg[0] || strlen(arg) > RL_COMM_MAX)
			return bad_value("--comm", arg);
		o->comm = arg;
		return 0;
	case OPT_BPF: o->bpf = arg; return 0;
	case OPT_SET: return add_pair("--set", arg, o->sets, &o->nr_sets, RL_MAX_SETS);
	case OPT_TYPE: return add_pair("--type", arg, o->types, &o->nr_types, RL_MAX_TYPES);
	case OPT_ATTACH: return add_attach(o, arg);
	case OPT_ONLY: return add_programs("--only", arg, o->only, &o->nr_only);
	case OPT_SKIP: return add_programs("--skip", arg, o->skip, &o->nr_skip);
	case OPT_METRICS:
		o->metrics = arg;
		return check_metrics_addr(arg);
	case OPT_MAX_SERIES:
		o->max_series_given = true;
		return parse_u64(arg, 1, UINT32_MAX, &o->max_series) ?
			bad_value("--max-series", arg) : 0;
	case OPT_METRICS_ALLOW:
		o->metrics_allow = arg;
		return check_metrics_allow(arg);
	case OPT_OUTPUT:
		o->output = arg;
		return check_output(arg);
	case OPT_OUTPUT_CREDS: o->output_creds = arg; return 0;
	case OPT_STACKS:
		o->stacks = arg;
		return rl_stack_mode_parse(arg, &o->stack_mode) ? bad_value("--stacks", arg) : 0;
	case OPT_STACK_BYTES:
		if (parse_u64(arg, RL_USTACK_PIECE, RL_USTACK_BYTES_MAX, &v) ||
		    v % RL_USTACK_PIECE) {
			fprintf(stderr, "ringlua: --stack-bytes takes %d to %d bytes, a multiple "
				"of %d: '%s'\n", RL_USTACK_PIECE, RL_USTACK_BYTES_MAX,
				RL_USTACK_PIECE, arg);
			return -EINVAL;
		}
		o->ustack_bytes = (uint32_t)v;
		return 0;
	case OPT_UNWIND_MEM:
		if (parse_u64(arg, 1, RL_UNWIND_MEM_MAX_MB, &v))
			return bad_value("--unwind-mem", arg);
		o->unwind_mem_mb = (uint32_t)v;
		return 0;
	case OPT_HZ:
		if (parse_u64(arg, 1, RL_MAX_HZ, &v))
			return bad_value("--hz", arg);
		o->hz = (unsigned int)v;
		return 0;
	case OPT_STR:
		o->str = arg;
		return rl_probe_str_arg(arg) < 0 ? bad_value("--str", arg) : 0;
	case OPT_PER_CPU_RINGS: o->per_cpu_rings = true; return 0;
	case OPT_ORDERED: o->ordered = true; return 0;
	case OPT_NO_TIMESTAMPS: o->no_timestamps = true; return 0;
	case OPT_PERF_PAGES:
		/* libbpf maps each CPU's buffer as a power of two of pages. */
		if (parse_u64(arg, 1, MAX_PERF_PAGES, &v) || (v & (v - 1)))
			return bad_value("--perf-pages", arg);
		o->perf_pages = (size_t)v;
		return 0;
	case OPT_RING_BYTES: return add_ring_bytes(o, arg);
	default:
		return -EINVAL;
	}
}

const char *rl_cli_source_only_option(const struct rl_options *o)
{
	if (o->source)
		return "-s";
	if (o->pin)
		return "--pin";
	if (o->uid != RL_ANY_UID)
		return "--uid";
	if (o->comm)
		return "--comm";
	if (o->stacks)
		return "--stacks";
	if (o->per_cpu_rings)
		return "--per-cpu-rings";
	if (o->ordered)
		return "--ordered";
	if (o->no_timestamps)
		return "--no-timestamps";
	/* An object's pid global holds one process. (-c's command is followed by the
	 * built-in sources: the session sets follow for it, which is not the option.) */
	if (o->follow && !o->command)
		return "--follow";
	return o->str ? "--str" : NULL;
}

/* A word that is not an option, before any `--`: the script, once. Returns 0 or -EINVAL
 * (printed). */
static int operand(struct rl_options *o, const char *word)
{
	if (!o->script && !o->code) {
		o->script = word;
		return 0;
	}
	fprintf(stderr, "ringlua: unexpected argument '%s': %s (script arguments go after --)\n",
		word, o->code ? "-e gives the script" : "one SCRIPT only");
	return -EINVAL;
}

/* -s's probe name, and what goes with it: --hz with a sampling source, --str with
 * uprobes, and none of --stacks, --hz or --str with a pinned ring or a replay. Returns 0
 * or -EINVAL (printed). */
static int check_probe(const struct rl_options *o)
{
	struct rl_probe p = { 0 };
	const char *why = o->source && !rl_tp_is_probe(o->source) ?
			  rl_probe_parse(o->source, o->hz, &p) : NULL;

	if (why && !p.source) {
		fprintf(stderr, "ringlua: unknown source '%s' (try --help)\n", o->source);
		return -EINVAL;
	}
	if (why) {
		fprintf(stderr, "ringlua: -s %s: %s\n", o->source, why);
		return -EINVAL;
	}
	if ((o->pin || o->replay) && (o->stacks || o->ustack_bytes || o->hz || o->str)) {
		fprintf(stderr, "ringlua: --stacks, --stack-bytes, --hz and --str shape what the "
				"BPF side captures: they do not go with --pin or --replay\n");
		return -EINVAL;
	}
	why = o->source && o->str && !rl_tp_is_probe(o->source) && p.uprobes ?
	      rl_probe_set_str(&p, o->str) : NULL;
	if (o->source && o->str && (!p.uprobes || why)) {
		fprintf(stderr, "ringlua: --str %s: %s\n", o->str, why ? why :
			"it reads a uprobe's or USDT probe's argument: it goes with -s "
			"uprobe:PATH:FUNCTION or usdt:PATH:[PROVIDER:]NAME");
		return -EINVAL;
	}
	return 0;
}

/* Options that go together only in some ways: decided here, from argv alone, before
 * anything is compiled or loaded. Returns 0 or -EINVAL (printed). */
static int check_combinations(const struct rl_options *o)
{
	const char *conflict = rl_cli_source_only_option(o);

	if (o->replay && (o->record || o->pid || o->pin || o->bpf || o->command || o->cgroup)) {
		fprintf(stderr, "ringlua: --replay takes its events from the recording: it does "
				"not go with --record, -p, -c, --pin or --bpf\n");
		return -EINVAL;
	}
	if (o->script && o->code) {
		fprintf(stderr, "ringlua: -e gives the script: give no SCRIPT with it\n");
		return -EINVAL;
	}
	if (o->replay && o->duration_us) {
		fprintf(stderr, "ringlua: --duration bounds a live trace: it does not go with "
				"--replay\n");
		return -EINVAL;
	}
	if (o->realtime && !o->replay) {
		fprintf(stderr, "ringlua: --realtime paces a replay: it goes with --replay FILE\n");
		return -EINVAL;
	}
	if (o->json && (o->script || o->code)) {
		fprintf(stderr, "ringlua: --json prints the events itself: give no SCRIPT or -e\n");
		return -EINVAL;
	}
	if (o->lua_types && (o->script || o->code || o->json || o->replay || o->pin)) {
		fprintf(stderr, "ringlua: --lua-types prints the types of -s or --bpf: give no "
				"SCRIPT, -e, --json, --replay or --pin\n");
		return -EINVAL;
	}
	if (o->command && (o->pid || o->pin)) {
		fprintf(stderr, "ringlua: -c traces the command it starts: it does not go with "
				"-p or --pin\n");
		return -EINVAL;
	}
	if (o->bpf && conflict) {
		fprintf(stderr, "ringlua: %s is for the built-in sources: a BPF object of your "
				"own filters in its program (--set)\n", conflict);
		return -EINVAL;
	}
	if (o->replay && (o->metrics || o->output)) {
		fprintf(stderr, "ringlua: --replay runs the script on a recording: it does not "
				"go with --metrics or --output\n");
		return -EINVAL;
	}
	if (o->output_creds && (!o->output || output_has_userinfo(o->output))) {
		fprintf(stderr, "ringlua: --output-creds gives --output's credentials: give "
				"--output too, with none in its URL\n");
		return -EINVAL;
	}
	if (o->max_series_given && !o->metrics) {
		fprintf(stderr, "ringlua: --max-series bounds what --metrics shows: give "
				"--metrics too\n");
		return -EINVAL;
	}
	if (o->metrics_allow && (!o->metrics || rl_metrics_is_unix(o->metrics))) {
		fprintf(stderr, "ringlua: --metrics-allow filters the clients of --metrics "
				"HOST:PORT: give that too\n");
		return -EINVAL;
	}
	if (o->ordered && !o->per_cpu_rings) {
		fprintf(stderr, "ringlua: --ordered merges the rings of --per-cpu-rings: give "
				"--per-cpu-rings too\n");
		return -EINVAL;
	}
	if ((o->pin || o->replay) && o->per_cpu_rings) {
		fprintf(stderr, "ringlua: --per-cpu-rings is how the built-in sources write their "
				"records: it does not go with --pin or --replay\n");
		return -EINVAL;
	}
	if (o->follow && !o->pid) {
		fprintf(stderr, "ringlua: --follow follows the process of -p PID (-c follows "
				"its command anyway)\n");
		return -EINVAL;
	}
	return check_probe(o);
}

int rl_cli_parse(struct rl_options *o, int argc, char **argv)
{
	int c;

	*o = (struct rl_options){ .interval_ms = DEFAULT_INTERVAL_MS,
				  .latency_us = DEFAULT_LATENCY_US, .uid = RL_ANY_UID,
				  .handler_timeout_ms = DEFAULT_HANDLER_TIMEOUT_MS,
				  .memory_limit_mb = DEFAULT_MEMORY_LIMIT_MB,
				  .max_series = DEFAULT_MAX_SERIES,
				  .perf_pages = RL_PERF_DEFAULT_PAGES };
	opterr = 0; /* our own one-line message instead of getopt's */
	/* 0, not 1: glibc starts afresh only at 0; at 1 it would go on inside a group of
	 * short options where the previous parse stopped (`-vx`), in its argv. */
	optind = 0;
	/* "-": words that are not options come back in order (as 1), so that only one
	 * before `--` can be the script; what follows `--` is the script's. */
	while ((c = getopt_long(argc, argv, "-:hlvp:s:e:c:o:", long_opts, NULL)) != -1) {
		if (c == '?' || c == ':') {
			fprintf(stderr, "ringlua: %s option: %s (try --help)\n",
				c == '?' ? "unknown" : "missing value for", argv[optind - 1]);
			return -EINVAL;
		}
		if (c == 1 ? operand(o, optarg) : apply(o, c, optarg))
			return -EINVAL;
	}
	o->script_argc = argc - optind;
	o->script_argv = argv + optind;
	return check_combinations(o);
}
