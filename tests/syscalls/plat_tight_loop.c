/*
 * plat_tight_loop: signals reach code that spins in user mode and never makes a system call,
 * so the platform has to interrupt it (each loop is bounded by the CPU's time-stamp counter,
 * about 10 s; only the arrival of the signal is checked, never how fast it came):
 *  - ITIMER_REAL's SIGALRM, one-shot and periodic, reaches a single-threaded loop;
 *  - tgkill and pthread_kill from the main thread reach three threads spinning at once (more
 *    than there are CPUs, often), each handler running on its target thread, round after
 *    round; a process-directed kill reaches the one spinning thread that does not block it;
 *  - another process's signal with a handler ends a spinning process's loop;
 *  - SIGKILL ends a spinning child, a spinning process with four spinning threads, and a
 *    spinning parent killed by its own child; SIGSTOP stops a spinning child and SIGCONT
 *    resumes it (waitpid sees both), and SIGTERM's default action ends it;
 *  - exit_group from one thread ends a process whose other thread spins.
 */
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>

#include "test.h"

#define SPIN_SECONDS 10

static uint64_t g_tsc_per_sec;

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

/* Measures the time-stamp counter's rate against CLOCK_MONOTONIC, over 20 ms. */
static void calibrate(void)
{
	struct timespec a, b, d = { 0, 20000000 };
	CHECK_SYS(clock_gettime(CLOCK_MONOTONIC, &a));
	uint64_t t0 = rdtsc();
	CHECK_SYS(nanosleep(&d, NULL));
	uint64_t t1 = rdtsc();
	CHECK_SYS(clock_gettime(CLOCK_MONOTONIC, &b));
	long long ns = (b.tv_sec - a.tv_sec) * 1000000000LL + (b.tv_nsec - a.tv_nsec);
	CHECK(ns > 0);
	g_tsc_per_sec = (uint64_t)((double)(t1 - t0) * 1e9 / (double)ns);
	/* A counter that barely moves would make the bound too long: assume at least 100 MHz. */
	if (g_tsc_per_sec < 100000000)
		g_tsc_per_sec = 100000000;
}

/*
 * spin_until spins without system calls until *word reaches at least want, or about
 * SPIN_SECONDS pass. Returns whether it got there.
 */
static bool spin_until(volatile sig_atomic_t *word, int want)
{
	uint64_t start = rdtsc(), limit = g_tsc_per_sec * SPIN_SECONDS;
	for (unsigned long n = 0; *word < want; n++)
		if ((n & 0xfff) == 0 && rdtsc() - start > limit)
			return false;
	return true;
}

/* A bounded spin for children: SPIN_SECONDS of nothing, then exit 3 (a failure). */
static __attribute__((noreturn)) void spin_then_fail(void)
{
	static volatile sig_atomic_t never;
	spin_until(&never, 1);
	_exit(3);
}

static volatile sig_atomic_t g_alarms;

static void on_alarm(int sig)
{
	(void)sig;
	g_alarms++;
}

static void check_itimer_real(void)
{
	struct sigaction sa = { .sa_handler = on_alarm };
	CHECK_SYS(sigaction(SIGALRM, &sa, NULL));
	for (int i = 0; i < 5; i++) {
		g_alarms = 0;
		struct itimerval it = { .it_value = { 0, 10000 } };
		CHECK_SYS(setitimer(ITIMER_REAL, &it, NULL));
		if (!spin_until(&g_alarms, 1))
			test_fail(__FILE__, __LINE__, "round %d: no SIGALRM in %d s of spinning", i,
			          SPIN_SECONDS);
	}
	g_alarms = 0;
	struct itimerval it = { .it_interval = { 0, 2000 }, .it_value = { 0, 2000 } };
	CHECK_SYS(setitimer(ITIMER_REAL, &it, NULL));
	bool got = spin_until(&g_alarms, 20);
	it = (struct itimerval){ 0 };
	CHECK_SYS(setitimer(ITIMER_REAL, &it, NULL));
	if (!got)
		test_fail(__FILE__, __LINE__, "periodic ITIMER_REAL: %d of 20 SIGALRMs",
		          (int)g_alarms);
}

/* Threads: each spinner waits, round after round, for one more signal to its handler. */
#define SPINNERS 3
#define ROUNDS   30

struct spinner {
	pthread_t th;
	atomic_int tid;
	atomic_int round;                /* the round the spinner waits in, -1 at the end */
	volatile sig_atomic_t hits;      /* handler calls on this thread */
	volatile sig_atomic_t wrong_tid; /* handler calls that found another thread's slot */
	bool ok;
};

static struct spinner g_spinners[SPINNERS];
static __thread struct spinner *t_self;
static atomic_int g_stray; /* handler calls on a thread that is no spinner */
static atomic_int g_done;  /* spinners that left their loop */

