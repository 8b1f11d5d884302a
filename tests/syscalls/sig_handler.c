/*
 * sig_handler: signal handlers run with Linux's semantics, single-threaded (kill, raise,
 * tgkill and sigqueue on the process itself): SA_SIGINFO contents for each sender, the
 * mask inside a handler (sa_mask plus the signal) and its restoration after, SA_NODEFER,
 * SA_RESETHAND, nested handlers (a signal raised inside a handler runs at once), the frame's
 * layout (ucontext, siginfo, 16-byte alignment, the XSAVE magic), and sigsuspend with a
 * signal already pending.
 */
#include <signal.h>
#include <ucontext.h>

#include "test.h"

/*
 * Written by handlers. Not static: glibc declares kill, raise and syscall "leaf", so the
 * compiler may assume they change no static variable of this file.
 */
volatile int g_count[65];
volatile int g_depth, g_max_depth;
siginfo_t g_info;
sigset_t g_mask_in_handler;
volatile int g_order[16], g_norder;

static sigset_t current_mask(void)
{
	sigset_t s;
	sigprocmask(SIG_BLOCK, NULL, &s);
	return s;
}

static void on_info(int sig, siginfo_t *info, void *ucv)
{
	ucontext_t *uc = ucv;
	g_count[sig]++;
	g_info = *info;
	g_mask_in_handler = current_mask();
	/* The frame: uc is 16-byte aligned (rsp + 8 was aligned at entry), siginfo follows it. */
	if (((uintptr_t)uc & 15) != 0 || (char *)info != (char *)uc + 304)
		test_fail(__FILE__, __LINE__, "frame layout: uc %p info %p", (void *)uc,
		          (void *)info);
	/* The FP state: 64-byte aligned, with FP_XSTATE_MAGIC1 in its software bytes. */
	uint8_t *fp = (uint8_t *)uc->uc_mcontext.fpregs;
	uint32_t magic1;
	memcpy(&magic1, fp + 464, 4);
	if (((uintptr_t)fp & 63) != 0 || magic1 != 0x46505853U)
		test_fail(__FILE__, __LINE__, "fpstate %p magic1 %#x", (void *)fp, magic1);
	if ((uc->uc_flags & 7) != 7)
		test_fail(__FILE__, __LINE__, "uc_flags %#lx", uc->uc_flags);
}

static void on_nested(int sig)
{
	g_order[g_norder++] = sig;
	g_depth++;
	if (g_depth > g_max_depth)
		g_max_depth = g_depth;
	if (sig == SIGUSR1)
		raise(SIGUSR2); /* not blocked: runs now, on top */
	g_depth--;
}

static void on_nodefer(int sig)
{
	g_count[sig]++;
	g_depth++;
	if (g_depth > g_max_depth)
		g_max_depth = g_depth;
	if (g_count[sig] < 3)
		raise(sig);
	g_depth--;
}

static void on_plain(int sig)
{
	g_count[sig]++;
	g_mask_in_handler = current_mask();
}

static void install(int sig, void (*fn)(int), int flags, const sigset_t *mask)
{
	struct sigaction sa = { 0 };
	sa.sa_handler = fn;
	sa.sa_flags = flags;
	if (mask)
		sa.sa_mask = *mask;
	CHECK_SYS(sigaction(sig, &sa, NULL));
}

