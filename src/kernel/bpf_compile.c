#include "kernel/bpf_compile.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util/script_file.h"
#include "util/sha256.h"
#include "util/clock.h"

extern char **environ;

#define SYSTEM_CACHE_DIR "/var/cache/ringlua"
/* Bumped when the layout of cached objects or of the key changes. */
#define CACHE_KEY_VERSION "ringlua-bpf-cache-2"
#define MAX_VERSION_TEXT 1024
/* -g -O2 -target bpf -D... -I<vmlinux.h> -I<source dir> -x c -c - -o OUT (or -M -MF OUT):
 * ARGV_MAX is ample. */
#define ARGV_MAX 16

/* The compile flags that decide what the object is (everything but input and output). */
struct flags {
	char include[PATH_MAX + 2];
	char source_dir[PATH_MAX + 2];
	const char *argv[ARGV_MAX];
	int argc;
};

static void build_flags(struct flags *f, const struct rl_compile *c)
{
	char dir[PATH_MAX];
	static const char *const fixed[] = { RINGLUA_CLANG, "-g", "-O2", "-target", "bpf",
					     RINGLUA_BPF_ARCH_DEFINE };

	snprintf(dir, sizeof(dir), "%s", c->path);
	snprintf(f->include, sizeof(f->include), "-I%s", c->include_dir);
	snprintf(f->source_dir, sizeof(f->source_dir), "-I%s", dirname(dir));
	f->argc = 0;
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		f->argv[f->argc++] = fixed[i];
	f->argv[f->argc++] = f->include;
	f->argv[f->argc++] = f->source_dir;
}

/* Waits for pid; returns its exit status, or -ECHILD when a signal ended it. */
static int wait_exit(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -ECHILD;
}

static int write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Runs argv with `pipe_fd` as its standard input (when in_pipe) or its standard output;
 * stderr is ours, so the compiler's messages reach the user as they are. Returns the
 * child's pid, or -errno. The caller's end of the pipe comes back in *our_end. */
static pid_t spawn_piped(const char *const *argv, bool in_pipe, int *our_end)
{
	posix_spawn_file_actions_t fa;
	int p[2], child_end, err;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC))
		return -errno;
	child_end = in_pipe ? p[0] : p[1];
	*our_end = in_pipe ? p[1] : p[0];
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, child_end, in_pipe ? STDIN_FILENO : STDOUT_FILENO);
	err = posix_spawn(&pid, argv[0], &fa, NULL, (char *const *)argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(child_end);
	if (err) {
		close(*our_end);
		return -err;
	}
	return pid;
}

/* `clang --version`, into buf: part of the cache key. Returns 0 or -errno. */
static int clang_version(char *buf, size_t len)
{
	const char *argv[] = { RINGLUA_CLANG, "--version", NULL };
	size_t got = 0;
	ssize_t n;
	int fd, status;
	pid_t pid = spawn_piped(argv, false, &fd);

	if (pid < 0)
		return pid;
	while ((n = read(fd, buf + got, len - 1 - got)) > 0 || (n < 0 && errno == EINTR))
		got += n > 0 ? (size_t)n : 0;
	buf[got] = '\0';
	close(fd);
	status = wait_exit(pid);
	if (status > 0)
		return -ENOEXEC; /* clang ran, and failed */
	return status;
}

