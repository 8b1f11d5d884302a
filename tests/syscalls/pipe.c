/*
 * pipe: pipe(2) and pipe2(2) in one thread: capacity (64 KiB, F_GETPIPE_SZ,
 * F_SETPIPE_SZ's rounding, EBUSY and EPERM), PIPE_BUF atomicity and partial
 * writes without blocking, EAGAIN, end of file, EPIPE with SIGPIPE ignored
 * and pending when blocked, FIONREAD, packet mode (O_DIRECT), fstat and
 * the /proc/self/fd link, lseek and pread, and pipe2's flags.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "test.h"

static char g_buf[1 << 20];

/* Whether the process holds CAP_SYS_RESOURCE (CapEff in /proc/self/status). */
static bool has_cap_sys_resource(void)
{
	int fd = CHECK_SYS(open("/proc/self/status", O_RDONLY));
	ssize_t n = CHECK_SYS(read(fd, g_buf, sizeof(g_buf) - 1));
	CHECK_SYS(close(fd));
	g_buf[n] = '\0';
	char *cap = strstr(g_buf, "CapEff:");
	CHECK(cap != NULL);
	unsigned long long eff = strtoull(cap + strlen("CapEff:"), NULL, 16);
	return eff & (1ULL << 24 /* CAP_SYS_RESOURCE */);
}

/* Fills the pipe with one-byte writes until EAGAIN; returns the count. */
static long fill_bytes(int wfd)
{
	long n = 0;
	for (;;) {
		ssize_t r = write(wfd, "x", 1);
		if (r < 0) {
			CHECK_EQ(errno, EAGAIN);
			return n;
		}
		n += r;
	}
}

static void drain(int rfd)
{
	while (read(rfd, g_buf, sizeof(g_buf)) > 0)
		;
}

static void capacity(void)
{
	int p[2];
	CHECK_SYS(pipe2(p, O_NONBLOCK));
	CHECK_EQ(fcntl(p[0], F_GETPIPE_SZ), 65536);
	CHECK_EQ(fcntl(p[1], F_GETPIPE_SZ), 65536);
	/* Small writes merge into pages: the whole 64 KiB. */
	CHECK_EQ(fill_bytes(p[1]), 65536);
	int avail = -1;
	CHECK_SYS(ioctl(p[0], FIONREAD, &avail));
	CHECK_EQ(avail, 65536);
	/* Shrinking below what the pipe holds is EBUSY. */
	CHECK_ERR(fcntl(p[1], F_SETPIPE_SZ, 4096), EBUSY);
	drain(p[0]);
	CHECK_SYS(ioctl(p[0], FIONREAD, &avail));
	CHECK_EQ(avail, 0);

	/* Sizes round up to a power-of-two number of pages, at least one. */
	CHECK_EQ(fcntl(p[1], F_SETPIPE_SZ, 0), 4096);
	CHECK_EQ(fcntl(p[0], F_GETPIPE_SZ), 4096);
	CHECK_EQ(fill_bytes(p[1]), 4096);
	drain(p[0]);
	CHECK_EQ(fcntl(p[1], F_SETPIPE_SZ, 5000), 8192);
	CHECK_EQ(fcntl(p[0], F_SETPIPE_SZ, 3 * 4096 + 1), 16384);
	CHECK_EQ(fcntl(p[0], F_SETPIPE_SZ, 1 << 20), 1 << 20);
	CHECK_EQ(fill_bytes(p[1]), 1 << 20);
	drain(p[0]);
	/* Over 2^31 bytes is EINVAL; past pipe-max-size (1 MiB) needs CAP_SYS_RESOURCE. */
	CHECK_ERR(fcntl(p[0], F_SETPIPE_SZ, (1U << 31) + 1), EINVAL);
	if (has_cap_sys_resource())
		CHECK_EQ(fcntl(p[0], F_SETPIPE_SZ, 2 << 20), 2 << 20);
	else
		CHECK_ERR(fcntl(p[0], F_SETPIPE_SZ, 2 << 20), EPERM);
	CHECK_EQ(fcntl(p[0], F_SETPIPE_SZ, 65536), 65536);

	/* A file that is no pipe: EBADF. */
	CHECK_ERR(fcntl(0, F_GETPIPE_SZ), EBADF);
	CHECK_ERR(fcntl(0, F_SETPIPE_SZ, 4096), EBADF);
	CHECK_SYS(close(p[0]));
	CHECK_SYS(close(p[1]));
}

