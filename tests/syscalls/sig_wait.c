/*
 * sig_wait: taking signals without a handler, single-threaded.
 *  - rt_sigtimedwait: a pending blocked signal is returned with its siginfo, lowest first;
 *    nothing pending is EAGAIN at once (zero timeout) or at the timeout; bad arguments;
 *  - signalfd: reads signalfd_siginfo records of pending signals in its mask, EAGAIN when
 *    non-blocking and none, EINVAL for a short buffer; the mask can be replaced through the
 *    fd; epoll sees it readable exactly when a signal of its mask is pending;
 *    SFD_CLOEXEC; bad flags and non-signalfd fds are EINVAL.
 */
#include <fcntl.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <time.h>

#include "test.h"

static void tgkill_self(int sig)
{
	CHECK_SYS(syscall(SYS_tgkill, getpid(), gettid(), sig));
}

static int epoll_ready(int ep)
{
	struct epoll_event ev;
	return (int)CHECK_SYS(epoll_wait(ep, &ev, 1, 0));
}

int main(void)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	sigaddset(&set, SIGRTMIN);
	CHECK_SYS(sigprocmask(SIG_BLOCK, &set, NULL));

	struct timespec zero = { 0, 0 }, short_ts = { 0, 20 * 1000 * 1000 };
	siginfo_t si;
	CHECK_ERR(sigtimedwait(&set, &si, &zero), EAGAIN);
	CHECK_ERR(sigtimedwait(&set, &si, &short_ts), EAGAIN);
	struct timespec bad = { 0, 1000000000 };
	CHECK_ERR(sigtimedwait(&set, &si, &bad), EINVAL);
	CHECK_ERR(syscall(SYS_rt_sigtimedwait, &set, NULL, &zero, 4), EINVAL);

	raise(SIGUSR2);
	union sigval v = { .sival_int = 99 };
	CHECK_SYS(sigqueue(getpid(), SIGRTMIN, v));
	tgkill_self(SIGUSR1);
	/* The raw call: glibc's wrapper rewrites SI_TKILL as SI_USER. */
	CHECK_EQ(syscall(SYS_rt_sigtimedwait, &set, &si, &zero, 8), SIGUSR1);
	CHECK_EQ(si.si_signo, SIGUSR1);
	CHECK_EQ(si.si_code, SI_TKILL);
	CHECK_EQ(si.si_pid, getpid());
	CHECK_EQ(sigwaitinfo(&set, &si), SIGUSR2);
	CHECK_EQ(sigtimedwait(&set, &si, NULL), SIGRTMIN);
	CHECK_EQ(si.si_code, SI_QUEUE);
	CHECK_EQ(si.si_value.sival_int, 99);
	/* Only the signals asked for. */
	sigset_t only2;
	sigemptyset(&only2);
	sigaddset(&only2, SIGUSR2);
	raise(SIGUSR1);
	CHECK_ERR(sigtimedwait(&only2, &si, &zero), EAGAIN);
	CHECK_EQ(sigtimedwait(&set, NULL, &zero), SIGUSR1);

	/* signalfd. */
	sigset_t m1;
	sigemptyset(&m1);
	sigaddset(&m1, SIGUSR1);
	CHECK_ERR(signalfd(-1, &m1, 0x1), EINVAL);
	CHECK_ERR(syscall(SYS_signalfd4, -1, &m1, 4, 0), EINVAL);
	CHECK_ERR(signalfd(1, &m1, 0), EINVAL); /* not a signalfd */
	CHECK_ERR(signalfd(1000, &m1, 0), EBADF);
	int fd = (int)CHECK_SYS(signalfd(-1, &m1, SFD_NONBLOCK | SFD_CLOEXEC));
	CHECK_EQ(fcntl(fd, F_GETFD), FD_CLOEXEC);
	CHECK(fcntl(fd, F_GETFL) & O_NONBLOCK);
	struct signalfd_siginfo rec[2];
	CHECK_ERR(read(fd, rec, sizeof(rec)), EAGAIN);
	CHECK_ERR(read(fd, rec, sizeof(rec[0]) - 1), EINVAL);

	int ep = (int)CHECK_SYS(epoll_create1(0));
	struct epoll_event ev = { .events = EPOLLIN };
	CHECK_SYS(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev));
	CHECK_EQ(epoll_ready(ep), 0);
	raise(SIGUSR2); /* not in the mask */
	CHECK_EQ(epoll_ready(ep), 0);
	tgkill_self(SIGUSR1);
	CHECK_EQ(epoll_ready(ep), 1);
	CHECK_EQ(read(fd, rec, sizeof(rec)), (long)sizeof(rec[0]));
	CHECK_EQ(rec[0].ssi_signo, SIGUSR1);
	CHECK_EQ(rec[0].ssi_code, SI_TKILL);
	CHECK_EQ(rec[0].ssi_pid, (uint32_t)getpid());
	CHECK_EQ(rec[0].ssi_uid, getuid());
	CHECK_EQ(epoll_ready(ep), 0);

	/* A new mask through the same fd: SIGUSR2 (pending) is now readable. */
	sigset_t m2;
	sigemptyset(&m2);
	sigaddset(&m2, SIGUSR2);
	sigaddset(&m2, SIGRTMIN);
	CHECK_EQ(signalfd(fd, &m2, 0), fd);
	CHECK_EQ(epoll_ready(ep), 1);
	CHECK_SYS(sigqueue(getpid(), SIGRTMIN, v));
	CHECK_SYS(sigqueue(getpid(), SIGRTMIN, v));
	struct signalfd_siginfo many[4];
	CHECK_EQ(read(fd, many, sizeof(many)), 3 * (long)sizeof(many[0]));
	CHECK_EQ(many[0].ssi_signo, SIGUSR2);
	CHECK_EQ(many[1].ssi_signo, (uint32_t)SIGRTMIN);
	CHECK_EQ(many[1].ssi_code, SI_QUEUE);
	CHECK_EQ(many[1].ssi_int, 99);
	CHECK_EQ(many[2].ssi_signo, (uint32_t)SIGRTMIN);
	CHECK_EQ(epoll_ready(ep), 0);
	CHECK_SYS(close(ep));
	CHECK_SYS(close(fd));
	return 0;
}
