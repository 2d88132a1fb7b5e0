#include "kernel/uprobes.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kernel/bpf_obj.h"

/* The dynamic linker's cache as ldconfig prints it; /sbin is where Debian keeps it. */
#define LDCONFIG_LIST "/sbin/ldconfig -p 2>/dev/null"
#define PROBE_MAX 4096

/* The tag ldconfig gives libraries of this machine's architecture. */
#if defined(__x86_64__)
#define NATIVE_TAG "x86-64"
#elif defined(__aarch64__)
#define NATIVE_TAG "AArch64"
#else
#define NATIVE_TAG ""
#endif

/* Whether soname is the library name asks for: the same, or name followed by ".so". */
static bool library_matches(const char *soname, const char *name)
{
	size_t len = strlen(name);

	return !strcmp(soname, name) || (!strncmp(soname, name, len) &&
					 !strncmp(soname + len, ".so", 3));
}

/* The library name from the dynamic linker's cache, native ones first. Returns 0 or
 * -ENOENT. */
static int find_library(const char *name, char *out, size_t size)
{
	FILE *f = popen(LDCONFIG_LIST, "r");
	char line[PATH_MAX + 256], soname[256], tags[128], path[PATH_MAX];
	bool found = false, native = false;

	if (!f)
		return -ENOENT;
	while (!native && fgets(line, sizeof(line), f)) {
		if (sscanf(line, " %255s (%127[^)]) => %4095s", soname, tags, path) != 3 ||
		    !library_matches(soname, name))
			continue;
		native = strstr(tags, NATIVE_TAG) != NULL;
		if (!found || native)
			snprintf(out, size, "%s", path);
		found = true;
	}
	pclose(f);
	return found ? 0 : -ENOENT;
}

/* The program name along $PATH, as a shell finds it. Returns 0 or -ENOENT. */
static int find_program(const char *name, char *out, size_t size)
{
	const char *dirs = getenv("PATH");

	for (const char *at = dirs ? dirs : "/usr/bin:/bin"; *at; ) {
		size_t len = strcspn(at, ":");

		snprintf(out, size, "%.*s/%s", (int)len, at, name);
		if (len && access(out, X_OK) == 0)
			return 0;
		at += len + (at[len] == ':');
	}
	return -ENOENT;
}

int rl_uprobe_path(const char *name, char *out, size_t size)
{
	if (strchr(name, '/')) {
		if ((size_t)snprintf(out, size, "%s", name) >= size)
			return -ENAMETOOLONG;
		return access(out, R_OK) ? -errno : 0;
	}
	if (find_library(name, out, size) == 0)
		return 0;
	return find_program(name, out, size);
}

/* path as process pid sees it, through its root: a process in a container of its own
 * sees its own files. Returns 0 (readable), -ENAMETOOLONG or -errno. */
static int in_root(uint32_t pid, const char *path, char *out, size_t size)
{
	if ((size_t)snprintf(out, size, "/proc/%u/root%s", pid, path) >= size)
		return -ENAMETOOLONG;
	return access(out, R_OK) ? -errno : 0;
}

/* The library named name that process pid has mapped, through its root. Returns 0,
 * -ENOENT (none so named) or -errno (no such process). */
static int mapped_library(uint32_t pid, const char *name, char *out, size_t size)
{
	char maps[64], line[PATH_MAX + 128];
	int err = -ENOENT;
	FILE *f;

	snprintf(maps, sizeof(maps), "/proc/%u/maps", pid);
	f = fopen(maps, "re");
	if (!f)
		return -errno;
	while (err && fgets(line, sizeof(line), f)) {
		char *path = strchr(line, '/');

		if (!path)
			continue;
		path[strcspn(path, "\n")] = '\0';
		if (library_matches(strrchr(path, '/') + 1, name))
			err = in_root(pid, path, out, size);
	}
	fclose(f);
	return err;
}

int rl_uprobe_path_in(const char *name, uint32_t pid, char *out, size_t size)
{
	if (!pid)
		return rl_uprobe_path(name, out, size);
	if (strchr(name, '/'))
		return in_root(pid, name, out, size);
	if (mapped_library(pid, name, out, size) == 0)
		return 0;
	return rl_uprobe_path(name, out, size);
}

int rl_uprobe_find(const char *what, const char *name, uint32_t pid, char *out,
		   size_t size)
{
	int err = rl_uprobe_path_in(name, pid, out, size);

	if (err)
		fprintf(stderr, "ringlua: %s: %s: %s\n", what, name, err == -ENOENT ?
			"no such file, library (ldconfig -p) or program ($PATH)" : strerror(-err));
	return err;
}

/* Attaches one probe "KIND:PATH:FUNCTION" with cookie index. Returns 0 or -errno
 * (printed). */
static int attach_one(struct rl_bpf *b, const char *probe, uint64_t index, uint32_t pid)
{
	char kind[16], file[PATH_MAX], path[PATH_MAX], func[PROBE_MAX];
	const char *first = strchr(probe, ':'), *last = strrchr(probe, ':');
	struct rl_uprobe u = { .path = path, .func = func, .pid = pid, .cookie = index };
	int err;

	snprintf(kind, sizeof(kind), "%.*s", (int)(first - probe), probe);
	snprintf(file, sizeof(file), "%.*s", (int)(last - first - 1), first + 1);
	snprintf(func, sizeof(func), "%s", last + 1);
	u.ret = !strcmp(kind, "uretprobe");
	err = rl_uprobe_find(probe, file, pid, path, sizeof(path));
	if (err)
		return err;
	err = rl_bpf_attach_uprobe(b, u.ret ? "rl_uretprobe" : "rl_uprobe", &u);
	if (err == -ENOENT)
		fprintf(stderr, "ringlua: %s: %s has no function %s (in .symtab or .dynsym)\n",
			probe, path, func);
	else if (err)
		fprintf(stderr, "ringlua: %s: cannot attach to %s in %s: %s\n", probe, func, path,
			strerror(-err));
	return err;
}

int rl_probe_list_each(const char *list, uint32_t pid, struct rl_bpf *b,
		       int (*attach)(struct rl_bpf *b, const char *probe, uint64_t index,
				     uint32_t pid))
{
	char probe[PROBE_MAX];
	uint64_t index = 0;
	int err = 0;

	for (const char *at = list; !err && *at; index++) {
		size_t len = strcspn(at, ",");

		snprintf(probe, sizeof(probe), "%.*s", (int)len, at);
		err = attach(b, probe, index, pid);
		at += len + (at[len] == ',');
	}
	return err;
}

int rl_uprobes_attach(struct rl_bpf *b, const char *list, uint32_t pid)
{
	return rl_probe_list_each(list, pid, b, attach_one);
}
