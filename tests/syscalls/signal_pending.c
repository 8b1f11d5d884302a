/*
 * signal_pending: a blocked signal stays pending without harming the process; unblocking
 * SIGTERM then kills it with the default action (143).
 */
#include <signal.h>

#include "test.h"

#define BIT(sig) (1ULL << ((sig)-1))

struct k_sigaction {
	void (*handler)(int);
	unsigned long flags;
	void (*restorer)(void);
	uint64_t mask;
};

static uint64_t pending(void)
{
	uint64_t set = 0xdeadbeef;

	CHECK_EQ(syscall(SYS_rt_sigpending, &set, 8), 0);
	return set;
}

int main(void)
{
	uint64_t set;

	CHECK_EQ(pending(), 0);
	set = BIT(SIGTERM) | BIT(SIGUSR1) | BIT(SIGUSR2);
	CHECK_EQ(syscall(SYS_rt_sigprocmask, SIG_BLOCK, &set, NULL, 8), 0);

	/* kill, tgkill and tkill at oneself all leave the blocked signal pending. */
	CHECK_EQ(syscall(SYS_kill, getpid(), SIGTERM), 0);
	CHECK_EQ(pending(), BIT(SIGTERM));
	CHECK_EQ(syscall(SYS_tgkill, getpid(), syscall(SYS_gettid), SIGUSR1), 0);
	CHECK_EQ(pending(), BIT(SIGTERM) | BIT(SIGUSR1));
	/* A standard signal is not queued twice. */
	CHECK_EQ(syscall(SYS_tkill, syscall(SYS_gettid), SIGUSR1), 0);
	CHECK_EQ(pending(), BIT(SIGTERM) | BIT(SIGUSR1));

	/* rt_sigpending accepts a smaller sigsetsize (not a larger one). */
	uint32_t small = 0;
	CHECK_EQ(syscall(SYS_rt_sigpending, &small, 4), 0);
	CHECK_EQ(small, BIT(SIGTERM) | BIT(SIGUSR1));
	CHECK_ERR(syscall(SYS_rt_sigpending, &set, 16), EINVAL);

	/*
	 * A blocked signal is queued even when ignored (the handler may change before it is
	 * unblocked), and setting SIG_IGN discards it from the pending set.
	 */
	struct k_sigaction ign = { .handler = SIG_IGN };
	CHECK_EQ(syscall(SYS_rt_sigaction, SIGUSR2, &ign, NULL, 8), 0);
	CHECK_EQ(syscall(SYS_kill, getpid(), SIGUSR2), 0);
	CHECK_EQ(pending(), BIT(SIGTERM) | BIT(SIGUSR1) | BIT(SIGUSR2));
	CHECK_EQ(syscall(SYS_rt_sigaction, SIGUSR2, &ign, NULL, 8), 0);
	CHECK_EQ(pending(), BIT(SIGTERM) | BIT(SIGUSR1));
	/* Likewise SIGUSR1: unblocking an ignored pending signal does nothing. */
	CHECK_EQ(syscall(SYS_rt_sigaction, SIGUSR1, &ign, NULL, 8), 0);
	CHECK_EQ(pending(), BIT(SIGTERM));
	set = BIT(SIGUSR1) | BIT(SIGUSR2);
	CHECK_EQ(syscall(SYS_rt_sigprocmask, SIG_UNBLOCK, &set, NULL, 8), 0);
	CHECK_EQ(pending(), BIT(SIGTERM));

	/*
	 * Still alive with SIGTERM pending. Unblocking it delivers it, and its default action
	 * would kill; but this process is the init of its pid namespace (run_test.sh makes it one
	 * natively too), and an init gets no signal it did not ask for: it is dropped.
	 */
	set = BIT(SIGTERM);
	CHECK_EQ(syscall(SYS_rt_sigprocmask, SIG_UNBLOCK, &set, NULL, 8), 0);
	syscall(SYS_sched_yield);
	CHECK_EQ(pending(), 0);
	return 0;
}
