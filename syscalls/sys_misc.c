/*
 * The rest of the foundation's calls: exit, exit_group, arch_prctl,
 * set_tid_address, set_robust_list, getrandom, sched_yield,
 * sched_getaffinity.
 */
#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <sys/random.h>
#include <sys/sysinfo.h>

#include "common/abi/linux/mman.h"
#include "common/host_info.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"
#include "syscalls/syscalls.h"

/* sys_exit implements exit(2): the calling thread ends; the process with its last thread. */
long sys_exit(struct task *t, const struct sys_args *a)
{
	t->exit_code = (int)(a->a[0] & 0xff) << 8;
	t->exiting = true;
	return 0;
}

/* sys_exit_group implements exit_group(2). */
long sys_exit_group(struct task *t, const struct sys_args *a)
{
	task_group_exit(t, (int)(a->a[0] & 0xff) << 8);
	return 0;
}

/* sys_arch_prctl implements arch_prctl(2). */
long sys_arch_prctl(struct task *t, const struct sys_args *a)
{
	const struct platform_ops *p = t->k->cfg.platform;
	struct linux_regs *regs = p->ctx_regs(t->ctx);
	uint64_t addr = a->a[1];
	switch (a->a[0]) {
	case LINUX_ARCH_SET_FS:
	case LINUX_ARCH_SET_GS:
		/* Linux: a base at or above TASK_SIZE_MAX is refused. */
		if (addr >= LINUX_TASK_SIZE)
			return -EPERM;
		if (a->a[0] == LINUX_ARCH_SET_FS)
			regs->fs_base = addr;
		else
			regs->gs_base = addr;
		p->ctx_regs_changed(t->ctx);
		return 0;
	case LINUX_ARCH_GET_FS:
		return mm_copy_out(t->mm, addr, &regs->fs_base, sizeof(uint64_t));
	case LINUX_ARCH_GET_GS:
		return mm_copy_out(t->mm, addr, &regs->gs_base, sizeof(uint64_t));
	case LINUX_ARCH_GET_CPUID:
		return 1; /* CPUID does not fault in the stub */
	case LINUX_ARCH_SET_CPUID:
		return -ENODEV; /* as on a CPU without CPUID faulting */
	default:
		return -EINVAL;
	}
}

/* sys_set_tid_address implements set_tid_address(2). */
long sys_set_tid_address(struct task *t, const struct sys_args *a)
{
	t->clear_child_tid = a->a[0];
	return t->tid;
}

/* The size of struct robust_list_head on x86-64. */
#define ROBUST_LIST_HEAD_SIZE 24

/* sys_set_robust_list implements set_robust_list(2): recorded for thread exit. */
long sys_set_robust_list(struct task *t, const struct sys_args *a)
{
	if (a->a[1] != ROBUST_LIST_HEAD_SIZE)
		return -EINVAL;
	/* get_robust_list(2) of another thread reads it. */
	__atomic_store_n(&t->robust_list, a->a[0], __ATOMIC_RELAXED);
	t->robust_list_len = a->a[1];
	return 0;
}

/* sys_getrandom implements getrandom(2) from the host's generator. */
long sys_getrandom(struct task *t, const struct sys_args *a)
{
	uint64_t flags = a->a[2];
	if (flags & ~(uint64_t)(LINUX_GRND_NONBLOCK | LINUX_GRND_RANDOM | LINUX_GRND_INSECURE))
		return -EINVAL;
	if ((flags & LINUX_GRND_INSECURE) && (flags & LINUX_GRND_RANDOM))
		return -EINVAL;
	uint64_t len = MIN(a->a[1], (uint64_t)(INT_MAX & PAGE_MASK));
	if (len == 0)
		return 0;
	len = mm_access_prefix(t->mm, a->a[0], len, LINUX_PROT_WRITE);
	if (len == 0)
		return -EFAULT;
	char buf[4096];
	uint64_t done = 0;
	while (done < len) {
		size_t chunk = (size_t)MIN(len - done, sizeof(buf));
		ssize_t n = getrandom(buf, chunk, (unsigned)(flags & LINUX_GRND_NONBLOCK));
		if (n < 0)
			return done ? (long)done : -errno;
		int err = mm_copy_out(t->mm, a->a[0] + done, buf, (size_t)n);
		if (err < 0)
			return done ? (long)done : err;
		done += (uint64_t)n;
	}
	return (long)done;
}

/* sys_sched_yield implements sched_yield(2). */
long sys_sched_yield(struct task *t, const struct sys_args *a)
{
	sched_yield();
	return 0;
}

/* sys_sched_getaffinity implements sched_getaffinity(2): the CPUs the sandbox may use. */
long sys_sched_getaffinity(struct task *t, const struct sys_args *a)
{
	int pid = (int)a->a[0];
	uint64_t len = a->a[1];
	int ncpus = host_ncpus_conf();
	/* Linux's cpumask_size(): nr_cpu_ids bits, rounded up to longs. */
	uint64_t mask_size = (uint64_t)((ncpus + 63) / 64) * 8;
	if (len * 8 < (uint64_t)ncpus || (len & 7))
		return -EINVAL;
	if (pid != 0 && pid != t->tid)
		return -ESRCH;
	cpu_set_t set;
	if (sched_getaffinity(0, sizeof(set), &set) != 0)
		return -errno;
	uint64_t size = MIN(len, mask_size);
	if (size > sizeof(set))
		size = sizeof(set);
	int err = mm_copy_out(t->mm, a->a[2], &set, (size_t)size);
	return err < 0 ? err : (long)size;
}
