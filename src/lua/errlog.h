/* Rate-limited reporting of repeated errors: each distinct message is printed at most
 * once per second; repeats in between are counted and mentioned with the next print. */
#ifndef RINGLUA_ERRLOG_H
#define RINGLUA_ERRLOG_H

#include <stdint.h>
#include <stdio.h>

#define RL_ERRLOG_SLOTS 32

struct rl_errlog_slot {
	uint64_t hash;
	uint64_t last_ns;	/* when it was last printed */
	uint64_t suppressed;	/* repeats since then */
};

struct rl_errlog {
	FILE *out;
	struct rl_errlog_slot slots[RL_ERRLOG_SLOTS];
};

/* Reports msg (its first line identifies it; the rest, a traceback, is printed with it)
 * at time now_ns. Returns 1 if printed, 0 if suppressed. */
int rl_errlog_report(struct rl_errlog *log, const char *msg, uint64_t now_ns);

/* Reports the repeats still held back, so no count is lost at exit. */
void rl_errlog_flush(struct rl_errlog *log);

#endif
