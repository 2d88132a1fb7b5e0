/* The tracepoint feed: every probe one entry of the ring table, all on the tracepoint
 * program's one ring; records name their entry in their header. */
#include "app/feed.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/bpf_obj.h"
#include "kernel/tracepoints.h"

int rl_feed_open_tracepoints(struct rl_feed *f, const char *probes,
			     const struct rl_source_filter *filter)
{
	const struct rl_tp_probe *p;
	size_t n;
	int err, fd;

	f->probes = strdup(probes);
	if (!f->probes)
		return -ENOMEM;
	f->name = f->probes;
	err = rl_tracepoints_open(&f->tracepoints, probes, filter);
	if (err)
		return err;
	fd = rl_bpf_ring_fd(rl_tracepoints_bpf(f->tracepoints), RL_DEFAULT_RING);
	if (fd < 0)
		return fd;
	p = rl_tracepoints_probes(f->tracepoints, &n);
	f->rings = calloc(n, sizeof(*f->rings));
	if (!f->rings)
		return -ENOMEM;
	f->nr_rings = n;
	for (size_t i = 0; i < n; i++)
		f->rings[i] = (struct rl_ring_desc){ .name = p[i].spec, .ctype = p[i].ctype,
						     .btf_id = p[i].btf_id, .fd = fd,
						     .tagged = true };
	return 0;
}
