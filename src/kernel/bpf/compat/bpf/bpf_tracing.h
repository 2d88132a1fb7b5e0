/* libbpf's bpf_tracing.h, and the macros newer libbpf versions have that programs written
 * for them use (libbpf-tools' BPF_UPROBE, BPF_URETPROBE): defined here only where the
 * installed libbpf lacks them, so a newer one's own always win. ringlua puts this
 * directory before the system's when it compiles a program. */
#include_next <bpf/bpf_tracing.h>

#ifndef RINGLUA_COMPAT_BPF_TRACING_H
#define RINGLUA_COMPAT_BPF_TRACING_H

/* A uprobe's arguments are a kprobe's (libbpf 1.2's own definitions are these). */
#ifndef BPF_UPROBE
#define BPF_UPROBE(name, args...) BPF_KPROBE(name, ##args)
#endif
#ifndef BPF_URETPROBE
#define BPF_URETPROBE(name, args...) BPF_KRETPROBE(name, ##args)
#endif

#endif
