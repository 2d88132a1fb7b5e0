/* What of libbpf's own messages ringlua shows: all of them with -v; without, only those
 * that name what ringlua's one line about a failed load cannot (the map the kernel
 * refused to create). */
#ifndef RINGLUA_LIBBPF_LOG_H
#define RINGLUA_LIBBPF_LOG_H

/* Sets libbpf's print callback for the run: every message with verbose, else the few
 * above, each once. */
void rl_libbpf_log_init(int verbose);

#endif
