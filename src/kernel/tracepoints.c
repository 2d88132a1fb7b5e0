#include "kernel/tracepoints.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/types.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "kernel/bpf_obj.h"
#include "kernel/btf_cdef.h"
#include "kernel/sources.h"
#include "bpf/tracepoint.h"
#include "source_tracepoint.skel.h"

extern const char tracepoint_cdef[];

/* The program every tracepoint is attached to. */
#define TP_PROGRAM "rl_tracepoint"
#define NAME_MAX_LEN 128
#define MEMBERS_MAX 256
/* Up to this many per-syscall probes attach to their own tracepoints; more are served
 * from the two raw_syscalls tracepoints. Closing a tracepoint's perf event waits for an
 * RCU grace period while it holds the kernel's event_mutex (about 40 ms here, one close
 * after the other whatever the thread), so 360 sys_enter_* took 15 s to exit; served
 * from raw_syscalls, the program runs on every system call and looks its probe up by
 * the call's number. */
#define SYSCALL_PROBES_ALONE_MAX 8
/* What raw_syscalls' records hold after the common fields: sys_enter's id and args[6],
 * sys_exit's id and ret (a per-syscall record has its fields at the same offsets). */
#define RAW_SYS_ENTER_END (16 + 6 * 8)
#define RAW_SYS_EXIT_END (16 + 8)

struct rl_tracepoints {
	struct rl_bpf *bpf;
	struct btf *btf;
	struct rl_tp_probe *probes;
	size_t nr_probes;
	struct tp_probe *configs;	/* by probe index, as written to the config map */
	char *cdef;
};

/* ---- The probe list: names and wildcards to tracepoints ---- */

/* Whether category/name is already among the probes. */
static bool has_probe(const struct rl_tracepoints *t, const char *category, const char *name)
{
	for (size_t i = 0; i < t->nr_probes; i++)
		if (!strcmp(t->probes[i].category, category) && !strcmp(t->probes[i].name, name))
			return true;
	return false;
}

/* rl_tp_each callback: appends category/name as a probe (once). */
static int add_probe(void *ctx, const char *category, const char *name)
{
	struct rl_tracepoints *t = ctx;
	struct rl_tp_probe *probes, *p;

	if (has_probe(t, category, name))
		return 0;
	if (t->nr_probes == TP_MAX_PROBES)
		return -E2BIG;
	probes = realloc(t->probes, (t->nr_probes + 1) * sizeof(*probes));
	if (!probes)
		return -ENOMEM;
	t->probes = probes;
	p = &probes[t->nr_probes];
	*p = (struct rl_tp_probe){ 0 };
	t->nr_probes++;
	if (asprintf(&p->spec, "%s%s:%s", RL_TP_PREFIX, category, name) < 0)
		p->spec = NULL;
	p->category = strdup(category);
	p->name = strdup(name);
	return p->spec && p->category && p->name ? 0 : -ENOMEM;
}

/* Adds the tracepoints one probe name (with wildcards) matches. Returns 0 or -errno
 * (printed): -EDOM for a name that is none or matches no tracepoint. */
static int expand(struct rl_tracepoints *t, const char *spec)
{
	char category[NAME_MAX_LEN], name[NAME_MAX_LEN];
	size_t before = t->nr_probes;
	int err = rl_tp_split(spec, category, sizeof(category), name, sizeof(name));

	if (err) {
		fprintf(stderr, "ringlua: %s: not a probe name (tracepoint:CATEGORY:NAME)\n", spec);
		return -EDOM;
	}
	err = rl_tp_each(category, name, add_probe, t);
	if (err == -E2BIG)
		fprintf(stderr, "ringlua: %s: more than %d tracepoints\n", spec, TP_MAX_PROBES);
	else if (err)
		fprintf(stderr, "ringlua: %s: cannot list tracepoints: %s\n", spec, strerror(-err));
	else if (t->nr_probes == before && !has_probe(t, category, name))
		fprintf(stderr, "ringlua: %s: no such tracepoint\n", spec);
	if (!err && t->nr_probes == before && !has_probe(t, category, name))
		err = -EDOM;
	return err;
}

