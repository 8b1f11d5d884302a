/*
 * poll_select: poll, ppoll, select and pselect6 over pipes, regular files
 * (always ready) and bad fds, in one thread: readiness as data comes and
 * goes, POLLHUP once the writer is gone, POLLERR on a write end without a
 * reader, a full pipe not writable, one pipe's ends in one call, select's
 * counts and sets, EBADF, EINVAL, timeouts and the time left written back.
 */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/select.h>

#include "test.h"

static char g_buf[1 << 16];

static void poll_pipes(void)
{
	int p[2];
	CHECK_SYS(pipe(p));
	struct pollfd f[3] = {
		{ .fd = p[0], .events = POLLIN | POLLOUT },
		{ .fd = p[1], .events = POLLIN | POLLOUT },
		{ .fd = 0, .events = POLLIN | POLLOUT },
	};
	/* Empty: the write end is writable; the regular file is ready for both. */
	CHECK_EQ(poll(f, 3, 0), 2);
	CHECK_EQ(f[0].revents, 0);
	CHECK_EQ(f[1].revents, POLLOUT);
	CHECK_EQ(f[2].revents, POLLIN | POLLOUT);
	/* Not ready: the timeout passes with nothing reported. */
	CHECK_EQ(poll(f, 1, 20), 0);
	CHECK_EQ(f[0].revents, 0);
	/* Data: readable (POLLRDNORM too when asked). */
	CHECK_EQ(write(p[1], "x", 1), 1);
	f[0].events = POLLIN | POLLRDNORM | POLLOUT;
	CHECK_EQ(poll(f, 2, -1), 2);
	CHECK_EQ(f[0].revents, POLLIN | POLLRDNORM);
	CHECK_EQ(f[1].revents, POLLOUT);
	/* Full: not writable. */
	CHECK_SYS(fcntl(p[1], F_SETFL, O_NONBLOCK));
	while (write(p[1], g_buf, sizeof(g_buf)) > 0)
		;
	f[1].events = POLLOUT | POLLWRNORM;
	CHECK_EQ(poll(&f[1], 1, 0), 0);
	/* The "x" page and 15 pages of the 64 KiB write (the rest did not fit). */
	CHECK_EQ(read(p[0], g_buf, sizeof(g_buf)), 1 + 15 * 4096);
	CHECK_EQ(poll(&f[1], 1, 0), 1);
	CHECK_EQ(f[1].revents, POLLOUT | POLLWRNORM);

	/* The writer gone: POLLHUP whatever was asked, with POLLIN while data remain. */
	CHECK_EQ(write(p[1], "y", 1), 1);
	CHECK_SYS(close(p[1]));
	struct pollfd r = { .fd = p[0], .events = POLLIN };
	CHECK_EQ(poll(&r, 1, -1), 1);
	CHECK_EQ(r.revents, POLLIN | POLLHUP);
	CHECK_SYS(read(p[0], g_buf, 1));
	r.events = 0;
	CHECK_EQ(poll(&r, 1, -1), 1);
	CHECK_EQ(r.revents, POLLHUP);
	CHECK_SYS(close(p[0]));

	/* The reader gone: POLLERR, and still POLLOUT (room), on the write end. */
	CHECK_SYS(pipe(p));
	CHECK_SYS(close(p[0]));
	struct pollfd w = { .fd = p[1], .events = POLLOUT };
	CHECK_EQ(poll(&w, 1, -1), 1);
	CHECK_EQ(w.revents, POLLOUT | POLLERR);
	CHECK_SYS(close(p[1]));

	/* A closed fd is POLLNVAL; a negative one is skipped; an O_PATH fd is POLLNVAL too. */
	int opath = CHECK_SYS(open("/", O_PATH));
	struct pollfd bad[3] = {
		{ .fd = 99, .events = POLLIN },
		{ .fd = -5, .events = POLLIN },
		{ .fd = opath, .events = POLLIN },
	};
	CHECK_EQ(poll(bad, 3, -1), 2);
	CHECK_EQ(bad[0].revents, POLLNVAL);
	CHECK_EQ(bad[1].revents, 0);
	CHECK_EQ(bad[2].revents, POLLNVAL);
	CHECK_SYS(close(opath));
}

