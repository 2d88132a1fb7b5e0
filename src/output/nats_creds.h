/* --output-creds FILE: the credentials --output connects with, kept out of argv (where
 * `ps` shows them) and out of every message. The file holds either
 *   user=NAME and password=SECRET
 * or
 *   token=SECRET
 * one KEY=VALUE a line (the value is the rest of the line, verbatim; empty lines and
 * lines starting with '#' are skipped). It is read as a script is (see
 * util/script_file.h): a regular file, not a link, that nobody but root or the invoking
 * user could have written. */
#ifndef RINGLUA_NATS_CREDS_H
#define RINGLUA_NATS_CREDS_H

#include <stddef.h>

/* A credentials file never needs more. */
#define RL_NATS_CREDS_MAX_BYTES (64u << 10)

struct rl_nats_creds {
	char *text;		/* the file's bytes, split into the values below */
	size_t len;
	const char *user, *password, *token;	/* into text; NULL when not given */
};

/* Reads and parses path into c. Returns 0, or -errno with one line printed (naming the
 * file and, for a bad line, its number, never a value). */
int rl_nats_creds_read(const char *path, struct rl_nats_creds *c);

/* Wipes the secret from memory and frees it. Accepts NULL and a zeroed c. */
void rl_nats_creds_free(struct rl_nats_creds *c);

#endif
