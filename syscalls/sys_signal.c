/*
 * Signal system calls: rt_sigaction, rt_sigprocmask, rt_sigpending, kill,
 * tkill, tgkill. Queueing and delivery are in sentry/kernel/signal.c.
 */
#include <errno.h>

#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"
#include "syscalls/syscalls.h"

static const linux_sigset_t g_unblockable =
        (1ULL << (LINUX_SIGKILL - 1)) | (1ULL << (LINUX_SIGSTOP - 1));

static bool valid_signal(uint64_t sig)
{
	return sig <= LINUX_NSIG;
}

/* sys_rt_sigaction implements rt_sigaction(2). */
long sys_rt_sigaction(struct task *t, const struct sys_args *a)
{
	uint64_t sig = a->a[0];
	if (a->a[3] != sizeof(linux_sigset_t))
		return -EINVAL;
	struct linux_sigaction act, old;
	if (a->a[1]) {
		int err = mm_copy_in(t->mm, &act, a->a[1], sizeof(act));
		if (err < 0)
			return err;
	}
	if (sig < 1 || !valid_signal(sig) ||
	    (a->a[1] && (sig == LINUX_SIGKILL || sig == LINUX_SIGSTOP)))
		return -EINVAL;
	task_set_sigaction(t, (int)sig, a->a[1] ? &act : NULL, &old);
	if (a->a[2])
		return mm_copy_out(t->mm, a->a[2], &old, sizeof(old));
	return 0;
}

/* sys_rt_sigprocmask implements rt_sigprocmask(2). */
long sys_rt_sigprocmask(struct task *t, const struct sys_args *a)
{
	if (a->a[3] != sizeof(linux_sigset_t))
		return -EINVAL;
	linux_sigset_t old = t->sigmask;
	if (a->a[1]) {
		linux_sigset_t set;
		int err = mm_copy_in(t->mm, &set, a->a[1], sizeof(set));
		if (err < 0)
			return err;
		set &= ~g_unblockable;
		switch (a->a[0]) {
		case LINUX_SIG_BLOCK:
			t->sigmask |= set;
			break;
		case LINUX_SIG_UNBLOCK:
			t->sigmask &= ~set;
			break;
		case LINUX_SIG_SETMASK:
			t->sigmask = set;
			break;
		default:
			return -EINVAL;
		}
	}
	if (a->a[2])
		return mm_copy_out(t->mm, a->a[2], &old, sizeof(old));
	return 0;
}

/* sys_rt_sigpending implements rt_sigpending(2): pending signals that are blocked. */
long sys_rt_sigpending(struct task *t, const struct sys_args *a)
{
	if (a->a[1] > sizeof(linux_sigset_t))
		return -EINVAL;
	linux_sigset_t set = task_pending_signals(t) & t->sigmask;
	return mm_copy_out(t->mm, a->a[0], &set, (size_t)a->a[1]);
}

/* Linux's on_sig_stack(): sp lies on the alternate stack (which grows down). */
static bool on_sig_stack(const struct task *t, uint64_t sp)
{
	return sp > t->sas_sp && sp - t->sas_sp <= t->sas_size;
}

/*
 * sys_sigaltstack implements sigaltstack(2): the stack is recorded; signal
 * frames are built on it once handlers run (the processes issue).
 */
long sys_sigaltstack(struct task *t, const struct sys_args *a)
{
	const struct platform_ops *p = t->k->cfg.platform;
	uint64_t sp = p->ctx_regs(t->ctx)->rsp;
	struct linux_stack ss, old;
	if (a->a[0]) {
		int err = mm_copy_in(t->mm, &ss, a->a[0], sizeof(ss));
		if (err < 0)
			return err;
	}
	old = (struct linux_stack){ .ss_sp = t->sas_sp, .ss_size = t->sas_size };
	if (t->sas_size == 0)
		old.ss_flags = LINUX_SS_DISABLE;
	else
		old.ss_flags = (on_sig_stack(t, sp) ? LINUX_SS_ONSTACK : 0) | (int32_t)t->sas_flags;
	if (a->a[0]) {
		if (on_sig_stack(t, sp))
			return -EPERM;
		uint32_t mode = (uint32_t)ss.ss_flags & ~LINUX_SS_AUTODISARM;
		if (mode != LINUX_SS_DISABLE && mode != LINUX_SS_ONSTACK && mode != 0)
			return -EINVAL;
		if (mode == LINUX_SS_DISABLE) {
			ss.ss_sp = 0;
			ss.ss_size = 0;
		} else if (ss.ss_size < LINUX_MINSIGSTKSZ) {
			return -ENOMEM;
		}
		t->sas_sp = ss.ss_sp;
		t->sas_size = ss.ss_size;
		t->sas_flags = (uint32_t)ss.ss_flags & LINUX_SS_AUTODISARM;
	}
	if (a->a[1])
		return mm_copy_out(t->mm, a->a[1], &old, sizeof(old));
	return 0;
}
