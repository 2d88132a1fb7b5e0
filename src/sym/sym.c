#include "sym/sym.h"

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/types.h>

/* Where Debian's -dbg and -dbgsym packages put debug files, by build id. */
#define DEBUG_BY_BUILD_ID "/usr/lib/debug/.build-id"
#define BUILD_ID_MAX 64

struct func {
	uint64_t addr;
	uint64_t size;		/* 0: unknown, it runs to the next function */
	uint32_t name;		/* offset in the file's names */
};

/* A loadable segment: file bytes [offset, offset + size) are at vaddr. */
struct segment {
	uint64_t offset;
	uint64_t vaddr;
	uint64_t size;
};

struct elf_file {
	dev_t dev;
	ino_t ino;
	char *base;		/* the file's name without its directory */
	struct func *funcs;	/* sorted by address */
	size_t nr_funcs;
	char *names;
	size_t names_len;
	struct segment *segs;
	size_t nr_segs;
};

struct mapping {
	uint64_t start, end, offset;
	struct elf_file *file;	/* NULL: anonymous, or a file that could not be read */
};

struct proc {
	uint32_t pid;
	uint64_t image;		/* which program image the mappings are of (image_of) */
	struct mapping *maps;	/* executable mappings, by address */
	size_t nr_maps;
};

struct rl_sym {
	struct elf_file **files;
	size_t nr_files;
	struct proc *procs;	/* sorted by pid */
	size_t nr_procs;
};

int rl_sym_open(struct rl_sym **out)
{
	*out = calloc(1, sizeof(**out));
	if (!*out)
		return -ENOMEM;
	elf_version(EV_CURRENT);
	return 0;
}

/* The first section of type, or NULL. */
static Elf_Scn *find_section(Elf *e, GElf_Word type)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;

	while ((scn = elf_nextscn(e, scn)))
		if (gelf_getshdr(scn, &sh) && sh.sh_type == type)
			return scn;
	return NULL;
}

/* Copies name into f's names; returns its offset, or UINT32_MAX without memory. */
static uint32_t keep_name(struct elf_file *f, const char *name, size_t *cap)
{
	size_t len = strlen(name) + 1;
	uint32_t at = (uint32_t)f->names_len;

	if (f->names_len + len > *cap) {
		size_t want = (*cap ? *cap * 2 : 4096) + len;
		char *names = realloc(f->names, want);

		if (!names)
			return UINT32_MAX;
		f->names = names;
		*cap = want;
	}
	memcpy(f->names + at, name, len);
	f->names_len += len;
	return at;
}

/* Adds the defined functions of symbol table scn to f. Returns 0 or -ENOMEM. */
static int add_funcs(struct elf_file *f, Elf *e, Elf_Scn *scn)
{
	GElf_Shdr sh;
	Elf_Data *data = elf_getdata(scn, NULL);
	size_t n, cap = 0;

	if (!gelf_getshdr(scn, &sh) || !data || !sh.sh_entsize)
		return 0;
	/* A table read before (a debug file's that ran out of memory half way) gives way:
	 * its count and names must not spill into this one's arrays. */
	free(f->funcs);
	free(f->names);
	f->funcs = NULL;
	f->names = NULL;
	f->nr_funcs = f->names_len = 0;
	n = sh.sh_size / sh.sh_entsize;
	f->funcs = calloc(n ? n : 1, sizeof(*f->funcs));
	if (!f->funcs)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		GElf_Sym sym;
		const char *name;
		int type;

		if (!gelf_getsym(data, (int)i, &sym))
			continue;
		type = GELF_ST_TYPE(sym.st_info);
		name = elf_strptr(e, sh.sh_link, sym.st_name);
		if ((type != STT_FUNC && type != STT_GNU_IFUNC) || sym.st_shndx == SHN_UNDEF ||
		    !sym.st_value || !name || !name[0])
			continue;
		f->funcs[f->nr_funcs] = (struct func){ sym.st_value, sym.st_size,
						       keep_name(f, name, &cap) };
		if (f->funcs[f->nr_funcs].name == UINT32_MAX)
			return -ENOMEM;
		f->nr_funcs++;
	}
	return 0;
}

