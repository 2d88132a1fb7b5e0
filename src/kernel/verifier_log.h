/* The verifier's log of a program it refused: the reason is in its last lines, before
 * the statistics the verifier closes with ("processed N insns ..."). */
#ifndef RINGLUA_VERIFIER_LOG_H
#define RINGLUA_VERIFIER_LOG_H

#include <stddef.h>

/* Prints the last `lines` lines of log that are not statistics, each after a prefix. */
void rl_verifier_log_print_end(const char *log, int lines);

/* The last line of log that is not statistics, into out ("" when there is none). */
void rl_verifier_log_reason(const char *log, char *out, size_t size);

#endif
