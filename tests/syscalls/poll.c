/*
 * poll: readiness of the inherited stdio (fd 0 is a regular file: always
 * readable; fd 1 writable), POLLNVAL for a closed fd, a negative fd
 * ignored, events 0 reporting nothing, EFAULT and EINVAL, and a timeout
 * that expires when nothing is ready.
 */
#include <poll.h>

#include "test.h"

int main(void)
{
	struct pollfd p[4] = {
		{ .fd = 0, .events = POLLIN },
		{ .fd = 1, .events = POLLOUT },
		{ .fd = 99, .events = POLLIN },
		{ .fd = -1, .events = POLLIN },
	};
	CHECK_EQ(syscall(SYS_poll, p, 4, 1000), 3);
	CHECK_EQ(p[0].revents, POLLIN);
	CHECK_EQ(p[1].revents, POLLOUT);
	CHECK_EQ(p[2].revents, POLLNVAL);
	CHECK_EQ(p[3].revents, 0);

	/* Nothing asked for, nothing reported (a regular file never hangs up). */
	struct pollfd q = { .fd = 0, .events = 0, .revents = 0x7fff };
	CHECK_EQ(syscall(SYS_poll, &q, 1, 0), 0);
	CHECK_EQ(q.revents, 0);

	/* No fds: a plain sleep for the timeout. */
	CHECK_EQ(syscall(SYS_poll, NULL, 0, 10), 0);

	CHECK_ERR(syscall(SYS_poll, (void *)8, 1, 0), EFAULT);
	CHECK_ERR(syscall(SYS_poll, p, 1L << 30, 0), EINVAL);
	return 0;
}
