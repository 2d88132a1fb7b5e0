/* craft_rec: writes recordings such as a hostile hand could, for the tests of --replay.
 * The file is written by ringlua's own recorder (record/recording.c), so only what
 * the kind asks for is odd about it.
 *
 *   craft_rec times FILE T...        a --pin recording: one 8-byte record at each time T
 *                                    (ns, decimal, up to 2^64 - 1)
 *   craft_rec deep_pointers N FILE   a --bpf recording whose record type holds a pointer
 *                                    to a pointer ... (N of them) to an int
 *   craft_rec deep_structs N FILE    the same with N structs, each holding the next
 *   craft_rec short FILE             a --bpf recording of one 8-byte record of a
 *                                    64 KiB type, last in the file
 *
 * Exits 0, 1 on a failure (printed), 2 on bad usage. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/btf.h>

#include "record/recording.h"

/* The size of the type a short record is 8 bytes of. */
#define BIG_SIZE 65536

static const uint8_t payload[8] = { 'r', 'i', 'n', 'g', 'l', 'u', 'a', 0 };

/* Writes a recording of meta at path: one 8-byte record at each of times[0..n-1]. */
static int write_recording(const char *path, const struct rl_recording_meta *meta,
			   const uint64_t *times, size_t n)
{
	struct rl_recorder *r = NULL;
	struct rl_rec rec = { .data = payload, .len = sizeof(payload), .ring = 0 };
	int err = rl_recorder_open(&r, path, meta);

	for (size_t i = 0; !err && i < n; i++)
		err = rl_recorder_write(r, &rec, 1, times[i]);
	if (r) {
		int close_err = rl_recorder_close(r);

		err = err ? err : close_err;
	}
	if (err)
		fprintf(stderr, "craft_rec: %s: %s\n", path, strerror(-err));
	return err ? 1 : 0;
}

/* A --bpf recording of ring "events", records of `struct ev` as btf declares it. */
static int write_bpf(const char *path, const struct btf *btf)
{
	struct rl_recording_meta m = { .source = "bpf", .nr_rings = 1 };
	uint32_t size = 0;
	uint64_t t = 1000;

	m.rings[0] = (struct rl_recording_ring){ "events", "struct ev" };
	m.btf = btf__raw_data(btf, &size);
	m.btf_size = size;
	if (!m.btf) {
		fprintf(stderr, "craft_rec: cannot build the BTF\n");
		return 1;
	}
	return write_recording(path, &m, &t, 1);
}

static int times(int argc, char **argv)
{
	struct rl_recording_meta m = { .source = "pin", .nr_rings = 1 };
	uint64_t *t = calloc((size_t)argc, sizeof(*t));
	int status = t ? 0 : 1;

	m.rings[0] = (struct rl_recording_ring){ "events", "" };
	for (int i = 1; !status && i < argc; i++) {
		char *end;

		errno = 0;
		t[i - 1] = strtoull(argv[i], &end, 10);
		if (errno || *end || !*argv[i]) {
			fprintf(stderr, "craft_rec: not a time: %s\n", argv[i]);
			status = 2;
		}
	}
	if (!status)
		status = write_recording(argv[0], &m, t, (size_t)argc - 1);
	free(t);
	return status;
}

/* Adds struct name { inner x; } of size bytes; returns its id or -errno. */
static int add_holder(struct btf *btf, const char *name, const char *field, int inner,
		      uint32_t size)
{
	int id = btf__add_struct(btf, name, size);

	if (id > 0 && btf__add_field(btf, field, inner, 0, 0))
		return -EINVAL;
	return id;
}

/* struct ev { T p; } where T is a pointer to a pointer ... (n of them) to an int
 * (pointers == true), or struct s<n-1> holding s<n-2> ... holding an int. */
static struct btf *deep_btf(long n, bool pointers)
{
	struct btf *btf = btf__new_empty();
	int id = btf ? btf__add_int(btf, "int", 4, BTF_INT_SIGNED) : -ENOMEM;
	char name[32];

	for (long i = 0; id > 0 && i < n; i++) {
		snprintf(name, sizeof(name), "s%ld", i);
		id = pointers ? btf__add_ptr(btf, id) : add_holder(btf, name, "x", id, 4);
	}
	if (id > 0)
		id = add_holder(btf, "ev", "p", id, pointers ? 8 : 4);
	if (id < 0) {
		btf__free(btf);
		return NULL;
	}
	return btf;
}

static int deep(int argc, char **argv, bool pointers)
{
	char *end;
	long n = argc == 2 ? strtol(argv[0], &end, 10) : 0;
	struct btf *btf;
	int status;

	if (n <= 0 || *end)
		return 2;
	btf = deep_btf(n, pointers);
	status = btf ? write_bpf(argv[1], btf) : 1;
	btf__free(btf);
	return status;
}

/* struct ev { uint64_t first; char text[BIG_SIZE - 16]; uint64_t last; }. */
static int short_record(int argc, char **argv)
{
	struct btf *btf = argc == 1 ? btf__new_empty() : NULL;
	int u64 = btf ? btf__add_int(btf, "unsigned long long", 8, 0) : -1;
	int chr = btf ? btf__add_int(btf, "char", 1, BTF_INT_SIGNED) : -1;
	int text = u64 > 0 && chr > 0 ? btf__add_array(btf, u64, chr, BIG_SIZE - 16) : -1;
	int ev = text > 0 ? btf__add_struct(btf, "ev", BIG_SIZE) : -1;
	int status;

	if (argc != 1)
		return 2;
	if (ev < 0 || btf__add_field(btf, "first", u64, 0, 0) ||
	    btf__add_field(btf, "text", text, 64, 0) ||
	    btf__add_field(btf, "last", u64, (BIG_SIZE - 8) * 8, 0)) {
		fprintf(stderr, "craft_rec: cannot build the BTF\n");
		btf__free(btf);
		return 1;
	}
	status = write_bpf(argv[0], btf);
	btf__free(btf);
	return status;
}

int main(int argc, char **argv)
{
	const char *kind = argc > 1 ? argv[1] : "";
	int status = 2;

	if (!strcmp(kind, "times") && argc > 2)
		status = times(argc - 2, argv + 2);
	else if (!strcmp(kind, "deep_pointers"))
		status = deep(argc - 2, argv + 2, true);
	else if (!strcmp(kind, "deep_structs"))
		status = deep(argc - 2, argv + 2, false);
	else if (!strcmp(kind, "short"))
		status = short_record(argc - 2, argv + 2);
	if (status == 2)
		fprintf(stderr, "usage: craft_rec times FILE T... | deep_pointers N FILE | "
				"deep_structs N FILE | short FILE\n");
	return status;
}
