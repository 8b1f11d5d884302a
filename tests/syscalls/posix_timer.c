/*
 * POSIX timers (timer_create, timer_settime, timer_gettime,
 * timer_getoverrun, timer_delete) through the raw system calls: ids from 0
 * per process, SIGEV_NONE's countdown, absolute times, SIGEV_SIGNAL with
 * its siginfo (SI_TIMER, si_timerid, si_value) in a SA_SIGINFO handler,
 * the default sigevent, SIGEV_THREAD_ID to one thread, overruns counted
 * while the signal is blocked, intervals, the errors, timers not inherited
 * by a fork child and deleted by execve (this program re-executes itself
 * with "after-exec ID"). No timing assertion beyond "fired after waiting".
 */
#include <pthread.h>
#include <signal.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>

#include "test.h"

#define NS 1000000000LL

static int tcreate(clockid_t clk, struct sigevent *sev)
{
	int id = -1;
	CHECK_SYS(syscall(SYS_timer_create, clk, sev, &id));
	CHECK(id >= 0);
	return id;
}

static void tset(int id, int flags, long long value_ns, long long interval_ns,
                 struct itimerspec *old)
{
	struct itimerspec its = {
		.it_interval = { interval_ns / NS, interval_ns % NS },
		.it_value = { value_ns / NS, value_ns % NS },
	};
	CHECK_SYS(syscall(SYS_timer_settime, id, flags, &its, old));
}

static long long tget(int id, long long *interval_ns)
{
	struct itimerspec its;
	CHECK_SYS(syscall(SYS_timer_gettime, id, &its));
	CHECK(its.it_value.tv_nsec >= 0 && its.it_value.tv_nsec < NS);
	if (interval_ns)
		*interval_ns = its.it_interval.tv_sec * NS + its.it_interval.tv_nsec;
	return its.it_value.tv_sec * NS + its.it_value.tv_nsec;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) != 0)
		CHECK_EQ(errno, EINTR);
}

static struct sigevent sigev(int notify, int signo, void *ptr)
{
	struct sigevent sev;
	memset(&sev, 0, sizeof(sev));
	sev.sigev_notify = notify;
	sev.sigev_signo = signo;
	sev.sigev_value.sival_ptr = ptr;
	return sev;
}

/* What the SIGUSR1 handler saw. */
static volatile int g_hits;
static volatile int g_code, g_timerid, g_overrun, g_tid;
static void *volatile g_ptr;

static void on_timer(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	g_code = si->si_code;
	g_timerid = si->si_timerid;
	g_overrun = si->si_overrun;
	g_ptr = si->si_value.sival_ptr;
	g_tid = (int)syscall(SYS_gettid);
	g_hits++;
}

static void handle(int sig)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_timer;
	sa.sa_flags = SA_SIGINFO;
	CHECK_SYS(sigaction(sig, &sa, NULL));
}

static void block(int sig, int how)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, sig);
	CHECK_SYS(pthread_sigmask(how, &set, NULL) == 0 ? 0 : -1);
}

/* Waits (blocked) for sig: its siginfo. */
static siginfo_t wait_sig(int sig)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, sig);
	siginfo_t si;
	struct timespec ts = { 1, 0 };
	for (;;) {
		int r = sigtimedwait(&set, &si, &ts);
		if (r == sig)
			return si;
		CHECK(errno == EAGAIN || errno == EINTR);
	}
}

