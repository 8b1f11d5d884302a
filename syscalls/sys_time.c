/*
 * Time system calls: clock_gettime, clock_getres, gettimeofday, time,
 * nanosleep, clock_nanosleep.
 */
#include <errno.h>

#include "sentry/kernel/kernel.h"
#include "sentry/kernel/ktime.h"
#include "sentry/mm/mm.h"
#include "syscalls/syscalls.h"

static bool timespec_valid(const struct linux_timespec *ts)
{
	return ts->tv_sec >= 0 && ts->tv_nsec >= 0 && ts->tv_nsec < LINUX_NSEC_PER_SEC;
}

/* sys_clock_gettime implements clock_gettime(2). */
long sys_clock_gettime(struct task *t, const struct sys_args *a)
{
	struct linux_timespec ts;
	int err = ktime_get(t, (int)a->a[0], &ts);
	if (err < 0)
		return err;
	return mm_copy_out(t->mm, a->a[1], &ts, sizeof(ts));
}

/* sys_clock_getres implements clock_getres(2); a NULL res only checks the clock. */
long sys_clock_getres(struct task *t, const struct sys_args *a)
{
	struct linux_timespec ts;
	int err = ktime_getres(t, (int)a->a[0], &ts);
	if (err < 0 || !a->a[1])
		return err;
	return mm_copy_out(t->mm, a->a[1], &ts, sizeof(ts));
}

/* sys_gettimeofday implements gettimeofday(2); the sandbox's timezone is UTC. */
long sys_gettimeofday(struct task *t, const struct sys_args *a)
{
	if (a->a[0]) {
		struct linux_timespec ts;
		ktime_get(t, LINUX_CLOCK_REALTIME, &ts);
		struct linux_timeval tv = { ts.tv_sec, ts.tv_nsec / 1000 };
		int err = mm_copy_out(t->mm, a->a[0], &tv, sizeof(tv));
		if (err < 0)
			return err;
	}
	if (a->a[1]) {
		struct linux_timezone tz = { 0, 0 };
		return mm_copy_out(t->mm, a->a[1], &tz, sizeof(tz));
	}
	return 0;
}

/* sys_time implements time(2). */
long sys_time(struct task *t, const struct sys_args *a)
{
	struct linux_timespec ts;
	ktime_get(t, LINUX_CLOCK_REALTIME, &ts);
	int64_t now = ts.tv_sec;
	if (a->a[0]) {
		int err = mm_copy_out(t->mm, a->a[0], &now, sizeof(now));
		if (err < 0)
			return err;
	}
	return now;
}

static long do_sleep(struct task *t, int clockid, int flags, uaddr_t req_addr, uaddr_t rem_addr)
{
	struct linux_timespec req, rem;
	int err = ktime_can_sleep(t, clockid);
	if (err < 0)
		return err;
	err = mm_copy_in(t->mm, &req, req_addr, sizeof(req));
	if (err < 0)
		return err;
	if (!timespec_valid(&req))
		return -EINVAL;
	err = ktime_sleep(t, clockid, flags, &req, &rem);
	if (err == -EINTR && rem_addr && !(flags & LINUX_TIMER_ABSTIME))
		mm_copy_out(t->mm, rem_addr, &rem, sizeof(rem));
	return err;
}

/* sys_nanosleep implements nanosleep(2). */
long sys_nanosleep(struct task *t, const struct sys_args *a)
{
	return do_sleep(t, LINUX_CLOCK_MONOTONIC, 0, a->a[0], a->a[1]);
}

/* sys_clock_nanosleep implements clock_nanosleep(2). */
long sys_clock_nanosleep(struct task *t, const struct sys_args *a)
{
	return do_sleep(t, (int)a->a[0], (int)a->a[1], a->a[2], a->a[3]);
}
