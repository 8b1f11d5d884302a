/*
 * eventfd: flags, reads and writes of the 8-byte counter (EINVAL below 8
 * bytes, EAGAIN when empty or full), EFD_SEMAPHORE, the overflow rules
 * (UINT64_MAX cannot be written, the counter stops below it), readiness
 * through poll-free epoll, fstat and lseek of an anonymous file. Blocking
 * waits are in eventfd_threads.
 */
#include <fcntl.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/uio.h>

#include "test.h"

static uint32_t readiness(int fd)
{
	int ep = (int)CHECK_SYS(epoll_create1(0));
	struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT };
	CHECK_SYS(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev));
	int n = (int)CHECK_SYS(epoll_wait(ep, &ev, 1, 0));
	close(ep);
	return n ? ev.events : 0;
}

int main(void)
{
	CHECK_ERR(syscall(SYS_eventfd2, 0, 0x10), EINVAL);
	CHECK_ERR(syscall(SYS_eventfd2, 0, O_RDWR), EINVAL);
	int fd = (int)CHECK_SYS(syscall(SYS_eventfd2, 5, EFD_NONBLOCK | EFD_CLOEXEC));
	CHECK_EQ(fcntl(fd, F_GETFL), O_RDWR | O_NONBLOCK);
	CHECK_EQ(fcntl(fd, F_GETFD), FD_CLOEXEC);
	int plain = (int)CHECK_SYS(syscall(SYS_eventfd, 3));
	CHECK_EQ(fcntl(plain, F_GETFL), O_RDWR);
	CHECK_EQ(fcntl(plain, F_GETFD), 0);

	/* An anonymous inode: mode 0600 with no type; lseek is a no-op; no pread. */
	struct stat st;
	CHECK_SYS(fstat(fd, &st));
	CHECK_EQ(st.st_mode, 0600);
	CHECK_EQ(st.st_nlink, 1);
	CHECK_EQ(lseek(fd, 100, SEEK_SET), 0);
	uint64_t v = 0;
	CHECK_ERR(pread(fd, &v, 8, 0), ESPIPE);

	/* Reads take the whole counter; fewer than 8 bytes is EINVAL; more reads 8. */
	char small[7];
	CHECK_ERR(read(fd, small, sizeof(small)), EINVAL);
	CHECK_ERR(write(fd, small, sizeof(small)), EINVAL);
	uint64_t big[2] = { 0, 0x55 };
	CHECK_EQ(read(fd, big, sizeof(big)), 8);
	CHECK_EQ(big[0], 5);
	CHECK_EQ(big[1], 0x55);
	CHECK_ERR(read(fd, &v, 8), EAGAIN);
	CHECK_EQ(readiness(fd), EPOLLOUT);

	/* Writes add; a write of 0 succeeds and changes nothing. */
	v = 2;
	CHECK_EQ(write(fd, &v, 8), 8);
	v = 0;
	CHECK_EQ(write(fd, &v, 8), 8);
	v = 40;
	CHECK_EQ(write(fd, &v, 8), 8);
	CHECK_EQ(readiness(fd), EPOLLIN | EPOLLOUT);
	CHECK_EQ(read(fd, &v, 8), 8);
	CHECK_EQ(v, 42);

	/* Split across iovecs: still 8 bytes. */
	uint32_t lo = 0, hi = 0;
	v = 0x100000002ULL;
	CHECK_EQ(write(fd, &v, 8), 8);
	struct iovec iov[2] = { { &lo, 4 }, { &hi, 4 } };
	CHECK_EQ(readv(fd, iov, 2), 8);
	CHECK_EQ(lo, 2);
	CHECK_EQ(hi, 1);

	/* Overflow: UINT64_MAX is never written; the counter stops at UINT64_MAX - 1. */
	v = UINT64_MAX;
	CHECK_ERR(write(fd, &v, 8), EINVAL);
	v = UINT64_MAX - 1;
	CHECK_EQ(write(fd, &v, 8), 8);
	CHECK_EQ(readiness(fd), EPOLLIN); /* not writable: a write of 1 would block */
	v = 1;
	CHECK_ERR(write(fd, &v, 8), EAGAIN);
	v = 0;
	CHECK_EQ(write(fd, &v, 8), 8);
	CHECK_EQ(read(fd, &v, 8), 8);
	CHECK_EQ(v, UINT64_MAX - 1);
	v = UINT64_MAX - 2;
	CHECK_EQ(write(fd, &v, 8), 8);
	CHECK_EQ(readiness(fd), EPOLLIN | EPOLLOUT);
	v = 1;
	CHECK_EQ(write(fd, &v, 8), 8);
	CHECK_ERR(write(fd, &v, 8), EAGAIN);
	CHECK_EQ(read(fd, &v, 8), 8);
	CHECK_EQ(v, UINT64_MAX - 1);

	/* EFD_SEMAPHORE: each read takes 1. */
	int sem = (int)CHECK_SYS(eventfd(2, EFD_SEMAPHORE | EFD_NONBLOCK));
	CHECK_EQ(read(sem, &v, 8), 8);
	CHECK_EQ(v, 1);
	CHECK_EQ(read(sem, &v, 8), 8);
	CHECK_EQ(v, 1);
	CHECK_ERR(read(sem, &v, 8), EAGAIN);
	v = 3;
	CHECK_EQ(write(sem, &v, 8), 8);
	for (int i = 0; i < 3; i++) {
		CHECK_EQ(read(sem, &v, 8), 8);
		CHECK_EQ(v, 1);
	}
	CHECK_ERR(read(sem, &v, 8), EAGAIN);

	/* O_NONBLOCK through F_SETFL. */
	CHECK_SYS(fcntl(plain, F_SETFL, O_NONBLOCK));
	CHECK_EQ(read(plain, &v, 8), 8);
	CHECK_EQ(v, 3);
	CHECK_ERR(read(plain, &v, 8), EAGAIN);

	/* Bad buffers. */
	CHECK_ERR(syscall(SYS_write, fd, 8, 8), EFAULT);
	close(sem);
	close(plain);
	close(fd);
	return 0;
}
