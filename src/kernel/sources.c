#include "kernel/sources.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <linux/membarrier.h>
#include <linux/types.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "kernel/bpf_obj.h"
#include "kernel/bpf/stacks.h"
#include "kernel/bpf/exec.h"
#include "kernel/bpf/syscalls.h"
#include "kernel/bpf/exit.h"
#include "kernel/bpf/open.h"
#include "kernel/bpf/syscall_exit.h"
#include "kernel/bpf/signal.h"
#include "kernel/bpf/tcp.h"
#include "kernel/bpf/profile.h"
#include "kernel/bpf/uprobe.h"
#include "kernel/bpf/usdt.h"
#include "kernel/bpf/tracepoint.h"
#include "source_exec.skel.h"
#include "source_syscalls.skel.h"
#include "source_exit.skel.h"
#include "source_open.skel.h"
#include "source_syscall_exit.skel.h"
#include "source_signal.skel.h"
#include "source_tcp.skel.h"
#include "source_profile.skel.h"
#include "source_uprobe.skel.h"
#include "source_usdt.skel.h"
#include "kernel/uprobes.h"
#include "kernel/usdt_probes.h"
#include "ring/ring_desc.h"

/* Where the kernel cannot wait for an RCU grace period on request: longer than any BPF
 * program runs (they are bounded to a million instructions). */
#define QUIESCE_FALLBACK_US 10000

/* The per-CPU ring merge (ring.h, rl_consumer_opts.ordered) reads a record's timestamp
 * from its first 8 bytes: every built-in record starts with it. */
_Static_assert(offsetof(struct exec_event, ts_ns) == 0, "ts_ns leads the record");
_Static_assert(offsetof(struct syscall_event, ts_ns) == 0, "ts_ns leads the record");
_Static_assert(offsetof(struct exit_event, ts_ns) == 0, "ts_ns leads the record");
_Static_assert(offsetof(struct open_event, ts_ns) == 0, "ts_ns leads the record");
_Static_assert(offsetof(struct syscall_exit_event, ts_ns) == 0, "ts_ns leads the record");
_Static_assert(offsetof(struct signal_event, ts_ns) == 0, "ts_ns leads the record");
_Static_assert(offsetof(struct tcp_event, ts_ns) == 0, "ts_ns leads the record");
_Static_assert(offsetof(struct profile_event, ts_ns) == 0, "ts_ns leads the record");
_Static_assert(offsetof(struct uprobe_event, ts_ns) == 0, "ts_ns leads the record");
_Static_assert(offsetof(struct usdt_event, ts_ns) == 0, "ts_ns leads the record");
_Static_assert(offsetof(struct tp_header, ts_ns) == 0, "ts_ns leads the record");
_Static_assert(sizeof(((struct tp_header *)0)->ts_ns) == 8, "a u64 timestamp");

extern const char exec_cdef[];
extern const char syscalls_cdef[];
extern const char exit_cdef[];
extern const char open_cdef[];
extern const char syscall_exit_cdef[];
extern const char signal_cdef[];
extern const char tcp_cdef[];
extern const char profile_cdef[];
extern const char uprobe_cdef[];
extern const char usdt_cdef[];

/* Off the beat of the kernel's and applications' 100 Hz timers, which a 100 Hz sample
 * would see always or never. */
#define PROFILE_HZ 99