static void ppoll_args(void)
{
	int p[2];
	CHECK_SYS(pipe(p));
	struct pollfd f = { .fd = p[0], .events = POLLIN };
	/* A zero timeout checks once and leaves the timespec alone. */
	struct timespec ts = { 0, 0 };
	CHECK_EQ(syscall(SYS_ppoll, &f, 1, &ts, NULL, 8), 0);
	CHECK_EQ(ts.tv_sec, 0);
	CHECK_EQ(ts.tv_nsec, 0);
	/* A timeout that passes: the time left (none) is written back. */
	ts = (struct timespec){ 0, 10 * 1000 * 1000 };
	CHECK_EQ(syscall(SYS_ppoll, &f, 1, &ts, NULL, 8), 0);
	CHECK_EQ(ts.tv_sec, 0);
	CHECK_EQ(ts.tv_nsec, 0);
	/* Ready at once: most of the time is left. */
	CHECK_EQ(write(p[1], "x", 1), 1);
	ts = (struct timespec){ 100, 0 };
	uint64_t mask = 1ULL << (SIGUSR1 - 1);
	CHECK_EQ(syscall(SYS_ppoll, &f, 1, &ts, &mask, 8), 1);
	CHECK_EQ(f.revents, POLLIN);
	CHECK(ts.tv_sec >= 90 && ts.tv_sec <= 100);
	/* The mask is the wait's only. */
	uint64_t cur;
	CHECK_SYS(syscall(SYS_rt_sigprocmask, SIG_BLOCK, NULL, &cur, 8));
	CHECK_EQ(cur & mask, 0);
	/* Bad arguments: sigset size, timespec, pointers, too many fds. */
	CHECK_ERR(syscall(SYS_ppoll, &f, 1, NULL, &mask, 4), EINVAL);
	CHECK_EQ(syscall(SYS_ppoll, &f, 1, NULL, NULL, 4), 1);
	ts = (struct timespec){ 0, 1000000000 };
	CHECK_ERR(syscall(SYS_ppoll, &f, 1, &ts, NULL, 8), EINVAL);
	ts = (struct timespec){ -1, 0 };
	CHECK_ERR(syscall(SYS_ppoll, &f, 1, &ts, NULL, 8), EINVAL);
	CHECK_ERR(syscall(SYS_ppoll, &f, 1, (void *)8, NULL, 8), EFAULT);
	CHECK_ERR(syscall(SYS_ppoll, &f, 1, NULL, (void *)8, 8), EFAULT);
	CHECK_ERR(syscall(SYS_ppoll, (void *)8, 1, NULL, NULL, 8), EFAULT);
	CHECK_ERR(syscall(SYS_ppoll, &f, 1L << 30, NULL, NULL, 8), EINVAL);
	CHECK_SYS(close(p[0]));
	CHECK_SYS(close(p[1]));
}

