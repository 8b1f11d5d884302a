/*
 * The task loop: run the application until it traps, handle why, deliver
 * signals, repeat (gVisor's Task.run).
 */
#include <errno.h>

#include "common/abi/linux/errno.h"
#include "common/log.h"
#include "sentry/kernel/task.h"
#include "syscalls/syscalls.h"

void task_run(struct task *t);

/*
 * Decides what the application sees of a handler's result. Restart codes
 * become EINTR until signal handlers (and so restarts) exist; this is the
 * one place they will be decided.
 */
static long syscall_result(long ret)
{
	switch (ret) {
	case -LINUX_ERESTARTSYS:
	case -LINUX_ERESTARTNOINTR:
	case -LINUX_ERESTARTNOHAND:
	case -LINUX_ERESTART_RESTARTBLOCK:
		return -EINTR;
	default:
		return ret;
	}
}

static void task_syscall(struct task *t)
{
	const struct platform_ops *p = t->k->cfg.platform;
	const struct linux_regs *regs = p->ctx_regs(t->ctx);
	struct sys_args a = {
		.nr = (uint32_t)regs->orig_rax, /* Linux reads the number as an int */
		.a = { regs->rdi, regs->rsi, regs->rdx, regs->r10, regs->r8, regs->r9 },
	};
	long ret = syscall_dispatch(t, &a);
	if (t->exiting)
		return;
	p->ctx_set_retval(t->ctx, (uint64_t)syscall_result(ret));
}

void task_run(struct task *t)
{
	const struct platform_ops *p = t->k->cfg.platform;
	while (!t->exiting) {
		struct platform_fault fault;
		switch (p->ctx_switch(t->ctx, &fault)) {
		case PLATFORM_EV_SYSCALL:
			task_syscall(t);
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
		if (!t->exiting)
			task_deliver_signals(t);
	}
}