/* Expands the comma-separated list. Returns 0 or -errno (printed). */
static int expand_all(struct rl_tracepoints *t, const char *list)
{
	char *copy = strdup(list), *save = NULL;
	int err = copy ? 0 : -ENOMEM;

	for (char *s = copy ? strtok_r(copy, ",", &save) : NULL; s && !err;
	     s = strtok_r(NULL, ",", &save)) {
		while (isspace((unsigned char)*s))
			s++;
		err = expand(t, s);
	}
	if (!err && !t->nr_probes) {
		fprintf(stderr, "ringlua: no probe named\n");
		err = -EINVAL;
	}
	free(copy);
	return err;
}

/* ---- Record layout and its BTF ---- */

struct member {
	char name[NAME_MAX_LEN];
	int type;		/* BTF id */
	uint32_t offset;	/* bytes, in ringlua's record */
};

/* What a record is made of while it is laid out. */
struct layout {
	struct btf *btf;
	struct member members[MEMBERS_MAX];
	size_t nr_members;
	struct tp_probe cfg;
};

/* The BTF id of an integer of size bytes; "char" for text. Returns the id or -errno. */
static int int_type(struct btf *btf, uint32_t size, bool is_signed, bool text)
{
	static const char *const names[2][4] = {
		{ "unsigned char", "unsigned short", "unsigned int", "unsigned long long" },
		{ "signed char", "short", "int", "long long" },
	};
	int slot = size == 1 ? 0 : size == 2 ? 1 : size == 4 ? 2 : 3;
	const char *name = text ? "char" : names[is_signed][slot];
	int id = btf__find_by_name_kind(btf, name, BTF_KIND_INT);

	if (id > 0)
		return id;
	return btf__add_int(btf, name, (size_t)size,
			    text ? BTF_INT_CHAR : is_signed ? BTF_INT_SIGNED : 0);
}

/* An array of n elements of type elem. Returns the id or -errno. */
static int array_type(struct btf *btf, int elem, uint32_t n)
{
	int index = int_type(btf, 4, false, false);

	return index < 0 ? index : btf__add_array(btf, index, elem, n);
}

static int add_member(struct layout *l, const char *name, int type, uint32_t offset)
{
	struct member *m;

	if (type < 0)
		return type;
	if (l->nr_members == MEMBERS_MAX)
		return -E2BIG;
	m = &l->members[l->nr_members++];
	snprintf(m->name, sizeof(m->name), "%s", name);
	m->type = type;
	m->offset = offset;
	return 0;
}

/* Whether the tracepoint has a field called name (then ringlua's header field of that
 * name gives way: it is called common_NAME). */
static bool has_field(const struct rl_tp_format *f, const char *name)
{
	for (size_t i = 0; i < f->nr_fields; i++)
		if (!f->fields[i].common && !strcmp(f->fields[i].name, name))
			return true;
	return false;
}

/* The header's members, as struct tp_header declares them. */
static int add_header(struct layout *l, const struct rl_tp_format *f)
{
	static const struct { const char *name; uint32_t offset, size; } fields[] = {
		{ "ts_ns", offsetof(struct tp_header, ts_ns), 8 },
		{ "probe", offsetof(struct tp_header, probe), 4 },
		{ "pid", offsetof(struct tp_header, pid), 4 },
		{ "tid", offsetof(struct tp_header, tid), 4 },
		{ "ppid", offsetof(struct tp_header, ppid), 4 },
		{ "uid", offsetof(struct tp_header, uid), 4 },
		{ "cpu", offsetof(struct tp_header, cpu), 4 },
	};
	char name[NAME_MAX_LEN];
	int err = 0;

	for (size_t i = 0; !err && i < sizeof(fields) / sizeof(fields[0]); i++) {
		snprintf(name, sizeof(name), "%s%s", has_field(f, fields[i].name) ? "common_" : "",
			 fields[i].name);
		err = add_member(l, name, int_type(l->btf, fields[i].size, false, false),
				 fields[i].offset);
	}
	snprintf(name, sizeof(name), "%scomm", has_field(f, "comm") ? "common_" : "");
	return err ? err : add_member(l, name, array_type(l->btf, int_type(l->btf, 1, false, true),
							  TP_COMM_LEN),
				      offsetof(struct tp_header, comm));
}

