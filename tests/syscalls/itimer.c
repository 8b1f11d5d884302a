/*
 * alarm, setitimer and getitimer (ITIMER_REAL): the remaining time counts
 * down and is returned by the next call (alarm rounds to the nearest
 * second), a NULL new value disarms, the errors, and an expiry: with
 * SIGALRM blocked, a short timer leaves SIGALRM pending (the program is an
 * init, which would drop it otherwise). No timing assertion beyond
 * "pending after waiting".
 */
#include <signal.h>
#include <sys/time.h>
#include <time.h>

#include "test.h"

int main(void)
{
	CHECK_EQ(alarm(100), 0);
	unsigned left = alarm(50);
	CHECK(left >= 99 && left <= 100);
	struct itimerval cur;
	CHECK_SYS(getitimer(ITIMER_REAL, &cur));
	CHECK(cur.it_value.tv_sec >= 49 && cur.it_value.tv_sec <= 50);
	CHECK_EQ(cur.it_interval.tv_sec | cur.it_interval.tv_usec, 0);
	left = alarm(0);
	CHECK(left >= 49 && left <= 50);
	CHECK_SYS(getitimer(ITIMER_REAL, &cur));
	CHECK_EQ(cur.it_value.tv_sec | cur.it_value.tv_usec, 0);
	CHECK_EQ(alarm(0), 0);

	/* setitimer: the old value; an interval; disarming with NULL (a Linux extension). */
	struct itimerval nv = { .it_interval = { 7, 0 }, .it_value = { 1000, 0 } }, old;
	CHECK_SYS(setitimer(ITIMER_REAL, &nv, &old));
	CHECK_EQ(old.it_value.tv_sec | old.it_value.tv_usec, 0);
	CHECK_SYS(setitimer(ITIMER_REAL, &nv, &old));
	CHECK(old.it_value.tv_sec >= 999 && old.it_value.tv_sec <= 1000);
	CHECK_EQ(old.it_interval.tv_sec, 7);
	/* alarm sees (and replaces) the same timer; less than a second left counts as 1. */
	left = alarm(0);
	CHECK(left >= 999 && left <= 1000);
	nv.it_value = (struct timeval){ 900, 0 };
	CHECK_SYS(setitimer(ITIMER_REAL, &nv, NULL));
	CHECK_SYS(syscall(SYS_setitimer, ITIMER_REAL, NULL, &old));
	CHECK(old.it_value.tv_sec >= 899);
	CHECK_SYS(getitimer(ITIMER_REAL, &cur));
	CHECK_EQ(cur.it_value.tv_sec | cur.it_value.tv_usec, 0);

	/* Errors. */
	CHECK_ERR(getitimer(3, &cur), EINVAL);
	CHECK_ERR(getitimer(ITIMER_REAL, (void *)8), EFAULT);
	nv = (struct itimerval){ .it_value = { 1, 1000000 } };
	CHECK_ERR(setitimer(ITIMER_REAL, &nv, NULL), EINVAL);
	nv = (struct itimerval){ .it_value = { -1, 0 } };
	CHECK_ERR(setitimer(ITIMER_REAL, &nv, NULL), EINVAL);
	nv = (struct itimerval){ .it_value = { 1, 0 } };
	CHECK_ERR(setitimer(5, &nv, NULL), EINVAL);
	CHECK_ERR(setitimer(ITIMER_REAL, (void *)8, NULL), EFAULT);
	/* Disarmed CPU-time timers read as disarmed. */
	CHECK_SYS(getitimer(ITIMER_VIRTUAL, &cur));
	CHECK_EQ(cur.it_value.tv_sec | cur.it_value.tv_usec, 0);

	/* An expiry, with SIGALRM blocked: pending afterwards. */
	sigset_t set, pending;
	sigemptyset(&set);
	sigaddset(&set, SIGALRM);
	CHECK_SYS(sigprocmask(SIG_BLOCK, &set, NULL));
	nv = (struct itimerval){ .it_value = { 0, 1000 } };
	CHECK_SYS(setitimer(ITIMER_REAL, &nv, NULL));
	for (;;) {
		CHECK_SYS(sigpending(&pending));
		if (sigismember(&pending, SIGALRM))
			break;
		struct timespec ts = { 0, 1000000 };
		nanosleep(&ts, NULL);
	}
	/* A one-shot timer is disarmed once it fired. */
	CHECK_SYS(getitimer(ITIMER_REAL, &cur));
	CHECK_EQ(cur.it_value.tv_sec | cur.it_value.tv_usec, 0);
	return 0;
}
