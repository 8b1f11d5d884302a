/*
 * pidfds: files that name a process (pidfd_open(2), CLONE_PIDFD). A pidfd
 * holds a reference to the thread group, which outlives its reaping for
 * as long as a pidfd names it; it becomes readable when the process has
 * exited (its group is a zombie), through the group's exit_wq.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/abi/linux/misc.h"
#include "sentry/kernel/task.h"
#include "sentry/kernel/waitqueue.h"
#include "sentry/vfs/file.h"

struct pidfd {
	struct file base;
	struct thread_group *tg;
};

static const struct file_ops g_pidfd_ops;

static struct pidfd *to_pidfd(struct file *f)
{
	return container_of(f, struct pidfd, base);
}

static uint32_t pidfd_readiness(struct file *f, uint32_t mask)
{
	bool exited = __atomic_load_n(&to_pidfd(f)->tg->zombie, __ATOMIC_ACQUIRE);
	return exited ? (LINUX_POLLIN | LINUX_POLLRDNORM) & mask : 0;
}

static struct waitqueue *pidfd_wait_queue(struct file *f)
{
	return &to_pidfd(f)->tg->exit_wq;
}

/* An anonymous inode's attributes, as Linux's anon_inode_getfile gives a pidfd. */
static int pidfd_stat(struct file *f, struct linux_stat *st)
{
	memset(st, 0, sizeof(*st));
	st->mode = 0600;
	st->nlink = 1;
	st->blksize = 4096;
	return 0;
}

static void pidfd_release(struct file *f)
{
	struct pidfd *p = to_pidfd(f);
	tg_put(p->tg);
	free(p);
}

static const struct file_ops g_pidfd_ops = {
	.anon_name = "[pidfd]",
	.readiness = pidfd_readiness,
	.wait_queue = pidfd_wait_queue,
	.stat = pidfd_stat,
	.release = pidfd_release,
};

int pidfd_create(struct thread_group *tg, unsigned flags, struct file **out)
{
	struct pidfd *p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	file_init(&p->base, &g_pidfd_ops, LINUX_O_RDWR | (flags & LINUX_O_NONBLOCK));
	atomic_fetch_add(&tg->refs, 1);
	p->tg = tg;
	*out = &p->base;
	return 0;
}

struct thread_group *pidfd_tg(struct file *f)
{
	return f->ops == &g_pidfd_ops ? to_pidfd(f)->tg : NULL;
}