static void on_usr(int sig)
{
	(void)sig;
	struct spinner *s = t_self;
	if (!s) {
		atomic_fetch_add(&g_stray, 1);
		return;
	}
	if (atomic_load(&s->tid) != (int)syscall(SYS_gettid))
		s->wrong_tid++;
	s->hits++;
}

static void *spinner_main(void *arg)
{
	struct spinner *s = arg;
	t_self = s;
	atomic_store(&s->tid, (int)syscall(SYS_gettid));
	s->ok = true;
	for (int r = 0; r < ROUNDS + 1; r++) {
		atomic_store(&s->round, r);
		if (!spin_until(&s->hits, r + 1)) {
			s->ok = false;
			break;
		}
	}
	/* Served: leave the process's next SIGUSR2 to the others. */
	sigset_t usr2;
	sigemptyset(&usr2);
	sigaddset(&usr2, SIGUSR2);
	pthread_sigmask(SIG_BLOCK, &usr2, NULL);
	atomic_store(&s->round, -1);
	atomic_fetch_add(&g_done, 1);
	return NULL;
}

/* Waits (with system calls: this is the sender) until s waits in round r. */
static void wait_round(struct spinner *s, int r)
{
	for (long n = 0; atomic_load(&s->round) != r; n++) {
		if (n > 2000000)
			test_fail(__FILE__, __LINE__, "spinner %d never reached round %d",
			          atomic_load(&s->tid), r);
		sched_yield();
	}
}

static void check_threads(void)
{
	struct sigaction sa = { .sa_handler = on_usr };
	CHECK_SYS(sigaction(SIGUSR1, &sa, NULL));
	CHECK_SYS(sigaction(SIGUSR2, &sa, NULL));
	for (int i = 0; i < SPINNERS; i++) {
		atomic_store(&g_spinners[i].round, -2);
		CHECK_EQ(pthread_create(&g_spinners[i].th, NULL, spinner_main, &g_spinners[i]), 0);
	}
	pid_t pid = getpid();
	for (int r = 0; r < ROUNDS; r++) {
		for (int i = 0; i < SPINNERS; i++) {
			struct spinner *s = &g_spinners[i];
			wait_round(s, r);
			if (r % 2 == 0)
				CHECK_SYS(syscall(SYS_tgkill, pid, atomic_load(&s->tid), SIGUSR1));
			else
				CHECK_EQ(pthread_kill(s->th, SIGUSR1), 0);
		}
	}
	/*
	 * The last round: process-directed SIGUSR2s, one at a time. The main thread blocks it,
	 * and so does each spinner once served, so the next one must go to a thread still
	 * spinning.
	 */
	sigset_t usr2;
	sigemptyset(&usr2);
	sigaddset(&usr2, SIGUSR2);
	CHECK_EQ(pthread_sigmask(SIG_BLOCK, &usr2, NULL), 0);
	for (int k = 0; k < SPINNERS; k++) {
		for (int i = 0; i < SPINNERS; i++)
			if (atomic_load(&g_spinners[i].round) != -1)
				wait_round(&g_spinners[i], ROUNDS);
		CHECK_SYS(kill(pid, SIGUSR2));
		for (long n = 0; atomic_load(&g_done) != k + 1; n++) {
			if (n > 2000000)
				test_fail(__FILE__, __LINE__,
				          "process-directed SIGUSR2 %d: %d spinner(s) done", k,
				          atomic_load(&g_done));
			sched_yield();
		}
	}
	for (int i = 0; i < SPINNERS; i++) {
		struct spinner *s = &g_spinners[i];
		CHECK_EQ(pthread_join(s->th, NULL), 0);
		if (!s->ok)
			test_fail(__FILE__, __LINE__, "spinner %d: %d signal(s) of %d arrived", i,
			          (int)s->hits, ROUNDS + 1);
		CHECK_EQ(s->wrong_tid, 0);
		CHECK_EQ(s->hits, ROUNDS + 1);
	}
	CHECK_EQ(pthread_sigmask(SIG_UNBLOCK, &usr2, NULL), 0);
	CHECK_EQ(atomic_load(&g_stray), 0);
}

static volatile sig_atomic_t g_child_flag;

static void on_child_usr1(int sig)
{
	(void)sig;
	g_child_flag = 1;
}

/* Forks a child that runs fn; the child tells it started through a pipe first. */
static pid_t start_child(void (*fn)(void))
{
	int p[2];
	CHECK_SYS(pipe(p));
	pid_t pid = (pid_t)CHECK_SYS(fork());
	if (pid == 0) {
		close(p[0]);
		if (write(p[1], "x", 1) != 1)
			_exit(4);
		close(p[1]);
		fn();
		_exit(5);
	}
	close(p[1]);
	char c;
	CHECK_EQ(read(p[0], &c, 1), 1);
	close(p[0]);
	return pid;
}

