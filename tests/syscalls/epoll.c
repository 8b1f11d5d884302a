/*
 * epoll over eventfds and timerfds: level- and edge-triggered reports,
 * EPOLLONESHOT until EPOLL_CTL_MOD, MOD and DEL, the data word returned as
 * given, the errors of epoll_create1, epoll_ctl and epoll_wait (EEXIST,
 * ENOENT, EBADF, EINVAL, ELOOP, EPERM, EFAULT), nested instances (an epoll
 * is readable while it has events; loops and chains deeper than Linux
 * allows fail with ELOOP), and closing a file's last fd taking it off the
 * interest list. Single-threaded; no timing assertions.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>

#include "test.h"

static int ep_add(int ep, int fd, uint32_t events, uint64_t data)
{
	struct epoll_event ev = { .events = events, .data.u64 = data };
	return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
}

static int ep_mod(int ep, int fd, uint32_t events, uint64_t data)
{
	struct epoll_event ev = { .events = events, .data.u64 = data };
	return epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev);
}

static void efd_write(int fd, uint64_t v)
{
	CHECK_EQ(write(fd, &v, sizeof(v)), 8);
}

static uint64_t efd_read(int fd)
{
	uint64_t v = 0;
	CHECK_EQ(read(fd, &v, sizeof(v)), 8);
	return v;
}

/* epoll_wait with timeout 0: the count, and the first event in *ev. */
static int poll_now(int ep, struct epoll_event *ev, int max)
{
	return (int)CHECK_SYS(epoll_wait(ep, ev, max, 0));
}

static void test_create(void)
{
	CHECK_ERR(epoll_create(0), EINVAL);
	CHECK_ERR(epoll_create(-1), EINVAL);
	CHECK_ERR(epoll_create1(O_NONBLOCK), EINVAL);
	CHECK_ERR(epoll_create1(1), EINVAL);
	int a = (int)CHECK_SYS(epoll_create(1));
	CHECK_EQ(fcntl(a, F_GETFD), 0);
	int b = (int)CHECK_SYS(epoll_create1(EPOLL_CLOEXEC));
	CHECK_EQ(fcntl(b, F_GETFD), FD_CLOEXEC);
	CHECK_EQ(fcntl(b, F_GETFL) & O_ACCMODE, O_RDWR);
	/* Not readable nor writable as a file. */
	char c;
	CHECK_ERR(read(a, &c, 1), EINVAL);
	CHECK_ERR(write(a, &c, 1), EINVAL);
	close(a);
	close(b);
}

static void test_level_edge(void)
{
	int ep = (int)CHECK_SYS(epoll_create1(0));
	int lt = (int)CHECK_SYS(eventfd(0, EFD_NONBLOCK));
	int et = (int)CHECK_SYS(eventfd(0, EFD_NONBLOCK));
	CHECK_SYS(ep_add(ep, lt, EPOLLIN, 0x1122334455667788ULL));
	CHECK_SYS(ep_add(ep, et, EPOLLIN | EPOLLET, 42));
	struct epoll_event ev[4];
	CHECK_EQ(poll_now(ep, ev, 4), 0);

	/* Level-triggered: reported as long as it is readable, with the data as given. */
	efd_write(lt, 1);
	for (int i = 0; i < 3; i++) {
		CHECK_EQ(poll_now(ep, ev, 4), 1);
		CHECK_EQ(ev[0].events, EPOLLIN);
		CHECK_EQ(ev[0].data.u64, 0x1122334455667788ULL);
	}
	efd_read(lt);
	CHECK_EQ(poll_now(ep, ev, 4), 0);

	/* Edge-triggered: once per change, though it stays readable. */
	efd_write(et, 1);
	CHECK_EQ(poll_now(ep, ev, 4), 1);
	CHECK_EQ(ev[0].events, EPOLLIN);
	CHECK_EQ(ev[0].data.u64, 42);
	CHECK_EQ(poll_now(ep, ev, 4), 0);
	/* A new write is a new edge, even with the counter still above 0. */
	efd_write(et, 1);
	CHECK_EQ(poll_now(ep, ev, 4), 1);
	CHECK_EQ(poll_now(ep, ev, 4), 0);
	CHECK_EQ(efd_read(et), 2);
	CHECK_EQ(poll_now(ep, ev, 4), 0);

	/* Both ready: two events, or one at a time with maxevents 1 (the other stays ready). */
	efd_write(lt, 1);
	efd_write(et, 1);
	CHECK_EQ(poll_now(ep, ev, 4), 2);
	CHECK_EQ(poll_now(ep, ev, 4), 1); /* only the level-triggered one now */
	CHECK_EQ(ev[0].data.u64, 0x1122334455667788ULL);
	efd_write(et, 1);
	CHECK_EQ(poll_now(ep, ev, 1), 1);
	uint64_t first = ev[0].data.u64;
	CHECK_EQ(poll_now(ep, ev, 1), 1);
	CHECK(ev[0].data.u64 != first || first == 0x1122334455667788ULL);

	/* EPOLLOUT: an eventfd is writable while a write of 1 would not block. */
	CHECK_SYS(ep_mod(ep, lt, EPOLLOUT, 7));
	CHECK_EQ(poll_now(ep, ev, 4), 1);
	CHECK_EQ(ev[0].events, EPOLLOUT);
	CHECK_EQ(ev[0].data.u64, 7);
	close(lt);
	close(et);
	close(ep);
}

