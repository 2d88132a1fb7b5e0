/* The hot-path contract between the C host and the Lua batch loop (host.lua): one block
 * per host, shared through a pointer, read and written on both sides without a call.
 * Declared once here; host.lua declares it from ringlua.hotpath, which the build
 * generates from this header (fixed-width types only). */
#ifndef RINGLUA_DISPATCH_H
#define RINGLUA_DISPATCH_H

#include <stdint.h>

#include "ring/rec.h"

struct rl_dispatch {
	const struct rl_rec *batch;	/* the batch being dispatched, set per call */
	int32_t cursor;		/* index of the record being handled: where to resume */
	int32_t exit_code;	/* os.exit(code) was called: end with this */
	/* 0: running; 1: os.exit(code) was called (on_exit is skipped); 2: the script asked
	 * to stop, with ringlua.stop() (on_exit and the summary run, exit 0). Either way no
	 * further record is handed out. */
	int32_t exit_requested;
	/* ringlua.emit(line) calls emit(emit_ctx, line, len): a plain C call through the
	 * FFI, once per line. NULL: emitted lines go to stdout. */
	int (*emit)(void *emit_ctx, const char *data, uint64_t len);
	void *emit_ctx;
};

#endif
