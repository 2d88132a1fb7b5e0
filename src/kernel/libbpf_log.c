#include "kernel/libbpf_log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <bpf/libbpf.h>

#define MAP_WARNING "libbpf: map '"

static int print_all(enum libbpf_print_level level, const char *fmt, va_list args)
{
	(void)level;
	return vfprintf(stderr, fmt, args);
}

/* libbpf says which map the kernel refused only in its own warning ("libbpf: map 'x':
 * failed to create: Invalid argument(-22)", the prefix in the format); the load's error is just the errno. A failed load is
 * tried again (bpf_keep.h), and would repeat it: the same line is said once. */
static int print_map_failures(enum libbpf_print_level level, const char *fmt, va_list args)
{
	static char last[256];
	char line[256];

	if (level != LIBBPF_WARN || strncmp(fmt, MAP_WARNING, strlen(MAP_WARNING)) || !strstr(fmt, "failed to create"))
		return 0;
	vsnprintf(line, sizeof(line), fmt, args);
	if (!strcmp(line, last))
		return 0;
	snprintf(last, sizeof(last), "%s", line);
	return fprintf(stderr, "ringlua: %s", line);
}

void rl_libbpf_log_init(int verbose)
{
	libbpf_set_print(verbose ? print_all : print_map_failures);
}
