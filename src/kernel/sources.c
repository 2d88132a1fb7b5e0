#include "kernel/sources.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <linux/perf_event.h>
#include <sys/syscall.h>
#include <bpf/libbpf.h>

#include "kernel/bpf_obj.h"
#include "source_exec.skel.h"
#include "source_syscalls.skel.h"
#include "source_exit.skel.h"
#include "source_open.skel.h"
#include "source_syscall_exit.skel.h"
#include "source_signal.skel.h"
#include "source_tcp.skel.h"
#include "source_profile.skel.h"

extern const char exec_cdef[];
extern const char syscalls_cdef[];
extern const char exit_cdef[];
extern const char open_cdef[];
extern const char syscall_exit_cdef[];
extern const char signal_cdef[];
extern const char tcp_cdef[];
extern const char profile_cdef[];

/* Off the beat of the kernel's and applications' 100 Hz timers, which a 100 Hz sample
 * would see always or never. */
#define PROFILE_HZ 99

static const struct rl_source sources[] = {
	{ "exec", "process execs: pid, ppid, uid, comm, filename", "struct exec_event",
	  exec_cdef, source_exec__elf_bytes, 0 },
	{ "syscalls", "system call entries: pid, tid, nr, comm", "struct syscall_event",
	  syscalls_cdef, source_syscalls__elf_bytes, 0 },
	{ "exit", "process exits: pid, ppid, uid, exit status or signal, lifetime, comm",
	  "struct exit_event", exit_cdef, source_exit__elf_bytes, 0 },
	{ "open", "file opens: pid, tid, uid, flags, mode, fd or -errno, comm, path",
	  "struct open_event", open_cdef, source_open__elf_bytes, 0 },
	{ "syscall_exit", "completed system calls: pid, tid, uid, nr, result, latency, comm",
	  "struct syscall_exit_event", syscall_exit_cdef, source_syscall_exit__elf_bytes, 0 },
	{ "signal", "signals sent: sender pid, uid and comm, target pid and comm, sig, result",
	  "struct signal_event", signal_cdef, source_signal__elf_bytes, 0 },
	{ "tcp", "TCP connects and accepts: pid, uid, comm, addresses, ports",
	  "struct tcp_event", tcp_cdef, source_tcp__elf_bytes, 0 },
	{ "profile", "99 Hz samples of every CPU: cpu, pid, tid, comm, user or kernel mode",
	  "struct profile_event", profile_cdef, source_profile__elf_bytes, PROFILE_HZ },
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

/* Attaches b's perf_event program to a clock on every online CPU (CPUs brought online
 * later are not sampled). Returns 0 or -errno (printed). */
static int attach_cpu_clocks(struct rl_bpf *b, const struct rl_source *src)
{
	int nr_cpus = libbpf_num_possible_cpus();
	int err = nr_cpus < 0 ? nr_cpus : 0;

	for (int cpu = 0; !err && cpu < nr_cpus; cpu++) {
		int fd = open_cpu_clock(cpu, src->sample_hz);

		if (fd == -ENODEV)
			continue; /* possible, but offline */
		err = fd < 0 ? fd : rl_bpf_attach_perf_event(b, fd);
		if (err)
			fprintf(stderr, "ringlua: source %s: cannot sample CPU %d: %s\n",
				src->name, cpu, strerror(-err));
	}
	return err;
}

/* Sets f in b's `const volatile` filter and wakeup globals (source.bpf.h). */
static int set_filters(struct rl_bpf *b, const struct rl_source_filter *f)
{
	char comm[RL_COMM_MAX + 1] = { 0 };
	int err;

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
		err = rl_bpf_set_global(b, "wakeup_interval_ns", &f->wakeup_interval_ns,
					sizeof(f->wakeup_interval_ns));
	return err;
}

int rl_source_open(struct rl_bpf **out, const struct rl_source *src,
		   const struct rl_source_filter *f)
{
	struct rl_bpf *b = NULL;
	size_t size;
	const void *elf = src->elf(&size);
	int err = rl_bpf_open_mem(&b, elf, size, src->name);

	if (!err)
		err = set_filters(b, f);
	if (err)
		fprintf(stderr, "ringlua: source %s: cannot prepare its BPF object: %s\n",
			src->name, strerror(-err));
	else
		err = rl_bpf_load_attach(b);
	if (!err && src->sample_hz)
		err = attach_cpu_clocks(b, src);
	if (err) {
		rl_bpf_close(b);
		return err;
	}
	*out = b;
	return 0;
}
