/* Built-in event sources: BPF programs that ship inside ringlua, each with its event type
 * declared once (a header shared by the BPF program, C and ffi.cdef). */
#ifndef RINGLUA_SOURCES_H
#define RINGLUA_SOURCES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct rl_bpf;

struct rl_source {
	const char *name;
	const char *summary;	/* one line for --help */
	const char *ctype;	/* the event's C type, as ffi.typeof takes it */
	const char *cdef;	/* declarations of that type, for ffi.cdef */
	const void *(*elf)(size_t *size);
	unsigned int sample_hz;	/* >0: its perf_event program samples every online CPU
				 * this many times a second, unless its probe name says
				 * otherwise (profile:hz:N) */
	const char *probe_form;	/* NULL: a plain name; else what follows "NAME:" in its
				 * probe names ("PATH:FUNCTION"), which it needs */
	/* With probe_form: attaches the loaded object's programs to each probe of a list
	 * (rl_uprobes_attach, rl_usdt_attach); sources that share it share a list. */
	int (*attach)(struct rl_bpf *b, const char *list, uint32_t pid);
};

#define RL_DEFAULT_SOURCE "exec"
#define RL_SOURCE_RING_SIZE (8u << 20)	/* `events` of bpf/source.bpf.h, set at load */
#define RL_ANY_UID UINT32_MAX	/* (uid_t)-1 is no user's uid */
#define RL_COMM_MAX 15		/* the kernel keeps 15 characters of a task's name */

/* What a source traces, filtered in the kernel. */
struct rl_source_filter {
	uint32_t tgid;		/* only this process; 0: all */
	uint32_t self_tgid;	/* never this one: ringlua itself */
	uint32_t uid;		/* only tasks of this real uid; RL_ANY_UID: all */
	const char *comm;	/* only tasks of this name (at most RL_COMM_MAX); NULL: all */
	uint64_t cgroup;	/* only tasks in this cgroup (v2 id); 0: all */
	bool follow;		/* with tgid: its descendants too, from their fork */
	uint32_t stack_mode;	/* not a filter: the stacks each record carries after its
				 * struct (RL_STACK_KERNEL | RL_STACK_USER | RL_STACK_DWARF
				 * of bpf/stacks.h) */
	uint32_t ustack_bytes;	/* with RL_STACK_DWARF: the user stack bytes copied;
				 * 0: RL_USTACK_BYTES_DEFAULT */
	uint32_t cpu_ring_size;	/* not a filter either: >0: one ring per possible CPU, of
				 * this size (a power of two of pages), instead of `events` */
	/* Not filters: commit records without waking the consumer, waking it only when
	 * it says it sleeps (source.bpf.h; the consumer's sleep_flag, rl_source_sleep_flag);
	 * false: the kernel's wakeup per catch-up. And whether records carry ts_ns. */
	bool wake_on_sleep;
	bool timestamps;
	bool kagg;		/* not a filter: the script has kernel aggregations
				 * (bpf/kagg.h), so records are built where they reach them */
	bool kagg_deliver;	/* with kagg: records still go to the ring (the script
				 * has an event handler), from the attach on */
};

#define RL_MAX_HZ 10000		/* perf throttles sampling far above this */

/* A probe name as bpftrace writes it, parsed: "exec", "profile:hz:49",
 * "uprobe:libc:malloc", "uretprobe:/usr/bin/bash:readline", or several uprobes and
 * uretprobes separated by commas; or USDT probes ("usdt:/usr/bin/python3.11:python:audit"),
 * one or several. */
struct rl_probe {
	const struct rl_source *source;
	unsigned int hz;	/* perf_event sources: samples a second on each CPU */
	const char *uprobes;	/* uprobe, uretprobe, usdt: the whole list, as named */
	int str_arg;		/* uprobe, usdt: the value read as a string (an argument's
				 * number, or RL_PROBE_STR_RET); -1: none */
};

#define RL_PROBE_STR_ARGS 12	/* arg0 to arg11 (USDT; uprobes have six) */
#define RL_PROBE_STR_RET 64	/* str_arg: a uretprobe's return value */

/* Parses name into p (hz: --hz, 0 if not given). Returns NULL, or why the name is not
 * a probe ringlua has, in words. p->uprobes points into name. */
const char *rl_probe_parse(const char *name, unsigned int hz, struct rl_probe *p);

/* The stack mode a list names: "kernel", "user", "kernel,user" (either order), "dwarf"
 * (a user stack unwound from a copy of it: "user,dwarf" alike), or "" or "none" for
 * none. Returns 0 or -EINVAL. */
int rl_stack_mode_parse(const char *list, uint32_t *mode);

/* The value `--str` names ("arg0" ... "arg11", "ret" or "retval"), as rl_probe.str_arg,
 * or -1. Whether p's source has it is rl_probe_set_str's to say. */
int rl_probe_str_arg(const char *name);

/* Sets p->str_arg (p parsed) to the value name names. Returns NULL, or why p's source
 * has no such value (arg0-arg5 and ret for uprobes, arg0-arg11 for USDT probes). */
const char *rl_probe_set_str(struct rl_probe *p, const char *name);

/* The source called name, or NULL. */
const struct rl_source *rl_source_find(const char *name);

/* All built-in sources; *n receives how many. */
const struct rl_source *rl_sources(size_t *n);

/* Sets f in b's filter globals (source.bpf.h), and loads its programs that follow
 * descendants when f asks for that; with f->cpu_ring_size, creates the per-CPU rings
 * and hands them to b's cpu_rings. Before load. Returns 0 or -errno. */
int rl_source_set_filters(struct rl_bpf *b, const struct rl_source_filter *f);

/* Kernel aggregations' updates lost so far, because their map was full (the program's
 * kagg_lost, and the host's kagg_totals_lost), into *lost, and the entries that map
 * holds into *entries. Returns 0, or -ENOENT for an object without them (not a built-in
 * source's). */
int rl_source_kagg_lost(const struct rl_bpf *b, uint64_t *lost, uint32_t *entries);

/* Returns once every BPF program running when it was called has returned: before the
 * host retires an epoch of kernel aggregations' entries (kagg.bpf.h), which programs
 * that read the old epoch may still write. Called from Lua (ringlua.agg_kernel). Takes
 * an RCU grace period (milliseconds). Returns 0 or -errno. */
int rl_bpf_quiesce(void);

/* The size of each CPU's ring when the rings of one source share total bytes: total
 * over the possible CPUs, rounded up to a power of two of at least a page. */
uint32_t rl_cpu_ring_size(uint64_t total);

/* After load: the word the consumer sets before it sleeps, for a source opened with
 * wake_on_sleep (source.bpf.h's consumer_asleep, live), or NULL. */
uint32_t *rl_source_sleep_flag(struct rl_bpf *b);

/* After rl_source_open with f->cpu_ring_size: a descriptor of every CPU's ring, by CPU,
 * into *fds (the caller closes them and frees *fds), their count in *n. Returns 0 or
 * -errno. */
int rl_source_cpu_rings(const struct rl_bpf *b, int **fds, size_t *n);

/* Loads and attaches p's source, tracing only what f lets through. Its ring map is
 * named "events"; its drop count is the u64 global "dropped". Returns 0 or -errno (the
 * failure already printed). */
int rl_source_open(struct rl_bpf **out, const struct rl_probe *p,
		   const struct rl_source_filter *f);

#endif
