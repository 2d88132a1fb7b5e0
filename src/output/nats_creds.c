#include "output/nats_creds.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/script_file.h"

/* What starts a NATS .creds file (a user JWT and its nkey seed). libnats 3.4 takes one
 * only by path and opens it again at every connect, past the checks made here. */
#define JWT_CREDS_MARK "-----BEGIN NATS USER JWT-----"

/* One KEY=VALUE line into c; false for a line that is neither a known key nor a second
 * value of one. */
static bool take_line(struct rl_nats_creds *c, char *line)
{
	static const char *const keys[] = { "user=", "password=", "token=" };
	const char **slots[] = { &c->user, &c->password, &c->token };

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		size_t n = strlen(keys[i]);

		if (strncmp(line, keys[i], n))
			continue;
		if (*slots[i] || !line[n])
			return false;
		*slots[i] = line + n;
		return true;
	}
	return false;
}

/* Splits c->text into lines in place. Returns 0, or the number of the first bad line. */
static size_t parse(struct rl_nats_creds *c)
{
	char *line = c->text;

	for (size_t nr = 1; line; nr++) {
		char *end = strchr(line, '\n');

		if (end)
			*end = '\0';
		if (end > line && end[-1] == '\r')
			end[-1] = '\0';
		if (line[0] && line[0] != '#' && !take_line(c, line))
			return nr;
		line = end ? end + 1 : NULL;
	}
	return 0;
}

/* Which of the file's values do not go together, or NULL. */
static const char *incomplete(const struct rl_nats_creds *c)
{
	if (c->token && (c->user || c->password))
		return "a token, or a user and a password: not both";
	if (!c->token && !(c->user && c->password))
		return "no token=, or no user= and password= pair";
	return NULL;
}

/* Why c's text is not credentials ringlua takes, or NULL; a line at fault is put in
 * *bad_line (and "" returned). */
static const char *check_text(struct rl_nats_creds *c, size_t *bad_line)
{
	if (c->len > RL_NATS_CREDS_MAX_BYTES)
		return "larger than 64 KiB";
	if (strstr(c->text, JWT_CREDS_MARK))
		return "a NATS .creds file (JWT) is not taken: give user= and password=, or token=";
	if (strlen(c->text) != c->len)
		return "it holds a NUL byte";
	*bad_line = parse(c);
	return *bad_line ? "" : incomplete(c);
}

int rl_nats_creds_read(const char *path, struct rl_nats_creds *c)
{
	const char *why = NULL;
	size_t bad_line = 0;
	int err;

	*c = (struct rl_nats_creds){ 0 };
	err = rl_script_read(path, false, &c->text, &c->len, &why);
	if (!err && (why = check_text(c, &bad_line)))
		err = -EINVAL;
	if (bad_line)
		fprintf(stderr, "ringlua: --output-creds %s: line %zu is not user=, password= or "
				"token= (each once, with a value)\n", path, bad_line);
	else if (err)
		fprintf(stderr, "ringlua: --output-creds %s: %s\n", path, why);
	if (err)
		rl_nats_creds_free(c);
	return err;
}

void rl_nats_creds_free(struct rl_nats_creds *c)
{
	if (!c || !c->text)
		return;
	explicit_bzero(c->text, c->len);
	free(c->text);
	*c = (struct rl_nats_creds){ 0 };
}
