#include "record/recording.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/ident.h"

#define MAGIC_LEN (sizeof(RL_RECORDING_MAGIC) - 1)
/* The magic and the format byte, then the header's size. */
#define PREAMBLE (MAGIC_LEN + 1 + 4)
#define RECORD_HEADER 16
/* A record longer than this is a corrupt length, not an event. */
#define MAX_RECORD (64u << 20)

struct rl_recorder {
	FILE *f;
};

struct rl_replay {
	const uint8_t *map;
	size_t size;
	size_t pos;		/* next entry */
	struct rl_recording_meta meta;
	char *strings;		/* the header's fields, NUL-terminated, meta points into it */
	bool marked;		/* format 3: clock marks, in order, and times that never go
				 * back; the rest is read as format 2 is */
	bool started;		/* its start mark was read */
	uint64_t last_ns;	/* the time of the last entry read */
};

/* An entry's header, as read. */
struct entry {
	uint32_t len;
	uint32_t ring;
	uint64_t time_ns;
	enum rl_mark mark;	/* RL_MARK_NONE: a record */
};

static void put_u32(FILE *f, uint32_t v)
{
	uint8_t b[4] = { v, v >> 8, v >> 16, v >> 24 };

	fwrite(b, 1, 4, f);
}

static void put_field(FILE *f, const char *s)
{
	put_u32(f, (uint32_t)strlen(s));
	fputs(s, f);
}

static uint32_t get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get_u64(const uint8_t *p)
{
	return (uint64_t)get_u32(p) | (uint64_t)get_u32(p + 4) << 32;
}

bool rl_recording_ctype_ok(const char *s)
{
	if (!*s)
		return true;
	if (!strncmp(s, "struct ", 7))
		return rl_ident_ok(s + 7);
	return !strncmp(s, "union ", 6) && rl_ident_ok(s + 6);
}

/* Whether the recorder may write m: a reader refuses what this refuses. */
static bool meta_ok(const struct rl_recording_meta *m)
{
	bool source_ok = rl_ident_ok(m->source) || rl_ident_probe_list_ok(m->source);

	if (!source_ok || m->nr_rings == 0 || m->nr_rings > RL_RECORDING_RINGS)
		return false;
	for (size_t i = 0; i < m->nr_rings; i++)
		if (!(rl_ident_ok(m->rings[i].name) || rl_ident_probe_ok(m->rings[i].name)) ||
		    !rl_recording_ctype_ok(m->rings[i].ctype))
			return false;
	return true;
}

/* The header, built in memory first so that its size leads it. */
static int header(const struct rl_recording_meta *m, char **buf, size_t *len)
{
	FILE *f = open_memstream(buf, len);
	char count[16];

	if (!f)
		return -ENOMEM;
	snprintf(count, sizeof(count), "%zu", m->nr_rings);
	put_field(f, m->source);
	put_field(f, count);
	for (size_t i = 0; i < m->nr_rings; i++) {
		put_field(f, m->rings[i].name);
		put_field(f, m->rings[i].ctype);
	}
	put_u32(f, (uint32_t)(m->btf ? m->btf_size : 0));
	if (m->btf)
		fwrite(m->btf, 1, m->btf_size, f);
	return fclose(f) ? -ENOMEM : 0;
}

/* Creates path as a new file of mode 0600: never an existing file, nor where a link
 * there points (O_EXCL takes no link, even a dangling one), and whatever the umask.
 * Returns the descriptor or -errno (-EEXIST when path exists). */
