/* Fuzzing the code that reads a BPF object's BTF: the C declarations made for ffi.cdef
 * (btf_cdef.c) and the decoders generated as Lua source (btf_decode.c). The input is raw
 * BTF, as a hostile or broken object could carry; whatever libbpf parses must never
 * crash, hang or read out of bounds in ringlua. Runs as root: the kernel is asked to
 * check the BTF too. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "kernel/btf_cdef.h"
#include "kernel/btf_decode.h"

/* Enough composites to exercise the declaration order; more add nothing. */
#define MAX_IDS 64

/* libbpf explains each rejected input on stderr: keep the run's log readable. */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	libbpf_set_print(NULL);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct btf *btf = btf__new(data, (uint32_t)size);
	uint32_t ids[MAX_IDS];
	size_t n = 0;
	char *out = NULL, ctype[128];

	if (!btf)
		return 0;
	for (uint32_t id = 1; id < btf__type_cnt(btf); id++) {
		const struct btf_type *t = btf__type_by_id(btf, id);

		if (!t || !btf_is_composite(t))
			continue;
		if (rl_btf_decoder(btf, id, "m", &out) == 0)
			free(out);
		out = NULL;
		if (n < MAX_IDS)
			ids[n++] = id;
	}
	if (rl_btf_cdef(btf, ids, n, &out) == 0)
		free(out);
	rl_btf_record_type(btf, "events", NULL, true, ctype, sizeof(ctype));
	btf__free(btf);
	return 0;
}
