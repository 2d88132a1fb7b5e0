/* Reading a script or module that ringlua (as root) is about to run: refused if someone
 * other than root or the invoking user could have written it, like OpenSSH's
 * StrictModes. The checks are made on the opened file itself, so swapping the file
 * between check and load does not slip through. */
#ifndef RINGLUA_SCRIPT_FILE_H
#define RINGLUA_SCRIPT_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Whether uid may own what ringlua runs or writes: root, the real user, or the user
 * sudo was invoked by (SUDO_UID). */
bool rl_trusted_owner(uid_t uid);

/* Reads path into a malloc'd, NUL-terminated *text (length in *len), at most its size
 * when opened. It is opened without blocking and must be a regular file (a FIFO or a
 * device is refused before anything is read); a link as its last component is
 * refused. With unsafe_perms the link, ownership and permission checks are skipped.
 * Returns 0, or -errno with *why set to a short reason (a static string) for the caller
 * to print: -EPERM for a file that fails the checks, -EINVAL for one that is not a
 * regular file and -ENOEXEC for bytecode (both refused even with unsafe_perms). */
int rl_script_read(const char *path, bool unsafe_perms, char **text, size_t *len,
		   const char **why);

/* Checks the directory dir of ringlua's own modules, which load without a check each:
 * the directory and those above it as a script's, and every entry of it a regular file
 * that passes a script's rule (no links). Returns 0, or -errno with *why set (a static
 * string) and the path at fault in bad (len bytes): -EPERM for one that fails. */
int rl_modules_check(const char *dir, char *bad, size_t len, const char **why);

#endif
