/* A BPF object from open to close: settings before load, load, attach every program,
 * its ring maps, and reading its globals. Built-in sources and user objects share it. */
#ifndef RINGLUA_BPF_OBJ_H
#define RINGLUA_BPF_OBJ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct rl_bpf;
struct btf;
struct bpf_object;

/* Opens an ELF object held in memory (not copied: it must outlive the object). name is
 * what errors call it. Returns 0 or -errno. */
int rl_bpf_open_mem(struct rl_bpf **out, const void *elf, size_t size, const char *name);

/* Whether a section holds globals libbpf maps for user space: .rodata (`const
 * volatile`), .data, .bss, and their .NAME variants. */
bool rl_bpf_is_global_section(const char *sec);

/* Sets the global var (`const volatile` in .rodata, or a plain one in .data or .bss)
 * before load. size must equal the variable's size. Returns 0, -ENOENT for no such
 * variable, -ERANGE for a size mismatch. */
int rl_bpf_set_global(struct rl_bpf *b, const char *var, const void *val, size_t size);

/* Reads the initial value of the global var (in .rodata, .data or .bss) before load.
 * size must equal the variable's size. Returns 0, -ENOENT or -ERANGE. */
int rl_bpf_get_global(const struct rl_bpf *b, const char *var, void *val, size_t size);

/* The BTF type id of the global var (in .rodata, .data or .bss), with the object's BTF
 * in *btf; -ENOENT for no such variable. */
int rl_bpf_global_type(const struct rl_bpf *b, const char *var, const struct btf **btf);

/* The libbpf object, to walk its maps and programs. Owned by b; another one after
 * rl_bpf_reopen. */
struct bpf_object *rl_bpf_object(const struct rl_bpf *b);

/* The name errors call b by. */
const char *rl_bpf_name(const struct rl_bpf *b);

/* Whether map is one records come out of: a ring buffer or a perf event array. */
struct bpf_map;
bool rl_bpf_is_output_map(const struct bpf_map *map);

/* With verbose, a program the kernel rejects is reported with the verifier's whole log;
 * else with its last lines, which give the reason. */
void rl_bpf_set_verbose(struct rl_bpf *b, int verbose);

/* How often b's perf_event programs sample each CPU, from rl_bpf_load_attach on; 0
 * (the default): they cannot be attached, and loading says so. */
void rl_bpf_set_sample_hz(struct rl_bpf *b, unsigned int hz);

/* Loads the object into the kernel and attaches each program the way its section name
 * says; a perf_event program to a CPU clock at the sample frequency on every online CPU.
 * A program the verifier rejects is named, with the reason from its log. A program
 * whose section starts with "?" (e.g. "?tp/syscalls/sys_enter_open") is optional:
 * loaded and attached only if its tracepoint exists on this kernel. Programs set not to
 * auto-attach (bpf_program__set_autoattach) are left for the caller. On failure prints
 * which program failed and why, and returns -errno. */
int rl_bpf_load_attach(struct rl_bpf *b);

/* Before load: a program whose section starts with "?" is optional: libbpf drops the "?"
 * and leaves the program out of the load; this puts it back in if its tracepoint exists
 * here (a system call that some architectures or older kernels lack). */
void rl_bpf_enable_optional(struct rl_bpf *b);

/* What a failed load says of the program the verifier refused. */
struct rl_bpf_rejection {
	char prog[128];		/* its name; "": no program was verified and refused (the
				 * failure came before the verifier, or was the object's) */
	char reason[256];	/* the last line of its verifier log that is no statistic */
};

/* Loads b once, as it is set (no optional programs enabled, nothing attached). On
 * failure fills r (with verbose, the refused program's whole log is printed) and returns
 * -errno; nothing else is printed. A failed load cannot be tried again: rl_bpf_reopen. */
int rl_bpf_load_once(struct rl_bpf *b, struct rl_bpf_rejection *r);

