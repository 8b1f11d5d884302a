/*
 * Event files: eventfd, eventfd2, timerfd_create, timerfd_settime,
 * timerfd_gettime, with Linux's checks in Linux's order (fs/eventfd.c,
 * fs/timerfd.c). The files are sentry/fsimpl/anon/.
 */
#include <errno.h>
#include <limits.h>

#include "sentry/fsimpl/anon/anon.h"
#include "sentry/kernel/fdtable.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"
#include "sentry/vfs/file.h"
#include "syscalls/syscalls.h"

/* Installs a new file (consuming the caller's reference); returns the fd or -errno. */
static long install(struct task *t, struct file *f, bool cloexec)
{
	long fd = fdtable_install(t->fdt, f, 0, cloexec, task_nofile_limit(t));
	file_put(f);
	return fd;
}

static long do_eventfd2(struct task *t, uint32_t initval, uint64_t flags)
{
	if (flags & ~(uint64_t)(LINUX_O_CLOEXEC | LINUX_O_NONBLOCK | LINUX_EFD_SEMAPHORE))
		return -EINVAL;
	struct file *f;
	int err = eventfd_new(initval, (unsigned)flags, &f);
	if (err < 0)
		return err;
	return install(t, f, flags & LINUX_O_CLOEXEC);
}

/* sys_eventfd implements eventfd(2). */
long sys_eventfd(struct task *t, const struct sys_args *a)
{
	return do_eventfd2(t, (uint32_t)a->a[0], 0);
}

/* sys_eventfd2 implements eventfd2(2). */
long sys_eventfd2(struct task *t, const struct sys_args *a)
{
	return do_eventfd2(t, (uint32_t)a->a[0], (uint32_t)a->a[1]);
}

/* The clocks that need CAP_WAKE_ALARM. */
static bool alarm_clock(int clockid)
{
	return clockid == LINUX_CLOCK_REALTIME_ALARM || clockid == LINUX_CLOCK_BOOTTIME_ALARM;
}

/* sys_timerfd_create implements timerfd_create(2). */
long sys_timerfd_create(struct task *t, const struct sys_args *a)
{
	int clockid = (int)a->a[0];
	uint64_t flags = (uint32_t)a->a[1];
	if (flags & ~(uint64_t)(LINUX_O_CLOEXEC | LINUX_O_NONBLOCK))
		return -EINVAL;
	if (clockid != LINUX_CLOCK_MONOTONIC && clockid != LINUX_CLOCK_REALTIME &&
	    clockid != LINUX_CLOCK_BOOTTIME && !alarm_clock(clockid))
		return -EINVAL;
	if (alarm_clock(clockid) && !creds_capable(&t->creds, LINUX_CAP_WAKE_ALARM))
		return -EPERM;
	struct file *f;
	int err = timerfd_new(clockid, (unsigned)flags, &f);
	if (err < 0)
		return err;
	return install(t, f, flags & LINUX_O_CLOEXEC);
}

/* The timerfd at fd: -EBADF, or -EINVAL when it is not one. */
static long get_timerfd(struct task *t, uint64_t fd, struct file **out)
{
	struct file *f = fd > INT_MAX ? NULL : fdtable_lookup(t->fdt, (int)fd, NULL);
	if (f && (atomic_load(&f->flags) & LINUX_O_PATH)) {
		file_put(f);
		f = NULL;
	}
	if (!f)
		return -EBADF;
	if (!file_is_timerfd(f)) {
		file_put(f);
		return -EINVAL;
	}
	*out = f;
	return 0;
}

static bool timespec_ok(const struct linux_timespec *ts)
{
	return ts->tv_sec >= 0 && ts->tv_nsec >= 0 && ts->tv_nsec < LINUX_NSEC_PER_SEC;
}

/* sys_timerfd_settime implements timerfd_settime(2). */
long sys_timerfd_settime(struct task *t, const struct sys_args *a)
{
	int flags = (int)a->a[1];
	struct linux_itimerspec nv, ov;
	int err = mm_copy_in(t->mm, &nv, a->a[2], sizeof(nv));
	if (err < 0)
		return err;
	if ((flags & ~(LINUX_TFD_TIMER_ABSTIME | LINUX_TFD_TIMER_CANCEL_ON_SET)) ||
	    !timespec_ok(&nv.it_value) || !timespec_ok(&nv.it_interval))
		return -EINVAL;
	struct file *f;
	long ret = get_timerfd(t, (uint32_t)a->a[0], &f);
	if (ret < 0)
		return ret;
	ret = timerfd_settime_file(f, flags, &nv, &ov);
	file_put(f);
	if (ret == 0 && a->a[3])
		ret = mm_copy_out(t->mm, a->a[3], &ov, sizeof(ov));
	return ret;
}

/* sys_timerfd_gettime implements timerfd_gettime(2). */
long sys_timerfd_gettime(struct task *t, const struct sys_args *a)
{
	struct file *f;
	long ret = get_timerfd(t, (uint32_t)a->a[0], &f);
	if (ret < 0)
		return ret;
	struct linux_itimerspec cur;
	ret = timerfd_gettime_file(f, &cur);
	file_put(f);
	if (ret == 0)
		ret = mm_copy_out(t->mm, a->a[1], &cur, sizeof(cur));
	return ret;
}
