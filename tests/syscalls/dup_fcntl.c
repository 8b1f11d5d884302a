/* dup_fcntl: dup, dup2, dup3 and fcntl's fd and status flags, on fd 0 (a read-only file). */
#include <fcntl.h>

#include "test.h"

/* The kernel sets O_LARGEFILE on every file opened on x86-64; glibc defines it as 0. */
#define KERNEL_O_LARGEFILE 0100000

static long getfd(long fd)
{
	return CHECK_SYS(syscall(SYS_fcntl, fd, F_GETFD));
}

static long getfl(long fd)
{
	return CHECK_SYS(syscall(SYS_fcntl, fd, F_GETFL));
}

int main(void)
{
	/* dup returns the lowest free fd: free one in the middle and it comes back. */
	long a = CHECK_SYS(syscall(SYS_dup, 0));
	long b = CHECK_SYS(syscall(SYS_dup, 0));
	long c = CHECK_SYS(syscall(SYS_dup, 0));
	CHECK(a >= 3);
	CHECK_EQ(b, a + 1);
	CHECK_EQ(c, a + 2);
	for (long fd = 0; fd < a; fd++)
		getfd(fd);
	CHECK_EQ(syscall(SYS_close, b), 0);
	CHECK_EQ(syscall(SYS_dup, 0), b);
	/* A dup does not inherit FD_CLOEXEC. */
	CHECK_EQ(syscall(SYS_fcntl, a, F_SETFD, FD_CLOEXEC), 0);
	long d = CHECK_SYS(syscall(SYS_dup, a));
	CHECK_EQ(getfd(d), 0);
	CHECK_EQ(syscall(SYS_close, d), 0);

	/* F_GETFD/F_SETFD round trip; only FD_CLOEXEC is kept. */
	CHECK_EQ(syscall(SYS_fcntl, a, F_SETFD, 0), 0);
	CHECK_EQ(getfd(a), 0);
	CHECK_EQ(syscall(SYS_fcntl, a, F_SETFD, FD_CLOEXEC), 0);
	CHECK_EQ(getfd(a), FD_CLOEXEC);
	CHECK_EQ(syscall(SYS_fcntl, a, F_SETFD, 0xfe), 0);
	CHECK_EQ(getfd(a), 0);
	CHECK_EQ(syscall(SYS_fcntl, a, F_SETFD, 0xff), 0);
	CHECK_EQ(getfd(a), FD_CLOEXEC);
	/* The flag is per fd, not per open file description. */
	CHECK_EQ(getfd(0), 0);
	CHECK_EQ(getfd(b), 0);

	/* dup2(fd, fd) returns fd and leaves FD_CLOEXEC alone; dup3(fd, fd, 0) is EINVAL. */
	CHECK_EQ(syscall(SYS_dup2, a, a), a);
	CHECK_EQ(getfd(a), FD_CLOEXEC);
	CHECK_ERR(syscall(SYS_dup3, a, a, 0), EINVAL);
	CHECK_ERR(syscall(SYS_dup3, a, a, O_CLOEXEC), EINVAL);
	/* dup3 takes no flag but O_CLOEXEC. */
	CHECK_ERR(syscall(SYS_dup3, a, 50, O_NONBLOCK), EINVAL);
	CHECK_ERR(syscall(SYS_dup3, a, 50, 1), EINVAL);
	CHECK_ERR(syscall(SYS_fcntl, 50, F_GETFD), EBADF);

	/* dup2 onto an open fd closes it silently, and the new fd has FD_CLOEXEC clear. */
	long out = CHECK_SYS(syscall(SYS_dup, 1));
	CHECK_EQ(out, a + 3);
	CHECK_EQ(getfl(out) & O_ACCMODE, O_WRONLY);
	CHECK_EQ(syscall(SYS_fcntl, out, F_SETFD, FD_CLOEXEC), 0);
	CHECK_EQ(syscall(SYS_dup2, 0, out), out);
	CHECK_EQ(getfl(out) & O_ACCMODE, O_RDONLY);
	CHECK_EQ(getfd(out), 0);
	/* dup3 with O_CLOEXEC sets it, without clears it. */
	CHECK_EQ(syscall(SYS_dup3, 0, out, O_CLOEXEC), out);
	CHECK_EQ(getfd(out), FD_CLOEXEC);
	CHECK_EQ(syscall(SYS_dup3, 0, out, 0), out);
	CHECK_EQ(getfd(out), 0);
	/* dup2 to a high fd leaves the ones in between free. */
	CHECK_EQ(syscall(SYS_dup2, 0, 100), 100);
	CHECK_ERR(syscall(SYS_fcntl, 99, F_GETFD), EBADF);

	/* F_DUPFD returns the lowest free fd >= arg; F_DUPFD_CLOEXEC also sets FD_CLOEXEC. */
	CHECK_EQ(syscall(SYS_fcntl, 0, F_DUPFD, 100), 101);
	CHECK_EQ(getfd(101), 0);
	CHECK_EQ(syscall(SYS_fcntl, 0, F_DUPFD_CLOEXEC, 100), 102);
	CHECK_EQ(getfd(102), FD_CLOEXEC);
	CHECK_EQ(syscall(SYS_fcntl, 0, F_DUPFD, 0), a + 4);
	CHECK_EQ(syscall(SYS_close, 101), 0);
	CHECK_EQ(syscall(SYS_fcntl, 0, F_DUPFD, 50), 50);
	CHECK_EQ(syscall(SYS_fcntl, 0, F_DUPFD, 100), 101);
	/* An unknown command is EINVAL. */
	CHECK_ERR(syscall(SYS_fcntl, 0, 9999), EINVAL);

	/* F_GETFL: fd 0 is read-only, fd 1 write-only; the kernel adds O_LARGEFILE. */
	CHECK_EQ(getfl(0), O_RDONLY | KERNEL_O_LARGEFILE);
	CHECK_EQ(getfl(1) & O_ACCMODE, O_WRONLY);

	/* F_SETFL changes the shared open file description: visible through every dup. */
	CHECK_EQ(syscall(SYS_fcntl, a, F_SETFL, O_APPEND | O_NONBLOCK), 0);
	CHECK_EQ(getfl(0), O_RDONLY | KERNEL_O_LARGEFILE | O_APPEND | O_NONBLOCK);
	CHECK_EQ(getfl(a), getfl(0));
	/* The access mode and creation flags cannot be changed by F_SETFL. */
	CHECK_EQ(syscall(SYS_fcntl, 0, F_SETFL, O_RDWR | O_CREAT | O_EXCL | O_TRUNC), 0);
	CHECK_EQ(getfl(a), O_RDONLY | KERNEL_O_LARGEFILE);

	/* The file offset is shared as well. */
	char buf[2];
	CHECK_EQ(syscall(SYS_read, a, buf, 2L), 2);
	CHECK(memcmp(buf, "\177E", 2) == 0);
	CHECK_EQ(syscall(SYS_read, 0, buf, 2L), 2);
	CHECK(memcmp(buf, "LF", 2) == 0);
	CHECK_EQ(syscall(SYS_lseek, b, 0L, SEEK_CUR), 4);

	/* Closing one fd leaves the description open for the others; a closed fd is reused. */
	CHECK_EQ(syscall(SYS_close, a), 0);
	CHECK_ERR(syscall(SYS_fcntl, a, F_GETFD), EBADF);
	CHECK_EQ(syscall(SYS_pread64, b, buf, 1L, 0L), 1);
	CHECK_EQ(syscall(SYS_dup, 1), a);
	CHECK_EQ(getfl(a) & O_ACCMODE, O_WRONLY);
	return 0;
}
