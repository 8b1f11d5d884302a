/*
 * futex_threads: futexes between threads: a ping-pong, a requeue of
 * sleeping waiters, FUTEX_WAKE_OP's two wakes, a signal interrupting a
 * wait (EINTR, or a restart under SA_RESTART), and a robust mutex whose
 * owner exits (EOWNERDEAD for the next locker, and for one already
 * waiting).
 *
 * Whether a thread sleeps in FUTEX_WAIT is seen without timing: a
 * FUTEX_REQUEUE of a futex onto itself with no wake returns how many
 * waiters it has and changes nothing.
 */
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>

#include "test.h"

static long futex(_Atomic uint32_t *uaddr, int op, uint32_t val, const void *timeout_or_val2,
                  _Atomic uint32_t *uaddr2, uint32_t val3)
{
	return syscall(SYS_futex, uaddr, op, val, timeout_or_val2, uaddr2, val3);
}

#define V2(n) ((const void *)(uintptr_t)(n))

/* How many threads sleep on w. */
static long waiters(_Atomic uint32_t *w)
{
	return futex(w, FUTEX_REQUEUE | FUTEX_PRIVATE_FLAG, 0, V2(INT_MAX), w, 0);
}

static void wait_for_waiters(_Atomic uint32_t *w, long n)
{
	while (waiters(w) != n)
		sched_yield();
}

/* Ping-pong: each side waits for its turn on one word. */
#define ROUNDS 1000
static _Atomic uint32_t g_turn;

static void *pong(void *arg)
{
	(void)arg;
	for (int i = 0; i < ROUNDS; i++) {
		while (atomic_load(&g_turn) != 1)
			futex(&g_turn, FUTEX_WAIT | FUTEX_PRIVATE_FLAG, 0, NULL, NULL, 0);
		atomic_store(&g_turn, 0);
		futex(&g_turn, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, 1, NULL, NULL, 0);
	}
	return NULL;
}

static void check_ping_pong(void)
{
	pthread_t th;
	CHECK_EQ(pthread_create(&th, NULL, pong, NULL), 0);
	for (int i = 0; i < ROUNDS; i++) {
		atomic_store(&g_turn, 1);
		futex(&g_turn, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, 1, NULL, NULL, 0);
		while (atomic_load(&g_turn) != 0)
			futex(&g_turn, FUTEX_WAIT | FUTEX_PRIVATE_FLAG, 1, NULL, NULL, 0);
	}
	CHECK_EQ(pthread_join(th, NULL), 0);
}

/* Waiters sleep on g_f1 (value 0) until a wake; they record the result. */
#define NWAITERS 4
static _Atomic uint32_t g_f1, g_f2;
static _Atomic int g_results[NWAITERS];

static void *waiter(void *arg)
{
	intptr_t i = (intptr_t)arg;
	long r = futex(&g_f1, FUTEX_WAIT | FUTEX_PRIVATE_FLAG, 0, NULL, NULL, 0);
	atomic_store(&g_results[i], r == 0 ? 1 : -errno);
	return NULL;
}

static void check_requeue(void)
{
	pthread_t th[NWAITERS];
	for (intptr_t i = 0; i < NWAITERS; i++)
		CHECK_EQ(pthread_create(&th[i], NULL, waiter, (void *)i), 0);
	wait_for_waiters(&g_f1, NWAITERS);
	/* A comparison that fails moves no one. */
	CHECK_ERR(futex(&g_f1, FUTEX_CMP_REQUEUE | FUTEX_PRIVATE_FLAG, 1, V2(INT_MAX), &g_f2, 1),
	          EAGAIN);
	CHECK_EQ(waiters(&g_f1), NWAITERS);
	/* Wake one, move the others to g_f2: the count is both. */
	CHECK_EQ(futex(&g_f1, FUTEX_CMP_REQUEUE | FUTEX_PRIVATE_FLAG, 1, V2(INT_MAX), &g_f2, 0),
	         NWAITERS);
	CHECK_EQ(waiters(&g_f1), 0);
	CHECK_EQ(waiters(&g_f2), NWAITERS - 1);
	/* A wake on g_f1 finds no one; the requeued ones wake on g_f2, one at a time. */
	CHECK_EQ(futex(&g_f1, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, INT_MAX, NULL, NULL, 0), 0);
	CHECK_EQ(futex(&g_f2, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, 1, NULL, NULL, 0), 1);
	CHECK_EQ(futex(&g_f2, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, INT_MAX, NULL, NULL, 0),
	         NWAITERS - 2);
	for (int i = 0; i < NWAITERS; i++) {
		CHECK_EQ(pthread_join(th[i], NULL), 0);
		CHECK_EQ(g_results[i], 1);
	}
}