static void test_ids_and_none(void)
{
	struct sigevent none = sigev(SIGEV_NONE, 0, NULL);
	/* Ids count from 0 in each process and are not reused at once. */
	int a = tcreate(CLOCK_MONOTONIC, &none);
	CHECK_EQ(a, 0);
	/* (SIGWINCH is ignored by default: b never fires in this test anyway.) */
	struct sigevent winch = sigev(SIGEV_SIGNAL, SIGWINCH, NULL);
	int b = tcreate(CLOCK_REALTIME, &winch);
	CHECK_EQ(b, 1);
	CHECK_SYS(syscall(SYS_timer_delete, a));
	int c = tcreate(CLOCK_BOOTTIME, &none);
	CHECK_EQ(c, 2);

	/* A new timer is disarmed; SIGEV_NONE counts down without a signal. */
	long long iv;
	CHECK_EQ(tget(c, &iv), 0);
	CHECK_EQ(iv, 0);
	tset(c, 0, 100 * NS, 0, NULL);
	long long left = tget(c, &iv);
	CHECK(left > 99 * NS && left <= 100 * NS);
	CHECK_EQ(iv, 0);
	sleep_ms(20);
	long long later = tget(c, NULL);
	CHECK(later < left);
	/*
	 * The old value; a new interval; disarming (of a timer with a signal:
	 * Linux 6.18 still reads a disarmed SIGEV_NONE timer's last expiry).
	 */
	tset(b, 0, 100 * NS, 0, NULL);
	struct itimerspec old;
	tset(b, 0, 50 * NS, 7 * NS, &old);
	CHECK(old.it_value.tv_sec >= 98 && old.it_value.tv_sec <= 99);
	CHECK_EQ(old.it_interval.tv_sec, 0);
	left = tget(b, &iv);
	CHECK(left > 49 * NS && left <= 50 * NS);
	CHECK_EQ(iv, 7 * NS);
	tset(b, 0, 0, 0, &old);
	CHECK(old.it_value.tv_sec >= 49 && old.it_value.tv_sec <= 50);
	CHECK_EQ(old.it_interval.tv_sec, 7);
	CHECK_EQ(tget(b, &iv), 0);
	CHECK_EQ(iv, 0);

	/* An expired one-shot SIGEV_NONE timer reads 0; a periodic one its next expiry. */
	tset(c, 0, 1000, 0, NULL);
	tset(b, 0, 1000, 50000000, NULL);
	sleep_ms(10);
	CHECK_EQ(tget(c, NULL), 0);
	left = tget(b, &iv);
	CHECK(left > 0 && left <= 50000000);
	CHECK_EQ(iv, 50000000);

	/* TIMER_ABSTIME: a time on the timer's clock; one in the past has expired. */
	struct timespec now;
	CHECK_SYS(clock_gettime(CLOCK_BOOTTIME, &now));
	tset(c, TIMER_ABSTIME, (now.tv_sec + 100) * NS + now.tv_nsec, 0, NULL);
	left = tget(c, NULL);
	CHECK(left > 99 * NS && left <= 100 * NS);
	tset(c, TIMER_ABSTIME, 1, 0, NULL);
	CHECK_EQ(tget(c, NULL), 0);
	CHECK_EQ(syscall(SYS_timer_getoverrun, c), 0);

	CHECK_SYS(syscall(SYS_timer_delete, b));
	CHECK_SYS(syscall(SYS_timer_delete, c));
}

static void test_errors(void)
{
	struct sigevent none = sigev(SIGEV_NONE, 0, NULL);
	int id = -1;
	CHECK_ERR(syscall(SYS_timer_create, 100, &none, &id), EINVAL);
	CHECK_ERR(syscall(SYS_timer_create, CLOCK_MONOTONIC, (void *)8, &id), EFAULT);
	struct sigevent bad = sigev(99, SIGUSR1, NULL);
	CHECK_ERR(syscall(SYS_timer_create, CLOCK_MONOTONIC, &bad, &id), EINVAL);
	bad = sigev(SIGEV_SIGNAL, 0, NULL);
	CHECK_ERR(syscall(SYS_timer_create, CLOCK_MONOTONIC, &bad, &id), EINVAL);
	bad = sigev(SIGEV_SIGNAL, 65, NULL);
	CHECK_ERR(syscall(SYS_timer_create, CLOCK_MONOTONIC, &bad, &id), EINVAL);
	/* SIGEV_THREAD_ID needs a thread of the caller's process. */
	bad = sigev(SIGEV_THREAD_ID, SIGUSR1, NULL);
	bad._sigev_un._tid = 999999;
	CHECK_ERR(syscall(SYS_timer_create, CLOCK_MONOTONIC, &bad, &id), EINVAL);
	pid_t child = fork();
	CHECK_SYS(child);
	if (child == 0) {
		pause();
		_exit(0);
	}
	bad._sigev_un._tid = child;
	CHECK_ERR(syscall(SYS_timer_create, CLOCK_MONOTONIC, &bad, &id), EINVAL);
	CHECK_SYS(kill(child, SIGKILL));
	CHECK_SYS(waitpid(child, NULL, 0));

	id = tcreate(CLOCK_MONOTONIC, &none);
	struct itimerspec its = { .it_value = { 1, 0 } };
	CHECK_ERR(syscall(SYS_timer_settime, id, 0, NULL, NULL), EINVAL);
	CHECK_ERR(syscall(SYS_timer_settime, id, 0, (void *)8, NULL), EFAULT);
	CHECK_ERR(syscall(SYS_timer_settime, id + 1000, 0, &its, NULL), EINVAL);
	its.it_value.tv_nsec = NS;
	CHECK_ERR(syscall(SYS_timer_settime, id, 0, &its, NULL), EINVAL);
	its = (struct itimerspec){ .it_value = { -1, 0 } };
	CHECK_ERR(syscall(SYS_timer_settime, id, 0, &its, NULL), EINVAL);
	its = (struct itimerspec){ .it_value = { 1, 0 }, .it_interval = { 0, -1 } };
	CHECK_ERR(syscall(SYS_timer_settime, id, 0, &its, NULL), EINVAL);
	CHECK_ERR(syscall(SYS_timer_gettime, id + 1000, &its), EINVAL);
	CHECK_ERR(syscall(SYS_timer_gettime, id, (void *)8), EFAULT);
	CHECK_ERR(syscall(SYS_timer_getoverrun, id + 1000), EINVAL);
	CHECK_ERR(syscall(SYS_timer_getoverrun, -1), EINVAL);
	CHECK_SYS(syscall(SYS_timer_delete, id));
	CHECK_ERR(syscall(SYS_timer_delete, id), EINVAL);
	CHECK_ERR(syscall(SYS_timer_gettime, id, &its), EINVAL);
}

