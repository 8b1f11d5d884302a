/*
 * futex_fork: shared futexes between processes. A child sleeps on a word
 * in MAP_SHARED anonymous memory and in a memfd the parent maps at
 * another address; the parent's shared wake finds it (a private one does
 * not); a robust process-shared mutex whose owner process dies gives the
 * next locker EOWNERDEAD.
 *
 * Whether the child sleeps is seen without timing: a FUTEX_REQUEUE of a
 * futex onto itself with no wake returns its number of waiters.
 */
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <sys/wait.h>

#include "test.h"

static long futex(uint32_t *uaddr, int op, uint32_t val, const void *timeout_or_val2,
                  uint32_t *uaddr2, uint32_t val3)
{
	return syscall(SYS_futex, uaddr, op, val, timeout_or_val2, uaddr2, val3);
}

#define V2(n) ((const void *)(uintptr_t)(n))

static long waiters(uint32_t *w)
{
	return futex(w, FUTEX_REQUEUE, 0, V2(INT_MAX), w, 0);
}

/* Forks a child that waits (shared) on *w == 0 and exits 0 when woken. */
static pid_t fork_waiter(uint32_t *w)
{
	pid_t pid = CHECK_SYS(fork());
	if (pid == 0) {
		long r = futex(w, FUTEX_WAIT, 0, NULL, NULL, 0);
		_exit(r == 0 && __atomic_load_n(w, __ATOMIC_SEQ_CST) == 1 ? 0 : 1);
	}
	return pid;
}

static void reap(pid_t pid, int code)
{
	int status;
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status));
	CHECK_EQ(WEXITSTATUS(status), code);
}

/* The child waits on waitw; the parent wakes through wakew (the same page). */
static void check_wait_wake(uint32_t *waitw, uint32_t *wakew)
{
	*waitw = 0;
	pid_t pid = fork_waiter(waitw);
	while (waiters(wakew) != 1)
		sched_yield();
	/* A private key is the process's own: it finds no one. */
	CHECK_EQ(futex(wakew, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, 1, NULL, NULL, 0), 0);
	__atomic_store_n(wakew, 1, __ATOMIC_SEQ_CST);
	CHECK_EQ(futex(wakew, FUTEX_WAKE, INT_MAX, NULL, NULL, 0), 1);
	reap(pid, 0);
}

static void check_robust(void)
{
	pthread_mutex_t *m =
	        mmap(NULL, PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CHECK(m != MAP_FAILED);
	pthread_mutexattr_t attr;
	CHECK_EQ(pthread_mutexattr_init(&attr), 0);
	CHECK_EQ(pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST), 0);
	CHECK_EQ(pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED), 0);
	CHECK_EQ(pthread_mutex_init(m, &attr), 0);
	pid_t pid = CHECK_SYS(fork());
	if (pid == 0) {
		if (pthread_mutex_lock(m) != 0)
			_exit(1);
		_exit(0); /* holding the lock */
	}
	reap(pid, 0);
	CHECK_EQ(pthread_mutex_lock(m), EOWNERDEAD);
	CHECK_EQ(pthread_mutex_consistent(m), 0);
	CHECK_EQ(pthread_mutex_unlock(m), 0);
	CHECK_EQ(pthread_mutex_lock(m), 0);
	CHECK_EQ(pthread_mutex_unlock(m), 0);
	CHECK_SYS(munmap(m, PAGE_SIZE));
}

int main(void)
{
	alarm(60);
	uint32_t *shm = mmap(NULL, 2 * PAGE_SIZE, PROT_READ | PROT_WRITE,
	                     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CHECK(shm != MAP_FAILED);
	check_wait_wake(shm, shm);
	check_wait_wake(shm + PAGE_SIZE / 4 + 5, shm + PAGE_SIZE / 4 + 5);

	/* A memfd mapped twice: the same word at two addresses. */
	int fd = CHECK_SYS(memfd_create("futex", 0));
	CHECK_SYS(ftruncate(fd, 2 * PAGE_SIZE));
	uint32_t *a = mmap(NULL, 2 * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	uint32_t *b = mmap(NULL, PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, PAGE_SIZE);
	CHECK(a != MAP_FAILED && b != MAP_FAILED);
	check_wait_wake(a + PAGE_SIZE / 4 + 2, b + 2);
	check_wait_wake(b + 7, a + PAGE_SIZE / 4 + 7);

	check_robust();
	return 0;
}
