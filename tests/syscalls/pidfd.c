/*
 * pidfd: pidfd_open, pidfd_send_signal, pidfd_getfd, poll on a pidfd,
 * waitid(P_PIDFD), and CLONE_PIDFD from clone and clone3.
 */
#include <fcntl.h>
#include <linux/sched.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "test.h"

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

static int pidfd_open(pid_t pid, unsigned flags)
{
	return (int)syscall(SYS_pidfd_open, pid, flags);
}

/* A child that waits for EOF on fd, then exits with code. */
static pid_t child_waiting(int rfd, int wfd, int code)
{
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		close(wfd);
		char c;
		while (read(rfd, &c, 1) > 0)
			;
		_exit(code);
	}
	return pid;
}

int main(void)
{
	/* Arguments. */
	CHECK_ERR(pidfd_open(0, 0), EINVAL);
	CHECK_ERR(pidfd_open(-1, 0), EINVAL);
	CHECK_ERR(pidfd_open(getpid(), 1), EINVAL);
	CHECK_ERR(pidfd_open(999999, 0), ESRCH);
	int self = pidfd_open(getpid(), 0);
	CHECK(self >= 0);
	CHECK_EQ(fcntl(self, F_GETFD), FD_CLOEXEC);
	struct stat st;
	CHECK_EQ(fstat(self, &st), 0);
	CHECK_EQ(syscall(SYS_pidfd_send_signal, self, 0, NULL, 0), 0);
	CHECK_ERR(syscall(SYS_pidfd_send_signal, self, 0, NULL, 8), EINVAL);
	CHECK_ERR(syscall(SYS_pidfd_send_signal, self, 0, NULL, 3), EINVAL); /* two scopes */
	CHECK_ERR(syscall(SYS_pidfd_send_signal, 1000, 0, NULL, 0), EBADF);
	CHECK_ERR(syscall(SYS_pidfd_send_signal, 0, 0, NULL, 0), EBADF); /* not a pidfd */
	close(self);

	/* A live child: not readable; killed through the pidfd: readable, reaped by waitid. */
	int p[2];
	CHECK_EQ(pipe(p), 0);
	pid_t pid = child_waiting(p[0], p[1], 0);
	int fd = pidfd_open(pid, 0);
	CHECK(fd >= 0);
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	CHECK_EQ(poll(&pfd, 1, 0), 0);
	/* pidfd_getfd: the child's read end, as a new fd of ours. */
	int got = (int)syscall(SYS_pidfd_getfd, fd, p[0], 0);
	CHECK(got >= 0);
	CHECK_EQ(fcntl(got, F_GETFD), FD_CLOEXEC);
	CHECK_ERR(syscall(SYS_pidfd_getfd, fd, 999, 0), EBADF);
	CHECK_ERR(syscall(SYS_pidfd_getfd, fd, p[0], 1), EINVAL);
	close(got);
	CHECK_EQ(syscall(SYS_pidfd_send_signal, fd, SIGKILL, NULL, 0), 0);
	CHECK_EQ(poll(&pfd, 1, 10000), 1);
	CHECK(pfd.revents & POLLIN);
	siginfo_t si;
	memset(&si, 0, sizeof(si));
	CHECK_EQ(waitid(P_PIDFD, (id_t)fd, &si, WEXITED), 0);
	CHECK_EQ(si.si_pid, pid);
	CHECK_EQ(si.si_code, CLD_KILLED);
	CHECK_EQ(si.si_status, SIGKILL);
	/* The process is gone: signals fail with ESRCH, waits with ECHILD. */
	CHECK_ERR(syscall(SYS_pidfd_send_signal, fd, 0, NULL, 0), ESRCH);
	CHECK_ERR(waitid(P_PIDFD, (id_t)fd, &si, WEXITED), ECHILD);
	close(fd);
	close(p[0]);
	close(p[1]);

	/* A non-blocking pidfd makes waitid EAGAIN while the child lives. */
	CHECK_EQ(pipe(p), 0);
	pid = child_waiting(p[0], p[1], 6);
	fd = pidfd_open(pid, O_NONBLOCK);
	CHECK(fd >= 0);
	CHECK_ERR(waitid(P_PIDFD, (id_t)fd, &si, WEXITED), EAGAIN);
	close(p[1]);
	close(p[0]);
	CHECK_EQ(poll(&pfd, 0, 0), 0);
	pfd.fd = fd;
	CHECK_EQ(poll(&pfd, 1, 10000), 1);
	CHECK_EQ(waitid(P_PIDFD, (id_t)fd, &si, WEXITED), 0);
	CHECK_EQ(si.si_status, 6);
	close(fd);

	/* CLONE_PIDFD through clone3. */
	struct clone_args ca;
	memset(&ca, 0, sizeof(ca));
	int cfd = -1;
	ca.flags = CLONE_PIDFD;
	ca.pidfd = (uint64_t)(uintptr_t)&cfd;
	ca.exit_signal = SIGCHLD;
	pid = (pid_t)syscall(SYS_clone3, &ca, sizeof(ca));
	CHECK(pid >= 0);
	if (pid == 0)
		_exit(8);
	CHECK(cfd >= 0);
	CHECK_EQ(fcntl(cfd, F_GETFD), FD_CLOEXEC);
	memset(&si, 0, sizeof(si));
	CHECK_EQ(waitid(P_PIDFD, (id_t)cfd, &si, WEXITED), 0);
	CHECK_EQ(si.si_pid, pid);
	CHECK_EQ(si.si_status, 8);
	close(cfd);
	/* CLONE_PIDFD with CLONE_THREAD, or with clone()'s CLONE_PARENT_SETTID: EINVAL. */
	CHECK_ERR(syscall(SYS_clone, CLONE_PIDFD | CLONE_PARENT_SETTID | SIGCHLD, NULL, &cfd, NULL,
	                  NULL),
	          EINVAL);
	puts("pidfd: ok");
	return 0;
}