static const struct rl_source sources[] = {
	{ "exec", "process execs: pid, ppid, uid, comm, filename", "struct exec_event",
	  exec_cdef, source_exec__elf_bytes, 0, NULL, NULL },
	{ "syscalls", "system call entries: pid, tid, nr, comm", "struct syscall_event",
	  syscalls_cdef, source_syscalls__elf_bytes, 0, NULL, NULL },
	{ "exit", "process exits: pid, ppid, uid, exit status or signal, lifetime, comm",
	  "struct exit_event", exit_cdef, source_exit__elf_bytes, 0, NULL, NULL },
	{ "open", "file opens: pid, tid, uid, flags, mode, fd or -errno, comm, path",
	  "struct open_event", open_cdef, source_open__elf_bytes, 0, NULL, NULL },
	{ "syscall_exit", "completed system calls: pid, tid, uid, nr, result, latency, comm",
	  "struct syscall_exit_event", syscall_exit_cdef, source_syscall_exit__elf_bytes, 0, NULL,
	  NULL },
	{ "signal", "signals sent: sender pid, uid and comm, target pid and comm, sig, result",
	  "struct signal_event", signal_cdef, source_signal__elf_bytes, 0, NULL, NULL },
	{ "tcp", "TCP connects and accepts: pid, uid, comm, addresses, ports",
	  "struct tcp_event", tcp_cdef, source_tcp__elf_bytes, 0, NULL, NULL },
	{ "profile", "99 Hz samples of every CPU (profile:hz:N for N Hz): cpu, pid, tid, "
	  "comm, user or kernel mode", "struct profile_event", profile_cdef,
	  source_profile__elf_bytes, PROFILE_HZ, NULL, NULL },
	{ "uprobe", "uprobe:PATH:FUNCTION: calls of a user-space function: pid, tid, comm, "
	  "arg0-arg5", "struct uprobe_event", uprobe_cdef, source_uprobe__elf_bytes, 0,
	  "PATH:FUNCTION", rl_uprobes_attach },
	{ "uretprobe", "uretprobe:PATH:FUNCTION: its returns: pid, tid, comm, ret",
	  "struct uprobe_event", uprobe_cdef, source_uprobe__elf_bytes, 0, "PATH:FUNCTION",
	  rl_uprobes_attach },
	{ "usdt", "usdt:PATH:[PROVIDER:]NAME: hits of a USDT probe (globs in PROVIDER and NAME): "
	  "pid, tid, comm, arg_count, arg0-arg11", "struct usdt_event", usdt_cdef,
	  source_usdt__elf_bytes, 0, "PATH:[PROVIDER:]NAME", rl_usdt_attach },
};

const struct rl_source *rl_sources(size_t *n)
{
	*n = sizeof(sources) / sizeof(sources[0]);
	return sources;
}

const struct rl_source *rl_source_find(const char *name)
{
	for (size_t i = 0; i < sizeof(sources) / sizeof(sources[0]); i++)
		if (strcmp(sources[i].name, name) == 0)
			return &sources[i];
	return NULL;
}

/* The source whose name is the first len bytes of name, or NULL. */
static const struct rl_source *find_prefix(const char *name, size_t len)
{
	for (size_t i = 0; i < sizeof(sources) / sizeof(sources[0]); i++)
		if (strlen(sources[i].name) == len && !strncmp(sources[i].name, name, len))
			return &sources[i];
	return NULL;
}

/* Whether src is the usdt source (its probes are usdt:PATH:[PROVIDER:]NAME). */
static bool is_usdt(const struct rl_source *src)
{
	return src->attach == rl_usdt_attach;
}

/* Whether the probe of len bytes at at, of source src, has its source's form. */
static bool well_formed(const struct rl_source *src, const char *at, size_t len)
{
	const char *colon = memchr(at, ':', len);
	const char *func = memchr(colon + 1, ':', len - (size_t)(colon + 1 - at));
	struct rl_usdt_probe u;
	char probe[PATH_MAX + 512];

	if (!is_usdt(src))
		return func && func != colon + 1 && func + 1 != at + len;
	if (len >= sizeof(probe))
		return false;
	memcpy(probe, at, len);
	probe[len] = '\0';
	return rl_usdt_probe_split(probe, &u) == 0;
}

/* Checks a list of probes that first's program attaches itself: uprobes and uretprobes
 * ("uprobe:PATH:FUNCTION,..."), or USDT probes. Returns NULL or why not. */
static const char *check_probe_list(const char *list, const struct rl_source *first)
{
	const char *at = list;

	while (*at) {
		size_t len = strcspn(at, ",");
		const char *colon = memchr(at, ':', len);
		const struct rl_source *src = colon ? find_prefix(at, (size_t)(colon - at)) : NULL;

		if (!src || src->attach != first->attach)
			return is_usdt(first) ? "a list of USDT probes may hold only usdt: probes" :
			       "a list of probes may hold only uprobe: and uretprobe: probes";
		if (!well_formed(src, at, len))
			return is_usdt(src) ? "a USDT probe is usdt:PATH:[PROVIDER:]NAME" :
			       "a uprobe is uprobe:PATH:FUNCTION (or uretprobe:PATH:FUNCTION)";
		at += len + (at[len] == ',');
	}
	return NULL;
}

