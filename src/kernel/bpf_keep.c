#include "kernel/bpf_keep.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "kernel/bpf_obj.h"
#include "kernel/bpf_why.h"
#include "kernel/prog_hook.h"

/* A hook key's longest form: "entry:" and a kernel function's or tracepoint's name. */
#define HOOK_KEY_MAX 192
/* try_load's `alone` (else a program's number): no program at all, or every program
 * that is to load. */
#define NO_PROGRAM (-2)
#define ALL_PROGRAMS (-1)

/* What became of a program. */
enum fate {
	WANTED,		/* to be loaded and attached */
	ABSENT,		/* optional ("?"), and no tracepoint the kernel has */
	SKIPPED,	/* left out by --only or --skip */
	NOT_LOADED,	/* refused at load (said) */
	BY_CALLER,	/* loaded; set not to auto-attach: --attach attaches it */
	NOT_ATTACHED,	/* could not attach (said) */
	ATTACHED,
	SPARE,		/* an alternative of the program that attached for its hook */
};

/* The programs are numbered in the object's order, which every reopen keeps. */
struct keep {
	struct rl_bpf *b;
	const char *name;	/* the object's, for messages */
	int n;
	enum fate *fate;
	int *chosen;		/* a SPARE's alternative that attached */
	bool *fine_alone;	/* loaded alone once: not the one that fails */
	bool spent;		/* the object had its one load */
	bool object_fine;	/* it loaded with no program */
	int verbose;
};

static bool loads(enum fate f)
{
	return f == WANTED || f == BY_CALLER;
}

/* The length of the name at p, in a list of comma-separated names. */
static int name_len(const char *p)
{
	return (int)strcspn(p, ",");
}

/* The name after the one at p, or the list's end. */
static const char *next_name(const char *p)
{
	p += name_len(p);
	return *p ? p + 1 : p;
}

/* Whether list (arguments of comma-separated names) names name. */
static bool listed(const char *const *list, size_t n, const char *name)
{
	int len = (int)strlen(name);

	for (size_t i = 0; i < n; i++)
		for (const char *p = list[i]; *p; p = next_name(p))
			if (name_len(p) == len && !strncmp(p, name, (size_t)len))
				return true;
	return false;
}

/* One line: the object's programs after text. */
static void print_programs(const struct keep *k, const char *text)
{
	struct bpf_program *prog;
	const char *sep = "";

	fprintf(stderr, "%s", text);
	bpf_object__for_each_program(prog, rl_bpf_object(k->b)) {
		fprintf(stderr, "%s%s", sep, bpf_program__name(prog));
		sep = ", ";
	}
	fprintf(stderr, "\n");
}

/* Each name in option's list must be a program of the object. Returns 0 or -EDOM
 * (printed, with the object's programs). */
static int check_names(const struct keep *k, const char *option, const char *const *list,
		       size_t n)
{
	struct bpf_object *obj = rl_bpf_object(k->b);
	char text[512];

	for (size_t i = 0; i < n; i++)
		for (const char *p = list[i]; *p; p = next_name(p)) {
			snprintf(text, sizeof(text), "%.*s", name_len(p), p);
			if (bpf_object__find_program_by_name(obj, text))
				continue;
			snprintf(text, sizeof(text), "ringlua: %s %s: %s has no program %.*s; its "
				 "programs: ", option, list[i], k->name, name_len(p), p);
			print_programs(k, text);
			return -EDOM;
		}
	return 0;
}

/* Each program's fate before load, from --only, --skip and the optional ones. */
static int select_programs(struct keep *k, const struct rl_keep_opts *o)
{
	struct bpf_program *prog;
	int i = 0, err = check_names(k, "--only", o->only, o->nr_only);

	err = err ? err : check_names(k, "--skip", o->skip, o->nr_skip);
	if (err)
		return err;
	rl_bpf_enable_optional(k->b);
	bpf_object__for_each_program(prog, rl_bpf_object(k->b)) {
		const char *name = bpf_program__name(prog);

		bool only = o->nr_only && listed(o->only, o->nr_only, name);

		/* --only names an optional program: the user's choice enables it. */
		k->fate[i++] = !bpf_program__autoload(prog) && !only ? ABSENT :
			       (o->nr_only && !only) || listed(o->skip, o->nr_skip, name) ?
			       SKIPPED : !bpf_program__autoattach(prog) ? BY_CALLER : WANTED;
	}
	return 0;
}

