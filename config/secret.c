/* secret.c - reading a secret from the file the config names for it.
 *
 * Passwords and passphrases never sit in the main config; they are the
 * first line of a file of their own. Callers wipe the buffer after use.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "config/config.h"

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