static void atomicity(void)
{
	int p[2];
	CHECK_SYS(pipe2(p, O_NONBLOCK));
	/* 14 full pages and 100 bytes: 15 of the 16 pages used. */
	memset(g_buf, 'a', sizeof(g_buf));
	CHECK_EQ(write(p[1], g_buf, 14 * 4096 + 100), 14 * 4096 + 100);
	/* A small write merges into the partly used page. */
	CHECK_EQ(write(p[1], g_buf, 10), 10);
	/* PIPE_BUF bytes fit in the free page, whole. */
	CHECK_EQ(write(p[1], g_buf, 4096), 4096);
	/* Full: a write of up to PIPE_BUF bytes is all or nothing. */
	CHECK_ERR(write(p[1], g_buf, 4096), EAGAIN);
	CHECK_ERR(write(p[1], g_buf, 1), EAGAIN);
	drain(p[0]);
	/* More than PIPE_BUF with some room: a partial write. */
	CHECK_EQ(write(p[1], g_buf, 60000), 60000);
	CHECK_EQ(write(p[1], g_buf, 20000), 4096);
	CHECK_ERR(write(p[1], g_buf, 20000), EAGAIN);
	/* A read takes what is there up to its size. */
	CHECK_EQ(read(p[0], g_buf, 100), 100);
	CHECK_EQ(read(p[0], g_buf, sizeof(g_buf)), 64096 - 100);
	CHECK_ERR(read(p[0], g_buf, 1), EAGAIN);
	/* Zero-length reads and writes do nothing. */
	CHECK_EQ(read(p[0], g_buf, 0), 0);
	CHECK_EQ(write(p[1], g_buf, 0), 0);
	CHECK_SYS(close(p[0]));
	CHECK_SYS(close(p[1]));
}

static void eof_and_epipe(void)
{
	int p[2];
	CHECK_SYS(pipe(p));
	CHECK_EQ(write(p[1], "hello", 5), 5);
	CHECK_SYS(close(p[1]));
	char buf[16];
	/* Data first, then end of file, without blocking. */
	CHECK_EQ(read(p[0], buf, sizeof(buf)), 5);
	CHECK(memcmp(buf, "hello", 5) == 0);
	CHECK_EQ(read(p[0], buf, sizeof(buf)), 0);
	CHECK_SYS(close(p[0]));

	/* No reader: EPIPE; SIGPIPE ignored, the process lives on. */
	CHECK_SYS(pipe(p));
	CHECK_SYS(close(p[0]));
	CHECK(signal(SIGPIPE, SIG_IGN) != SIG_ERR);
	CHECK_ERR(write(p[1], "x", 1), EPIPE);
	/* An empty write succeeds before the reader is looked for. */
	CHECK_EQ(write(p[1], "x", 0), 0);
	CHECK(signal(SIGPIPE, SIG_DFL) != SIG_ERR);
	/* SIGPIPE blocked: it stays pending (not even an init drops a blocked signal). */
	sigset_t set, old;
	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	CHECK_SYS(sigprocmask(SIG_BLOCK, &set, &old));
	CHECK_ERR(write(p[1], "x", 1), EPIPE);
	sigset_t pending;
	CHECK_SYS(sigpending(&pending));
	CHECK(sigismember(&pending, SIGPIPE));
	CHECK(signal(SIGPIPE, SIG_IGN) != SIG_ERR); /* discards it */
	CHECK_SYS(sigpending(&pending));
	CHECK(!sigismember(&pending, SIGPIPE));
	CHECK_SYS(sigprocmask(SIG_SETMASK, &old, NULL));
	CHECK_SYS(close(p[1]));
}

