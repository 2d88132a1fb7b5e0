/* What the script prints, as an output: handed to its reader at every tick, and the run
 * ends once the reader went away. */
#ifndef RINGLUA_STDOUT_OUT_H
#define RINGLUA_STDOUT_OUT_H

#include "output/output.h"

/* Its hooks; it has no state (ctx NULL). */
extern const struct rl_output_ops rl_stdout_ops;

#endif
