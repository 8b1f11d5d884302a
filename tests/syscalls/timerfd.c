/*
 * timerfd: create's flags and clocks, settime and gettime (relative,
 * absolute, periodic, disarming, the old value), reads of the expiration
 * count (EINVAL below 8 bytes, EAGAIN when none, a blocking read waits for
 * one), and the errors. No timing assertion beyond "at least one
 * expiration after waiting".
 */
#include <fcntl.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <time.h>

#include "test.h"

int main(void)
{
	CHECK_ERR(timerfd_create(CLOCK_PROCESS_CPUTIME_ID, 0), EINVAL);
	CHECK_ERR(timerfd_create(CLOCK_MONOTONIC_RAW, 0), EINVAL);
	CHECK_ERR(timerfd_create(CLOCK_TAI, 0), EINVAL);
	CHECK_ERR(timerfd_create(42, 0), EINVAL);
	CHECK_ERR(timerfd_create(CLOCK_MONOTONIC, 0x10), EINVAL);
	int rt = (int)CHECK_SYS(timerfd_create(CLOCK_REALTIME, TFD_CLOEXEC));
	CHECK_EQ(fcntl(rt, F_GETFD), FD_CLOEXEC);
	CHECK_EQ(fcntl(rt, F_GETFL), O_RDWR);
	int bt = (int)CHECK_SYS(timerfd_create(CLOCK_BOOTTIME, TFD_NONBLOCK));
	CHECK_EQ(fcntl(bt, F_GETFL), O_RDWR | O_NONBLOCK);
	int fd = (int)CHECK_SYS(timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK));
	struct stat st;
	CHECK_SYS(fstat(fd, &st));
	CHECK_EQ(st.st_mode, 0600);

	/* Disarmed: gettime is all zeros, a read has nothing. */
	struct itimerspec cur;
	memset(&cur, 0xff, sizeof(cur));
	CHECK_SYS(timerfd_gettime(fd, &cur));
	CHECK_EQ(cur.it_value.tv_sec | cur.it_value.tv_nsec, 0);
	CHECK_EQ(cur.it_interval.tv_sec | cur.it_interval.tv_nsec, 0);
	uint64_t ticks;
	CHECK_ERR(read(fd, &ticks, 8), EAGAIN);
	char small[4];
	CHECK_ERR(read(fd, small, 4), EINVAL);
	CHECK_ERR(write(fd, &ticks, 8), EINVAL);

	/* Armed far away: gettime counts down from at most the value; old value returned. */
	struct itimerspec its = { .it_value = { 1000, 0 }, .it_interval = { 3, 500 } };
	CHECK_SYS(timerfd_settime(fd, 0, &its, NULL));
	CHECK_SYS(timerfd_gettime(fd, &cur));
	CHECK(cur.it_value.tv_sec <= 1000 && cur.it_value.tv_sec >= 900);
	CHECK_EQ(cur.it_interval.tv_sec, 3);
	CHECK_EQ(cur.it_interval.tv_nsec, 500);
	struct itimerspec old;
	its = (struct itimerspec){ 0 };
	CHECK_SYS(timerfd_settime(fd, 0, &its, &old));
	CHECK(old.it_value.tv_sec <= 1000 && old.it_value.tv_sec >= 900);
	CHECK_EQ(old.it_interval.tv_sec, 3);
	CHECK_SYS(timerfd_gettime(fd, &cur));
	CHECK_EQ(cur.it_value.tv_sec | cur.it_value.tv_nsec, 0);

	/* A short one-shot: at least (exactly) one expiration once it fired. */
	its = (struct itimerspec){ .it_value = { 0, 1000 } };
	CHECK_SYS(timerfd_settime(fd, 0, &its, NULL));
	CHECK_SYS(fcntl(fd, F_SETFL, 0)); /* blocking: the read waits for it */
	CHECK_EQ(read(fd, &ticks, 8), 8);
	CHECK_EQ(ticks, 1);
	CHECK_SYS(fcntl(fd, F_SETFL, O_NONBLOCK));
	CHECK_ERR(read(fd, &ticks, 8), EAGAIN);

	/* Absolute, in the past: fires at once. */
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	its = (struct itimerspec){ .it_value = now };
	CHECK_SYS(timerfd_settime(fd, TFD_TIMER_ABSTIME, &its, NULL));
	CHECK_SYS(fcntl(fd, F_SETFL, 0));
	CHECK_EQ(read(fd, &ticks, 8), 8);
	CHECK_EQ(ticks, 1);

	/* Periodic: each read returns the expirations since the last one. */
	its = (struct itimerspec){ .it_value = { 0, 100000 }, .it_interval = { 0, 100000 } };
	CHECK_SYS(timerfd_settime(fd, 0, &its, NULL));
	CHECK_EQ(read(fd, &ticks, 8), 8);
	CHECK(ticks >= 1);
	CHECK_EQ(read(fd, &ticks, 8), 8);
	CHECK(ticks >= 1);
	its = (struct itimerspec){ 0 };
	CHECK_SYS(timerfd_settime(fd, 0, &its, NULL));

	/* The realtime clock with TFD_TIMER_CANCEL_ON_SET: armed like any other. */
	clock_gettime(CLOCK_REALTIME, &now);
	its = (struct itimerspec){ .it_value = { now.tv_sec + 1000, 0 } };
	CHECK_SYS(timerfd_settime(rt, TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET, &its, NULL));
	CHECK_SYS(timerfd_gettime(rt, &cur));
	CHECK(cur.it_value.tv_sec > 900);

	/* Errors: flags, timespecs, fds, pointers. */
	its = (struct itimerspec){ .it_value = { 1, 0 } };
	CHECK_ERR(timerfd_settime(fd, 4, &its, NULL), EINVAL);
	its.it_value.tv_nsec = 1000000000;
	CHECK_ERR(timerfd_settime(fd, 0, &its, NULL), EINVAL);
	its.it_value = (struct timespec){ -1, 0 };
	CHECK_ERR(timerfd_settime(fd, 0, &its, NULL), EINVAL);
	its.it_value = (struct timespec){ 0, 0 };
	its.it_interval = (struct timespec){ 0, -1 };
	CHECK_ERR(timerfd_settime(fd, 0, &its, NULL), EINVAL);
	/* EINVAL for the values comes before EBADF for the fd. */
	CHECK_ERR(timerfd_settime(999, 0, &its, NULL), EINVAL);
	its.it_interval = (struct timespec){ 0, 0 };
	CHECK_ERR(timerfd_settime(999, 0, &its, NULL), EBADF);
	int e = (int)CHECK_SYS(eventfd(0, 0));
	CHECK_ERR(timerfd_settime(e, 0, &its, NULL), EINVAL);
	CHECK_ERR(timerfd_gettime(e, &cur), EINVAL);
	CHECK_ERR(timerfd_gettime(999, &cur), EBADF);
	CHECK_ERR(timerfd_settime(fd, 0, (void *)8, NULL), EFAULT);
	CHECK_ERR(timerfd_gettime(fd, (void *)8), EFAULT);
	CHECK_ERR(timerfd_settime(fd, 0, &its, (void *)8), EFAULT);
	close(e);
	close(fd);
	close(bt);
	close(rt);
	return 0;
}