static void test_oneshot_mod_del(void)
{
	int ep = (int)CHECK_SYS(epoll_create1(0));
	int e = (int)CHECK_SYS(eventfd(1, EFD_NONBLOCK));
	CHECK_SYS(ep_add(ep, e, EPOLLIN | EPOLLONESHOT, 1));
	struct epoll_event ev[2];
	CHECK_EQ(poll_now(ep, ev, 2), 1);
	/* Disabled after one report, though still readable and written to again. */
	CHECK_EQ(poll_now(ep, ev, 2), 0);
	efd_write(e, 1);
	CHECK_EQ(poll_now(ep, ev, 2), 0);
	/* MOD arms it again, with the new data. */
	CHECK_SYS(ep_mod(ep, e, EPOLLIN | EPOLLONESHOT, 2));
	CHECK_EQ(poll_now(ep, ev, 2), 1);
	CHECK_EQ(ev[0].data.u64, 2);
	CHECK_EQ(poll_now(ep, ev, 2), 0);
	/* MOD to level-triggered. */
	CHECK_SYS(ep_mod(ep, e, EPOLLIN, 3));
	CHECK_EQ(poll_now(ep, ev, 2), 1);
	CHECK_EQ(poll_now(ep, ev, 2), 1);
	CHECK_EQ(ev[0].data.u64, 3);
	/* MOD to events it does not have: nothing. */
	efd_read(e);
	CHECK_SYS(ep_mod(ep, e, EPOLLIN | EPOLLPRI, 4));
	CHECK_EQ(poll_now(ep, ev, 2), 0);
	/* DEL: gone; a second DEL and a MOD are ENOENT. */
	efd_write(e, 1);
	CHECK_EQ(poll_now(ep, ev, 2), 1);
	CHECK_SYS(epoll_ctl(ep, EPOLL_CTL_DEL, e, NULL));
	CHECK_EQ(poll_now(ep, ev, 2), 0);
	CHECK_ERR(epoll_ctl(ep, EPOLL_CTL_DEL, e, NULL), ENOENT);
	CHECK_ERR(ep_mod(ep, e, EPOLLIN, 0), ENOENT);
	/* Added again after DEL. */
	CHECK_SYS(ep_add(ep, e, EPOLLIN, 5));
	CHECK_EQ(poll_now(ep, ev, 2), 1);
	CHECK_EQ(ev[0].data.u64, 5);
	close(e);
	close(ep);
}

