/* One ELF file's function symbols and loadable segments, as the symbolizer keeps them
 * (internal to src/sym). Each function names its name by its offset into one copy of the
 * file's string table: symbols that share a name share its bytes, so what a file costs
 * is bounded by the sizes of its tables, which a budget bounds in turn. */
#ifndef RINGLUA_SYM_FILE_H
#define RINGLUA_SYM_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sym_func {
	uint64_t addr;
	uint64_t size;		/* 0: unknown, it runs to the next function */
	uint32_t name;		/* offset in the file's string table */
};

/* A loadable segment: file bytes [offset, offset + size) are at vaddr. */
struct sym_segment {
	uint64_t offset;
	uint64_t vaddr;
	uint64_t size;
};

struct sym_file {
	struct sym_func *funcs;	/* sorted by address */
	size_t nr_funcs;
	char *strs;		/* the string table the names are in; its last byte is NUL */
	size_t strs_len;
	struct sym_segment *segs;
	size_t nr_segs;
	bool over_budget;	/* a symbol table was passed over for its size */
};

/* Reads into f (zeroed) the segments and functions of the ELF file path: .symtab, else the
 * .symtab of its debug file (/usr/lib/debug/.build-id), else .dynsym. A table whose
 * functions and string table would hold more than budget bytes is passed over, unread,
 * for the next; a file with no table within budget has segments and no functions.
 * Returns 0, -ENOEXEC (not a regular ELF file), -EFBIG (more sections or program
 * headers than an ELF header's count holds: not read at all), -ENOMEM or open's -errno. */
int sym_file_read(struct sym_file *f, const char *path, size_t budget);

/* The bytes of memory f holds. */
size_t sym_file_bytes(const struct sym_file *f);

/* The file's own address of file offset off; false if no segment holds it. */
bool sym_file_address(const struct sym_file *f, uint64_t off, uint64_t *vaddr);

/* The function file address vaddr falls in, or NULL; its name is f->strs + fn->name. */
const struct sym_func *sym_file_func(const struct sym_file *f, uint64_t vaddr);

/* How many of the n entries (size bytes each) at base have a first member, a uint64_t by
 * which they are sorted, at most key: the index after the last such entry. Both the
 * functions of a file and the mappings of a process are found by address with it. */
size_t sym_count_at_or_below(const void *base, size_t n, size_t size, uint64_t key);

/* Frees what f holds (not f itself) and zeroes it. Accepts NULL. */
void sym_file_clear(struct sym_file *f);

#endif
