/* C++ names as people read them: `_ZN2ns6Worker4spinEi` is `ns::Worker::spin(int)`. */
#ifndef RINGLUA_DEMANGLE_H
#define RINGLUA_DEMANGLE_H

#include <stddef.h>

/* Longest mangled name demangled: a longer one (from a file someone else built) is
 * shown as it is, so that no symbol costs more than a bounded amount of work. */
#define RL_DEMANGLE_INPUT_MAX 2048

/* Writes the demangled form of name into buf (cut to size). Returns its length, or -1
 * when name is no C++ name (or too long, or not one the demangler takes): then buf is
 * untouched. */
int rl_demangle(const char *name, char *buf, size_t size);

#endif
