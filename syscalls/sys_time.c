/*
 * Time system calls: clock_gettime, clock_getres, gettimeofday, time,
 * nanosleep, clock_nanosleep.
 */
#include <errno.h>

#include "common/abi/linux/errno.h"
#include "sentry/kernel/ktime.h"
#include "sentry/kernel/task.h"
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

static int64_t timespec_ns(const struct linux_timespec *ts)
{
	return ts->tv_sec * LINUX_NSEC_PER_SEC + ts->tv_nsec;
}

/*
 * Sleeps until deadline (ns on clockid), interruptibly: a signal ends the
 * sleep with ERESTARTNOHAND for an absolute one (restarted as it was, or
 * EINTR after a handler), or, for a relative one (restartable), with the
 * time left in *rmtp and ERESTART_RESTARTBLOCK: restarted by
 * restart_syscall(2) towards the same deadline, or EINTR after a handler
 * (Linux's hrtimer_nanosleep and do_nanosleep).
 */
/* A timespec in ns, saturated at INT64_MAX as Linux's timespec64_to_ktime (KTIME_MAX). */
static int64_t timespec_ns_sat(const struct linux_timespec *ts)
{
	if (ts->tv_sec >= INT64_MAX / LINUX_NSEC_PER_SEC)
		return INT64_MAX;
	return timespec_ns(ts);
}

static int64_t add_sat(int64_t a, int64_t b)
{
	return a > INT64_MAX - b ? INT64_MAX : a + b;
}

static long sleep_until(struct task *t, int clockid, int64_t deadline, uaddr_t rmtp,
                        bool restartable);

/* restart_syscall(2) of an interrupted relative sleep. */
static long sleep_restart(struct task *t)
{
	return sleep_until(t, (int)t->restart.args[0], (int64_t)t->restart.args[1],
	                   t->restart.args[2], /*restartable=*/true);
}

static long sleep_until(struct task *t, int clockid, int64_t deadline, uaddr_t rmtp,
                        bool restartable)
{
	for (;;) {
		struct linux_timespec now, mono;
		ktime_get(t, clockid, &now);
		int64_t left = deadline - timespec_ns(&now);
		if (left <= 0)
			return 0;
		/* task_block's deadline is on CLOCK_MONOTONIC; the loop re-checks clockid. */
		ktime_get(t, LINUX_CLOCK_MONOTONIC, &mono);
		int64_t until = add_sat(timespec_ns(&mono), left);
		struct timespec dl = { until / LINUX_NSEC_PER_SEC, until % LINUX_NSEC_PER_SEC };
		int err = task_block(t, &dl, NULL, 0);
		if (err == 0 || err == -ETIMEDOUT)
			continue;
		if (err != -EINTR)
			return err;
		if (!restartable)
			return -LINUX_ERESTARTNOHAND;
		ktime_get(t, clockid, &now);
		left = deadline - timespec_ns(&now);
		if (left <= 0)
			return 0;
		if (rmtp) {
			struct linux_timespec rem = { left / LINUX_NSEC_PER_SEC,
				                      left % LINUX_NSEC_PER_SEC };
			if (mm_copy_out(t->mm, rmtp, &rem, sizeof(rem)) < 0)
				return -EFAULT;
		}
		t->restart.fn = sleep_restart;
		t->restart.args[0] = (uint64_t)clockid;
		t->restart.args[1] = (uint64_t)deadline;
		t->restart.args[2] = rmtp;
		return -LINUX_ERESTART_RESTARTBLOCK;
	}
}

static long do_sleep(struct task *t, int clockid, int flags, uaddr_t req_addr, uaddr_t rem_addr)
{
	struct linux_timespec req;
	int err = ktime_can_sleep(t, clockid);
	if (err < 0)
		return err;
	err = mm_copy_in(t->mm, &req, req_addr, sizeof(req));
	if (err < 0)
		return err;
	if (!timespec_valid(&req))
		return -EINVAL;
	if (flags & LINUX_TIMER_ABSTIME)
		return sleep_until(t, clockid, timespec_ns_sat(&req), 0, /*restartable=*/false);
	struct linux_timespec now;
	ktime_get(t, clockid, &now);
	return sleep_until(t, clockid, add_sat(timespec_ns(&now), timespec_ns_sat(&req)), rem_addr,
	                   /*restartable=*/true);
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
