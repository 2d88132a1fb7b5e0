#include "kernel/verifier_log.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* Whether a verifier log line is its closing statistics rather than part of the reason. */
static bool is_statistics(const char *line, size_t len)
{
	static const char *const prefixes[] = { "processed ", "verification time",
						"stack depth" };

	for (size_t i = 0; i < sizeof(prefixes) / sizeof(*prefixes); i++)
		if (len >= strlen(prefixes[i]) && !strncmp(line, prefixes[i], strlen(prefixes[i])))
			return true;
	return len == 0;
}

void rl_verifier_log_print_end(const char *log, int lines)
{
	const char *end = log + strlen(log), *start = end;
	int found = 0;

	/* Walk back line by line: [line, eol) is the line before `start`. */
	for (const char *eol = end; eol > log && found < lines;) {
		const char *line = eol;

		while (line > log && line[-1] != '\n')
			line--;
		if (!is_statistics(line, (size_t)(eol - line)))
			found++;
		else if (!found)
			end = line; /* statistics after the reason are left out */
		start = line;
		eol = line > log ? line - 1 : line;
	}
	while (start < end) {
		const char *nl = memchr(start, '\n', (size_t)(end - start));
		size_t len = nl ? (size_t)(nl - start) : (size_t)(end - start);

		if (len)
			fprintf(stderr, "ringlua:   %.*s\n", (int)len, start);
		start += len + 1;
	}
}

void rl_verifier_log_reason(const char *log, char *out, size_t size)
{
	const char *eol = log + strlen(log);

	out[0] = '\0';
	while (eol > log) {
		const char *line = eol;

		while (line > log && line[-1] != '\n')
			line--;
		if (!is_statistics(line, (size_t)(eol - line))) {
			snprintf(out, size, "%.*s", (int)(eol - line), line);
			return;
		}
		eol = line > log ? line - 1 : line;
	}
}
