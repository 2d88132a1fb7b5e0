/* A user's BPF object loaded and attached the way the tools' own front ends choose among
 * their programs (fentry or kprobe, tp_btf or raw_tp, ...), without their C: what this
 * kernel loads and attaches is kept, the rest left out with one line each saying why.
 *
 * Load. libbpf loads an object whole or not at all, stopping at the first program that
 * fails, and a failed object cannot be loaded again. So the object is loaded; when that
 * fails, the program that failed is found, left out, and the object opened afresh from
 * its bytes (rl_bpf_reopen, the settings carried over) and loaded again. The program is
 * the one with a verifier log (the kernel verified and refused it). When none has one,
 * the failure came before the verifier (a BTF id libbpf cannot find, a kind the kernel
 * refuses): the object is loaded once with no program, to tell a failure of its own
 * (stop) from a program's, then with one program alone at a time, in libbpf's order,
 * until one fails; a program is tried alone at most once a run. So an object with k
 * programs that fail loads about k + 1 times (plus n small loads, only when failures
 * have no log).
 *
 * Attach. Programs of the same hook (rl_prog_hook: the same kernel function's entry or
 * exit, or the same tracepoint) through different kinds of probe are alternatives: the
 * first that attaches, in the order of rl_prog_hook's ranks (fentry/fexit, tp_btf,
 * raw_tp, tracepoint, ksyscall, kprobe), is kept, and the others are not attached. Any
 * other program is attached by itself.
 *
 * The run fails when nothing loads, nothing attaches, or, with programs left out, no
 * program kept writes to a ring buffer or perf event array (by the kernel's list of
 * each loaded program's maps: a program that did not load has none to ask for, so
 * which of those left out wrote to it is not known). */
#ifndef RINGLUA_BPF_KEEP_H
#define RINGLUA_BPF_KEEP_H

#include <stddef.h>

struct rl_bpf;

/* What the user chose: --only and --skip, each a list of arguments of comma-separated
 * program names. */
struct rl_keep_opts {
	const char *const *only;	/* these programs alone; none: all */
	size_t nr_only;
	const char *const *skip;	/* not these */
	size_t nr_skip;
	int verbose;			/* -v: say which programs were attached, which not */
};

/* Loads b and attaches what it can, as above; programs set not to auto-attach are
 * loaded and left to the caller. Returns 0; -EDOM (printed, with the object's programs)
 * for a name --only or --skip gives that is no program of it; or -errno (printed). */
int rl_bpf_keep(struct rl_bpf *b, const struct rl_keep_opts *o);

#endif
