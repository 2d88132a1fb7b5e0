/* The outputs: where a run's results go besides the script itself (what it prints, for
 * its reader; --stats, --metrics, --output, --record). The loop walks them at its
 * hooks and knows none by name; each output is opened and closed by the session, and
 * plugs in here with its hooks. */
#ifndef RINGLUA_OUTPUT_H
#define RINGLUA_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct rl_rec;
struct rl_lua;
struct rl_consumer;
struct rl_outputs;

/* Outputs a run can have: one of each kind. */
#define RL_OUTPUTS_MAX 8

/* What the loop knows, as the outputs see it at a hook. */
struct rl_run_view {
	uint64_t now_us;
	uint64_t handled;	/* events handed to the script so far */
	const uint64_t *dropped; /* the BPF side's drops as last read; NULL: it keeps none */
	bool finished;		/* a limit or the script ended the run (not a stop request) */
	struct rl_lua *lua;
	const struct rl_consumer *consumer;
	const char *const *ring_names; /* by consumer ring; NULL: RL_DEFAULT_RING */
	size_t nr_perf;		/* perf buffers after the consumer's rings */
	/* The kernel aggregations' lost updates (with kagg_ctx); NULL: none. */
	int (*read_kagg_lost)(void *ctx, uint64_t *lost, uint32_t *entries);
	void *kagg_ctx;
	const struct rl_outputs *all; /* --metrics shows the others' counts */
};

/* An output's hooks; any may be NULL. Those that return int return 0, or -errno (said
 * by the output): the run ends with it, what was handled still taken. poll may also
 * return RL_OUTPUT_STOP: nothing more can be shown, the run ends at once, status 0. */
#define RL_OUTPUT_STOP 1
struct rl_output_ops {
	int (*start)(void *ctx, const struct rl_run_view *v);	/* before the first poll */
	/* The n records the script just took (after every batch: no view is made for
	 * it, as none of its outputs needs one). */
	int (*batch)(void *ctx, const struct rl_rec *recs, size_t n);
	int (*poll)(void *ctx, const struct rl_run_view *v);	/* after every poll */
	int (*tick)(void *ctx, const struct rl_run_view *v);	/* after on_tick */
	int (*stop)(void *ctx, const struct rl_run_view *v);	/* after the exit drain */
	/* When poll wants to run next (us, rl_now_us's clock); 0: no time of its own. */
	uint64_t (*wake_at)(void *ctx);
	/* Messages published and dropped so far, for the summary and --metrics. */
	void (*counts)(void *ctx, uint64_t *published, uint64_t *dropped);
	/* After on_exit: what it still holds goes out (before the summary's counts). */
	void (*finish)(void *ctx);
};

struct rl_output {
	const struct rl_output_ops *ops;
	void *ctx;
};

struct rl_outputs {
	struct rl_output list[RL_OUTPUTS_MAX];
	size_t n;
};

/* Adds an output, walked after those added before it. */
void rl_outputs_add(struct rl_outputs *o, const struct rl_output_ops *ops, void *ctx);

/* Each calls that hook of every output that has it, in order, and returns the first
 * non-zero result (later outputs are still called: each keeps its own schedule). */
int rl_outputs_start(const struct rl_outputs *o, const struct rl_run_view *v);
int rl_outputs_batch(const struct rl_outputs *o, const struct rl_rec *recs, size_t n);
int rl_outputs_poll(const struct rl_outputs *o, const struct rl_run_view *v);
int rl_outputs_tick(const struct rl_outputs *o, const struct rl_run_view *v);
int rl_outputs_stop(const struct rl_outputs *o, const struct rl_run_view *v);
void rl_outputs_finish(const struct rl_outputs *o);

/* The earliest time an output's poll wants to run; 0: none. */
uint64_t rl_outputs_wake_at(const struct rl_outputs *o);

/* The counts of the first output that keeps them, except skip; false: none does. */
bool rl_outputs_counts(const struct rl_outputs *o, const void *skip, uint64_t *published,
		       uint64_t *dropped);

#endif