const char *rl_probe_parse(const char *name, unsigned int hz, struct rl_probe *p)
{
	const char *colon = strchr(name, ':');
	const struct rl_source *src = colon ? find_prefix(name, (size_t)(colon - name)) :
				      rl_source_find(name);
	char *end;
	unsigned long v;

	*p = (struct rl_probe){ .source = src, .hz = hz, .str_arg = -1 };
	if (!src)
		return "no such source or probe (try --help)";
	if (src->probe_form && !colon)
		return is_usdt(src) ? "this probe needs PATH:[PROVIDER:]NAME after its name "
				      "(usdt:PATH:[PROVIDER:]NAME)" :
		       "this probe needs PATH:FUNCTION after its name (uprobe:PATH:FUNCTION)";
	if (src->probe_form) {
		p->uprobes = name;
		return check_probe_list(name, src);
	}
	if (hz && !src->sample_hz)
		return "--hz is for sampling sources (profile) and objects with perf_event "
		       "programs";
	if (!hz)
		p->hz = src->sample_hz;
	if (!colon)
		return NULL;
	if (!src->sample_hz || strncmp(colon + 1, "hz:", 3))
		return "only profile takes a rate (profile:hz:N)";
	if (hz)
		return "the rate is given twice (profile:hz:N and --hz)";
	errno = 0;
	v = strtoul(colon + 4, &end, 10);
	if (errno || end == colon + 4 || *end || colon[4] == '-' || v < 1 || v > RL_MAX_HZ)
		return "profile:hz:N takes a rate of 1 to 10000 samples a second";
	p->hz = (unsigned int)v;
	return NULL;
}

int rl_stack_mode_parse(const char *list, uint32_t *mode)
{
	*mode = 0;
	if (!strcmp(list, "none"))
		return 0;
	for (const char *at = list; *at; ) {
		size_t len = strcspn(at, ",");

		if (len == 6 && !strncmp(at, "kernel", 6))
			*mode |= RL_STACK_KERNEL;
		else if (len == 4 && !strncmp(at, "user", 4))
			*mode |= RL_STACK_USER;
		else if (len == 5 && !strncmp(at, "dwarf", 5))
			*mode |= RL_STACK_USER | RL_STACK_DWARF;
		else
			return -EINVAL;
		at += len + (at[len] == ',');
	}
	return 0;
}

int rl_probe_str_arg(const char *name)
{
	char *end;
	long n;

	if (!strcmp(name, "ret") || !strcmp(name, "retval"))
		return RL_PROBE_STR_RET;
	if (strncmp(name, "arg", 3) || name[3] < '0' || name[3] > '9' ||
	    (name[3] == '0' && name[4]))
		return -1;
	n = strtol(name + 3, &end, 10);
	return *end || n >= RL_PROBE_STR_ARGS ? -1 : (int)n;
}

const char *rl_probe_set_str(struct rl_probe *p, const char *name)
{
	int v = rl_probe_str_arg(name);

	if (!p->uprobes)
		return "a `str` is read from a uprobe's or USDT probe's arguments: the source is "
		       "neither";
	if (is_usdt(p->source) && (v < 0 || v >= USDT_ARG_MAX))
		return "its `str` names no value (arg0 to arg11)";
	if (!is_usdt(p->source) && (v < 0 || (v > 5 && v != RL_PROBE_STR_RET)))
		return "its `str` names no value (arg0 to arg5, or ret)";
	p->str_arg = v;
	return NULL;
}

uint32_t rl_cpu_ring_size(uint64_t total)
{
	int cpus = libbpf_num_possible_cpus();
	uint64_t share = total / (uint64_t)(cpus > 0 ? cpus : 1);
	uint64_t size = (uint64_t)sysconf(_SC_PAGESIZE);

	while (size < share && size < UINT32_MAX / 2 + 1)
		size <<= 1;
	return (uint32_t)size;
}

/* The outer map of source.bpf.h's per-CPU rings, filled with one ring of size bytes per
 * possible CPU. Returns its fd or -errno. The rings live as long as the map holds them. */
static int make_cpu_rings(int cpus, uint32_t size)
{
	int template = bpf_map_create(BPF_MAP_TYPE_RINGBUF, RL_DEFAULT_RING, 0, 0, size, NULL);
	LIBBPF_OPTS(bpf_map_create_opts, opts, .inner_map_fd = template);
	int outer = template < 0 ? -errno :
		    bpf_map_create(BPF_MAP_TYPE_ARRAY_OF_MAPS, "cpu_rings", sizeof(__u32),
				   sizeof(__u32), (__u32)cpus, &opts);
	int err = outer < 0 ? -errno : 0;

	for (int cpu = 0; !err && cpu < cpus; cpu++) {
		/* CPU 0 takes the template itself: it is a ring like the others. */
		int ring = cpu ? bpf_map_create(BPF_MAP_TYPE_RINGBUF, RL_DEFAULT_RING, 0, 0, size,
						NULL) : template;

		if (ring < 0 || bpf_map_update_elem(outer, &cpu, &ring, BPF_ANY))
			err = -errno;
		if (cpu && ring >= 0)
			close(ring);
	}
	if (template >= 0)
		close(template);
	if (err && outer >= 0)
		close(outer);
	return err ? err : outer;
}