static void child_spin(void)
{
	spin_then_fail();
}

static void child_spin_with_handler(void)
{
	if (!spin_until(&g_child_flag, 1))
		_exit(3);
	_exit(0);
}

static void *thread_spin(void *arg)
{
	(void)arg;
	spin_then_fail();
}

static void child_spin_threads(void)
{
	for (int i = 0; i < 3; i++) {
		pthread_t th;
		if (pthread_create(&th, NULL, thread_spin, NULL) != 0)
			_exit(6);
	}
	spin_then_fail();
}

/* Spins in a thread while the main thread ends the process with exit_group(5). */
static void child_exit_group(void)
{
	pthread_t th;
	if (pthread_create(&th, NULL, thread_spin, NULL) != 0)
		_exit(6);
	usleep(20000);
	syscall(SYS_exit_group, 5);
	_exit(7);
}

/* Forks a killer that SIGKILLs this process (its parent) after a while, then spins. */
static void child_killed_by_own_child(void)
{
	pid_t me = getpid();
	pid_t k = fork();
	if (k < 0)
		_exit(6);
	if (k == 0) {
		usleep(20000);
		kill(me, SIGKILL);
		_exit(0);
	}
	spin_then_fail();
}

static void expect_status(pid_t pid, int st, bool signaled, int value, const char *what)
{
	if (signaled ? !WIFSIGNALED(st) || WTERMSIG(st) != value
	             : !WIFEXITED(st) || WEXITSTATUS(st) != value)
		test_fail(__FILE__, __LINE__,
		          "%s (pid %d): status %#x, expected %s %d (exit 3: the signal never came)",
		          what, pid, st, signaled ? "death by signal" : "exit", value);
}

static void check_processes(void)
{
	struct sigaction sa = { .sa_handler = on_child_usr1 };
	CHECK_SYS(sigaction(SIGUSR1, &sa, NULL));
	int st;

	pid_t pid = start_child(child_spin);
	usleep(10000);
	CHECK_SYS(kill(pid, SIGKILL));
	CHECK_EQ(waitpid(pid, &st, 0), pid);
	expect_status(pid, st, true, SIGKILL, "SIGKILL to a spinning child");

	pid = start_child(child_spin_with_handler);
	usleep(10000);
	CHECK_SYS(kill(pid, SIGUSR1));
	CHECK_EQ(waitpid(pid, &st, 0), pid);
	expect_status(pid, st, false, 0, "SIGUSR1 with a handler to a spinning child");

	pid = start_child(child_spin_threads);
	usleep(20000);
	CHECK_SYS(kill(pid, SIGKILL));
	CHECK_EQ(waitpid(pid, &st, 0), pid);
	expect_status(pid, st, true, SIGKILL, "SIGKILL to four spinning threads");

	pid = start_child(child_killed_by_own_child);
	CHECK_EQ(waitpid(pid, &st, 0), pid);
	expect_status(pid, st, true, SIGKILL, "SIGKILL from its own child to a spinning parent");
	/* The killer is reparented to this process, the init of the pid namespace. */
	while (waitpid(-1, &st, WNOHANG) > 0)
		;

	pid = start_child(child_spin);
	usleep(10000);
	CHECK_SYS(kill(pid, SIGSTOP));
	CHECK_EQ(waitpid(pid, &st, WUNTRACED), pid);
	if (!WIFSTOPPED(st) || WSTOPSIG(st) != SIGSTOP)
		test_fail(__FILE__, __LINE__, "SIGSTOP to a spinning child: status %#x", st);
	CHECK_SYS(kill(pid, SIGCONT));
	CHECK_EQ(waitpid(pid, &st, WCONTINUED), pid);
	CHECK(WIFCONTINUED(st));
	usleep(10000);
	CHECK_SYS(kill(pid, SIGTERM));
	CHECK_EQ(waitpid(pid, &st, 0), pid);
	expect_status(pid, st, true, SIGTERM, "SIGTERM to a resumed spinning child");

	pid = start_child(child_exit_group);
	CHECK_EQ(waitpid(pid, &st, 0), pid);
	expect_status(pid, st, false, 5, "exit_group beside a spinning thread");
}

static void on_safety_alarm(int sig)
{
	(void)sig;
	static const char msg[] = "plat_tight_loop: the safety alarm went off\n";
	(void)!write(2, msg, sizeof(msg) - 1);
	_exit(1);
}

int main(void)
{
	calibrate();
	/* ITIMER_REAL is alarm's timer: the bounded spins are the only net for this part. */
	check_itimer_real();
	signal(SIGALRM, on_safety_alarm);
	alarm(40);
	check_threads();
	check_processes();
	puts("plat_tight_loop: ok");
	return 0;
}