/* Adds the contents of the file at path to s. Returns 0 or -errno. */
static int hash_file(struct rl_sha256 *s, const char *path)
{
	char buf[65536];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	while ((n = read(fd, buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR))
		if (n > 0)
			rl_sha256_update(s, buf, (size_t)n);
	close(fd);
	return n < 0 ? -errno : 0;
}

/* The next file name of a make rule as clang -M writes it ("-.o: a.h \<newline> b.h"),
 * unescaped into name. Returns false at the end. */
static bool next_dep(const char **p, char name[PATH_MAX])
{
	const char *s = *p;
	size_t n = 0;

	while (*s == ' ' || *s == '\t' || *s == '\n' || (*s == '\\' && s[1] == '\n'))
		s += *s == '\\' ? 2 : 1;
	for (; *s && *s != ' ' && *s != '\t' && *s != '\n' && n < PATH_MAX - 1; s++) {
		if (*s == '\\' && s[1] == '\n')
			break;
		if (*s == '\\' && (s[1] == ' ' || s[1] == '#'))
			s++;
		else if (*s == '$' && s[1] == '$')
			s++;
		name[n++] = *s;
	}
	name[n] = '\0';
	*p = s;
	return n > 0;
}

/* Adds every header the source includes (clang's rule in deps, the source itself not
 * among them: it comes on stdin), its name and its contents, to s. Returns 0 or -errno. */
static int hash_headers(struct rl_sha256 *s, const char *deps)
{
	char name[PATH_MAX];
	const char *p = strchr(deps, ':');
	int err = 0;

	if (!p)
		return -EBADMSG;
	for (p++; !err && next_dep(&p, name);) {
		rl_sha256_update(s, name, strlen(name) + 1);
		err = hash_file(s, name);
	}
	return err;
}

/* The object's name in the cache: the hash of what decides its content, in hex. deps is
 * clang's list of the headers the source includes: editing one makes a new object. */
static int cache_key(const struct flags *f, const char *version, const struct rl_compile *c,
		     const char *deps, char hex[2 * RL_SHA256_LEN + 1])
{
	struct rl_sha256 s;
	uint8_t digest[RL_SHA256_LEN];
	int err;

	rl_sha256_init(&s);
	rl_sha256_update(&s, CACHE_KEY_VERSION, sizeof(CACHE_KEY_VERSION));
	for (int i = 0; i < f->argc; i++)
		rl_sha256_update(&s, f->argv[i], strlen(f->argv[i]) + 1);
	rl_sha256_update(&s, version, strlen(version) + 1);
	/* The path too: clang records it in the object's debug information. */
	rl_sha256_update(&s, c->path, strlen(c->path) + 1);
	rl_sha256_update(&s, c->text, c->len);
	err = hash_headers(&s, deps);
	if (err)
		return err;
	rl_sha256_final(&s, digest);
	for (int i = 0; i < RL_SHA256_LEN; i++)
		snprintf(hex + 2 * i, 3, "%02x", digest[i]);
	return 0;
}

int rl_compile_cache_dir(char *buf, size_t len)
{
	const char *xdg = getenv("XDG_CACHE_HOME");
	int n = xdg && xdg[0] == '/' ? snprintf(buf, len, "%s/ringlua", xdg) :
		snprintf(buf, len, "%s", SYSTEM_CACHE_DIR);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* Creates dir (private to us: others could otherwise plant objects) unless it exists. */
static int make_cache_dir(const char *dir)
{
	if (mkdir(dir, 0700) && errno != EEXIST)
		return -errno;
	return 0;
}

/* Feeds clang the source on stdin, behind a line marker so its messages name the file. */
static int feed_source(int fd, const struct rl_compile *c)
{
	char marker[PATH_MAX + 16];
	int n = snprintf(marker, sizeof(marker), "# 1 \"%s\"\n", c->path);
	int err = write_all(fd, marker, (size_t)n);

	return err ? err : write_all(fd, c->text, c->len);
}

/* Runs clang on the source with the flags, then tail (what to make of it, and where).
 * Returns 0, clang's exit status (>0), or -errno. */
static int run_clang(struct flags *f, const struct rl_compile *c, const char *const *tail)
{
	int fd, err, status, argc = f->argc;
	pid_t pid;

	f->argv[argc++] = "-x";
	f->argv[argc++] = "c";
	while (*tail && argc < ARGV_MAX - 1)
		f->argv[argc++] = *tail++;
	f->argv[argc] = NULL;
	pid = spawn_piped(f->argv, true, &fd);
	if (pid < 0)
		return pid;
	err = feed_source(fd, c);
	close(fd);
	status = wait_exit(pid);
	/* A write that failed because clang stopped reading is clang's error, not ours. */
	return status != 0 ? status : err;
}

/* Says why clang could not make what was asked (after its own messages); returns the
 * -errno for it. */
static int clang_failed(const struct rl_compile *c, int status)
{
	if (status > 0)
		fprintf(stderr, "ringlua: %s: clang failed to compile it (exit %d)\n", c->path,
			status);
	else
		fprintf(stderr, "ringlua: %s: cannot compile it with %s: %s\n", c->path,
			RINGLUA_CLANG, strerror(-status));
	return status > 0 ? -ENOEXEC : status;
}

/* clang's list of the headers the source includes (`-M`: all of them, vmlinux.h and
 * libbpf's too), into a malloc'd *deps, by way of a file in the cache directory dir.
 * Returns 0, or -errno with one line printed. */
static int list_headers(struct flags *f, const struct rl_compile *c, const char *dir,
			char **deps)
{
	char tmp[PATH_MAX + 32];
	const char *tail[] = { "-M", "-MF", tmp, "-", NULL };
	const char *why;
	size_t len;
	int status;

	snprintf(tmp, sizeof(tmp), "%s/deps.%d.tmp", dir, (int)getpid());
	status = run_clang(f, c, tail);
	if (status) {
		unlink(tmp);
		return clang_failed(c, status);
	}
	/* Just written by the clang we ran, in our own directory; and it names only which
	 * cached object to load, which is itself checked. */
	status = rl_script_read(tmp, true, deps, &len, &why);
	unlink(tmp);
	if (status)
		fprintf(stderr, "ringlua: %s: cannot read the headers clang found: %s\n",
			c->path, why);
	return status;
}

/* Compiles c into obj_path by way of a temporary file, renamed into place only when
 * clang succeeded, so the cache never holds half an object. */
static int compile_into(struct flags *f, const struct rl_compile *c, const char *obj_path)
{
	char tmp[PATH_MAX + 32];
	uint64_t t0 = rl_now_ns();
	int status;
	const char *tail[] = { "-c", "-", "-o", tmp, NULL };

	snprintf(tmp, sizeof(tmp), "%s.%d.tmp", obj_path, (int)getpid());
	status = run_clang(f, c, tail);
	/* Cached objects are loaded only when nobody else could have written them. */
	if (status == 0 && (chmod(tmp, 0600) || rename(tmp, obj_path)))
		status = -errno;
	if (status) {
		unlink(tmp);
		return clang_failed(c, status);
	}
	fprintf(stderr, "ringlua: compiled %s (%.0f ms)\n", c->path,
		(double)(rl_now_ns() - t0) / 1e6);
	return 0;
}

int rl_compile_bpf(const struct rl_compile *c, char *obj_path, size_t obj_len)
{
	struct flags f;
	char version[MAX_VERSION_TEXT], dir[PATH_MAX], key[2 * RL_SHA256_LEN + 1];
	char *deps = NULL;
	int err;

	build_flags(&f, c);
	err = clang_version(version, sizeof(version));
	if (err) {
		fprintf(stderr, "ringlua: %s: cannot run %s to compile it: %s\n", c->path,
			RINGLUA_CLANG, strerror(-err));
		return err;
	}
	err = rl_compile_cache_dir(dir, sizeof(dir));
	if (!err)
		err = make_cache_dir(dir);
	if (err) {
		fprintf(stderr, "ringlua: cannot create the cache directory %s: %s\n", dir,
			strerror(-err));
		return err;
	}
	err = list_headers(&f, c, dir, &deps);
	if (err)
		return err;
	err = cache_key(&f, version, c, deps, key);
	free(deps);
	if (err) {
		fprintf(stderr, "ringlua: %s: cannot read a header it includes: %s\n", c->path,
			strerror(-err));
		return err;
	}
	if (snprintf(obj_path, obj_len, "%s/%s.bpf.o", dir, key) >= (int)obj_len)
		return -ENAMETOOLONG;
	if (access(obj_path, F_OK) == 0)
		return 0;
	return compile_into(&f, c, obj_path);
}
