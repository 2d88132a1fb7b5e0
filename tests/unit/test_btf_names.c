/* BTF from an untrusted place (a recording anyone may hand over) on its way to ffi.cdef
 * and generated Lua: decoders and declarations are made without the kernel's check
 * (no CAP_BPF), and then only C identifiers reach them, and no loop of plain references
 * reaches libbpf's dumper. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "caps.h"
#include "check.h"
#include "kernel/btf_cdef.h"
#include "kernel/btf_decode.h"

/* struct NAME { int FIELD; }: returns the struct's id. */
static int add_record(struct btf *btf, const char *name, const char *field)
{
	int int_id = btf__add_int(btf, "int", 4, BTF_INT_SIGNED);
	int id = btf__add_struct(btf, name, 4);

	if (int_id < 0 || id < 0 || btf__add_field(btf, field, int_id, 0, 0))
		return -1;
	return id;
}

static void decodes_a_sound_record_without_the_kernel(void)
{
	struct btf *btf = btf__new_empty();
	int id = add_record(btf, "good_event", "pid");
	char *src = NULL, *cdef = NULL;

	CHECK(id > 0);
	CHECK(rl_btf_valid(btf));
	CHECK(rl_btf_decoder(btf, (uint32_t)id, "events", &src) == 0);
	CHECK(strstr(src, "[\"pid\"]"));
	CHECK(rl_btf_cdef(btf, &(uint32_t){ (uint32_t)id }, 1, &cdef) == 0);
	CHECK(strstr(cdef, "struct good_event"));
	free(src);
	free(cdef);
	btf__free(btf);
}

static void refuses_a_member_name_that_is_lua(void)
{
	struct btf *btf = btf__new_empty();
	int id = add_record(btf, "bad_event", "x\"] = os.exit(3) or [\"y");
	uint32_t uid = (uint32_t)id;
	char *out = NULL;

	CHECK(id > 0);
	CHECK(!rl_btf_printable(btf, &uid, 1));
	CHECK(rl_btf_decoder(btf, uid, "events", &out) == -EINVAL);
	CHECK(rl_btf_cdef(btf, &uid, 1, &out) == -EINVAL);
	CHECK(out == NULL);
	btf__free(btf);
}

static void refuses_a_type_name_that_is_not_an_identifier(void)
{
	struct btf *btf = btf__new_empty();
	int id = add_record(btf, "e; int system(const char *)", "pid");
	char *out = NULL;

	CHECK(id > 0);
	CHECK(rl_btf_cdef(btf, &(uint32_t){ (uint32_t)id }, 1, &out) == -EINVAL);
	btf__free(btf);
}

static void refuses_a_map_name_that_is_not_an_identifier(void)
{
	struct btf *btf = btf__new_empty();
	int id = add_record(btf, "good_event", "pid");
	char *out = NULL;

	CHECK(id > 0);
	CHECK(rl_btf_decoder(btf, (uint32_t)id, "ev'..os.exit(3)..'", &out) == -EINVAL);
	btf__free(btf);
}

static void refuses_a_pointer_to_itself(void)
{
	struct btf *btf = btf__new_empty();
	int self = (int)btf__type_cnt(btf);

	CHECK(btf__add_ptr(btf, self) == self);
	CHECK(!rl_btf_valid(btf));
	btf__free(btf);
}

static void keeps_a_list_node_that_points_to_its_own_struct(void)
{
	struct btf *btf = btf__new_empty();
	int ptr = btf__add_ptr(btf, (int)btf__type_cnt(btf) + 1); /* to the struct next */
	int node = btf__add_struct(btf, "node", 8);

	CHECK(ptr > 0 && node == ptr + 1 && btf__add_field(btf, "next", ptr, 0, 0) == 0);
	CHECK(rl_btf_valid(btf));
	btf__free(btf);
}

int main(void)
{
	libbpf_set_print(NULL);
	if (drop_bpf_caps()) {
		perror("capset");
		return 1;
	}
	RUN(decodes_a_sound_record_without_the_kernel);
	RUN(refuses_a_member_name_that_is_lua);
	RUN(refuses_a_type_name_that_is_not_an_identifier);
	RUN(refuses_a_map_name_that_is_not_an_identifier);
	RUN(refuses_a_pointer_to_itself);
	RUN(keeps_a_list_node_that_points_to_its_own_struct);
	printf("%d passed, %d failed\n", tests_passed, tests_failed);
	return tests_failed != 0;
}