static int create_new(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	int err;

	if (fd < 0)
		return -errno;
	/* Left in place on a failure: unlinking the name again could remove a file
	 * someone put there since. */
	if (fchmod(fd, 0600)) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

int rl_recorder_open(struct rl_recorder **out, const char *path,
		     const struct rl_recording_meta *meta)
{
	bool ok = meta_ok(meta);
	struct rl_recorder *r = calloc(1, sizeof(*r));
	int fd = ok ? create_new(path) : -EINVAL;
	char *hdr = NULL;
	size_t len = 0;
	int err;

	if (fd < 0)
		err = fd;
	else
		err = r ? header(meta, &hdr, &len) : -ENOMEM;

	if (!err && !(r->f = fdopen(fd, "w")))
		err = -errno;
	if (err) {
		if (fd >= 0)
			close(fd);
		free(r);
		free(hdr);
		return err;
	}
	fputs(RL_RECORDING_MAGIC, r->f);
	fputc(RL_RECORDING_FORMAT, r->f);
	put_u32(r->f, (uint32_t)len);
	fwrite(hdr, 1, len, r->f);
	free(hdr);
	*out = r;
	return ferror(r->f) ? -EIO : 0;
}

/* Appends an entry's header. */
static void put_entry(FILE *f, uint32_t len, uint32_t ring, uint64_t time_ns)
{
	put_u32(f, len);
	put_u32(f, ring);
	put_u32(f, (uint32_t)time_ns);
	put_u32(f, (uint32_t)(time_ns >> 32));
}

int rl_recorder_write(struct rl_recorder *r, const struct rl_rec *recs, size_t n,
		      uint64_t time_ns)
{
	static const uint8_t pad[8];

	for (size_t i = 0; i < n; i++) {
		put_entry(r->f, recs[i].len, recs[i].ring, time_ns);
		fwrite(recs[i].data, 1, recs[i].len, r->f);
		fwrite(pad, 1, (8 - recs[i].len % 8) % 8, r->f);
	}
	return ferror(r->f) ? -EIO : 0;
}

static const uint32_t MARK_RINGS[] = {
	[RL_MARK_START] = RL_RING_MARK_START,
	[RL_MARK_TICK] = RL_RING_MARK_TICK,
	[RL_MARK_STOP] = RL_RING_MARK_STOP,
};

uint32_t rl_recording_mark_ring(enum rl_mark mark)
{
	return mark > RL_MARK_NONE && mark <= RL_MARK_STOP ? MARK_RINGS[mark] : 0;
}

int rl_recorder_mark(struct rl_recorder *r, enum rl_mark mark, uint64_t time_ns)
{
	uint32_t ring = rl_recording_mark_ring(mark);

	if (!ring)
		return -EINVAL;
	put_entry(r->f, 0, ring, time_ns);
	return ferror(r->f) ? -EIO : 0;
}

int rl_recorder_close(struct rl_recorder *r)
{
	int err;

	if (!r)
		return 0;
	err = ferror(r->f) ? -EIO : 0;
	if (fclose(r->f) && !err)
		err = -errno;
	free(r);
	return err;
}

/* Reads the header's next field at *pos (of size) into strings at *out; returns its
 * start, or NULL when it runs past the header. */
static const char *field(const uint8_t *hdr, size_t size, size_t *pos, char **out)
{
	uint32_t len;
	char *s = *out;

	if (size - *pos < 4)
		return NULL;
	len = get_u32(hdr + *pos);
	if (len > size - *pos - 4)
		return NULL;
	memcpy(s, hdr + *pos + 4, len);
	s[len] = '\0';
	*pos += 4 + len;
	*out = s + len + 1;
	return s;
}

/* Reads the header; returns 0, or -EBADMSG with *why set. */
static int parse_header(struct rl_replay *r, const uint8_t *hdr, size_t size,
			const char **why)
{
	struct rl_recording_meta *m = &r->meta;
	/* Each field's bytes plus its NUL: source, count, 2 per ring. */
	char *out = r->strings = malloc(size + 2 * RL_RECORDING_RINGS + 2);
	const char *count;
	size_t pos = 0;
	char *end;

	*why = out ? "its header is corrupt or truncated" : strerror(ENOMEM);
	if (!out)
		return -ENOMEM;
	m->source = field(hdr, size, &pos, &out);
	count = field(hdr, size, &pos, &out);
	if (!m->source || !count)
		return -EBADMSG;
	m->nr_rings = strtoul(count, &end, 10);
	if (*end || m->nr_rings == 0 || m->nr_rings > RL_RECORDING_RINGS)
		return -EBADMSG;
	for (size_t i = 0; i < m->nr_rings; i++) {
		m->rings[i].name = field(hdr, size, &pos, &out);
		m->rings[i].ctype = field(hdr, size, &pos, &out);
		if (!m->rings[i].name || !m->rings[i].ctype)
			return -EBADMSG;
	}
	if (size - pos < 4)
		return -EBADMSG;
	m->btf_size = get_u32(hdr + pos);
	m->btf = m->btf_size ? hdr + pos + 4 : NULL;
	if (m->btf_size != size - pos - 4)
		return -EBADMSG;
	*why = "its header holds a name or type that is not a C identifier";
	return meta_ok(m) ? 0 : -EBADMSG;
}

static int map_file(struct rl_replay *r, const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	int err = 0;

	if (fd < 0 || fstat(fd, &st))
		err = -errno;
	else if (!S_ISREG(st.st_mode))
		err = -EINVAL;
	else if ((size_t)st.st_size < PREAMBLE)
		err = -EBADMSG;
	if (!err) {
		r->size = (size_t)st.st_size;
		r->map = mmap(NULL, r->size, PROT_READ, MAP_PRIVATE, fd, 0);
		if (r->map == MAP_FAILED) {
			r->map = NULL;
			err = -errno;
		}
	}
	if (fd >= 0)
		close(fd);
	return err;
}

/* Reads the format's number; returns 0 or -errno with *why set. */
static int read_format(struct rl_replay *r, uint8_t format, const char **why)
{
	r->marked = format == RL_RECORDING_FORMAT;
	if (r->marked || format == RL_RECORDING_FORMAT_UNMARKED)
		return 0;
	if (format == 1) {
		*why = "made by an older ringlua, in a format that carried code (it is not run): "
		       "record it again";
		return -EPROTO;
	}
	*why = "a recording of a format this ringlua does not know";
	return -EBADMSG;
}

int rl_replay_open(struct rl_replay **out, const char *path, const char **why)
{
	struct rl_replay *r = calloc(1, sizeof(*r));
	uint32_t hdr_size;
	int err = r ? map_file(r, path) : -ENOMEM;

	*why = err == -EBADMSG ? "too short to be a recording" : err == -EINVAL ?
	       "not a regular file" : err ? strerror(-err) : NULL;
	if (!err && memcmp(r->map, RL_RECORDING_MAGIC, MAGIC_LEN)) {
		err = -EBADMSG;
		*why = "not a ringlua recording";
	} else if (!err) {
		err = read_format(r, r->map[MAGIC_LEN], why);
	}
	if (!err) {
		hdr_size = get_u32(r->map + MAGIC_LEN + 1);
		r->pos = PREAMBLE + (size_t)hdr_size;
		if (hdr_size > r->size - PREAMBLE) {
			err = -EBADMSG;
			*why = "its header is corrupt or truncated";
		} else {
			err = parse_header(r, r->map + PREAMBLE, hdr_size, why);
		}
	}
	if (err) {
		rl_replay_close(r);
		return err;
	}
	*out = r;
	return 0;
}

const struct rl_recording_meta *rl_replay_meta(const struct rl_replay *r)
{
	return &r->meta;
}

/* The mark whose ring id ring is; RL_MARK_NONE for a record's. */
static enum rl_mark ring_mark(uint32_t ring)
{
	for (int m = RL_MARK_START; m <= RL_MARK_STOP; m++)
		if (rl_recording_mark_ring((enum rl_mark)m) == ring)
			return (enum rl_mark)m;
	return RL_MARK_NONE;
}

/* Whether e, at r->pos, may come there in a recording with clock marks; *why says why
 * not. */
static bool in_order(const struct rl_replay *r, const struct entry *e, const char **why)
{
	if (!r->marked)
		return true;
	*why = !r->started && e->mark != RL_MARK_START ? "its first entry is not its start mark" :
	       r->started && e->mark == RL_MARK_START ? "it has a second start mark" :
	       e->mark == RL_MARK_STOP && r->size - r->pos > RECORD_HEADER ?
	       "it goes on after its stop mark" :
	       e->time_ns < r->last_ns ? "its times go backwards" : NULL;
	return !*why;
}

/* Reads and checks the entry at r->pos into e. Returns 0, or -EBADMSG with *why set. */
static int read_entry(const struct rl_replay *r, struct entry *e, const char **why)
{
	const uint8_t *h = r->map + r->pos;
	bool record_ok;

	if (r->size - r->pos < RECORD_HEADER) {
		*why = "truncated record header";
		return -EBADMSG;
	}
	*e = (struct entry){ .len = get_u32(h), .ring = get_u32(h + 4),
			     .time_ns = get_u64(h + 8) };
	e->mark = r->marked ? ring_mark(e->ring) : RL_MARK_NONE;
	if (e->mark && e->len) {
		*why = "a clock mark with bytes in it";
		return -EBADMSG;
	}
	record_ok = e->len <= MAX_RECORD && e->ring < r->meta.nr_rings &&
		    e->len <= r->size - r->pos - RECORD_HEADER;
	if (!e->mark && !record_ok) {
		*why = e->ring >= r->meta.nr_rings ? "record of a ring it does not have" :
		       "truncated or corrupt record";
		return -EBADMSG;
	}
	return in_order(r, e, why) ? 0 : -EBADMSG;
}

/* Moves past the entry e at r->pos. */
static void consume(struct rl_replay *r, const struct entry *e)
{
	r->pos += RECORD_HEADER + e->len + (8 - e->len % 8) % 8;
	if (r->pos > r->size)
		r->pos = r->size; /* padding cut off at the end: the record is whole */
	r->started = true;
	r->last_ns = e->time_ns;
}

int rl_replay_next(struct rl_replay *r, struct rl_rec *batch, size_t cap, uint64_t *time_ns,
		   enum rl_mark *mark, const char **why)
{
	size_t n = 0;
	struct entry e;
	int err;

	*mark = RL_MARK_NONE;
	while (n < cap && r->pos < r->size) {
		const uint8_t *data;

		err = read_entry(r, &e, why);
		if (err)
			return err;
		data = r->map + r->pos + RECORD_HEADER;
		/* A batch is one ring at one time, as the consumer hands them out; a mark is
		 * an entry of its own. */
		if (n && (e.mark || e.ring != batch[0].ring || e.time_ns != *time_ns))
			break;
		consume(r, &e);
		*time_ns = e.time_ns;
		*mark = e.mark;
		if (e.mark)
			return 0;
		batch[n++] = (struct rl_rec){ .data = data, .len = e.len, .ring = e.ring };
	}
	return (int)n;
}

void rl_replay_close(struct rl_replay *r)
{
	if (!r)
		return;
	if (r->map)
		munmap((void *)r->map, r->size);
	free(r->strings);
	free(r);
}
