/* Setting a BPF object's `const volatile` globals from text or Lua values, checked
 * against the variable's BTF type: integers of every width and signedness (range
 * checked), bool, char arrays from strings, enums by name or number. */
#ifndef RINGLUA_BPF_GLOBALS_H
#define RINGLUA_BPF_GLOBALS_H

#include <stddef.h>

struct rl_bpf;

/* What a value was given as: command-line text (parsed as the variable's type asks), or
 * a Lua value of one kind. */
enum rl_value_kind {
	RL_VALUE_TEXT,
	RL_VALUE_NUMBER,
	RL_VALUE_STRING,
	RL_VALUE_BOOLEAN,
};

/* Sets the global name (before load) to value, given as kind. Returns 0; -ENOENT for no
 * such `const volatile` global; -EINVAL for a value of the wrong type or one that does
 * not parse; -ERANGE for one that does not fit; -ENOTSUP for a type that cannot be set
 * this way. On failure why receives a short reason naming the expected type. */
int rl_bpf_set_typed(struct rl_bpf *b, const char *name, const char *value,
		     enum rl_value_kind kind, char *why, size_t why_len);

#endif
