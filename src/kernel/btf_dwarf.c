#include "kernel/btf_dwarf.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <bpf/btf.h>

#include "util/tool_env.h"

bool rl_elf_has_dwarf(const void *elf, size_t len)
{
	const Elf64_Ehdr *eh = elf;
	const Elf64_Shdr *sh, *names;

	if (len < sizeof(*eh) || eh->e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh->e_shoff > len || eh->e_shentsize != sizeof(*sh) ||
	    (uint64_t)eh->e_shnum * sizeof(*sh) > len - eh->e_shoff ||
	    eh->e_shstrndx >= eh->e_shnum)
		return false;
	sh = (const Elf64_Shdr *)((const char *)elf + eh->e_shoff);
	names = &sh[eh->e_shstrndx];
	if (names->sh_offset > len || names->sh_size > len - names->sh_offset)
		return false;
	for (int i = 0; i < eh->e_shnum; i++) {
		const char *name = (const char *)elf + names->sh_offset + sh[i].sh_name;

		if (sh[i].sh_name < names->sh_size &&
		    strnlen(name, names->sh_size - sh[i].sh_name) < names->sh_size - sh[i].sh_name &&
		    !strcmp(name, ".debug_info"))
			return true;
	}
	return false;
}

/* A memory file holding the image: pahole reads it by its /proc/self/fd path, so the
 * bytes converted are the ones ringlua checked and loads. Returns the fd or -errno. */
static int image_file(const void *elf, size_t len)
{
	int fd = memfd_create("ringlua-object", 0);
	size_t done = 0;

	if (fd < 0)
		return -errno;
	while (done < len) {
		ssize_t n = write(fd, (const char *)elf + done, len - done);

		if (n < 0) {
			close(fd);
			return -errno;
		}
		done += (size_t)n;
	}
	return fd;
}

/* Runs pahole on in_fd's image, writing raw BTF to out_fd. Returns 0, -ENOENT when
 * pahole is not installed, -EINVAL when it failed, or -errno. */
static int run_pahole(int in_fd, int out_fd)
{
	char input[64], output[96];
	const char *argv[] = { RINGLUA_PAHOLE, output, input, NULL };
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int err, status;

	snprintf(input, sizeof(input), "/proc/self/fd/%d", in_fd);
	snprintf(output, sizeof(output), "--btf_encode_detached=/proc/self/fd/%d", out_fd);
	posix_spawn_file_actions_init(&fa);
	/* pahole's own messages are about its input, not for ringlua's user. */
	posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
	err = posix_spawn(&pid, RINGLUA_PAHOLE, &fa, NULL, (char *const *)argv, rl_tool_env());
	posix_spawn_file_actions_destroy(&fa);
	if (err)
		return err == ENOENT ? -ENOENT : -err;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EINVAL;
}

/* The raw BTF pahole wrote into fd, parsed. Returns 0 or -errno. */
static int read_btf(int fd, struct btf **out)
{
	struct stat st;
	void *raw;
	int err;

	if (fstat(fd, &st) || st.st_size <= 0)
		return -EINVAL;
	raw = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (raw == MAP_FAILED)
		return -errno;
	*out = btf__new(raw, (uint32_t)st.st_size);
	err = *out ? 0 : -EINVAL;
	munmap(raw, (size_t)st.st_size);
	return err;
}

int rl_btf_from_dwarf(const void *elf, size_t len, struct btf **out)
{
	int in_fd = image_file(elf, len);
	int out_fd = memfd_create("ringlua-btf", 0);
	int err = out_fd < 0 ? -errno : 0;

	if (in_fd < 0)
		err = in_fd;

	if (!err)
		err = run_pahole(in_fd, out_fd);
	if (!err)
		err = read_btf(out_fd, out);
	if (in_fd >= 0)
		close(in_fd);
	if (out_fd >= 0)
		close(out_fd);
	return err;
}
