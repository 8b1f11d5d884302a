/*
 * alarm, setitimer, getitimer (Linux's kernel/time/itimer.c) and the POSIX
 * timers, timer_create, timer_settime, timer_gettime, timer_getoverrun
 * and timer_delete (kernel/time/posix-timers.c), over
 * sentry/kernel/itimer.c, which has the design: this file copies and
 * checks the arguments.
 */
#include <errno.h>

#include "sentry/kernel/itimer.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"
#include "syscalls/syscalls.h"

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
	int which = (int)a->a[0];
	if (which < LINUX_ITIMER_REAL || which > LINUX_ITIMER_PROF)
		return -EINVAL;
	itimer_get(t->tg, which, &v);
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
	int err = itimer_set(t->tg, which, &v, &old);
	if (err < 0)
		return err;
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
	int err = itimer_set(t->tg, LINUX_ITIMER_REAL, &v, &old);
	if (err < 0)
		return err;
	struct linux_timeval tv = ns_to_tv(old.value_ns);
	/* Linux's alarm_setitimer: round to the nearest second, and never 0 while armed. */
	if ((!tv.tv_sec && tv.tv_usec) || tv.tv_usec >= 500000)
		tv.tv_sec++;
	return tv.tv_sec;
}

/* ---- POSIX timers ---- */

struct linux_itimerspec {
	struct linux_timespec it_interval;
	struct linux_timespec it_value;
};

/* struct sigevent (64 bytes): the value, signal, notification and SIGEV_THREAD_ID's thread. */
struct linux_sigevent {
	uint64_t sigev_value;
	int32_t sigev_signo;
	int32_t sigev_notify;
	int32_t sigev_tid;
	int32_t pad[11];
};

static int64_t ts_to_ns(const struct linux_timespec *ts)
{
	if (ts->tv_sec >= INT64_MAX / LINUX_NSEC_PER_SEC / 2)
		return INT64_MAX / 2;
	return ts->tv_sec * LINUX_NSEC_PER_SEC + ts->tv_nsec;
}

static struct linux_itimerspec to_its(const struct itimer_value *v)
{
	return (struct linux_itimerspec){
		.it_interval = { v->interval_ns / LINUX_NSEC_PER_SEC,
		                 v->interval_ns % LINUX_NSEC_PER_SEC },
		.it_value = { v->value_ns / LINUX_NSEC_PER_SEC, v->value_ns % LINUX_NSEC_PER_SEC },
	};
}

/* Linux's timespec64_valid. */
static bool ts_valid(const struct linux_timespec *ts)
{
	return ts->tv_sec >= 0 && ts->tv_nsec >= 0 && ts->tv_nsec < LINUX_NSEC_PER_SEC;
}

/* sys_timer_create implements timer_create(2). */
long sys_timer_create(struct task *t, const struct sys_args *a)
{
	struct linux_sigevent sev;
	struct posix_timer_event ev;
	if (a->a[1]) {
		int err = mm_copy_in(t->mm, &sev, a->a[1], sizeof(sev));
		if (err < 0)
			return err;
		ev = (struct posix_timer_event){ .notify = sev.sigev_notify,
			                         .signo = sev.sigev_signo,
			                         .value = sev.sigev_value,
			                         .tid = sev.sigev_tid };
	}
	return posix_timer_create(t, (int)a->a[0], a->a[1] ? &ev : NULL, a->a[2]);
}

/* sys_timer_settime implements timer_settime(2). */
long sys_timer_settime(struct task *t, const struct sys_args *a)
{
	struct linux_itimerspec nv;
	if (!a->a[2])
		return -EINVAL;
	int err = mm_copy_in(t->mm, &nv, a->a[2], sizeof(nv));
	if (err < 0)
		return err;
	if (!ts_valid(&nv.it_value) || !ts_valid(&nv.it_interval))
		return -EINVAL;
	struct itimer_value v = { ts_to_ns(&nv.it_value), ts_to_ns(&nv.it_interval) },
	                    old = { 0, 0 };
	err = posix_timer_settime(t, (int)a->a[0], (int)a->a[1] & LINUX_TIMER_ABSTIME, &v, &old);
	if (err == 0 && a->a[3]) {
		struct linux_itimerspec its = to_its(&old);
		err = mm_copy_out(t->mm, a->a[3], &its, sizeof(its));
	}
	return err;
}

/* sys_timer_gettime implements timer_gettime(2). */
long sys_timer_gettime(struct task *t, const struct sys_args *a)
{
	struct itimer_value v;
	int err = posix_timer_gettime(t, (int)a->a[0], &v);
	if (err < 0)
		return err;
	struct linux_itimerspec its = to_its(&v);
	return mm_copy_out(t->mm, a->a[1], &its, sizeof(its));
}

/* sys_timer_getoverrun implements timer_getoverrun(2). */
long sys_timer_getoverrun(struct task *t, const struct sys_args *a)
{
	return posix_timer_getoverrun(t, (int)a->a[0]);
}

/* sys_timer_delete implements timer_delete(2). */
long sys_timer_delete(struct task *t, const struct sys_args *a)
{
	return posix_timer_delete(t, (int)a->a[0]);
}
