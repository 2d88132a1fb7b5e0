/* Opening an ELF file that someone else may have written, to read it as root: only a
 * regular file, never blocking in open (a FIFO), and not one whose counts make libelf
 * allocate without bound. Shared by the symbolizer and the USDT note reader. */
#ifndef RINGLUA_ELF_FILE_H
#define RINGLUA_ELF_FILE_H

/* Opens path read-only into *fd. Returns 0, -ENOEXEC (not a regular file), -EFBIG (more
 * sections or program headers than an ELF header's count holds: the file is closed) or
 * open's -errno. */
int sym_elf_open(const char *path, int *fd);

#endif
