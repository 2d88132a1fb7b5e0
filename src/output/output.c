#include "output/output.h"

void rl_outputs_add(struct rl_outputs *o, const struct rl_output_ops *ops, void *ctx)
{
	if (o->n < RL_OUTPUTS_MAX)
		o->list[o->n++] = (struct rl_output){ .ops = ops, .ctx = ctx };
}

/* The hooks that take the view alone, and how to pick one of them out of the ops. */
typedef int (*view_hook)(void *ctx, const struct rl_run_view *v);
typedef view_hook (*hook_of)(const struct rl_output_ops *ops);

static int walk(const struct rl_outputs *o, const struct rl_run_view *v, hook_of pick)
{
	int first = 0;

	for (size_t i = 0; o && i < o->n; i++) {
		view_hook hook = pick(o->list[i].ops);
		int rc = hook ? hook(o->list[i].ctx, v) : 0;

		if (rc && !first)
			first = rc;
	}
	return first;
}

static view_hook start_of(const struct rl_output_ops *ops) { return ops->start; }
static view_hook poll_of(const struct rl_output_ops *ops) { return ops->poll; }
static view_hook tick_of(const struct rl_output_ops *ops) { return ops->tick; }
static view_hook stop_of(const struct rl_output_ops *ops) { return ops->stop; }

int rl_outputs_start(const struct rl_outputs *o, const struct rl_run_view *v)
{
	return walk(o, v, start_of);
}

int rl_outputs_poll(const struct rl_outputs *o, const struct rl_run_view *v)
{
	return walk(o, v, poll_of);
}

int rl_outputs_tick(const struct rl_outputs *o, const struct rl_run_view *v)
{
	return walk(o, v, tick_of);
}

int rl_outputs_stop(const struct rl_outputs *o, const struct rl_run_view *v)
{
	return walk(o, v, stop_of);
}

int rl_outputs_batch(const struct rl_outputs *o, const struct rl_rec *recs, size_t n)
{
	int first = 0;

	for (size_t i = 0; o && i < o->n; i++) {
		int rc = o->list[i].ops->batch ? o->list[i].ops->batch(o->list[i].ctx, recs, n) :
						 0;

		if (rc && !first)
			first = rc;
	}
	return first;
}

void rl_outputs_finish(const struct rl_outputs *o)
{
	for (size_t i = 0; o && i < o->n; i++)
		if (o->list[i].ops->finish)
			o->list[i].ops->finish(o->list[i].ctx);
}

uint64_t rl_outputs_wake_at(const struct rl_outputs *o)
{
	uint64_t earliest = 0;

	for (size_t i = 0; o && i < o->n; i++) {
		uint64_t at = o->list[i].ops->wake_at ? o->list[i].ops->wake_at(o->list[i].ctx) : 0;

		if (at && (!earliest || at < earliest))
			earliest = at;
	}
	return earliest;
}

bool rl_outputs_counts(const struct rl_outputs *o, const void *skip, uint64_t *published,
		       uint64_t *dropped)
{
	for (size_t i = 0; o && i < o->n; i++) {
		if (o->list[i].ops->counts && o->list[i].ctx != skip) {
			o->list[i].ops->counts(o->list[i].ctx, published, dropped);
			return true;
		}
	}
	return false;
}