static void test_errors(void)
{
	int ep = (int)CHECK_SYS(epoll_create1(0));
	int e = (int)CHECK_SYS(eventfd(0, 0));
	struct epoll_event ev = { .events = EPOLLIN };
	CHECK_SYS(epoll_ctl(ep, EPOLL_CTL_ADD, e, &ev));
	CHECK_ERR(epoll_ctl(ep, EPOLL_CTL_ADD, e, &ev), EEXIST);
	/* Keyed by (file, fd): a dup of the same file is another item. */
	int d = (int)CHECK_SYS(dup(e));
	CHECK_SYS(epoll_ctl(ep, EPOLL_CTL_ADD, d, &ev));
	CHECK_ERR(epoll_ctl(ep, 99, e, &ev), EINVAL);
	CHECK_ERR(epoll_ctl(ep, EPOLL_CTL_ADD, 999, &ev), EBADF);
	CHECK_ERR(epoll_ctl(999, EPOLL_CTL_ADD, e, &ev), EBADF);
	CHECK_ERR(epoll_ctl(ep, EPOLL_CTL_ADD, -1, &ev), EBADF);
	/* Adding an epoll to itself; an epoll_ctl on a file that is not an epoll. */
	CHECK_ERR(epoll_ctl(ep, EPOLL_CTL_ADD, ep, &ev), EINVAL);
	CHECK_ERR(epoll_ctl(e, EPOLL_CTL_ADD, ep, &ev), EINVAL);
	/* A regular file (fd 0 is the test program) cannot be polled. */
	CHECK_ERR(epoll_ctl(ep, EPOLL_CTL_ADD, 0, &ev), EPERM);
	/* The event is read before anything else. */
	CHECK_ERR(epoll_ctl(ep, EPOLL_CTL_ADD, e, (void *)8), EFAULT);
	CHECK_ERR(epoll_ctl(999, EPOLL_CTL_MOD, e, (void *)8), EFAULT);
	/* DEL ignores the event pointer. */
	CHECK_SYS(epoll_ctl(ep, EPOLL_CTL_DEL, d, (void *)8));
	close(d);

	/* EPOLLEXCLUSIVE: with ADD and in/out/err/hup/et only; never with MOD, nor on an epoll. */
	int x = (int)CHECK_SYS(eventfd(0, 0));
	struct epoll_event exv = { .events = EPOLLIN | EPOLLEXCLUSIVE };
	CHECK_SYS(epoll_ctl(ep, EPOLL_CTL_ADD, x, &exv));
	CHECK_ERR(epoll_ctl(ep, EPOLL_CTL_MOD, x, &exv), EINVAL);
	/* An exclusive item cannot be modified at all. */
	CHECK_ERR(epoll_ctl(ep, EPOLL_CTL_MOD, x, &ev), EINVAL);
	CHECK_SYS(epoll_ctl(ep, EPOLL_CTL_DEL, x, NULL));
	exv.events = EPOLLIN | EPOLLEXCLUSIVE | EPOLLONESHOT;
	CHECK_ERR(epoll_ctl(ep, EPOLL_CTL_ADD, x, &exv), EINVAL);
	exv.events = EPOLLIN | EPOLLEXCLUSIVE | EPOLLRDHUP;
	CHECK_ERR(epoll_ctl(ep, EPOLL_CTL_ADD, x, &exv), EINVAL);
	exv.events = EPOLLIN | EPOLLOUT | EPOLLERR | EPOLLHUP | EPOLLET | EPOLLEXCLUSIVE;
	CHECK_SYS(epoll_ctl(ep, EPOLL_CTL_ADD, x, &exv));
	int inner = (int)CHECK_SYS(epoll_create1(0));
	exv.events = EPOLLIN | EPOLLEXCLUSIVE;
	CHECK_ERR(epoll_ctl(ep, EPOLL_CTL_ADD, inner, &exv), EINVAL);
	/* Exclusive items report like others. */
	efd_write(x, 1);
	struct epoll_event out[4];
	CHECK_EQ(poll_now(ep, out, 4), 1);
	CHECK_EQ(out[0].events, EPOLLIN | EPOLLOUT);
	close(x);
	close(inner);

	/* epoll_wait: maxevents, the buffer, the fd. */
	CHECK_ERR(epoll_wait(ep, out, 0, 0), EINVAL);
	CHECK_ERR(syscall(SYS_epoll_wait, ep, out, -1, 0), EINVAL);
	CHECK_ERR(syscall(SYS_epoll_wait, ep, out, INT32_MAX / 12 + 1, 0), EINVAL);
	CHECK_ERR(epoll_wait(999, out, 1, 0), EBADF);
	CHECK_ERR(epoll_wait(e, out, 1, 0), EINVAL);
	CHECK_ERR(epoll_wait(ep, (void *)0x7ffffffff000ULL, 2, 0), EFAULT);
	/* An unmapped buffer is only a fault when there is an event to write. */
	void *hole = test_unmapped_page();
	CHECK_EQ(epoll_wait(ep, hole, 1, 0), 0);
	efd_write(e, 1);
	CHECK_ERR(epoll_wait(ep, hole, 1, 0), EFAULT);
	/* ... and the event is still there for a good buffer. */
	CHECK_EQ(poll_now(ep, out, 4), 1);
	/* epoll_pwait2: a bad timespec, a bad sigset size. */
	struct timespec bad = { 0, 1000000000 };
	CHECK_ERR(syscall(SYS_epoll_pwait2, ep, out, 1, &bad, NULL, 8), EINVAL);
	struct timespec zero = { 0, 0 };
	CHECK_ERR(syscall(SYS_epoll_pwait2, ep, out, 1, (void *)8, NULL, 8), EFAULT);
	sigset_t set;
	sigemptyset(&set);
	CHECK_ERR(syscall(SYS_epoll_pwait, ep, out, 1, 0, &set, 4), EINVAL);
	CHECK_EQ(syscall(SYS_epoll_pwait, ep, out, 1, 0, &set, 8), 1);
	CHECK_EQ(syscall(SYS_epoll_pwait2, ep, out, 1, &zero, &set, 8), 1);
	CHECK_EQ(syscall(SYS_epoll_pwait2, ep, out, 1, NULL, NULL, 8), 1);
	close(e);
	close(ep);
}

