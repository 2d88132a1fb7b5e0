#include "sym/usdt_notes.h"

#include <errno.h>
#include <gelf.h>
#include <string.h>
#include <unistd.h>

#include "sym/elf_file.h"

#define SDT_SECTION ".note.stapsdt"
#define SDT_NOTE_TYPE 3		/* NT_STAPSDT, as <sys/sdt.h> writes it */
#define SDT_OWNER "stapsdt"	/* the note's name, with its NUL: 8 bytes */
#define NOTE_HEADER 12		/* namesz, descsz, type: three 32-bit words */
#define NOTE_ALIGN 4		/* names and descriptions are padded to 4 bytes */

/* n rounded up to NOTE_ALIGN, in 64 bits: a 32-bit size near its top does not wrap. */
static uint64_t padded(uint32_t n)
{
	return ((uint64_t)n + NOTE_ALIGN - 1) & ~(uint64_t)(NOTE_ALIGN - 1);
}

/* The address of width bytes (4 or 8) at p. */
static uint64_t address_at(const unsigned char *p, bool wide)
{
	uint64_t v64 = 0;
	uint32_t v32 = 0;

	if (!wide) {
		memcpy(&v32, p, sizeof(v32));
		return v32;
	}
	memcpy(&v64, p, sizeof(v64));
	return v64;
}

/* The NUL-terminated string at *at, which leaves *left bytes; advances past it. NULL
 * when no NUL ends it within them. */
static const char *take_string(const char **at, size_t *left)
{
	const char *s = *at, *nul = memchr(s, '\0', *left);

	if (!nul)
		return NULL;
	*left -= (size_t)(nul - s) + 1;
	*at = nul + 1;
	return s;
}

/* An SDT note's description, desc of size bytes, into n. Returns false when it does not
 * hold three addresses (pc, base, semaphore) and three strings, the first two not empty. */
static bool read_sdt_desc(const unsigned char *desc, size_t size, bool wide,
			  struct rl_usdt_note *n)
{
	size_t width = wide ? 8 : 4, left;
	const char *at;

	if (size < 3 * width)
		return false;
	n->pc = address_at(desc, wide);
	n->semaphore = address_at(desc + 2 * width, wide);
	at = (const char *)desc + 3 * width;
	left = size - 3 * width;
	n->provider = take_string(&at, &left);
	n->name = n->provider ? take_string(&at, &left) : NULL;
	n->args = n->name ? take_string(&at, &left) : NULL;
	return n->args && n->provider[0] && n->name[0];
}

int rl_usdt_notes_parse(const void *data, size_t size, bool wide, rl_usdt_note_fn fn,
			void *ctx)
{
	const unsigned char *bytes = data;
	uint64_t off = 0;

	while (size - off >= NOTE_HEADER) {
		uint32_t namesz, descsz, type;
		uint64_t name_off = off + NOTE_HEADER, desc_off;
		struct rl_usdt_note n;
		int ret;

		memcpy(&namesz, bytes + off, 4);
		memcpy(&descsz, bytes + off + 4, 4);
		memcpy(&type, bytes + off + 8, 4);
		desc_off = name_off + padded(namesz);
		/* The last note's padding may be cut off; its bytes may not. */
		if (desc_off > size || descsz > size - desc_off)
			return 0;
		off = desc_off + padded(descsz);
		if (off > size)
			off = size;
		if (type != SDT_NOTE_TYPE || namesz != sizeof(SDT_OWNER) ||
		    memcmp(bytes + name_off, SDT_OWNER, sizeof(SDT_OWNER)) ||
		    !read_sdt_desc(bytes + desc_off, descsz, wide, &n))
			continue;
		ret = fn(ctx, &n);
		if (ret)
			return ret;
	}
	return 0;
}

/* The SDT note section of e, or NULL. */
static Elf_Scn *find_notes(Elf *e)
{
	Elf_Scn *scn = NULL;
	size_t strndx;
	GElf_Shdr sh;

	if (elf_getshdrstrndx(e, &strndx))
		return NULL;
	while ((scn = elf_nextscn(e, scn))) {
		const char *name = gelf_getshdr(scn, &sh) ? elf_strptr(e, strndx, sh.sh_name) : NULL;

		if (name && sh.sh_type == SHT_NOTE && !strcmp(name, SDT_SECTION))
			return scn;
	}
	return NULL;
}

/* Whether e is in this machine's byte order: the addresses are read as they lie. */
static bool native_order(Elf *e)
{
	const char *ident = elf_getident(e, NULL);
	const unsigned char want = __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ ? ELFDATA2LSB :
				   ELFDATA2MSB;

	return ident && (unsigned char)ident[EI_DATA] == want;
}

/* Walks the notes of the opened ELF file e. Returns as rl_usdt_notes_read. The section's
 * size is checked on its header, before libelf reads it. */
static int walk_file_notes(Elf *e, rl_usdt_note_fn fn, void *ctx)
{
	Elf_Scn *scn;
	Elf_Data *data;
	GElf_Shdr sh;

	if (!e || elf_kind(e) != ELF_K_ELF || !native_order(e))
		return -ENOEXEC;
	scn = find_notes(e);
	if (!scn || !gelf_getshdr(scn, &sh))
		return 0;
	if (sh.sh_size > RL_USDT_NOTES_MAX)
		return -EFBIG;
	data = elf_rawdata(scn, NULL);
	if (!data || !data->d_buf)
		return 0;
	return rl_usdt_notes_parse(data->d_buf, data->d_size, gelf_getclass(e) == ELFCLASS64,
				   fn, ctx);
}

/* Read, not mapped: the file's owner may truncate it while it is parsed (SIGBUS). */
int rl_usdt_notes_read(const char *path, rl_usdt_note_fn fn, void *ctx)
{
	int fd, err = sym_elf_open(path, &fd);
	Elf *e;

	if (err)
		return err;
	elf_version(EV_CURRENT);
	e = elf_begin(fd, ELF_C_READ, NULL);
	err = walk_file_notes(e, fn, ctx);
	elf_end(e);
	close(fd);
	return err;
}
