/* One ring as every layer above the consumer sees it: the Lua host (handlers and types
 * by name), the decoders, the recorder and --stats. The session builds one table of
 * these, by ring index (the order rings were added to the consumer), and hands it on. */
#ifndef RINGLUA_RING_DESC_H
#define RINGLUA_RING_DESC_H

#include <stdbool.h>

/* The map name of a built-in source's ring, and of a pinned ring. */
#define RL_DEFAULT_RING "events"

struct rl_ring_desc {
	const char *name;	/* the map's name: its key in `handlers`, ringlua.types, --stats */
	const char *ctype;	/* its record's C type ("struct exec_event"); NULL: unknown */
	int btf_id;		/* that type's id in the feeding object's BTF; 0: none */
	int fd;			/* the map; -1 for a recording's ring */
	char *decoder;		/* the decoder generated from BTF (Lua source); NULL: none */
	bool tagged;		/* a tracepoint probe: the probes of one feed share one map,
				 * and each record names its entry of this table in its header
				 * (struct tp_header.probe) */
	bool perf;		/* a perf event array, read through libbpf's perf_buffer
				 * (kernel/perf_buf.h), not by the ring consumer; the table
				 * holds these after the rings */
};

#endif
