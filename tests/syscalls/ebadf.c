/* ebadf: every fd-taking call fails with EBADF on closed and negative fds, and on limits. */
#include <fcntl.h>
#include <termios.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/uio.h>

#include "test.h"

static void check_bad_fd(long fd)
{
	char buf[8] = { 0 };
	struct iovec iov = { buf, sizeof(buf) };
	struct stat st;
	struct termios tio;

	CHECK_ERR(syscall(SYS_read, fd, buf, 1L), EBADF);
	CHECK_ERR(syscall(SYS_write, fd, buf, 1L), EBADF);
	CHECK_ERR(syscall(SYS_readv, fd, &iov, 1), EBADF);
	CHECK_ERR(syscall(SYS_writev, fd, &iov, 1), EBADF);
	CHECK_ERR(syscall(SYS_pread64, fd, buf, 1L, 0L), EBADF);
	CHECK_ERR(syscall(SYS_pwrite64, fd, buf, 1L, 0L), EBADF);
	CHECK_ERR(syscall(SYS_lseek, fd, 0L, SEEK_CUR), EBADF);
	CHECK_ERR(syscall(SYS_close, fd), EBADF);
	CHECK_ERR(syscall(SYS_dup, fd), EBADF);
	CHECK_ERR(syscall(SYS_dup2, fd, 10), EBADF);
	CHECK_ERR(syscall(SYS_dup3, fd, 10, 0), EBADF);
	CHECK_ERR(syscall(SYS_fcntl, fd, F_GETFD), EBADF);
	CHECK_ERR(syscall(SYS_fcntl, fd, F_SETFD, FD_CLOEXEC), EBADF);
	CHECK_ERR(syscall(SYS_fcntl, fd, F_GETFL), EBADF);
	CHECK_ERR(syscall(SYS_fcntl, fd, F_SETFL, 0), EBADF);
	CHECK_ERR(syscall(SYS_fcntl, fd, F_DUPFD, 0), EBADF);
	CHECK_ERR(syscall(SYS_fcntl, fd, F_DUPFD_CLOEXEC, 0), EBADF);
	CHECK_ERR(syscall(SYS_fstat, fd, &st), EBADF);
	CHECK_ERR(syscall(SYS_newfstatat, fd, "", &st, AT_EMPTY_PATH), EBADF);
	CHECK_ERR(syscall(SYS_ioctl, fd, TCGETS, &tio), EBADF);
	/* The fd is checked before the other arguments. */
	CHECK_ERR(syscall(SYS_read, fd, NULL, 1L), EBADF);
	CHECK_ERR(syscall(SYS_readv, fd, NULL, -1), EBADF);
	CHECK_ERR(syscall(SYS_fcntl, fd, 9999), EBADF);
	CHECK_ERR(syscall(SYS_lseek, fd, 0L, 9999), EBADF);
	CHECK_ERR(syscall(SYS_dup2, fd, fd), EBADF);
}

int main(void)
{
	check_bad_fd(999);
	check_bad_fd(-1);
	check_bad_fd(INT_MAX);

	/* A closed fd: make one, close it, and check that it is gone. */
	long fd = CHECK_SYS(syscall(SYS_dup, 0));
	CHECK_EQ(syscall(SYS_close, fd), 0);
	check_bad_fd(fd);

	/* Reading a write-only fd or writing a read-only one (fd 0 is read-only). */
	char c = 'x';
	CHECK_ERR(syscall(SYS_write, 0, &c, 1L), EBADF);
	CHECK_ERR(syscall(SYS_pwrite64, 0, &c, 1L, 0L), EBADF);
	struct iovec iov = { &c, 1 };
	CHECK_ERR(syscall(SYS_writev, 0, &iov, 1), EBADF);

	/* Limits: dup2/dup3 to newfd >= RLIMIT_NOFILE is EBADF, F_DUPFD from there is EINVAL. */
	struct rlimit rl;
	CHECK_EQ(syscall(SYS_getrlimit, RLIMIT_NOFILE, &rl), 0);
	long lim = (long)rl.rlim_cur;
	CHECK_ERR(syscall(SYS_dup2, 0, lim), EBADF);
	CHECK_ERR(syscall(SYS_dup3, 0, lim, 0), EBADF);
	CHECK_ERR(syscall(SYS_dup2, 0, -1), EBADF);
	CHECK_ERR(syscall(SYS_fcntl, 0, F_DUPFD, lim), EINVAL);
	CHECK_ERR(syscall(SYS_fcntl, 0, F_DUPFD_CLOEXEC, lim), EINVAL);
	CHECK_ERR(syscall(SYS_fcntl, 0, F_DUPFD, -1), EINVAL);
	/* Just below the limit works. */
	CHECK_EQ(syscall(SYS_dup2, 0, lim - 1), lim - 1);
	CHECK_EQ(syscall(SYS_close, lim - 1), 0);
	return 0;
}