/* Sets which programs the next load loads: the one numbered alone, none (NO_PROGRAM),
 * or all that are to load (ALL_PROGRAMS); opens the object afresh when it had its load.
 * Returns 0 or -errno (printed). */
static int prepare(struct keep *k, int alone)
{
	struct bpf_program *prog;
	int i = 0, err = k->spent ? rl_bpf_reopen(k->b) : 0;

	if (err) {
		fprintf(stderr, "ringlua: %s: cannot open it again: %s\n", k->name, strerror(-err));
		return err;
	}
	k->spent = false;
	bpf_object__for_each_program(prog, rl_bpf_object(k->b)) {
		bpf_program__set_autoload(prog, alone == ALL_PROGRAMS ? loads(k->fate[i]) :
					  i == alone);
		i++;
	}
	return 0;
}

/* Loads as prepare(alone) sets; the load's result in *load_err. Returns 0 or -errno
 * (printed) when the object could not be prepared. */
static int try_load(struct keep *k, int alone, struct rl_bpf_rejection *r, int *load_err)
{
	int err = prepare(k, alone);

	if (err)
		return err;
	*load_err = rl_bpf_load_once(k->b, r);
	k->spent = true;
	return 0;
}

static int index_of(const struct keep *k, const char *prog_name)
{
	struct bpf_program *prog;
	int i = 0;

	bpf_object__for_each_program(prog, rl_bpf_object(k->b)) {
		if (!strcmp(bpf_program__name(prog), prog_name))
			return i;
		i++;
	}
	return -ENOENT;
}

static struct bpf_program *program_at(const struct keep *k, int index)
{
	struct bpf_program *prog;
	int i = 0;

	bpf_object__for_each_program(prog, rl_bpf_object(k->b))
		if (i++ == index)
			return prog;
	return NULL;
}

/* A failure of the object's own: said, with the errno. */
static int object_failed(const struct keep *k, int err)
{
	fprintf(stderr, "ringlua: %s: cannot load BPF object: bpf_object__load: %s%s\n",
		k->name, strerror(-err), k->verbose ? "" : " (-v prints libbpf's account)");
	return err;
}

/* The program whose load failed before the verifier, as bpf_keep.h tells. Returns its
 * number, its error in *err and what a verifier said of it alone in r; or -errno
 * (printed) for a failure of the object's own. */
static int find_unlogged(struct keep *k, struct rl_bpf_rejection *r, int *err)
{
	int fatal, load_err = 0;

	if (!k->object_fine) {
		fatal = try_load(k, NO_PROGRAM, r, &load_err);
		if (fatal || load_err)
			return fatal ? fatal : object_failed(k, load_err);
		k->object_fine = true;
	}
	for (int i = 0; i < k->n; i++) {
		if (!loads(k->fate[i]) || k->fine_alone[i])
			continue;
		fatal = try_load(k, i, r, &load_err);
		if (fatal)
			return fatal;
		if (load_err) {
			*err = load_err;
			return i;
		}
		k->fine_alone[i] = true;
	}
	return object_failed(k, *err); /* each loads alone, not together */
}

/* Says why program i was left out: the call, the errno in words, and the verifier's
 * reason (r) or what the kernel lacks. */
static void say_left_out(const struct keep *k, int i, const char *call, int err,
			 const struct rl_bpf_rejection *r)
{
	struct bpf_program *prog = program_at(k, i);
	char buf[512];
	const char *why = buf;

	if (r && r->prog[0])
		snprintf(buf, sizeof(buf), "%s: the verifier refused it: %s%s", strerror(-err),
			 r->reason, k->verbose ? "" : " (-v prints its log)");
	else
		why = rl_bpf_why(prog, err, buf, sizeof(buf));
	fprintf(stderr, "ringlua: %s: left out program %s (%s): %s: %s\n", k->name,
		bpf_program__name(prog), bpf_program__section_name(prog), call, why);
}

