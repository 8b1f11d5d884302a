/*
 * init_kill: the init of a pid namespace (this process, natively under `unshare --pid` and
 * in the sandbox) does not die of a SIGKILL it sends itself, blocked or not: Linux only lets
 * SIGKILL through to an init from an ancestor namespace; without a handler, every signal it
 * sends itself is dropped.
 */
#include <signal.h>

#include "test.h"

int main(void)
{
	CHECK_EQ(syscall(SYS_kill, getpid(), SIGKILL), 0);
	syscall(SYS_sched_yield);
	uint64_t all = ~0ULL;
	CHECK_EQ(syscall(SYS_rt_sigprocmask, SIG_SETMASK, &all, NULL, 8), 0);
	CHECK_EQ(syscall(SYS_kill, getpid(), SIGKILL), 0);
	CHECK_EQ(syscall(SYS_tgkill, getpid(), syscall(SYS_gettid), SIGTERM), 0);
	uint64_t none = 0;
	CHECK_EQ(syscall(SYS_rt_sigprocmask, SIG_SETMASK, &none, NULL, 8), 0);
	syscall(SYS_sched_yield);
	return 0;
}
