/* bpf_global: writes a u32 global of the BPF programs a running process holds, as a
 * write racing the process's own would land: the tests put a program in a state its
 * host passes through only for an instant.
 *
 *   bpf_global PID NAME VALUE
 *
 * Looks through PID's descriptors for maps of globals (mmapable .data or .bss) whose BTF
 * has a variable NAME of 4 bytes, and stores VALUE in each. Exits 0, 1 when none was
 * found or on an error (printed), 2 on bad usage. */
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* The map id a descriptor's fdinfo names, 0 if it is no BPF map. */
static uint32_t map_id_of(const char *pid, const char *fd)
{
	char path[320], line[256];
	unsigned int id = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%s/fdinfo/%s", pid, fd);
	f = fopen(path, "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "map_id: %u", &id) == 1)
			break;
	fclose(f);
	return id;
}

/* The offset of the 4-byte variable name in the section of type sec_id, or -ENOENT. */
static long var_offset(const struct btf *btf, uint32_t sec_id, const char *name)
{
	const struct btf_type *sec = btf__type_by_id(btf, sec_id);
	const struct btf_var_secinfo *v;

	if (!sec || !btf_is_datasec(sec))
		return -ENOENT;
	v = btf_var_secinfos(sec);
	for (int i = 0; i < btf_vlen(sec); i++, v++) {
		const struct btf_type *var = btf__type_by_id(btf, v->type);

		if (var && v->size == 4 && !strcmp(btf__name_by_offset(btf, var->name_off), name))
			return v->offset;
	}
	return -ENOENT;
}

/* Stores value at name in the map of globals id, if it has it. Returns 1 if it did. */
static int write_global(uint32_t id, const char *name, uint32_t value)
{
	struct bpf_map_info info = { 0 };
	uint32_t len = sizeof(info);
	struct btf *btf = NULL;
	void *mem = MAP_FAILED;
	long offset = -ENOENT;
	int fd, done = 0;

	fd = bpf_map_get_fd_by_id(id);
	if (fd < 0)
		return 0;
	if (bpf_obj_get_info_by_fd(fd, &info, &len) || !info.btf_id ||
	    info.type != BPF_MAP_TYPE_ARRAY || !(info.map_flags & BPF_F_MMAPABLE))
		goto out;
	btf = btf__load_from_kernel_by_id(info.btf_id);
	if (btf)
		offset = var_offset(btf, info.btf_value_type_id, name);
	if (offset < 0 || offset + 4 > info.value_size)
		goto out;
	mem = mmap(NULL, info.value_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (mem == MAP_FAILED)
		goto out;
	__atomic_store_n((uint32_t *)((char *)mem + offset), value, __ATOMIC_SEQ_CST);
	done = 1;
out:
	if (mem != MAP_FAILED)
		munmap(mem, info.value_size);
	btf__free(btf);
	close(fd);
	return done;
}

int main(int argc, char **argv)
{
	char dir[64];
	struct dirent *d;
	int written = 0;
	DIR *fds;

	if (argc != 4) {
		fprintf(stderr, "usage: bpf_global PID NAME VALUE\n");
		return 2;
	}
	snprintf(dir, sizeof(dir), "/proc/%s/fdinfo", argv[1]);
	fds = opendir(dir);
	if (!fds) {
		fprintf(stderr, "bpf_global: %s: %s\n", dir, strerror(errno));
		return 1;
	}
	while ((d = readdir(fds)))
		if (d->d_name[0] != '.') {
			uint32_t id = map_id_of(argv[1], d->d_name);

			if (id)
				written += write_global(id, argv[2],
							(uint32_t)strtoul(argv[3], NULL, 0));
		}
	closedir(fds);
	if (!written) {
		fprintf(stderr, "bpf_global: process %s holds no global %s\n", argv[1], argv[2]);
		return 1;
	}
	return 0;
}