static int count(const struct keep *k, bool (*pred)(enum fate))
{
	int n = 0;

	for (int i = 0; i < k->n; i++)
		n += pred(k->fate[i]);
	return n;
}

/* Loads the object, leaving out each program that fails, until it loads. Returns 0 or
 * -errno (printed). */
static int load_what_loads(struct keep *k)
{
	struct rl_bpf_rejection r;
	int err, load_err, culprit;

	for (;;) {
		if (!count(k, loads)) {
			fprintf(stderr, "ringlua: %s: no program of it loads on this kernel\n",
				k->name);
			return -ENOENT;
		}
		err = try_load(k, ALL_PROGRAMS, &r, &load_err);
		if (err || !load_err)
			return err;
		if (load_err == -ENOMEM)
			return object_failed(k, load_err);
		culprit = r.prog[0] ? index_of(k, r.prog) : find_unlogged(k, &r, &load_err);
		if (culprit < 0)
			return culprit;
		say_left_out(k, culprit, "bpf_object__load", load_err, &r);
		k->fate[culprit] = NOT_LOADED;
	}
}

/* Attaches program i; says why not. Returns whether it attached. */
static bool attach_one(struct keep *k, int i)
{
	struct bpf_program *prog = program_at(k, i);
	bool perf = bpf_program__type(prog) == BPF_PROG_TYPE_PERF_EVENT;
	int err = rl_bpf_attach_prog(k->b, prog);

	if (err)
		say_left_out(k, i, perf ? "bpf_program__attach_perf_event" : "bpf_program__attach",
			     err, NULL);
	k->fate[i] = err ? NOT_ATTACHED : ATTACHED;
	return !err;
}

/* The rank of program i's kind among the alternatives of hook; -1 when it is not one. */
static int rank_in(const struct keep *k, int i, const char *hook)
{
	char key[HOOK_KEY_MAX];
	int rank = rl_prog_hook(bpf_program__section_name(program_at(k, i)), key, sizeof(key));

	return rank >= 0 && !strcmp(key, hook) ? rank : -1;
}

/* The undecided alternative of hook with the lowest rank (the first in the object's
 * order among equals), or -1. */
static int next_alternative(const struct keep *k, const char *hook)
{
	int best = -1, best_rank = 0;

	for (int i = 0; i < k->n; i++) {
		int rank = k->fate[i] == WANTED ? rank_in(k, i, hook) : -1;

		if (rank >= 0 && (best < 0 || rank < best_rank)) {
			best = i;
			best_rank = rank;
		}
	}
	return best;
}

/* Attaches the first alternative of hook that attaches; the others are spares. */
static void attach_hook(struct keep *k, const char *hook)
{
	int i;

	while ((i = next_alternative(k, hook)) >= 0)
		if (attach_one(k, i))
			break;
	for (int j = 0; i >= 0 && j < k->n; j++)
		if (k->fate[j] == WANTED && rank_in(k, j, hook) >= 0) {
			k->fate[j] = SPARE;
			k->chosen[j] = i;
		}
}

static void attach_what_attaches(struct keep *k)
{
	char key[HOOK_KEY_MAX];

	for (int i = 0; i < k->n; i++) {
		if (k->fate[i] != WANTED)
			continue;
		if (rl_prog_hook(bpf_program__section_name(program_at(k, i)), key, sizeof(key)) < 0)
			attach_one(k, i);
		else
			attach_hook(k, key);
	}
}

/* The ids of the maps the loaded program fd uses, malloc'd into *ids. Returns their
 * number or -errno. */
static int prog_map_ids(int fd, __u32 **ids)
{
	struct bpf_prog_info info = { 0 };
	__u32 len = sizeof(info), n;

	*ids = NULL;
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	n = info.nr_map_ids;
	*ids = calloc(n ? n : 1, sizeof(**ids));
	if (!*ids)
		return -ENOMEM;
	info = (struct bpf_prog_info){ .nr_map_ids = n, .map_ids = (__u64)(unsigned long)*ids };
	len = sizeof(info);
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	return (int)(info.nr_map_ids < n ? info.nr_map_ids : n);
}

