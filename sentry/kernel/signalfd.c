/*
 * signalfd(2) files (Linux's fs/signalfd.c).
 *
 * A signalfd holds only a mask. Everything else is the reader's: a read
 * dequeues the reading task's pending signals among the mask (its own
 * thread-directed ones first, then its process's), in Linux's order, as
 * signalfd_siginfo records; poll and epoll see it readable when such a
 * signal is pending for the task that asks (task_current()), and wait on
 * the asker's process's signal wait queue (thread_group.signal_wq), which
 * every queued signal notifies. So, as on Linux, a signalfd inherited by a
 * child reads the child's signals.
 *
 * A read of fewer than 128 bytes is EINVAL; the first record is waited for
 * (interruptibly: ERESTARTSYS) unless the file is O_NONBLOCK (then EAGAIN);
 * further records are taken only if already pending.
 */
#include "sentry/kernel/signalfd.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/abi/linux/errno.h"
#include "sentry/fsimpl/anon/anon.h"
#include "sentry/fsimpl/kernfs/proc.h"
#include "sentry/kernel/task.h"
#include "sentry/kernel/waitqueue.h"
#include "sentry/vfs/file.h"

struct signalfd {
	struct file file;
	_Atomic linux_sigset_t mask;
};

static const struct file_ops g_signalfd_ops;

static struct signalfd *to_signalfd(struct file *f)
{
	return container_of(f, struct signalfd, file);
}

/* Linux's signalfd_copyinfo(): the fields of the siginfo's layout. */
static void copy_info(struct linux_signalfd_siginfo *out, const struct linux_siginfo *si)
{
	const uint8_t *u = (const uint8_t *)si->raw;
	int32_t i32;
	uint32_t u32;
	uint64_t u64;
	memset(out, 0, sizeof(*out));
	out->ssi_signo = (uint32_t)si->signo;
	out->ssi_errno = si->errno_;
	out->ssi_code = si->code;
#define FIELD(var, off) memcpy(&(var), u + (off), sizeof(var))
	switch (siginfo_layout(si->signo, si->code)) {
	case SIL_KILL:
		out->ssi_pid = (uint32_t)si->kill.pid;
		out->ssi_uid = si->kill.uid;
		break;
	case SIL_TIMER: /* si_tid, si_overrun, si_value */
		FIELD(u32, 0);
		out->ssi_tid = u32;
		FIELD(u32, 4);
		out->ssi_overrun = u32;
		FIELD(u64, 8);
		out->ssi_ptr = u64;
		FIELD(i32, 8);
		out->ssi_int = i32;
		break;
	case SIL_POLL: /* si_band, si_fd */
		FIELD(u64, 0);
		out->ssi_band = (uint32_t)u64;
		FIELD(i32, 8);
		out->ssi_fd = i32;
		break;
	case SIL_FAULT:
		out->ssi_addr = si->fault.addr;
		break;
	case SIL_CHLD: /* si_pid, si_uid, si_status, si_utime, si_stime */
		out->ssi_pid = (uint32_t)si->kill.pid;
		out->ssi_uid = si->kill.uid;
		FIELD(i32, 8);
		out->ssi_status = i32;
		FIELD(u64, 16);
		out->ssi_utime = u64;
		FIELD(u64, 24);
		out->ssi_stime = u64;
		break;
	case SIL_RT: /* si_pid, si_uid, si_value */
		out->ssi_pid = (uint32_t)si->kill.pid;
		out->ssi_uid = si->kill.uid;
		FIELD(u64, 8);
		out->ssi_ptr = u64;
		FIELD(i32, 8);
		out->ssi_int = i32;
		break;
	case SIL_SYS: /* si_call_addr, si_syscall, si_arch */
		FIELD(u64, 0);
		out->ssi_call_addr = u64;
		FIELD(i32, 8);
		out->ssi_syscall = i32;
		FIELD(u32, 12);
		out->ssi_arch = u32;
		break;
	}
#undef FIELD
}

