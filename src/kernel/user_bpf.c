#include "kernel/user_bpf.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "kernel/bpf_bind.h"
#include "kernel/bpf_compile.h"
#include "kernel/bpf_keep.h"
#include "kernel/bpf_obj.h"
#include "kernel/btf_cdef.h"
#include "kernel/btf_dwarf.h"
#include "kernel/map_sizes.h"
#include "kernel/named_attach.h"
#include "util/script_file.h"
#include "kernel/system.h"

#define ELF_MAGIC "\x7f" "ELF"

struct rl_user_bpf {
	struct rl_bpf *bpf;
	char *elf;		/* the object's bytes: libbpf reads them in place */
	size_t elf_len;
	const char *name;	/* the file's name, for messages */
	struct rl_user_ring *rings;
	size_t nr_rings;
	struct btf *dwarf_btf;	/* the DWARF's types, when the rings' were not in BTF */
	char *cdef;
	const char *cgroup_dir;	/* --cgroup, for an object with a cgroup_map: put in after load */
	const char *const *attaches;	/* --attach's, attached after load */
	size_t nr_attaches;
	uint32_t attach_pid;	/* the process they attach in; 0: every process */
};

/* The globals published programs take a target process in, in the order looked for: a
 * tgid global first, since a program that has one beside a pid global (opensnoop,
 * drsnoop, runqslower) filters threads by the pid one; then the names libbpf-tools
 * give a process filter. */
static const char *const pid_globals[] = { "targ_tgid", "target_tgid", "targ_pid",
					   "target_pid", "filter_pid", "filtered_pid", "pid" };
#define PID_GLOBALS (sizeof(pid_globals) / sizeof(*pid_globals))
/* And a cgroup id. */
static const char *const cgroup_globals[] = { "targ_cgroup", "target_cgroup", "cgroup_id" };
/* libbpf-tools' cgroup filter: a flag, and the cgroup's fd at index 0 of a cgroup array. */
#define CGROUP_FLAG "filter_cg"
#define CGROUP_MAP "cgroup_map"

