/* kill_self: kill, tgkill and tkill aimed at the process itself, with signal 0 and bad args. */
#include <signal.h>

#include "test.h"

int main(void)
{
	pid_t pid = (pid_t)syscall(SYS_getpid);
	pid_t tid = (pid_t)syscall(SYS_gettid);

	/* Signal 0 checks that the target exists and sends nothing. */
	CHECK_EQ(syscall(SYS_kill, pid, 0), 0);
	CHECK_EQ(syscall(SYS_tgkill, pid, tid, 0), 0);
	CHECK_EQ(syscall(SYS_tkill, tid, 0), 0);
	uint64_t set = 1;
	CHECK_EQ(syscall(SYS_rt_sigpending, &set, 8), 0);
	CHECK_EQ(set, 0);

	/* An ignored signal sent to oneself is discarded: the process lives on. */
	CHECK(signal(SIGUSR1, SIG_IGN) != SIG_ERR);
	CHECK_EQ(syscall(SYS_kill, pid, SIGUSR1), 0);
	CHECK_EQ(syscall(SYS_tgkill, pid, tid, SIGUSR1), 0);
	CHECK_EQ(syscall(SYS_tkill, tid, SIGUSR1), 0);
	/* So is one whose default action is to ignore it. */
	CHECK_EQ(syscall(SYS_kill, pid, SIGCHLD), 0);
	CHECK_EQ(syscall(SYS_kill, pid, SIGWINCH), 0);
	CHECK_EQ(syscall(SYS_kill, pid, SIGURG), 0);
	CHECK_EQ(syscall(SYS_rt_sigpending, &set, 8), 0);
	CHECK_EQ(set, 0);

	/* EINVAL: signal numbers out of range. */
	CHECK_ERR(syscall(SYS_kill, pid, 65), EINVAL);
	CHECK_ERR(syscall(SYS_kill, pid, -1), EINVAL);
	CHECK_ERR(syscall(SYS_tgkill, pid, tid, 65), EINVAL);
	CHECK_ERR(syscall(SYS_tkill, tid, 65), EINVAL);
	/* EINVAL: tgkill and tkill take no process group or "all" targets. */
	CHECK_ERR(syscall(SYS_tgkill, 0, tid, 0), EINVAL);
	CHECK_ERR(syscall(SYS_tgkill, pid, 0, 0), EINVAL);
	CHECK_ERR(syscall(SYS_tgkill, -1, tid, 0), EINVAL);
	CHECK_ERR(syscall(SYS_tkill, 0, 0), EINVAL);
	CHECK_ERR(syscall(SYS_tkill, -1, 0), EINVAL);
	/* ESRCH: our tid in the wrong thread group. */
	CHECK_ERR(syscall(SYS_tgkill, pid + 1000000, tid, 0), ESRCH);
	return 0;
}