static void test_signal(void)
{
	/* SIGEV_SIGNAL: the handler gets SI_TIMER, the id and sigev_value. */
	handle(SIGUSR1);
	void *cookie = (void *)0x1234abcd5678ULL;
	struct sigevent sev = sigev(SIGEV_SIGNAL, SIGUSR1, cookie);
	int id = tcreate(CLOCK_MONOTONIC, &sev);
	g_hits = 0;
	tset(id, 0, 1000000, 0, NULL);
	while (g_hits == 0)
		sleep_ms(1);
	CHECK_EQ(g_hits, 1);
	CHECK_EQ(g_code, SI_TIMER);
	CHECK_EQ(g_timerid, id);
	CHECK_EQ(g_overrun, 0);
	CHECK_EQ((long long)g_ptr, (long long)cookie);
	CHECK_EQ(tget(id, NULL), 0); /* a one-shot timer is disarmed once fired */

	/* An interval: it keeps firing until disarmed. */
	g_hits = 0;
	tset(id, 0, 1000000, 2000000, NULL);
	while (g_hits < 3)
		sleep_ms(1);
	long long iv;
	long long left = tget(id, &iv);
	CHECK(left > 0 && left <= 2000000);
	CHECK_EQ(iv, 2000000);
	tset(id, 0, 0, 0, NULL);
	CHECK_SYS(syscall(SYS_timer_delete, id));

	/* No sigevent: SIGALRM with the id as its value. */
	block(SIGALRM, SIG_BLOCK);
	id = tcreate(CLOCK_REALTIME, NULL);
	tset(id, 0, 1000000, 0, NULL);
	siginfo_t si = wait_sig(SIGALRM);
	CHECK_EQ(si.si_code, SI_TIMER);
	CHECK_EQ(si.si_timerid, id);
	CHECK_EQ(si.si_value.sival_int, id);
	CHECK_SYS(syscall(SYS_timer_delete, id));
}

static void test_overrun(void)
{
	/*
	 * A periodic timer whose real-time signal stays blocked: one siginfo
	 * queued, the other expirations are its si_overrun, which
	 * timer_getoverrun reports once it is taken.
	 */
	int sig = SIGRTMIN + 1;
	block(sig, SIG_BLOCK);
	struct sigevent sev = sigev(SIGEV_SIGNAL, sig, (void *)42);
	int id = tcreate(CLOCK_MONOTONIC, &sev);
	tset(id, 0, 1000000, 1000000, NULL);
	sleep_ms(200);
	siginfo_t si = wait_sig(sig);
	CHECK_EQ(si.si_code, SI_TIMER);
	CHECK_EQ(si.si_timerid, id);
	CHECK_EQ((long)si.si_value.sival_ptr, 42);
	CHECK(si.si_overrun >= 1);
	CHECK_EQ(syscall(SYS_timer_getoverrun, id), si.si_overrun);
	CHECK_SYS(syscall(SYS_timer_delete, id));
}

