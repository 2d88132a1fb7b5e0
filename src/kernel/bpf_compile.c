#include "kernel/bpf_compile.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util/script_file.h"
#include "util/sha256.h"
#include "util/clock.h"
#include "util/tool_env.h"


#define SYSTEM_CACHE_DIR "/var/cache/ringlua"
/* Bumped when the layout of cached objects or of the key changes. */
#define CACHE_KEY_VERSION "ringlua-bpf-cache-3"
#define MAX_VERSION_TEXT 1024
/* -g -O2 -target bpf -D... -I<source dir> -I<vmlinux.h> -idirafter <multiarch> -x c
 * SOURCE -c -o - (or -M): ARGV_MAX is ample. */
#define ARGV_MAX 24
/* What clang writes to its standard output is read in steps of this many bytes. */
#define READ_CHUNK 65536
/* Tries at an unused temporary name: a clash of 64 random bits is already unlikely. */
#define TEMP_NAME_TRIES 16
/* A cached object larger than this is not one clang made for us. */
#define MAX_OBJECT_BYTES (256u << 20)

/* The compile flags that decide what the object is (everything but input and output). */
struct flags {
	char include[PATH_MAX + 2];
	char source_dir[PATH_MAX + 2];
	const char *argv[ARGV_MAX];
	int argc;
};

/* What clang wrote to its standard output. */
struct output {
	char *buf;
	size_t len;
};

/* As the tools' own Makefiles compile them: the source's directory first (a vmlinux.h
 * beside the source wins), then ringlua's (vmlinux.h, and what newer libbpf headers
 * have), and last the multiarch directory, where Debian keeps <asm/errno.h> that
 * libbpf's usdt.bpf.h needs and `clang -target bpf` does not look. */
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
	f->argv[f->argc++] = f->source_dir;
	f->argv[f->argc++] = f->include;
	if (RINGLUA_BPF_MULTIARCH_DIR[0]) {
		f->argv[f->argc++] = "-idirafter";
		f->argv[f->argc++] = RINGLUA_BPF_MULTIARCH_DIR;
	}
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

/* Reads fd to its end into a malloc'd out->buf (NUL-terminated), at most max bytes.
 * Returns 0, or -errno (-EFBIG past max) with nothing allocated. */
static int read_to_end(int fd, size_t max, struct output *out)
{
	char *buf = NULL;
	size_t len = 0, cap = 0;
	int err = 0;

	for (;;) {
		ssize_t n;

		if (cap - len < READ_CHUNK + 1) {
			char *bigger = realloc(buf, cap + READ_CHUNK + 1);

			if (!bigger) {
				err = -ENOMEM;
				break;
			}
			buf = bigger;
			cap += READ_CHUNK + 1;
		}
		n = read(fd, buf + len, READ_CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			err = n < 0 ? -errno : 0;
			break;
		}
		len += (size_t)n;
		if (len > max) {
			err = -EFBIG;
			break;
		}
	}
	if (err) {
		free(buf);
		return err;
	}
	buf[len] = '\0';
	out->buf = buf;
	out->len = len;
	return 0;
}

/* Runs argv with a pipe as its standard output; stderr is ours, so the compiler's
 * messages reach the user as they are. Returns the child's pid, or -errno. Our end of
 * the pipe comes back in *our_end. */
static pid_t spawn_reading(const char *const *argv, int *our_end)
{
	posix_spawn_file_actions_t fa;
	int p[2], err;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC))
		return -errno;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, p[1], STDOUT_FILENO);
	err = posix_spawn(&pid, argv[0], &fa, NULL, (char *const *)argv, rl_tool_env());
	posix_spawn_file_actions_destroy(&fa);
	close(p[1]);
	if (err) {
		close(p[0]);
		return -err;
	}
	*our_end = p[0];
	return pid;
}

/* Runs argv and collects what it writes to its standard output (at most max bytes) into
 * *out. Returns 0, its exit status (>0), or -errno; *out is set only on 0. */
static int run_collecting(const char *const *argv, size_t max, struct output *out)
{
	int fd = -1, err, status;
	pid_t pid = spawn_reading(argv, &fd);

	if (pid < 0)
		return pid;
	err = read_to_end(fd, max, out);
	close(fd);
	status = wait_exit(pid);
	if (status == 0 && err == 0)
		return 0;
	if (err == 0) {
		free(out->buf);
		*out = (struct output){ 0 };
	}
	/* A read that failed because clang stopped writing is clang's error, not ours. */
	return status != 0 ? status : err;
}

/* `clang --version`, into buf: part of the cache key. Returns 0 or -errno. */
static int clang_version(char *buf, size_t len)
{
	const char *argv[] = { RINGLUA_CLANG, "--version", NULL };
	struct output out;
	int status = run_collecting(argv, len - 1, &out);

	if (status > 0)
		return -ENOEXEC; /* clang ran, and failed */
	if (status < 0)
		return status;
	snprintf(buf, len, "%s", out.buf);
	free(out.buf);
	return 0;
}

