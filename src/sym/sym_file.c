#include "sym/sym_file.h"
#include "sym/elf_file.h"

#include <errno.h>
#include <gelf.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Where Debian's -dbg and -dbgsym packages put debug files, by build id. */
#define DEBUG_BY_BUILD_ID "/usr/lib/debug/.build-id"
#define BUILD_ID_MAX 64
/* Bytes of note sections read for the build id, all of a file's together:
 * .note.gnu.build-id is 36 bytes. libelf keeps what it reads till the file is closed,
 * and a file's sections may all be one region of it, each read anew. */
#define NOTES_MAX 65536

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

/* Whether a symbol table of nr symbols and its string table of strs_size bytes fit in
 * budget: checked on their headers, before either is read. The table's own size counts
 * too: libelf reads it whole, whatever its entry size claims. */
static bool within_budget(uint64_t table_size, uint64_t nr, uint64_t strs_size, size_t budget)
{
	return table_size <= budget && nr <= budget / sizeof(struct sym_func) &&
	       strs_size <= budget - nr * sizeof(struct sym_func);
}

/* The functions of symbol table data, named in strs, into funcs (nr slots); returns how
 * many. A name must start inside the table, whose last byte is NUL. */
static size_t collect_funcs(Elf_Data *data, size_t nr, const char *strs, size_t strs_len,
			    struct sym_func *funcs)
{
	size_t n = 0;

	for (size_t i = 0; i < nr; i++) {
		GElf_Sym sym;
		int type;

		if (!gelf_getsym(data, (int)i, &sym))
			continue;
		type = GELF_ST_TYPE(sym.st_info);
		if ((type != STT_FUNC && type != STT_GNU_IFUNC) || sym.st_shndx == SHN_UNDEF ||
		    !sym.st_value || sym.st_name >= strs_len || !strs[sym.st_name])
			continue;
		funcs[n++] = (struct sym_func){ sym.st_value, sym.st_size, sym.st_name };
	}
	return n;
}

/* Reads the defined functions of symbol table scn (NULL: none) into f, replacing what f
 * had, within budget bytes. Returns 0, -ENOENT (no usable table), -EFBIG (over budget)
 * or -ENOMEM; f is unchanged unless it returns 0. */
static int add_funcs(struct sym_file *f, Elf *e, Elf_Scn *scn, size_t budget)
{
	GElf_Shdr sh, str_sh;
	Elf_Scn *str_scn = NULL;
	Elf_Data *data, *str_data;
	struct sym_func *funcs;
	char *strs;
	size_t nr, n;

	if (scn && gelf_getshdr(scn, &sh) && sh.sh_entsize)
		str_scn = elf_getscn(e, sh.sh_link);
	if (!str_scn || !gelf_getshdr(str_scn, &str_sh) || str_sh.sh_type != SHT_STRTAB)
		return -ENOENT;
	nr = sh.sh_size / sh.sh_entsize;
	if (!within_budget(sh.sh_size, nr, str_sh.sh_size, budget)) {
		f->over_budget = true;
		return -EFBIG;
	}
	data = elf_getdata(scn, NULL);
	str_data = elf_getdata(str_scn, NULL);
	if (!data || !str_data || !str_data->d_buf || !str_data->d_size)
		return -ENOENT;
	funcs = calloc(nr ? nr : 1, sizeof(*funcs));
	strs = malloc(str_data->d_size);
	if (!funcs || !strs) {
		free(funcs);
		free(strs);
		return -ENOMEM;
	}
	memcpy(strs, str_data->d_buf, str_data->d_size);
	strs[str_data->d_size - 1] = '\0'; /* a name running off the end stops there */
	n = collect_funcs(data, nr, strs, str_data->d_size, funcs);
	free(f->funcs);
	free(f->strs);
	/* Most symbols of a table are not functions: give back their slots. */
	f->funcs = realloc(funcs, (n ? n : 1) * sizeof(*funcs));
	if (!f->funcs)
		f->funcs = funcs;
	f->nr_funcs = n;
	f->strs = strs;
	f->strs_len = str_data->d_size;
	return 0;
}

/* f's loadable segments, to turn file offsets into addresses. Returns 0 or -ENOMEM. */
static int read_segments(struct sym_file *f, Elf *e)
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
			f->segs[f->nr_segs++] = (struct sym_segment){ ph.p_offset, ph.p_vaddr,
								      ph.p_filesz };
	}
	return 0;
}

/* Writes into path the debug file named by a GNU build id note in data; false if none. */
static bool build_id_path(Elf_Data *data, char *path, size_t size)
{
	size_t at = 0, name_at, desc_at;
	GElf_Nhdr nh;

	while ((at = gelf_getnote(data, at, &nh, &name_at, &desc_at))) {
		const unsigned char *id = (const unsigned char *)data->d_buf + desc_at;
		int len;

		if (nh.n_type != NT_GNU_BUILD_ID || nh.n_descsz < 2 || nh.n_descsz > BUILD_ID_MAX)
			continue;
		len = snprintf(path, size, "%s/%02x/", DEBUG_BY_BUILD_ID, id[0]);
		for (size_t i = 1; i < nh.n_descsz && len > 0 && (size_t)len < size; i++)
			len += snprintf(path + len, size - (size_t)len, "%02x", id[i]);
		strncat(path, ".debug", size - strlen(path) - 1);
		return true;
	}
	return false;
}

