/* The USDT note reader on hostile input: notes cut at every length, sizes that run past
 * the section or wrap, strings without their NUL, other owners and types, random bytes
 * (every string handed on must lie inside the buffer and end there), and files that are
 * no ELF file or no regular file. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "check.h"
#include "sym/usdt_notes.h"

#define NT_STAPSDT 3
#define FUZZ_ROUNDS 20000
#define FUZZ_BYTES 256

/* What the walk saw: the notes, the last one's fields, and whether every string lay
 * inside [lo, hi). */
struct seen {
	int notes;
	char provider[64], name[64], args[64];
	uint64_t pc, semaphore;
	const char *lo, *hi;
	int outside;
};

static int inside(const struct seen *s, const char *str)
{
	const char *nul = str >= s->lo && str < s->hi ? memchr(str, '\0', (size_t)(s->hi - str)) :
			  NULL;

	return nul != NULL;
}

static int record(void *ctx, const struct rl_usdt_note *n)
{
	struct seen *s = ctx;

	s->notes++;
	if (s->lo && (!inside(s, n->provider) || !inside(s, n->name) || !inside(s, n->args))) {
		s->outside++;
		return 0;
	}
	snprintf(s->provider, sizeof(s->provider), "%s", n->provider);
	snprintf(s->name, sizeof(s->name), "%s", n->name);
	snprintf(s->args, sizeof(s->args), "%s", n->args);
	s->pc = n->pc;
	s->semaphore = n->semaphore;
	return 0;
}

static size_t put_u32(unsigned char *at, uint32_t v)
{
	memcpy(at, &v, sizeof(v));
	return sizeof(v);
}

/* Writes one note (owner with its NUL, type, desc of descsz bytes) at out, padded as the
 * ELF format pads; returns its length. */
static size_t put_note(unsigned char *out, const char *owner, uint32_t type, const void *desc,
		       uint32_t descsz)
{
	uint32_t namesz = (uint32_t)strlen(owner) + 1;
	size_t at = 0;

	at += put_u32(out + at, namesz);
	at += put_u32(out + at, descsz);
	at += put_u32(out + at, type);
	memset(out + at, 0, (namesz + 3) & ~3u);
	memcpy(out + at, owner, namesz);
	at += (namesz + 3) & ~3u;
	memset(out + at, 0, (descsz + 3) & ~3u);
	memcpy(out + at, desc, descsz);
	return at + ((descsz + 3) & ~3u);
}

/* An SDT description: three addresses (8 or 4 bytes) and three strings. */
static uint32_t sdt_desc(unsigned char *out, int wide, uint64_t pc, uint64_t sema,
			 const char *provider, const char *name, const char *args)
{
	size_t w = wide ? 8 : 4, at = 0;
	uint64_t addrs[3] = { pc, 0x1000, sema };

	for (int i = 0; i < 3; i++, at += w) {
		uint32_t a32 = (uint32_t)addrs[i];

		memcpy(out + at, wide ? (void *)&addrs[i] : (void *)&a32, w);
	}
	for (const char *s[] = { provider, name, args }, **p = s; p < s + 3; p++) {
		memcpy(out + at, *p, strlen(*p) + 1);
		at += strlen(*p) + 1;
	}
	return (uint32_t)at;
}

static void test_reads_a_note(void)
{
	unsigned char desc[128], buf[256];
	uint32_t dlen = sdt_desc(desc, 1, 0x42512a, 0x7000, "python", "audit", "8@%rbx 8@%r15");
	size_t len = put_note(buf, "stapsdt", NT_STAPSDT, desc, dlen);
	struct seen s = { 0 };

	CHECK(rl_usdt_notes_parse(buf, len, true, record, &s) == 0);
	CHECK(s.notes == 1);
	CHECK(!strcmp(s.provider, "python") && !strcmp(s.name, "audit"));
	CHECK(!strcmp(s.args, "8@%rbx 8@%r15"));
	CHECK(s.pc == 0x42512a && s.semaphore == 0x7000);
}

static void test_reads_32_bit_notes(void)
{
	unsigned char desc[128], buf[256];
	uint32_t dlen = sdt_desc(desc, 0, 0x8048000, 0, "p", "n", "");
	size_t len = put_note(buf, "stapsdt", NT_STAPSDT, desc, dlen);
	struct seen s = { 0 };

	CHECK(rl_usdt_notes_parse(buf, len, false, record, &s) == 0);
	CHECK(s.notes == 1 && s.pc == 0x8048000 && !strcmp(s.args, ""));
}

/* Cut anywhere before its last byte, a note is not read, and nothing is read past the
 * cut (the copy ends at the cut, under ASan a heap buffer of exactly that size). */
static void test_every_truncation(void)
{
	unsigned char desc[128], buf[256];
	uint32_t dlen = sdt_desc(desc, 1, 1, 0, "provider", "name", "-4@%eax");
	size_t len = put_note(buf, "stapsdt", NT_STAPSDT, desc, dlen);
	size_t desc_end = 12 + 8 + dlen;

	for (size_t cut = 0; cut < len; cut++) {
		unsigned char *copy = malloc(cut ? cut : 1);
		struct seen s = { 0 };

		CHECK(copy);
		memcpy(copy, buf, cut);
		CHECK(rl_usdt_notes_parse(copy, cut, true, record, &s) == 0);
		free(copy);
		CHECK(s.notes == (cut >= desc_end ? 1 : 0));
	}
}

