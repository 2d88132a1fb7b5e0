#include "util/tool_env.h"

#include <stddef.h>

char *const *rl_tool_env(void)
{
	/* The C locale: the tools' messages reach the user as ringlua's are, in English. */
	static char path[] = "PATH=/usr/sbin:/usr/bin:/sbin:/bin";
	static char locale[] = "LC_ALL=C";
	static char *const env[] = { path, locale, NULL };

	return env;
}
