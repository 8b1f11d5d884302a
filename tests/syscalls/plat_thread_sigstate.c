/*
 * plat_thread_sigstate: the signal mask and the alternate stack are per thread. Four threads
 * (the main one and three new ones) each set their own mask and alternate stack, and each
 * gets SIGUSR1 and SIGUSR2 with tgkill:
 *  - a new thread starts with its creator's mask and no alternate stack;
 *  - a signal a thread blocks stays pending for that thread alone (sigpending), one it does
 *    not block runs its SA_ONSTACK handler on that thread, on that thread's own alternate
 *    stack (or its normal stack if it has none), where sigaltstack reports SS_ONSTACK;
 *  - inside the handler the mask is the thread's mask plus the signal and sa_mask, and
 *    uc_sigmask is the thread's mask; after the handler the thread's mask is back;
 *  - unblocking a pending signal runs its handler at once, on the same alternate stack;
 *  - no thread's settings change another's.
 */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <ucontext.h>

#include "test.h"

#define NTHREADS 4 /* including the main thread, index 0 */
#define ALT_SIZE (64 * 1024)

struct rec {
	int hits;
	bool on_alt;      /* a local of the handler lay in the thread's alternate stack */
	bool on_own_side; /* ... or, without one, not in any alternate stack */
	int ss_flags;     /* sigaltstack's flags inside the handler */
	sigset_t in_mask; /* the mask inside the handler */
	sigset_t uc_mask; /* uc_sigmask */
	pid_t tid;
};

struct thread_state {
	pthread_t th;
	atomic_int tid;
	char *alt;         /* NULL: no alternate stack */
	int blocked;       /* the signal this thread blocks, or 0 */
	struct rec rec[2]; /* SIGUSR1, SIGUSR2 */
	const char *error;
	int error_line;
};

static struct thread_state g_ts[NTHREADS];
static __thread struct thread_state *t_self;
static pthread_barrier_t g_sent, g_ready;

static char *g_alts[NTHREADS];

static bool in_range(uintptr_t p, const char *base)
{
	return base && p >= (uintptr_t)base && p < (uintptr_t)base + ALT_SIZE;
}

static void on_usr(int sig, siginfo_t *info, void *ucv)
{
	(void)info;
	ucontext_t *uc = ucv;
	struct thread_state *ts = t_self;
	struct rec *r = &ts->rec[sig == SIGUSR1 ? 0 : 1];
	int local;
	uintptr_t p = (uintptr_t)&local;
	r->hits++;
	r->tid = (pid_t)syscall(SYS_gettid);
	r->on_alt = in_range(p, ts->alt);
	r->on_own_side = true;
	for (int i = 0; i < NTHREADS; i++)
		if (in_range(p, g_alts[i]) && g_alts[i] != ts->alt)
			r->on_own_side = false;
	stack_t ss;
	sigaltstack(NULL, &ss);
	r->ss_flags = ss.ss_flags;
	pthread_sigmask(SIG_BLOCK, NULL, &r->in_mask);
	r->uc_mask = uc->uc_sigmask;
}

#define FAIL_IF(cond)                              \
	do {                                       \
		if (cond) {                        \
			ts->error = #cond;         \
			ts->error_line = __LINE__; \
			return;                    \
		}                                  \
	} while (0)

static bool mask_is(const sigset_t *set, int a, int b)
{
	sigset_t want;
	sigemptyset(&want);
	if (a)
		sigaddset(&want, a);
	if (b)
		sigaddset(&want, b);
	for (int s = 1; s < NSIG; s++)
		if (s != SIGKILL && s != SIGSTOP && sigismember(set, s) != sigismember(&want, s))
			return false;
	return true;
}

static void check_rec(struct thread_state *ts, int sig)
{
	struct rec *r = &ts->rec[sig == SIGUSR1 ? 0 : 1];
	int other = sig == SIGUSR1 ? SIGUSR2 : SIGUSR1;
	FAIL_IF(r->hits != 1);
	FAIL_IF(r->tid != atomic_load(&ts->tid));
	FAIL_IF(ts->alt && !r->on_alt);
	FAIL_IF(!r->on_own_side);
	FAIL_IF(r->ss_flags != (ts->alt ? SS_ONSTACK : SS_DISABLE));
	/* sa_mask holds the other signal: the handler runs with both blocked. */
	FAIL_IF(!mask_is(&r->in_mask, sig, other));
	FAIL_IF(!mask_is(&r->uc_mask, ts->blocked == sig ? 0 : ts->blocked, 0));
}

