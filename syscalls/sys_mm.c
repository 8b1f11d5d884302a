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

/*
 * The file checks of do_mmap() for a mapping of f: access mode against the
 * mapping type and protection, and a noexec mount against PROT_EXEC.
 */
static int check_file_mapping(struct file *f, int prot, int flags)
{
	unsigned fflags = atomic_load(&f->flags);
	if (fflags & LINUX_O_PATH)
		return -EBADF;
	if (!f->ops->mmap_fd)
		return -ENODEV;
	if (!file_readable(f))
		return -EACCES;
	int type = flags & LINUX_MAP_TYPE;
	bool shared = type == LINUX_MAP_SHARED || type == LINUX_MAP_SHARED_VALIDATE;
	if (shared && (prot & LINUX_PROT_WRITE)) {
		if (!file_writable(f))
			return -EACCES;
		if (fflags & LINUX_O_APPEND)
			return -EACCES;
	}
	if ((prot & LINUX_PROT_EXEC) && f->path.mnt && (f->path.mnt->flags & MNT_NOEXEC))
		return -EPERM;
	return 0;
}

/* sys_mmap implements mmap(2). */
long sys_mmap(struct task *t, const struct sys_args *a)
{
	uaddr_t addr = a->a[0];
	uint64_t len = a->a[1];
	int prot = (int)a->a[2], flags = (int)a->a[3];
	uint64_t off = a->a[5];
	if (off & (PAGE_SIZE - 1))
		return -EINVAL;
	uaddr_t out;
	if (flags & LINUX_MAP_ANONYMOUS) {
		int err = mm_mmap(t->mm, addr, len, prot, flags, &out);
		return err < 0 ? err : (long)out;
	}
	int fd = (int)a->a[4];
	struct file *f = fd < 0 ? NULL : fdtable_lookup(t->fdt, fd, NULL);
	if (!f)
		return -EBADF;
	/* The page offset of the end must not overflow (EOVERFLOW), as do_mmap checks. */
	uint64_t pages = (len + PAGE_SIZE - 1) / PAGE_SIZE;
	int err = 0;
	if (len && (off >> 12) + pages < (off >> 12))
		err = -EOVERFLOW;
	if (err == 0)
		err = check_file_mapping(f, prot, flags);
	int host_fd = -1;
	if (err == 0) {
		int type = flags & LINUX_MAP_TYPE;
		bool shared_write =
		        (type == LINUX_MAP_SHARED || type == LINUX_MAP_SHARED_VALIDATE) &&
		        (prot & LINUX_PROT_WRITE);
		err = f->ops->mmap_fd(f, shared_write, &host_fd);
	}
	if (err == 0) {
		int type = flags & LINUX_MAP_TYPE;
		int maxprot = LINUX_PROT_READ | LINUX_PROT_WRITE | LINUX_PROT_EXEC;
		if ((type == LINUX_MAP_SHARED || type == LINUX_MAP_SHARED_VALIDATE) &&
		    !file_writable(f))
			maxprot &= ~LINUX_PROT_WRITE;
		if (f->path.mnt && (f->path.mnt->flags & MNT_NOEXEC))
			maxprot &= ~LINUX_PROT_EXEC;
		err = mm_mmap_file(t->mm, addr, len, prot, flags, host_fd, off, f, maxprot, &out);
	}
	file_put(f);
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
