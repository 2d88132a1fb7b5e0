/* Which arm of a union a record says is live: the rule the decoders (btf_decode.c)
 * follow, worked out once per type when they are generated, never per record.
 *
 * A union member U of a struct (named or anonymous) is tagged by the struct's enum
 * member E nearest before U (not a bitfield; one further back is never tried) when every
 * arm of U has a name that is one of E's enumerators, compared case-insensitively,
 * either whole or past a prefix all of E's enumerators share up to an underscore
 * ("OP_MOUNT" names the arm "mount"), and no arm is named by two enumerators. The live
 * arm is the one E's value names in the same record; a value that names no arm (an
 * enumerator without an arm, or no enumerator) shows the first arm. */
#ifndef RINGLUA_BTF_UNION_TAG_H
#define RINGLUA_BTF_UNION_TAG_H

#include <stdbool.h>

struct btf;
struct btf_type;

/* Unions and enums past these sizes are never tagged: matching costs arms times
 * enumerators, and BTF from a recording may be hostile; real ones are far smaller. */
#define RL_TAG_ARMS_MAX 256
#define RL_TAG_ENUMERATORS_MAX 1024

/* Whether enum e (an enum or enum64) names every arm of union un (both resolved). */
bool rl_btf_union_tags(const struct btf *btf, const struct btf_type *e,
		       const struct btf_type *un);

/* The index among enum e's enumerators of the one that names arm `arm` of union un, or
 * -1; for an e and un that rl_btf_union_tags paired, every arm has one. */
int rl_btf_arm_enumerator(const struct btf *btf, const struct btf_type *e,
			  const struct btf_type *un, int arm);

#endif
