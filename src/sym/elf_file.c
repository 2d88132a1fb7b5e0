#include "sym/elf_file.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

/* Whether fd is a regular file: what is read for symbols, never a FIFO or a device. */
static bool regular_file(int fd)
{
	struct stat st;

	return !fstat(fd, &st) && S_ISREG(st.st_mode);
}

/* Whether the ELF header of fd numbers its sections or program headers the extended
 * way (e_shnum 0 with section headers present, e_phnum PN_XNUM: the count is in the
 * first section header, up to what the file holds). libelf allocates a few hundred bytes
 * per section as it opens a file, and the segments are copied, so such a file is refused
 * before libelf opens it: 16-bit counts keep both under 20 MB. Either byte order and
 * class: 0 and 0xffff read the same in all of them. */
static bool extended_numbering(int fd)
{
	unsigned char h[64];
	bool wide;
	uint64_t shoff = 0;
	uint16_t shnum, phnum;

	if (pread(fd, h, sizeof(h), 0) != (ssize_t)sizeof(h) || memcmp(h, ELFMAG, SELFMAG))
		return false; /* libelf says what it is */
	wide = h[EI_CLASS] == ELFCLASS64;
	memcpy(&shoff, h + (wide ? 40 : 32), wide ? 8 : 4);
	memcpy(&phnum, h + (wide ? 56 : 44), sizeof(phnum));
	memcpy(&shnum, h + (wide ? 60 : 48), sizeof(shnum));
	return (!shnum && shoff) || phnum == PN_XNUM;
}

int sym_elf_open(const char *path, int *fd)
{
	int err = 0;

	*fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (*fd < 0)
		return -errno;
	if (!regular_file(*fd))
		err = -ENOEXEC;
	else if (extended_numbering(*fd))
		err = -EFBIG;
	if (err) {
		close(*fd);
		*fd = -1;
	}
	return err;
}