static void *waiter_f2(void *arg)
{
	(void)arg;
	long r = futex(&g_f2, FUTEX_WAIT | FUTEX_PRIVATE_FLAG, 0, NULL, NULL, 0);
	return (void *)(intptr_t)(r == 0 ? 1 : -errno);
}

static void check_wake_op(void)
{
	pthread_t a, b;
	void *ra, *rb;
	atomic_store(&g_f1, 0);
	atomic_store(&g_f2, 0);
	CHECK_EQ(pthread_create(&a, NULL, waiter, (void *)0), 0);
	CHECK_EQ(pthread_create(&b, NULL, waiter_f2, NULL), 0);
	wait_for_waiters(&g_f1, 1);
	wait_for_waiters(&g_f2, 1);
	/* g_f2 = 1, wake one on g_f1, and one on g_f2 since the old value was 0. */
	CHECK_EQ(futex(&g_f1, FUTEX_WAKE_OP | FUTEX_PRIVATE_FLAG, 1, V2(1), &g_f2,
	               FUTEX_OP(FUTEX_OP_SET, 1, FUTEX_OP_CMP_EQ, 0)),
	         2);
	CHECK_EQ(atomic_load(&g_f2), 1);
	CHECK_EQ(pthread_join(a, &ra), 0);
	CHECK_EQ(pthread_join(b, &rb), 0);
	CHECK_EQ(g_results[0], 1);
	CHECK_EQ((intptr_t)rb, 1);
}

/* A signal during a wait. */
static _Atomic int g_handled;
static _Atomic uint32_t g_sigword;

static void handler(int sig)
{
	(void)sig;
	atomic_fetch_add(&g_handled, 1);
}

static void *sig_waiter(void *arg)
{
	const struct timespec *timeout = arg;
	long r = futex(&g_sigword, FUTEX_WAIT | FUTEX_PRIVATE_FLAG, 0, timeout, NULL, 0);
	return (void *)(intptr_t)(r == 0 ? 0 : errno);
}

static void check_signal(int sa_flags, const struct timespec *timeout, int expect)
{
	struct sigaction sa = { .sa_handler = handler, .sa_flags = sa_flags };
	sigemptyset(&sa.sa_mask);
	CHECK_SYS(sigaction(SIGUSR1, &sa, NULL));
	atomic_store(&g_handled, 0);
	atomic_store(&g_sigword, 0);
	pthread_t th;
	void *ret;
	CHECK_EQ(pthread_create(&th, NULL, sig_waiter, (void *)timeout), 0);
	wait_for_waiters(&g_sigword, 1);
	CHECK_EQ(pthread_kill(th, SIGUSR1), 0);
	while (atomic_load(&g_handled) == 0)
		sched_yield();
	if (expect == 0) {
		/* Restarted: it sleeps again until woken. */
		wait_for_waiters(&g_sigword, 1);
		CHECK_EQ(futex(&g_sigword, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, 1, NULL, NULL, 0), 1);
	}
	CHECK_EQ(pthread_join(th, &ret), 0);
	CHECK_EQ((intptr_t)ret, expect);
}

/* A robust mutex whose owner exits while holding it. */
static pthread_mutex_t g_mutex;
static _Atomic int g_locked;

