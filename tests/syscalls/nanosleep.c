/*
 * nanosleep: sleeps last at least as long as asked (never checked from above: no timing
 * upper bounds in tests), invalid times are EINVAL, and clock_nanosleep's conventions.
 */
#include <time.h>

#include "test.h"

#define MS 1000000L

static long long now_ns(clockid_t clk)
{
	struct timespec ts;

	CHECK_EQ(syscall(SYS_clock_gettime, clk, &ts), 0);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(void)
{
	/* nanosleep(20 ms) takes at least 20 ms of CLOCK_MONOTONIC. */
	struct timespec req = { 0, 20 * MS };
	struct timespec rem = { 123, 456 };
	long long t0 = now_ns(CLOCK_MONOTONIC);
	CHECK_EQ(syscall(SYS_nanosleep, &req, &rem), 0);
	CHECK(now_ns(CLOCK_MONOTONIC) - t0 >= 20 * MS);
	/* A sleep of zero returns at once, successfully. */
	req = (struct timespec){ 0, 0 };
	CHECK_EQ(syscall(SYS_nanosleep, &req, NULL), 0);

	/* EINVAL: tv_nsec >= 1e9 or negative, tv_sec negative. */
	req = (struct timespec){ 0, 1000000000 };
	CHECK_ERR(syscall(SYS_nanosleep, &req, NULL), EINVAL);
	req = (struct timespec){ 0, -1 };
	CHECK_ERR(syscall(SYS_nanosleep, &req, NULL), EINVAL);
	req = (struct timespec){ -1, 0 };
	CHECK_ERR(syscall(SYS_nanosleep, &req, NULL), EINVAL);

	/* clock_nanosleep, relative, on each sleepable clock. */
	static const clockid_t clocks[] = { CLOCK_MONOTONIC, CLOCK_REALTIME, CLOCK_BOOTTIME };
	for (size_t i = 0; i < sizeof(clocks) / sizeof(clocks[0]); i++) {
		req = (struct timespec){ 0, 20 * MS };
		t0 = now_ns(clocks[i]);
		CHECK_EQ(syscall(SYS_clock_nanosleep, clocks[i], 0, &req, NULL), 0);
		CHECK(now_ns(clocks[i]) - t0 >= 20 * MS);
	}
	/* TIMER_ABSTIME: sleeps until the clock reads the target, at least. */
	long long target = now_ns(CLOCK_MONOTONIC) + 20 * MS;
	req = (struct timespec){ target / 1000000000, target % 1000000000 };
	CHECK_EQ(syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, TIMER_ABSTIME, &req, NULL), 0);
	CHECK(now_ns(CLOCK_MONOTONIC) >= target);
	/* A time in the past returns 0 immediately (it would hang the test otherwise). */
	req = (struct timespec){ 1, 0 };
	CHECK_EQ(syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, TIMER_ABSTIME, &req, NULL), 0);
	req = (struct timespec){ 0, 0 };
	CHECK_EQ(syscall(SYS_clock_nanosleep, CLOCK_REALTIME, TIMER_ABSTIME, &req, NULL), 0);
	/* Unknown flags are ignored. */
	CHECK_EQ(syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, 2, &req, NULL), 0);

	/* glibc's clock_nanosleep returns the error number instead of setting errno. */
	req = (struct timespec){ 0, -1 };
	errno = 0;
	CHECK_EQ(clock_nanosleep(CLOCK_MONOTONIC, 0, &req, NULL), EINVAL);
	CHECK_EQ(errno, 0);
	/* The raw call: EINVAL for bad times, absolute or not. */
	CHECK_ERR(syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, &req, NULL), EINVAL);
	req = (struct timespec){ -1, 0 };
	CHECK_ERR(syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, TIMER_ABSTIME, &req, NULL), EINVAL);
	req = (struct timespec){ 0, 1000000000 };
	CHECK_ERR(syscall(SYS_clock_nanosleep, CLOCK_REALTIME, 0, &req, NULL), EINVAL);

	/*
	 * The clock must support sleeping. Linux says EINVAL for an unknown clock, but
	 * EOPNOTSUPP for a known clock without a sleep operation. CLOCK_THREAD_CPUTIME_ID is
	 * one: the man page's EINVAL for it comes from glibc, which checks before the call.
	 */
	req = (struct timespec){ 0, 0 };
	CHECK_ERR(syscall(SYS_clock_nanosleep, 100, 0, &req, NULL), EINVAL);
	CHECK_ERR(syscall(SYS_clock_nanosleep, -1, 0, &req, NULL), EINVAL);
	CHECK_ERR(syscall(SYS_clock_nanosleep, CLOCK_THREAD_CPUTIME_ID, 0, &req, NULL), EOPNOTSUPP);
	CHECK_ERR(syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC_RAW, 0, &req, NULL), EOPNOTSUPP);
	CHECK_ERR(syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC_COARSE, 0, &req, NULL), EOPNOTSUPP);
	CHECK_ERR(syscall(SYS_clock_nanosleep, CLOCK_REALTIME_COARSE, 0, &req, NULL), EOPNOTSUPP);
	CHECK_EQ(clock_nanosleep(CLOCK_THREAD_CPUTIME_ID, 0, &req, NULL), EINVAL);
	return 0;
}
