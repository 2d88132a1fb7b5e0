#include "kernel/system.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <linux/capability.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#define TRACEFS_MAGIC 0x74726163
#define BPF_FS_MAGIC 0xcafe4a11
/* Older uapi headers lack the capabilities BPF tracing was split into. */
#define CAP_PERFMON_BIT 38
#define CAP_BPF_BIT 39

static bool has_cap(const struct __user_cap_data_struct *d, int cap)
{
	return d[cap / 32].effective & (1u << (cap % 32));
}

bool rl_can_trace(void)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = { 0 };

	if (syscall(SYS_capget, &hdr, data))
		return geteuid() == 0;
	return has_cap(data, CAP_SYS_ADMIN) ||
	       (has_cap(data, CAP_BPF_BIT) && has_cap(data, CAP_PERFMON_BIT));
}

static int ensure_mount(const char *path, const char *fstype, long magic)
{
	struct statfs st;

	if (statfs(path, &st) == 0 && st.f_type == magic)
		return 0;
	if (mount(fstype, path, fstype, 0, NULL) == 0)
		return 0;
	fprintf(stderr, "ringlua: cannot mount %s at %s: %s\n", fstype, path, strerror(errno));
	return -errno;
}

int rl_ensure_mounts(void)
{
	int err = ensure_mount(RL_TRACEFS_DIR, "tracefs", TRACEFS_MAGIC);
	int err2 = ensure_mount("/sys/fs/bpf", "bpf", BPF_FS_MAGIC);

	return err ? err : err2;
}

/* The directory the running binary is in, into buf. Returns 0 or -errno. */
static int exe_dir(char *buf, size_t len)
{
	ssize_t n = readlink("/proc/self/exe", buf, len - 1);
	char *slash;

	if (n <= 0)
		return -errno;
	buf[n] = '\0';
	slash = strrchr(buf, '/');
	if (slash)
		*slash = '\0';
	return 0;
}

static bool has_file(const char *dir, const char *file)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	return access(path, R_OK) == 0;
}

/* Whether the binary in directory exe is one of the build tree's: only those take the
 * build's own directories. A copy installed elsewhere without share/ringlua must not
 * load modules from wherever the build machine kept its sources. */
static bool in_build_tree(const char *exe)
{
	size_t n = strlen(RINGLUA_BUILD_DIR);

	return !strncmp(exe, RINGLUA_BUILD_DIR, n) && (exe[n] == '/' || exe[n] == '\0');
}

/* Into buf: share/ringlua<sub> beside the binary once installed, else, for a binary of
 * the build tree, the build's own fallback, whichever holds marker. Returns 0 or
 * -ENOENT. */
static int find_dir(char *buf, size_t len, const char *sub, const char *fallback,
		    const char *marker)
{
	char exe[PATH_MAX], real[PATH_MAX];

	if (exe_dir(exe, sizeof(exe)))
		return -ENOENT;
	snprintf(buf, len, "%s/../%s/ringlua%s", exe, RINGLUA_DATAROOT_REL, sub);
	if (has_file(buf, marker)) {
		/* Named without "bin/..", as messages show it. */
		if (realpath(buf, real) && strlen(real) < len)
			snprintf(buf, len, "%s", real);
		return 0;
	}
	if (!in_build_tree(exe))
		return -ENOENT;
	snprintf(buf, len, "%s", fallback);
	return has_file(buf, marker) ? 0 : -ENOENT;
}

int rl_data_dir(char *buf, size_t len)
{
	return find_dir(buf, len, "", RINGLUA_SOURCE_DIR, "lua/ringlua/host.lua");
}

/* Lua modules generated at build time: installed beside the others under
 * share/ringlua/lua, else in the build tree's lua/. */
int rl_generated_lua_dir(char *buf, size_t len)
{
	return find_dir(buf, len, "/lua", RINGLUA_GENERATED_LUA_DIR, "ringlua/hotpath.lua");
}

/* ringlua's headers for BPF programs it compiles (vmlinux.h): installed under
 * share/ringlua/include, else the build tree's generated headers. */
int rl_include_dir(char *buf, size_t len)
{
	return find_dir(buf, len, "/include", RINGLUA_BPF_INCLUDE_DIR, "vmlinux.h");
}
