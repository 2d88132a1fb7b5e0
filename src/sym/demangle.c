#include "sym/demangle.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* libstdc++'s demangler (the C++ ABI's, as c++filt's): C can call it by this name. It
 * returns a malloc'ed string, or NULL with *status non-zero. It bounds its recursion,
 * so a hostile name cannot exhaust the stack. */
char *__cxa_demangle(const char *mangled, char *out, size_t *len, int *status);

int rl_demangle(const char *name, char *buf, size_t size)
{
	char *pretty;
	int status = 0, len;

	if (strncmp(name, "_Z", 2) || strnlen(name, RL_DEMANGLE_INPUT_MAX) == RL_DEMANGLE_INPUT_MAX)
		return -1;
	pretty = __cxa_demangle(name, NULL, NULL, &status);
	if (!pretty || status)
		len = -1;
	else
		len = snprintf(buf, size, "%s", pretty);
	free(pretty);
	if (len < 0)
		return -1;
	return (size_t)len >= size ? (int)size - 1 : len;
}