/* Before load: b's records go to one ring per CPU of size bytes. Returns 0 or -errno. */
static int use_cpu_rings(struct rl_bpf *b, uint32_t size)
{
	struct bpf_object *obj = rl_bpf_object(b);
	struct bpf_map *outer = bpf_object__find_map_by_name(obj, "cpu_rings");
	struct bpf_map *events = bpf_object__find_map_by_name(obj, RL_DEFAULT_RING);
	int cpus = libbpf_num_possible_cpus();
	bool on = true;
	int fd, err;

	if (!outer || !events)
		return -ENOENT;
	if (cpus < 0)
		return cpus;
	fd = make_cpu_rings(cpus, size);
	if (fd < 0)
		return fd;
	/* libbpf takes a copy of the descriptor; the program sees the rings made here. */
	err = bpf_map__reuse_fd(outer, fd);
	close(fd);
	if (!err) /* unused with per-CPU rings: the least a ring can be */
		err = bpf_map__set_max_entries(events, (__u32)sysconf(_SC_PAGESIZE));
	if (!err)
		err = rl_bpf_set_global(b, "per_cpu_rings", &on, sizeof(on));
	return err;
}

int rl_source_cpu_rings(const struct rl_bpf *b, int **fds, size_t *n)
{
	struct bpf_map *outer = bpf_object__find_map_by_name(rl_bpf_object(b), "cpu_rings");
	__u32 cpus = outer ? bpf_map__max_entries(outer) : 0;
	int *out = calloc(cpus ? cpus : 1, sizeof(*out));
	int err = !outer ? -ENOENT : out ? 0 : -ENOMEM;
	__u32 cpu;

	for (cpu = 0; !err && cpu < cpus; cpu++) {
		__u32 id;

		/* From user space, a map of maps holds the inner maps' ids. */
		if (bpf_map_lookup_elem(bpf_map__fd(outer), &cpu, &id) ||
		    (out[cpu] = bpf_map_get_fd_by_id(id)) < 0)
			err = -errno;
	}
	if (err) {
		for (__u32 i = 0; i + 1 < cpu; i++)
			close(out[i]);
		free(out);
		return err;
	}
	*fds = out;
	*n = cpus;
	return 0;
}

/* Sets the size of b's one ring (unless it has a ring per CPU), how records are
 * committed: whether they wake the consumer (and the size of each ring, for the fill at
 * which they do anyway), and whether they are stamped. */
static int set_commits(struct rl_bpf *b, const struct rl_source_filter *f)
{
	struct bpf_map *events = bpf_object__find_map_by_name(rl_bpf_object(b), RL_DEFAULT_RING);
	uint64_t ring_bytes = f->cpu_ring_size ? f->cpu_ring_size : RL_SOURCE_RING_SIZE;
	int err = events ? 0 : -ENOENT;

	if (!err && !f->cpu_ring_size)
		err = bpf_map__set_max_entries(events, RL_SOURCE_RING_SIZE);
	if (!err)
		err = rl_bpf_set_global(b, "wake_on_sleep", &f->wake_on_sleep,
					sizeof(f->wake_on_sleep));
	if (!err)
		err = rl_bpf_set_global(b, "ring_bytes", &ring_bytes, sizeof(ring_bytes));
	if (!err)
		err = rl_bpf_set_global(b, "timestamps", &f->timestamps, sizeof(f->timestamps));
	return err;
}

/* Whether records go on to the ring past the kernel aggregations, as the script wants
 * from the first record on: the script is told its source (and settles this itself, as
 * each reload does) only after the programs are attached, and records taken by the ring
 * in between would reach no handler, yet count as events. */
static int set_delivery(struct rl_bpf *b, bool deliver)
{
	uint32_t word = deliver;

	return rl_bpf_set_global(b, "deliver", &word, sizeof(word));
}

uint32_t *rl_source_sleep_flag(struct rl_bpf *b)
{
	return rl_bpf_global_live(b, "consumer_asleep", sizeof(uint32_t));
}

/* The programs of source.bpf.h that keep the set of followed descendants. */
static const char *const follow_programs[] = { "rl_follow_fork", "rl_follow_exit" };

