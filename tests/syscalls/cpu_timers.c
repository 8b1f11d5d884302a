/*
 * CPU time: the process and thread CPU clocks grow while the program
 * spins, the clocks of clock_getcpuclockid and pthread_getcpuclockid
 * (another process's, a zombie's, another thread's) and their errors,
 * ITIMER_VIRTUAL and ITIMER_PROF firing while the process spins, and
 * POSIX timers on the CPU clocks. No timing assertion beyond "fired
 * after spinning long enough".
 */
#include <pthread.h>
#include <signal.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>

#include "test.h"

#define NS 1000000000LL
/* Linux's encoding of a thread's CPU clock (include/linux/posix-timers.h). */
#define THREAD_CPUCLOCK(tid) ((clockid_t)((~(unsigned)(tid) << 3) | 6))

static long long clock_ns(clockid_t clk)
{
	struct timespec ts;
	CHECK_SYS(syscall(SYS_clock_gettime, clk, &ts));
	return ts.tv_sec * NS + ts.tv_nsec;
}

static volatile unsigned long g_sink;

/* Spins until clk has advanced by ns. */
static void spin_on(clockid_t clk, long long ns)
{
	long long start = clock_ns(clk);
	while (clock_ns(clk) - start < ns)
		for (int i = 0; i < 100000; i++)
			g_sink += i;
}

static volatile int g_hits[65];

static void on_signal(int sig)
{
	g_hits[sig]++;
}

static void handle(int sig)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sa.sa_flags = SA_RESTART;
	CHECK_SYS(sigaction(sig, &sa, NULL));
}

static void spin_until_hits(int sig, int n)
{
	while (g_hits[sig] < n)
		for (int i = 0; i < 100000; i++)
			g_sink += i;
}

static volatile int g_stop;

static void *spinner(void *arg)
{
	(void)arg;
	while (!g_stop)
		g_sink++;
	return NULL;
}

static void test_clocks(void)
{
	/* Both clocks grow while spinning; the thread's never exceeds the process's. */
	long long p0 = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
	spin_on(CLOCK_THREAD_CPUTIME_ID, 20000000);
	long long p1 = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
	CHECK(p1 - p0 >= 20000000);
	CHECK(clock_ns(CLOCK_THREAD_CPUTIME_ID) <= clock_ns(CLOCK_PROCESS_CPUTIME_ID));

	/* clock_getcpuclockid(0 or own pid) and pthread_getcpuclockid(self). */
	clockid_t mine, self;
	CHECK_EQ(clock_getcpuclockid(0, &mine), 0);
	CHECK(clock_ns(mine) >= p1);
	CHECK_EQ(clock_getcpuclockid(getpid(), &mine), 0);
	CHECK(clock_ns(mine) >= p1);
	CHECK_EQ(pthread_getcpuclockid(pthread_self(), &self), 0);
	long long t0 = clock_ns(self);
	spin_on(self, 5000000);
	CHECK(clock_ns(CLOCK_THREAD_CPUTIME_ID) >= t0 + 5000000);

	/* Resolution: 1 ns for the SCHED clocks. */
	struct timespec res;
	CHECK_SYS(syscall(SYS_clock_getres, CLOCK_PROCESS_CPUTIME_ID, &res));
	CHECK(res.tv_sec == 0 && res.tv_nsec == 1);
	CHECK_SYS(syscall(SYS_clock_getres, mine, &res));
	CHECK(res.tv_sec == 0 && res.tv_nsec == 1);

	/* Another thread's clock grows while it spins. */
	pthread_t th;
	CHECK_EQ(pthread_create(&th, NULL, spinner, NULL), 0);
	clockid_t other;
	CHECK_EQ(pthread_getcpuclockid(th, &other), 0);
	spin_on(other, 20000000);
	g_stop = 1;
	CHECK_EQ(pthread_join(th, NULL), 0);

	/* Another process's clock, a zombie's, and none once it is reaped. */
	pid_t child = fork();
	CHECK_SYS(child);
	if (child == 0) {
		for (;;)
			g_sink++;
	}
	clockid_t cclk;
	CHECK_EQ(clock_getcpuclockid(child, &cclk), 0);
	spin_on(cclk, 20000000);
	/* A thread clock of another process is EINVAL. */
	struct timespec ts;
	CHECK_ERR(syscall(SYS_clock_gettime, THREAD_CPUCLOCK(child), &ts), EINVAL);
	CHECK_SYS(kill(child, SIGKILL));
	siginfo_t si;
	CHECK_SYS(waitid(P_PID, child, &si, WEXITED | WNOWAIT));
	CHECK(clock_ns(cclk) >= 20000000);
	CHECK_SYS(waitpid(child, NULL, 0));
	CHECK_ERR(syscall(SYS_clock_gettime, cclk, &ts), EINVAL);
	CHECK_EQ(clock_getcpuclockid(child, &cclk), ESRCH);

	/* CPUCLOCK_MAX (a posix-clock fd) and unknown clocks. */
	CHECK_ERR(syscall(SYS_clock_gettime, (clockid_t)((~0u << 3) | 3), &ts), EINVAL);
	CHECK_ERR(syscall(SYS_clock_gettime, 100, &ts), EINVAL);
	CHECK_ERR(syscall(SYS_clock_getres, THREAD_CPUCLOCK(999999), &res), EINVAL);
}

