/* secret.h - the files the agent reads secrets and certificates from.
 *
 * Owns: reading a secret (a password or passphrase is the first line of a
 * file of its own, never in the main config) and checking, without
 * opening it, that a file the config names can be read by the agent and,
 * for a secret, by no other user.
 */
#ifndef FACMON_SECRET_H
#define FACMON_SECRET_H

#include <stdbool.h>
#include <stddef.h>

/* The first line of the secret file PATH (mqtt.password_file, SNMPv3
 * passphrase files) into BUF, without its newline; 0, or -errno. */
int secret_read(const char *path, char *buf, size_t len);
/* Whether the agent can read PATH, a regular file, and, for a SECRET (a
 * password, a private key), no other user can: 0, or -1 with WHY, the
 * words to put after the path (": cannot read: ...", " is readable by
 * every user (mode 0644); chmod 600 it"). PATH is not opened. */
int file_check(const char *path, bool secret, char *why, size_t len);

#endif
