#include "kernel/bpf_obj.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/perf_event.h>
#include <sys/syscall.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#define TRACEFS_DIR "/sys/kernel/tracing"

struct rl_bpf {
	struct bpf_object *obj;
	char name[64];
	struct bpf_link **links;
	int nr_links;
	unsigned int sample_hz;	/* perf_event programs sample every CPU this often */
};

int rl_bpf_open_mem(struct rl_bpf **out, const void *elf, size_t size, const char *name)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .object_name = name);
	struct rl_bpf *b = calloc(1, sizeof(*b));
	int err;

	if (!b)
		return -ENOMEM;
	snprintf(b->name, sizeof(b->name), "%s", name);
	b->obj = bpf_object__open_mem(elf, size, &opts);
	if (!b->obj) {
		err = -errno;
		free(b);
		return err;
	}
	*out = b;
	return 0;
}

/* Finds var in the BTF section sec; returns its placement or NULL. */
static const struct btf_var_secinfo *find_var(const struct btf *btf, const char *sec,
					      const char *var)
{
	int id = btf__find_by_name_kind(btf, sec, BTF_KIND_DATASEC);
	const struct btf_type *t = id > 0 ? btf__type_by_id(btf, id) : NULL;
	const struct btf_var_secinfo *vs = t ? btf_var_secinfos(t) : NULL;

	for (int i = 0; t && i < btf_vlen(t); i++, vs++) {
		const struct btf_type *v = btf__type_by_id(btf, vs->type);

		if (strcmp(btf__name_by_offset(btf, v->name_off), var) == 0)
			return vs;
	}
	return NULL;
}

int rl_bpf_set_global(struct rl_bpf *b, const char *var, const void *val, size_t size)
{
	struct bpf_map *map = bpf_object__find_map_by_name(b->obj, ".rodata");
	const struct btf *btf = bpf_object__btf(b->obj);
	const struct btf_var_secinfo *vs = btf ? find_var(btf, ".rodata", var) : NULL;
	const void *init;
	size_t init_size;
	uint8_t *copy;
	int err;

	if (!map || !vs)
		return -ENOENT;
	if (vs->size != size)
		return -ERANGE;
	init = bpf_map__initial_value(map, &init_size);
	if (!init || vs->offset + size > init_size)
		return -ENOENT;
	copy = malloc(init_size);
	if (!copy)
		return -ENOMEM;
	memcpy(copy, init, init_size);
	memcpy(copy + vs->offset, val, size);
	err = bpf_map__set_initial_value(map, copy, init_size);
	free(copy);
	return err;
}

int rl_bpf_get_global(const struct rl_bpf *b, const char *var, void *val, size_t size)
{
	struct bpf_map *map = bpf_object__find_map_by_name(b->obj, ".rodata");
	const struct btf *btf = bpf_object__btf(b->obj);
	const struct btf_var_secinfo *vs = btf ? find_var(btf, ".rodata", var) : NULL;
	const void *init;
	size_t init_size;

	if (!map || !vs)
		return -ENOENT;
	if (vs->size != size)
		return -ERANGE;
	init = bpf_map__initial_value(map, &init_size);
	if (!init || vs->offset + size > init_size)
		return -ENOENT;
	memcpy(val, (const uint8_t *)init + vs->offset, size);
	return 0;
}

int rl_bpf_global_type(const struct rl_bpf *b, const char *var, const struct btf **btf)
{
	const struct btf_var_secinfo *vs;

	*btf = bpf_object__btf(b->obj);
	vs = *btf ? find_var(*btf, ".rodata", var) : NULL;
	return vs ? (int)btf__type_by_id(*btf, vs->type)->type : -ENOENT;
}

struct bpf_object *rl_bpf_object(const struct rl_bpf *b)
{
	return b->obj;
}

/* Whether the tracepoint a section "tp/CAT/NAME" (or "tracepoint/CAT/NAME") names exists
 * in the running kernel. */
