#include "kernel/bpf_obj.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/libbpf.h>

#include "kernel/bpf_obj_impl.h"
#include "kernel/bpf_why.h"
#include "kernel/verifier_log.h"

/* The verifier's log of a program that fails to load: the kernel keeps its end when it
 * runs longer, and the end holds the reason. */
#define VERIFIER_LOG_SIZE (256 * 1024)
/* Lines of that end shown without -v. */
#define VERIFIER_REASON_LINES 3

void rl_bpf_enable_optional(struct rl_bpf *b)
{
	struct bpf_program *prog;

	bpf_object__for_each_program(prog, b->obj) {
		const char *sec = bpf_program__section_name(prog);

		if (!bpf_program__autoload(prog) &&
		    (!strncmp(sec, "tp/", 3) || !strncmp(sec, "tracepoint/", 11)))
			bpf_program__set_autoload(prog,
						  rl_bpf_tracepoint_exists(strchr(sec, '/') + 1));
	}
}

/* Gives every program to be loaded a log of its own: libbpf asks the verifier for it only
 * when the load fails, and the log of the program that failed says why. Returns 0 or
 * -ENOMEM. */
static int give_logs(struct rl_bpf *b, char ***logs, int *n)
{
	struct bpf_program *prog;
	int i = 0;

	*n = 0;
	bpf_object__for_each_program(prog, b->obj)
		(*n)++;
	*logs = calloc(*n ? *n : 1, sizeof(**logs));
	if (!*logs)
		return -ENOMEM;
	bpf_object__for_each_program(prog, b->obj) {
		(*logs)[i] = calloc(1, VERIFIER_LOG_SIZE);
		if (!(*logs)[i])
			return -ENOMEM;
		bpf_program__set_log_buf(prog, (*logs)[i++], VERIFIER_LOG_SIZE);
	}
	return 0;
}

/* A load that failed with no verifier log: the kernel refused a program before verifying
 * it, or libbpf did. Names the programs of kinds some kernels refuse (-v shows libbpf's
 * own account). */
static void report_unlogged(const struct rl_bpf *b, int err)
{
	struct bpf_program *prog;
	int named = 0;

	fprintf(stderr, "ringlua: %s: cannot load BPF object: bpf_object__load: %s\n", b->name,
		strerror(-err));
	bpf_object__for_each_program(prog, b->obj) {
		const char *section = bpf_program__section_name(prog);

		if (!bpf_program__autoload(prog) || !rl_bpf_is_trampoline(section))
			continue;
		fprintf(stderr, "ringlua:   program %s (%s) is attached through a BPF "
				"trampoline, which this kernel may refuse\n",
			bpf_program__name(prog), section);
		named++;
	}
	if (!named && !b->verbose)
		fprintf(stderr, "ringlua: (-v prints libbpf's account of the load)\n");
}

/* Names each program the kernel refused and says why: the end of its verifier log
 * (the whole log with -v). */
static void report_rejected(const struct rl_bpf *b, char **logs, int err)
{
	struct bpf_program *prog;
	int i = 0, reported = 0;

	bpf_object__for_each_program(prog, b->obj) {
		const char *log = logs[i++];

		if (!log[0])
			continue;
		fprintf(stderr, "ringlua: %s: the kernel rejected program %s (%s): "
				"bpf_object__load: %s\n", b->name,
			bpf_program__name(prog), bpf_program__section_name(prog),
			strerror(-err));
		if (b->verbose)
			fprintf(stderr, "%s\n", log);
		else
			rl_verifier_log_print_end(log, VERIFIER_REASON_LINES);
		reported++;
	}
	if (reported && !b->verbose)
		fprintf(stderr, "ringlua: (-v prints the verifier's whole log)\n");
	if (!reported)
		report_unlogged(b, err);
}

static void free_logs(char **logs, int n)
{
	for (int i = 0; logs && i < n; i++)
		free(logs[i]);
	free(logs);
}

