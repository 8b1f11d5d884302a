/*
 * The task loop: run the application until it traps, handle why, deliver
 * signals, repeat (gVisor's Task.run).
 */
#include <errno.h>
#include <stdatomic.h>

#include "common/abi/linux/errno.h"
#include "common/abi/linux/syscall_nr.h"
#include "common/log.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"
#include "syscalls/syscalls.h"

void task_syscall_result(struct task *t, const struct linux_sigaction *act)
{
	if (!t->in_syscall)
		return;
	t->in_syscall = false;
	const struct platform_ops *p = t->k->cfg.platform;
	struct linux_regs *regs = p->ctx_regs(t->ctx);
	switch ((long)regs->rax) {
	case -LINUX_ERESTART_RESTARTBLOCK:
		if (act)
			break;
		regs->rax = LINUX_SYS_restart_syscall;
		regs->rip -= 2;
		p->ctx_regs_changed(t->ctx);
		return;
	case -LINUX_ERESTARTNOHAND:
		if (act)
			break;
		goto restart;
	case -LINUX_ERESTARTSYS:
		if (act && !(act->flags & LINUX_SA_RESTART))
			break;
		goto restart;
	case -LINUX_ERESTARTNOINTR:
		goto restart;
	default:
		return;
	}
	p->ctx_set_retval(t->ctx, (uint64_t)-EINTR);
	return;
restart:
	/* The syscall instruction is 2 bytes; its number comes back from orig_rax. */
	regs->rax = regs->orig_rax;
	regs->rip -= 2;
	p->ctx_regs_changed(t->ctx);
}

static void task_syscall(struct task *t)
{
	const struct platform_ops *p = t->k->cfg.platform;
	const struct linux_regs *regs = p->ctx_regs(t->ctx);
	if (p->ctx_syscall_site) {
		uaddr_t site = p->ctx_syscall_site(t->ctx);
		if (site)
			mm_patch_syscall(t->mm, site, regs->orig_rax);
	}
	struct sys_args a = {
		.nr = (uint32_t)regs->orig_rax, /* Linux reads the number as an int */
		.a = { regs->rdi, regs->rsi, regs->rdx, regs->r10, regs->r8, regs->r9 },
	};
	/* Restart codes apply to the result, unless rt_sigreturn clears this. */
	t->in_syscall = true;
	long ret = syscall_dispatch(t, &a);
	if (task_should_exit(t))
		return;
	/*
	 * Restart codes stay in rax until task_deliver_signals decides on them
	 * (task_syscall_result), knowing whether a handler runs.
	 */
	p->ctx_set_retval(t->ctx, (uint64_t)ret);
}

/*
 * A 32-bit system call (int $0x80) from a 64-bit program: the sentry does
 * not emulate the i386 ABI, so it fails with ENOSYS instead of being read
 * as the 64-bit call with the same number.
 */
static void task_syscall32(struct task *t)
{
	const struct platform_ops *p = t->k->cfg.platform;
	const struct linux_regs *regs = p->ctx_regs(t->ctx);
	static atomic_bool logged;
	if (!atomic_exchange(&logged, true))
		log_info("unsupported 32-bit syscall %u (int $0x80)", (unsigned)regs->orig_rax);
	if (t->k->cfg.strace)
		log_raw("[%4d] int $0x80 syscall %u = -ENOSYS (32-bit calls are not supported)\n",
		        t->tid, (unsigned)regs->orig_rax);
	p->ctx_set_retval(t->ctx, (uint64_t)-ENOSYS);
}

void task_run(struct task *t)
{
	const struct platform_ops *p = t->k->cfg.platform;
	while (!task_should_exit(t)) {
		struct platform_fault fault = { 0 };
		switch (p->ctx_switch(t->ctx, &fault)) {
		case PLATFORM_EV_SYSCALL:
			task_syscall(t);
			break;
		case PLATFORM_EV_SYSCALL32:
			task_syscall32(t);
			break;
		case PLATFORM_EV_FAULT:
			task_handle_fault(t, &fault);
			break;
		case PLATFORM_EV_INTERRUPT:
			break;
		case PLATFORM_EV_DEAD:
			log_warn("task %d: its stub process died; killing the process", t->tid);
			task_group_exit(t, LINUX_SIGKILL);
			break;
		}
		if (!task_should_exit(t))
			task_deliver_signals(t);
	}
}
