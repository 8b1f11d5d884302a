/*
 * futex(2) and get_robust_list(2). The futexes themselves are the
 * kernel's (sentry/kernel/futex.c), which a thread's exit also uses;
 * set_robust_list(2) is in sys_misc.c.
 */
#include <errno.h>

#include "sentry/kernel/futex.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"
#include "syscalls/syscalls.h"

/* sys_futex implements futex(2). */
long sys_futex(struct task *t, const struct sys_args *a)
{
	return futex_syscall(t, a->a[0], (int)a->a[1], (uint32_t)a->a[2], a->a[3], a->a[4],
	                     (uint32_t)a->a[5]);
}

/*
 * Whether t may read target's robust list: ptrace_may_access with
 * PTRACE_MODE_READ_REALCREDS (the same process, the real ids matching
 * all of the target's, or CAP_SYS_PTRACE).
 */
static bool may_read_robust_list(const struct task *t, const struct task *target)
{
	if (t->tg == target->tg || creds_capable(&t->creds, LINUX_CAP_SYS_PTRACE))
		return true;
	const struct creds *c = &t->creds, *tc = &target->creds;
	return c->ruid == tc->ruid && c->ruid == tc->euid && c->ruid == tc->suid &&
	       c->rgid == tc->rgid && c->rgid == tc->egid && c->rgid == tc->sgid;
}

/* sys_get_robust_list implements get_robust_list(2). */
long sys_get_robust_list(struct task *t, const struct sys_args *a)
{
	int pid = (int)a->a[0];
	uaddr_t head;
	if (pid == 0) {
		head = t->robust_list;
	} else {
		pthread_mutex_lock(&t->k->mu);
		struct task *target = kernel_find_task_locked(t->k, pid);
		if (!target) {
			pthread_mutex_unlock(&t->k->mu);
			return -ESRCH;
		}
		bool ok = may_read_robust_list(t, target);
		/* The target's own thread sets it: a relaxed read of one word. */
		head = __atomic_load_n(&target->robust_list, __ATOMIC_RELAXED);
		pthread_mutex_unlock(&t->k->mu);
		if (!ok)
			return -EPERM;
	}
	/* The head's size: set_robust_list accepts no other. */
	uint64_t len = 24;
	int err = mm_copy_out(t->mm, a->a[2], &len, sizeof(len));
	if (err == 0)
		err = mm_copy_out(t->mm, a->a[1], &head, sizeof(head));
	return err;
}
