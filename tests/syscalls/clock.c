/* clock: clock_gettime and clock_getres through the raw system calls (never the vDSO). */
#include <time.h>

#include "test.h"

static struct timespec now(clockid_t clk)
{
	struct timespec ts = { -1, -1 };

	CHECK_EQ(syscall(SYS_clock_gettime, clk, &ts), 0);
	CHECK(ts.tv_nsec >= 0 && ts.tv_nsec < 1000000000);
	CHECK(ts.tv_sec >= 0);
	return ts;
}

static int before_or_same(struct timespec a, struct timespec b)
{
	return a.tv_sec < b.tv_sec || (a.tv_sec == b.tv_sec && a.tv_nsec <= b.tv_nsec);
}

/* check_monotonic samples clk n times and checks that it never goes backwards. */
static void check_monotonic(clockid_t clk, int n)
{
	struct timespec prev = now(clk);

	for (int i = 0; i < n; i++) {
		struct timespec cur = now(clk);
		if (!before_or_same(prev, cur))
			test_fail(__FILE__, __LINE__,
			          "clock %d went back: %ld.%09ld then %ld.%09ld", (int)clk,
			          (long)prev.tv_sec, prev.tv_nsec, (long)cur.tv_sec, cur.tv_nsec);
		prev = cur;
	}
}

static void check_res(clockid_t clk, long max_nsec)
{
	struct timespec res = { -1, -1 };

	CHECK_EQ(syscall(SYS_clock_getres, clk, &res), 0);
	CHECK_EQ(res.tv_sec, 0);
	CHECK(res.tv_nsec >= 1 && res.tv_nsec <= max_nsec);
}

int main(void)
{
	/* CLOCK_MONOTONIC never goes backwards over 10000 samples; nor do the others. */
	check_monotonic(CLOCK_MONOTONIC, 10000);
	check_monotonic(CLOCK_MONOTONIC_RAW, 1000);
	check_monotonic(CLOCK_MONOTONIC_COARSE, 1000);
	check_monotonic(CLOCK_BOOTTIME, 1000);
	check_monotonic(CLOCK_PROCESS_CPUTIME_ID, 1000);
	check_monotonic(CLOCK_THREAD_CPUTIME_ID, 1000);

	/* BOOTTIME includes suspend time: it is never behind MONOTONIC. */
	struct timespec mono = now(CLOCK_MONOTONIC);
	struct timespec boot = now(CLOCK_BOOTTIME);
	CHECK(before_or_same(mono, boot));
	/* The process has used some CPU time, no more than the time since boot. */
	struct timespec cpu = now(CLOCK_PROCESS_CPUTIME_ID);
	CHECK(cpu.tv_sec > 0 || cpu.tv_nsec > 0);
	CHECK(before_or_same(cpu, now(CLOCK_MONOTONIC)));
	struct timespec tcpu = now(CLOCK_THREAD_CPUTIME_ID);
	CHECK(before_or_same(tcpu, now(CLOCK_PROCESS_CPUTIME_ID)));

	/* CLOCK_REALTIME agrees with time() to within a second (time() is the coarse clock). */
	long t1 = syscall(SYS_time, NULL);
	struct timespec real = now(CLOCK_REALTIME);
	long t2 = syscall(SYS_time, NULL);
	CHECK(t1 <= real.tv_sec && real.tv_sec <= t2 + 1);
	CHECK(real.tv_sec > 1600000000L); /* after September 2020 */
	struct timespec coarse = now(CLOCK_REALTIME_COARSE);
	CHECK(coarse.tv_sec >= real.tv_sec - 1 && coarse.tv_sec <= real.tv_sec + 1);
	/* CLOCK_TAI is CLOCK_REALTIME plus the TAI offset (0 to 37 s, as set by NTP). */
	struct timespec tai = now(CLOCK_TAI);
	CHECK(tai.tv_sec >= real.tv_sec && tai.tv_sec <= real.tv_sec + 38);

	/* The high-resolution clocks have 1 ns resolution; the coarse ones one tick (<= 10 ms). */
	check_res(CLOCK_REALTIME, 1);
	check_res(CLOCK_MONOTONIC, 1);
	check_res(CLOCK_MONOTONIC_RAW, 1);
	check_res(CLOCK_BOOTTIME, 1);
	check_res(CLOCK_TAI, 1);
	check_res(CLOCK_PROCESS_CPUTIME_ID, 1);
	check_res(CLOCK_THREAD_CPUTIME_ID, 1);
	check_res(CLOCK_REALTIME_COARSE, 10000000);
	check_res(CLOCK_MONOTONIC_COARSE, 10000000);

	/* EINVAL: unknown clock ids, both calls. -1 is not a valid CPU clock encoding either. */
	static const long bad[] = { 100, -1, 10, 12, 16, 0x7fffffff };
	struct timespec ts;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK_ERR(syscall(SYS_clock_gettime, bad[i], &ts), EINVAL);
		CHECK_ERR(syscall(SYS_clock_getres, bad[i], &ts), EINVAL);
		CHECK_ERR(syscall(SYS_clock_getres, bad[i], NULL), EINVAL);
	}
	/* The CPU clock of this process (pid 0 means "self"), as made by clock_getcpuclockid. */
	clockid_t self;
	CHECK_EQ(clock_getcpuclockid(0, &self), 0);
	CHECK_EQ(syscall(SYS_clock_gettime, self, &ts), 0);
	return 0;
}
