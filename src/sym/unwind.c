#include "sym/unwind.h"

#include <errno.h>
#include <gelf.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/types.h>
#include <elfutils/libdwfl.h>

#include "kernel/bpf/stacks.h"

/* What libdwfl holds per file beside its CFI: the module, its ELF's headers, its
 * symbol lookup tables. A round guess, so that many small files count too. */
#define MOD_OVERHEAD_BYTES 16384

/* One reported file: the descriptor find_elf hands libdwfl, which then owns it. */
struct mod {
	int fd;			/* ours until find_elf gives it away; -1 after */
};

struct sym_unwind {
	Dwfl *dwfl;
	struct mod *mods;
	size_t nr_mods;
	size_t bytes;
	pid_t pid;
	/* The walk under way: its stack, and whether a read fell past the copy. */
	const struct rl_ustack *st;
	bool past_copy;
};

/* a + b, or SIZE_MAX past it: sizes a file states are not trusted to be small. */
static size_t add_sat(size_t a, uint64_t b)
{
	return b > SIZE_MAX - a ? SIZE_MAX : a + (size_t)b;
}

/* libdwfl asks for a module's ELF the first time it needs it: read, not mapped, as
 * sym_file_read reads (the owner may truncate the file: a mapping would SIGBUS). */
static int find_elf(Dwfl_Module *m, void **userdata, const char *name, Dwarf_Addr base,
		    char **file_name, Elf **elfp)
{
	struct mod *mod = *userdata;
	int fd = mod->fd;

	(void)m, (void)name, (void)base;
	mod->fd = -1;
	*file_name = NULL;
	*elfp = fd >= 0 ? elf_begin(fd, ELF_C_READ, NULL) : NULL;
	if (!*elfp && fd >= 0)
		close(fd);
	return *elfp ? fd : -1;
}

/* No separate debug files: unwinding takes the .eh_frame every file mapped to run has;
 * a .debug_frame of its own, in an unstripped file, is found in the file itself. */
static int no_debuginfo(Dwfl_Module *m, void **userdata, const char *name, Dwarf_Addr base,
			const char *file_name, const char *debuglink, GElf_Word crc,
			char **debuginfo_file_name)
{
	(void)m, (void)userdata, (void)name, (void)base, (void)file_name, (void)debuglink;
	(void)crc;
	*debuginfo_file_name = NULL;
	return -1;
}

static const Dwfl_Callbacks dwfl_callbacks = {
	.find_elf = find_elf,
	.find_debuginfo = no_debuginfo,
};

/* The one thread of a walk: the record's. */
static pid_t next_thread(Dwfl *dwfl, void *arg, void **thread_argp)
{
	struct sym_unwind *u = arg;

	(void)dwfl;
	if (*thread_argp)
		return 0;
	*thread_argp = u;
	return (pid_t)u->st->tid;
}

static bool get_thread(Dwfl *dwfl, pid_t tid, void *arg, void **thread_argp)
{
	(void)dwfl, (void)tid;
	*thread_argp = arg;
	return true;
}

/* Memory is the stack's copy, nothing else: a word outside it cannot be read. One past
 * its end, with the copy as long as asked, means the stack went on beyond it. */
static bool memory_read(Dwfl *dwfl, Dwarf_Addr addr, Dwarf_Word *result, void *arg)
{
	struct sym_unwind *u = arg;
	uint64_t sp = u->st->regs[RL_USTACK_REG_SP], off = addr - sp;

	(void)dwfl;
	if (addr >= sp && off <= u->st->size && u->st->size - off >= sizeof(*result)) {
		memcpy(result, u->st->data + off, sizeof(*result));
		return true;
	}
	if (addr >= sp && u->st->size >= u->st->want)
		u->past_copy = true;
	return false;
}

static bool set_initial_registers(Dwfl_Thread *thread, void *arg)
{
	const struct rl_ustack *st = ((struct sym_unwind *)arg)->st;
	Dwarf_Word regs[RL_USTACK_REGS];

	memcpy(regs, st->regs, sizeof(regs));
	if (!dwfl_thread_state_registers(thread, 0, RL_USTACK_REGS, regs))
		return false;
	dwfl_thread_state_register_pc(thread, regs[RL_USTACK_REG_IP]);
	return true;
}

static const Dwfl_Thread_Callbacks thread_callbacks = {
	.next_thread = next_thread,
	.get_thread = get_thread,
	.memory_read = memory_read,
	.set_initial_registers = set_initial_registers,
};

/* The addresses fd's ELF loads at, from its program headers, as libdwfl places a module
 * (the first PT_LOAD aligned down, to the end of the last), and the bytes of its CFI.
 * Returns false if it is no ELF file with something to load. */
static bool elf_layout(int fd, uint64_t *low, uint64_t *high, size_t *cfi_bytes)
{
	Elf *e = elf_begin(fd, ELF_C_READ, NULL);
	Elf_Scn *scn = NULL;
	size_t phnum = 0, shstrndx;
	bool first = true;

	*low = *high = 0;
	*cfi_bytes = 0;
	if (!e || elf_kind(e) != ELF_K_ELF || elf_getphdrnum(e, &phnum)) {
		elf_end(e);
		return false;
	}
	for (size_t i = 0; i < phnum; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(e, (int)i, &ph) || ph.p_type != PT_LOAD)
			continue;
		if (first)
			*low = ph.p_align > 1 ? ph.p_vaddr & -ph.p_align : ph.p_vaddr;
		first = false;
		if (ph.p_vaddr + ph.p_memsz > *high)
			*high = ph.p_vaddr + ph.p_memsz;
	}
	while (!elf_getshdrstrndx(e, &shstrndx) && (scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;
		const char *name;

		if (!gelf_getshdr(scn, &sh) || !(name = elf_strptr(e, shstrndx, sh.sh_name)))
			continue;
		if (!strcmp(name, ".eh_frame") || !strcmp(name, ".eh_frame_hdr") ||
		    !strcmp(name, ".debug_frame"))
			*cfi_bytes = add_sat(*cfi_bytes, sh.sh_size);
	}
	elf_end(e);
	return !first && *high > *low;
}

