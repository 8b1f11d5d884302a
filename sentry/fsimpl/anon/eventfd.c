/*
 * eventfd (Linux's fs/eventfd.c): a 64-bit counter under a mutex.
 *
 * read takes the whole counter (or 1 with EFD_SEMAPHORE) and waits while
 * it is 0; write adds to it and waits while the sum would reach
 * UINT64_MAX (which a write can never store: UINT64_MAX is Linux's
 * overflow mark, POLLERR, set only by the kernel's own eventfd_signal).
 * Waits are the task's, interruptible (task_block, through the eventfd's
 * wait queue); readiness is POLLIN while the counter is not 0, POLLOUT
 * while a write of 1 would not block.
 */
#include "sentry/fsimpl/anon/anon.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "common/abi/linux/errno.h"
#include "sentry/fsimpl/kernfs/proc.h"
#include "sentry/kernel/task.h"
#include "sentry/kernel/waitqueue.h"
#include "sentry/vfs/file.h"

struct eventfd {
	struct file base;
	pthread_mutex_t mu;
	uint64_t count; /* under mu */
	bool semaphore;
	struct waitqueue wq;
};

static struct eventfd *to_efd(struct file *f)
{
	return container_of(f, struct eventfd, base);
}

/* Reads the counter into *arg, or -EAGAIN while it is 0. Under mu. */
static int efd_try_read(struct eventfd *e, uint64_t *arg)
{
	if (e->count == 0)
		return -EAGAIN;
	*arg = e->semaphore ? 1 : e->count;
	e->count -= *arg;
	return 0;
}

/* Adds *arg to the counter, or -EAGAIN while the sum would reach UINT64_MAX. Under mu. */
static int efd_try_write(struct eventfd *e, uint64_t *arg)
{
	if (UINT64_MAX - e->count <= *arg)
		return -EAGAIN;
	e->count += *arg;
	return 0;
}

/*
 * Runs try until it stops failing with -EAGAIN, waiting for events in
 * between unless the file is non-blocking. On success, notifies `done`.
 */
static int efd_do(struct eventfd *e, int (*try)(struct eventfd *, uint64_t *), uint64_t *arg,
                  uint32_t events, uint32_t done)
{
	pthread_mutex_lock(&e->mu);
	int ret = try(e, arg);
	pthread_mutex_unlock(&e->mu);
	struct task *t = task_current();
	if (ret == -EAGAIN && !(atomic_load(&e->base.flags) & LINUX_O_NONBLOCK) && t) {
		struct waiter w;
		waiter_init_task(&w, t, events);
		waitqueue_add(&e->wq, &w);
		for (;;) {
			pthread_mutex_lock(&e->mu);
			ret = try(e, arg);
			pthread_mutex_unlock(&e->mu);
			if (ret != -EAGAIN)
				break;
			int err = task_block(t, NULL, NULL, 0);
			if (err < 0) {
				ret = err == -EINTR ? -LINUX_ERESTARTSYS : err;
				break;
			}
		}
		waitqueue_remove(&e->wq, &w);
	}
	if (ret == 0)
		waitqueue_notify(&e->wq, done);
	return ret;
}

static ssize_t efd_read(struct file *f, void *buf, size_t len, int64_t off)
{
	(void)off;
	if (len < sizeof(uint64_t))
		return -EINVAL;
	uint64_t v;
	int err =
	        efd_do(to_efd(f), efd_try_read, &v, LINUX_POLLIN, LINUX_POLLOUT | LINUX_POLLWRNORM);
	if (err < 0)
		return err;
	memcpy(buf, &v, sizeof(v));
	return sizeof(v);
}

static ssize_t efd_write(struct file *f, const void *buf, size_t len, int64_t off)
{
	(void)off;
	if (len < sizeof(uint64_t))
		return -EINVAL;
	uint64_t v;
	memcpy(&v, buf, sizeof(v));
	if (v == UINT64_MAX)
		return -EINVAL;
	/* A write of 0 succeeds and still wakes the readers (and edge-triggered epolls), as Linux.
	 */
	int err = efd_do(to_efd(f), efd_try_write, &v, LINUX_POLLOUT,
	                 LINUX_POLLIN | LINUX_POLLRDNORM);
	return err < 0 ? err : (ssize_t)sizeof(v);
}

static uint32_t efd_readiness(struct file *f, uint32_t mask)
{
	struct eventfd *e = to_efd(f);
	pthread_mutex_lock(&e->mu);
	uint64_t count = e->count;
	pthread_mutex_unlock(&e->mu);
	uint32_t r = 0;
	if (count > 0)
		r |= LINUX_POLLIN | LINUX_POLLRDNORM;
	if (count == UINT64_MAX)
		r |= LINUX_POLLERR;
	if (UINT64_MAX - 1 > count)
		r |= LINUX_POLLOUT | LINUX_POLLWRNORM;
	return r & (mask | LINUX_POLLERR | LINUX_POLLHUP);
}

static struct waitqueue *efd_wait_queue(struct file *f)
{
	return &to_efd(f)->wq;
}

static void efd_release(struct file *f)
{
	struct eventfd *e = to_efd(f);
	waitqueue_destroy(&e->wq);
	pthread_mutex_destroy(&e->mu);
	free(e);
}

static const struct file_ops g_eventfd_ops = {
	.anon_name = "[eventfd]",
	.read = efd_read,
	.write = efd_write,
	.llseek = anon_llseek,
	.stat = anon_stat,
	.release = efd_release,
	.readiness = efd_readiness,
	.wait_queue = efd_wait_queue,
};

int eventfd_new(uint64_t initval, unsigned flags, struct file **out)
{
	struct eventfd *e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	pthread_mutex_init(&e->mu, NULL);
	e->count = initval;
	e->semaphore = flags & LINUX_EFD_SEMAPHORE;
	waitqueue_init(&e->wq);
	file_init(&e->base, &g_eventfd_ops, LINUX_O_RDWR | (flags & LINUX_O_NONBLOCK));
	*out = &e->base;
	return 0;
}