/* Whether a program kept (attached, or left to --attach) uses the map of id. */
static bool kept_program_uses(const struct keep *k, __u32 id)
{
	bool found = false;

	for (int i = 0; i < k->n && !found; i++) {
		__u32 *ids;
		int n;

		if (k->fate[i] != ATTACHED && k->fate[i] != BY_CALLER)
			continue;
		n = prog_map_ids(bpf_program__fd(program_at(k, i)), &ids);
		for (int j = 0; j < n && !found; j++)
			found = ids[j] == id;
		free(ids);
	}
	return found;
}

static bool left_out(enum fate f)
{
	return f == SKIPPED || f == NOT_LOADED || f == NOT_ATTACHED || f == SPARE;
}

static bool kept(enum fate f)
{
	return f == ATTACHED || f == BY_CALLER;
}

/* Whether something still writes to each ring, once programs were left out (an object
 * whose rings no program writes to by itself, as one using tail calls, runs as it
 * is). Returns 0 or -ENOENT (printed). */
static int check_rings(const struct keep *k)
{
	struct bpf_map *map;
	struct bpf_map_info info;
	int err = 0;

	if (!count(k, kept)) {
		fprintf(stderr, "ringlua: %s: no program of it attached\n", k->name);
		return -ENOENT;
	}
	if (!count(k, left_out))
		return 0;
	bpf_object__for_each_map(map, rl_bpf_object(k->b)) {
		__u32 len = sizeof(info);

		memset(&info, 0, sizeof(info));
		if (!rl_bpf_is_output_map(map) ||
		    bpf_obj_get_info_by_fd(bpf_map__fd(map), &info, &len) ||
		    kept_program_uses(k, info.id))
			continue;
		fprintf(stderr, "ringlua: %s: no program attached writes to %s %s (programs "
				"were left out)\n", k->name,
			bpf_map__type(map) == BPF_MAP_TYPE_RINGBUF ? "ring" : "perf buffer",
			bpf_map__name(map));
		err = -ENOENT;
	}
	return err;
}

/* -v: what became of each program that was not said already. */
static void report(const struct keep *k)
{
	static const char *const what[] = {
		[ABSENT] = "left out: optional (\"?\"), and no tracepoint this kernel has",
		[SKIPPED] = "left out by --only or --skip",
		[BY_CALLER] = "loaded, for --attach", [ATTACHED] = "attached",
		[SPARE] = "not attached: an alternative of",
	};

	for (int i = 0; i < k->n; i++) {
		struct bpf_program *prog = program_at(k, i);

		if (!what[k->fate[i]])
			continue; /* said already */
		fprintf(stderr, "ringlua: %s: program %s (%s): %s%s%s\n", k->name,
			bpf_program__name(prog), bpf_program__section_name(prog),
			what[k->fate[i]], k->fate[i] == SPARE ? " " : "",
			k->fate[i] == SPARE ? bpf_program__name(program_at(k, k->chosen[i])) : "");
	}
}

int rl_bpf_keep(struct rl_bpf *b, const struct rl_keep_opts *o)
{
	struct keep k = { .b = b, .name = rl_bpf_name(b), .verbose = o->verbose };
	struct bpf_program *prog;
	int err = 0;

	bpf_object__for_each_program(prog, rl_bpf_object(b))
		k.n++;
	k.fate = calloc(k.n ? k.n : 1, sizeof(*k.fate));
	k.chosen = calloc(k.n ? k.n : 1, sizeof(*k.chosen));
	k.fine_alone = calloc(k.n ? k.n : 1, sizeof(*k.fine_alone));
	if (!k.fate || !k.chosen || !k.fine_alone)
		err = -ENOMEM;
	err = err ? err : select_programs(&k, o);
	err = err ? err : load_what_loads(&k);
	if (!err) {
		attach_what_attaches(&k);
		if (o->verbose)
			report(&k);
		err = check_rings(&k);
	}
	free(k.fate);
	free(k.chosen);
	free(k.fine_alone);
	return err;
}