static void packets(void)
{
	int p[2];
	CHECK_SYS(pipe2(p, O_DIRECT | O_NONBLOCK));
	/* O_DIRECT is the write end's; each write is a packet, read one per read. */
	CHECK_EQ(fcntl(p[1], F_GETFL) & O_DIRECT, O_DIRECT);
	CHECK_EQ(fcntl(p[0], F_GETFL) & O_DIRECT, 0);
	CHECK_EQ(write(p[1], "abc", 3), 3);
	CHECK_EQ(write(p[1], "defg", 4), 4);
	char buf[16];
	CHECK_EQ(read(p[0], buf, sizeof(buf)), 3);
	CHECK(memcmp(buf, "abc", 3) == 0);
	/* A short read of a packet drops its rest. */
	CHECK_EQ(write(p[1], "hij", 3), 3);
	CHECK_EQ(read(p[0], buf, 2), 2);
	CHECK(memcmp(buf, "de", 2) == 0);
	CHECK_EQ(read(p[0], buf, sizeof(buf)), 3);
	CHECK(memcmp(buf, "hij", 3) == 0);
	/* Sixteen packets fill the pipe, whatever their size. */
	for (int i = 0; i < 16; i++)
		CHECK_EQ(write(p[1], "z", 1), 1);
	CHECK_ERR(write(p[1], "z", 1), EAGAIN);
	CHECK_SYS(close(p[0]));
	CHECK_SYS(close(p[1]));
}

static void attributes(void)
{
	int p[2];
	CHECK_SYS(pipe(p));
	struct stat a, b;
	CHECK_SYS(fstat(p[0], &a));
	CHECK_SYS(fstat(p[1], &b));
	CHECK(S_ISFIFO(a.st_mode));
	CHECK_EQ(a.st_mode & 07777, 0600);
	CHECK_EQ(a.st_blksize, 4096);
	CHECK_EQ(a.st_nlink, 1);
	CHECK_EQ(a.st_uid, geteuid());
	CHECK_EQ(a.st_ino, b.st_ino);
	CHECK_EQ(a.st_dev, b.st_dev);
	CHECK_EQ(major(a.st_dev), 0);
	char path[64], link[64], want[64];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", p[1]);
	ssize_t n = CHECK_SYS(readlink(path, link, sizeof(link) - 1));
	link[n] = '\0';
	snprintf(want, sizeof(want), "pipe:[%lu]", (unsigned long)a.st_ino);
	CHECK_STREQ(link, want);
	/* Another pipe, another inode. */
	int q[2];
	CHECK_SYS(pipe(q));
	CHECK_SYS(fstat(q[0], &b));
	CHECK(a.st_ino != b.st_ino);
	CHECK_EQ(a.st_dev, b.st_dev);

	/* Status flags: the access mode and O_NONBLOCK, nothing else. */
	CHECK_EQ(fcntl(p[0], F_GETFL), O_RDONLY);
	CHECK_EQ(fcntl(p[1], F_GETFL), O_WRONLY);
	CHECK_SYS(fcntl(p[0], F_SETFL, O_NONBLOCK));
	CHECK_EQ(fcntl(p[0], F_GETFL), O_RDONLY | O_NONBLOCK);
	char c;
	CHECK_ERR(read(p[0], &c, 1), EAGAIN);
	/* No positions: lseek and pread are ESPIPE; the wrong end is EBADF. */
	CHECK_ERR(lseek(p[0], 0, SEEK_CUR), ESPIPE);
	CHECK_ERR(pread(p[0], &c, 1, 0), ESPIPE);
	CHECK_ERR(pwrite(p[1], &c, 1, 0), ESPIPE);
	CHECK_ERR(write(p[0], "x", 1), EBADF);
	CHECK_ERR(read(p[1], &c, 1), EBADF);
	/* Other ioctls: ENOTTY. */
	CHECK_ERR(ioctl(p[0], TCGETS, g_buf), ENOTTY);
	for (int i = 0; i < 2; i++) {
		CHECK_SYS(close(p[i]));
		CHECK_SYS(close(q[i]));
	}

	/* pipe2's flags: O_CLOEXEC on both fds; anything unknown is EINVAL. */
	CHECK_SYS(pipe2(p, O_CLOEXEC));
	CHECK_EQ(fcntl(p[0], F_GETFD), FD_CLOEXEC);
	CHECK_EQ(fcntl(p[1], F_GETFD), FD_CLOEXEC);
	CHECK_SYS(close(p[0]));
	CHECK_SYS(close(p[1]));
	CHECK_ERR(pipe2(p, O_APPEND), EINVAL);
	CHECK_ERR(syscall(SYS_pipe2, (void *)8, 0), EFAULT);
}

int main(void)
{
	capacity();
	atomicity();
	eof_and_epipe();
	packets();
	attributes();
	return 0;
}
