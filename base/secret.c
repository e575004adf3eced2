/* secret.c - the files the agent reads secrets and certificates from (see
 * secret.h).
 *
 * Passwords and passphrases never sit in the main config; they are the
 * first line of a file of their own. Callers wipe the buffer after use.
 * Such a file, and any other the config names for the agent to read, is
 * checked up front (config loading, `facmon probe`) without being opened.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/secret.h"

int file_check(const char *path, bool secret, char *why, size_t len)
{
	struct stat sb;
	if (access(path, R_OK) != 0 || stat(path, &sb) != 0)
		snprintf(why, len, ": cannot read: %s", strerror(errno));
	else if (!S_ISREG(sb.st_mode))
		snprintf(why, len, " is not a regular file");
	else if (secret && (sb.st_mode & S_IROTH))
		snprintf(why, len, " is readable by every user (mode %04o); chmod 600 it",
		         (unsigned)(sb.st_mode & 07777));
	else
		return 0;
	return -1;
}

int secret_read(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return -errno;
	if (!fgets(buf, (int)len, f))
		buf[0] = '\0';
	fclose(f);
	buf[strcspn(buf, "\r\n")] = '\0';
	return 0;
}
