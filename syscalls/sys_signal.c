/*
 * Signal system calls: rt_sigaction, rt_sigprocmask, rt_sigpending, kill,
 * tkill, tgkill, rt_sigqueueinfo, rt_tgsigqueueinfo, sigaltstack,
 * rt_sigreturn, rt_sigsuspend, pause, rt_sigtimedwait, restart_syscall,
 * signalfd and signalfd4. Queueing and delivery are in
 * sentry/kernel/signal.c, frames in sentry/kernel/sigframe.c.
 */
#include <errno.h>
#include <string.h>

#include "common/abi/linux/errno.h"
#include "sentry/kernel/fdtable.h"
#include "sentry/kernel/ktime.h"
#include "sentry/kernel/sigframe.h"
#include "sentry/kernel/signalfd.h"
#include "sentry/kernel/task.h"
#include "sentry/vfs/file.h"
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
			task_set_sigmask(t, t->sigmask | set);
			break;
		case LINUX_SIG_UNBLOCK:
			task_set_sigmask(t, t->sigmask & ~set);
			break;
		case LINUX_SIG_SETMASK:
			task_set_sigmask(t, set);
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

/* sys_sigaltstack implements sigaltstack(2). */
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
	int err = task_sigaltstack(t, a->a[0] ? &ss : NULL, &old, sp, LINUX_MINSIGSTKSZ);
	if (err < 0)
		return err;
	if (a->a[1])
		return mm_copy_out(t->mm, a->a[1], &old, sizeof(old));
	return 0;
}

/* sys_rt_sigreturn implements rt_sigreturn(2): returns the restored rax. */
long sys_rt_sigreturn(struct task *t, const struct sys_args *a)
{
	(void)a;
	return sigframe_return(t);
}

static int copy_sigset_in(struct task *t, uaddr_t addr, uint64_t size, linux_sigset_t *out)
{
	if (size != sizeof(linux_sigset_t))
		return -EINVAL;
	return mm_copy_in(t->mm, out, addr, sizeof(*out));
}

/* sys_rt_sigsuspend implements rt_sigsuspend(2). */
long sys_rt_sigsuspend(struct task *t, const struct sys_args *a)
{
	linux_sigset_t mask;
	int err = copy_sigset_in(t, a->a[0], a->a[1], &mask);
	if (err < 0)
		return err;
	return task_sigsuspend(t, mask);
}

/* sys_pause implements pause(2). */
long sys_pause(struct task *t, const struct sys_args *a)
{
	(void)a;
	return task_pause(t);
}

/* sys_rt_sigtimedwait implements rt_sigtimedwait(2). */
long sys_rt_sigtimedwait(struct task *t, const struct sys_args *a)
{
	linux_sigset_t set;
	int err = copy_sigset_in(t, a->a[0], a->a[3], &set);
	if (err < 0)
		return err;
	struct timespec deadline, *dl = NULL;
	bool poll_only = false;
	if (a->a[2]) {
		struct linux_timespec ts, now;
		err = mm_copy_in(t->mm, &ts, a->a[2], sizeof(ts));
		if (err < 0)
			return err;
		if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= LINUX_NSEC_PER_SEC)
			return -EINVAL;
		poll_only = ts.tv_sec == 0 && ts.tv_nsec == 0;
		ktime_get(t, LINUX_CLOCK_MONOTONIC, &now);
		deadline.tv_sec = now.tv_sec + ts.tv_sec;
		deadline.tv_nsec = now.tv_nsec + ts.tv_nsec;
		if (deadline.tv_nsec >= LINUX_NSEC_PER_SEC) {
			deadline.tv_sec++;
			deadline.tv_nsec -= LINUX_NSEC_PER_SEC;
		}
		dl = &deadline;
	}
	struct linux_siginfo info;
	long sig = task_sigtimedwait(t, set, dl, poll_only, &info);
	if (sig > 0 && a->a[1]) {
		/* The signal is taken even when the copy fails, as on Linux. */
		memset((char *)&info + LINUX_KERNEL_SIGINFO_SIZE, 0,
		       sizeof(info) - LINUX_KERNEL_SIGINFO_SIZE);
		err = mm_copy_out(t->mm, a->a[1], &info, sizeof(info));
		if (err < 0)
			return err;
	}
	return sig;
}