/* The path of e's debug file by its GNU build id, into path. Returns 0 or -ENOENT. */
static int debug_file_path(Elf *e, char *path, size_t size)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;
	uint64_t left = NOTES_MAX;

	while ((scn = elf_nextscn(e, scn))) {
		Elf_Data *data = NULL;

		if (gelf_getshdr(scn, &sh) && sh.sh_type == SHT_NOTE && sh.sh_size <= left) {
			left -= sh.sh_size;
			data = elf_getdata(scn, NULL);
		}
		if (data && build_id_path(data, path, size))
			return access(path, R_OK) ? -ENOENT : 0;
	}
	return -ENOENT;
}

/* Reads the .symtab of e's debug file into f, if it has one installed. Returns as
 * add_funcs. */
static int add_debug_funcs(struct sym_file *f, Elf *e, size_t budget)
{
	char path[PATH_MAX];
	Elf *dbg;
	int fd, err;

	if (debug_file_path(e, path, sizeof(path)))
		return -ENOENT;
	if (sym_elf_open(path, &fd))
		return -ENOENT;
	dbg = elf_begin(fd, ELF_C_READ, NULL);
	err = dbg ? add_funcs(f, dbg, find_section(dbg, SHT_SYMTAB), budget) : -ENOENT;
	elf_end(dbg);
	close(fd);
	return err;
}

static int by_address(const void *a, const void *b)
{
	const struct sym_func *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/* The symbols of the ELF file e into f. Returns as sym_file_read. */
static int read_elf(struct sym_file *f, Elf *e, size_t budget)
{
	int err;

	if (!e || elf_kind(e) != ELF_K_ELF)
		return -ENOEXEC;
	err = read_segments(f, e);
	if (!err)
		err = add_funcs(f, e, find_section(e, SHT_SYMTAB), budget);
	if (err == -ENOENT || err == -EFBIG)
		err = add_debug_funcs(f, e, budget);
	if (err == -ENOENT || err == -EFBIG)
		err = add_funcs(f, e, find_section(e, SHT_DYNSYM), budget);
	if (err == -ENOENT || err == -EFBIG)
		err = 0; /* no table: its addresses print as the module and offset */
	if (f->funcs)
		qsort(f->funcs, f->nr_funcs, sizeof(*f->funcs), by_address);
	return err;
}

/* Read, not mapped (here and for the debug file): the file's owner may truncate it
 * while it is parsed, which would kill a reader of a mapping with SIGBUS. libelf reads
 * a section only when its data is asked for, so a table over budget is never read. Not
 * blocking in open (a FIFO), and only a regular file is read. */
int sym_file_read(struct sym_file *f, const char *path, size_t budget)
{
	int fd, err = sym_elf_open(path, &fd);
	Elf *e;

	if (err == -EFBIG)
		f->over_budget = true;
	if (err)
		return err;
	e = elf_begin(fd, ELF_C_READ, NULL);
	err = read_elf(f, e, budget);
	elf_end(e);
	close(fd);
	return err;
}

size_t sym_file_bytes(const struct sym_file *f)
{
	return f->nr_funcs * sizeof(*f->funcs) + f->strs_len + f->nr_segs * sizeof(*f->segs);
}

bool sym_file_address(const struct sym_file *f, uint64_t off, uint64_t *vaddr)
{
	for (size_t i = 0; i < f->nr_segs; i++)
		if (off >= f->segs[i].offset && off < f->segs[i].offset + f->segs[i].size) {
			*vaddr = off - f->segs[i].offset + f->segs[i].vaddr;
			return true;
		}
	return false;
}

size_t sym_count_at_or_below(const void *base, size_t n, size_t size, uint64_t key)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		uint64_t at;

		memcpy(&at, (const char *)base + mid * size, sizeof(at));
		if (at <= key)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

_Static_assert(offsetof(struct sym_func, addr) == 0, "functions are found by addr");

const struct sym_func *sym_file_func(const struct sym_file *f, uint64_t vaddr)
{
	size_t i = sym_count_at_or_below(f->funcs, f->nr_funcs, sizeof(*f->funcs), vaddr);
	const struct sym_func *fn = i ? &f->funcs[i - 1] : NULL;

	return fn && (!fn->size || vaddr < fn->addr + fn->size) ? fn : NULL;
}

void sym_file_clear(struct sym_file *f)
{
	if (!f)
		return;
	free(f->funcs);
	free(f->strs);
	free(f->segs);
	*f = (struct sym_file){ 0 };
}
