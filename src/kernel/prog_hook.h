/* What a program's section name says of where it attaches: its kind, and the hook (the
 * kernel event) it runs at, so that programs offering the same event through different
 * kinds of probe are known for alternatives. Pure string work: no kernel, no libbpf. */
#ifndef RINGLUA_PROG_HOOK_H
#define RINGLUA_PROG_HOOK_H

#include <stdbool.h>
#include <stddef.h>

/* Whether section is of one of kinds: it starts with one of them followed by '/', '.' or
 * its end ("kprobe" is the kind of "kprobe/x" and "kprobe.multi/x", not of "kprobes"). */
bool rl_section_kind(const char *section, const char *const *kinds, size_t n);

/* The hook of section, written into key as "entry:FUNC" (fentry, kprobe), "exit:FUNC"
 * (fexit, kretprobe) or "event:NAME" (tp_btf, raw_tp, tracepoint CAT/NAME, ksyscall
 * NAME as sys_enter_NAME, kretsyscall as sys_exit_NAME). Returns the kind's rank among
 * alternatives, lower preferred: fentry/fexit 0, tp_btf 1, raw_tp 2, tracepoint 3,
 * ksyscall/kretsyscall 4, kprobe/kretprobe 5; or -1 (key "") for a section of no such
 * kind, a kprobe at an offset (no function's entry), or a key longer than size. */
int rl_prog_hook(const char *section, char *key, size_t size);

#endif