static void *lock_and_exit(void *arg)
{
	(void)arg;
	CHECK_EQ(pthread_mutex_lock(&g_mutex), 0);
	atomic_store(&g_locked, 1);
	/* Exit, holding the lock, when told to. */
	while (atomic_load(&g_locked) == 1)
		sched_yield();
	return NULL;
}

/* The owner has exited: the next locker gets EOWNERDEAD. */
static void check_robust_after_exit(void)
{
	pthread_mutexattr_t attr;
	CHECK_EQ(pthread_mutexattr_init(&attr), 0);
	CHECK_EQ(pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST), 0);
	CHECK_EQ(pthread_mutex_init(&g_mutex, &attr), 0);
	atomic_store(&g_locked, 0);
	pthread_t th;
	CHECK_EQ(pthread_create(&th, NULL, lock_and_exit, NULL), 0);
	while (atomic_load(&g_locked) == 0)
		sched_yield();
	atomic_store(&g_locked, 2);
	CHECK_EQ(pthread_join(th, NULL), 0);
	CHECK_EQ(pthread_mutex_lock(&g_mutex), EOWNERDEAD);
	CHECK_EQ(pthread_mutex_consistent(&g_mutex), 0);
	CHECK_EQ(pthread_mutex_unlock(&g_mutex), 0);
	CHECK_EQ(pthread_mutex_lock(&g_mutex), 0);
	CHECK_EQ(pthread_mutex_unlock(&g_mutex), 0);
	CHECK_EQ(pthread_mutex_destroy(&g_mutex), 0);
}

/* The owner dies while another thread sleeps on the lock with FUTEX_WAITERS set. */
static _Atomic int g_waiter_result = -1;

static void *robust_locker(void *arg)
{
	(void)arg;
	atomic_store(&g_waiter_result, pthread_mutex_lock(&g_mutex));
	if (atomic_load(&g_waiter_result) == EOWNERDEAD) {
		pthread_mutex_consistent(&g_mutex);
		pthread_mutex_unlock(&g_mutex);
	}
	return NULL;
}

static void check_robust_sleeping_waiter(void)
{
	pthread_mutexattr_t attr;
	CHECK_EQ(pthread_mutexattr_init(&attr), 0);
	CHECK_EQ(pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST), 0);
	CHECK_EQ(pthread_mutex_init(&g_mutex, &attr), 0);
	atomic_store(&g_locked, 0);
	pthread_t owner, locker;
	CHECK_EQ(pthread_create(&owner, NULL, lock_and_exit, NULL), 0);
	while (atomic_load(&g_locked) == 0)
		sched_yield();
	CHECK_EQ(pthread_create(&locker, NULL, robust_locker, NULL), 0);
	/*
	 * The mutex's lock word is its first member: wait until the locker sleeps on
	 * it (glibc waits on robust mutexes as shared futexes, which the kernel wakes).
	 */
	_Atomic uint32_t *word = (_Atomic uint32_t *)&g_mutex;
	while (futex(word, FUTEX_REQUEUE, 0, V2(INT_MAX), word, 0) != 1)
		sched_yield();
	atomic_store(&g_locked, 2); /* the owner exits holding the lock */
	CHECK_EQ(pthread_join(owner, NULL), 0);
	CHECK_EQ(pthread_join(locker, NULL), 0);
	CHECK_EQ(g_waiter_result, EOWNERDEAD);
	CHECK_EQ(pthread_mutex_lock(&g_mutex), 0);
	CHECK_EQ(pthread_mutex_unlock(&g_mutex), 0);
}

int main(void)
{
	alarm(60);
	check_ping_pong();
	check_requeue();
	check_wake_op();
	struct timespec long_timeout = { 3600, 0 };
	check_signal(0, NULL, EINTR);
	check_signal(SA_RESTART, NULL, 0);
	/* A timed wait is not restarted after a handler, SA_RESTART or not (Linux). */
	check_signal(SA_RESTART, &long_timeout, EINTR);
	check_robust_after_exit();
	check_robust_sleeping_waiter();
	return 0;
}