/* Reads path through the script ownership checks. Returns 0 or -errno (printed). */
static int read_checked(const char *path, bool unsafe_perms, char **text, size_t *len)
{
	const char *why;
	int err = rl_script_read(path, unsafe_perms, text, len, &why);

	if (err == -EPERM)
		fprintf(stderr, "ringlua: refusing to load %s: %s (--unsafe-perms overrides)\n",
			path, why);
	else if (err)
		fprintf(stderr, "ringlua: cannot read BPF program %s: %s\n", path, why);
	return err;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Compiles the checked source (by way of the cache) into the object's bytes. */
static int compile_source(struct rl_user_bpf *u, const char *path, bool unsafe_perms)
{
	struct rl_compile c = { .path = path, .unsafe_perms = unsafe_perms };
	char include_dir[PATH_MAX];
	char *text = NULL;
	int err = read_checked(path, unsafe_perms, &text, &c.len);

	if (err)
		return err;
	c.text = text;
	c.include_dir = include_dir;
	err = rl_include_dir(include_dir, sizeof(include_dir));
	if (err)
		fprintf(stderr, "ringlua: cannot compile %s: vmlinux.h not found beside ringlua\n",
			path);
	else
		err = rl_compile_bpf(&c, &u->elf, &u->elf_len);
	free(text);
	return err;
}

/* Remembers every ring buffer map of the object, in its order, then every perf event
 * array: the ring consumer numbers the rings from 0, and the perf buffers follow. Their
 * names are copies: a load may open the object again (rl_bpf_reopen). */
static int find_rings(struct rl_user_bpf *u)
{
	struct bpf_object *obj = rl_bpf_object(u->bpf);
	struct bpf_map *map;
	size_t n = 0;

	bpf_object__for_each_map(map, obj)
		n += rl_bpf_is_output_map(map);
	if (n == 0) {
		fprintf(stderr, "ringlua: %s: no BPF_MAP_TYPE_RINGBUF or "
				"BPF_MAP_TYPE_PERF_EVENT_ARRAY map in it\n", u->name);
		return -ENOENT;
	}
	u->rings = calloc(n, sizeof(*u->rings));
	if (!u->rings)
		return -ENOMEM;
	for (int perf = 0; perf < 2; perf++)
		bpf_object__for_each_map(map, obj) {
			if (!rl_bpf_is_output_map(map) ||
			    (bpf_map__type(map) == BPF_MAP_TYPE_PERF_EVENT_ARRAY) != perf)
				continue;
			u->rings[u->nr_rings] = (struct rl_user_ring){
				.name = strdup(bpf_map__name(map)), .fd = -1, .perf = perf };
			if (!u->rings[u->nr_rings++].name)
				return -ENOMEM;
		}
	return 0;
}

static int open_object(struct rl_user_bpf *u)
{
	char why[128];
	int err;

	if (u->elf_len < 4 || memcmp(u->elf, ELF_MAGIC, 4) != 0) {
		fprintf(stderr, "ringlua: %s: not an ELF file: give a .bpf.c or an object built "
				"with clang -target bpf\n", u->name);
		return -ENOEXEC;
	}
	err = rl_bpf_open_mem(&u->bpf, u->elf, u->elf_len, u->name);
	if (err) {
		libbpf_strerror(err, why, sizeof(why));
		fprintf(stderr, "ringlua: %s: not a BPF object libbpf can open: %s\n", u->name,
			why);
		return err;
	}
	return find_rings(u);
}

int rl_user_bpf_open(struct rl_user_bpf **out, const char *path, bool unsafe_perms)
{
	struct rl_user_bpf *u = calloc(1, sizeof(*u));
	const char *slash = strrchr(path, '/');
	int err;

	if (!u)
		return -ENOMEM;
	u->name = slash ? slash + 1 : path;
	err = ends_with(path, ".c") ? compile_source(u, path, unsafe_perms) :
	      read_checked(path, unsafe_perms, &u->elf, &u->elf_len);
	if (!err)
		err = open_object(u);
	if (err) {
		rl_user_bpf_close(u);
		return err;
	}
	*out = u;
	return 0;
}

/* The ring a "MAP=STRUCT" choice names, or NULL. */
static struct rl_user_ring *chosen_ring(struct rl_user_bpf *u, const char *choice)
{
	size_t len = strcspn(choice, "=");

	for (size_t i = 0; i < u->nr_rings; i++)
		if (strlen(u->rings[i].name) == len && !strncmp(u->rings[i].name, choice, len))
			return &u->rings[i];
	return NULL;
}

/* The type ids of the types the cdef declares: the bound globals' and maps' (in the
 * object's BTF), then the rings' records (in rl_user_bpf_btf). Returns 0 or -ENOMEM. */
static int cdef_ids(struct rl_user_bpf *u, uint32_t **ids, size_t *nr_bound, size_t *n)
{
	uint32_t *all;

	*ids = NULL;
	*nr_bound = *n = 0;
	if (bpf_object__btf(rl_bpf_object(u->bpf)) &&
	    rl_bpf_bind_types(u->bpf, ids, nr_bound))
		return -ENOMEM;
	all = realloc(*ids, (*nr_bound + u->nr_rings + 1) * sizeof(*all));
	if (!all)
		return -ENOMEM;
	*ids = all;
	*n = *nr_bound;
	for (size_t i = 0; i < u->nr_rings; i++)
		if (u->rings[i].type_id > 0)
			all[(*n)++] = (uint32_t)u->rings[i].type_id;
	return 0;
}

/* The C declarations of the rings' record types, and of the types of the globals and
 * maps a script reaches (ringlua.globals, ringlua.maps). With the records' types from
 * DWARF, those come from two BTFs: two parts. Returns 0 or -errno (printed). */
static int make_cdef(struct rl_user_bpf *u)
{
	const struct btf *btf = bpf_object__btf(rl_bpf_object(u->bpf));
	struct rl_btf_part parts[2];
	size_t nr_bound, n;
	uint32_t *ids;
	int err = cdef_ids(u, &ids, &nr_bound, &n);

	if (!err && u->dwarf_btf) {
		parts[0] = (struct rl_btf_part){ btf, ids, nr_bound };
		parts[1] = (struct rl_btf_part){ u->dwarf_btf, ids + nr_bound, n - nr_bound };
		err = btf ? rl_btf_cdef_parts(parts, 2, &u->cdef) :
		      rl_btf_cdef_parts(parts + 1, 1, &u->cdef);
	} else if (!err && btf) {
		err = rl_btf_cdef(btf, ids, n, &u->cdef);
	}
	if (err)
		fprintf(stderr, "ringlua: %s: cannot write out its types: %s\n", u->name,
			rl_btf_cdef_error(err));
	free(ids);
	return err;
}

/* Finds each ring's record type in btf: by the choices "MAP=STRUCT" for the rings they
 * name, else by convention. Returns 0, -EINVAL for a choice naming no ring (printed), or
 * -ENOENT when a chosen type is not in btf (*missing: that choice). */
static int find_types(struct rl_user_bpf *u, const struct btf *btf,
		      const char *const *choices, size_t n, const char **missing)
{
	for (size_t i = 0; i < u->nr_rings; i++)
		u->rings[i].type_id = 0;
	for (size_t i = 0; i < n; i++) {
		struct rl_user_ring *r = chosen_ring(u, choices[i]);

		if (!r) {
			fprintf(stderr, "ringlua: --type %s: %s has no ring buffer or perf "
					"event array map named '%.*s'\n", choices[i], u->name,
				(int)strcspn(choices[i], "="), choices[i]);
			return -EINVAL;
		}
		r->type_id = rl_btf_record_type(btf, r->name, strchr(choices[i], '=') + 1, false,
						r->ctype, sizeof(r->ctype));
		if (r->type_id < 0) {
			*missing = choices[i];
			return -ENOENT;
		}
	}
	for (size_t i = 0; i < u->nr_rings; i++) {
		struct rl_user_ring *r = &u->rings[i];

		if (r->type_id <= 0)
			r->type_id = rl_btf_record_type(btf, r->name, NULL, u->nr_rings == 1,
							r->ctype, sizeof(r->ctype));
		if (r->type_id <= 0) {
			r->type_id = 0;
			r->ctype[0] = '\0';
		}
	}
	return 0;
}

static bool all_typed(const struct rl_user_bpf *u)
{
	for (size_t i = 0; i < u->nr_rings; i++)
		if (!u->rings[i].type_id)
			return false;
	return true;
}

/* Looks again in the DWARF, where clang describes the types that BTF leaves out (a
 * struct used only through a local pointer). Returns 0 (types found or not), or -errno. */
static int find_types_in_dwarf(struct rl_user_bpf *u, const char *const *choices, size_t n,
			       const char **missing, int *dwarf_err)
{
	int err;

	*dwarf_err = rl_elf_has_dwarf(u->elf, u->elf_len) ? 0 : -ENODATA;
	if (!*dwarf_err)
		*dwarf_err = rl_btf_from_dwarf(u->elf, u->elf_len, &u->dwarf_btf);
	if (*dwarf_err)
		return 0;
	err = find_types(u, u->dwarf_btf, choices, n, missing);
	if (err == -ENOENT)
		fprintf(stderr, "ringlua: --type %s: no struct or union '%s' in the BTF or "
				"DWARF of %s\n", *missing, strchr(*missing, '=') + 1, u->name);
	return err;
}

/* Structs and unions named as what --type could give an untyped ring, at most. */
#define TYPE_CANDIDATES 8

/* Whether the kernel has a type of t's kind so named: then it is no record type of the
 * object's own (a tracepoint's raw record, pt_regs). */
static bool kernel_type(const struct btf *kernel, const char *name, const struct btf_type *t)
{
	return kernel && btf__find_by_name_kind(kernel, name, btf_kind(t)) > 0;
}

/* The object's own named structs and unions, as ", STRUCT, ..." into buf (empty when
 * there are none): the candidates for --type. */
static void candidate_types(const struct rl_user_bpf *u, char *buf, size_t size)
{
	const struct btf *own = u->dwarf_btf ? u->dwarf_btf : bpf_object__btf(rl_bpf_object(u->bpf));
	struct btf *kernel = btf__load_vmlinux_btf();
	size_t used = 0, found = 0;

	buf[0] = '\0';
	for (__u32 id = 1; own && id < btf__type_cnt(own) && found < TYPE_CANDIDATES; id++) {
		const struct btf_type *t = btf__type_by_id(own, id);
		const char *name = btf__name_by_offset(own, t->name_off);
		int n;

		if (!(btf_is_struct(t) || btf_is_union(t)) || !name || !*name ||
		    kernel_type(kernel, name, t))
			continue;
		n = snprintf(buf + used, size - used, "%s%s", found ? ", " : "", name);
		if (n < 0 || (size_t)n >= size - used)
			break;
		used += (size_t)n;
		found++;
	}
	btf__free(kernel);
}

/* Says once, at start, which rings have no record type, and what would give them one:
 * the object's own structs, which --type can name. */
static void warn_untyped(const struct rl_user_bpf *u, int dwarf_err)
{
	const char *why = dwarf_err == -ENODATA ?
		"it has no DWARF: build it with -g, unstripped," :
		dwarf_err == -ENOENT ? "install pahole (dwarves) so ringlua can read its DWARF," :
		dwarf_err ? "its DWARF could not be read;" : "none in its BTF or DWARF is named after it;";
	char candidates[256];

	if (all_typed(u))
		return;
	candidate_types(u, candidates, sizeof(candidates));
	for (size_t i = 0; i < u->nr_rings; i++)
		if (!u->rings[i].type_id)
			fprintf(stderr, "ringlua: %s: %s %s: no record type known (%s or name "
					"it with --type %s=STRUCT%s%s): its records are not decoded "
					"and ringlua.types.%s is nil\n", u->name,
				u->rings[i].perf ? "perf buffer" : "ring", u->rings[i].name, why,
				u->rings[i].name, *candidates ? "; its structs: " : "", candidates,
				u->rings[i].name);
}

int rl_user_bpf_types(struct rl_user_bpf *u, const char *const *choices, size_t n)
{
	const struct btf *btf = bpf_object__btf(rl_bpf_object(u->bpf));
	const char *missing = !btf && n ? choices[0] : NULL;
	int err = btf ? find_types(u, btf, choices, n, &missing) : -ENOENT;
	int dwarf_err = 0;

	if (err == -EINVAL)
		return err;
	if (err || !all_typed(u))
		err = find_types_in_dwarf(u, choices, n, &missing, &dwarf_err);
	if (!err && dwarf_err && missing) {
		fprintf(stderr, "ringlua: --type %s: no struct or union '%s' in the BTF of %s%s\n",
			missing, strchr(missing, '=') + 1, u->name,
			dwarf_err == -ENOENT ? " (pahole, from dwarves, would read its DWARF)" : "");
		err = -EINVAL;
	}
	if (err)
		return -EINVAL;
	warn_untyped(u, dwarf_err);
	return make_cdef(u);
}

int rl_user_bpf_set(struct rl_user_bpf *u, const char *name, const char *value,
		    enum rl_value_kind kind, const char *origin)
{
	char why[768];
	int err = rl_bpf_set_typed(u->bpf, name, value, kind, why, sizeof(why));

	if (err)
		fprintf(stderr, "ringlua: %s: %s%s%s\n", origin, why, err == -ENOENT ? " in " : "",
			err == -ENOENT ? u->name : "");
	return err;
}

/* Whether one of the settings ("NAME=VALUE") names name: the user's own value wins. */
static bool set_by_user(const struct rl_user_filter *f, const char *name)
{
	for (size_t i = 0; i < f->nr_sets; i++)
		if (strcspn(f->sets[i], "=") == strlen(name) &&
		    !strncmp(f->sets[i], name, strlen(name)))
			return true;
	return false;
}

/* The first of names that is a global of the object, or NULL. */
static const char *find_global_named(const struct rl_user_bpf *u, const char *const *names,
				     size_t n)
{
	const struct btf *btf;

	for (size_t i = 0; i < n; i++)
		if (rl_bpf_global_type(u->bpf, names[i], &btf) > 0)
			return names[i];
	return NULL;
}

/* Sets global name to the integer v, as --set would. Returns 0 or -EDOM (printed). */
static int set_number(struct rl_user_bpf *u, const char *name, unsigned long long v,
		      const char *option)
{
	char text[32], origin[96];

	snprintf(text, sizeof(text), "%llu", v);
	snprintf(origin, sizeof(origin), "%s (into %s)", option, name);
	return rl_user_bpf_set(u, name, text, RL_VALUE_TEXT, origin) ? -EDOM : 0;
}

static int filter_cgroup(struct rl_user_bpf *u, const struct rl_user_filter *f)
{
	const char *name = find_global_named(u, cgroup_globals, 3);
	struct bpf_map *map = bpf_object__find_map_by_name(rl_bpf_object(u->bpf), CGROUP_MAP);

	if (name)
		return set_by_user(f, name) ? 0 : set_number(u, name, f->cgroup_id, "--cgroup");
	if (map && bpf_map__type(map) == BPF_MAP_TYPE_CGROUP_ARRAY &&
	    find_global_named(u, (const char *const[]){ CGROUP_FLAG }, 1)) {
		u->cgroup_dir = f->cgroup_dir;
		return rl_user_bpf_set(u, CGROUP_FLAG, "true", RL_VALUE_TEXT, "--cgroup") ?
		       -EDOM : 0;
	}
	fprintf(stderr, "ringlua: --cgroup: %s has no cgroup filter: a global targ_cgroup "
			"(the cgroup's id), or libbpf-tools' const volatile bool filter_cg with a "
			"BPF_MAP_TYPE_CGROUP_ARRAY cgroup_map\n", u->name);
	return -EDOM;
}

/* How many programs of the object --attach does not name. */
static size_t not_attached_by_name(const struct rl_user_bpf *u, const struct rl_user_filter *f)
{
	struct bpf_program *prog;
	size_t n = 0;

	bpf_object__for_each_program(prog, rl_bpf_object(u->bpf)) {
		const char *prog_name = bpf_program__name(prog);
		bool named = false;

		for (size_t i = 0; !named && i < f->nr_attaches; i++)
			named = strcspn(f->attaches[i], "=") == strlen(prog_name) &&
				!strncmp(f->attaches[i], prog_name, strlen(prog_name));
		n += !named;
	}
	return n;
}

/* -p's process, for an object without a pid global: only --attach's probes are in that
 * process (-c's are in every process, since its command may run others); says what is
 * not filtered, once. */
static void say_unfiltered(const struct rl_user_bpf *u, const struct rl_user_filter *f)
{
	size_t others = not_attached_by_name(u, f);

	if (f->command || !f->nr_attaches)
		fprintf(stderr, "ringlua: %s has no target pid global (targ_tgid, target_tgid, "
				"targ_pid, target_pid, filter_pid, filtered_pid or pid): it traces "
				"every process; ringlua still stops when the process ends\n", u->name);
	else if (others)
		fprintf(stderr, "ringlua: %s has no target pid global: its --attach probes fire "
				"in process %u only, its %zu other program%s in every process\n",
			u->name, f->pid, others, others == 1 ? "" : "s");
	else if (f->verbose)
		fprintf(stderr, "ringlua: %s has no target pid global: its --attach probes fire "
				"in process %u only\n", u->name, f->pid);
}

int rl_user_bpf_filter(struct rl_user_bpf *u, const struct rl_user_filter *f)
{
	const char *name = f->pid ? find_global_named(u, pid_globals, PID_GLOBALS) : NULL;
	int err = 0;

	if (f->pid && !name)
		say_unfiltered(u, f);
	else if (f->pid && !set_by_user(f, name))
		err = set_number(u, name, f->pid, f->command ? "-c" : "-p");
	if (!err && f->pid && name && f->verbose)
		fprintf(stderr, "ringlua: %s: %s takes the process to trace (%s)\n", u->name, name,
			set_by_user(f, name) ? "set by --set" : f->command ? "-c" : "-p");
	if (!err && f->cgroup_id)
		err = filter_cgroup(u, f);
	for (size_t i = 0; !err && i < f->nr_attaches; i++)
		err = rl_named_attach_hold(u->bpf, f->attaches[i]) ? -EDOM : 0;
	u->attaches = f->attaches;
	u->nr_attaches = f->nr_attaches;
	/* -p's process; -c's command runs others (a shell's children): every process, the
	 * object's own filter deciding, as for its other programs. */
	u->attach_pid = f->command ? 0 : f->pid;
	return err;
}

/* libbpf-tools' cgroup filter takes the cgroup as an fd at index 0 of its map. Returns
 * 0 or -errno (printed). */
static int fill_cgroup_map(struct rl_user_bpf *u)
{
	struct bpf_map *map = bpf_object__find_map_by_name(rl_bpf_object(u->bpf), CGROUP_MAP);
	uint32_t zero = 0;
	int fd = open(u->cgroup_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), err;

	err = fd < 0 ? -errno :
	      bpf_map_update_elem(bpf_map__fd(map), &zero, &fd, BPF_ANY) ? -errno : 0;
	if (err)
		fprintf(stderr, "ringlua: --cgroup %s: cannot put it in %s: %s\n", u->cgroup_dir,
			CGROUP_MAP, strerror(-err));
	if (fd >= 0)
		close(fd); /* the map holds the cgroup itself */
	return err;
}

int rl_user_bpf_size_maps(struct rl_user_bpf *u, const char *const *ring_bytes, size_t n)
{
	return rl_map_sizes_apply(rl_bpf_object(u->bpf), u->name, ring_bytes, n);
}

int rl_user_bpf_load(struct rl_user_bpf *u, const struct rl_keep_opts *keep)
{
	struct bpf_object *obj;
	int err;

	rl_bpf_set_verbose(u->bpf, keep->verbose);
	err = rl_bpf_keep(u->bpf, keep);
	obj = rl_bpf_object(u->bpf);
	for (size_t i = 0; !err && i < u->nr_attaches; i++)
		err = rl_named_attach(u->bpf, u->attaches[i], u->attach_pid);

	for (size_t i = 0; !err && i < u->nr_rings; i++)
		u->rings[i].fd = bpf_map__fd(bpf_object__find_map_by_name(obj, u->rings[i].name));
	if (!err && u->cgroup_dir)
		err = fill_cgroup_map(u);
	return err;
}

int rl_user_bpf_bindings(const struct rl_user_bpf *u, char **out)
{
	int err = rl_bpf_bindings(u->bpf, out);

	if (err)
		fprintf(stderr, "ringlua: %s: cannot describe its globals and maps: %s\n",
			u->name, strerror(-err));
	return err;
}

const struct rl_user_ring *rl_user_bpf_rings(const struct rl_user_bpf *u, size_t *n)
{
	*n = u->nr_rings;
	return u->rings;
}

const char *rl_user_bpf_cdef(const struct rl_user_bpf *u)
{
	return u->cdef ? u->cdef : "";
}

const struct btf *rl_user_bpf_btf(const struct rl_user_bpf *u)
{
	return u->dwarf_btf ? u->dwarf_btf : bpf_object__btf(rl_bpf_object(u->bpf));
}

struct rl_bpf *rl_user_bpf_obj(const struct rl_user_bpf *u)
{
	return u->bpf;
}

void rl_user_bpf_close(struct rl_user_bpf *u)
{
	if (!u)
		return;
	rl_bpf_close(u->bpf);
	btf__free(u->dwarf_btf);
	for (size_t i = 0; i < u->nr_rings; i++)
		free(u->rings[i].name);
	free(u->rings);
	free(u->cdef);
	free(u->elf);
	free(u);
}