int rl_source_set_filters(struct rl_bpf *b, const struct rl_source_filter *f)
{
	char comm[RL_COMM_MAX + 1] = { 0 };
	bool follow = f->follow && f->tgid;
	int err;

	for (size_t i = 0; i < sizeof(follow_programs) / sizeof(follow_programs[0]); i++) {
		struct bpf_program *prog =
			bpf_object__find_program_by_name(rl_bpf_object(b), follow_programs[i]);

		if (!prog)
			return -ENOENT;
		bpf_program__set_autoload(prog, follow);
	}
	if (f->comm)
		strncpy(comm, f->comm, RL_COMM_MAX);
	err = rl_bpf_set_global(b, "targ_tgid", &f->tgid, sizeof(f->tgid));
	if (!err)
		err = rl_bpf_set_global(b, "self_tgid", &f->self_tgid, sizeof(f->self_tgid));
	if (!err)
		err = rl_bpf_set_global(b, "targ_uid", &f->uid, sizeof(f->uid));
	if (!err)
		err = rl_bpf_set_global(b, "targ_comm", comm, sizeof(comm));
	if (!err)
		err = rl_bpf_set_global(b, "targ_cgroup", &f->cgroup, sizeof(f->cgroup));
	if (!err)
		err = rl_bpf_set_global(b, "follow", &follow, sizeof(follow));
	if (!err)
		err = rl_bpf_set_global(b, "stack_mode", &f->stack_mode, sizeof(f->stack_mode));
	if (!err && f->ustack_bytes)
		err = rl_bpf_set_global(b, "ustack_bytes", &f->ustack_bytes,
					sizeof(f->ustack_bytes));
	if (!err && f->cpu_ring_size)
		err = use_cpu_rings(b, f->cpu_ring_size);
	if (!err)
		err = set_commits(b, f);
	if (!err)
		err = rl_bpf_set_global(b, "kagg_on", &f->kagg, sizeof(f->kagg));
	if (!err && f->kagg)
		err = set_delivery(b, f->kagg_deliver);
	return err;
}

int rl_source_kagg_lost(const struct rl_bpf *b, uint64_t *lost, uint32_t *entries)
{
	const struct bpf_map *values =
		bpf_object__find_map_by_name(rl_bpf_object(b), "kagg_values");
	uint64_t by_programs, by_host;
	int err;

	if (!values)
		return -ENOENT;
	*entries = bpf_map__max_entries(values);
	err = rl_bpf_read_u64(b, "kagg_lost", &by_programs);
	if (!err)
		err = rl_bpf_read_u64(b, "kagg_totals_lost", &by_host);
	if (!err)
		*lost = by_programs + by_host;
	return err;
}

int rl_bpf_quiesce(void)
{
	/* Not sleepable BPF programs run as RCU readers, and the global membarrier waits for
	 * an RCU grace period; without it (nohz_full CPUs refuse the command) the bound of
	 * a program's run time. */
	if (syscall(SYS_membarrier, MEMBARRIER_CMD_GLOBAL, 0, 0) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return -errno;
	usleep(QUIESCE_FALLBACK_US);
	return 0;
}

/* Sets how p's source runs beyond its filters: its rate, its string argument, and its
 * programs for a list of probes left for the source's attach. Returns 0 or -errno. */
static int set_probe(struct rl_bpf *b, const struct rl_probe *p)
{
	struct bpf_program *prog;
	int32_t str_arg = p->str_arg;

	rl_bpf_set_sample_hz(b, p->hz);
	if (!p->uprobes)
		return 0;
	/* The uprobe and USDT programs are attached per probe; the others (following
	 * descendants) as they are. */
	bpf_object__for_each_program(prog, rl_bpf_object(b))
		if (bpf_program__type(prog) == BPF_PROG_TYPE_KPROBE)
			bpf_program__set_autoattach(prog, false);
	if (str_arg == RL_PROBE_STR_RET)
		str_arg = UPROBE_STR_RET;
	return rl_bpf_set_global(b, "str_arg", &str_arg, sizeof(str_arg));
}

int rl_source_open(struct rl_bpf **out, const struct rl_probe *p,
		   const struct rl_source_filter *f)
{
	const struct rl_source *src = p->source;
	struct rl_bpf *b = NULL;
	size_t size;
	const void *elf = src->elf(&size);
	int err = rl_bpf_open_mem(&b, elf, size, src->name);

	if (!err)
		err = rl_source_set_filters(b, f);
	if (!err)
		err = set_probe(b, p);
	if (err)
		fprintf(stderr, "ringlua: source %s: cannot prepare its BPF object: %s\n",
			src->name, strerror(-err));
	else
		err = rl_bpf_load_attach(b);
	/* Following descendants, every process gets the probes and the program's filter
	 * keeps the traced ones: a child that runs another binary is probed too. */
	if (!err && p->uprobes)
		err = src->attach(b, p->uprobes, f->follow ? 0 : f->tgid);
	if (err) {
		rl_bpf_close(b);
		return err;
	}
	*out = b;
	return 0;
}
