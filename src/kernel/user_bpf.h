/* The user's own BPF object (--bpf FILE, or a script's `bpf` field): read through the
 * same ownership checks as scripts, compiled first when it is a .bpf.c, its `const
 * volatile` globals set, loaded and attached as far as this kernel allows (bpf_keep.h),
 * and every ring buffer and perf event array map of it found, with the record type of
 * each from its BTF. */
#ifndef RINGLUA_USER_BPF_H
#define RINGLUA_USER_BPF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel/bpf_globals.h"
#include "kernel/bpf_keep.h"

struct rl_bpf;

struct rl_user_ring {
	char *name;		/* the map's name */
	char ctype[128];	/* its record's C type ("struct x_event"); "": none known */
	int type_id;		/* that type's BTF id; 0: none */
	int fd;			/* the map, once loaded; -1 before */
	bool perf;		/* a BPF_MAP_TYPE_PERF_EVENT_ARRAY, not a ring buffer */
};

struct rl_user_bpf;

/* Reads path (compiling it first if it ends in ".c"), opens the object and finds its
 * rings. Nothing is loaded yet. Returns 0, or -errno with the reason printed. */
int rl_user_bpf_open(struct rl_user_bpf **out, const char *path, bool unsafe_perms);

/* Picks each ring's record type: by choices[i] "MAP=STRUCT" for the maps they name,
 * else by convention (struct <map>_event; struct event for a lone ring or perf buffer:
 * both kinds are "rings" here), from the
 * object's BTF, else from its DWARF (rl_btf_from_dwarf) when BTF lacks one; then makes
 * the C declarations of those types. A ring still without a type is reported once, with
 * what to do. Returns 0, or -errno with one line printed: -EINVAL for a choice naming
 * no ring or no type. */
int rl_user_bpf_types(struct rl_user_bpf *u, const char *const *choices, size_t n);

/* Sets the `const volatile` global name to value before load (see rl_bpf_set_typed).
 * On failure prints one line naming origin (what gave the value: "--set x=1") and
 * returns -errno. */
int rl_user_bpf_set(struct rl_user_bpf *u, const char *name, const char *value,
		    enum rl_value_kind kind, const char *origin);

/* What -p/-c and --cgroup ask of a user's object. */
struct rl_user_filter {
	uint32_t pid;			/* -p, or -c's command; 0: none */
	bool command;			/* the pid is -c's */
	uint64_t cgroup_id;		/* --cgroup; 0: none */
	const char *cgroup_dir;
	const char *const *sets;	/* --set's "NAME=VALUE": a global they name is the user's */
	size_t nr_sets;
	bool verbose;			/* -v: say which global takes the process */
	const char *const *attaches;	/* --attach's "PROG=PROBE", attached after load */
	size_t nr_attaches;
};

/* Before load: gives the object the filters the way published programs take them. The
 * pid goes into the first of the globals targ_tgid, target_tgid, targ_pid, target_pid,
 * filter_pid, filtered_pid, pid that it has (a tgid global first: beside it, a pid
 * global filters threads; an object without one is told once, and traces everything); a
 * cgroup into targ_cgroup (its id), else libbpf-tools' filter_cg and cgroup_map (its
 * fd, put in at load). A global --set names keeps the user's value. The programs
 * --attach names are attached after load, to its probes, in the pid's process. Returns
 * 0, or -EDOM (printed) for a --cgroup the object cannot take, a value that does not
 * fit, or an --attach of no program of the object. */
int rl_user_bpf_filter(struct rl_user_bpf *u, const struct rl_user_filter *f);

/* Before load: sizes its maps (rl_map_sizes_apply) as --ring-bytes's specs ask and as a
 * front end would. Returns 0, -EDOM (printed) for a spec naming no ring of it, or
 * -EINVAL (printed). */
int rl_user_bpf_size_maps(struct rl_user_bpf *u, const char *const *ring_bytes, size_t n);

/* Loads the object and attaches its programs as keep chooses (rl_bpf_keep), then
 * --attach's. Returns 0, -EDOM (printed) for a program keep names that the object
 * lacks, or -errno (printed). */
int rl_user_bpf_load(struct rl_user_bpf *u, const struct rl_keep_opts *keep);

/* Once loaded: the Lua source describing its globals and maps for ringlua.globals and
 * ringlua.maps (rl_bpf_bindings), malloc'd into *out. Returns 0 or -errno (printed). */
int rl_user_bpf_bindings(const struct rl_user_bpf *u, char **out);

/* Its rings, in the object's order, then its perf event arrays (perf set), in the
 * object's order; *n receives how many in all. */
const struct rl_user_ring *rl_user_bpf_rings(const struct rl_user_bpf *u, size_t *n);

/* C declarations of the rings' record types and what they refer to, for ffi.cdef. */
const char *rl_user_bpf_cdef(const struct rl_user_bpf *u);

/* The BTF the rings' type ids belong to: the DWARF's when the types came from there,
 * else the object's; NULL when it has none. */
const struct btf *rl_user_bpf_btf(const struct rl_user_bpf *u);

/* The object, for its globals (the `dropped` count). */
struct rl_bpf *rl_user_bpf_obj(const struct rl_user_bpf *u);

/* Detaches, unloads and frees. Accepts NULL. */
void rl_user_bpf_close(struct rl_user_bpf *u);

#endif
