/*
 * The sandbox hands the application its stdio and nothing else: none of
 * the sentry's own host fds (its log, the program file it loaded, its
 * copies of the caller's stdio) is reachable as a guest fd.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(void)
{
	for (int fd = 0; fd < 3; fd++) {
		if (syscall(SYS_fcntl, fd, F_GETFD) < 0) {
			printf("fd %d should be open\n", fd);
			return 1;
		}
	}
	for (int fd = 3; fd < 4096; fd++) {
		long r = syscall(SYS_fcntl, fd, F_GETFD);
		if (r != -1 || errno != EBADF) {
			printf("fd %d is open in the sandbox (%ld)\n", fd, r);
			return 1;
		}
	}
	return 0;
}
