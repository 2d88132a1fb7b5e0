/* Built-in event sources: BPF programs that ship inside ringlua, each with its event type
 * declared once (a header shared by the BPF program, C and ffi.cdef). */
#ifndef RINGLUA_SOURCES_H
#define RINGLUA_SOURCES_H

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
				 * this many times a second */
};

#define RL_DEFAULT_SOURCE "exec"
#define RL_ANY_UID UINT32_MAX	/* (uid_t)-1 is no user's uid */
#define RL_COMM_MAX 15		/* the kernel keeps 15 characters of a task's name */

/* What a source traces, filtered in the kernel. */
struct rl_source_filter {
	uint32_t tgid;		/* only this process; 0: all */
	uint32_t self_tgid;	/* never this one: ringlua itself */
	uint32_t uid;		/* only tasks of this real uid; RL_ANY_UID: all */
	const char *comm;	/* only tasks of this name (at most RL_COMM_MAX); NULL: all */
	uint64_t cgroup;	/* only tasks in this cgroup (v2 id); 0: all */
	/* Not a filter: the most time between the wakeups the source forces (source.bpf.h's
	 * budget), half the consumer's latency bound; 0: the kernel's wakeup per catch-up. */
	uint64_t wakeup_interval_ns;
};

/* The source called name, or NULL. */
const struct rl_source *rl_source_find(const char *name);

/* All built-in sources; *n receives how many. */
const struct rl_source *rl_sources(size_t *n);

/* Loads and attaches src, tracing only what f lets through. Its ring map is named
 * "events"; its drop count is the u64 global "dropped". Returns 0 or -errno (the failure
 * already printed). */
int rl_source_open(struct rl_bpf **out, const struct rl_source *src,
		   const struct rl_source_filter *f);

#endif