/* The BTF type of a field copied as the raw record has it. */
static int field_type(struct btf *btf, const struct rl_tp_field *f)
{
	uint32_t elem = f->nelems ? f->size / f->nelems : 0;

	if (f->nelems && elem * f->nelems == f->size &&
	    (elem == 1 || elem == 2 || elem == 4 || elem == 8))
		return array_type(btf, int_type(btf, elem, f->is_signed,
						elem == 1 && strstr(f->type, "char")),
				  f->nelems);
	if (!f->nelems && (f->size == 1 || f->size == 2 || f->size == 4 || f->size == 8))
		return int_type(btf, f->size, f->is_signed, false);
	return array_type(btf, int_type(btf, 1, false, false), f->size);
}

/* How field f of tracepoint category/name becomes a string slot; 0: it does not. System
 * call arguments declared `const char *` are user strings; __data_loc char[] fields
 * are the record's own. */
static int string_kind(const char *category, const char *name, const struct rl_tp_field *f)
{
	if (!strcmp(category, "syscalls") && !strncmp(name, "sys_enter_", 10) &&
	    !strcmp(f->type, "const char *") && f->size == 8)
		return TP_STRING_USER;
	if (!strncmp(f->type, "__data_loc ", 11) && strstr(f->type, "char") && f->size == 4)
		return TP_STRING_DATA_LOC;
	if (!strncmp(f->type, "__rel_loc ", 10) && strstr(f->type, "char") && f->size == 4)
		return TP_STRING_REL_LOC;
	return 0;
}

/* Whether f names the task a scheduler event is about (sched_switch's next_pid,
 * sched_wakeup's pid), whose events are ringlua's own when it is ringlua. */
static bool is_subject_pid(const char *category, const struct rl_tp_field *f)
{
	return !strcmp(category, "sched") && f->size == 4 && f->is_signed &&
	       (!strcmp(f->name, "next_pid") || !strcmp(f->name, "pid"));
}

/* The range of the raw record to copy: every field after the common ones. */
static void copy_range(const struct rl_tp_format *f, struct tp_probe *cfg)
{
	uint32_t from = UINT32_MAX, to = 0;

	for (size_t i = 0; i < f->nr_fields; i++) {
		const struct rl_tp_field *x = &f->fields[i];

		if (x->common)
			continue;
		from = x->offset < from ? x->offset : from;
		to = x->offset + x->size > to ? x->offset + x->size : to;
	}
	/* From an 8-byte boundary, so fields keep their alignment after the header. */
	cfg->copy_from = from == UINT32_MAX ? 0 : from & ~7u;
	cfg->copy_len = from == UINT32_MAX ? 0 : to - cfg->copy_from;
}

/* Lays out one field: a member where the raw record has it, and a string slot for a
 * string. Every raw field stays in place (a __data_loc as __data_loc_NAME, a string
 * pointer as NAME_ptr), so the record has no gap that is not natural alignment: the C
 * declarations then need no padding members, which LuaJIT's parser does not all take. */
static int lay_field(struct layout *l, const struct rl_tp_probe *p, const struct rl_tp_field *f,
		     uint32_t *slot_end)
{
	uint32_t at = sizeof(struct tp_header) + f->offset - l->cfg.copy_from;
	int kind = string_kind(p->category, p->name, f);
	bool dynamic = !strncmp(f->type, "__data_loc ", 11) || !strncmp(f->type, "__rel_loc ", 10);
	char name[NAME_MAX_LEN];
	struct tp_string *s;
	int err;

	if (is_subject_pid(p->category, f))
		l->cfg.subject_pid = (int32_t)at;
	if (kind == TP_STRING_USER)
		snprintf(name, sizeof(name), "%s_ptr", f->name);
	else if (dynamic)
		snprintf(name, sizeof(name), "__data_loc_%s", f->name);
	else
		snprintf(name, sizeof(name), "%s", f->name);
	err = add_member(l, name, dynamic ? int_type(l->btf, 4, false, false) :
				  kind ? int_type(l->btf, 8, false, false) : field_type(l->btf, f),
			 at);
	if (err || !kind || l->cfg.nr_strings == TP_MAX_STRINGS)
		return err;
	s = &l->cfg.strings[l->cfg.nr_strings++];
	*s = (struct tp_string){ .src = (uint16_t)at, .dst = (uint16_t)*slot_end,
				 .raw = (uint16_t)f->offset, .kind = (uint16_t)kind };
	*slot_end += TP_STRING_LEN;
	return 0;
}

