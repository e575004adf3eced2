/* loopback.h - a free TCP port on 127.0.0.1, for unit tests that start a
 * server there or need a port that refuses connections. */
#ifndef FACMON_TEST_LOOPBACK_H
#define FACMON_TEST_LOOPBACK_H

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

/* A port nothing listens on right now (the kernel's pick), or -1. */
static inline int loopback_free_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof a;
	int ok = fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
	         getsockname(fd, (struct sockaddr *)&a, &len) == 0;
	if (fd >= 0)
		close(fd);
	return ok ? ntohs(a.sin_port) : -1;
}

#endif
