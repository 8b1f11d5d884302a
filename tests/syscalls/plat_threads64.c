/*
 * plat_threads64: 64 threads make system calls at the same time, and no result goes to the
 * wrong thread. Started together, each thread repeats ITERATIONS times: getpid (the same for
 * all), gettid (its own, distinct from every other's), a write of its own index and round to
 * its own pipe and the read that gets exactly that back, clock_gettime (never going back),
 * sched_yield now and then, and a futex hand-off with its partner thread (pairs 0-1, 2-3, ...)
 * that alternates strictly, which makes every round a cross-thread wake-up. Then all are joined.
 */
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <time.h>

#include "test.h"

#define NTHREADS   64
#define ITERATIONS 1000

struct worker {
	pthread_t th;
	int index;
	pid_t tid;
	int pipe[2];
	int errors;
	int first_error_line;
	long first_error_value;
};

static struct worker g_w[NTHREADS];
static _Atomic uint32_t g_turn[NTHREADS / 2]; /* the pair's hand-off word */
static pthread_barrier_t g_start;
static pid_t g_pid;

#define WCHECK(cond, value)                                           \
	do {                                                          \
		if (!(cond)) {                                        \
			if (w->errors++ == 0) {                       \
				w->first_error_line = __LINE__;       \
				w->first_error_value = (long)(value); \
			}                                             \
		}                                                     \
	} while (0)

static long futex(_Atomic uint32_t *word, int op, uint32_t val)
{
	return syscall(SYS_futex, word, op | FUTEX_PRIVATE_FLAG, val, NULL, NULL, 0);
}

/* Waits until the pair's word is want, then sets it to want + 1 and wakes the partner. */
static void hand_off(_Atomic uint32_t *word, uint32_t want)
{
	uint32_t v;
	while ((v = atomic_load(word)) != want)
		futex(word, FUTEX_WAIT, v);
	atomic_store(word, want + 1);
	futex(word, FUTEX_WAKE, 1);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	w->tid = (pid_t)syscall(SYS_gettid);
	_Atomic uint32_t *word = &g_turn[w->index / 2];
	uint32_t parity = (uint32_t)(w->index % 2);
	struct timespec last = { 0 };
	pthread_barrier_wait(&g_start);
	for (int it = 0; it < ITERATIONS; it++) {
		long pid = syscall(SYS_getpid);
		WCHECK(pid == g_pid, pid);
		long tid = syscall(SYS_gettid);
		WCHECK(tid == w->tid, tid);

		long msg[2] = { w->index, it }, back[2] = { -1, -1 };
		long n = write(w->pipe[1], msg, sizeof(msg));
		WCHECK(n == (long)sizeof(msg), n);
		n = read(w->pipe[0], back, sizeof(back));
		WCHECK(n == (long)sizeof(back), n);
		WCHECK(back[0] == w->index, back[0]);
		WCHECK(back[1] == it, back[1]);

		struct timespec now;
		long r = syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &now);
		WCHECK(r == 0, r);
		WCHECK(now.tv_sec > last.tv_sec ||
		               (now.tv_sec == last.tv_sec && now.tv_nsec >= last.tv_nsec),
		       now.tv_nsec);
		last = now;

		if (it % 16 == 0)
			sched_yield();
		hand_off(word, 2 * (uint32_t)it + parity);
	}
	return NULL;
}

static void on_alarm(int sig)
{
	(void)sig;
	static const char msg[] = "plat_threads64: the safety alarm went off\n";
	(void)!write(2, msg, sizeof(msg) - 1);
	_exit(1);
}

int main(void)
{
	signal(SIGALRM, on_alarm);
	alarm(50);
	g_pid = getpid();
	CHECK_EQ(pthread_barrier_init(&g_start, NULL, NTHREADS), 0);
	for (int i = 0; i < NTHREADS; i++) {
		g_w[i].index = i;
		CHECK_SYS(pipe(g_w[i].pipe));
	}
	for (int i = 0; i < NTHREADS; i++) {
		pthread_attr_t attr;
		CHECK_EQ(pthread_attr_init(&attr), 0);
		CHECK_EQ(pthread_attr_setstacksize(&attr, 256 * 1024), 0);
		CHECK_EQ(pthread_create(&g_w[i].th, &attr, worker_main, &g_w[i]), 0);
		CHECK_EQ(pthread_attr_destroy(&attr), 0);
	}
	for (int i = 0; i < NTHREADS; i++)
		CHECK_EQ(pthread_join(g_w[i].th, NULL), 0);
	for (int i = 0; i < NTHREADS; i++) {
		struct worker *w = &g_w[i];
		if (w->errors)
			test_fail(__FILE__, w->first_error_line,
			          "thread %d: %d wrong result(s), the first %ld", i, w->errors,
			          w->first_error_value);
		CHECK(w->tid > 0 && w->tid != g_pid);
		for (int j = 0; j < i; j++)
			CHECK(w->tid != g_w[j].tid);
		/* Nothing left in any pipe. */
		CHECK_SYS(close(w->pipe[1]));
		char c;
		CHECK_EQ(read(w->pipe[0], &c, 1), 0);
		CHECK_SYS(close(w->pipe[0]));
	}
	for (int i = 0; i < NTHREADS / 2; i++)
		CHECK_EQ(atomic_load(&g_turn[i]), 2 * ITERATIONS);
	puts("plat_threads64: ok");
	return 0;
}
