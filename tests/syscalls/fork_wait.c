/*
 * fork_wait: fork, exit statuses, wait4 and waitid (WNOHANG, WNOWAIT, pids
 * and groups), ECHILD, getppid, copy-on-write memory, inherited fds and
 * rusage.
 */
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include "test.h"

static int shared_value = 1;

static pid_t fork_exit(int code)
{
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0)
		_exit(code);
	return pid;
}

int main(void)
{
	pid_t me = getpid();
	int st;

	/* No children yet. */
	CHECK_ERR(waitpid(-1, &st, 0), ECHILD);
	CHECK_ERR(waitpid(-1, &st, WNOHANG), ECHILD);
	/* Bad options. */
	CHECK_ERR(syscall(SYS_wait4, -1, &st, 0x100, NULL), EINVAL);

	/* The child sees a copy of memory, its parent's pid, and the same fds. */
	int fds[2];
	CHECK_EQ(pipe(fds), 0);
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		if (getppid() != me || getpid() == me)
			_exit(10);
		if (shared_value != 1)
			_exit(11);
		shared_value = 2;
		if (write(fds[1], "x", 1) != 1)
			_exit(12);
		_exit(0);
	}
	CHECK(pid != me);
	char c;
	CHECK_EQ(read(fds[0], &c, 1), 1);
	CHECK_EQ(c, 'x');
	struct rusage ru;
	CHECK_EQ(wait4(pid, &st, 0, &ru), pid);
	CHECK(WIFEXITED(st));
	CHECK_EQ(WEXITSTATUS(st), 0);
	CHECK_EQ(shared_value, 1);
	CHECK(ru.ru_utime.tv_usec >= 0 && ru.ru_utime.tv_usec < 1000000);
	close(fds[0]);
	close(fds[1]);

	/* Exit codes are truncated to 8 bits; the reaped child is gone. */
	pid = fork_exit(300);
	CHECK_EQ(waitpid(pid, &st, 0), pid);
	CHECK_EQ(WEXITSTATUS(st), 300 & 0xff);
	CHECK_ERR(waitpid(pid, &st, 0), ECHILD);

	/* Death by a signal. */
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		kill(getpid(), SIGKILL);
		_exit(99);
	}
	CHECK_EQ(waitpid(pid, &st, 0), pid);
	CHECK(WIFSIGNALED(st));
	CHECK_EQ(WTERMSIG(st), SIGKILL);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		kill(getpid(), SIGTERM);
		_exit(99);
	}
	siginfo_t si;
	memset(&si, 0, sizeof(si));
	CHECK_EQ(waitid(P_PID, (id_t)pid, &si, WEXITED), 0);
	CHECK_EQ(si.si_signo, SIGCHLD);
	CHECK_EQ(si.si_code, CLD_KILLED);
	CHECK_EQ(si.si_pid, pid);
	CHECK_EQ(si.si_status, SIGTERM);

	/* WNOHANG with a live child returns 0; WNOWAIT leaves the zombie. */
	int go[2];
	CHECK_EQ(pipe(go), 0);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		close(go[1]);
		char b;
		ssize_t n = read(go[0], &b, 1);
		_exit(n == 0 ? 5 : 6);
	}
	close(go[0]);
	CHECK_EQ(waitpid(pid, &st, WNOHANG), 0);
	memset(&si, 0xff, sizeof(si));
	CHECK_EQ(waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG), 0);
	CHECK_EQ(si.si_pid, 0); /* nothing to report: zeroed */
	close(go[1]);           /* EOF: the child exits with 5 */
	memset(&si, 0, sizeof(si));
	CHECK_EQ(waitid(P_ALL, 0, &si, WEXITED | WNOWAIT), 0);
	CHECK_EQ(si.si_pid, pid);
	CHECK_EQ(si.si_code, CLD_EXITED);
	CHECK_EQ(si.si_status, 5);
	CHECK_EQ(waitpid(pid, &st, 0), pid); /* still there after WNOWAIT */
	CHECK_EQ(WEXITSTATUS(st), 5);

	/* waitid needs one of WEXITED, WSTOPPED, WCONTINUED; bad id types are EINVAL. */
	CHECK_ERR(waitid(P_ALL, 0, &si, WNOHANG), EINVAL);
	CHECK_ERR(waitid((idtype_t)42, 0, &si, WEXITED), EINVAL);

	/* Several children: each reaped once, in whatever order, by any-child waits. */
	pid_t kids[5];
	for (int i = 0; i < 5; i++)
		kids[i] = fork_exit(20 + i);
	int seen = 0;
	for (int i = 0; i < 5; i++) {
		pid_t w = waitpid(-1, &st, 0);
		CHECK(w > 0);
		for (int j = 0; j < 5; j++) {
			if (kids[j] == w) {
				CHECK_EQ(WEXITSTATUS(st), 20 + j);
				seen |= 1 << j;
			}
		}
	}
	CHECK_EQ(seen, 0x1f);
	CHECK_ERR(waitpid(-1, &st, WNOHANG), ECHILD);

	/* wait by process group: 0 is the caller's, -pgid a given one. */
	pid = fork_exit(3);
	CHECK_EQ(waitpid(0, &st, 0), pid);
	pid = fork_exit(4);
	CHECK_EQ(waitpid(-getpgrp(), &st, 0), pid);
	CHECK_EQ(WEXITSTATUS(st), 4);

	/* A grandchild is not the caller's child. */
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		pid_t g = fork_exit(1);
		int s2;
		_exit(waitpid(g, &s2, 0) == g && WEXITSTATUS(s2) == 1 ? 0 : 1);
	}
	CHECK_EQ(waitpid(pid, &st, 0), pid);
	CHECK_EQ(WEXITSTATUS(st), 0);
	puts("fork_wait: ok");
	return 0;
}