static bool tracepoint_exists(const char *section)
{
	const char *tp = strchr(section, '/');
	char path[PATH_MAX];

	if (!tp)
		return false;
	snprintf(path, sizeof(path), "%s/events/%s", TRACEFS_DIR, tp + 1);
	return access(path, F_OK) == 0;
}

/* A program whose section starts with "?" is optional: libbpf drops the "?" and leaves
 * the program out of the load; it goes back in if its tracepoint exists here (a system
 * call that some architectures or older kernels lack). */
static void enable_optional_programs(struct rl_bpf *b)
{
	struct bpf_program *prog;

	bpf_object__for_each_program(prog, b->obj) {
		const char *sec = bpf_program__section_name(prog);

		if (!bpf_program__autoload(prog) &&
		    (!strncmp(sec, "tp/", 3) || !strncmp(sec, "tracepoint/", 11)))
			bpf_program__set_autoload(prog, tracepoint_exists(sec));
	}
}

/* Keeps link in b, to destroy with it. Returns 0 or -ENOMEM. */
static int keep_link(struct rl_bpf *b, struct bpf_link *link)
{
	struct bpf_link **links = realloc(b->links, (b->nr_links + 1) * sizeof(*links));

	if (!links)
		return -ENOMEM;
	b->links = links;
	b->links[b->nr_links++] = link;
	return 0;
}

/* A software clock that fires hz times a second on cpu, for every task; its fd or
 * -errno. */
