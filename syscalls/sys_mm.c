/*
 * Memory system calls: brk, mmap, munmap, mprotect, mremap, madvise,
 * mincore, msync. The checks live in sentry/mm; these decode arguments.
 */
#include <errno.h>

#include "common/abi/linux/mman.h"
#include "common/log.h"
#include "sentry/kernel/fdtable.h"
#include "sentry/kernel/kernel.h"
#include "sentry/mm/mm.h"
#include "sentry/vfs/file.h"
#include "syscalls/syscalls.h"

/* sys_brk implements brk(2). */
long sys_brk(struct task *t, const struct sys_args *a)
{
	return (long)mm_brk(t->mm, a->a[0]);
}

/* sys_mmap implements mmap(2) for anonymous memory. */
long sys_mmap(struct task *t, const struct sys_args *a)
{
	uaddr_t addr = a->a[0];
	uint64_t len = a->a[1];
	int prot = (int)a->a[2], flags = (int)a->a[3];
	if (a->a[5] & (PAGE_SIZE - 1))
		return -EINVAL;
	if (!(flags & LINUX_MAP_ANONYMOUS)) {
		int fd = (int)a->a[4];
		struct file *f = fd < 0 ? NULL : fdtable_lookup(t->fdt, fd, NULL);
		if (!f)
			return -EBADF;
		file_put(f);
		/* Host files cannot be mapped into the stub yet: ENODEV, "no mmap here". */
		log_info("mmap of fd %d: file mappings are not supported yet", fd);
		return -ENODEV;
	}
	uaddr_t out;
	int err = mm_mmap(t->mm, addr, len, prot, flags, &out);
	return err < 0 ? err : (long)out;
}

/* sys_munmap implements munmap(2). */
long sys_munmap(struct task *t, const struct sys_args *a)
{
	return mm_munmap(t->mm, a->a[0], a->a[1]);
}

/* sys_mprotect implements mprotect(2). */
long sys_mprotect(struct task *t, const struct sys_args *a)
{
	return mm_mprotect(t->mm, a->a[0], a->a[1], (int)a->a[2]);
}

/* sys_mremap implements mremap(2). */
long sys_mremap(struct task *t, const struct sys_args *a)
{
	return mm_mremap(t->mm, a->a[0], a->a[1], a->a[2], (int)a->a[3], a->a[4]);
}

/* sys_madvise implements madvise(2). */
long sys_madvise(struct task *t, const struct sys_args *a)
{
	return mm_madvise(t->mm, a->a[0], a->a[1], (int)a->a[2]);
}

/* sys_mincore implements mincore(2). */
long sys_mincore(struct task *t, const struct sys_args *a)
{
	return mm_mincore(t->mm, a->a[0], a->a[1], a->a[2]);
}

/* sys_msync implements msync(2). */
long sys_msync(struct task *t, const struct sys_args *a)
{
	return mm_msync(t->mm, a->a[0], a->a[1], (int)a->a[2]);
}
