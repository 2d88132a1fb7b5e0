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