/* f's loadable segments, to turn file offsets into addresses. Returns 0 or -ENOMEM. */
static int read_segments(struct elf_file *f, Elf *e)
{
	size_t n = 0;

	if (elf_getphdrnum(e, &n))
		return 0;
	f->segs = calloc(n ? n : 1, sizeof(*f->segs));
	if (!f->segs)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		GElf_Phdr ph;

		if (gelf_getphdr(e, (int)i, &ph) && ph.p_type == PT_LOAD)
			f->segs[f->nr_segs++] = (struct segment){ ph.p_offset, ph.p_vaddr,
								  ph.p_filesz };
	}
	return 0;
}

/* The path of e's debug file by its GNU build id, into path. Returns 0 or -ENOENT. */
static int debug_file_path(Elf *e, char *path, size_t size)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;

	while ((scn = elf_nextscn(e, scn))) {
		Elf_Data *data = gelf_getshdr(scn, &sh) && sh.sh_type == SHT_NOTE ?
				 elf_getdata(scn, NULL) : NULL;
		size_t at = 0, name_at, desc_at;
		GElf_Nhdr nh;

		while (data && (at = gelf_getnote(data, at, &nh, &name_at, &desc_at))) {
			const unsigned char *id = (const unsigned char *)data->d_buf + desc_at;
			int len;

			if (nh.n_type != NT_GNU_BUILD_ID || nh.n_descsz < 2 ||
			    nh.n_descsz > BUILD_ID_MAX)
				continue;
			len = snprintf(path, size, "%s/%02x/", DEBUG_BY_BUILD_ID, id[0]);
			for (size_t i = 1; i < nh.n_descsz && len > 0 && (size_t)len < size; i++)
				len += snprintf(path + len, size - (size_t)len, "%02x", id[i]);
			strncat(path, ".debug", size - strlen(path) - 1);
			return access(path, R_OK) ? -ENOENT : 0;
		}
	}
	return -ENOENT;
}

/* Whether fd is a regular file: what is read for symbols, never a FIFO or a device. */
static bool regular_file(int fd)
{
	struct stat st;

	return !fstat(fd, &st) && S_ISREG(st.st_mode);
}

/* Adds the .symtab of e's debug file to f, if it has one installed. */
static int add_debug_funcs(struct elf_file *f, Elf *e)
{
	char path[PATH_MAX];
	Elf *dbg;
	Elf_Scn *scn;
	int fd, err = 0;

	if (debug_file_path(e, path, sizeof(path)))
		return -ENOENT;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	dbg = regular_file(fd) ? elf_begin(fd, ELF_C_READ, NULL) : NULL;
	scn = dbg ? find_section(dbg, SHT_SYMTAB) : NULL;
	if (scn)
		err = add_funcs(f, dbg, scn);
	elf_end(dbg);
	close(fd);
	return scn ? err : -ENOENT;
}

