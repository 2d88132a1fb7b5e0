#include "sym/sym.h"
#include "sym/demangle.h"

#include <errno.h>
#include <fcntl.h>
#include <libelf.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <linux/types.h>

#include "sym/elf_file.h"
#include "sym/sym_file.h"
#include "sym/unwind.h"
#include "util/clock.h"
#include "kernel/bpf/stacks.h"

/* Pids forgotten that rl_sym_forgotten has not handed out yet, in the order forgotten;
 * past this many, it says to forget them all. */
#define FORGOTTEN_KEPT 256

/* A mapped file, cached by device and inode. */
struct file {
	dev_t dev;
	ino_t ino;
	char *base;		/* the file's name without its directory */
	struct sym_file syms;
	size_t bytes;		/* what it holds, counted against RL_SYM_BYTES_MAX */
	size_t refs;		/* mappings that point at it */
	uint64_t used;		/* the symbolizer's clock when last mapped */
	int fd;			/* kept open for the unwinder, which reads the file
				 * after its process may be gone; -1: not (yet) */
};

struct mapping {
	uint64_t start, end, offset;
	struct file *file;	/* NULL: anonymous, or a file that could not be read */
};

struct proc {
	uint32_t pid;
	uint64_t image;		/* which process and image the mappings are of (image_of) */
	uint64_t read_ms;	/* when its mappings were last read */
	uint64_t used;		/* the symbolizer's clock when last asked about */
	struct mapping *maps;	/* executable mappings, by address */
	size_t nr_maps;
	struct sym_unwind *unwinder;	/* its address space for libdwfl; NULL: none made */
	uint64_t unwinder_used;	/* the symbolizer's clock when last unwound with */
};

struct rl_sym {
	struct file **files;
	size_t nr_files;
	size_t file_bytes;	/* all files' bytes */
	struct proc *procs;	/* sorted by pid */
	size_t nr_procs;
	size_t nr_maps;		/* all processes' mappings */
	uint64_t clock;		/* counts uses: the least recently used goes first */
	uint64_t maps_reads, forgotten, over_budget;
	uint32_t gone[FORGOTTEN_KEPT];	/* forgotten, not yet handed out */
	size_t nr_gone;
	bool gone_overflow;	/* more were forgotten than gone holds */
	bool raw_names;		/* C++ names as the files have them, not demangled */
	/* Unwinding (rl_sym_unwind): on from its first call, files get descriptors kept
	 * as processes are noted. */
	bool unwinding;
	size_t unwind_budget;	/* bytes the unwinders may hold (rl_sym_set_unwind_mem) */
	size_t unwind_bytes;	/* what they hold */
	size_t nr_fds;		/* files' descriptors kept */
	uint64_t unwinds, unwound_frames, unwind_ends[SYM_UNWIND_ENDS], unwinders_closed;
};

int rl_sym_open(struct rl_sym **out)
{
	*out = calloc(1, sizeof(**out));
	if (!*out)
		return -ENOMEM;
	(*out)->unwind_budget = (size_t)RL_UNWIND_MEM_DEFAULT_MB << 20;
	elf_version(EV_CURRENT);
	return 0;
}

static void free_file(struct rl_sym *s, struct file *f)
{
	if (!f)
		return;
	if (f->fd >= 0) {
		close(f->fd);
		s->nr_fds--;
	}
	free(f->base);
	sym_file_clear(&f->syms);
	free(f);
}

/* Forgets the least recently used file no mapping points at. Returns false if every
 * file is mapped. */
static bool evict_file(struct rl_sym *s)
{
	size_t victim = s->nr_files;

	for (size_t i = 0; i < s->nr_files; i++)
		if (!s->files[i]->refs &&
		    (victim == s->nr_files || s->files[i]->used < s->files[victim]->used))
			victim = i;
	if (victim == s->nr_files)
		return false;
	s->file_bytes -= s->files[victim]->bytes;
	free_file(s, s->files[victim]);
	s->files[victim] = s->files[--s->nr_files];
	return true;
}

