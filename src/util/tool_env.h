/* The environment of the programs ringlua runs for itself (clang, pahole). */
#ifndef RINGLUA_TOOL_ENV_H
#define RINGLUA_TOOL_ENV_H

/* A fixed environment, never the caller's: root's ringlua may inherit a user's (sudo -E,
 * a unit's Environment=), where CPATH, C_INCLUDE_PATH, CCC_OVERRIDE_OPTIONS, LD_PRELOAD
 * or PATH would change what is compiled and loaded, unseen by the compile cache's key.
 * For posix_spawn's envp. */
char *const *rl_tool_env(void);

#endif
