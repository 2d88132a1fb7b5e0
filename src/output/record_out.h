/* --record as an output of the run: the records the script took, and clock marks where
 * the run started, ticked and stopped, so that a replay ticks where this run did. */
#ifndef RINGLUA_RECORD_OUT_H
#define RINGLUA_RECORD_OUT_H

#include "output/output.h"

/* Its hooks (ctx: a struct rl_recorder). A write that fails ends the run, said once. */
extern const struct rl_output_ops rl_record_out_ops;

#endif