static void test_nested(void)
{
	int outer = (int)CHECK_SYS(epoll_create1(0));
	int inner = (int)CHECK_SYS(epoll_create1(0));
	int e = (int)CHECK_SYS(eventfd(0, EFD_NONBLOCK));
	CHECK_SYS(ep_add(inner, e, EPOLLIN, 1));
	CHECK_SYS(ep_add(outer, inner, EPOLLIN, 2));
	struct epoll_event ev[2];
	CHECK_EQ(poll_now(outer, ev, 2), 0);
	efd_write(e, 1);
	/* The inner epoll is readable while it has an event. */
	CHECK_EQ(poll_now(outer, ev, 2), 1);
	CHECK_EQ(ev[0].events, EPOLLIN);
	CHECK_EQ(ev[0].data.u64, 2);
	CHECK_EQ(poll_now(inner, ev, 2), 1);
	CHECK_EQ(ev[0].data.u64, 1);
	efd_read(e);
	CHECK_EQ(poll_now(outer, ev, 2), 0);

	/* Loops: a cycle of two, and longer. */
	CHECK_ERR(ep_add(inner, outer, EPOLLIN, 0), ELOOP);
	int third = (int)CHECK_SYS(epoll_create1(0));
	CHECK_SYS(ep_add(third, outer, EPOLLIN, 0));
	CHECK_ERR(ep_add(inner, third, EPOLLIN, 0), ELOOP);
	close(third);
	close(outer);
	close(inner);
	close(e);

	/* Depth: a chain of 5 epolls (4 links) is the longest, whichever end grows. */
	int c[7];
	for (int i = 0; i < 7; i++)
		c[i] = (int)CHECK_SYS(epoll_create1(0));
	for (int i = 0; i < 4; i++)
		CHECK_SYS(ep_add(c[i], c[i + 1], EPOLLIN, 0));
	CHECK_ERR(ep_add(c[4], c[5], EPOLLIN, 0), ELOOP); /* at the bottom */
	CHECK_ERR(ep_add(c[5], c[0], EPOLLIN, 0), ELOOP); /* at the top */
	/* Removing a link makes room again. */
	CHECK_SYS(epoll_ctl(c[3], EPOLL_CTL_DEL, c[4], NULL));
	CHECK_SYS(ep_add(c[5], c[0], EPOLLIN, 0));
	CHECK_ERR(ep_add(c[3], c[4], EPOLLIN, 0), ELOOP);
	/* Closing a link's epoll takes it off its parent's list. */
	close(c[3]);
	CHECK_SYS(ep_add(c[2], c[6], EPOLLIN, 0));
	for (int i = 0; i < 7; i++)
		if (i != 3)
			close(c[i]);
}

