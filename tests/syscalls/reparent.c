/*
 * reparent: orphans go to the nearest subreaper (PR_SET_CHILD_SUBREAPER),
 * which sees them in getppid and reaps them; PR_SET_PDEATHSIG signals a
 * child when its parent dies; a zombie whose parent ignores SIGCHLD is
 * reaped at once (no ECHILD-surviving zombie).
 */
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include "test.h"

int main(void)
{
	pid_t me = getpid();
	CHECK_EQ(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
	int v = 0;
	CHECK_EQ(prctl(PR_GET_CHILD_SUBREAPER, &v), 0);
	CHECK_EQ(v, 1);

	/* A child forks a grandchild and exits: the grandchild is ours now. */
	int p[2];
	CHECK_EQ(pipe(p), 0);
	pid_t child = fork();
	CHECK(child >= 0);
	if (child == 0) {
		pid_t g = fork();
		if (g < 0)
			_exit(1);
		if (g == 0) {
			/* Wait for the parent to go, then report who the parent is. */
			while (getppid() != me)
				usleep(1000);
			pid_t pp = getppid();
			if (write(p[1], &pp, sizeof(pp)) != sizeof(pp))
				_exit(2);
			_exit(7);
		}
		_exit(0);
	}
	int st;
	CHECK_EQ(waitpid(child, &st, 0), child);
	CHECK_EQ(WEXITSTATUS(st), 0);
	pid_t pp;
	CHECK_EQ(read(p[0], &pp, sizeof(pp)), (ssize_t)sizeof(pp));
	CHECK_EQ(pp, me);
	pid_t g = wait(&st); /* the grandchild, reaped by its new parent */
	CHECK(g > 0 && g != child);
	CHECK(WIFEXITED(st));
	CHECK_EQ(WEXITSTATUS(st), 7);
	CHECK_ERR(wait(&st), ECHILD);

	/* PR_SET_PDEATHSIG: the grandchild learns of its parent's death by SIGUSR1. */
	child = fork();
	CHECK(child >= 0);
	if (child == 0) {
		pid_t gc = fork();
		if (gc < 0)
			_exit(1);
		if (gc == 0) {
			sigset_t s;
			sigemptyset(&s);
			sigaddset(&s, SIGUSR1);
			sigprocmask(SIG_BLOCK, &s, NULL);
			if (prctl(PR_SET_PDEATHSIG, SIGUSR1) != 0)
				_exit(3);
			int sig = 0;
			CHECK_EQ(prctl(PR_GET_PDEATHSIG, &sig), 0);
			if (sig != SIGUSR1)
				_exit(4);
			if (write(p[1], "r", 1) != 1) /* ready: the parent may go */
				_exit(5);
			siginfo_t si;
			_exit(sigwaitinfo(&s, &si) == SIGUSR1 ? 9 : 6);
		}
		char c;
		if (read(p[0], &c, 1) != 1)
			_exit(1);
		_exit(0);
	}
	CHECK_EQ(waitpid(child, &st, 0), child);
	g = wait(&st);
	CHECK(g > 0);
	CHECK(WIFEXITED(st));
	CHECK_EQ(WEXITSTATUS(st), 9);

	/* SIGCHLD ignored: children leave no zombie; wait finds none (ECHILD). */
	CHECK(signal(SIGCHLD, SIG_IGN) != SIG_ERR);
	child = fork();
	CHECK(child >= 0);
	if (child == 0)
		_exit(0);
	CHECK_ERR(waitpid(child, &st, 0), ECHILD);
	puts("reparent: ok");
	return 0;
}