static int by_address(const void *a, const void *b)
{
	const struct func *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/* Reads the segments and function symbols of the ELF file fd: .symtab, else the debug
 * file's, else .dynsym. Read, not mapped (here and for the debug file): the file's owner
 * may truncate it while it is parsed, which would kill a reader of a mapping with
 * SIGBUS. Returns 0 or -errno. */
static int read_elf(struct elf_file *f, int fd)
{
	Elf *e = elf_begin(fd, ELF_C_READ, NULL);
	Elf_Scn *symtab, *dynsym;
	int err;

	if (!e || elf_kind(e) != ELF_K_ELF) {
		elf_end(e);
		return -ENOEXEC;
	}
	err = read_segments(f, e);
	symtab = find_section(e, SHT_SYMTAB);
	dynsym = find_section(e, SHT_DYNSYM);
	if (!err && symtab)
		err = add_funcs(f, e, symtab);
	else if (!err && add_debug_funcs(f, e) && dynsym)
		err = add_funcs(f, e, dynsym);
	elf_end(e);
	if (f->funcs)
		qsort(f->funcs, f->nr_funcs, sizeof(*f->funcs), by_address);
	return err;
}

static void free_file(struct elf_file *f)
{
	if (!f)
		return;
	free(f->base);
	free(f->funcs);
	free(f->names);
	free(f->segs);
	free(f);
}

/* The cached file of (dev, ino), read from path when first seen; NULL if it cannot be
 * read (then its addresses print as the module and offset, or in hex). */
static struct elf_file *file_of(struct rl_sym *s, dev_t dev, ino_t ino, const char *open_path,
				const char *name)
{
	struct elf_file **files, *f;
	const char *slash = strrchr(name, '/');
	int fd;

	for (size_t i = 0; i < s->nr_files; i++)
		if (s->files[i]->dev == dev && s->files[i]->ino == ino)
			return s->files[i];
	f = calloc(1, sizeof(*f));
	files = f ? realloc(s->files, (s->nr_files + 1) * sizeof(*files)) : NULL;
	if (!files) {
		free(f);
		return NULL;
	}
	s->files = files;
	*f = (struct elf_file){ .dev = dev, .ino = ino, .base = strdup(slash ? slash + 1 : name) };
	/* Not blocking in open (a FIFO), and only a regular file is read. */
	fd = open(open_path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd >= 0 && regular_file(fd))
		read_elf(f, fd); /* a file it cannot read still names its module */
	if (fd >= 0)
		close(fd);
	s->files[s->nr_files++] = f;
	return f;
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

/* Parses one line of /proc/PID/maps into m (its file read through the process's own
 * view of it). Returns 1 for an executable mapping, 0 for another, -ENOMEM. */
static int parse_map_line(struct rl_sym *s, uint32_t pid, const char *line,
			  struct mapping *m)
{
	char perms[8], open_path[PATH_MAX + 64];
	unsigned int major, minor;
	unsigned long long start, end, offset, ino;
	int name_at = 0;
	const char *name;

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
	return m->file ? 1 : -ENOMEM;
}

/* Reads pid's executable mappings into p. Whole lines, however long: the kernel prints
 * paths longer than PATH_MAX, and the rest of a line cut at a buffer's end would be
 * read as a line of its own, one the process chose (a forged mapping). Returns 0 or
 * -errno. */
static int read_maps(struct rl_sym *s, struct proc *p)
{
	char path[64], *line = NULL;
	size_t cap = 0, line_cap = 0;
	FILE *f;
	int err = 0;

	snprintf(path, sizeof(path), "/proc/%u/maps", p->pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (!err && getline(&line, &line_cap, f) > 0) {
		struct mapping m;
		int r;

		line[strcspn(line, "\n")] = '\0';
		r = parse_map_line(s, p->pid, line, &m);
		if (r <= 0) {
			err = r;
			continue;
		}
		if (p->nr_maps == cap) {
			struct mapping *maps = realloc(p->maps, (cap ? cap * 2 : 16) * sizeof(*maps));

			if (!maps) {
				err = -ENOMEM;
				continue;
			}
			p->maps = maps;
			cap = cap ? cap * 2 : 16;
		}
		p->maps[p->nr_maps++] = m;
	}
	free(line);
	fclose(f);
	return err;
}

/* Which program image process pid runs: where its code and its stack start, which an
 * exec moves (each image is placed anew); 0 when it cannot be read (gone). */
static uint64_t image_of(uint32_t pid)
{
	char path[32], stat[1024], *at;
	unsigned long long start_code = 0, start_stack = 0;
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
	 * state is field 3, startcode 26, startstack 28. */
	at = strrchr(stat, ')');
	for (field = 2; at && field < 28; field++) {
		at = strchr(at + 1, ' ');
		if (at && field + 1 == 26)
			start_code = strtoull(at + 1, NULL, 10);
	}
	if (at)
		start_stack = strtoull(at + 1, NULL, 10);
	return start_code ^ (start_stack << 1);
}

int rl_sym_note_pid(struct rl_sym *s, uint32_t pid)
{
	size_t i = proc_slot(s, pid);
	struct proc *procs, p = { .pid = pid, .image = image_of(pid) };
	int err;

	if (i < s->nr_procs && s->procs[i].pid == pid) {
		/* Known; read again only when it exec'd since (its mappings are another
		 * program's now), while it lives. */
		if (!p.image || p.image == s->procs[i].image)
			return 0;
		rl_sym_forget_pid(s, pid);
		i = proc_slot(s, pid);
	}
	err = read_maps(s, &p);
	if (err) {
		free(p.maps);
		return err;
	}
	procs = realloc(s->procs, (s->nr_procs + 1) * sizeof(*procs));
	if (!procs) {
		free(p.maps);
		return -ENOMEM;
	}
	s->procs = procs;
	memmove(&procs[i + 1], &procs[i], (s->nr_procs - i) * sizeof(*procs));
	procs[i] = p;
	s->nr_procs++;
	return 1;
}

void rl_sym_forget_pid(struct rl_sym *s, uint32_t pid)
{
	struct proc *p = find_proc(s, pid);

	if (!p)
		return;
	free(p->maps);
	memmove(p, p + 1, (size_t)(&s->procs[s->nr_procs] - (p + 1)) * sizeof(*p));
	s->nr_procs--;
}

static const struct mapping *find_mapping(const struct proc *p, uint64_t addr)
{
	for (size_t i = 0; p && i < p->nr_maps; i++)
		if (addr >= p->maps[i].start && addr < p->maps[i].end)
			return &p->maps[i];
	return NULL;
}

/* The file's own address of file offset off; false if no segment holds it. */
static bool file_address(const struct elf_file *f, uint64_t off, uint64_t *vaddr)
{
	for (size_t i = 0; i < f->nr_segs; i++)
		if (off >= f->segs[i].offset && off < f->segs[i].offset + f->segs[i].size) {
			*vaddr = off - f->segs[i].offset + f->segs[i].vaddr;
			return true;
		}
	return false;
}

/* The function vaddr falls in, or NULL. */
static const struct func *find_func(const struct elf_file *f, uint64_t vaddr)
{
	size_t lo = 0, hi = f->nr_funcs;
	const struct func *fn;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (f->funcs[mid].addr <= vaddr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		return NULL;
	fn = &f->funcs[lo - 1];
	return !fn->size || vaddr < fn->addr + fn->size ? fn : NULL;
}

int rl_sym_user(struct rl_sym *s, uint32_t pid, uint64_t addr, char *buf, size_t size)
{
	const struct mapping *m = find_mapping(find_proc(s, pid), addr);
	const struct func *fn;
	uint64_t vaddr;
	int len;

	/* It may have mapped a library since: read its mappings again, if it still runs a
	 * program (an exited process, a zombie waiting to be reaped, has no mappings: its
	 * known ones must not give way to none). */
	if (!m && find_proc(s, pid) && image_of(pid)) {
		rl_sym_forget_pid(s, pid);
		rl_sym_note_pid(s, pid);
		m = find_mapping(find_proc(s, pid), addr);
	}
	if (!m || !m->file || !file_address(m->file, addr - m->start + m->offset, &vaddr))
		len = snprintf(buf, size, "0x%" PRIx64, addr);
	else if ((fn = find_func(m->file, vaddr)))
		len = snprintf(buf, size, "%s+0x%" PRIx64, m->file->names + fn->name,
			       vaddr - fn->addr);
	else
		len = snprintf(buf, size, "[%s+0x%" PRIx64 "]", m->file->base, vaddr);
	if (len < 0)
		return 0;
	return (size_t)len >= size ? (int)size - 1 : len; /* what fit */
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Calls fn for each of f's function names, once each, sorted. */
static int each_name(const struct elf_file *f, int (*fn)(void *ctx, const char *name),
		     void *ctx)
{
	const char **names = calloc(f->nr_funcs ? f->nr_funcs : 1, sizeof(*names));
	int err = names ? 0 : -ENOMEM;

	for (size_t i = 0; names && i < f->nr_funcs; i++)
		names[i] = f->names + f->funcs[i].name;
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
	struct elf_file f = { 0 };
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int err = fd < 0 ? -errno : 0;

	elf_version(EV_CURRENT);
	if (!err) {
		err = read_elf(&f, fd);
		close(fd);
	}
	if (!err)
		err = each_name(&f, fn, ctx);
	free(f.funcs);
	free(f.names);
	free(f.segs);
	return err;
}

void rl_sym_close(struct rl_sym *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->nr_procs; i++)
		free(s->procs[i].maps);
	free(s->procs);
	for (size_t i = 0; i < s->nr_files; i++)
		free_file(s->files[i]);
	free(s->files);
	free(s);
}