/* Sizes near 2^32 must neither wrap nor be believed. */
static void test_sizes_past_the_end(void)
{
	unsigned char buf[64] = { 0 };
	uint32_t huge[] = { 0xffffffffu, 0xfffffffdu, 0x80000000u, 40 };
	struct seen s = { 0 };

	for (size_t i = 0; i < sizeof(huge) / sizeof(huge[0]); i++) {
		put_u32(buf, 8);
		put_u32(buf + 4, huge[i]);
		put_u32(buf + 8, NT_STAPSDT);
		memcpy(buf + 12, "stapsdt", 8);
		CHECK(rl_usdt_notes_parse(buf, 32, true, record, &s) == 0);
		put_u32(buf, huge[i]);
		put_u32(buf + 4, 4);
		CHECK(rl_usdt_notes_parse(buf, 32, true, record, &s) == 0);
	}
	CHECK(s.notes == 0);
}

/* Notes of other owners or types, descriptions too short for their addresses, strings
 * without a NUL or empty: passed over, and the good note after them still read. */
static void test_malformed_notes_passed_over(void)
{
	unsigned char desc[128], buf[1024];
	uint32_t dlen;
	size_t len = 0;
	struct seen s = { 0 };

	dlen = sdt_desc(desc, 1, 1, 0, "p", "n", "");
	len += put_note(buf + len, "GNU", NT_STAPSDT, desc, dlen);
	len += put_note(buf + len, "stapsdt", 1, desc, dlen);
	len += put_note(buf + len, "stapsdt", NT_STAPSDT, desc, 20);	/* cut in the strings */
	len += put_note(buf + len, "stapsdt", NT_STAPSDT, desc, 16);	/* two addresses */
	memset(desc + 24, 'x', sizeof(desc) - 24);			/* no NUL at all */
	len += put_note(buf + len, "stapsdt", NT_STAPSDT, desc, 60);
	dlen = sdt_desc(desc, 1, 1, 0, "", "n", "");			/* empty provider */
	len += put_note(buf + len, "stapsdt", NT_STAPSDT, desc, dlen);
	dlen = sdt_desc(desc, 1, 1, 0, "p", "", "");			/* empty name */
	len += put_note(buf + len, "stapsdt", NT_STAPSDT, desc, dlen);
	dlen = sdt_desc(desc, 1, 7, 0, "good", "one", "8@%rdi");
	len += put_note(buf + len, "stapsdt", NT_STAPSDT, desc, dlen);
	CHECK(rl_usdt_notes_parse(buf, len, true, record, &s) == 0);
	CHECK(s.notes == 1 && !strcmp(s.provider, "good") && s.pc == 7);
}

static int stop_at_first(void *ctx, const struct rl_usdt_note *n)
{
	(void)n;
	++*(int *)ctx;
	return -ECANCELED;
}

static void test_callback_stops_the_walk(void)
{
	unsigned char desc[128], buf[512];
	uint32_t dlen = sdt_desc(desc, 1, 1, 0, "p", "n", "");
	size_t len = put_note(buf, "stapsdt", NT_STAPSDT, desc, dlen);
	int calls = 0;

	len += put_note(buf + len, "stapsdt", NT_STAPSDT, desc, dlen);
	CHECK(rl_usdt_notes_parse(buf, len, true, stop_at_first, &calls) == -ECANCELED);
	CHECK(calls == 1);
}

/* A valid note with a few bytes changed at random, at a random length: whatever is
 * handed on lies in the buffer. Some survive whole, and are read. */
static void test_random_bytes(void)
{
	unsigned char desc[128], good[256];
	uint32_t dlen = sdt_desc(desc, 1, 1, 0, "prov", "name", "8@%rax");
	size_t good_len = put_note(good, "stapsdt", NT_STAPSDT, desc, dlen);
	int read = 0;

	srand(1);
	for (int round = 0; round < FUZZ_ROUNDS; round++) {
		size_t len = (size_t)rand() % FUZZ_BYTES;
		unsigned char *buf = malloc(len ? len : 1);
		struct seen s = { 0 };

		CHECK(buf);
		for (size_t i = 0; i < len; i++)
			buf[i] = i < good_len && rand() % 64 ? good[i] : (unsigned char)rand();
		s.lo = (const char *)buf;
		s.hi = (const char *)buf + len;
		rl_usdt_notes_parse(buf, len, rand() % 2, record, &s);
		free(buf);
		CHECK(!s.outside);
		read += s.notes;
	}
	CHECK(read > 0);
}

/* Files: a text file and a FIFO (never blocked on) are no ELF file; a missing one is
 * open's error; a real binary of the machine reads without error. */
static void test_files(void)
{
	char dir[] = "/tmp/usdt_notes.XXXXXX", path[64];
	struct seen s = { 0 };
	FILE *f;

	CHECK(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/text", dir);
	f = fopen(path, "w");
	CHECK(f);
	fputs("not an ELF file\n", f);
	fclose(f);
	CHECK(rl_usdt_notes_read(path, record, &s) == -ENOEXEC);
	unlink(path);
	snprintf(path, sizeof(path), "%s/fifo", dir);
	CHECK(mkfifo(path, 0600) == 0);
	CHECK(rl_usdt_notes_read(path, record, &s) == -ENOEXEC);
	unlink(path);
	rmdir(dir);
	CHECK(rl_usdt_notes_read("/nonexistent/file", record, &s) == -ENOENT);
	CHECK(rl_usdt_notes_read("/proc/self/exe", record, &s) == 0);
}

int main(void)
{
	RUN(test_reads_a_note);
	RUN(test_reads_32_bit_notes);
	RUN(test_every_truncation);
	RUN(test_sizes_past_the_end);
	RUN(test_malformed_notes_passed_over);
	RUN(test_callback_stops_the_walk);
	RUN(test_random_bytes);
	RUN(test_files);
	return check_summary();
}
