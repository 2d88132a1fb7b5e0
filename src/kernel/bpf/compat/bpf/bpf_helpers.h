/* libbpf's bpf_helpers.h, and bpf_ksym_exists, which newer libbpf versions have and
 * libbpf-tools use to pick between alternatives: defined here only where the installed
 * libbpf lacks it. ringlua puts this directory before the system's when it compiles a
 * program. */
#include_next <bpf/bpf_helpers.h>

#ifndef RINGLUA_COMPAT_BPF_HELPERS_H
#define RINGLUA_COMPAT_BPF_HELPERS_H

/* Whether a __weak __ksym symbol (a kernel function or variable) was found at load: a
 * missing one is 0, which the verifier then knows. */
#ifndef bpf_ksym_exists
#define bpf_ksym_exists(sym) (!!(sym))
#endif

#endif
