/* Tracepoints as tracefs describes them: which exist (events/CATEGORY/NAME), and the
 * fields of each, from its events/CATEGORY/NAME/format file. */
#ifndef RINGLUA_TP_FORMAT_H
#define RINGLUA_TP_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A probe name as bpftrace writes it: "tracepoint:CATEGORY:NAME" (or "tp:..."). */
#define RL_TP_PREFIX "tracepoint:"
#define RL_TP_SHORT_PREFIX "tp:"

/* One field of a tracepoint's raw record, as its format file states it. */
struct rl_tp_field {
	char *name;	/* as the kernel names it */
	char *type;	/* its C type as the format gives it: "pid_t", "const char *",
			 * "__data_loc char[]"; for an array, the element's ("char") */
	uint32_t offset;	/* in the raw record */
	uint32_t size;		/* bytes */
	uint32_t nelems;	/* an array of nelems elements; 0: not an array */
	bool is_signed;
	bool common;		/* one of the common_* fields every record starts with */
};

struct rl_tp_format {
	struct rl_tp_field *fields;	/* in the format's order, common fields first */
	size_t nr_fields;
};

/* Whether s names a tracepoint probe (starts with "tracepoint:" or "tp:"). */
bool rl_tp_is_probe(const char *s);

/* Splits the probe name spec ("tracepoint:CAT:NAME", "tp:CAT:NAME"; either part may
 * hold * and ? wildcards) into its category and name. Returns 0 or -EINVAL (not such a
 * name, or a part longer than its buffer). */
int rl_tp_split(const char *spec, char *category, size_t cat_len, char *name,
		size_t name_len);

/* Parses the text of a format file into *out (freed with rl_tp_format_free). Returns 0,
 * -EINVAL for a text that is not one, or -ENOMEM. */
int rl_tp_format_parse(const char *text, struct rl_tp_format *out);

/* Reads and parses the format of tracepoint category/name. Returns 0, -ENOENT for no
 * such tracepoint, or -errno. */
int rl_tp_format_read(const char *category, const char *name, struct rl_tp_format *out);

/* Frees the fields. Accepts a zeroed format. */
void rl_tp_format_free(struct rl_tp_format *f);

/* Calls fn(ctx, category, name) for every tracepoint of the running kernel whose
 * category and name match the glob patterns cat_glob and name_glob, sorted by category
 * then name; stops at fn's first nonzero return and returns it. Returns 0, or -errno
 * when tracefs cannot be read. */
int rl_tp_each(const char *cat_glob, const char *name_glob,
	       int (*fn)(void *ctx, const char *category, const char *name), void *ctx);

#endif
