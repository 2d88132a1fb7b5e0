/* Fuzzing the symbolizer's reader of ELF files (src/sym/sym_file.c): any process may map
 * a file of its making and have its stacks symbolized by ringlua, as root. Whatever the
 * file holds, reading it must never crash, hang or read past what it read; what it keeps
 * must stay within the budget; and every function's name must lie inside the string
 * table kept, ending there. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#include "sym/sym_file.h"

#include <libelf.h>

/* Small, so that inputs over and under it are both within reach. */
#define BUDGET 4096

/* Checks what a read of the file kept, and looks up addresses in it. */
static void check(const struct sym_file *f)
{
	if (f->nr_funcs * sizeof(*f->funcs) + f->strs_len > BUDGET)
		abort(); /* over budget */
	if (f->nr_funcs && (!f->strs_len || f->strs[f->strs_len - 1]))
		abort(); /* names could run off the table */
	for (size_t i = 0; i < f->nr_funcs; i++) {
		const struct sym_func *fn = &f->funcs[i];

		if (fn->name >= f->strs_len || (i && f->funcs[i - 1].addr > fn->addr))
			abort(); /* a name outside the table, or unsorted */
		(void)sym_file_func(f, fn->addr);
	}
	for (size_t i = 0; i < f->nr_segs; i++) {
		uint64_t vaddr;

		if (sym_file_address(f, f->segs[i].offset, &vaddr))
			(void)sym_file_func(f, vaddr);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sym_file f = { 0 };
	char path[64];
	int fd = memfd_create("fuzz_sym", MFD_CLOEXEC);

	if (fd < 0)
		abort();
	if (write(fd, data, size) != (ssize_t)size)
		abort();
	elf_version(EV_CURRENT);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if (!sym_file_read(&f, path, BUDGET))
		check(&f);
	sym_file_clear(&f);
	close(fd);
	return 0;
}