static void test_close_removes(void)
{
	int ep = (int)CHECK_SYS(epoll_create1(0));
	int e = (int)CHECK_SYS(eventfd(1, EFD_NONBLOCK));
	CHECK_SYS(ep_add(ep, e, EPOLLIN, 1));
	/* A dup keeps the file (and the item) alive though the watched fd is closed. */
	int d = (int)CHECK_SYS(dup(e));
	close(e);
	struct epoll_event ev[2];
	CHECK_EQ(poll_now(ep, ev, 2), 1);
	CHECK_EQ(ev[0].data.u64, 1);
	/* DEL by the closed fd number no longer finds it: the fd is gone. */
	CHECK_ERR(epoll_ctl(ep, EPOLL_CTL_DEL, e, NULL), EBADF);
	/* The last fd closed: off the list. */
	close(d);
	CHECK_EQ(poll_now(ep, ev, 2), 0);
	/* A new file at the same fd number is a new item. */
	int n = (int)CHECK_SYS(eventfd(1, EFD_NONBLOCK));
	CHECK_EQ(n, e);
	CHECK_SYS(ep_add(ep, n, EPOLLIN, 3));
	CHECK_EQ(poll_now(ep, ev, 2), 1);
	CHECK_EQ(ev[0].data.u64, 3);
	/* Closing the epoll first is fine too. */
	close(ep);
	efd_write(n, 1);
	close(n);
}

static void test_timerfd(void)
{
	int ep = (int)CHECK_SYS(epoll_create1(0));
	int tf = (int)CHECK_SYS(timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK));
	CHECK_SYS(ep_add(ep, tf, EPOLLIN | EPOLLET, 9));
	struct epoll_event ev[2];
	CHECK_EQ(poll_now(ep, ev, 2), 0);
	struct itimerspec its = { .it_value = { 0, 1000000 } };
	CHECK_SYS(timerfd_settime(tf, 0, &its, NULL));
	/* Waits until it fires (the meson timeout bounds a hang). */
	CHECK_EQ(epoll_wait(ep, ev, 2, -1), 1);
	CHECK_EQ(ev[0].events, EPOLLIN);
	CHECK_EQ(ev[0].data.u64, 9);
	/* Edge-triggered: once. */
	CHECK_EQ(poll_now(ep, ev, 2), 0);
	uint64_t ticks = 0;
	CHECK_EQ(read(tf, &ticks, 8), 8);
	CHECK_EQ(ticks, 1);
	CHECK_ERR(read(tf, &ticks, 8), EAGAIN);

	/* Level-triggered, with a timeout long enough for a short periodic timer. */
	CHECK_SYS(ep_mod(ep, tf, EPOLLIN, 10));
	its = (struct itimerspec){ .it_value = { 0, 1000000 }, .it_interval = { 0, 1000000 } };
	CHECK_SYS(timerfd_settime(tf, 0, &its, NULL));
	CHECK_EQ(epoll_wait(ep, ev, 2, 60000), 1);
	CHECK_EQ(poll_now(ep, ev, 2), 1);
	CHECK_EQ(ev[0].data.u64, 10);
	CHECK_EQ(read(tf, &ticks, 8), 8);
	CHECK(ticks >= 1);
	its = (struct itimerspec){ 0 };
	CHECK_SYS(timerfd_settime(tf, 0, &its, NULL));
	(void)read(tf, &ticks, 8);
	CHECK_EQ(poll_now(ep, ev, 2), 0);
	/* A timeout with nothing ready: 0. */
	CHECK_EQ(epoll_wait(ep, ev, 2, 1), 0);
	struct timespec ts = { 0, 1000000 };
	CHECK_EQ(syscall(SYS_epoll_pwait2, ep, ev, 2, &ts, NULL, 8), 0);

	/* Closing the timerfd takes it off the list. */
	close(tf);
	CHECK_EQ(poll_now(ep, ev, 2), 0);
	close(ep);
}

int main(void)
{
	test_create();
	test_level_edge();
	test_oneshot_mod_del();
	test_errors();
	test_nested();
	test_close_removes();
	test_timerfd();
	return 0;
}