/* Makes room for one more file and a worst case of symbols, forgetting unmapped files.
 * Returns what the new file may hold, or SIZE_MAX if no file fits at all. */
static size_t file_room(struct rl_sym *s)
{
	while ((s->nr_files >= RL_SYM_FILES_MAX ||
		s->file_bytes > RL_SYM_BYTES_MAX - RL_SYM_FILE_BYTES_MAX) && evict_file(s))
		;
	if (s->nr_files >= RL_SYM_FILES_MAX)
		return SIZE_MAX;
	/* A file's name and segments are not in its budget: the sum may pass the total. */
	if (s->file_bytes >= RL_SYM_BYTES_MAX)
		return 0;
	if (s->file_bytes > RL_SYM_BYTES_MAX - RL_SYM_FILE_BYTES_MAX)
		return RL_SYM_BYTES_MAX - s->file_bytes;
	return RL_SYM_FILE_BYTES_MAX;
}

/* Reads the file at open_path (named name) into a new cache entry. Returns it, or NULL
 * without memory. */
static struct file *read_file(struct rl_sym *s, dev_t dev, ino_t ino, const char *open_path,
			      const char *name, size_t budget)
{
	const char *slash = strrchr(name, '/');
	struct file *f = calloc(1, sizeof(*f));

	if (!f || !(f->base = strdup(slash ? slash + 1 : name))) {
		free(f);
		return NULL;
	}
	f->dev = dev;
	f->ino = ino;
	f->fd = -1;
	/* A file it cannot read still names its module. */
	if (sym_file_read(&f->syms, open_path, budget) == -ENOMEM)
		sym_file_clear(&f->syms);
	s->over_budget += f->syms.over_budget;
	f->bytes = sizeof(*f) + strlen(f->base) + 1 + sym_file_bytes(&f->syms);
	return f;
}

/* The cached file of (dev, ino), read from open_path when first seen, with one more
 * reference; NULL if it cannot be kept (then its addresses print in hex). */
static struct file *file_of(struct rl_sym *s, dev_t dev, ino_t ino, const char *open_path,
			    const char *name)
{
	struct file **files, *f = NULL;
	size_t budget;

	for (size_t i = 0; i < s->nr_files && !f; i++)
		if (s->files[i]->dev == dev && s->files[i]->ino == ino)
			f = s->files[i];
	if (!f) {
		budget = file_room(s);
		files = budget == SIZE_MAX ? NULL :
			realloc(s->files, (s->nr_files + 1) * sizeof(*files));
		if (!files)
			return NULL;
		s->files = files;
		f = read_file(s, dev, ino, open_path, name, budget);
		if (!f)
			return NULL;
		s->files[s->nr_files++] = f;
		s->file_bytes += f->bytes;
	}
	f->refs++;
	f->used = ++s->clock;
	return f;
}

/* Drops the references maps hold and frees them. */
static void free_maps(struct mapping *maps, size_t nr)
{
	for (size_t i = 0; i < nr; i++)
		if (maps[i].file)
			maps[i].file->refs--;
	free(maps);
}

