/* death_kill: SIGKILL sent to oneself kills, even with every signal blocked (137). */
#include <signal.h>

#include "test.h"

int main(void)
{
	uint64_t all = ~0ULL;
	CHECK_EQ(syscall(SYS_rt_sigprocmask, SIG_SETMASK, &all, NULL, 8), 0);
	CHECK_EQ(syscall(SYS_kill, getpid(), SIGKILL), 0);
	/* The signal may be delivered on the way out of kill or at the next kernel entry. */
	syscall(SYS_sched_yield);
	test_unreachable("kill(getpid(), SIGKILL)");
}
