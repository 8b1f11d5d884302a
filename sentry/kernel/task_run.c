/*
 * The task loop: run the application until it traps, handle why, deliver
 * signals, repeat (gVisor's Task.run).
 */
#include <errno.h>
#include <stdatomic.h>

#include "common/abi/linux/errno.h"
#include "common/log.h"
#include "sentry/kernel/task.h"
#include "syscalls/syscalls.h"

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
	if (task_should_exit(t))
		return;
	p->ctx_set_retval(t->ctx, (uint64_t)syscall_result(ret));
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
		struct platform_fault fault;
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
