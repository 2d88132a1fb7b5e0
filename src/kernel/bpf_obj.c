#include "kernel/bpf_obj.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <linux/perf_event.h>
#include <sys/syscall.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "kernel/bpf_obj_impl.h"
#include "kernel/bpf_why.h"

/* Links detached by one thread; more go to up to DETACH_THREADS threads at once. */
#define DETACH_ALONE_MAX 8
#define DETACH_THREADS 64

int rl_bpf_open_mem(struct rl_bpf **out, const void *elf, size_t size, const char *name)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .object_name = name);
	struct rl_bpf *b = calloc(1, sizeof(*b));
	int err;

	if (!b)
		return -ENOMEM;
	snprintf(b->name, sizeof(b->name), "%s", name);
	b->elf = elf;
	b->elf_size = size;
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

bool rl_bpf_is_global_section(const char *sec)
{
	return !strncmp(sec, ".rodata", 7) || !strncmp(sec, ".data", 5) ||
	       !strncmp(sec, ".bss", 4);
}

/* The global var in any of b's sections of globals (.rodata, .data, .bss and their
 * .NAME variants): its placement, and its section's map in *map. NULL: none. */
static const struct btf_var_secinfo *find_global(const struct rl_bpf *b, const char *var,
						 struct bpf_map **map)
{
	const struct btf *btf = bpf_object__btf(b->obj);

	for (uint32_t id = 1; btf && id < btf__type_cnt(btf); id++) {
		const struct btf_type *t = btf__type_by_id(btf, id);
		const char *sec = btf__name_by_offset(btf, t->name_off);
		const struct btf_var_secinfo *vs;

		if (!btf_is_datasec(t) || !rl_bpf_is_global_section(sec))
			continue;
		vs = find_var(btf, sec, var);
		/* libbpf finds a section's map by the section's name. */
		*map = vs ? bpf_object__find_map_by_name(b->obj, sec) : NULL;
		if (*map)
			return vs;
	}
	return NULL;
}

/* Where the global var of size bytes lives before load: its map, its initial value (the
 * whole map's, init_size bytes) and its offset in it. Returns 0, -ENOENT for no such
 * variable, or -ERANGE for a size mismatch. */
static int initial_slot(const struct rl_bpf *b, const char *var, size_t size,
			struct bpf_map **map, const uint8_t **init, size_t *init_size,
			size_t *offset)
{
	const struct btf_var_secinfo *vs = find_global(b, var, map);

	if (!*map || !vs)
		return -ENOENT;
	if (vs->size != size)
		return -ERANGE;
	*init = bpf_map__initial_value(*map, init_size);
	if (!*init || vs->offset + size > *init_size)
		return -ENOENT;
	*offset = vs->offset;
	return 0;
}

int rl_bpf_set_global(struct rl_bpf *b, const char *var, const void *val, size_t size)
{
	struct bpf_map *map = NULL;
	const uint8_t *init;
	size_t init_size, offset;
	uint8_t *copy;
	int err = initial_slot(b, var, size, &map, &init, &init_size, &offset);

	if (err)
		return err;
	copy = malloc(init_size);
	if (!copy)
		return -ENOMEM;
	memcpy(copy, init, init_size);
	memcpy(copy + offset, val, size);
	err = bpf_map__set_initial_value(map, copy, init_size);
	free(copy);
	return err;
}

int rl_bpf_get_global(const struct rl_bpf *b, const char *var, void *val, size_t size)
{
	struct bpf_map *map = NULL;
	const uint8_t *init;
	size_t init_size, offset;
	int err = initial_slot(b, var, size, &map, &init, &init_size, &offset);

	if (!err)
		memcpy(val, init + offset, size);
	return err;
}

int rl_bpf_global_type(const struct rl_bpf *b, const char *var, const struct btf **btf)
{
	struct bpf_map *map = NULL;
	const struct btf_var_secinfo *vs = find_global(b, var, &map);

	*btf = bpf_object__btf(b->obj);
	return vs ? (int)btf__type_by_id(*btf, vs->type)->type : -ENOENT;
}

struct bpf_object *rl_bpf_object(const struct rl_bpf *b)
{
	return b->obj;
}

