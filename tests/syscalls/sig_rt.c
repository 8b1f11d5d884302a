/*
 * sig_rt: real-time signals queue every instance with its siginfo, standard ones at most
 * once; delivery order is standard signals first, then real-time ones lowest number first,
 * each in sending order; rt_sigpending; RLIMIT_SIGPENDING makes sigqueue fail with EAGAIN;
 * rt_sigqueueinfo refuses to impersonate the kernel or tgkill towards another process.
 */
#include <signal.h>
#include <sys/resource.h>

#include "test.h"

/* Written by the handler; not static, see sig_handler.c. */
volatile int g_sig[64], g_val[64], g_n;

static void on_sig(int sig, siginfo_t *info, void *uc)
{
	(void)uc;
	g_sig[g_n] = sig;
	g_val[g_n] = info->si_code == SI_QUEUE ? info->si_value.sival_int : -1;
	g_n++;
}

static void install(int sig)
{
	struct sigaction sa = { 0 };
	sa.sa_sigaction = on_sig;
	sa.sa_flags = SA_SIGINFO;
	sigfillset(&sa.sa_mask); /* handlers run one at a time, in dequeue order */
	CHECK_SYS(sigaction(sig, &sa, NULL));
}

static void queue(int sig, int val)
{
	union sigval v = { .sival_int = val };
	CHECK_SYS(sigqueue(getpid(), sig, v));
}

int main(void)
{
	int r0 = SIGRTMIN, r1 = SIGRTMIN + 1;
	install(r0);
	install(r1);
	install(SIGUSR1);
	sigset_t all;
	sigfillset(&all);
	CHECK_SYS(sigprocmask(SIG_SETMASK, &all, NULL));
	queue(r1, 10);
	queue(r1, 11);
	queue(r0, 20);
	queue(SIGUSR1, 30);
	queue(r1, 12);
	queue(SIGUSR1, 31); /* dropped: SIGUSR1 is already pending */
	queue(r0, 21);
	sigset_t pending;
	CHECK_SYS(sigpending(&pending));
	CHECK(sigismember(&pending, r0) && sigismember(&pending, r1));
	CHECK(sigismember(&pending, SIGUSR1) && !sigismember(&pending, SIGUSR2));
	sigset_t none;
	sigemptyset(&none);
	CHECK_SYS(sigprocmask(SIG_SETMASK, &none, NULL));
	int want_sig[] = { SIGUSR1, r0, r0, r1, r1, r1 };
	int want_val[] = { 30, 20, 21, 10, 11, 12 };
	CHECK_EQ(g_n, 6);
	for (int i = 0; i < 6; i++) {
		CHECK_EQ(g_sig[i], want_sig[i]);
		CHECK_EQ(g_val[i], want_val[i]);
	}
	CHECK_SYS(sigpending(&pending));
	CHECK(!sigismember(&pending, r0) && !sigismember(&pending, r1));

	/*
	 * RLIMIT_SIGPENDING 0 (Linux counts per user across the system, so only 0 gives the
	 * same answer everywhere): sigqueue of a real-time signal fails with EAGAIN; kill()
	 * still sends it, without its siginfo (an empty SI_USER).
	 */
	struct rlimit rl = { 0, 0 };
	CHECK_SYS(setrlimit(RLIMIT_SIGPENDING, &rl));
	CHECK_SYS(sigprocmask(SIG_SETMASK, &all, NULL));
	union sigval v = { .sival_int = 1 };
	CHECK_ERR(sigqueue(getpid(), r0, v), EAGAIN);
	CHECK_SYS(kill(getpid(), r0));
	g_n = 0;
	CHECK_SYS(sigprocmask(SIG_SETMASK, &none, NULL));
	CHECK_EQ(g_n, 1);
	CHECK_EQ(g_sig[0], r0);
	CHECK_EQ(g_val[0], -1);

	/* si_code >= 0 or SI_TKILL: only towards oneself (another pid: EPERM first). */
	siginfo_t si;
	memset(&si, 0, sizeof(si));
	si.si_code = SI_USER;
	CHECK_ERR(syscall(SYS_rt_sigqueueinfo, getpid() + 1000, SIGUSR1, &si), EPERM);
	si.si_code = SI_TKILL;
	CHECK_ERR(syscall(SYS_rt_sigqueueinfo, getpid() + 1000, SIGUSR1, &si), EPERM);
	si.si_code = SI_QUEUE;
	CHECK_ERR(syscall(SYS_rt_sigqueueinfo, 999999, SIGUSR1, &si), ESRCH);
	CHECK_ERR(syscall(SYS_rt_sigqueueinfo, getpid(), SIGUSR1, (void *)8), EFAULT);
	CHECK_ERR(syscall(SYS_rt_sigqueueinfo, getpid(), 65, &si), EINVAL);
	CHECK_ERR(syscall(SYS_rt_tgsigqueueinfo, getpid(), 0, SIGUSR1, &si), EINVAL);
	/* To oneself a positive si_code is allowed, and si_signo is the call's. */
	si.si_code = 5;
	si.si_signo = 3;
	g_n = 0;
	CHECK_SYS(syscall(SYS_rt_tgsigqueueinfo, getpid(), gettid(), SIGUSR1, &si));
	CHECK_EQ(g_n, 1);
	CHECK_EQ(g_sig[0], SIGUSR1);
	return 0;
}
