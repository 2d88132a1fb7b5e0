/* Which enum member tags a union (kernel/btf_union_tag.h), on BTF built here: arm names
 * against enumerators, with and without a shared prefix, and the decoder that follows
 * the rule (the live arm by the enum's value, the first arm as the fallback). */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "check.h"
#include "kernel/btf_decode.h"
#include "kernel/btf_union_tag.h"

/* An enum of the n names (values 0..n-1); its id. */
static int add_enum(struct btf *btf, const char *name, const char *const *names, int n)
{
	int id = btf__add_enum(btf, name, 4);

	for (int i = 0; id > 0 && i < n; i++)
		if (btf__add_enum_value(btf, names[i], i))
			return -1;
	return id;
}

/* A union of n int arms of the names; its id. */
static int add_union(struct btf *btf, int int_id, const char *const *names, int n)
{
	int id = btf__add_union(btf, NULL, 4);

	for (int i = 0; id > 0 && i < n; i++)
		if (btf__add_field(btf, names[i], int_id, 0, 0))
			return -1;
	return id;
}

/* Whether the enum of `enumerators` names every arm of the union of `arms`. */
static bool tagged(const char *const *enumerators, int ne, const char *const *arms, int na)
{
	struct btf *btf = btf__new_empty();
	int int_id = btf__add_int(btf, "int", 4, BTF_INT_SIGNED);
	int e = add_enum(btf, "op", enumerators, ne);
	int u = add_union(btf, int_id, arms, na);
	bool yes = e > 0 && u > 0 &&
		   rl_btf_union_tags(btf, btf__type_by_id(btf, e), btf__type_by_id(btf, u));

	btf__free(btf);
	return yes;
}

static const char *const OPS[] = { "OP_MOUNT", "OP_UMOUNT", "OP_SYNC" };
static const char *const ARMS[] = { "mount", "umount" };

static void names_arms_past_a_shared_prefix_in_any_case(void)
{
	static const char *const bare[] = { "MOUNT", "UMOUNT" };
	static const char *const mixed[] = { "Mount", "umount" };

	CHECK(tagged(OPS, 3, ARMS, 2));
	CHECK(tagged(bare, 2, mixed, 2));
	CHECK(tagged(OPS, 3, (const char *const[]){ "op_mount" }, 1));
}

static void tags_no_union_with_an_arm_no_enumerator_names(void)
{
	static const char *const arms[] = { "mount", "fsopen" };
	static const char *const one[] = { "OP_MOUNT" };

	CHECK(!tagged(OPS, 3, arms, 2));
	/* With one enumerator there is no shared prefix: OP_MOUNT is not "mount". */
	CHECK(!tagged(one, 1, ARMS, 1));
}

static void tags_no_union_an_arm_of_which_two_enumerators_name(void)
{
	/* OP_OP_MOUNT past the prefix OP_ is OP_MOUNT, which is also an enumerator. */
	static const char *const ops[] = { "OP_MOUNT", "OP_OP_MOUNT" };

	CHECK(!tagged(ops, 2, (const char *const[]){ "op_mount" }, 1));
	CHECK(tagged(ops, 2, (const char *const[]){ "mount" }, 1));
}

/* struct ev { enum op op; [enum colour c;] union { int mount; int umount; }; }: the
 * decoder's source, or NULL. */
static char *ev_decoder(bool colour_between)
{
	static const char *const colours[] = { "RED", "GREEN" };
	struct btf *btf = btf__new_empty();
	int int_id = btf__add_int(btf, "int", 4, BTF_INT_SIGNED);
	int op = add_enum(btf, "op", OPS, 3);
	int colour = add_enum(btf, "colour", colours, 2);
	int u = add_union(btf, int_id, ARMS, 2);
	int id = btf__add_struct(btf, "ev", colour_between ? 12 : 8);
	int at = 32;
	char *src = NULL;

	if (int_id < 0 || op < 0 || colour < 0 || u < 0 || id < 0 ||
	    btf__add_field(btf, "op", op, 0, 0) ||
	    (colour_between && btf__add_field(btf, "c", colour, at, 0)) ||
	    btf__add_field(btf, NULL, u, colour_between ? at + 32 : at, 0) ||
	    rl_btf_decoder(btf, (uint32_t)id, "events", &src))
		src = NULL;
	btf__free(btf);
	return src;
}

static void decodes_the_arm_the_enum_names_and_else_the_first(void)
{
	char *src = ev_decoder(false);

	CHECK(src);
	/* The value OP_UMOUNT (1) picks umount; every other value mount, the first. */
	CHECK(strstr(src, "local v = tonumber(x[\"op\"])\n"
			  "  if v == 1 then return concat({ ',\"umount\":', jnum(x[\"umount\"]) }) end\n"
			  "  return concat({ ',\"mount\":', jnum(x[\"mount\"]) })\nend\n"));
	CHECK(strstr(src, "if v == 1 then return \"umount\" end\n  return \"mount\"\n"));
	CHECK(strstr(src, "if v == 1 then return num(x[\"umount\"]) end\n"
			  "  return num(x[\"mount\"])\n"));
	CHECK(strstr(src, "return { [\"op\"] = enum(D[1], e[\"op\"]), [D[2](e)] = D[3](e), }"));
	CHECK(strstr(src, "jenum(D[4], e[\"op\"]), D[5](e), '}'"));
	/* Fourth, for --lua-types, a table of every arm. */
	CHECK(strstr(src, "end,\n8,\nfunction(p, len)\n  local e = cast(T, p)\n"
			  "  return { [\"op\"] = enum(D[6], e[\"op\"]), [\"mount\"] = num(e[\"mount\"]), "
			  "[\"umount\"] = num(e[\"umount\"]), }\nend\n"));
	free(src);
}

static void decodes_a_union_the_nearest_enum_does_not_tag_by_its_first_arm(void)
{
	char *src = ev_decoder(true);

	CHECK(src);
	CHECK(!strstr(src, "tonumber(x["));
	/* JSON: the first arm alone; the table: every arm. */
	CHECK(strstr(src, "',\"mount\":', jnum(e[\"mount\"]), '}'"));
	CHECK(strstr(src, "[\"mount\"] = num(e[\"mount\"]), [\"umount\"] = num(e[\"umount\"]), }"));
	/* No table of every arm besides: the table function is that. */
	CHECK(strstr(src, "end,\n12\n") && src[strlen(src) - 1] == '\n' &&
	      !strcmp(strstr(src, "end,\n12\n"), "end,\n12\n"));
	free(src);
}

int main(void)
{
	libbpf_set_print(NULL);
	RUN(names_arms_past_a_shared_prefix_in_any_case);
	RUN(tags_no_union_with_an_arm_no_enumerator_names);
	RUN(tags_no_union_an_arm_of_which_two_enumerators_name);
	RUN(decodes_the_arm_the_enum_names_and_else_the_first);
	RUN(decodes_a_union_the_nearest_enum_does_not_tag_by_its_first_arm);
	printf("%d passed, %d failed\n", tests_passed, tests_failed);
	return tests_failed != 0;
}