/*
 * Copies a siginfo for rt_sigqueueinfo: only the kernel's part of it is
 * kept, and its signal number is the call's (Linux's
 * __copy_siginfo_from_user).
 */
static int copy_siginfo_in(struct task *t, uaddr_t addr, int sig, struct linux_siginfo *out)
{
	int err = mm_copy_in(t->mm, out, addr, sizeof(*out));
	if (err < 0)
		return err;
	memset((char *)out + LINUX_KERNEL_SIGINFO_SIZE, 0,
	       sizeof(*out) - LINUX_KERNEL_SIGINFO_SIZE);
	out->signo = sig;
	return 0;
}

/*
 * Not even root may pretend to be the kernel (si_code >= 0) or kill/tgkill
 * (SI_TKILL) when signalling someone else (Linux's do_rt_sigqueueinfo).
 */
static bool sigqueue_code_forbidden(const struct linux_siginfo *si, int self, int target)
{
	return (si->code >= 0 || si->code == LINUX_SI_TKILL) && self != target;
}

/* sys_rt_sigqueueinfo implements rt_sigqueueinfo(2). */
long sys_rt_sigqueueinfo(struct task *t, const struct sys_args *a)
{
	int pid = (int)a->a[0];
	uint64_t sig = (uint32_t)a->a[1];
	struct linux_siginfo si;
	int err = copy_siginfo_in(t, a->a[2], (int)sig, &si);
	if (err < 0)
		return err;
	if (sigqueue_code_forbidden(&si, t->tid, pid))
		return -EPERM;
	if (!valid_signal(sig))
		return -EINVAL;
	return proc_signal_process(t, pid, (int)sig, &si);
}

/* sys_rt_tgsigqueueinfo implements rt_tgsigqueueinfo(2). */
long sys_rt_tgsigqueueinfo(struct task *t, const struct sys_args *a)
{
	int tgid = (int)a->a[0], tid = (int)a->a[1];
	uint64_t sig = (uint32_t)a->a[2];
	struct linux_siginfo si;
	int err = copy_siginfo_in(t, a->a[3], (int)sig, &si);
	if (err < 0)
		return err;
	if (tid <= 0 || tgid <= 0)
		return -EINVAL;
	if (sigqueue_code_forbidden(&si, t->tid, tid))
		return -EPERM;
	if (!valid_signal(sig))
		return -EINVAL;
	return proc_signal_thread(t, tgid, tid, (int)sig, &si);
}

/*
 * sys_restart_syscall implements restart_syscall(2): resumes the call
 * interrupted with ERESTART_RESTARTBLOCK (a sleep), or fails with EINTR.
 */
long sys_restart_syscall(struct task *t, const struct sys_args *a)
{
	(void)a;
	long (*fn)(struct task *) = t->restart.fn;
	t->restart.fn = NULL;
	return fn ? fn(t) : -EINTR;
}

static long do_signalfd(struct task *t, int fd, uaddr_t umask, uint64_t size, uint64_t flags)
{
	if (flags & ~(uint64_t)(LINUX_SFD_CLOEXEC | LINUX_SFD_NONBLOCK))
		return -EINVAL;
	linux_sigset_t mask;
	int err = copy_sigset_in(t, umask, size, &mask);
	if (err < 0)
		return err;
	if (fd != -1) {
		struct file *f = fdtable_lookup(t->fdt, fd, NULL);
		if (!f)
			return -EBADF;
		err = signalfd_set_mask(f, mask);
		file_put(f);
		return err < 0 ? err : fd;
	}
	struct file *f;
	err = signalfd_new(mask, (unsigned)flags, &f);
	if (err < 0)
		return err;
	int ret = fdtable_install(t->fdt, f, 0, flags & LINUX_SFD_CLOEXEC, task_nofile_limit(t));
	file_put(f);
	return ret;
}

/* sys_signalfd4 implements signalfd4(2). */
long sys_signalfd4(struct task *t, const struct sys_args *a)
{
	return do_signalfd(t, (int)a->a[0], a->a[1], a->a[2], a->a[3]);
}

/* sys_signalfd implements signalfd(2): signalfd4 without flags. */
long sys_signalfd(struct task *t, const struct sys_args *a)
{
	return do_signalfd(t, (int)a->a[0], a->a[1], a->a[2], 0);
}