static void test_itimers(void)
{
	/* ITIMER_VIRTUAL and ITIMER_PROF fire while the process spins. */
	static const int which[2] = { ITIMER_VIRTUAL, ITIMER_PROF };
	static const int sig[2] = { SIGVTALRM, SIGPROF };
	for (int i = 0; i < 2; i++) {
		handle(sig[i]);
		struct itimerval nv = { .it_interval = { 0, 10000 }, .it_value = { 0, 10000 } },
		                 cur;
		CHECK_SYS(setitimer(which[i], &nv, NULL));
		CHECK_SYS(getitimer(which[i], &cur));
		CHECK_EQ(cur.it_interval.tv_usec, 10000);
		spin_until_hits(sig[i], 3);
		nv = (struct itimerval){ 0 };
		struct itimerval old;
		CHECK_SYS(setitimer(which[i], &nv, &old));
		CHECK_EQ(old.it_interval.tv_usec, 10000);
		CHECK_SYS(getitimer(which[i], &cur));
		CHECK_EQ(cur.it_value.tv_sec | cur.it_value.tv_usec, 0);
		/* A long one counts down (in CPU time). */
		nv.it_value.tv_sec = 1000;
		CHECK_SYS(setitimer(which[i], &nv, NULL));
		CHECK_SYS(getitimer(which[i], &cur));
		CHECK(cur.it_value.tv_sec >= 999 && cur.it_value.tv_sec <= 1001);
		nv = (struct itimerval){ 0 };
		CHECK_SYS(setitimer(which[i], &nv, NULL));
	}
}

static void test_posix_cpu_timers(void)
{
	/* POSIX timers on the process and thread CPU clocks fire while spinning. */
	static const clockid_t clocks[2] = { CLOCK_PROCESS_CPUTIME_ID, CLOCK_THREAD_CPUTIME_ID };
	handle(SIGUSR1);
	for (int i = 0; i < 2; i++) {
		struct sigevent sev;
		memset(&sev, 0, sizeof(sev));
		sev.sigev_notify = SIGEV_SIGNAL;
		sev.sigev_signo = SIGUSR1;
		int id = -1;
		CHECK_SYS(syscall(SYS_timer_create, clocks[i], &sev, &id));
		struct itimerspec its = { .it_value = { 0, 20000000 } };
		g_hits[SIGUSR1] = 0;
		CHECK_SYS(syscall(SYS_timer_settime, id, 0, &its, NULL));
		struct itimerspec cur;
		CHECK_SYS(syscall(SYS_timer_gettime, id, &cur));
		CHECK(cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec > 0);
		spin_until_hits(SIGUSR1, 1);
		CHECK_SYS(syscall(SYS_timer_gettime, id, &cur));
		CHECK_EQ(cur.it_value.tv_sec | cur.it_value.tv_nsec, 0);
		CHECK_SYS(syscall(SYS_timer_delete, id));
	}
	/* A thread clock of another process cannot have a timer. */
	int id;
	CHECK_ERR(syscall(SYS_timer_create, THREAD_CPUCLOCK(999999), NULL, &id), EINVAL);
}

int main(void)
{
	test_clocks();
	test_itimers();
	test_posix_cpu_timers();
	return 0;
}