int rl_bpf_load_reported(struct rl_bpf *b)
{
	char **logs = NULL;
	int n = 0, err = give_logs(b, &logs, &n);

	if (!err)
		err = bpf_object__load(b->obj);
	if (err && err != -ENOMEM)
		report_rejected(b, logs, err);
	else if (err)
		fprintf(stderr, "ringlua: %s: cannot load BPF object: bpf_object__load: %s\n",
			b->name, strerror(-err));
	/* The logs are read only here: no program keeps its pointer after the load. */
	free_logs(logs, n);
	return err;
}

/* Fills r from the logs of a failed load: libbpf stops at the first program that fails,
 * and only a program the kernel verified and refused has a log. With verbose, prints
 * that log whole. */
static void read_rejection(const struct rl_bpf *b, char **logs, struct rl_bpf_rejection *r)
{
	struct bpf_program *prog;
	int i = 0;

	bpf_object__for_each_program(prog, b->obj) {
		const char *log = logs[i++];

		if (!log[0])
			continue;
		snprintf(r->prog, sizeof(r->prog), "%s", bpf_program__name(prog));
		rl_verifier_log_reason(log, r->reason, sizeof(r->reason));
		if (b->verbose)
			fprintf(stderr, "ringlua: %s: the verifier's log of program %s:\n%s\n",
				b->name, r->prog, log);
		return;
	}
}

int rl_bpf_load_once(struct rl_bpf *b, struct rl_bpf_rejection *r)
{
	char **logs = NULL;
	int n = 0, err = give_logs(b, &logs, &n);

	*r = (struct rl_bpf_rejection){ 0 };
	if (!err)
		err = bpf_object__load(b->obj);
	if (err && logs)
		read_rejection(b, logs, r);
	free_logs(logs, n);
	return err;
}

/* Whether map holds globals whose values ringlua sets before load: .rodata, .data, .bss
 * and their .NAME variants, under libbpf's names for them ("obj.rodata"); not .kconfig,
 * which libbpf fills itself. */
static bool is_settable_globals(const struct bpf_map *map)
{
	return bpf_map__is_internal(map) && !strstr(bpf_map__name(map), ".kconfig");
}

/* Gives to's map same the sizes ringlua set on map before a load (map_sizes.h). Returns 0
 * or -errno. */
static int carry_size(const struct bpf_map *map, struct bpf_map *same)
{
	int err = 0;

	if (bpf_map__max_entries(same) != bpf_map__max_entries(map))
		err = bpf_map__set_max_entries(same, bpf_map__max_entries(map));
	if (!err && bpf_map__value_size(same) != bpf_map__value_size(map))
		err = bpf_map__set_value_size(same, bpf_map__value_size(map));
	return err;
}

/* Gives to, an object just opened from the same bytes as from, what ringlua sets before
 * a load: the values of the globals' maps, the other maps' sizes, and each program's
 * autoload and autoattach. Returns 0 or -errno. */
static int carry_settings(struct bpf_object *from, struct bpf_object *to)
{
	struct bpf_program *prog;
	struct bpf_map *map;
	int err = 0;

	bpf_object__for_each_map(map, from) {
		struct bpf_map *same = bpf_object__find_map_by_name(to, bpf_map__name(map));
		size_t size;
		const void *init = bpf_map__initial_value(map, &size);

		if (same && init && is_settable_globals(map))
			err = err ? err : bpf_map__set_initial_value(same, init, size);
		else if (same && !bpf_map__is_internal(map))
			err = err ? err : carry_size(map, same);
	}
	bpf_object__for_each_program(prog, from) {
		struct bpf_program *same =
			bpf_object__find_program_by_name(to, bpf_program__name(prog));

		if (!same)
			return -ENOENT;
		bpf_program__set_autoload(same, bpf_program__autoload(prog));
		bpf_program__set_autoattach(same, bpf_program__autoattach(prog));
	}
	return err;
}

int rl_bpf_reopen(struct rl_bpf *b)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .object_name = b->name);
	struct bpf_object *obj;
	int err;

	if (b->nr_links || b->nr_areas)
		return -EBUSY;
	obj = bpf_object__open_mem(b->elf, b->elf_size, &opts);
	if (!obj)
		return -errno;
	err = carry_settings(b->obj, obj);
	if (err) {
		bpf_object__close(obj);
		return err;
	}
	bpf_object__close(b->obj);
	b->obj = obj;
	return 0;
}