/* Replaces b's object, loaded or not, by a fresh one opened from the same bytes, with
 * what was set on the old one before load: the globals' values (.rodata, .data, .bss)
 * and each program's autoload and autoattach. Only before anything is attached or
 * mapped. Returns 0, -EBUSY (something is), or -errno (b unchanged). */
int rl_bpf_reopen(struct rl_bpf *b);

/* After load: attaches prog the way its section says (a perf_event program on every
 * online CPU at the sample frequency), keeping its links in b. On failure nothing of it
 * stays attached. Returns 0 or -errno (nothing printed; rl_bpf_why says why). */
struct bpf_program;
int rl_bpf_attach_prog(struct rl_bpf *b, struct bpf_program *prog);

/* A user-space function to probe. */
struct rl_uprobe {
	const char *path;	/* the binary or library, a full path */
	const char *func;	/* its symbol (libbpf finds it in .symtab or .dynsym) */
	bool ret;		/* at its return, not its entry */
	uint32_t pid;		/* only in this process; 0: every process */
	uint64_t cookie;	/* what bpf_get_attach_cookie() gives the program */
};

/* Attaches the program prog_name of the loaded b to u. Returns 0, -ENOENT for no such
 * program, or -errno (nothing printed). */
int rl_bpf_attach_uprobe(struct rl_bpf *b, const char *prog_name, const struct rl_uprobe *u);

/* Before load: leaves the program prog_name to be attached by the caller, not by its
 * section. Returns 0 or -ENOENT for no such program. */
int rl_bpf_attach_later(struct rl_bpf *b, const char *prog_name);

/* A USDT probe to attach: every site of provider:name in a file (libbpf finds them in
 * its .note.stapsdt, reads their argument specs and handles their semaphores). */
struct rl_usdt {
	const char *path;	/* the binary or library, a full path */
	const char *provider;
	const char *name;
	uint32_t pid;		/* only in this process; 0: every process */
	uint64_t cookie;	/* what bpf_usdt_cookie() gives the program */
};

/* Attaches the program prog_name of the loaded b to u. Returns 0, -ENOENT for no such
 * program (or no such probe in the file), or -errno (nothing printed). */
int rl_bpf_attach_usdt(struct rl_bpf *b, const char *prog_name, const struct rl_usdt *u);

/* Attaches b's first perf_event program to the perf event perf_fd. The link owns
 * perf_fd from then on: it is closed with b, or at once if the attach fails. Returns 0, -ENOENT for no such program, or -errno. */
int rl_bpf_attach_perf_event(struct rl_bpf *b, int perf_fd);

/* Attaches b's program prog_name to the tracepoint category/name, with cookie for its
 * bpf_get_attach_cookie(). A program in a bare SEC("tracepoint") is left alone by
 * rl_bpf_load_attach and attached this way, any number of times. Returns 0, -ENOENT for
 * no such program, or -errno (-ENOENT too for no such tracepoint). */
int rl_bpf_attach_tracepoint(struct rl_bpf *b, const char *prog_name, const char *category,
			     const char *name, uint64_t cookie);

/* fd of the ring map named map, or -ENOENT. Valid until rl_bpf_close. */
int rl_bpf_ring_fd(const struct rl_bpf *b, const char *map);

/* Reads the u64 global var of .bss into *val. Returns 0 or -errno. */
int rl_bpf_read_u64(const struct rl_bpf *b, const char *var, uint64_t *val);

/* After load: the kernel's memory of map, a map of globals (.data, .bss, .rodata), mapped
 * read-write, or read-only unless writable; what the program sees, live. Mapped once and
 * kept until rl_bpf_close. NULL when it cannot be mapped. */
void *rl_bpf_global_area(struct rl_bpf *b, const struct bpf_map *map, bool writable);

/* After load: the global var of size bytes in .data or .bss, live (rl_bpf_global_area,
 * writable), for a word the program and ringlua both use. NULL when there is no such
 * variable of that size, or its map cannot be mapped. */
void *rl_bpf_global_live(struct rl_bpf *b, const char *var, size_t size);

/* Detaches and unloads. Accepts NULL. */
void rl_bpf_close(struct rl_bpf *b);

#endif