/* The string slots' members, after the copied fields (BTF wants members in order). */
static int add_slots(struct layout *l, const struct rl_tp_probe *p)
{
	int text = int_type(l->btf, 1, false, true);
	size_t n = 0;
	int err = 0;

	for (size_t i = 0; !err && i < p->format.nr_fields && n < l->cfg.nr_strings; i++) {
		const struct rl_tp_field *f = &p->format.fields[i];

		if (f->common || !string_kind(p->category, p->name, f))
			continue;
		err = add_member(l, f->name, array_type(l->btf, text, TP_STRING_LEN),
				 l->cfg.strings[n++].dst);
	}
	return err;
}

/* A C identifier made of s: other characters become '_'. */
static void identifier(char *s)
{
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_')
			*s = '_';
}

/* Adds probe p's record type to the BTF and fills its config. Returns 0, or -errno
 * (-E2BIG for a record too large, printed). */
static int lay_out(struct rl_tracepoints *t, size_t index)
{
	struct rl_tp_probe *p = &t->probes[index];
	struct layout *l = calloc(1, sizeof(*l));
	uint32_t slot_end;
	int err = l ? 0 : -ENOMEM, id;

	if (err)
		return err;
	l->btf = t->btf;
	l->cfg.subject_pid = -1;
	copy_range(&p->format, &l->cfg);
	/* String slots (char arrays) follow the copied bytes at once: no gap to pad. */
	slot_end = sizeof(struct tp_header) + l->cfg.copy_len;
	err = add_header(l, &p->format);
	for (size_t i = 0; !err && i < p->format.nr_fields; i++)
		if (!p->format.fields[i].common)
			err = lay_field(l, p, &p->format.fields[i], &slot_end);
	if (!err)
		err = add_slots(l, p);
	/* Whole 8-byte words, as the struct's natural size is. */
	l->cfg.record_size = (slot_end + 7) & ~7u;
	slot_end = l->cfg.record_size;
	if (!err && (l->cfg.copy_len > TP_COPY_MAX || slot_end > TP_RECORD_MAX ||
		     l->cfg.copy_from + l->cfg.copy_len > 0xffff)) {
		fprintf(stderr, "ringlua: %s: its records are too large (%u bytes)\n", p->spec,
			slot_end);
		err = -E2BIG;
	}
	if (!err && asprintf(&p->ctype, "struct tp_%s__%s", p->category, p->name) < 0) {
		p->ctype = NULL;
		err = -ENOMEM;
	}
	if (!err) {
		identifier(p->ctype + strlen("struct "));
		id = btf__add_struct(t->btf, p->ctype + strlen("struct "), slot_end);
		err = id < 0 ? id : 0;
		p->btf_id = id;
	}
	for (size_t i = 0; !err && i < l->nr_members; i++)
		err = btf__add_field(t->btf, l->members[i].name, l->members[i].type,
				     l->members[i].offset * 8, 0);
	if (!err)
		t->configs[index] = l->cfg;
	free(l);
	return err;
}

/* Reads every probe's format and lays out its record. Returns 0 or -errno (printed). */
static int lay_out_all(struct rl_tracepoints *t)
{
	int err = 0;

	t->btf = btf__new_empty();
	t->configs = calloc(t->nr_probes, sizeof(*t->configs));
	if (!t->btf || !t->configs)
		return -ENOMEM;
	for (size_t i = 0; !err && i < t->nr_probes; i++) {
		struct rl_tp_probe *p = &t->probes[i];

		err = rl_tp_format_read(p->category, p->name, &p->format);
		if (err)
			fprintf(stderr, "ringlua: %s: cannot read its format: %s\n", p->spec,
				strerror(-err));
		else
			err = lay_out(t, i);
	}
	return err;
}

int rl_tracepoints_records_cdef(const struct btf *btf, const uint32_t *ids, size_t n,
				char **out)
{
	char *records = NULL;
	int err = rl_btf_cdef(btf, ids, n, &records);

	if (!err && asprintf(out, "%s\n%s", tracepoint_cdef, records) < 0) {
		*out = NULL;
		err = -ENOMEM;
	}
	free(records);
	return err;
}