/* One thread's part; ts->error says what went wrong. */
static void run(struct thread_state *ts)
{
	t_self = ts;
	atomic_store(&ts->tid, (int)syscall(SYS_gettid));
	sigset_t cur, pend;
	stack_t ss;
	if (ts != &g_ts[0]) {
		/* The creator's mask (SIGUSR1 and SIGUSR2 blocked), no alternate stack. */
		pthread_sigmask(SIG_BLOCK, NULL, &cur);
		FAIL_IF(!mask_is(&cur, SIGUSR1, SIGUSR2));
		sigaltstack(NULL, &ss);
		FAIL_IF(ss.ss_flags != SS_DISABLE);
	}
	if (ts->alt) {
		ss = (stack_t){ .ss_sp = ts->alt, .ss_size = ALT_SIZE };
		FAIL_IF(sigaltstack(&ss, NULL) != 0);
	}
	sigemptyset(&cur);
	if (ts->blocked)
		sigaddset(&cur, ts->blocked);
	FAIL_IF(pthread_sigmask(SIG_SETMASK, &cur, NULL) != 0);

	/* The main thread sends both signals to every thread, then everyone checks. */
	pthread_barrier_wait(&g_ready);
	if (ts == &g_ts[0]) {
		pid_t pid = getpid();
		for (int i = 0; i < NTHREADS; i++) {
			syscall(SYS_tgkill, pid, atomic_load(&g_ts[i].tid), SIGUSR1);
			syscall(SYS_tgkill, pid, atomic_load(&g_ts[i].tid), SIGUSR2);
		}
	}
	pthread_barrier_wait(&g_sent);
	int delivered = ts->blocked == SIGUSR1 ? SIGUSR2 : SIGUSR1;
	if (ts->blocked != SIGUSR1 && ts->blocked != SIGUSR2) {
		check_rec(ts, SIGUSR1);
		if (ts->error)
			return;
		check_rec(ts, SIGUSR2);
		if (ts->error)
			return;
	} else {
		check_rec(ts, delivered);
		if (ts->error)
			return;
		FAIL_IF(ts->rec[ts->blocked == SIGUSR1 ? 0 : 1].hits != 0);
	}
	FAIL_IF(sigpending(&pend) != 0);
	FAIL_IF(!mask_is(&pend, ts->blocked, 0));
	/* The mask is back, the alternate stack not in use. */
	pthread_sigmask(SIG_BLOCK, NULL, &cur);
	FAIL_IF(!mask_is(&cur, ts->blocked, 0));
	sigaltstack(NULL, &ss);
	FAIL_IF(ss.ss_flags != (ts->alt ? 0 : SS_DISABLE));
	FAIL_IF(ts->alt && (ss.ss_sp != ts->alt || ss.ss_size != ALT_SIZE));

	if (ts->blocked) {
		/* Unblocking runs the pending handler at once. */
		sigemptyset(&cur);
		sigaddset(&cur, ts->blocked);
		FAIL_IF(pthread_sigmask(SIG_UNBLOCK, &cur, NULL) != 0);
		int b = ts->blocked;
		ts->blocked = 0;
		check_rec(ts, b);
		if (ts->error)
			return;
		FAIL_IF(sigpending(&pend) != 0);
		FAIL_IF(!mask_is(&pend, 0, 0));
	}
}

static void *thread_main(void *arg)
{
	run(arg);
	return NULL;
}

static void on_alarm(int sig)
{
	(void)sig;
	static const char msg[] = "plat_thread_sigstate: the safety alarm went off\n";
	(void)!write(2, msg, sizeof(msg) - 1);
	_exit(1);
}

int main(void)
{
	signal(SIGALRM, on_alarm);
	alarm(20);
	struct sigaction sa = { 0 };
	sa.sa_sigaction = on_usr;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
	sigemptyset(&sa.sa_mask);
	sigaddset(&sa.sa_mask, SIGUSR1);
	sigaddset(&sa.sa_mask, SIGUSR2);
	CHECK_SYS(sigaction(SIGUSR1, &sa, NULL));
	CHECK_SYS(sigaction(SIGUSR2, &sa, NULL));

	/* Thread 0 (main) and 1 block SIGUSR2 and SIGUSR1; 2 blocks nothing; 3 has no stack. */
	static const int blocked[NTHREADS] = { SIGUSR2, SIGUSR1, 0, SIGUSR1 };
	for (int i = 0; i < NTHREADS; i++) {
		g_ts[i].blocked = blocked[i];
		if (i != 3)
			g_ts[i].alt = g_alts[i] = test_map(ALT_SIZE, PROT_READ | PROT_WRITE);
	}
	CHECK_EQ(pthread_barrier_init(&g_ready, NULL, NTHREADS), 0);
	CHECK_EQ(pthread_barrier_init(&g_sent, NULL, NTHREADS), 0);

	/* The threads start with this mask and with the main thread's stack set already. */
	stack_t ss = { .ss_sp = g_ts[0].alt, .ss_size = ALT_SIZE };
	CHECK_SYS(sigaltstack(&ss, NULL));
	sigset_t both;
	sigemptyset(&both);
	sigaddset(&both, SIGUSR1);
	sigaddset(&both, SIGUSR2);
	CHECK_EQ(pthread_sigmask(SIG_SETMASK, &both, NULL), 0);
	for (int i = 1; i < NTHREADS; i++)
		CHECK_EQ(pthread_create(&g_ts[i].th, NULL, thread_main, &g_ts[i]), 0);

	run(&g_ts[0]);
	for (int i = 0; i < NTHREADS; i++) {
		if (i > 0)
			CHECK_EQ(pthread_join(g_ts[i].th, NULL), 0);
		if (g_ts[i].error)
			test_fail(__FILE__, g_ts[i].error_line, "thread %d: %s", i, g_ts[i].error);
	}
	/* Each thread's alternate stack was its own: the main thread's is still in place. */
	stack_t cur;
	CHECK_SYS(sigaltstack(NULL, &cur));
	CHECK(cur.ss_sp == g_alts[0] && cur.ss_size == ALT_SIZE && cur.ss_flags == 0);
	puts("plat_thread_sigstate: ok");
	return 0;
}
