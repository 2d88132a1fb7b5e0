#include "lua/errlog.h"

#include <string.h>

#define NS_PER_SEC 1000000000ull

/* FNV-1a of the first line: the error's place and text, not its traceback. */
static uint64_t first_line_hash(const char *msg)
{
	uint64_t h = 1469598103934665603ull;

	for (; *msg && *msg != '\n'; msg++)
		h = (h ^ (unsigned char)*msg) * 1099511628211ull;
	return h;
}

/* The slot for hash: its own, else an empty one, else the one printed longest ago. */
static struct rl_errlog_slot *slot_for(struct rl_errlog *log, uint64_t hash)
{
	struct rl_errlog_slot *oldest = &log->slots[0];

	for (int i = 0; i < RL_ERRLOG_SLOTS; i++) {
		struct rl_errlog_slot *s = &log->slots[i];

		if (s->hash == hash)
			return s;
		if (s->last_ns < oldest->last_ns)
			oldest = s;
	}
	*oldest = (struct rl_errlog_slot){ .hash = hash };
	return oldest;
}

int rl_errlog_report(struct rl_errlog *log, const char *msg, uint64_t now_ns)
{
	struct rl_errlog_slot *s = slot_for(log, first_line_hash(msg));
	size_t len = strlen(msg);

	if (s->last_ns && now_ns - s->last_ns < NS_PER_SEC) {
		s->suppressed++;
		return 0;
	}
	while (len && msg[len - 1] == '\n')
		len--;
	fprintf(log->out, "ringlua: %.*s\n", (int)len, msg);
	if (s->suppressed)
		fprintf(log->out, "ringlua: (%llu more times since it was last shown)\n",
			(unsigned long long)s->suppressed);
	s->last_ns = now_ns ? now_ns : 1;
	s->suppressed = 0;
	return 1;
}

void rl_errlog_flush(struct rl_errlog *log)
{
	for (int i = 0; i < RL_ERRLOG_SLOTS; i++) {
		struct rl_errlog_slot *s = &log->slots[i];

		if (s->suppressed)
			fprintf(log->out, "ringlua: (an error shown earlier occurred %llu more "
					  "times since it was last shown)\n",
				(unsigned long long)s->suppressed);
		s->suppressed = 0;
	}
}
