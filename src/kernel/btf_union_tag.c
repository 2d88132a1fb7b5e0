#include "kernel/btf_union_tag.h"

#include <stdint.h>
#include <string.h>
#include <strings.h>
#include <bpf/btf.h>

/* The name of enumerator i of e (an enum or enum64), or "". */
static const char *enumerator(const struct btf *btf, const struct btf_type *e, int i)
{
	uint32_t off = btf_is_enum(e) ? btf_enum(e)[i].name_off : btf_enum64(e)[i].name_off;
	const char *name = btf__name_by_offset(btf, off);

	return name ? name : "";
}

/* The length of the prefix every enumerator of e shares, up to and with its last
 * underscore ("OP_" of OP_MOUNT, OP_UMOUNT); 0 with fewer than two enumerators. */
static size_t shared_prefix(const struct btf *btf, const struct btf_type *e)
{
	const char *first = enumerator(btf, e, 0);
	size_t len = strlen(first);

	if (btf_vlen(e) < 2)
		return 0;
	for (int i = 1; i < btf_vlen(e); i++) {
		const char *name = enumerator(btf, e, i);
		size_t k = 0;

		while (k < len && name[k] == first[k])
			k++;
		len = k;
	}
	while (len > 0 && first[len - 1] != '_')
		len--;
	return len;
}

int rl_btf_arm_enumerator(const struct btf *btf, const struct btf_type *e,
			  const struct btf_type *un, int arm)
{
	const char *name = btf__name_by_offset(btf, btf_members(un)[arm].name_off);
	size_t prefix = shared_prefix(btf, e);
	int found = -1, nr = 0;

	if (!name || !*name)
		return -1;
	for (int i = 0; i < btf_vlen(e); i++) {
		const char *en = enumerator(btf, e, i);

		if (!strcasecmp(en, name) ||
		    (prefix && strlen(en) > prefix && !strcasecmp(en + prefix, name))) {
			found = i;
			nr++;
		}
	}
	/* Two enumerators for one arm ("MOUNT" and "OP_MOUNT"): no telling which. */
	return nr == 1 ? found : -1;
}

bool rl_btf_union_tags(const struct btf *btf, const struct btf_type *e,
		       const struct btf_type *un)
{
	if (!(btf_is_enum(e) || btf_is_enum64(e)) || !btf_is_union(un) || btf_vlen(e) == 0 ||
	    btf_vlen(un) == 0 || btf_vlen(e) > RL_TAG_ENUMERATORS_MAX ||
	    btf_vlen(un) > RL_TAG_ARMS_MAX)
		return false;
	for (int arm = 0; arm < btf_vlen(un); arm++)
		if (rl_btf_arm_enumerator(btf, e, un, arm) < 0)
			return false;
	return true;
}
