/*
 * timerfd (Linux's fs/timerfd.c) over a host timerfd.
 *
 * The sandbox's clocks are the host's (sentry/kernel/ktime.h), so each
 * timerfd is a host timerfd on the same clock, held by the sentry:
 * settime and gettime are the host's, with its validation and its
 * TFD_TIMER_ABSTIME and TFD_TIMER_CANCEL_ON_SET (a read fails with
 * ECANCELED when the host's realtime clock is set, which is the sandbox's
 * realtime clock). The host fd is non-blocking; a blocking read waits in
 * task_block on it (interruptible), and its readiness is the file's
 * (poll_host_fd), which poll and epoll watch on the host.
 *
 * The _ALARM clocks (allowed to the sandbox's root, which has
 * CAP_WAKE_ALARM) run on their plain clocks: the sandbox never wakes the
 * machine from suspend, as in gVisor.
 */
#include "sentry/fsimpl/anon/anon.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "common/abi/linux/errno.h"
#include "sentry/fsimpl/kernfs/proc.h"
#include "sentry/kernel/task.h"
#include "sentry/vfs/file.h"

_Static_assert(sizeof(struct linux_itimerspec) == sizeof(struct itimerspec), "itimerspec");

struct timerfd {
	struct file base;
	int host_fd;
};

static struct timerfd *to_tfd(struct file *f)
{
	return container_of(f, struct timerfd, base);
}

static ssize_t tfd_read(struct file *f, void *buf, size_t len, int64_t off)
{
	(void)off;
	if (len < sizeof(uint64_t))
		return -EINVAL;
	int fd = to_tfd(f)->host_fd;
	struct task *t = task_current();
	for (;;) {
		uint64_t ticks;
		ssize_t n = read(fd, &ticks, sizeof(ticks));
		if (n == (ssize_t)sizeof(ticks)) {
			memcpy(buf, &ticks, sizeof(ticks));
			return n;
		}
		if (n >= 0)
			return -EIO;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN || (atomic_load(&f->flags) & LINUX_O_NONBLOCK) || !t)
			return -errno;
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int err = task_block(t, NULL, &p, 1);
		if (err < 0)
			return err == -EINTR ? -LINUX_ERESTARTSYS : err;
	}
}

static int tfd_poll_host_fd(struct file *f)
{
	return to_tfd(f)->host_fd;
}

static void tfd_release(struct file *f)
{
	struct timerfd *tf = to_tfd(f);
	close(tf->host_fd);
	free(tf);
}

static const struct file_ops g_timerfd_ops = {
	.anon_name = "[timerfd]",
	.read = tfd_read,
	.llseek = anon_llseek,
	.stat = anon_stat,
	.release = tfd_release,
	.poll_host_fd = tfd_poll_host_fd,
};

bool file_is_timerfd(const struct file *f)
{
	return f->ops == &g_timerfd_ops;
}

int timerfd_new(int clockid, unsigned flags, struct file **out)
{
	if (clockid == LINUX_CLOCK_REALTIME_ALARM)
		clockid = LINUX_CLOCK_REALTIME;
	else if (clockid == LINUX_CLOCK_BOOTTIME_ALARM)
		clockid = LINUX_CLOCK_BOOTTIME;
	struct timerfd *tf = calloc(1, sizeof(*tf));
	if (!tf)
		return -ENOMEM;
	tf->host_fd = timerfd_create(clockid, TFD_CLOEXEC | TFD_NONBLOCK);
	if (tf->host_fd < 0) {
		int err = -errno;
		free(tf);
		return err;
	}
	file_init(&tf->base, &g_timerfd_ops, LINUX_O_RDWR | (flags & LINUX_O_NONBLOCK));
	*out = &tf->base;
	return 0;
}

int timerfd_settime_file(struct file *f, int flags, const struct linux_itimerspec *new_value,
                         struct linux_itimerspec *old_value)
{
	struct itimerspec nv, ov;
	memcpy(&nv, new_value, sizeof(nv));
	if (timerfd_settime(to_tfd(f)->host_fd, flags, &nv, &ov) != 0)
		return -errno;
	if (old_value)
		memcpy(old_value, &ov, sizeof(ov));
	return 0;
}

int timerfd_gettime_file(struct file *f, struct linux_itimerspec *cur)
{
	struct itimerspec v;
	if (timerfd_gettime(to_tfd(f)->host_fd, &v) != 0)
		return -errno;
	memcpy(cur, &v, sizeof(v));
	return 0;
}
