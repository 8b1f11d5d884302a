/* The syscall entry: see syscall_dispatch() in syscalls.h. */
#include <errno.h>

#include "sentry/kernel/kernel.h"
#include "syscalls/syscalls.h"

long syscall_dispatch(struct task *t, const struct sys_args *a)
{
	const struct syscall_entry *e = syscall_entry(a->nr);
	bool strace = t->k->cfg.strace;
	struct strace_state st;
	if (unlikely(strace))
		strace_enter(t, a, &st);
	long ret;
	if (likely(e && e->handler)) {
		ret = e->handler(t, a);
	} else {
		kernel_log_unsupported(t->k, a->nr);
		ret = -ENOSYS;
	}
	if (unlikely(strace))
		strace_exit(t, a, ret, &st);
	return ret;
}
