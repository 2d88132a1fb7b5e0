#include "sources.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "bpf_obj.h"
#include "source_exec.skel.h"
#include "source_syscalls.skel.h"
#include "source_exit.skel.h"
#include "source_open.skel.h"
#include "source_syscall_exit.skel.h"
#include "source_signal.skel.h"
#include "source_tcp.skel.h"

extern const char exec_cdef[];
extern const char syscalls_cdef[];
extern const char exit_cdef[];
extern const char open_cdef[];
extern const char syscall_exit_cdef[];
extern const char signal_cdef[];
extern const char tcp_cdef[];

static const struct rl_source sources[] = {
	{ "exec", "process execs: pid, ppid, uid, comm, filename", "struct exec_event",
	  exec_cdef, source_exec__elf_bytes },
	{ "syscalls", "system call entries: pid, tid, nr, comm", "struct syscall_event",
	  syscalls_cdef, source_syscalls__elf_bytes },
	{ "exit", "process exits: pid, ppid, uid, exit status or signal, lifetime, comm",
	  "struct exit_event", exit_cdef, source_exit__elf_bytes },
	{ "open", "file opens: pid, tid, uid, flags, mode, fd or -errno, comm, path",
	  "struct open_event", open_cdef, source_open__elf_bytes },
	{ "syscall_exit", "completed system calls: pid, tid, uid, nr, result, latency, comm",
	  "struct syscall_exit_event", syscall_exit_cdef, source_syscall_exit__elf_bytes },
	{ "signal", "signals sent: sender pid, uid and comm, target pid and comm, sig, result",
	  "struct signal_event", signal_cdef, source_signal__elf_bytes },
	{ "tcp", "TCP connects and accepts: pid, uid, comm, addresses, ports",
	  "struct tcp_event", tcp_cdef, source_tcp__elf_bytes },
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

int rl_source_open(struct rl_bpf **out, const struct rl_source *src, uint32_t tgid,
		   uint32_t self_tgid)
{
	struct rl_bpf *b = NULL;
	size_t size;
	const void *elf = src->elf(&size);
	int err = rl_bpf_open_mem(&b, elf, size, src->name);

	if (!err)
		err = rl_bpf_set_global(b, "targ_tgid", &tgid, sizeof(tgid));
	if (!err)
		err = rl_bpf_set_global(b, "self_tgid", &self_tgid, sizeof(self_tgid));
	if (err)
		fprintf(stderr, "ringlua: source %s: cannot prepare its BPF object: %s\n",
			src->name, strerror(-err));
	else
		err = rl_bpf_load_attach(b);
	if (err) {
		rl_bpf_close(b);
		return err;
	}
	*out = b;
	return 0;
}
