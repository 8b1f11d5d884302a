/* time_gettimeofday: time and gettimeofday, raw and through glibc, agree with CLOCK_REALTIME. */
#include <sys/time.h>
#include <time.h>

#include "test.h"

int main(void)
{
	/* time(NULL) and time(&t) give the same value, and store it. */
	long t0 = syscall(SYS_time, NULL);
	time_t stored = 0;
	long t1 = syscall(SYS_time, &stored);
	CHECK_EQ(stored, t1);
	CHECK(t0 <= t1);
	CHECK(t0 > 1600000000L);

	/* gettimeofday with a NULL timezone; microseconds in range. */
	struct timeval tv = { -1, -1 };
	CHECK_EQ(syscall(SYS_gettimeofday, &tv, NULL), 0);
	CHECK(tv.tv_usec >= 0 && tv.tv_usec < 1000000);
	struct timespec ts;
	CHECK_EQ(syscall(SYS_clock_gettime, CLOCK_REALTIME, &ts), 0);
	long t2 = syscall(SYS_time, NULL);
	/*
	 * In order: time() <= gettimeofday <= CLOCK_REALTIME. time() reads the coarse clock,
	 * which may lag the fine one by a tick, so t2 may be one second behind.
	 */
	CHECK(t1 <= tv.tv_sec);
	CHECK(tv.tv_sec < ts.tv_sec ||
	      (tv.tv_sec == ts.tv_sec && tv.tv_usec * 1000L <= ts.tv_nsec));
	CHECK(ts.tv_sec <= t2 + 1);

	/* A timezone can be asked for: it is filled in (UTC on a normal system is 0, 0). */
	struct timezone tz = { -12345, -12345 };
	CHECK_EQ(syscall(SYS_gettimeofday, &tv, &tz), 0);
	CHECK(tz.tz_minuteswest != -12345);
	CHECK(tz.tz_minuteswest >= -24 * 60 && tz.tz_minuteswest <= 24 * 60);
	CHECK_EQ(syscall(SYS_gettimeofday, NULL, &tz), 0);

	/* glibc's versions (possibly the vDSO) agree with the raw ones. */
	struct timeval gtv;
	CHECK_EQ(gettimeofday(&gtv, NULL), 0);
	long t3 = syscall(SYS_time, NULL);
	CHECK(gtv.tv_sec >= tv.tv_sec && gtv.tv_sec <= t3 + 1);
	long t4 = (long)time(NULL);
	CHECK(t4 >= t3 && t4 <= syscall(SYS_time, NULL) + 1);
	return 0;
}
