/*
 * alarm, setitimer, getitimer (Linux's kernel/time/itimer.c) over
 * sentry/kernel/itimer.c. ITIMER_REAL is implemented; ITIMER_VIRTUAL and
 * ITIMER_PROF (process CPU time) cannot be armed yet: arming one fails
 * with ENOSYS, and they read (and disarm) as disarmed, which they are.
 */
#include <errno.h>

#include "sentry/kernel/itimer.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"
#include "syscalls/syscalls.h"

#define LINUX_ITIMER_REAL    0
#define LINUX_ITIMER_VIRTUAL 1
#define LINUX_ITIMER_PROF    2

struct linux_itimerval {
	struct linux_timeval it_interval;
	struct linux_timeval it_value;
};

/* Nanoseconds, saturated far in the future as Linux's ktime conversions are. */
static int64_t tv_to_ns(const struct linux_timeval *tv)
{
	if (tv->tv_sec >= INT64_MAX / LINUX_NSEC_PER_SEC / 2)
		return INT64_MAX / 2;
	return tv->tv_sec * LINUX_NSEC_PER_SEC + tv->tv_usec * 1000;
}

static struct linux_timeval ns_to_tv(int64_t ns)
{
	return (struct linux_timeval){ ns / LINUX_NSEC_PER_SEC, (ns % LINUX_NSEC_PER_SEC) / 1000 };
}

static bool tv_valid(const struct linux_timeval *tv)
{
	return tv->tv_sec >= 0 && tv->tv_usec >= 0 && tv->tv_usec < 1000000;
}

static struct linux_itimerval to_itv(const struct itimer_value *v)
{
	return (struct linux_itimerval){ .it_interval = ns_to_tv(v->interval_ns),
		                         .it_value = ns_to_tv(v->value_ns) };
}

/* sys_getitimer implements getitimer(2). */
long sys_getitimer(struct task *t, const struct sys_args *a)
{
	struct itimer_value v = { 0, 0 };
	switch ((int)a->a[0]) {
	case LINUX_ITIMER_REAL:
		itimer_real_get(t->tg, &v);
		break;
	case LINUX_ITIMER_VIRTUAL:
	case LINUX_ITIMER_PROF:
		break;
	default:
		return -EINVAL;
	}
	struct linux_itimerval itv = to_itv(&v);
	return mm_copy_out(t->mm, a->a[1], &itv, sizeof(itv));
}

/* sys_setitimer implements setitimer(2); a NULL new value disarms, as Linux. */
long sys_setitimer(struct task *t, const struct sys_args *a)
{
	int which = (int)a->a[0];
	struct linux_itimerval nv = { 0 };
	if (a->a[1]) {
		int err = mm_copy_in(t->mm, &nv, a->a[1], sizeof(nv));
		if (err < 0)
			return err;
	}
	if (which < LINUX_ITIMER_REAL || which > LINUX_ITIMER_PROF)
		return -EINVAL;
	if (!tv_valid(&nv.it_value) || !tv_valid(&nv.it_interval))
		return -EINVAL;
	struct itimer_value v = { tv_to_ns(&nv.it_value), tv_to_ns(&nv.it_interval) },
	                    old = { 0, 0 };
	if (which != LINUX_ITIMER_REAL) {
		if (v.value_ns)
			return -ENOSYS; /* CPU-time timers: not implemented */
	} else {
		int err = itimer_real_set(t->tg, &v, &old);
		if (err < 0)
			return err;
	}
	if (a->a[2]) {
		struct linux_itimerval itv = to_itv(&old);
		return mm_copy_out(t->mm, a->a[2], &itv, sizeof(itv));
	}
	return 0;
}

/* sys_alarm implements alarm(2): the seconds left of the previous alarm, rounded. */
long sys_alarm(struct task *t, const struct sys_args *a)
{
	uint32_t seconds = (uint32_t)a->a[0];
	struct itimer_value v = { (int64_t)seconds * LINUX_NSEC_PER_SEC, 0 }, old;
	int err = itimer_real_set(t->tg, &v, &old);
	if (err < 0)
		return err;
	struct linux_timeval tv = ns_to_tv(old.value_ns);
	/* Linux's alarm_setitimer: round to the nearest second, and never 0 while armed. */
	if ((!tv.tv_sec && tv.tv_usec) || tv.tv_usec >= 500000)
		tv.tv_sec++;
	return tv.tv_sec;
}
