/* sigaction_mask: rt_sigaction and rt_sigprocmask through the raw system calls. */
#include <signal.h>

#include "test.h"

/* The kernel's struct sigaction on x86-64 (not glibc's, which has a larger mask). */
struct k_sigaction {
	void (*handler)(int);
	unsigned long flags;
	void (*restorer)(void);
	uint64_t mask;
};

#define SIGSETSIZE     8
#define BIT(sig)       (1ULL << ((sig)-1))
#define SA_UNSUPPORTED 0x00000400UL
#define SA_RESTORER    0x04000000UL

static void handler(int sig)
{
	(void)sig;
}

static void restorer(void)
{
}

static long sigaction_raw(int sig, const struct k_sigaction *act, struct k_sigaction *old,
                          size_t size)
{
	return syscall(SYS_rt_sigaction, sig, act, old, size);
}

static long sigprocmask_raw(int how, const uint64_t *set, uint64_t *old, size_t size)
{
	return syscall(SYS_rt_sigprocmask, how, set, old, size);
}

static void check_sigaction(void)
{
	struct k_sigaction act, old;

	/* The initial action is SIG_DFL with no flags and an empty mask. */
	memset(&old, 0xff, sizeof(old));
	CHECK_EQ(sigaction_raw(SIGUSR1, NULL, &old, SIGSETSIZE), 0);
	CHECK_EQ(old.handler, SIG_DFL);
	CHECK_EQ(old.flags, 0);
	CHECK_EQ(old.mask, 0);

	/* Set SIG_IGN, and get the previous action back from the same call. */
	memset(&act, 0, sizeof(act));
	act.handler = SIG_IGN;
	act.flags = SA_RESTART;
	act.mask = BIT(SIGUSR2);
	memset(&old, 0xff, sizeof(old));
	CHECK_EQ(sigaction_raw(SIGUSR1, &act, &old, SIGSETSIZE), 0);
	CHECK_EQ(old.handler, SIG_DFL);
	CHECK_EQ(old.flags, 0);

	/*
	 * Install a handler (never delivered here). Linux removes SIGKILL and SIGSTOP from the
	 * mask and clears SA_UNSUPPORTED, which exists so programs can probe for flag support.
	 */
	act.handler = handler;
	act.flags = SA_RESTORER | SA_SIGINFO | SA_ONSTACK | SA_UNSUPPORTED;
	act.restorer = restorer;
	act.mask = BIT(SIGUSR2) | BIT(SIGKILL) | BIT(SIGSTOP) | BIT(SIGRTMAX);
	memset(&old, 0, sizeof(old));
	CHECK_EQ(sigaction_raw(SIGUSR1, &act, &old, SIGSETSIZE), 0);
	CHECK_EQ(old.handler, SIG_IGN);
	CHECK_EQ(old.flags, SA_RESTART);
	CHECK_EQ(old.mask, BIT(SIGUSR2));
	CHECK_EQ(sigaction_raw(SIGUSR1, NULL, &old, SIGSETSIZE), 0);
	CHECK_EQ(old.handler, handler);
	CHECK_EQ(old.flags, SA_RESTORER | SA_SIGINFO | SA_ONSTACK);
	CHECK_EQ(old.restorer, restorer);
	CHECK_EQ(old.mask, BIT(SIGUSR2) | BIT(SIGRTMAX));

	/* Back to SIG_DFL. */
	memset(&act, 0, sizeof(act));
	CHECK_EQ(sigaction_raw(SIGUSR1, &act, NULL, SIGSETSIZE), 0);
	CHECK_EQ(sigaction_raw(SIGUSR1, NULL, &old, SIGSETSIZE), 0);
	CHECK_EQ(old.handler, SIG_DFL);

	/* The real-time signals up to 64 exist. */
	CHECK_EQ(sigaction_raw(64, NULL, &old, SIGSETSIZE), 0);
	CHECK_EQ(sigaction_raw(SIGRTMIN, &act, NULL, SIGSETSIZE), 0);

	/* EINVAL: changing SIGKILL or SIGSTOP, even to SIG_DFL; reading them is fine. */
	act.handler = SIG_IGN;
	CHECK_ERR(sigaction_raw(SIGKILL, &act, NULL, SIGSETSIZE), EINVAL);
	CHECK_ERR(sigaction_raw(SIGSTOP, &act, NULL, SIGSETSIZE), EINVAL);
	act.handler = SIG_DFL;
	CHECK_ERR(sigaction_raw(SIGKILL, &act, NULL, SIGSETSIZE), EINVAL);
	CHECK_EQ(sigaction_raw(SIGKILL, NULL, &old, SIGSETSIZE), 0);
	CHECK_EQ(old.handler, SIG_DFL);
	/* EINVAL: signal 0, signal 65, a negative signal, and a sigsetsize other than 8. */
	CHECK_ERR(sigaction_raw(0, NULL, &old, SIGSETSIZE), EINVAL);
	CHECK_ERR(sigaction_raw(65, NULL, &old, SIGSETSIZE), EINVAL);
	CHECK_ERR(sigaction_raw(-1, NULL, &old, SIGSETSIZE), EINVAL);
	CHECK_ERR(sigaction_raw(SIGUSR1, NULL, &old, 4), EINVAL);
	CHECK_ERR(sigaction_raw(SIGUSR1, NULL, &old, 16), EINVAL);
	CHECK_ERR(sigaction_raw(SIGUSR1, NULL, NULL, 16), EINVAL);
	/* Neither an action nor an old action: a valid query of nothing. */
	CHECK_EQ(sigaction_raw(SIGUSR1, NULL, NULL, SIGSETSIZE), 0);
}

