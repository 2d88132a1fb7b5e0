/* BTF from an untrusted place (a recording anyone may hand over) on its way to ffi.cdef
 * and generated Lua: decoders and declarations are made without the kernel's check
 * (no CAP_BPF), and then only C identifiers reach them, and no loop of plain references
 * reaches libbpf's dumper. */
#include <errno.h>
#include <stdbool.h>
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

/* The decoder of struct args_event { unsigned int args_size; char label[16];
 * char args[64]; }: args is text of several strings (its _size sibling) and, with tail,
 * the record's last member; without, a member follows it. NULL on failure. */
static char *args_decoder(bool tail)
{
	struct btf *btf = btf__new_empty();
	int uint_id = btf__add_int(btf, "unsigned int", 4, 0);
	int char_id = btf__add_int(btf, "char", 1, BTF_INT_SIGNED);
	int label = btf__add_array(btf, uint_id, char_id, 16);
	int args = btf__add_array(btf, uint_id, char_id, 64);
	int id = btf__add_struct(btf, "args_event", tail ? 84 : 88);
	char *src = NULL;

	if (uint_id > 0 && char_id > 0 && label > 0 && args > 0 && id > 0 &&
	    !btf__add_field(btf, "args_size", uint_id, 0, 0) &&
	    !btf__add_field(btf, "label", label, 32, 0) &&
	    !btf__add_field(btf, "args", args, 160, 0) &&
	    (tail || !btf__add_field(btf, "after", uint_id, 672, 0)) &&
	    rl_btf_decoder(btf, (uint32_t)id, "events", &src))
		src = NULL;
	btf__free(btf);
	return src;
}

static void decodes_an_array_of_strings_by_its_size_within_the_record(void)
{
	char *src = args_decoder(true);

	CHECK(src);
	/* A list of the strings in args_size bytes, never past the record's end. */
	CHECK(strstr(src, "qs(strs(e[\"args\"], min(64, len - 20), e[\"args_size\"], nil))"));
	CHECK(strstr(src, "strs(e[\"args\"], min(64, len - 20), e[\"args_size\"], nil)"));
	/* A plain string stays one. */
	CHECK(strstr(src, "q(str(e[\"label\"], 16))"));
	/* The shortest record it reads: up to args. */
	CHECK(strstr(src, "end,\n20\n"));
	free(src);
}

static void reads_a_char_array_that_is_not_last_whole(void)
{
	char *src = args_decoder(false);

	CHECK(src);
	CHECK(strstr(src, "qs(strs(e[\"args\"], 64, e[\"args_size\"], nil))"));
	CHECK(strstr(src, "end,\n88\n"));
	free(src);
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
	RUN(decodes_an_array_of_strings_by_its_size_within_the_record);
	RUN(reads_a_char_array_that_is_not_last_whole);
	RUN(refuses_a_member_name_that_is_lua);
	RUN(refuses_a_type_name_that_is_not_an_identifier);
	RUN(refuses_a_map_name_that_is_not_an_identifier);
	RUN(refuses_a_pointer_to_itself);
	RUN(keeps_a_list_node_that_points_to_its_own_struct);
	printf("%d passed, %d failed\n", tests_passed, tests_failed);
	return tests_failed != 0;
}