/* The next file name of a make rule as clang -M writes it ("x.o: x.bpf.c \<newline> b.h"),
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

/* Reads one file the compile depends on through the script rule (a header others could
 * have written would be compiled into a program root loads) and adds its name and the
 * bytes checked to s. Returns 0, or -errno with one line printed. */
static int hash_checked_file(struct rl_sha256 *s, const struct rl_compile *c,
			     const char *name)
{
	const char *why;
	char *text = NULL;
	size_t len;
	int err = rl_script_read(name, c->unsafe_perms, &text, &len, &why);

	if (err == -EPERM)
		fprintf(stderr, "ringlua: refusing to compile %s: it includes %s: %s "
				"(--unsafe-perms overrides)\n", c->path, name, why);
	else if (err)
		fprintf(stderr, "ringlua: %s: cannot read %s it includes: %s\n", c->path, name,
			why);
	if (err)
		return err;
	rl_sha256_update(s, name, strlen(name) + 1);
	rl_sha256_update(s, text, len);
	free(text);
	return 0;
}

/* Adds every file of clang's rule in deps (the source and each header it includes,
 * vmlinux.h and libbpf's too), each checked, to s. Returns 0, or -errno with one line
 * printed. */
static int hash_dependencies(struct rl_sha256 *s, const struct rl_compile *c,
			     const char *deps)
{
	char name[PATH_MAX];
	const char *p = strchr(deps, ':');
	int err = 0;

	if (!p) {
		fprintf(stderr, "ringlua: %s: clang listed no headers for it\n", c->path);
		return -EBADMSG;
	}
	for (p++; !err && next_dep(&p, name);)
		err = hash_checked_file(s, c, name);
	return err;
}

/* The object's name in the cache: the hash of what decides its content, in hex. deps is
 * clang's list of the files the compile reads: editing one makes a new object. Returns
 * 0, or -errno with one line printed. */
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
	err = hash_dependencies(&s, c, deps);
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

/* Creates dir and whichever of its parents are missing, private to us (mode 0700).
 * Returns 0 or -errno. */
