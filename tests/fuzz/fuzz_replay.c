/* Fuzzing replay (--replay): a recording is a file anyone may hand to ringlua. Whatever
 * it holds, reading it and making its rings' types (BTF read and checked, declarations
 * and decoders generated, as rl_replay_run does before the script starts) must never
 * crash, hang or read past the file; every record handed out must lie inside it.
 *
 * And no text of the file may reach the Lua compiler: the only Lua a replay compiles
 * that is not the user's script is the generated decoders (decode.lua's _install), so
 * each one is checked to be the generator's own vocabulary outside string literals, and
 * identifiers (with JSON punctuation) inside them. A name from the file that broke out
 * of its literal would show as a word the generator never writes. Runs without CAP_BPF,
 * as a replay by any user does: the BTF is checked by ringlua's own rules alone. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <bpf/libbpf.h>

#include "app/replay_run.h"
#include "caps.h"
#include "record/recording.h"

/* Every word the decoder generator (kernel/btf_decode.c) writes as code. */
static const char *const VOCABULARY[] = {
	"local", "return", "function", "end", "ffi", "h", "ctype", "cast", "T", "typeof",
	"concat", "table", "D", "str", "q", "num", "jnum", "enum", "jenum", "ptr", "list",
	"list_json", "wide", "tostring", "nil", "e", "x", "p", "len", "strs", "qs", "min",
	"math", "tonumber", "v", "if", "then",
};

static bool word_ok(const char *w, size_t len)
{
	for (size_t i = 0; i < sizeof(VOCABULARY) / sizeof(VOCABULARY[0]); i++)
		if (strlen(VOCABULARY[i]) == len && !strncmp(VOCABULARY[i], w, len))
			return true;
	return false;
}

static bool word_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_';
}

/* Whether the string literal at s (its quote first) holds only identifier characters,
 * spaces and JSON punctuation; *end receives the character after it. */
static bool literal_ok(const char *s, const char **end)
{
	char quote = *s++;

	for (; *s && *s != quote; s++)
		if (!word_char(*s) && !strchr(" {}[]\":,*", *s))
			return false;
	*end = s + 1;
	return *s == quote;
}

/* Whether decoder source src is made only of the generator's words, numbers,
 * punctuation and clean literals. */
static bool generated_only(const char *src)
{
	const char *s = src, *end;

	while (*s) {
		if (*s == '"' || *s == '\'') {
			if (!literal_ok(s, &end))
				return false;
			s = end;
		} else if (word_char(*s) && !(*s >= '0' && *s <= '9')) {
			for (end = s; word_char(*end); end++)
				;
			if (!word_ok(s, (size_t)(end - s)))
				return false;
			s = end;
		} else if ((*s >= '0' && *s <= '9') || strchr(" \n(){}[]=,.-", *s)) {
			s++;
		} else {
			return false;
		}
	}
	return true;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	libbpf_set_print(NULL);
	if (drop_bpf_caps())
		abort();
	return 0;
}

/* The rings' types as a replay makes them; the decoders must be generated only. */
static void make_types(const struct rl_recording_meta *m)
{
	static struct rl_replay_types t;
	char why[512];

	if (rl_replay_types(&t, m, why, sizeof(why)) == 0)
		for (size_t i = 0; i < m->nr_rings; i++)
			if (t.rings[i].decoder && !generated_only(t.rings[i].decoder)) {
				fprintf(stderr, "decoder of %s is not the generator's own:\n%s\n",
					m->rings[i].name, t.rings[i].decoder);
				abort();
			}
	rl_replay_types_free(&t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct rl_rec batch[64];
	int fd = memfd_create("recording", MFD_CLOEXEC);
	char path[64];
	struct rl_replay *r = NULL;
	const char *why;
	uint64_t t, sum = 0;
	enum rl_mark mark;
	int n;

	if (fd < 0 || write(fd, data, size) != (ssize_t)size)
		abort();
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if (rl_replay_open(&r, path, &why) == 0) {
		make_types(rl_replay_meta(r));
		/* Records, and clock marks between them, to the end or a bad entry. */
		while ((n = rl_replay_next(r, batch, 64, &t, &mark, &why)) > 0 || (!n && mark))
			for (int i = 0; i < n; i++)
				for (uint32_t k = 0; k < batch[i].len; k++)
					sum += batch[i].data[k]; /* every byte must be readable */
		rl_replay_close(r);
	}
	close(fd);
	return (int)(sum & 0); /* keeps the reads */
}