/* The index where pid is, or would be inserted, in s->procs. */
static size_t proc_slot(const struct rl_sym *s, uint32_t pid)
{
	size_t lo = 0, hi = s->nr_procs;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (s->procs[mid].pid < pid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static struct proc *find_proc(struct rl_sym *s, uint32_t pid)
{
	size_t i = proc_slot(s, pid);

	return i < s->nr_procs && s->procs[i].pid == pid ? &s->procs[i] : NULL;
}

/* Closes p's unwinder, if it has one. */
static void close_unwinder(struct rl_sym *s, struct proc *p)
{
	if (!p->unwinder)
		return;
	s->unwind_bytes -= sym_unwind_bytes(p->unwinder);
	sym_unwind_close(p->unwinder);
	p->unwinder = NULL;
}

/* Removes p from s, freeing its mappings. */
static void remove_proc(struct rl_sym *s, struct proc *p)
{
	close_unwinder(s, p);
	s->nr_maps -= p->nr_maps;
	free_maps(p->maps, p->nr_maps);
	memmove(p, p + 1, (size_t)(&s->procs[s->nr_procs] - (p + 1)) * sizeof(*p));
	s->nr_procs--;
}

/* Forgets the least recently used process, and keeps its pid for rl_sym_forgotten. */
static void evict_proc(struct rl_sym *s)
{
	struct proc *victim = &s->procs[0];

	for (size_t i = 1; i < s->nr_procs; i++)
		if (s->procs[i].used < victim->used)
			victim = &s->procs[i];
	if (s->nr_gone < FORGOTTEN_KEPT)
		s->gone[s->nr_gone++] = victim->pid;
	else
		s->gone_overflow = true;
	s->forgotten++;
	remove_proc(s, victim);
}

/* Forgets processes until procs more of them and maps more mappings fit the budgets.
 * Pointers into s->procs are stale after it. */
static void make_room(struct rl_sym *s, size_t procs, size_t maps)
{
	while (s->nr_procs && (s->nr_procs + procs > RL_SYM_PROCS_MAX ||
			       s->nr_maps + maps > RL_SYM_MAPPINGS_MAX))
		evict_proc(s);
}

/* Keeps a descriptor of f, opened at open_path (a map_files entry of a process that maps
 * it), for the unwinder: only the very file (its device and inode), at most
 * RL_SYM_UNWIND_FDS_MAX of them. */
static void keep_fd(struct rl_sym *s, struct file *f, const char *open_path)
{
	struct stat st;
	int fd;

	if (f->fd >= 0 || s->nr_fds >= RL_SYM_UNWIND_FDS_MAX || sym_elf_open(open_path, &fd))
		return;
	if (fstat(fd, &st) || st.st_dev != f->dev || st.st_ino != f->ino) {
		close(fd);
		return;
	}
	f->fd = fd;
	s->nr_fds++;
}

/* Parses one line of /proc/PID/maps into m (its file read through the process's own
 * view of it). Returns 1 for an executable mapping, 0 for another. */
static int parse_map_line(struct rl_sym *s, uint32_t pid, const char *line,
			  struct mapping *m)
{
	char perms[8], open_path[PATH_MAX + 64];
	unsigned int major, minor;
	unsigned long long start, end, offset, ino;
	int name_at = 0;
	const char *name, *perms_at = strchr(line, ' ');

	/* Most lines are not executable: those go before the costlier full parse. */
	if (!perms_at || strnlen(perms_at + 1, 3) < 3 || perms_at[3] != 'x')
		return 0;
	if (sscanf(line, "%llx-%llx %7s %llx %x:%x %llu %n", &start, &end, perms, &offset,
		   &major, &minor, &ino, &name_at) < 7 || !strchr(perms, 'x'))
		return 0;
	*m = (struct mapping){ start, end, offset, NULL };
	name = line + name_at;
	if (!ino || name[0] != '/')
		return 1; /* anonymous, [vdso] and the like */
	/* map_files is the very file mapped, even if replaced or in another mount
	 * namespace since. */
	snprintf(open_path, sizeof(open_path), "/proc/%u/map_files/%llx-%llx", pid, start, end);
	m->file = file_of(s, makedev(major, minor), (ino_t)ino, open_path, name);
	if (m->file && s->unwinding)
		keep_fd(s, m->file, open_path);
	return 1;
}

/* Appends m to *maps (*cap slots). Returns 0 or -ENOMEM. */
static int add_mapping(struct mapping **maps, size_t *nr, size_t *cap, struct mapping m)
{
	if (*nr == *cap) {
		size_t want = *cap ? *cap * 2 : 16;
		struct mapping *grown = realloc(*maps, want * sizeof(**maps));

		if (!grown)
			return -ENOMEM;
		*maps = grown;
		*cap = want;
	}
	(*maps)[(*nr)++] = m;
	return 0;
}

/* Reads pid's executable mappings, the first RL_SYM_MAPS_LINES_MAX lines, into *maps
 * and *nr (by address, as the kernel lists them). Whole lines, however long: the kernel
 * prints paths longer than PATH_MAX, and the rest of a line cut at a buffer's end would
 * be read as a line of its own, one the process chose (a forged mapping). Returns 0 or
 * -errno, with nothing kept. */
static int read_maps(struct rl_sym *s, uint32_t pid, struct mapping **maps, size_t *nr)
{
	char path[64], *line = NULL;
	size_t cap = 0, line_cap = 0, lines = 0;
	FILE *f;
	int err = 0;

	*maps = NULL;
	*nr = 0;
	snprintf(path, sizeof(path), "/proc/%u/maps", pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	s->maps_reads++;
	while (!err && lines++ < RL_SYM_MAPS_LINES_MAX && getline(&line, &line_cap, f) > 0) {
		struct mapping m;

		line[strcspn(line, "\n")] = '\0';
		if (parse_map_line(s, pid, line, &m) == 1) {
			err = add_mapping(maps, nr, &cap, m);
			if (err && m.file)
				m.file->refs--;
		}
	}
	free(line);
	fclose(f);
	if (err) {
		free_maps(*maps, *nr);
		*maps = NULL;
		*nr = 0;
	}
	return err;
}

/* Which process and program image pid is: when it started (a pid used again is another
 * process) and where its code and its stack start, which an exec moves (each image is
 * placed anew); 0 when it cannot be read (gone) or it has no memory (a zombie, whose
 * mappings are none, or a kernel thread). */
static uint64_t image_of(uint32_t pid)
{
	char path[32], stat[1024], *at;
	unsigned long long start_time = 0, start_code = 0, start_stack = 0;
	int fd, field;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%u/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, stat, sizeof(stat) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	stat[n] = '\0';
	/* The fields after the name, which may hold anything but ends at the last ')':
	 * state is field 3, starttime 22, startcode 26, startstack 28. */
	at = strrchr(stat, ')');
	for (field = 2; at && field < 28; field++) {
		at = strchr(at + 1, ' ');
		if (at && field + 1 == 22)
			start_time = strtoull(at + 1, NULL, 10);
		if (at && field + 1 == 26)
			start_code = strtoull(at + 1, NULL, 10);
	}
	if (at)
		start_stack = strtoull(at + 1, NULL, 10);
	if (!start_code && !start_stack)
		return 0;
	return start_code ^ (start_stack << 1) ^ (start_time << 20);
}

/* Inserts p (its mappings read) into s, forgetting others to stay within budget.
 * Returns 0 or -ENOMEM (then p's mappings are freed). */
static int insert_proc(struct rl_sym *s, struct proc *p)
{
	struct proc *procs;
	size_t i;

	make_room(s, 1, p->nr_maps);
	procs = realloc(s->procs, (s->nr_procs + 1) * sizeof(*procs));
	if (!procs) {
		free_maps(p->maps, p->nr_maps);
		return -ENOMEM;
	}
	s->procs = procs;
	i = proc_slot(s, p->pid);
	memmove(&procs[i + 1], &procs[i], (s->nr_procs - i) * sizeof(*procs));
	procs[i] = *p;
	s->nr_procs++;
	s->nr_maps += p->nr_maps;
	return 0;
}

int rl_sym_note_pid(struct rl_sym *s, uint32_t pid)
{
	struct proc *known = find_proc(s, pid);
	struct proc p = { .pid = pid, .image = image_of(pid) };
	int err;

	if (known) {
		known->used = ++s->clock;
		/* Read again only when it exec'd since (its mappings are another program's
		 * now), or its pid is another process's, while it lives. */
		if (!p.image || p.image == known->image)
			return 0;
		remove_proc(s, known);
	}
	p.read_ms = rl_now_ms();
	p.used = ++s->clock;
	err = read_maps(s, pid, &p.maps, &p.nr_maps);
	if (!err)
		err = insert_proc(s, &p);
	return err ? err : 1;
}

/* Reads p's mappings again, if its last read is RL_SYM_REREAD_MS old and it still runs
 * a program (an exited process, a zombie waiting to be reaped, has no mappings: its
 * known ones must not give way to none). Returns p where it is now (others may have
 * been forgotten to make room). */
static struct proc *reread(struct rl_sym *s, struct proc *p)
{
	uint32_t pid = p->pid;
	uint64_t now = rl_now_ms(), image;
	struct mapping *maps;
	size_t nr;

	if (now - p->read_ms < RL_SYM_REREAD_MS)
		return p;
	p->read_ms = now;
	image = image_of(pid);
	if (!image || read_maps(s, pid, &maps, &nr))
		return p;
	/* The most recently used: others go first. */
	make_room(s, 0, nr > p->nr_maps ? nr - p->nr_maps : 0);
	p = find_proc(s, pid);
	if (!p) {
		free_maps(maps, nr);
		return NULL;
	}
	s->nr_maps = s->nr_maps - p->nr_maps + nr;
	close_unwinder(s, p);
	free_maps(p->maps, p->nr_maps);
	p->maps = maps;
	p->nr_maps = nr;
	p->image = image;
	return p;
}

void rl_sym_forget_pid(struct rl_sym *s, uint32_t pid)
{
	struct proc *p = find_proc(s, pid);

	if (p)
		remove_proc(s, p);
}

int rl_sym_forgotten(struct rl_sym *s, uint32_t *pids, int max)
{
	size_t n = max > 0 ? (size_t)max : 0;

	if (s->gone_overflow) {
		s->gone_overflow = false;
		s->nr_gone = 0;
		return -EOVERFLOW;
	}
	if (n > s->nr_gone)
		n = s->nr_gone;
	memcpy(pids, s->gone, n * sizeof(*pids));
	memmove(s->gone, s->gone + n, (s->nr_gone - n) * sizeof(*s->gone));
	s->nr_gone -= n;
	return (int)n;
}

_Static_assert(offsetof(struct mapping, start) == 0, "mappings are found by start");

/* The mapping of p (NULL: none) that holds addr, or NULL. */
static const struct mapping *find_mapping(const struct proc *p, uint64_t addr)
{
	size_t i = p ? sym_count_at_or_below(p->maps, p->nr_maps, sizeof(*p->maps), addr) : 0;

	return i && addr < p->maps[i - 1].end ? &p->maps[i - 1] : NULL;
}

/* A function's name as shown: demangled, unless raw names were asked for. */
static const char *shown_name(const struct rl_sym *s, const char *name, char *pretty,
			      size_t size)
{
	return !s->raw_names && rl_demangle(name, pretty, size) >= 0 ? pretty : name;
}

void rl_sym_set_raw_names(struct rl_sym *s, int raw)
{
	s->raw_names = raw != 0;
}

int rl_sym_user(struct rl_sym *s, uint32_t pid, uint64_t addr, char *buf, size_t size)
{
	struct proc *p = find_proc(s, pid);
	const struct mapping *m = find_mapping(p, addr);
	const struct sym_func *fn;
	char pretty[RL_DEMANGLE_INPUT_MAX];
	uint64_t vaddr;
	int len;

	if (p)
		p->used = ++s->clock;
	/* It may have mapped a library since. */
	if (!m && p)
		m = find_mapping(reread(s, p), addr);
	if (!m || !m->file || !sym_file_address(&m->file->syms, addr - m->start + m->offset,
						 &vaddr))
		len = snprintf(buf, size, "0x%" PRIx64, addr);
	else if ((fn = sym_file_func(&m->file->syms, vaddr)))
		len = snprintf(buf, size, "%s+0x%" PRIx64,
			       shown_name(s, m->file->syms.strs + fn->name, pretty, sizeof(pretty)),
			       vaddr - fn->addr);
	else
		len = snprintf(buf, size, "[%s+0x%" PRIx64 "]", m->file->base, vaddr);
	if (len < 0)
		return 0;
	return (size_t)len >= size ? (int)size - 1 : len; /* what fit */
}

/* Closes the unwinder least recently used, but keep's. Returns false if there is none. */
static bool evict_unwinder(struct rl_sym *s, const struct proc *keep)
{
	struct proc *victim = NULL;

	for (size_t i = 0; i < s->nr_procs; i++)
		if (s->procs[i].unwinder && &s->procs[i] != keep &&
		    (!victim || s->procs[i].unwinder_used < victim->unwinder_used))
			victim = &s->procs[i];
	if (!victim)
		return false;
	close_unwinder(s, victim);
	s->unwinders_closed++;
	return true;
}

/* The modules of p's unwinder: each mapped file with a descriptor (kept from when a
 * process mapped it, else opened now through p's map_files, if p still runs), once per
 * place it is loaded at. Returns how many it wrote into mods (room for p->nr_maps). */
static size_t unwind_mods(struct rl_sym *s, const struct proc *p, struct sym_unwind_mod *mods)
{
	char open_path[64];
	size_t n = 0;
	uint64_t vaddr;

	for (size_t i = 0; i < p->nr_maps; i++) {
		const struct mapping *m = &p->maps[i];
		struct file *f = m->file;

		if (!f || !sym_file_address(&f->syms, m->offset, &vaddr))
			continue;
		if (f->fd < 0) {
			snprintf(open_path, sizeof(open_path), "/proc/%u/map_files/%" PRIx64
				 "-%" PRIx64, p->pid, m->start, m->end);
			keep_fd(s, f, open_path);
		}
		if (f->fd < 0 || (n && mods[n - 1].fd == f->fd &&
				  mods[n - 1].bias == m->start - vaddr))
			continue;
		mods[n++] = (struct sym_unwind_mod){ f->base, f->fd, m->start - vaddr };
	}
	return n;
}

/* p's unwinder, made when first asked for, within the unwinders' budget (others closed
 * for it); NULL when it cannot be made or is alone over budget. */
static struct sym_unwind *unwinder_of(struct rl_sym *s, struct proc *p)
{
	struct sym_unwind_mod *mods;
	struct sym_unwind *u = NULL;

	p->unwinder_used = ++s->clock;
	if (p->unwinder)
		return p->unwinder;
	mods = calloc(p->nr_maps ? p->nr_maps : 1, sizeof(*mods));
	if (!mods || sym_unwind_open(&u, p->pid, mods, unwind_mods(s, p, mods))) {
		free(mods);
		return NULL;
	}
	free(mods);
	if (sym_unwind_bytes(u) > s->unwind_budget) {
		sym_unwind_close(u);
		s->unwinders_closed++;
		return NULL;
	}
	/* Both within the budget: the sum cannot wrap. */
	while (s->unwind_bytes + sym_unwind_bytes(u) > s->unwind_budget &&
	       evict_unwinder(s, p))
		;
	p->unwinder = u;
	s->unwind_bytes += sym_unwind_bytes(u);
	return u;
}

void rl_sym_set_unwind_mem(struct rl_sym *s, size_t bytes)
{
	s->unwind_budget = bytes;
	while (s->unwind_bytes > s->unwind_budget && evict_unwinder(s, NULL))
		;
}

int rl_sym_unwind(struct rl_sym *s, const void *ustack, size_t len, uint64_t *ips, int max,
		  int *cut)
{
	const struct rl_ustack *st = ustack;
	enum sym_unwind_end end = SYM_UNWIND_ERROR;
	struct sym_unwind *u = NULL;
	struct proc *p;
	int n = 1;

	*cut = 0;
	if (len < sizeof(*st) || st->size > len - sizeof(*st) || max < 1)
		return -EINVAL;
	s->unwinding = true;
	p = find_proc(s, st->pid);
	if (!p && rl_sym_note_pid(s, st->pid) >= 0)
		p = find_proc(s, st->pid);
	/* It may have mapped a library since, or exec'd. */
	else if (p && !find_mapping(p, st->regs[RL_USTACK_REG_IP]))
		p = reread(s, p);
	if (p) {
		p->used = ++s->clock;
		u = unwinder_of(s, p);
	}
	if (u)
		n = sym_unwind_stack(u, st, ips, max, &end);
	else
		ips[0] = st->regs[RL_USTACK_REG_IP];
	s->unwinds++;
	s->unwound_frames += (uint64_t)n;
	s->unwind_ends[end]++;
	*cut = end != SYM_UNWIND_DONE;
	return n;
}

int rl_sym_stats(const struct rl_sym *s, char *buf, size_t size)
{
	int len = snprintf(buf, size, "processes=%zu mappings=%zu files=%zu file_bytes=%zu "
			   "over_budget=%" PRIu64 " maps_reads=%" PRIu64 " forgotten=%" PRIu64
			   " unwinds=%" PRIu64 " unwound_frames=%" PRIu64
			   " unwind_cut_copy=%" PRIu64 " unwind_cut_stuck=%" PRIu64
			   " unwind_cut_max=%" PRIu64 " unwind_cut_error=%" PRIu64
			   " unwind_bytes=%zu unwinders_closed=%" PRIu64 " file_fds=%zu",
			   s->nr_procs, s->nr_maps, s->nr_files, s->file_bytes, s->over_budget,
			   s->maps_reads, s->forgotten, s->unwinds, s->unwound_frames,
			   s->unwind_ends[SYM_UNWIND_COPY], s->unwind_ends[SYM_UNWIND_STUCK],
			   s->unwind_ends[SYM_UNWIND_MAX], s->unwind_ends[SYM_UNWIND_ERROR],
			   s->unwind_bytes, s->unwinders_closed, s->nr_fds);

	if (len < 0)
		return 0;
	return (size_t)len >= size ? (int)size - 1 : len;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Calls fn for each of f's function names, once each, sorted. */
static int each_name(const struct sym_file *f, int (*fn)(void *ctx, const char *name),
		     void *ctx)
{
	const char **names = calloc(f->nr_funcs ? f->nr_funcs : 1, sizeof(*names));
	int err = names ? 0 : -ENOMEM;

	for (size_t i = 0; names && i < f->nr_funcs; i++)
		names[i] = f->strs + f->funcs[i].name;
	if (names)
		qsort(names, f->nr_funcs, sizeof(*names), by_name);
	for (size_t i = 0; !err && i < f->nr_funcs; i++)
		if (!i || strcmp(names[i], names[i - 1]))
			err = fn(ctx, names[i]);
	free(names);
	return err;
}

int rl_sym_functions(const char *path, int (*fn)(void *ctx, const char *name), void *ctx)
{
	struct sym_file f = { 0 };
	int err;

	elf_version(EV_CURRENT);
	err = sym_file_read(&f, path, RL_SYM_FILE_BYTES_MAX);
	if (!err && !f.nr_funcs && f.over_budget)
		err = -EFBIG;
	if (!err)
		err = each_name(&f, fn, ctx);
	sym_file_clear(&f);
	return err;
}

void rl_sym_close(struct rl_sym *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->nr_procs; i++) {
		close_unwinder(s, &s->procs[i]);
		free_maps(s->procs[i].maps, s->procs[i].nr_maps);
	}
	free(s->procs);
	for (size_t i = 0; i < s->nr_files; i++)
		free_file(s, s->files[i]);
	free(s->files);
	free(s);
}
