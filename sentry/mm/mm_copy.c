/*
 * Copies between the sentry and guest memory.
 *
 * Each copy first checks the VMA tree, so that a pointer the application
 * could not use itself (unmapped, or without the needed permission) fails
 * with EFAULT before anything happens, exactly as copy_to_user does on
 * Linux, and a read(2) into a bad buffer consumes no input. Then one
 * platform copy moves the bytes; a write into private anonymous memory
 * only may be deferred by the platform (as_write_private).
 */
#include <errno.h>
#include <string.h>

#include "common/abi/linux/mman.h"
#include "sentry/mm/mm.h"

/*
 * Returns 0 when the application could access [addr, addr + len) with
 * prot, and says in *private whether all of it is private anonymous
 * memory (no other process maps it, no file backs it), else -EFAULT.
 * Preconditions: mm->mu held.
 */
static int check_access_locked(struct mm *mm, uaddr_t addr, uint64_t len, int prot, bool *private)
{
	*private = true;
	if (len == 0)
		return 0;
	uaddr_t end = addr + len;
	if (end < addr || end > mm->max_addr)
		return -EFAULT;
	for (struct vma *v = vma_find(&mm->vmas, addr); v; v = vma_next(v)) {
		if (v->start > addr || (v->prot & prot) != prot)
			return -EFAULT;
		if ((v->flags & VMA_SHARED) || !(v->flags & VMA_ANON))
			*private = false;
		if (v->end >= end)
			return 0;
		addr = v->end;
	}
	return -EFAULT;
}

static int check_access(struct mm *mm, uaddr_t addr, uint64_t len, int prot, bool *private)
{
	pthread_mutex_lock(&mm->mu);
	int err = check_access_locked(mm, addr, len, prot, private);
	pthread_mutex_unlock(&mm->mu);
	return err;
}

int mm_check_access(struct mm *mm, uaddr_t addr, uint64_t len, int prot)
{
	bool private;
	return check_access(mm, addr, len, prot, &private);
}

uint64_t mm_access_prefix(struct mm *mm, uaddr_t addr, uint64_t len, int prot)
{
	uaddr_t end = addr + len;
	if (end < addr)
		end = UINT64_MAX;
	end = MIN(end, mm->max_addr);
	uaddr_t cur = addr;
	pthread_mutex_lock(&mm->mu);
	for (struct vma *v = vma_find(&mm->vmas, addr); v && cur < end; v = vma_next(v)) {
		if (v->start > cur || (v->prot & prot) != prot)
			break;
		cur = MIN(v->end, end);
	}
	pthread_mutex_unlock(&mm->mu);
	return cur > addr ? cur - addr : 0;
}

int mm_copy_in(struct mm *mm, void *dst, uaddr_t addr, size_t len)
{
	if (len == 0)
		return 0;
	int err = mm_check_access(mm, addr, len, LINUX_PROT_READ);
	if (err < 0)
		return err;
	ssize_t n = mm->platform->as_read(mm->as, dst, addr, len);
	return n == (ssize_t)len ? 0 : -EFAULT;
}

int mm_copy_out(struct mm *mm, uaddr_t addr, const void *src, size_t len)
{
	if (len == 0)
		return 0;
	bool private;
	int err = check_access(mm, addr, len, LINUX_PROT_WRITE, &private);
	if (err < 0)
		return err;
	/* Private anonymous memory may take it later, before anyone can see it (platform.h). */
	ssize_t n = private && mm->platform->as_write_private
	                    ? mm->platform->as_write_private(mm->as, addr, src, len)
	                    : mm->platform->as_write(mm->as, addr, src, len);
	return n == (ssize_t)len ? 0 : -EFAULT;
}

long mm_copy_string_in(struct mm *mm, char *dst, uaddr_t addr, size_t max)
{
	size_t done = 0;
	while (done < max) {
		/* Read up to the end of the page, so that a string ending just before
		 * an unmapped page is still read. */
		uaddr_t cur = addr + done;
		size_t chunk = MIN(max - done, PAGE_SIZE - (cur & (PAGE_SIZE - 1)));
		int err = mm_copy_in(mm, dst + done, cur, chunk);
		if (err < 0)
			return err;
		char *nul = memchr(dst + done, '\0', chunk);
		if (nul)
			return (long)(nul - dst);
		done += chunk;
	}
	return -ENAMETOOLONG;
}

size_t mm_copy_in_partial(struct mm *mm, void *dst, uaddr_t addr, size_t len)
{
	/* One copy of the readable prefix; the host's stops at a page it cannot read. */
	uint64_t n = mm_access_prefix(mm, addr, len, LINUX_PROT_READ);
	if (n == 0)
		return 0;
	ssize_t got = mm->platform->as_read(mm->as, dst, addr, n);
	return got > 0 ? (size_t)got : 0;
}