/* The declarations of the header and of every probe's record. Returns 0 or -errno. */
static int make_cdef(struct rl_tracepoints *t)
{
	uint32_t *ids = calloc(t->nr_probes, sizeof(*ids));
	int err = ids ? 0 : -ENOMEM;

	for (size_t i = 0; !err && i < t->nr_probes; i++)
		ids[i] = (uint32_t)t->probes[i].btf_id;
	if (!err)
		err = rl_tracepoints_records_cdef(t->btf, ids, t->nr_probes, &t->cdef);
	free(ids);
	return err;
}

/* ---- Per-syscall probes served from raw_syscalls ---- */

static const struct syscall_number {
	const char *name;
	int nr;
} syscall_numbers[] = {
#include "syscall_numbers.inc"
};

/* System calls whose tracepoints are named after an entry point that the call is not
 * (arch/x86/entry/syscalls/syscall_64.tbl: `4 common stat sys_newstat`). */
static const struct {
	const char *tracepoint, *syscall;
} syscall_aliases[] = {
	{ "newstat", "stat" }, { "newfstat", "fstat" }, { "newlstat", "lstat" },
	{ "newuname", "uname" }, { "sendfile64", "sendfile" }, { "umount", "umount2" },
};

/* The number of the system call NAME names ("read"), or -1 when the headers ringlua was
 * built with do not number it (a call newer than them). */
static int syscall_nr(const char *name)
{
	for (size_t i = 0; i < sizeof(syscall_aliases) / sizeof(syscall_aliases[0]); i++)
		if (!strcmp(name, syscall_aliases[i].tracepoint))
			name = syscall_aliases[i].syscall;
	for (size_t i = 0; i < sizeof(syscall_numbers) / sizeof(syscall_numbers[0]); i++)
		if (!strcmp(name, syscall_numbers[i].name))
			return syscall_numbers[i].nr < TP_MAX_SYSCALLS ? syscall_numbers[i].nr : -1;
	return -1;
}

/* Whether probe i can be served from raw_syscalls: a per-syscall tracepoint of a numbered
 * call whose fields lie where the raw record has them. *nr receives the number, *enter
 * whether it is the entry. */
static bool raw_servable(const struct rl_tracepoints *t, size_t i, int *nr, bool *enter)
{
	const struct rl_tp_probe *p = &t->probes[i];
	const struct tp_probe *cfg = &t->configs[i];
	const char *call;

	if (strcmp(p->category, "syscalls"))
		return false;
	*enter = !strncmp(p->name, "sys_enter_", 10);
	if (!*enter && strncmp(p->name, "sys_exit_", 9))
		return false;
	call = p->name + (*enter ? 10 : 9);
	*nr = syscall_nr(call);
	return *nr >= 0 && cfg->copy_from + cfg->copy_len <=
			   (*enter ? RAW_SYS_ENTER_END : RAW_SYS_EXIT_END);
}

/* Probe index's entry in the syscall map, for system call nr. Returns 0 or -errno. */
static int route_syscall(int map_fd, int nr, bool enter, uint32_t index)
{
	uint32_t key = (uint32_t)nr;
	struct tp_syscall s;

	if (bpf_map_lookup_elem(map_fd, &key, &s))
		return -errno;
	*(enter ? &s.enter : &s.exit) = index + 1;
	return bpf_map_update_elem(map_fd, &key, &s, BPF_ANY) ? -errno : 0;
}

/* Serves the probes raw_servable finds from raw_syscalls when they are more than
 * SYSCALL_PROBES_ALONE_MAX, marking each in served[]. Returns 0 or -errno (printed). */
static int serve_syscalls(struct rl_tracepoints *t, bool *served)
{
	struct bpf_map *map = bpf_object__find_map_by_name(rl_bpf_object(t->bpf),
							   "syscall_probes");
	bool enter, any_enter = false, any_exit = false;
	size_t n = 0;
	int nr, err = map ? 0 : -ENOENT;

	for (size_t i = 0; i < t->nr_probes; i++)
		n += raw_servable(t, i, &nr, &enter);
	if (n <= SYSCALL_PROBES_ALONE_MAX)
		return 0;
	for (uint32_t i = 0; !err && i < t->nr_probes; i++) {
		if (!raw_servable(t, i, &nr, &enter))
			continue;
		err = route_syscall(bpf_map__fd(map), nr, enter, i);
		served[i] = true;
		any_enter |= enter;
		any_exit |= !enter;
	}
	if (!err && any_enter)
		err = rl_bpf_attach_tracepoint(t->bpf, TP_PROGRAM, "raw_syscalls", "sys_enter",
					       TP_COOKIE_SYS_ENTER);
	if (!err && any_exit)
		err = rl_bpf_attach_tracepoint(t->bpf, TP_PROGRAM, "raw_syscalls", "sys_exit",
					       TP_COOKIE_SYS_EXIT);
	if (err)
		fprintf(stderr, "ringlua: cannot serve system call probes from raw_syscalls: %s\n",
			strerror(-err));
	return err;
}

