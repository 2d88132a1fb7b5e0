/* craft_rec: writes recordings such as a hostile hand could, for the tests of --replay.
 * The file is written by ringlua's own recorder (record/recording.c), so only what
 * the kind asks for is odd about it.
 *
 *   craft_rec times FILE T...        a --pin recording of format 2 (no clock marks): one
 *                                    8-byte record at each time T (ns, decimal, up to
 *                                    2^64 - 1)
 *   craft_rec marks FILE E...        a --pin recording of format 3 with entries E in
 *                                    order: record:T (8 bytes), start:T, tick:T, stop:T
 *                                    (clock marks), or tick_bytes:T (a tick mark with 8
 *                                    bytes in it)
 *   craft_rec deep_pointers N FILE   a --bpf recording whose record type holds a pointer
 *                                    to a pointer ... (N of them) to an int
 *   craft_rec deep_structs N FILE    the same with N structs, each holding the next
 *   craft_rec short FILE             a --bpf recording of one 8-byte record of a
 *                                    64 KiB type, last in the file
 * The --bpf ones are of format 3: their record between a start and a stop mark.
 *
 * Exits 0, 1 on a failure (printed), 2 on bad usage. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/btf.h>

#include "record/recording.h"

/* The size of the type a short record is 8 bytes of. */
#define BIG_SIZE 65536

static const uint8_t payload[8] = { 'r', 'i', 'n', 'g', 'l', 'u', 'a', 0 };

/* An entry to write: a record (RL_MARK_NONE) or a clock mark, with 8 bytes if bytes. */
struct craft_entry {
	enum rl_mark mark;
	bool bytes;
	uint64_t time_ns;
};

/* The kinds of entry `marks` takes. */
static const struct craft_kind {
	const char *name;
	enum rl_mark mark;
	bool bytes;
} KINDS[] = {
	{ "record", RL_MARK_NONE, false }, { "start", RL_MARK_START, false },
	{ "tick", RL_MARK_TICK, false }, { "stop", RL_MARK_STOP, false },
	{ "tick_bytes", RL_MARK_TICK, true },
};

static int write_entry(struct rl_recorder *r, const struct craft_entry *e)
{
	struct rl_rec rec = { .data = payload, .len = sizeof(payload), .ring = 0 };

	if (e->mark && !e->bytes)
		return rl_recorder_mark(r, e->mark, e->time_ns);
	if (e->mark) /* a mark as the recorder never writes one */
		rec.ring = rl_recording_mark_ring(e->mark);
	return rl_recorder_write(r, &rec, 1, e->time_ns);
}

/* Gives the recording at path the format byte of format. Returns 0 or -errno. */
static int set_format(const char *path, uint8_t format)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	int err = 0;

	if (fd < 0)
		return -errno;
	if (pwrite(fd, &format, 1, strlen(RL_RECORDING_MAGIC)) != 1)
		err = -errno;
	close(fd);
	return err;
}

/* Writes a recording of meta at path: entries[0..n-1], in the format given (format 2:
 * the recorder's file, which then has no marks, with its format byte changed). */
static int write_recording(const char *path, const struct rl_recording_meta *meta,
			   const struct craft_entry *entries, size_t n, uint8_t format)
{
	struct rl_recorder *r = NULL;
	int err = rl_recorder_open(&r, path, meta);

	for (size_t i = 0; !err && i < n; i++)
		err = write_entry(r, &entries[i]);
	if (r) {
		int close_err = rl_recorder_close(r);

		err = err ? err : close_err;
	}
	if (!err && format != RL_RECORDING_FORMAT)
		err = set_format(path, format);
	if (err)
		fprintf(stderr, "craft_rec: %s: %s\n", path, strerror(-err));
	return err ? 1 : 0;
}

/* A --bpf recording of ring "events", records of `struct ev` as btf declares it. */
static int write_bpf(const char *path, const struct btf *btf)
{
	struct rl_recording_meta m = { .source = "bpf", .nr_rings = 1 };
	const struct craft_entry entries[] = {
		{ RL_MARK_START, false, 1000 }, { RL_MARK_NONE, false, 1000 },
		{ RL_MARK_STOP, false, 1000 },
	};
	uint32_t size = 0;

	m.rings[0] = (struct rl_recording_ring){ "events", "struct ev" };
	m.btf = btf__raw_data(btf, &size);
	m.btf_size = size;
	if (!m.btf) {
		fprintf(stderr, "craft_rec: cannot build the BTF\n");
		return 1;
	}
	return write_recording(path, &m, entries, 3, RL_RECORDING_FORMAT);
}

/* Reads entry arg, "KIND:T" (marked) or "T", into e. Returns whether it is one. */
static bool parse_entry(const char *arg, bool marked, struct craft_entry *e)
{
	const char *t = arg, *colon = strchr(arg, ':');
	const struct craft_kind *kind = marked ? NULL : &KINDS[0];
	char *end;

	for (size_t k = 0; !kind && colon && k < sizeof(KINDS) / sizeof(KINDS[0]); k++)
		if (strlen(KINDS[k].name) == (size_t)(colon - arg) &&
		    !strncmp(arg, KINDS[k].name, (size_t)(colon - arg)))
			kind = &KINDS[k];
	if (!kind)
		return false;
	if (marked)
		t = colon + 1;
	*e = (struct craft_entry){ kind->mark, kind->bytes, 0 };
	errno = 0;
	e->time_ns = strtoull(t, &end, 10);
	return !errno && !*end && *t;
}

/* A --pin recording of the entries in argv[1..argc-1] at path argv[0]. */
static int pin_recording(int argc, char **argv, bool marked)
{
	struct rl_recording_meta m = { .source = "pin", .nr_rings = 1 };
	struct craft_entry *e = calloc((size_t)argc, sizeof(*e));
	int status = e ? 0 : 1;

	m.rings[0] = (struct rl_recording_ring){ "events", "" };
	for (int i = 1; !status && i < argc; i++)
		if (!parse_entry(argv[i], marked, &e[i - 1])) {
			fprintf(stderr, "craft_rec: not an entry: %s\n", argv[i]);
			status = 2;
		}
	if (!status)
		status = write_recording(argv[0], &m, e, (size_t)argc - 1, marked ?
					 RL_RECORDING_FORMAT : RL_RECORDING_FORMAT_UNMARKED);
	free(e);
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
		status = pin_recording(argc - 2, argv + 2, false);
	else if (!strcmp(kind, "marks") && argc > 2)
		status = pin_recording(argc - 2, argv + 2, true);
	else if (!strcmp(kind, "deep_pointers"))
		status = deep(argc - 2, argv + 2, true);
	else if (!strcmp(kind, "deep_structs"))
		status = deep(argc - 2, argv + 2, false);
	else if (!strcmp(kind, "short"))
		status = short_record(argc - 2, argv + 2);
	if (status == 2)
		fprintf(stderr, "usage: craft_rec times FILE T... | marks FILE KIND:T... | "
				"deep_pointers N FILE | deep_structs N FILE | short FILE\n");
	return status;
}
