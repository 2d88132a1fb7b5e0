/* Fuzzes the command-line parser with arbitrary argument vectors: the input split at NUL
 * bytes, each argument in an allocation of its own so that reading past one, or keeping
 * a pointer into one after the parse that saw it, is caught.
 *
 * Whatever the arguments, the parse returns 0 or -EINVAL, and what it accepted is in
 * range: every value within its option's bounds, a source that exists, the script and
 * its arguments taken from argv (the arguments only after `--`), and no options that do
 * not go together. The same arguments parsed again give the same result:
 * nothing of one parse leaks into the next. A broken rule aborts: the fuzzer reports a
 * crash. */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/cli.h"
#include "kernel/sources.h"
#include "kernel/tp_format.h"

#define MAX_ARGS 64
/* --latency's bound, 1000 ms, in microseconds. */
#define MAX_LATENCY_US 1000000

struct args {
	int argc;
	char *argv[MAX_ARGS + 2];	/* what the parser sees (and may reorder) */
	char *owned[MAX_ARGS + 1];	/* the same allocations, in the input's order */
};

static void expect(bool ok, const char *rule)
{
	if (!ok) {
		fprintf(stderr, "fuzz_cli: broken rule: %s\n", rule);
		abort();
	}
}

/* Appends a copy of the len bytes at s, NUL-terminated, in an allocation of its own. */
static void add_arg(struct args *a, const void *s, size_t len)
{
	char *arg = malloc(len + 1);

	expect(arg != NULL, "memory for an argument");
	memcpy(arg, s, len);
	arg[len] = '\0';
	a->owned[a->argc++] = arg;
}

/* argv[0] "ringlua", then one argument per NUL-terminated piece of the input. */
static void split(struct args *a, const uint8_t *data, size_t size)
{
	size_t start = 0;

	add_arg(a, "ringlua", strlen("ringlua"));
	while (start < size && a->argc <= MAX_ARGS) {
		const uint8_t *nul = memchr(data + start, 0, size - start);
		size_t len = nul ? (size_t)(nul - data) - start : size - start;

		add_arg(a, data + start, len);
		start += len + 1;
	}
	memcpy(a->argv, a->owned, (size_t)a->argc * sizeof(a->argv[0]));
	a->argv[a->argc] = NULL;
}

static void free_args(struct args *a)
{
	for (int i = 0; i < a->argc; i++)
		free(a->owned[i]);
}

static bool is_argument(const struct args *a, const char *s)
{
	for (int i = 1; i < a->argc; i++)
		if (a->owned[i] == s)
			return true;
	return false;
}

/* --pin=PATH leaves PATH inside its argument. */
static bool inside_argument(const struct args *a, const char *s)
{
	for (int i = 1; i < a->argc; i++)
		if (s >= a->owned[i] && s <= a->owned[i] + strlen(a->owned[i]))
			return true;
	return false;
}

static void check_accepted(const struct args *a, const struct rl_options *o)
{
	struct rl_probe probe;

	expect(o->pid <= INT_MAX, "--pid fits a pid_t");
	expect(o->interval_ms >= 1 && o->interval_ms <= INT_MAX, "--interval in 1..INT_MAX");
	expect(o->latency_us <= MAX_LATENCY_US, "--latency at most 1000 ms");
	expect(!o->source || !rl_probe_parse(o->source, o->hz, &probe) ||
	       rl_tp_is_probe(o->source), "-s names a probe that exists");
	expect(o->hz <= RL_MAX_HZ, "--hz at most RL_MAX_HZ");
	expect(!o->pin || inside_argument(a, o->pin), "--pin is (in) an argument");
	expect(!o->comm || (inside_argument(a, o->comm) && o->comm[0] &&
			    strlen(o->comm) <= RL_COMM_MAX), "--comm is a task name");
	expect(!o->script || is_argument(a, o->script), "the script is an argument");
	expect(o->script_argc >= 0 && o->script_argv + o->script_argc == a->argv + a->argc,
	       "the script's arguments are the tail of argv");
	for (int i = 0; i < o->script_argc; i++)
		expect(is_argument(a, o->script_argv[i]), "each script argument is an argument");
	expect(o->script_argc == 0 || strcmp(o->script_argv[-1], "--") == 0,
	       "the script's arguments are what follows --");
	expect(!(o->script && o->code), "a SCRIPT or -e, not both");
	expect(!o->realtime || o->replay, "--realtime only with --replay");
	expect(!o->bpf || !rl_cli_source_only_option(o), "--bpf without the sources' options");
}

/* Same string, or both NULL. */
static bool same_str(const char *x, const char *y)
{
	return x == y || (x && y && strcmp(x, y) == 0);
}

/* What a parse decided, compared by value: its strings live in different copies. */
static bool same_options(const struct rl_options *x, const struct rl_options *y)
{
	return same_str(x->script, y->script) && same_str(x->source, y->source) &&
	       same_str(x->pin, y->pin) && x->script_argc == y->script_argc &&
	       x->pid == y->pid && x->count == y->count && x->interval_ms == y->interval_ms &&
	       x->latency_us == y->latency_us && x->max_errors == y->max_errors &&
	       x->verbose == y->verbose && x->unsafe_perms == y->unsafe_perms &&
	       x->help == y->help && x->version == y->version &&
	       x->handler_timeout_ms == y->handler_timeout_ms &&
	       x->memory_limit_mb == y->memory_limit_mb && x->no_reload == y->no_reload &&
	       x->uid == y->uid && same_str(x->comm, y->comm);
}

/* Parses a copy of the input's arguments (kept in a until free_args); returns the result. */
static int parse(struct args *a, const uint8_t *data, size_t size, struct rl_options *o)
{
	int err;

	split(a, data, size);
	err = rl_cli_parse(o, a->argc, a->argv);
	expect(err == 0 || err == -EINVAL, "the parse returns 0 or -EINVAL");
	if (!err)
		check_accepted(a, o);
	return err;
}

/* The first copy stays allocated during the second parse, so a parser that kept a
 * pointer into it reads what it left there, the same way every run. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct args first_args = { 0 }, again_args = { 0 };
	struct rl_options first, again;
	int err = parse(&first_args, data, size, &first);

	expect(parse(&again_args, data, size, &again) == err &&
	       (err || same_options(&first, &again)),
	       "the same arguments parse the same way twice");
	free_args(&first_args);
	free_args(&again_args);
	return 0;
}