static void check_sigprocmask(void)
{
	uint64_t set, old, orig;

	CHECK_EQ(sigprocmask_raw(SIG_BLOCK, NULL, &orig, SIGSETSIZE), 0);
	CHECK_EQ(orig, 0);

	/* SIG_BLOCK adds, SIG_UNBLOCK removes, SIG_SETMASK replaces; old is the mask before. */
	set = BIT(SIGUSR1) | BIT(SIGTERM);
	CHECK_EQ(sigprocmask_raw(SIG_BLOCK, &set, &old, SIGSETSIZE), 0);
	CHECK_EQ(old, 0);
	set = BIT(SIGUSR2) | BIT(SIGRTMIN) | BIT(64);
	CHECK_EQ(sigprocmask_raw(SIG_BLOCK, &set, &old, SIGSETSIZE), 0);
	CHECK_EQ(old, BIT(SIGUSR1) | BIT(SIGTERM));
	set = BIT(SIGTERM) | BIT(SIGHUP);
	CHECK_EQ(sigprocmask_raw(SIG_UNBLOCK, &set, &old, SIGSETSIZE), 0);
	CHECK_EQ(old, BIT(SIGUSR1) | BIT(SIGTERM) | BIT(SIGUSR2) | BIT(SIGRTMIN) | BIT(64));
	set = BIT(SIGHUP);
	CHECK_EQ(sigprocmask_raw(SIG_SETMASK, &set, &old, SIGSETSIZE), 0);
	CHECK_EQ(old, BIT(SIGUSR1) | BIT(SIGUSR2) | BIT(SIGRTMIN) | BIT(64));
	CHECK_EQ(sigprocmask_raw(SIG_SETMASK, NULL, &old, SIGSETSIZE), 0);
	CHECK_EQ(old, BIT(SIGHUP));

	/* SIGKILL and SIGSTOP are silently left out. */
	set = ~0ULL;
	CHECK_EQ(sigprocmask_raw(SIG_SETMASK, &set, NULL, SIGSETSIZE), 0);
	CHECK_EQ(sigprocmask_raw(SIG_BLOCK, NULL, &old, SIGSETSIZE), 0);
	CHECK_EQ(old, ~(BIT(SIGKILL) | BIT(SIGSTOP)));
	set = BIT(SIGKILL) | BIT(SIGSTOP);
	CHECK_EQ(sigprocmask_raw(SIG_SETMASK, &set, &old, SIGSETSIZE), 0);
	CHECK_EQ(old, ~(BIT(SIGKILL) | BIT(SIGSTOP)));
	CHECK_EQ(sigprocmask_raw(SIG_BLOCK, NULL, &old, SIGSETSIZE), 0);
	CHECK_EQ(old, 0);

	/* EINVAL: a bad `how` with a set; without a set, `how` is not looked at. */
	set = BIT(SIGUSR1);
	CHECK_ERR(sigprocmask_raw(3, &set, &old, SIGSETSIZE), EINVAL);
	CHECK_ERR(sigprocmask_raw(-1, &set, NULL, SIGSETSIZE), EINVAL);
	CHECK_EQ(sigprocmask_raw(3, NULL, &old, SIGSETSIZE), 0);
	CHECK_EQ(old, 0);
	/* EINVAL: a sigsetsize other than 8. */
	CHECK_ERR(sigprocmask_raw(SIG_BLOCK, &set, NULL, 4), EINVAL);
	CHECK_ERR(sigprocmask_raw(SIG_BLOCK, &set, NULL, 16), EINVAL);
	CHECK_ERR(sigprocmask_raw(SIG_BLOCK, NULL, &old, 0), EINVAL);
	/* None of the failures changed the mask. */
	CHECK_EQ(sigprocmask_raw(SIG_BLOCK, NULL, &old, SIGSETSIZE), 0);
	CHECK_EQ(old, 0);
}

int main(void)
{
	check_sigaction();
	check_sigprocmask();
	return 0;
}
