/* state_dir.h - agent.state_dir and the files the store keeps in it.
 *
 * Owns: the modes and owners of what the agent writes there. The history
 * is evidence (ISO 27001 8.15): the directory is 0750 and its files 0640,
 * whatever the umask, so only the agent's user and group read them. A run
 * as root (`facmon run` by hand, to try something) in a state_dir that
 * belongs to the agent's user leaves files that user owns, so the service
 * can open them afterwards.
 */
#ifndef FACMON_STATE_DIR_H
#define FACMON_STATE_DIR_H

#include <stddef.h>

/* Creates DIR (0750) unless it exists: 0, or -errno with ERR. */
int state_dir_create(const char *dir, char *err, size_t errlen);
/* Makes the file at PATH in DIR 0640 (creating it empty when it is not
 * there), owned by DIR's owner when we are root: 0, or -errno. */
int state_dir_adopt(const char *dir, const char *path);
/* The same for a file open as FD. */
int state_dir_adopt_fd(const char *dir, int fd);

#endif
