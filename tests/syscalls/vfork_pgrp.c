/*
 * vfork_pgrp: vfork (the parent waits until the child exits or execs, and
 * sees its writes), and process groups and sessions: setpgid, getpgid,
 * getpgrp, setsid, getsid with Linux's errors, and kill of a group.
 */
#include <signal.h>
#include <sys/wait.h>

#include "test.h"

static volatile int vfork_value;

int main(void)
{
	int st;
	pid_t me = getpid();

	/* vfork: the child runs first in the parent's memory. */
	pid_t pid = vfork();
	if (pid == 0) {
		vfork_value = 42;
		_exit(3);
	}
	CHECK(pid > 0);
	CHECK_EQ(vfork_value, 42);
	CHECK_EQ(waitpid(pid, &st, 0), pid);
	CHECK_EQ(WEXITSTATUS(st), 3);

	/* vfork + exec: the parent resumes at the exec. */
	pid = vfork();
	if (pid == 0) {
		char *args[] = { "/proc/self/exe-does-not-exist", NULL };
		execv(args[0], args);
		_exit(4); /* exec failed: still the vfork child */
	}
	CHECK_EQ(waitpid(pid, &st, 0), pid);
	CHECK_EQ(WEXITSTATUS(st), 4);

	/* Groups and sessions. */
	CHECK_EQ(getpgid(0), getpgrp());
	CHECK_EQ(getsid(0), getsid(me));
	CHECK_ERR(getpgid(999999), ESRCH);
	CHECK_ERR(getsid(999999), ESRCH);
	CHECK_ERR(setpgid(0, -1), EINVAL);
	CHECK_ERR(setpgid(999999, 0), ESRCH);

	int go[2];
	CHECK_EQ(pipe(go), 0);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		char b;
		close(go[1]);
		/* A new session: it leads its session and its group. */
		if (setsid() != getpid() || getsid(0) != getpid() || getpgrp() != getpid())
			_exit(1);
		/* A session leader cannot change its group, nor make a new session. */
		if (setpgid(0, 0) != -1 || errno != EPERM)
			_exit(2);
		if (setsid() != -1 || errno != EPERM)
			_exit(3);
		ssize_t n = read(go[0], &b, 1);
		_exit(n == 0 ? 0 : 4);
	}
	close(go[0]);
	/* The child is in another session now: the parent may not move it (EPERM). */
	for (int i = 0; i < 1000 && getsid(pid) != pid; i++)
		usleep(1000);
	CHECK_EQ(getsid(pid), pid);
	CHECK_ERR(setpgid(pid, pid), EPERM);
	close(go[1]);
	CHECK_EQ(waitpid(pid, &st, 0), pid);
	CHECK_EQ(WEXITSTATUS(st), 0);

	/* The parent puts children in a new group and signals the group. */
	pid_t kids[3];
	for (int i = 0; i < 3; i++) {
		kids[i] = fork();
		CHECK(kids[i] >= 0);
		if (kids[i] == 0) {
			for (;;)
				pause();
		}
		CHECK_EQ(setpgid(kids[i], kids[0]), 0);
		CHECK_EQ(getpgid(kids[i]), kids[0]);
	}
	CHECK_ERR(setpgid(kids[1], 999999), EPERM); /* no such group in the session */
	CHECK_EQ(kill(-kids[0], SIGTERM), 0);
	for (int i = 0; i < 3; i++) {
		CHECK_EQ(waitpid(kids[i], &st, 0), kids[i]);
		CHECK(WIFSIGNALED(st));
		CHECK_EQ(WTERMSIG(st), SIGTERM);
	}
	CHECK_ERR(kill(-kids[0], SIGTERM), ESRCH);
	CHECK_ERR(kill(999999, 0), ESRCH);
	puts("vfork_pgrp: ok");
	return 0;
}
