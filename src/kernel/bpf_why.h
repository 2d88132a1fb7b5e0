/* Why a program of a BPF object could not be loaded or attached, in words: the errno's
 * text and, where it can be found out, what the running kernel lacks (kprobes, BPF
 * trampolines, a tracepoint, a BTF id). The one place that knows these reasons. */
#ifndef RINGLUA_BPF_WHY_H
#define RINGLUA_BPF_WHY_H

#include <stdbool.h>
#include <stddef.h>

struct bpf_program;

/* Whether section is a kind attached through a BPF trampoline (fentry, fexit, fmod_ret,
 * lsm, freplace), which some kernels refuse. */
bool rl_bpf_is_trampoline(const char *section);

/* Whether the running kernel has the tracepoint CATEGORY/NAME (in tracefs's events). */
bool rl_bpf_tracepoint_exists(const char *category_name);

/* Why prog failed to load or attach with err (-errno): the errno's text and what the
 * kernel lacks, written into buf, which is returned; or a fixed text, for failures that
 * have a reason of their own (a section that names no target, one ringlua cannot
 * attach, a perf_event program without a frequency). */
const char *rl_bpf_why(const struct bpf_program *prog, int err, char *buf, size_t size);

#endif
