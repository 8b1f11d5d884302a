/*
 * epoll_create, epoll_create1, epoll_ctl, epoll_wait, epoll_pwait,
 * epoll_pwait2: argument checks in Linux's order (fs/eventpoll.c); the
 * instances are sentry/fsimpl/anon/epoll.c.
 *
 * epoll_pwait's signal mask is the task's for the wait; after an EINTR it
 * stays until the interrupting signal's handler has run (the saved
 * sigmask), as Linux.
 */
#include <errno.h>
#include <limits.h>
#include <time.h>

#include "sentry/fsimpl/anon/anon.h"
#include "sentry/kernel/fdtable.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"
#include "sentry/vfs/file.h"
#include "syscalls/syscalls.h"

/* Linux's EPOLLEXCLUSIVE_OK_BITS: what EPOLLEXCLUSIVE may come with. */
#define EPOLLEXCLUSIVE_OK_BITS                                                                  \
	(LINUX_EPOLLIN | LINUX_EPOLLOUT | LINUX_EPOLLERR | LINUX_EPOLLHUP | LINUX_EPOLLWAKEUP | \
	 LINUX_EPOLLET | LINUX_EPOLLEXCLUSIVE)

/* Linux's fdget: O_PATH files are EBADF. */
static struct file *get_fd(struct task *t, uint64_t fd)
{
	if (fd > INT_MAX)
		return NULL;
	struct file *f = fdtable_lookup(t->fdt, (int)fd, NULL);
	if (f && (atomic_load(&f->flags) & LINUX_O_PATH)) {
		file_put(f);
		return NULL;
	}
	return f;
}

static long do_epoll_create(struct task *t, uint64_t flags)
{
	if (flags & ~(uint64_t)LINUX_O_CLOEXEC)
		return -EINVAL;
	struct file *f;
	int err = epoll_new(&f);
	if (err < 0)
		return err;
	long fd = fdtable_install(t->fdt, f, 0, flags & LINUX_O_CLOEXEC, task_nofile_limit(t));
	file_put(f);
	return fd;
}

/* sys_epoll_create implements epoll_create(2): size only has to be positive. */
long sys_epoll_create(struct task *t, const struct sys_args *a)
{
	if ((int)a->a[0] <= 0)
		return -EINVAL;
	return do_epoll_create(t, 0);
}

/* sys_epoll_create1 implements epoll_create1(2). */
long sys_epoll_create1(struct task *t, const struct sys_args *a)
{
	return do_epoll_create(t, (uint32_t)a->a[0]);
}

/* sys_epoll_ctl implements epoll_ctl(2). */
long sys_epoll_ctl(struct task *t, const struct sys_args *a)
{
	int op = (int)a->a[1];
	struct linux_epoll_event ev = { 0 };
	bool has_event = op != LINUX_EPOLL_CTL_DEL;
	if (has_event) {
		int err = mm_copy_in(t->mm, &ev, a->a[3], sizeof(ev));
		if (err < 0)
			return err;
	}
	struct file *epf = get_fd(t, (uint32_t)a->a[0]);
	if (!epf)
		return -EBADF;
	long ret = -EBADF;
	struct file *tf = get_fd(t, (uint32_t)a->a[2]);
	if (!tf)
		goto out_ep;
	/* A file without a poll method cannot be watched. */
	ret = -EPERM;
	if (!tf->ops->readiness && !tf->ops->poll_host_fd)
		goto out;
	/* EPOLLWAKEUP needs CAP_BLOCK_SUSPEND; without it, it is dropped silently. */
	if (has_event && (ev.events & LINUX_EPOLLWAKEUP) &&
	    !creds_capable(&t->creds, LINUX_CAP_BLOCK_SUSPEND))
		ev.events &= ~LINUX_EPOLLWAKEUP;
	ret = -EINVAL;
	if (epf == tf || !file_is_epoll(epf))
		goto out;
	if (has_event && (ev.events & LINUX_EPOLLEXCLUSIVE)) {
		if (op == LINUX_EPOLL_CTL_MOD)
			goto out;
		if (op == LINUX_EPOLL_CTL_ADD &&
		    (file_is_epoll(tf) || (ev.events & ~EPOLLEXCLUSIVE_OK_BITS)))
			goto out;
	}
	ret = epoll_ctl_file(epf, op, tf, (int)a->a[2], has_event ? &ev : NULL);
out:
	file_put(tf);
out_ep:
	file_put(epf);
	return ret;
}