const char *rl_bpf_name(const struct rl_bpf *b)
{
	return b->name;
}

bool rl_bpf_is_output_map(const struct bpf_map *map)
{
	return bpf_map__type(map) == BPF_MAP_TYPE_RINGBUF ||
	       bpf_map__type(map) == BPF_MAP_TYPE_PERF_EVENT_ARRAY;
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

/* Keeps link, just made by an attach call (NULL: it failed, errno says why), or destroys
 * it when it cannot be kept. Returns 0 or -errno. */
static int keep_new_link(struct rl_bpf *b, struct bpf_link *link)
{
	int err;

	if (!link)
		return -errno;
	err = keep_link(b, link);
	if (err)
		bpf_link__destroy(link);
	return err;
}

/* Whether prog is attached by the caller rather than by its section: one set not to
 * auto-attach (rl_bpf_attach_uprobe), or a tracepoint program whose section names no
 * tracepoint (rl_bpf_attach_tracepoint). */
static bool attached_by_caller(const struct bpf_program *prog)
{
	const char *sec = bpf_program__section_name(prog);

	return !bpf_program__autoattach(prog) || !strcmp(sec, "tp") ||
	       !strcmp(sec, "tracepoint");
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
 * (CPUs brought online later are not sampled). Returns 0 or -errno: -EDESTADDRREQ when
 * no frequency is set. */
static int sample_cpus(struct rl_bpf *b, struct bpf_program *prog)
{
	int nr_cpus = libbpf_num_possible_cpus();
	int err = nr_cpus < 0 ? nr_cpus : 0;

	if (!b->sample_hz)
		return -EDESTADDRREQ;
	for (int cpu = 0; !err && cpu < nr_cpus; cpu++) {
		int fd = open_cpu_clock(cpu, b->sample_hz);

		if (fd == -ENODEV)
			continue; /* possible, but offline */
		err = fd < 0 ? fd : attach_perf_fd(b, prog, fd);
	}
	return err;
}

/* Destroys the links made since b had nr of them. */
static void drop_links_from(struct rl_bpf *b, int nr)
{
	while (b->nr_links > nr)
		bpf_link__destroy(b->links[--b->nr_links]);
}

int rl_bpf_attach_prog(struct rl_bpf *b, struct bpf_program *prog)
{
	int before = b->nr_links;
	int err = bpf_program__type(prog) == BPF_PROG_TYPE_PERF_EVENT ? sample_cpus(b, prog) :
		  keep_new_link(b, bpf_program__attach(prog));

	if (err)
		drop_links_from(b, before);
	return err;
}

static int attach_all(struct rl_bpf *b)
{
	struct bpf_program *prog;
	char why[512];
	int err;

	bpf_object__for_each_program(prog, b->obj) {
		if (!bpf_program__autoload(prog) || attached_by_caller(prog))
			continue;
		err = rl_bpf_attach_prog(b, prog);
		if (err) {
			fprintf(stderr, "ringlua: %s: cannot attach program %s (%s): "
					"bpf_program__attach: %s\n", b->name,
				bpf_program__name(prog), bpf_program__section_name(prog),
				rl_bpf_why(prog, err, why, sizeof(why)));
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

	if (!prog)
		return -ENOENT;
	return keep_new_link(b, bpf_program__attach_uprobe_opts(prog, u->pid ? (pid_t)u->pid : -1,
								u->path, 0, &opts));
}

int rl_bpf_attach_later(struct rl_bpf *b, const char *prog_name)
{
	struct bpf_program *prog = bpf_object__find_program_by_name(b->obj, prog_name);

	if (!prog)
		return -ENOENT;
	bpf_program__set_autoattach(prog, false);
	return 0;
}

int rl_bpf_attach_usdt(struct rl_bpf *b, const char *prog_name, const struct rl_usdt *u)
{
	struct bpf_program *prog = bpf_object__find_program_by_name(b->obj, prog_name);
	LIBBPF_OPTS(bpf_usdt_opts, opts, .usdt_cookie = u->cookie);

	if (!prog)
		return -ENOENT;
	return keep_new_link(b, bpf_program__attach_usdt(prog, u->pid ? (pid_t)u->pid : -1,
							 u->path, u->provider, u->name, &opts));
}

int rl_bpf_load_attach(struct rl_bpf *b)
{
	int err;

	rl_bpf_enable_optional(b);
	err = rl_bpf_load_reported(b);
	return err ? err : attach_all(b);
}

void rl_bpf_set_verbose(struct rl_bpf *b, int verbose)
{
	b->verbose = verbose;
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

int rl_bpf_attach_tracepoint(struct rl_bpf *b, const char *prog_name, const char *category,
			     const char *name, uint64_t cookie)
{
	LIBBPF_OPTS(bpf_tracepoint_opts, opts, .bpf_cookie = cookie);
	struct bpf_program *prog = bpf_object__find_program_by_name(b->obj, prog_name);

	if (!prog)
		return -ENOENT;
	return keep_new_link(b, bpf_program__attach_tracepoint_opts(prog, category, name, &opts));
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

void *rl_bpf_global_area(struct rl_bpf *b, const struct bpf_map *map, bool writable)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t len = (bpf_map__value_size(map) + page - 1) / page * page;
	struct global_area *areas;
	void *addr;

	for (int i = 0; i < b->nr_areas; i++)
		if (b->areas[i].map == map)
			return b->areas[i].addr;
	if (bpf_map__fd(map) < 0 || !(bpf_map__map_flags(map) & BPF_F_MMAPABLE))
		return NULL;
	areas = realloc(b->areas, (b->nr_areas + 1) * sizeof(*areas));
	if (!areas)
		return NULL;
	b->areas = areas;
	/* The kernel refuses PROT_WRITE on a frozen map (.rodata after load). */
	addr = mmap(NULL, len, writable ? PROT_READ | PROT_WRITE : PROT_READ, MAP_SHARED,
		    bpf_map__fd(map), 0);
	if (addr == MAP_FAILED)
		return NULL;
	b->areas[b->nr_areas++] = (struct global_area){ map, addr, len };
	return addr;
}

void *rl_bpf_global_live(struct rl_bpf *b, const char *var, size_t size)
{
	struct bpf_map *map = NULL;
	const struct btf_var_secinfo *vs = find_global(b, var, &map);
	uint8_t *area = vs && map && vs->size == size ? rl_bpf_global_area(b, map, true) : NULL;

	return area ? area + vs->offset : NULL;
}

/* A share of the links to destroy, for one thread. */
struct link_share {
	struct bpf_link **links;
	int n;
};

static void *destroy_share(void *arg)
{
	struct link_share *s = arg;

	for (int i = 0; i < s->n; i++)
		bpf_link__destroy(s->links[i]);
	return NULL;
}

/* Destroys b's links. Detaching a tracepoint waits for an RCU grace period (tens of
 * milliseconds), one after the other: hundreds of tracepoints would take many seconds.
 * Threads that detach at the same time share their grace periods. */
static void destroy_links(struct rl_bpf *b)
{
	pthread_t threads[DETACH_THREADS];
	struct link_share shares[DETACH_THREADS];
	int nr_threads = b->nr_links < DETACH_THREADS ? b->nr_links : DETACH_THREADS;
	int started = 0, per = nr_threads ? (b->nr_links + nr_threads - 1) / nr_threads : 0;

	for (int t = 0; t < nr_threads && b->nr_links > DETACH_ALONE_MAX; t++) {
		int first = t * per;

		shares[t] = (struct link_share){ b->links + first,
						 first + per > b->nr_links ? b->nr_links - first :
						 per };
		if (shares[t].n <= 0 || pthread_create(&threads[t], NULL, destroy_share, &shares[t]))
			break;
		started++;
	}
	for (int t = 0; t < started; t++)
		pthread_join(threads[t], NULL);
	/* What no thread took (few links, or no thread could start). */
	for (int i = started * per; i < b->nr_links; i++)
		bpf_link__destroy(b->links[i]);
}

void rl_bpf_close(struct rl_bpf *b)
{
	if (!b)
		return;
	for (int i = 0; i < b->nr_areas; i++)
		munmap(b->areas[i].addr, b->areas[i].len);
	free(b->areas);
	destroy_links(b);
	free(b->links);
	bpf_object__close(b->obj);
	free(b);
}
