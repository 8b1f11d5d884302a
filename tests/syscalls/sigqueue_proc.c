/*
 * sigqueue_proc: rt_sigqueueinfo and rt_tgsigqueueinfo across processes:
 * the value and SI_QUEUE arrive with the sender's pid; a forged si_code of
 * the kernel's (>= 0) to another process is EPERM; a missing target ESRCH.
 */
#include <signal.h>
#include <sys/wait.h>

#include "test.h"

int main(void)
{
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, SIGRTMIN);
	CHECK_EQ(sigprocmask(SIG_BLOCK, &s, NULL), 0);
	pid_t parent = getpid();

	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		union sigval v = { .sival_int = 42 };
		if (sigqueue(parent, SIGRTMIN, v) != 0)
			_exit(1);
		/* rt_tgsigqueueinfo to the parent's (only) thread. */
		siginfo_t si;
		memset(&si, 0, sizeof(si));
		si.si_signo = SIGRTMIN;
		si.si_code = SI_QUEUE;
		si.si_value.sival_int = 43;
		si.si_pid = getpid();
		if (syscall(SYS_rt_tgsigqueueinfo, parent, parent, SIGRTMIN, &si) != 0)
			_exit(2);
		/* A kernel code (SI_USER = 0) to another process is refused. */
		si.si_code = SI_USER;
		if (syscall(SYS_rt_sigqueueinfo, parent, SIGRTMIN, &si) != -1 || errno != EPERM)
			_exit(3);
		_exit(0);
	}
	int st;
	CHECK_EQ(waitpid(pid, &st, 0), pid);
	/* Thread-directed signals are taken before process-directed ones. */
	siginfo_t si;
	CHECK_EQ(sigwaitinfo(&s, &si), SIGRTMIN);
	CHECK_EQ(si.si_code, SI_QUEUE);
	CHECK_EQ(si.si_value.sival_int, 43);
	CHECK_EQ(sigwaitinfo(&s, &si), SIGRTMIN);
	CHECK_EQ(si.si_value.sival_int, 42);
	CHECK_EQ(si.si_pid, pid);
	CHECK(WIFEXITED(st));
	CHECK_EQ(WEXITSTATUS(st), 0);
	union sigval v = { .sival_int = 1 };
	CHECK_ERR(sigqueue(pid, SIGRTMIN, v), ESRCH); /* reaped */
	puts("sigqueue_proc: ok");
	return 0;
}