int main(void)
{
	/* SA_SIGINFO from kill(): SI_USER with the sender's pid and uid. */
	struct sigaction sa = { 0 };
	sa.sa_sigaction = on_info;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	sigaddset(&sa.sa_mask, SIGUSR2);
	CHECK_SYS(sigaction(SIGUSR1, &sa, NULL));
	CHECK_SYS(kill(getpid(), SIGUSR1));
	CHECK_EQ(g_count[SIGUSR1], 1);
	CHECK_EQ(g_info.si_signo, SIGUSR1);
	CHECK_EQ(g_info.si_code, SI_USER);
	CHECK_EQ(g_info.si_pid, getpid());
	CHECK_EQ(g_info.si_uid, getuid());
	/* Inside: sa_mask and the signal itself; after: the old mask again. */
	CHECK(sigismember(&g_mask_in_handler, SIGUSR1));
	CHECK(sigismember(&g_mask_in_handler, SIGUSR2));
	CHECK(!sigismember(&g_mask_in_handler, SIGINT));
	sigset_t now = current_mask();
	CHECK(!sigismember(&now, SIGUSR1) && !sigismember(&now, SIGUSR2));

	/* tgkill: SI_TKILL. */
	CHECK_SYS(syscall(SYS_tgkill, getpid(), gettid(), SIGUSR1));
	CHECK_EQ(g_count[SIGUSR1], 2);
	CHECK_EQ(g_info.si_code, SI_TKILL);
	CHECK_EQ(g_info.si_pid, getpid());

	/* sigqueue: SI_QUEUE with the value. */
	union sigval v = { .sival_int = 4242 };
	CHECK_SYS(sigqueue(getpid(), SIGUSR1, v));
	CHECK_EQ(g_count[SIGUSR1], 3);
	CHECK_EQ(g_info.si_code, SI_QUEUE);
	CHECK_EQ(g_info.si_value.sival_int, 4242);

	/* Nested: SIGUSR2 raised inside SIGUSR1's handler runs before it returns. */
	install(SIGUSR1, on_nested, 0, NULL);
	install(SIGUSR2, on_nested, 0, NULL);
	g_max_depth = 0;
	raise(SIGUSR1);
	CHECK_EQ(g_norder, 2);
	CHECK_EQ(g_order[0], SIGUSR1);
	CHECK_EQ(g_order[1], SIGUSR2);
	CHECK_EQ(g_max_depth, 2);

	/* Blocked inside its own handler: a re-raise waits until the handler returns. */
	install(SIGUSR1, on_nodefer, 0, NULL);
	g_count[SIGUSR1] = 0;
	g_max_depth = 0;
	raise(SIGUSR1);
	CHECK_EQ(g_count[SIGUSR1], 3);
	CHECK_EQ(g_max_depth, 1);
	/* SA_NODEFER: the re-raise nests. */
	install(SIGUSR1, on_nodefer, SA_NODEFER, NULL);
	g_count[SIGUSR1] = 0;
	g_max_depth = 0;
	raise(SIGUSR1);
	CHECK_EQ(g_count[SIGUSR1], 3);
	CHECK_EQ(g_max_depth, 3);

	/* SA_RESETHAND: the handler runs once, then SIG_DFL (SIGURG's default: ignore). */
	install(SIGURG, on_plain, SA_RESETHAND, NULL);
	raise(SIGURG);
	CHECK_EQ(g_count[SIGURG], 1);
	struct sigaction old;
	CHECK_SYS(sigaction(SIGURG, NULL, &old));
	CHECK(old.sa_handler == SIG_DFL);
	/* Linux does not imply SA_NODEFER: the signal was blocked in the handler. */
	CHECK(sigismember(&g_mask_in_handler, SIGURG));
	raise(SIGURG);
	CHECK_EQ(g_count[SIGURG], 1);

	/* sigsuspend with the signal already pending: runs the handler, EINTR, mask restored. */
	install(SIGUSR1, on_plain, 0, NULL);
	g_count[SIGUSR1] = 0;
	sigset_t block;
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	CHECK_SYS(sigprocmask(SIG_BLOCK, &block, NULL));
	raise(SIGUSR1);
	CHECK_EQ(g_count[SIGUSR1], 0);
	sigset_t during;
	sigemptyset(&during);
	sigaddset(&during, SIGHUP);
	CHECK_ERR(sigsuspend(&during), EINTR);
	CHECK_EQ(g_count[SIGUSR1], 1);
	CHECK(sigismember(&g_mask_in_handler, SIGHUP));
	CHECK(sigismember(&g_mask_in_handler, SIGUSR1));
	now = current_mask();
	CHECK(sigismember(&now, SIGUSR1));
	CHECK(!sigismember(&now, SIGHUP));
	CHECK_SYS(sigprocmask(SIG_UNBLOCK, &block, NULL));
	return 0;
}