/* ---- The program ---- */

/* The tracepoint program as a source: it shares the built-in sources' loading and
 * filters; its tracepoints are attached afterwards. */
static const struct rl_source tracepoint_source = {
	.name = "tracepoint",
	.ctype = "struct tp_header",
	.elf = source_tracepoint__elf_bytes,
};

/* Writes every probe's config, then attaches the program to each tracepoint with its
 * index as the cookie (many per-syscall probes: to raw_syscalls, see serve_syscalls).
 * Returns 0 or -errno (printed). */
static int attach_all(struct rl_tracepoints *t)
{
	struct bpf_map *map = bpf_object__find_map_by_name(rl_bpf_object(t->bpf), "probes");
	bool *served = calloc(t->nr_probes, sizeof(*served));
	int err = map ? 0 : -ENOENT;

	if (!served) {
		fprintf(stderr, "ringlua: out of memory\n");
		return -ENOMEM;
	}

	for (uint32_t i = 0; !err && i < t->nr_probes; i++)
		err = bpf_map_update_elem(bpf_map__fd(map), &i, &t->configs[i], BPF_ANY) ?
		      -errno : 0;
	if (err)
		fprintf(stderr, "ringlua: cannot configure the tracepoint program: %s\n",
			strerror(-err));
	if (!err)
		err = serve_syscalls(t, served);
	for (uint32_t i = 0; !err && i < t->nr_probes; i++) {
		const struct rl_tp_probe *p = &t->probes[i];

		if (served[i])
			continue;
		err = rl_bpf_attach_tracepoint(t->bpf, TP_PROGRAM, p->category, p->name, i);
		if (err)
			fprintf(stderr, "ringlua: %s: cannot attach: %s\n", p->spec, strerror(-err));
	}
	free(served);
	return err;
}

int rl_tracepoints_open(struct rl_tracepoints **out, const char *probes,
			const struct rl_source_filter *f)
{
	struct rl_tracepoints *t = calloc(1, sizeof(*t));
	int err = t ? 0 : -ENOMEM;

	if (!err)
		err = expand_all(t, probes);
	if (!err)
		err = lay_out_all(t);
	if (!err && (err = make_cdef(t)))
		fprintf(stderr, "ringlua: cannot declare the tracepoints' records: %s\n",
			strerror(-err));
	if (!err)
		err = rl_source_open(&t->bpf, &(struct rl_probe){ .source = &tracepoint_source,
								  .str_arg = -1 }, f);
	if (!err)
		err = attach_all(t);
	if (err == -ENOMEM)
		fprintf(stderr, "ringlua: out of memory\n");
	if (err) {
		rl_tracepoints_close(t);
		return err;
	}
	*out = t;
	return 0;
}

const struct rl_tp_probe *rl_tracepoints_probes(const struct rl_tracepoints *t, size_t *n)
{
	*n = t->nr_probes;
	return t->probes;
}

struct rl_bpf *rl_tracepoints_bpf(const struct rl_tracepoints *t)
{
	return t->bpf;
}

const struct btf *rl_tracepoints_btf(const struct rl_tracepoints *t)
{
	return t->btf;
}

const char *rl_tracepoints_cdef(const struct rl_tracepoints *t)
{
	return t->cdef;
}

void rl_tracepoints_close(struct rl_tracepoints *t)
{
	if (!t)
		return;
	rl_bpf_close(t->bpf);
	for (size_t i = 0; i < t->nr_probes; i++) {
		free(t->probes[i].spec);
		free(t->probes[i].category);
		free(t->probes[i].name);
		free(t->probes[i].ctype);
		rl_tp_format_free(&t->probes[i].format);
	}
	free(t->probes);
	free(t->configs);
	btf__free(t->btf);
	free(t->cdef);
	free(t);
}