static int make_dirs(const char *dir)
{
	char path[PATH_MAX];

	if (snprintf(path, sizeof(path), "%s", dir) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	for (char *slash = strchr(path + 1, '/');; slash = strchr(slash + 1, '/')) {
		if (slash)
			*slash = '\0';
		if (mkdir(path, 0700) && errno != EEXIST)
			return -errno;
		if (!slash)
			return 0;
		*slash = '/';
	}
}

/* Why the opened cache directory (or a cached object) is not to be trusted, or NULL:
 * only what we wrote ourselves, where nobody else can write, is loaded as root's. */
static const char *untrusted_cache_entry(const struct stat *st)
{
	if (st->st_uid != geteuid())
		return "owned by another user";
	if (st->st_mode & (S_IWGRP | S_IWOTH))
		return "writable by group or others";
	return NULL;
}

/* Opens the cache directory dir (created when missing), refusing a link, a file that is
 * not a directory, and one another user owns or could write into. Returns its
 * descriptor, or -errno with one line printed. */
static int open_cache_dir(const char *dir)
{
	struct stat st;
	const char *why = NULL;
	int err = make_dirs(dir), fd = -1;

	if (err) {
		fprintf(stderr, "ringlua: cannot create the cache directory %s: %s\n", dir,
			strerror(-err));
		return err;
	}
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		why = errno == ELOOP || errno == ENOTDIR ? "not a directory, or a link" :
							     strerror(errno);
	else if (fstat(fd, &st))
		why = strerror(errno);
	else
		why = untrusted_cache_entry(&st);
	if (!why)
		return fd;
	if (fd >= 0)
		close(fd);
	fprintf(stderr, "ringlua: refusing the cache directory %s: %s\n", dir, why);
	return -EPERM;
}

/* Reads the cached object name from the cache directory dir_fd into *obj, without
 * following a link and only when it is a regular file we own that nobody else can write.
 * Returns 0, -ENOENT when there is none, or -errno with one line printed. */
static int read_cached(int dir_fd, const char *name, struct output *obj)
{
	struct stat st;
	const char *why = NULL;
	int err = 0, fd = openat(dir_fd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0 && errno == ENOENT)
		return -ENOENT;
	if (fd < 0)
		why = errno == ELOOP ? "it is a symbolic link" : strerror(errno);
	else if (fstat(fd, &st))
		why = strerror(errno);
	else if (!S_ISREG(st.st_mode) || st.st_nlink != 1)
		why = "not a regular file with one link";
	else if (!(why = untrusted_cache_entry(&st)))
		err = read_to_end(fd, MAX_OBJECT_BYTES, obj);
	if (fd >= 0)
		close(fd);
	if (why) {
		fprintf(stderr, "ringlua: refusing the cached object %s: %s\n", name, why);
		return -EPERM;
	}
	if (err)
		fprintf(stderr, "ringlua: cannot read the cached object %s: %s\n", name,
			strerror(-err));
	return err;
}

/* Creates a new file of an unpredictable name ("NAME.XXXXXXXXXXXXXXXX.tmp") in dir_fd,
 * exclusively: nothing anyone placed there beforehand is written through. The name goes
 * to tmp. Returns its descriptor, or -errno. */
static int create_temp(int dir_fd, const char *name, char *tmp, size_t len)
{
	for (int i = 0; i < TEMP_NAME_TRIES; i++) {
		uint64_t r;
		int fd;

		if (getrandom(&r, sizeof(r), 0) != sizeof(r))
			return -errno;
		snprintf(tmp, len, "%s.%016llx.tmp", name, (unsigned long long)r);
		fd = openat(dir_fd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
			    0600);
		if (fd >= 0 || errno != EEXIST)
			return fd >= 0 ? fd : -errno;
	}
	return -EEXIST;
}

/* Puts obj into the cache directory dir_fd as name: written to a temporary file, then
 * renamed into place, so the cache never holds half an object. Returns 0 or -errno. */
static int store_object(int dir_fd, const char *name, const struct output *obj)
{
	char tmp[NAME_MAX + 1];
	int err, fd = create_temp(dir_fd, name, tmp, sizeof(tmp));

	if (fd < 0)
		return fd;
	err = write_all(fd, obj->buf, obj->len);
	if (close(fd) && !err)
		err = -errno;
	if (!err && renameat(dir_fd, tmp, dir_fd, name))
		err = -errno;
	if (err)
		unlinkat(dir_fd, tmp, 0);
	return err;
}

/* Runs clang on the source with the flags, then tail (what to make of it), collecting
 * what it writes to its standard output: clang writes no file of its own. The source is
 * compiled from its path, so the headers it includes by quoted name are searched for
 * beside it, not in the working directory. Returns 0, clang's exit status (>0), or
 * -errno. */
static int run_clang(struct flags *f, const struct rl_compile *c, const char *const *tail,
		     struct output *out)
{
	int argc = f->argc;

	f->argv[argc++] = "-x";
	f->argv[argc++] = "c";
	f->argv[argc++] = c->path;
	while (*tail && argc < ARGV_MAX - 1)
		f->argv[argc++] = *tail++;
	f->argv[argc] = NULL;
	return run_collecting(f->argv, MAX_OBJECT_BYTES, out);
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

/* clang's list of the files the compile reads (`-M`: the source and every header), into
 * a malloc'd deps->buf. Returns 0, or -errno with one line printed. */
static int list_dependencies(struct flags *f, const struct rl_compile *c,
			     struct output *deps)
{
	static const char *const tail[] = { "-M", NULL };
	int status = run_clang(f, c, tail, deps);

	return status ? clang_failed(c, status) : 0;
}

/* Compiles c into *obj and stores it in the cache directory dir_fd as name. A cache that
 * cannot take it is said once; the object is used all the same. Returns 0, or -errno
 * with one line printed. */
static int compile_into(struct flags *f, const struct rl_compile *c, int dir_fd,
			const char *name, struct output *obj)
{
	static const char *const tail[] = { "-c", "-o", "-", NULL };
	uint64_t t0 = rl_now_ns();
	int err, status = run_clang(f, c, tail, obj);

	if (status)
		return clang_failed(c, status);
	fprintf(stderr, "ringlua: compiled %s (%.0f ms)\n", c->path,
		(double)(rl_now_ns() - t0) / 1e6);
	err = store_object(dir_fd, name, obj);
	if (err)
		fprintf(stderr, "ringlua: %s: cannot cache its object: %s\n", c->path,
			strerror(-err));
	return 0;
}

int rl_compile_bpf(const struct rl_compile *c, char **elf, size_t *elf_len)
{
	struct flags f;
	struct output deps = { 0 }, obj = { 0 };
	char version[MAX_VERSION_TEXT], dir[PATH_MAX], key[2 * RL_SHA256_LEN + 1];
	char name[sizeof(key) + 8];
	int err, dir_fd = -1;

	build_flags(&f, c);
	err = clang_version(version, sizeof(version));
	if (err) {
		fprintf(stderr, "ringlua: %s: cannot run %s to compile it: %s\n", c->path,
			RINGLUA_CLANG, strerror(-err));
		return err;
	}
	err = rl_compile_cache_dir(dir, sizeof(dir));
	if (err) {
		fprintf(stderr, "ringlua: the cache directory's name is too long\n");
		return err;
	}
	dir_fd = open_cache_dir(dir);
	if (dir_fd < 0)
		return dir_fd;
	err = list_dependencies(&f, c, &deps);
	if (!err)
		err = cache_key(&f, version, c, deps.buf, key);
	if (!err) {
		snprintf(name, sizeof(name), "%s.bpf.o", key);
		err = read_cached(dir_fd, name, &obj);
	}
	if (err == -ENOENT)
		err = compile_into(&f, c, dir_fd, name, &obj);
	free(deps.buf);
	close(dir_fd);
	if (err)
		return err;
	*elf = obj.buf;
	*elf_len = obj.len;
	return 0;
}