/* Takes one signal of mask for t, waiting for it unless nonblock. Returns it or -errno. */
static int dequeue_wait(struct task *t, linux_sigset_t mask, bool nonblock,
                        struct linux_siginfo *info)
{
	int sig = task_dequeue_signal(t, mask, info);
	if (sig || nonblock)
		return sig ? sig : -EAGAIN;
	struct waiter w;
	waiter_init_task(&w, t, LINUX_POLLIN);
	waitqueue_add(&t->tg->signal_wq, &w);
	while (!(sig = task_dequeue_signal(t, mask, info))) {
		int err = task_block(t, NULL, NULL, 0);
		if (err < 0) {
			sig = err == -EINTR ? -LINUX_ERESTARTSYS : err;
			break;
		}
	}
	waitqueue_remove(&t->tg->signal_wq, &w);
	return sig;
}

static ssize_t signalfd_read(struct file *f, void *buf, size_t len, int64_t off)
{
	(void)off;
	struct task *t = task_current();
	size_t count = len / sizeof(struct linux_signalfd_siginfo);
	if (!count)
		return -EINVAL;
	if (!t)
		return -EAGAIN;
	linux_sigset_t mask = atomic_load(&to_signalfd(f)->mask);
	bool nonblock = atomic_load(&f->flags) & LINUX_O_NONBLOCK;
	size_t n = 0;
	for (; n < count; n++) {
		struct linux_siginfo info;
		int sig = dequeue_wait(t, mask, nonblock || n > 0, &info);
		if (sig < 0) {
			if (n > 0)
				break;
			return sig;
		}
		struct linux_signalfd_siginfo rec;
		copy_info(&rec, &info);
		memcpy((uint8_t *)buf + n * sizeof(rec), &rec, sizeof(rec));
	}
	return (ssize_t)(n * sizeof(struct linux_signalfd_siginfo));
}

static uint32_t signalfd_readiness(struct file *f, uint32_t mask)
{
	struct task *t = task_current();
	if (!t)
		return 0;
	linux_sigset_t set = atomic_load(&to_signalfd(f)->mask);
	if (task_pending_signals(t) & set)
		return mask & LINUX_POLLIN;
	return 0;
}

static struct waitqueue *signalfd_wait_queue(struct file *f)
{
	(void)f;
	struct task *t = task_current();
	return t ? &t->tg->signal_wq : NULL;
}

static void signalfd_release(struct file *f)
{
	free(to_signalfd(f));
}

static const struct file_ops g_signalfd_ops = {
	.anon_name = "[signalfd]",
	.read = signalfd_read,
	.llseek = anon_llseek,
	.stat = anon_stat,
	.release = signalfd_release,
	.readiness = signalfd_readiness,
	.wait_queue = signalfd_wait_queue,
};

static linux_sigset_t clean_mask(linux_sigset_t mask)
{
	return mask & ~(linux_sigmask(LINUX_SIGKILL) | linux_sigmask(LINUX_SIGSTOP));
}

int signalfd_new(linux_sigset_t mask, unsigned flags, struct file **out)
{
	struct signalfd *sfd = calloc(1, sizeof(*sfd));
	if (!sfd)
		return -ENOMEM;
	file_init(&sfd->file, &g_signalfd_ops, LINUX_O_RDWR | (flags & LINUX_SFD_NONBLOCK));
	atomic_store(&sfd->mask, clean_mask(mask));
	*out = &sfd->file;
	return 0;
}

int signalfd_set_mask(struct file *f, linux_sigset_t mask)
{
	if (f->ops != &g_signalfd_ops)
		return -EINVAL;
	atomic_store(&to_signalfd(f)->mask, clean_mask(mask));
	/* Pollers re-check against the new mask (Linux wakes signalfd_wqh). */
	struct task *t = task_current();
	if (t)
		waitqueue_notify(&t->tg->signal_wq, LINUX_POLLIN);
	return 0;
}
