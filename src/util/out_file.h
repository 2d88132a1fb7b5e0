/* Opening the file -o names for writing, as root: never through a symbolic link, and
 * never over a file someone else could have planted for ringlua to overwrite. */
#ifndef RINGLUA_OUT_FILE_H
#define RINGLUA_OUT_FILE_H

/* Opens path write-only: a new file (mode 0644 before the umask), or an existing
 * regular file with one hard link owned by root or the invoking user, truncated once
 * it has passed those checks. A symbolic link as the last component is refused (so is
 * a FIFO or a device). Returns the descriptor (close-on-exec), or -errno with *why set
 * to a short reason (a static string): -EPERM for a file that fails the checks. */
int rl_out_file_open(const char *path, const char **why);

#endif