/* The CLOCK_MONOTONIC deadline timeout (relative) from now; false: no deadline (too far). */
static bool deadline_after(const struct linux_timespec *rel, struct timespec *out)
{
	/* Beyond a century is forever, and keeps the sum from overflowing. */
	if (rel->tv_sec > 100LL * 365 * 24 * 3600)
		return false;
	clock_gettime(CLOCK_MONOTONIC, out);
	out->tv_sec += rel->tv_sec;
	out->tv_nsec += rel->tv_nsec;
	if (out->tv_nsec >= LINUX_NSEC_PER_SEC) {
		out->tv_sec++;
		out->tv_nsec -= LINUX_NSEC_PER_SEC;
	}
	return true;
}

/*
 * Linux's do_epoll_wait. timeout: NULL waits forever; zero does not wait.
 */
static long do_epoll_wait(struct task *t, uint64_t epfd, uaddr_t events, int maxevents,
                          const struct linux_timespec *timeout)
{
	if (maxevents <= 0 || maxevents > LINUX_EP_MAX_EVENTS)
		return -EINVAL;
	if (!mm_access_ok(events, (uint64_t)maxevents * sizeof(struct linux_epoll_event)))
		return -EFAULT;
	struct file *f = get_fd(t, epfd);
	if (!f)
		return -EBADF;
	long ret = -EINVAL;
	if (file_is_epoll(f)) {
		struct timespec deadline;
		bool nonblock = timeout && timeout->tv_sec == 0 && timeout->tv_nsec == 0;
		bool has_deadline = timeout && !nonblock && deadline_after(timeout, &deadline);
		ret = epoll_wait_file(t, f, events, maxevents, has_deadline ? &deadline : NULL,
		                      nonblock);
	}
	file_put(f);
	return ret;
}

/* epoll_wait's timeout in milliseconds; negative: forever. */
static const struct linux_timespec *ms_timeout(int ms, struct linux_timespec *ts)
{
	if (ms < 0)
		return NULL;
	*ts = (struct linux_timespec){ ms / 1000, (ms % 1000) * 1000000LL };
	return ts;
}

/* sys_epoll_wait implements epoll_wait(2). */
long sys_epoll_wait(struct task *t, const struct sys_args *a)
{
	struct linux_timespec ts;
	return do_epoll_wait(t, (uint32_t)a->a[0], a->a[1], (int)a->a[2],
	                     ms_timeout((int)a->a[3], &ts));
}

/*
 * The wait with sigmask (when given) as the task's mask, put back when the
 * call ends or, when a signal interrupted it, after that signal's handler
 * (Linux's set_user_sigmask and restore_saved_sigmask_unless).
 */
static long epoll_wait_sigmask(struct task *t, uint64_t epfd, uaddr_t events, int maxevents,
                               const struct linux_timespec *timeout, uaddr_t usigmask,
                               uint64_t sigsetsize)
{
	if (usigmask) {
		if (sigsetsize != sizeof(linux_sigset_t))
			return -EINVAL;
		linux_sigset_t set;
		int err = mm_copy_in(t->mm, &set, usigmask, sizeof(set));
		if (err < 0)
			return err;
		task_set_temporary_sigmask(t, set);
	}
	long ret = do_epoll_wait(t, epfd, events, maxevents, timeout);
	if (usigmask)
		task_restore_sigmask_unless(t, ret == -EINTR);
	return ret;
}

/* sys_epoll_pwait implements epoll_pwait(2). */
long sys_epoll_pwait(struct task *t, const struct sys_args *a)
{
	struct linux_timespec ts;
	return epoll_wait_sigmask(t, (uint32_t)a->a[0], a->a[1], (int)a->a[2],
	                          ms_timeout((int)a->a[3], &ts), a->a[4], a->a[5]);
}

/* sys_epoll_pwait2 implements epoll_pwait2(2): the timeout is a timespec. */
long sys_epoll_pwait2(struct task *t, const struct sys_args *a)
{
	struct linux_timespec ts;
	if (a->a[3]) {
		int err = mm_copy_in(t->mm, &ts, a->a[3], sizeof(ts));
		if (err < 0)
			return err;
		if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= LINUX_NSEC_PER_SEC)
			return -EINVAL;
	}
	return epoll_wait_sigmask(t, (uint32_t)a->a[0], a->a[1], (int)a->a[2], a->a[3] ? &ts : NULL,
	                          a->a[4], a->a[5]);
}
