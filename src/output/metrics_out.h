/* --metrics as an output of the run: a snapshot of the script's aggregations and of
 * ringlua's own series, made between polls at most every half second, which the
 * exporter (output/metrics.h) serves. */
#ifndef RINGLUA_METRICS_OUT_H
#define RINGLUA_METRICS_OUT_H

#include <stdint.h>

#include "output/metrics.h"
#include "output/output.h"

struct rl_metrics_out {
	struct rl_metrics *metrics;
	uint64_t max_series;	/* --max-series */
	uint64_t next_render;	/* when the next snapshot is due (us) */
	uint64_t render_errors;	/* snapshots the script failed to render */
};

/* Its hooks (ctx: a struct rl_metrics_out). */
extern const struct rl_output_ops rl_metrics_out_ops;

#endif