static int open_cpu_clock(int cpu, unsigned int hz)
{
	struct perf_event_attr attr = {
		.type = PERF_TYPE_SOFTWARE,
		.size = sizeof(attr),
		.config = PERF_COUNT_SW_CPU_CLOCK,
		.sample_freq = hz,
		.freq = 1,
	};
	int fd = (int)syscall(SYS_perf_event_open, &attr, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

/* Attaches prog to perf_fd, which the link owns from then on (closed at once if the
 * attach fails). Returns 0 or -errno. */
static int attach_perf_fd(struct rl_bpf *b, struct bpf_program *prog, int perf_fd)
{
	struct bpf_link *link = bpf_program__attach_perf_event(prog, perf_fd);
	int err;

	if (!link) {
		err = -errno;
		close(perf_fd);
		return err;
	}
	err = keep_link(b, link);
	if (err)
		bpf_link__destroy(link);
	return err;
}

/* Attaches the perf_event program prog to a clock at b->sample_hz on every online CPU
 * (CPUs brought online later are not sampled). Returns 0 or -errno (printed). */
static int sample_cpus(struct rl_bpf *b, struct bpf_program *prog)
{
	int nr_cpus = libbpf_num_possible_cpus();
	int err = nr_cpus < 0 ? nr_cpus : 0;

	if (!b->sample_hz) {
		fprintf(stderr, "ringlua: %s: cannot attach program %s (perf_event): it samples "
				"the CPUs, and no frequency is given (--hz N, or a global "
				"`const volatile __u32 sample_hz = N;`)\n", b->name,
			bpf_program__name(prog));
		return -EDESTADDRREQ;
	}
	for (int cpu = 0; !err && cpu < nr_cpus; cpu++) {
		int fd = open_cpu_clock(cpu, b->sample_hz);

		if (fd == -ENODEV)
			continue; /* possible, but offline */
		err = fd < 0 ? fd : attach_perf_fd(b, prog, fd);
		if (err)
			fprintf(stderr, "ringlua: %s: cannot attach program %s (perf_event) to "
					"CPU %d at %u Hz: %s\n", b->name, bpf_program__name(prog),
				cpu, b->sample_hz, strerror(-err));
	}
	return err;
}

static int attach_all(struct rl_bpf *b)
{
	struct bpf_program *prog;
	struct bpf_link *link;
	int err;

	bpf_object__for_each_program(prog, b->obj) {
		/* Not loaded, or attached by hand (rl_bpf_attach_uprobe). */
		if (!bpf_program__autoload(prog) || !bpf_program__autoattach(prog))
			continue;
		if (bpf_program__type(prog) == BPF_PROG_TYPE_PERF_EVENT) {
			err = sample_cpus(b, prog);
			if (err)
				return err;
			continue;
		}
		link = bpf_program__attach(prog);
		if (!link) {
			err = -errno;
			fprintf(stderr, "ringlua: %s: cannot attach program %s (%s): %s\n",
				b->name, bpf_program__name(prog), bpf_program__section_name(prog),
				err == -EOPNOTSUPP ? "ringlua does not know how to attach "
				"this section (it is attached by a loader that runs it)" :
				strerror(-err));
			return err;
		}
		err = keep_link(b, link);
		if (err) {
			bpf_link__destroy(link);
			return err;
		}
	}
	return 0;
}

void rl_bpf_set_sample_hz(struct rl_bpf *b, unsigned int hz)
{
	b->sample_hz = hz;
}

int rl_bpf_attach_uprobe(struct rl_bpf *b, const char *prog_name, const struct rl_uprobe *u)
{
	struct bpf_program *prog = bpf_object__find_program_by_name(b->obj, prog_name);
	LIBBPF_OPTS(bpf_uprobe_opts, opts, .func_name = u->func, .retprobe = u->ret,
		    .bpf_cookie = u->cookie);
	struct bpf_link *link;
	int err;

	if (!prog)
		return -ENOENT;
	link = bpf_program__attach_uprobe_opts(prog, u->pid ? (pid_t)u->pid : -1, u->path, 0,
					       &opts);
	if (!link)
		return -errno;
	err = keep_link(b, link);
	if (err)
		bpf_link__destroy(link);
	return err;
}

int rl_bpf_load_attach(struct rl_bpf *b)
{
	int err;

	enable_optional_programs(b);
	err = bpf_object__load(b->obj);

	if (err) {
		fprintf(stderr, "ringlua: %s: cannot load BPF object: %s\n", b->name,
			strerror(-err));
		return err;
	}
	return attach_all(b);
}

int rl_bpf_attach_perf_event(struct rl_bpf *b, int perf_fd)
{
	struct bpf_program *prog;

	bpf_object__for_each_program(prog, b->obj)
		if (bpf_program__type(prog) == BPF_PROG_TYPE_PERF_EVENT)
			break;
	if (!prog) {
		close(perf_fd);
		return -ENOENT;
	}
	return attach_perf_fd(b, prog, perf_fd);
}

int rl_bpf_ring_fd(const struct rl_bpf *b, const char *map)
{
	struct bpf_map *m = bpf_object__find_map_by_name(b->obj, map);

	if (!m || bpf_map__type(m) != BPF_MAP_TYPE_RINGBUF)
		return -ENOENT;
	return bpf_map__fd(m);
}

int rl_bpf_read_u64(const struct rl_bpf *b, const char *var, uint64_t *val)
{
	struct bpf_map *map = bpf_object__find_map_by_name(b->obj, ".bss");
	const struct btf *btf = bpf_object__btf(b->obj);
	const struct btf_var_secinfo *vs = btf ? find_var(btf, ".bss", var) : NULL;
	uint32_t zero = 0;
	uint8_t *bss;
	int err;

	if (!map || !vs || vs->size != sizeof(*val))
		return -ENOENT;
	bss = malloc(bpf_map__value_size(map));
	if (!bss)
		return -ENOMEM;
	err = bpf_map_lookup_elem(bpf_map__fd(map), &zero, bss) ? -errno : 0;
	if (!err)
		memcpy(val, bss + vs->offset, sizeof(*val));
	free(bss);
	return err;
}

void rl_bpf_close(struct rl_bpf *b)
{
	if (!b)
		return;
	for (int i = 0; i < b->nr_links; i++)
		bpf_link__destroy(b->links[i]);
	free(b->links);
	bpf_object__close(b->obj);
	free(b);
}