/* Reports mod_in as module i of u. Returns whether it was. */
static bool report(struct sym_unwind *u, size_t i, const struct sym_unwind_mod *mod_in)
{
	uint64_t low, high;
	size_t cfi;
	Dwfl_Module *m;
	void **userdata;

	u->mods[i].fd = dup(mod_in->fd);
	if (u->mods[i].fd < 0)
		return false;
	if (!elf_layout(u->mods[i].fd, &low, &high, &cfi) ||
	    !(m = dwfl_report_module(u->dwfl, mod_in->name, mod_in->bias + low,
				     mod_in->bias + high))) {
		close(u->mods[i].fd);
		u->mods[i].fd = -1;
		return false;
	}
	dwfl_module_info(m, &userdata, NULL, NULL, NULL, NULL, NULL, NULL);
	*userdata = &u->mods[i];
	u->bytes = add_sat(u->bytes, add_sat(MOD_OVERHEAD_BYTES, cfi));
	return true;
}

int sym_unwind_open(struct sym_unwind **out, uint32_t pid, const struct sym_unwind_mod *mods,
		    size_t n)
{
	struct sym_unwind *u = calloc(1, sizeof(*u));
	size_t reported = 0;
	int err = 0;

	*out = NULL;
	if (!u || !(u->mods = calloc(n ? n : 1, sizeof(*u->mods))) ||
	    !(u->dwfl = dwfl_begin(&dwfl_callbacks))) {
		sym_unwind_close(u);
		return -ENOMEM;
	}
	u->nr_mods = n;
	u->pid = (pid_t)pid;
	u->bytes = sizeof(*u) + n * sizeof(*u->mods);
	for (size_t i = 0; i < n; i++)
		u->mods[i].fd = -1;
	dwfl_report_begin(u->dwfl);
	for (size_t i = 0; i < n; i++)
		reported += report(u, i, &mods[i]);
	dwfl_report_end(u->dwfl, NULL, NULL);
	/* The architecture comes from the first module libdwfl can read. */
	if (!reported || !dwfl_attach_state(u->dwfl, NULL, u->pid, &thread_callbacks, u))
		err = -ENOENT;
	if (err) {
		sym_unwind_close(u);
		return err;
	}
	*out = u;
	return 0;
}

size_t sym_unwind_bytes(const struct sym_unwind *u)
{
	return u->bytes;
}

/* The walk's output and why it stopped, for on_frame. */
struct walk {
	uint64_t *ips;
	int n, max;
	uint64_t last_sp;
	enum sym_unwind_end end;
};

static int on_frame(Dwfl_Frame *frame, void *arg)
{
	struct walk *w = arg;
	Dwarf_Addr pc;
	Dwarf_Word sp = 0;

	if (!dwfl_frame_pc(frame, &pc, NULL))
		return DWARF_CB_ABORT;
	/* A step that left pc and sp where they were would repeat forever (a frame
	 * pointer naming its own frame, in code that keeps none). */
	dwfl_frame_reg(frame, RL_USTACK_REG_SP, &sp);
	if (w->n && pc == w->ips[w->n - 1] && sp == w->last_sp) {
		w->end = SYM_UNWIND_STUCK;
		return DWARF_CB_ABORT;
	}
	if (w->n == w->max) {
		w->end = SYM_UNWIND_MAX;
		return DWARF_CB_ABORT;
	}
	w->ips[w->n++] = pc;
	w->last_sp = sp;
	return DWARF_CB_OK;
}

int sym_unwind_stack(struct sym_unwind *u, const struct rl_ustack *st, uint64_t *ips, int max,
		     enum sym_unwind_end *end)
{
	struct walk w = { .ips = ips, .max = max, .end = SYM_UNWIND_DONE };
	int ret;

	u->st = st;
	u->past_copy = false;
	ret = dwfl_getthread_frames(u->dwfl, (pid_t)st->tid, on_frame, &w);
	/* A return address that could not be read ends the walk as an outermost frame
	 * would: past the copy, it was cut. */
	if (w.end == SYM_UNWIND_DONE && u->past_copy)
		w.end = SYM_UNWIND_COPY;
	else if (w.end == SYM_UNWIND_DONE && ret != 0)
		w.end = SYM_UNWIND_ERROR;
	/* libdwfl reads the initial pc from the registers: none read, the walk still
	 * says where the thread was. */
	if (!w.n && max > 0)
		ips[w.n++] = st->regs[RL_USTACK_REG_IP];
	u->st = NULL;
	*end = w.end;
	return w.n;
}

void sym_unwind_close(struct sym_unwind *u)
{
	if (!u)
		return;
	dwfl_end(u->dwfl);
	for (size_t i = 0; u->mods && i < u->nr_mods; i++)
		if (u->mods[i].fd >= 0)
			close(u->mods[i].fd);
	free(u->mods);
	free(u);
}
