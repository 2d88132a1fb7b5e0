/* What a struct rl_bpf holds, for the two files that make it: bpf_obj.c (open, globals,
 * attach, close) and bpf_load.c (load, the verifier's logs, a second try). Not for other
 * files: they go through bpf_obj.h. */
#ifndef RINGLUA_BPF_OBJ_IMPL_H
#define RINGLUA_BPF_OBJ_IMPL_H

#include <stddef.h>

struct bpf_object;
struct bpf_link;
struct bpf_map;

struct rl_bpf {
	struct bpf_object *obj;
	const void *elf;	/* the object's bytes, to open it again (rl_bpf_reopen) */
	size_t elf_size;
	char name[64];
	int verbose;		/* a rejected program's whole verifier log, not its end */
	struct bpf_link **links;
	int nr_links;
	unsigned int sample_hz;	/* perf_event programs sample every CPU this often */
	struct global_area *areas;	/* maps of globals mapped for user space */
	int nr_areas;
};

/* A map of globals (.data, .bss, .rodata) mapped from the kernel: the program's own
 * memory, read and written in place. */
struct global_area {
	const struct bpf_map *map;
	void *addr;
	size_t len;
};

/* Loads b as it is set, printing what went wrong: each program the verifier refused,
 * with the end of its log (the whole log with verbose), or the programs of kinds some
 * kernels refuse when no program has a log. Returns 0 or -errno. */
int rl_bpf_load_reported(struct rl_bpf *b);

#endif