static void selects(void)
{
	int p[2];
	CHECK_SYS(pipe(p));
	fd_set r, w, e;
	FD_ZERO(&r);
	FD_ZERO(&w);
	FD_ZERO(&e);
	FD_SET(p[0], &r);
	FD_SET(p[1], &r);
	FD_SET(p[0], &w);
	FD_SET(p[1], &w);
	FD_SET(0, &r);
	FD_SET(0, &w);
	FD_SET(p[0], &e);
	int n = p[1] + 1;
	/* Regular file: read and write (2); the pipe's write end: write (1). */
	struct timeval tv = { 5, 0 };
	CHECK_EQ(select(n, &r, &w, &e, &tv), 3);
	CHECK(FD_ISSET(0, &r) && FD_ISSET(0, &w));
	CHECK(!FD_ISSET(p[0], &r) && !FD_ISSET(p[1], &r));
	CHECK(!FD_ISSET(p[0], &w) && FD_ISSET(p[1], &w));
	CHECK(!FD_ISSET(p[0], &e));
	/* The time left is written back. */
	CHECK(tv.tv_sec >= 4 && tv.tv_sec <= 5);
	/* Nothing ready: the timeout passes, the sets come back empty, no time left. */
	FD_ZERO(&r);
	FD_SET(p[0], &r);
	tv = (struct timeval){ 0, 20000 };
	CHECK_EQ(select(n, &r, NULL, NULL, &tv), 0);
	CHECK(!FD_ISSET(p[0], &r));
	CHECK_EQ(tv.tv_sec, 0);
	CHECK_EQ(tv.tv_usec, 0);
	/* Data: readable. Microseconds past a second are carried, not refused. */
	CHECK_EQ(write(p[1], "x", 1), 1);
	FD_SET(p[0], &r);
	tv = (struct timeval){ 0, 2500000 };
	CHECK_EQ(select(n, &r, NULL, NULL, &tv), 1);
	CHECK(FD_ISSET(p[0], &r));
	CHECK(tv.tv_sec >= 1 && tv.tv_sec <= 2);
	/* Writer gone: readable (end of file). */
	CHECK_SYS(read(p[0], g_buf, 1));
	CHECK_SYS(close(p[1]));
	FD_SET(p[0], &r);
	CHECK_EQ(select(p[0] + 1, &r, NULL, NULL, NULL), 1);
	CHECK(FD_ISSET(p[0], &r));

	/* A closed fd in a set is EBADF; beyond nfds it is not looked at. */
	FD_ZERO(&r);
	FD_SET(p[1], &r);
	tv = (struct timeval){ 0, 0 };
	CHECK_ERR(select(p[1] + 1, &r, NULL, NULL, &tv), EBADF);
	CHECK_EQ(select(p[1], &r, NULL, NULL, &tv), 0);
	/* Errors: negative nfds, an invalid timeval, an unreadable set. */
	CHECK_ERR(select(-1, NULL, NULL, NULL, &tv), EINVAL);
	tv = (struct timeval){ -1, 0 };
	CHECK_ERR(select(1, NULL, NULL, NULL, &tv), EINVAL);
	tv = (struct timeval){ 0, -1 };
	CHECK_ERR(select(1, NULL, NULL, NULL, &tv), EINVAL);
	tv = (struct timeval){ 0, 0 };
	CHECK_ERR(select(1, (fd_set *)8, NULL, NULL, &tv), EFAULT);
	/* nfds past the fd table is cut to it: a huge nfds reads no further. */
	FD_ZERO(&r);
	FD_SET(0, &r);
	CHECK_EQ(select(1 << 20, &r, NULL, NULL, &tv), 1);
	/* No fds at all: a sleep. */
	tv = (struct timeval){ 0, 1000 };
	CHECK_EQ(select(0, NULL, NULL, NULL, &tv), 0);

	/* pselect6: the timespec written back, the sigset argument pack. */
	CHECK_SYS(close(p[0]));
	CHECK_SYS(pipe(p));
	FD_ZERO(&r);
	FD_SET(p[0], &r);
	struct timespec ts = { 0, 10 * 1000 * 1000 };
	uint64_t mask = 0;
	struct {
		void *ss;
		size_t len;
	} pack = { &mask, 8 };
	CHECK_EQ(syscall(SYS_pselect6, p[0] + 1, &r, NULL, NULL, &ts, &pack), 0);
	CHECK_EQ(ts.tv_sec, 0);
	CHECK_EQ(ts.tv_nsec, 0);
	CHECK_EQ(write(p[1], "x", 1), 1);
	FD_SET(p[0], &r);
	ts = (struct timespec){ 100, 0 };
	CHECK_EQ(syscall(SYS_pselect6, p[0] + 1, &r, NULL, NULL, &ts, &pack), 1);
	CHECK(FD_ISSET(p[0], &r));
	CHECK(ts.tv_sec >= 90);
	pack.len = 4;
	CHECK_ERR(syscall(SYS_pselect6, p[0] + 1, &r, NULL, NULL, &ts, &pack), EINVAL);
	CHECK_ERR(syscall(SYS_pselect6, p[0] + 1, &r, NULL, NULL, &ts, (void *)8), EFAULT);
	pack.ss = NULL; /* no mask: any size */
	CHECK_EQ(syscall(SYS_pselect6, p[0] + 1, &r, NULL, NULL, &ts, &pack), 1);
	CHECK_SYS(close(p[0]));
	CHECK_SYS(close(p[1]));
}

int main(void)
{
	poll_pipes();
	ppoll_args();
	selects();
	return 0;
}
