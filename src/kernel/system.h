/* What the machine must offer before BPF is loaded: privileges and mounted filesystems. */
#ifndef RINGLUA_SYSTEM_H
#define RINGLUA_SYSTEM_H

#include <stdbool.h>
#include <stddef.h>

/* Where tracefs is mounted (rl_ensure_mounts mounts it there). */
#define RL_TRACEFS_DIR "/sys/kernel/tracing"

/* True when this process may load BPF programs and attach them to tracepoints:
 * CAP_SYS_ADMIN, or CAP_BPF with CAP_PERFMON. */
bool rl_can_trace(void);

/* Mounts tracefs at /sys/kernel/tracing and bpffs at /sys/fs/bpf where nothing is
 * mounted yet: tracepoints and pinned maps need them. Returns 0 or -errno (printed). */
int rl_ensure_mounts(void);

/* The directory holding ringlua's lua/ and scripts/: <exe>/../share/ringlua once
 * installed, else the source tree the binary was built from. Returns 0 or -ENOENT. */
int rl_data_dir(char *buf, size_t len);

/* The directory holding the Lua modules generated at build time (ringlua.hotpath,
 * ringlua.kernel_names): <exe>/../share/ringlua/lua once installed, else the build
 * tree's. Returns 0 or -ENOENT. */
int rl_generated_lua_dir(char *buf, size_t len);

/* The directory holding vmlinux.h for compiling BPF programs: <exe>/../share/ringlua/
 * include once installed, else the build tree's. Returns 0 or -ENOENT. */
int rl_include_dir(char *buf, size_t len);

#endif