static volatile int g_thread_tid;
static volatile int g_stop;

static void *target_thread(void *arg)
{
	(void)arg;
	g_thread_tid = (int)syscall(SYS_gettid);
	block(SIGUSR2, SIG_UNBLOCK);
	while (!g_stop)
		sleep_ms(1);
	return NULL;
}

static void test_thread_id(void)
{
	/* SIGEV_THREAD_ID: the signal goes to that thread (the others block it). */
	handle(SIGUSR2);
	block(SIGUSR2, SIG_BLOCK);
	pthread_t th;
	CHECK_EQ(pthread_create(&th, NULL, target_thread, NULL), 0);
	while (!g_thread_tid)
		sleep_ms(1);
	struct sigevent sev = sigev(SIGEV_THREAD_ID, SIGUSR2, (void *)7);
	sev._sigev_un._tid = g_thread_tid;
	int id = tcreate(CLOCK_MONOTONIC, &sev);
	g_hits = 0;
	tset(id, 0, 1000000, 0, NULL);
	while (g_hits == 0)
		sleep_ms(1);
	CHECK_EQ(g_tid, g_thread_tid);
	CHECK_EQ(g_code, SI_TIMER);
	CHECK_EQ((long)g_ptr, 7);
	g_stop = 1;
	CHECK_EQ(pthread_join(th, NULL), 0);
	CHECK_SYS(syscall(SYS_timer_delete, id));
}

static void test_fork(void)
{
	/* A fork child inherits neither the POSIX timers nor ITIMER_REAL; its ids start at 0. */
	struct sigevent none = sigev(SIGEV_NONE, 0, NULL);
	int id = tcreate(CLOCK_MONOTONIC, &none);
	CHECK(id > 0);
	tset(id, 0, 100 * NS, 0, NULL);
	struct itimerval real = { .it_value = { 100, 0 } }, cur;
	CHECK_SYS(setitimer(ITIMER_REAL, &real, NULL));
	pid_t child = fork();
	CHECK_SYS(child);
	if (child == 0) {
		struct itimerspec its;
		CHECK_ERR(syscall(SYS_timer_gettime, id, &its), EINVAL);
		CHECK_EQ(tcreate(CLOCK_MONOTONIC, &none), 0);
		CHECK_SYS(getitimer(ITIMER_REAL, &cur));
		CHECK_EQ(cur.it_value.tv_sec | cur.it_value.tv_usec, 0);
		_exit(0);
	}
	int status;
	CHECK_SYS(waitpid(child, &status, 0));
	CHECK_EQ(status, 0);
	CHECK(tget(id, NULL) > 0);
	CHECK_SYS(syscall(SYS_timer_delete, id));
}

static void exec_self(void)
{
	/* execve deletes the POSIX timers and keeps ITIMER_REAL. */
	struct sigevent none = sigev(SIGEV_NONE, 0, NULL);
	int id = tcreate(CLOCK_MONOTONIC, &none);
	tset(id, 0, 100 * NS, 0, NULL);
	struct itimerval real = { .it_value = { 100, 0 } };
	CHECK_SYS(setitimer(ITIMER_REAL, &real, NULL));
	char arg[16];
	snprintf(arg, sizeof(arg), "%d", id);
	char *argv[] = { "posix_timer", "after-exec", arg, NULL };
	execv("/proc/self/exe", argv);
	test_fail(__FILE__, __LINE__, "execv: %s", test_errname(errno));
}

static int after_exec(int id)
{
	struct itimerspec its;
	CHECK_ERR(syscall(SYS_timer_gettime, id, &its), EINVAL);
	CHECK_ERR(syscall(SYS_timer_delete, id), EINVAL);
	struct itimerval cur;
	CHECK_SYS(getitimer(ITIMER_REAL, &cur));
	CHECK(cur.it_value.tv_sec > 0 && cur.it_value.tv_sec <= 100);
	struct itimerval off = { 0 };
	CHECK_SYS(setitimer(ITIMER_REAL, &off, NULL));
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "after-exec") == 0)
		return after_exec(atoi(argv[2]));
	test_ids_and_none();
	test_errors();
	test_signal();
	test_overrun();
	test_thread_id();
	test_fork();
	exec_self();
}
