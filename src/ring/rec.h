/* One record of a batch: what the consumer hands out and the Lua batch loop reads.
 * Declared once here for C and, preprocessed at build time, for ffi.cdef (the generated
 * ringlua.rec_cdef): fixed-width types only. */
#ifndef RINGLUA_REC_H
#define RINGLUA_REC_H

#include <stdint.h>

/* Its payload, in the ring's data pages. */
struct rl_rec {
	const uint8_t *data;
	uint32_t len;
	uint32_t ring; /* index of the ring it came from, in order of rl_consumer_add* */
};

#endif
