#include "util/ident.h"

#include <string.h>

static bool ident_char(char c, bool first)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
	       (!first && c >= '0' && c <= '9');
}

/* Whether s[0..len-1] is an identifier. */
static bool ident_span(const char *s, size_t len)
{
	if (len == 0 || len > RL_IDENT_MAX)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!ident_char(s[i], i == 0))
			return false;
	return true;
}

bool rl_ident_ok(const char *s)
{
	return ident_span(s, strlen(s));
}

bool rl_ident_words_ok(const char *s)
{
	size_t len;

	if (strlen(s) > RL_IDENT_MAX)
		return false;
	for (;;) {
		len = strcspn(s, " ");
		if (!ident_span(s, len))
			return false;
		if (!s[len])
			return true;
		s += len + 1;
	}
}

/* Whether s[0..len-1] is one or more runs of [A-Za-z0-9_] and of extra's characters,
 * split by single `sep`s, with no empty run. */
static bool runs_ok(const char *s, size_t len, char sep, const char *extra)
{
	bool empty = true;

	if (len == 0)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] == sep) {
			if (empty)
				return false;
			empty = true;
		} else if (ident_char(s[i], false) || (s[i] && strchr(extra, s[i]))) {
			empty = false;
		} else {
			return false;
		}
	}
	return !empty;
}

bool rl_ident_probe_ok(const char *s)
{
	size_t len = strlen(s);

	return len <= RL_IDENT_MAX && strchr(s, ':') && runs_ok(s, len, ':', "");
}

bool rl_ident_probe_list_ok(const char *s)
{
	size_t len = strlen(s);

	return len <= RL_PROBE_LIST_MAX && strchr(s, ':') && runs_ok(s, len, ',', ":*?");
}
