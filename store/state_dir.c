/* state_dir.c - agent.state_dir's mode, and its files' modes and owners
 * (see state_dir.h).
 *
 * SQLite creates a database 0644 less the umask, and gives its -wal and
 * -shm files the database's mode (and, run as root, its owner): so the
 * database file is made here, before SQLite opens it, and the rest
 * follows.
 */
#include "store/state_dir.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define FILE_MODE 0640
#define DIR_MODE 0750

int state_dir_create(const char *dir, char *err, size_t errlen)
{
	if (mkdir(dir, DIR_MODE) == 0 || errno == EEXIST)
		return 0;
	int e = errno;
	snprintf(err, errlen, "state_dir %s: cannot create: %s", dir, strerror(e));
	return -e;
}

int state_dir_adopt_fd(const char *dir, int fd)
{
	struct stat d, f;
	if (fstat(fd, &f) < 0)
		return -errno;
	if ((f.st_mode & 07777) != FILE_MODE && fchmod(fd, FILE_MODE) < 0)
		return -errno;
	if (geteuid() != 0 || stat(dir, &d) < 0)
		return 0;
	if ((f.st_uid != d.st_uid || f.st_gid != d.st_gid) && fchown(fd, d.st_uid, d.st_gid) < 0)
		return -errno;
	return 0;
}

int state_dir_adopt(const char *dir, const char *path)
{
	int fd = open(path, O_RDONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, FILE_MODE);
	if (fd < 0)
		return -errno;
	int rc = state_dir_adopt_fd(dir, fd);
	close(fd);
	return rc;
}
