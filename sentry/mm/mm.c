/*
 * The address space: Linux's checks for the memory system calls, the VMA
 * tree, and the host calls that make the stub's memory match it.
 *
 * Every change runs in the same order: check the arguments as Linux does,
 * ask the platform to carry out the host call at the address the sentry
 * chose (always MAP_FIXED), and change the tree only when the host call
 * succeeded, so that the tree always describes the host's mappings.
 * madvise, mincore and msync do not change mappings: after the range
 * checks the host call's answer is Linux's answer, so they are delegated.
 *
 * MAP_GROWSDOWN is never passed to the host: the sentry grows such a
 * mapping itself when the application faults just below it
 * (mm_handle_fault), so that the tree and the host never disagree.
 */
#include "sentry/mm/mm.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/abi/linux/misc.h"
#include "common/abi/linux/mman.h"
#include "common/host_info.h"
#include "common/log.h"

/* Linux's stack_guard_gap: 256 pages between a growing stack and the mapping below. */
#define STACK_GUARD_GAP (256 * PAGE_SIZE)
/* Linux's mmap_base gap bounds (arch/x86/mm/mmap.c). */
#define MMAP_GAP_MIN (128ULL << 20)
/* Randomisation ranges of Linux on x86-64: stack 16 GiB, mmap 2^28 pages. */
#define STACK_RND_RANGE (16ULL << 30)
#define MMAP_RND_PAGES  (1ULL << 28)

static long memop(struct mm *mm, enum platform_memop op, uint64_t a0, uint64_t a1, uint64_t a2,
                  uint64_t a3, uint64_t a4)
{
	const uint64_t args[6] = { a0, a1, a2, a3, a4, 0 };
	return mm->platform->as_memop(mm->as, op, args);
}

/*
 * The most mappings an application may have: the host's limit, less room
 * for the stub's own mappings and for host mappings the tree counts as
 * one. So the sentry, not the host, refuses the mapping too many, with
 * Linux's ENOMEM (the host's refusal could come too late: the platform
 * may run a memory operation after the call returned).
 */
#define MAP_COUNT_MARGIN 256

static size_t map_count_limit(void)
{
	long host = host_max_map_count();
	return host > 2 * MAP_COUNT_MARGIN ? (size_t)(host - MAP_COUNT_MARGIN) : (size_t)host;
}

int mm_new(const struct platform_ops *platform, struct mm **out_mm, struct platform_ctx **out_ctx)
{
	struct mm *mm = calloc(1, sizeof(*mm));
	if (!mm)
		return -ENOMEM;
	int err = platform->as_new(&mm->as, out_ctx);
	if (err < 0) {
		free(mm);
		return err;
	}
	struct platform_layout layout;
	platform->layout(&layout);
	mm->platform = platform;
	pthread_mutex_init(&mm->mu, NULL);
	mm->users = 1;
	vma_tree_init(&mm->vmas);
	mm->vmas.max_count = map_count_limit();
	mm->min_addr = layout.min_addr;
	mm->max_addr = layout.max_addr;
	mm->vdso_base = layout.vdso_base;
	mm->stack_top = layout.max_addr;
	mm->mmap_base = layout.max_addr - STACK_RND_RANGE - MMAP_GAP_MIN;
	mm->stack_limit = 8ULL << 20;
	mm->data_limit = LINUX_RLIM_INFINITY;
	*out_mm = mm;
	return 0;
}

struct mm *mm_get(struct mm *mm)
{
	atomic_fetch_add(&mm->users, 1);
	return mm;
}

void mm_put(struct mm *mm)
{
	if (mm && atomic_fetch_sub(&mm->users, 1) == 1)
		mm_destroy(mm);
}

int mm_fork(struct mm *parent, struct platform_ctx *parent_ctx, struct mm **out,
            struct platform_clone **out_clone)
{
	if (!parent->platform->clone_prepare)
		return -ENOSYS;
	struct mm *mm = calloc(1, sizeof(*mm));
	if (!mm)
		return -ENOMEM;
	pthread_mutex_lock(&parent->mu);
	mm->platform = parent->platform;
	mm->users = 1;
	pthread_mutex_init(&mm->mu, NULL);
	vma_tree_init(&mm->vmas);
	mm->vmas.max_count = parent->vmas.max_count;
	mm->min_addr = parent->min_addr;
	mm->max_addr = parent->max_addr;
	mm->mmap_base = parent->mmap_base;
	mm->brk_start = parent->brk_start;
	mm->brk = parent->brk;
	mm->stack_top = parent->stack_top;
	mm->vdso_base = parent->vdso_base;
	mm->stack_limit = parent->stack_limit;
	mm->data_limit = parent->data_limit;
	mm->arg_start = parent->arg_start;
	mm->arg_end = parent->arg_end;
	mm->env_start = parent->env_start;
	mm->env_end = parent->env_end;
	mm->patch_table = parent->patch_table;
	mm->patch_table_len = parent->patch_table_len;
	mm->patch_off = parent->patch_off;
	int err = 0;
	for (struct vma *v = vma_first(&parent->vmas); v; v = vma_next(v)) {
		if (!vma_insert(&mm->vmas, v)) {
			err = -ENOMEM;
			break;
		}
	}
	/* The host copies the memory now, while no other thread can change the mappings. */
	if (err == 0)
		err = parent->platform->clone_prepare(parent_ctx, false, out_clone);
	pthread_mutex_unlock(&parent->mu);
	if (err < 0) {
		vma_tree_clear(&mm->vmas);
		pthread_mutex_destroy(&mm->mu);
		free(mm);
		return err;
	}
	*out = mm;
	return 0;
}

void mm_set_as(struct mm *mm, struct platform_as *as)
{
	mm->as = as;
}

void mm_destroy(struct mm *mm)
{
	if (!mm)
		return;
	if (mm->as)
		mm->platform->as_destroy(mm->as);
	vma_tree_clear(&mm->vmas);
	pthread_mutex_destroy(&mm->mu);
	free(mm);
}

void mm_randomize_layout(struct mm *mm)
{
	uint64_t stack_rnd = (host_random_u64() % (STACK_RND_RANGE / PAGE_SIZE)) * PAGE_SIZE;
	mm->stack_top = mm->max_addr - stack_rnd;
	/* mmap_base sits below the largest stack the rlimit allows, as on Linux. */
	uint64_t gap = MAX(mm->stack_limit, MMAP_GAP_MIN) + STACK_GUARD_GAP + STACK_RND_RANGE;
	uint64_t mmap_rnd = (host_random_u64() % MMAP_RND_PAGES) * PAGE_SIZE;
	uint64_t room = mm->max_addr - mm->min_addr;
	if (gap + mmap_rnd > room / 2)
		mmap_rnd = 0;
	mm->mmap_base = page_round_down(mm->max_addr - gap - mmap_rnd);
}

/*
 * MAP_32BIT, as x86-64 Linux places it (find_start_end()): the hint when
 * it is free below 2 GiB, else bottom-up from 1 GiB (plus up to 32 MiB of
 * randomisation), and never above 2 GiB: the application keeps only the
 * low 32 bits. Preconditions: mm->mu held.
 */
static int find_free_32bit(struct mm *mm, uaddr_t hint, uint64_t len, uaddr_t *out)
{
	const uaddr_t end = MIN(mm->max_addr, 1ULL << 31);
	if (hint) {
		hint = page_round_up(hint, NULL);
		if (hint >= mm->min_addr && len <= end && hint <= end - len &&
		    vma_range_is_free(&mm->vmas, hint, hint + len)) {
			*out = hint;
			return 0;
		}
	}
	uaddr_t begin =
	        (1ULL << 30) + (host_random_u64() % ((32ULL << 20) / PAGE_SIZE)) * PAGE_SIZE;
	return vma_find_gap_bottomup(&mm->vmas, len, MAX(begin, mm->min_addr), end, out);
}

/*
 * Finds room for len bytes: the hint when it is free, else top-down below
 * mmap_base, else anywhere. Preconditions: mm->mu held.
 */
static int find_free(struct mm *mm, uaddr_t hint, uint64_t len, int flags, uaddr_t *out)
{
	if (flags & LINUX_MAP_32BIT)
		return find_free_32bit(mm, hint, len, out);
	if (hint) {
		hint = page_round_down(MAX(hint, mm->min_addr));
		if (hint <= mm->max_addr - len && vma_range_is_free(&mm->vmas, hint, hint + len)) {
			*out = hint;
			return 0;
		}
	}
	if (vma_find_gap_topdown(&mm->vmas, len, mm->min_addr, mm->mmap_base, out) == 0)
		return 0;
	return vma_find_gap_topdown(&mm->vmas, len, mm->min_addr, mm->max_addr, out);
}

/* Checks that [addr, addr + len) lies in the guest's range. */
static bool in_guest_range(const struct mm *mm, uaddr_t addr, uint64_t len)
{
	return len <= mm->max_addr && addr <= mm->max_addr - len;
}

/* mmap of memory (file NULL) or of host_fd at off, which backs file. */
static int unmap_locked(struct mm *mm, uaddr_t addr, uint64_t len);

/*
 * The application's mapping call touches [start, end): if the patch table
 * (mm_patch_syscall) is there, the application must not see it. The
 * platform undoes the patches, and the table goes; patching stays off.
 * Preconditions: mm->mu held.
 */
static void patch_table_yield(struct mm *mm, uaddr_t start, uaddr_t end)
{
	uaddr_t t = mm->patch_table;
	if (!t || end <= t || start >= t + mm->patch_table_len)
		return;
	if (mm->platform->as_unpatch_syscalls(mm->as) < 0)
		return; /* another thread may be in the patched code: docs/architecture.md 3b */
	mm->patch_table = 0;
	mm->patch_off = true;
	unmap_locked(mm, t, mm->patch_table_len);
}

static int do_mmap(struct mm *mm, uaddr_t addr, uint64_t len, int prot, int flags, int host_fd,
                   uint64_t off, void *file, int maxprot, uaddr_t *out_addr)
{
	bool ok;
	/* The order of the checks is do_mmap()'s. */
	if (len == 0)
		return -EINVAL;
	len = page_round_up(len, &ok);
	if (!ok || len == 0)
		return -ENOMEM;
	/*
	 * mmap ignores the other prot bits (calc_vm_prot_bits()); kept in the
	 * tree they would stop merges the host makes, and mremap across the
	 * boundary would then fail with EFAULT where Linux succeeds.
	 */
	prot &= LINUX_PROT_READ | LINUX_PROT_WRITE | LINUX_PROT_EXEC;
	if (flags & LINUX_MAP_FIXED_NOREPLACE)
		flags |= LINUX_MAP_FIXED;
	if ((flags & LINUX_MAP_FIXED) && !is_page_aligned(addr))
		return -EINVAL;
	if (len > mm->max_addr - mm->min_addr)
		return -ENOMEM;
	if ((flags & LINUX_MAP_FIXED) && (addr < mm->min_addr || !in_guest_range(mm, addr, len)))
		return addr < mm->min_addr ? -EPERM : -ENOMEM;
	if (mm->vmas.max_count && mm->vmas.count > mm->vmas.max_count)
		return -ENOMEM; /* too many mappings: do_mmap()'s check */

	int type = flags & LINUX_MAP_TYPE;
	unsigned vflags = file ? 0 : VMA_ANON;
	if (type == LINUX_MAP_SHARED_VALIDATE && file)
		type = LINUX_MAP_SHARED; /* for memory, EINVAL below as on Linux */
	if (type == LINUX_MAP_SHARED) {
		if (flags & LINUX_MAP_GROWSDOWN)
			return -EINVAL;
		vflags |= VMA_SHARED;
	} else if (type != LINUX_MAP_PRIVATE) {
		return -EINVAL;
	}
	if (flags & LINUX_MAP_GROWSDOWN)
		vflags |= VMA_GROWSDOWN;
	if (!(maxprot & LINUX_PROT_WRITE))
		vflags |= VMA_NOWRITE;
	if (!(maxprot & LINUX_PROT_EXEC))
		vflags |= VMA_NOEXEC;
	if (flags & LINUX_MAP_NORESERVE)
		vflags |= VMA_NORESERVE;
	if (flags & LINUX_MAP_LOCKED)
		vflags |= VMA_LOCKED;

	pthread_mutex_lock(&mm->mu);
	int err = 0;
	if (flags & LINUX_MAP_FIXED) {
		patch_table_yield(mm, addr, addr + len);
		if ((flags & LINUX_MAP_FIXED_NOREPLACE) &&
		    !vma_range_is_free(&mm->vmas, addr, addr + len)) {
			err = -EEXIST;
			goto out_unlock;
		}
	} else {
		err = find_free(mm, addr, len, flags, &addr);
		if (err < 0)
			goto out_unlock;
	}

	/*
	 * Split first (the only step that can run out of memory while the old
	 * mappings are still in the tree): after the host call, removing the
	 * replaced range then cannot fail, and the tree and the host agree.
	 */
	err = vma_split_at(&mm->vmas, addr);
	if (err == 0)
		err = vma_split_at(&mm->vmas, addr + len);
	if (err < 0)
		goto out_merge;
	int host_flags =
	        (flags & ~(LINUX_MAP_GROWSDOWN | LINUX_MAP_FIXED_NOREPLACE | LINUX_MAP_32BIT |
	                   LINUX_MAP_DENYWRITE | LINUX_MAP_EXECUTABLE | LINUX_MAP_TYPE)) |
	        type | LINUX_MAP_FIXED;
	long r;
	if (file)
		r = mm->platform->as_mmap_fd(mm->as, addr, len, prot,
		                             host_flags & ~LINUX_MAP_ANONYMOUS, host_fd, off);
	else
		r = memop(mm, PLATFORM_MEMOP_MMAP, addr, len, (uint64_t)prot,
		          (uint64_t)(host_flags | LINUX_MAP_ANONYMOUS), (uint64_t)-1);
	if (r < 0) {
		err = (int)r;
		goto out_merge;
	}
	BUG_ON((uaddr_t)r != addr);
	/* The host call replaced whatever was there; so does the tree (no allocation: split). */
	err = vma_remove_range(&mm->vmas, addr, addr + len);
	BUG_ON(err < 0);
	struct vma tmpl = { .start = addr,
		            .end = addr + len,
		            .prot = prot,
		            .flags = vflags,
		            .file = file,
		            .offset = file ? off : 0,
		            .shared_id = (vflags & VMA_SHARED) && !file ? vma_new_shared_id() : 0 };
	if (!vma_insert(&mm->vmas, &tmpl)) {
		/* The old mappings are gone, as on Linux when MAP_FIXED fails late. */
		memop(mm, PLATFORM_MEMOP_MUNMAP, addr, len, 0, 0, 0);
		err = -ENOMEM;
		goto out_unlock;
	}
	*out_addr = addr;
	goto out_unlock;
out_merge:
	/* Nothing changed: undo the splits. */
	vma_merge_at(&mm->vmas, addr);
	vma_merge_at(&mm->vmas, addr + len);
out_unlock:
	pthread_mutex_unlock(&mm->mu);
	return err;
}

int mm_mmap(struct mm *mm, uaddr_t addr, uint64_t len, int prot, int flags, uaddr_t *out_addr)
{
	return do_mmap(mm, addr, len, prot, flags, -1, 0, NULL,
	               LINUX_PROT_READ | LINUX_PROT_WRITE | LINUX_PROT_EXEC, out_addr);
}

int mm_mmap_file(struct mm *mm, uaddr_t addr, uint64_t len, int prot, int flags, int host_fd,
                 uint64_t off, void *file, int maxprot, uaddr_t *out_addr)
{
	if (prot & ~maxprot & (LINUX_PROT_WRITE | LINUX_PROT_EXEC))
		return -EACCES;
	return do_mmap(mm, addr, len, prot, flags, host_fd, off, file, maxprot, out_addr);
}

void mm_patch_syscall(struct mm *mm, uaddr_t site, uint64_t nr)
{
	if (!mm->platform->as_patch_syscall)
		return;
	struct platform_layout lay = { 0 };
	mm->platform->layout(&lay);
	if (!lay.patch_table_len)
		return;
	const int rx = LINUX_PROT_READ | LINUX_PROT_EXEC;
	pthread_mutex_lock(&mm->mu);
	if (!mm->patch_table && !mm->patch_off) {
		/* The table, mapped as any anonymous memory, where nothing is yet. */
		bool is_free = vma_range_is_free(&mm->vmas, lay.patch_table,
		                                 lay.patch_table + lay.patch_table_len);
		pthread_mutex_unlock(&mm->mu);
		uaddr_t got = 0;
		int err = is_free ? mm_mmap(mm, lay.patch_table, lay.patch_table_len, rx,
		                            LINUX_MAP_PRIVATE | LINUX_MAP_ANONYMOUS |
		                                    LINUX_MAP_FIXED_NOREPLACE,
		                            &got)
		                  : -EEXIST;
		pthread_mutex_lock(&mm->mu);
		/* Another thread may have mapped it meanwhile (this one got EEXIST). */
		if (err == 0) {
			mm->patch_table = got;
			mm->patch_table_len = lay.patch_table_len;
		} else if (!mm->patch_table) {
			mm->patch_off = true;
		}
	}
	const struct vma *t = mm->patch_table ? vma_find(&mm->vmas, mm->patch_table) : NULL;
	const struct vma *v = vma_find(&mm->vmas, site);
	/* The table as the mm made it (the program may have replaced it); the site's mapping. */
	bool ok = !mm->patch_off && t && t->start <= mm->patch_table &&
	          t->end >= mm->patch_table + lay.patch_table_len && (t->flags & VMA_ANON) &&
	          !(t->flags & VMA_SHARED) && t->prot == rx && v && site + 7 <= v->end && v->file &&
	          !(v->flags & VMA_SHARED) && v->prot == rx;
	if (ok && mm->platform->as_patch_syscall(mm->as, site, nr) < 0)
		mm->patch_off = true;
	pthread_mutex_unlock(&mm->mu);
}

long mm_pread_fd(struct mm *mm, int host_fd, uaddr_t addr, uint64_t len, uint64_t off)
{
	if (!mm->platform->as_pread_fd)
		return -EOPNOTSUPP;
	return mm->platform->as_pread_fd(mm->as, host_fd, addr, len, off);
}

/* Unmaps [addr, addr + len) from the host and the tree. Preconditions: mm->mu held. */
static int unmap_locked(struct mm *mm, uaddr_t addr, uint64_t len)
{
	if (vma_range_is_free(&mm->vmas, addr, addr + len))
		return 0;
	/* Split first: if that runs out of memory nothing has changed yet. */
	int err = vma_split_at(&mm->vmas, addr);
	if (err == 0)
		err = vma_split_at(&mm->vmas, addr + len);
	if (err < 0)
		goto out_merge;
	long r = memop(mm, PLATFORM_MEMOP_MUNMAP, addr, len, 0, 0, 0);
	if (r < 0)
		err = (int)r;
	else
		err = vma_remove_range(&mm->vmas, addr, addr + len);
	if (err < 0)
		goto out_merge;
	return 0;
out_merge:
	/* Nothing changed: undo the splits. */
	vma_merge_at(&mm->vmas, addr);
	vma_merge_at(&mm->vmas, addr + len);
	return err;
}

int mm_munmap(struct mm *mm, uaddr_t addr, uint64_t len)
{
	bool ok;
	if (!is_page_aligned(addr) || addr > mm->max_addr || len > mm->max_addr - addr)
		return -EINVAL;
	len = page_round_up(len, &ok);
	if (len == 0)
		return -EINVAL;
	pthread_mutex_lock(&mm->mu);
	patch_table_yield(mm, addr, addr + MIN(len, mm->max_addr - addr));
	int err = unmap_locked(mm, addr, MIN(len, mm->max_addr - addr));
	pthread_mutex_unlock(&mm->mu);
	return err;
}

int mm_mprotect(struct mm *mm, uaddr_t addr, uint64_t len, int prot)
{
	bool ok;
	if (!is_page_aligned(addr))
		return -EINVAL;
	if (len == 0)
		return 0;
	len = page_round_up(len, &ok);
	uaddr_t end = addr + len;
	if (!ok || end <= addr)
		return -ENOMEM;
	int grows = prot & (LINUX_PROT_GROWSDOWN | LINUX_PROT_GROWSUP);
	prot &= ~grows;
	if (grows == (LINUX_PROT_GROWSDOWN | LINUX_PROT_GROWSUP))
		return -EINVAL;
	/* PROT_SEM (0x8) is accepted and ignored on x86, as Linux does. */
	if (prot & ~(LINUX_PROT_READ | LINUX_PROT_WRITE | LINUX_PROT_EXEC | 0x8))
		return -EINVAL;
	prot &= ~0x8;

	pthread_mutex_lock(&mm->mu);
	patch_table_yield(mm, addr, end);
	int err = 0;
	struct vma *vma = vma_find_first(&mm->vmas, addr);
	if (!vma || vma->start >= end) {
		err = -ENOMEM;
		goto out_unlock;
	}
	if (grows & LINUX_PROT_GROWSDOWN) {
		/* Linux starts at the vma's start even when addr lies in the hole below it. */
		if (!(vma->flags & VMA_GROWSDOWN)) {
			err = -EINVAL;
			goto out_unlock;
		}
		addr = vma->start;
	} else if (grows & LINUX_PROT_GROWSUP) {
		err = -EINVAL; /* no VM_GROWSUP on x86 */
		goto out_unlock;
	} else if (vma->start > addr) {
		err = -ENOMEM;
		goto out_unlock;
	}
	/* Linux changes the mapped prefix and reports a hole with ENOMEM. */
	uaddr_t covered = addr;
	for (struct vma *v = vma; v && v->start <= covered && covered < end; v = vma_next(v)) {
		/* What the mapping may never grant (VM_MAYWRITE, VM_MAYEXEC): EACCES. */
		if (((prot & LINUX_PROT_WRITE) && (v->flags & VMA_NOWRITE)) ||
		    ((prot & LINUX_PROT_EXEC) && (v->flags & VMA_NOEXEC))) {
			err = -EACCES;
			goto out_unlock;
		}
		covered = MIN(v->end, end);
	}
	err = vma_split_at(&mm->vmas, addr);
	if (err == 0)
		err = vma_split_at(&mm->vmas, covered);
	if (err < 0)
		goto out_merge;
	long r = memop(mm, PLATFORM_MEMOP_MPROTECT, addr, covered - addr, (uint64_t)prot, 0, 0);
	if (r < 0) {
		err = (int)r;
		goto out_merge;
	}
	err = vma_protect_range(&mm->vmas, addr, covered, prot);
	if (err == 0 && covered < end)
		err = -ENOMEM;
	goto out_unlock;
out_merge:
	/* Nothing changed: undo the splits. */
	vma_merge_at(&mm->vmas, addr);
	vma_merge_at(&mm->vmas, covered);
out_unlock:
	pthread_mutex_unlock(&mm->mu);
	return err;
}

long mm_mremap(struct mm *mm, uaddr_t old, uint64_t old_len, uint64_t new_len, int flags,
               uaddr_t new_addr)
{
	bool ok1, ok2;
	if (flags & ~(LINUX_MREMAP_FIXED | LINUX_MREMAP_MAYMOVE | LINUX_MREMAP_DONTUNMAP))
		return -EINVAL;
	if ((flags & LINUX_MREMAP_FIXED) && !(flags & LINUX_MREMAP_MAYMOVE))
		return -EINVAL;
	if ((flags & LINUX_MREMAP_DONTUNMAP) &&
	    (!(flags & LINUX_MREMAP_MAYMOVE) || old_len != new_len))
		return -EINVAL;
	if (!is_page_aligned(old))
		return -EINVAL;
	old_len = page_round_up(old_len, &ok1);
	new_len = page_round_up(new_len, &ok2);
	if (!ok1 || !ok2 || new_len == 0 || new_len > LINUX_TASK_SIZE)
		return -EINVAL;
	/*
	 * mremap_to() checks new_addr for MREMAP_DONTUNMAP too, for which it
	 * is a hint (used below) rather than the destination.
	 */
	if (flags & (LINUX_MREMAP_FIXED | LINUX_MREMAP_DONTUNMAP)) {
		if (!is_page_aligned(new_addr) || !mm_access_ok(new_addr, new_len))
			return -EINVAL;
		if ((flags & LINUX_MREMAP_FIXED) && !in_guest_range(mm, new_addr, new_len))
			return -EINVAL;
		/* The ranges may not overlap. */
		if (new_addr < old + old_len && old < new_addr + new_len)
			return -EINVAL;
		/* get_unmapped_area()'s vm.mmap_min_addr check, as for mmap. */
		if ((flags & LINUX_MREMAP_FIXED) && new_addr < mm->min_addr)
			return -EPERM;
	}

	pthread_mutex_lock(&mm->mu);
	patch_table_yield(mm, old, old + old_len);
	if (flags & LINUX_MREMAP_FIXED)
		patch_table_yield(mm, new_addr, new_addr + new_len);
	long ret;
	struct vma *vma = vma_find(&mm->vmas, old);
	if (!vma) {
		ret = -EFAULT;
		goto out_unlock;
	}
	/*
	 * MREMAP_DONTUNMAP always moves, even at the same size (mremap_to()):
	 * treated as a resize in place it returned old and moved nothing.
	 */
	bool move = flags & (LINUX_MREMAP_FIXED | LINUX_MREMAP_DONTUNMAP);
	if (!move && new_len <= old_len) {
		/*
		 * Shrink in place: Linux unmaps the tail whatever lies there (other
		 * mappings, holes). Nothing above the guest's range is the guest's
		 * to unmap.
		 */
		if (new_len < old_len && old + new_len < mm->max_addr) {
			uint64_t end = MIN(old + old_len, mm->max_addr);
			ret = unmap_locked(mm, old + new_len, end - (old + new_len));
			if (ret < 0)
				goto out_unlock;
		}
		ret = (long)old;
		goto out_unlock;
	}
	if (old_len > vma->end - old) {
		ret = -EFAULT;
		goto out_unlock;
	}
	if (old_len == 0 && !(vma->flags & VMA_SHARED)) {
		ret = -EINVAL; /* duplicating a private mapping is refused since Linux 4.14-ish */
		goto out_unlock;
	}
	struct vma tmpl = *vma;
	tmpl.offset = vma->offset + (old - vma->start); /* the object offset of old */
	if (!move && old_len != 0 && vma->end == old + old_len &&
	    in_guest_range(mm, old, new_len) &&
	    vma_range_is_free(&mm->vmas, old + old_len, old + new_len)) {
		/* Grow in place. */
		ret = memop(mm, PLATFORM_MEMOP_MREMAP, old, old_len, new_len, 0, 0);
		if (ret < 0)
			goto out_unlock;
		tmpl.start = old + old_len;
		tmpl.end = old + new_len;
		tmpl.offset += old_len;
		if (!vma_insert(&mm->vmas, &tmpl))
			log_fatal("mm: out of memory growing a mapping in place");
		ret = (long)old;
		goto out_unlock;
	}
	if (!(flags & LINUX_MREMAP_MAYMOVE)) {
		ret = -ENOMEM;
		goto out_unlock;
	}
	if (flags & LINUX_MREMAP_FIXED) {
		ret = unmap_locked(mm, new_addr, new_len);
		if (ret < 0)
			goto out_unlock;
	} else {
		uaddr_t hint = (flags & LINUX_MREMAP_DONTUNMAP) ? new_addr : 0;
		ret = find_free(mm, hint, new_len, 0, &new_addr);
		if (ret < 0)
			goto out_unlock;
	}
	ret = memop(mm, PLATFORM_MEMOP_MREMAP, old, old_len, new_len,
	            (uint64_t)(flags | LINUX_MREMAP_MAYMOVE | LINUX_MREMAP_FIXED), new_addr);
	if (ret < 0)
		goto out_unlock;
	BUG_ON((uaddr_t)ret != new_addr);
	if (old_len != 0 && !(flags & LINUX_MREMAP_DONTUNMAP)) {
		if (vma_split_at(&mm->vmas, old) < 0 ||
		    vma_split_at(&mm->vmas, old + old_len) < 0 ||
		    vma_remove_range(&mm->vmas, old, old + old_len) < 0)
			log_fatal("mm: out of memory moving a mapping");
	}
	tmpl.start = new_addr;
	tmpl.end = new_addr + new_len;
	if (!vma_insert(&mm->vmas, &tmpl))
		log_fatal("mm: out of memory moving a mapping");
	ret = (long)new_addr;
out_unlock:
	pthread_mutex_unlock(&mm->mu);
	return ret;
}

static bool madvise_behavior_valid(int advice)
{
	switch (advice) {
	case LINUX_MADV_NORMAL:
	case LINUX_MADV_RANDOM:
	case LINUX_MADV_SEQUENTIAL:
	case LINUX_MADV_WILLNEED:
	case LINUX_MADV_DONTNEED:
	case LINUX_MADV_FREE:
	case LINUX_MADV_REMOVE:
	case LINUX_MADV_DONTFORK:
	case LINUX_MADV_DOFORK:
	case LINUX_MADV_MERGEABLE:
	case LINUX_MADV_UNMERGEABLE:
	case LINUX_MADV_HUGEPAGE:
	case LINUX_MADV_NOHUGEPAGE:
	case LINUX_MADV_DONTDUMP:
	case LINUX_MADV_DODUMP:
	case LINUX_MADV_WIPEONFORK:
	case LINUX_MADV_KEEPONFORK:
	case LINUX_MADV_COLD:
	case LINUX_MADV_PAGEOUT:
	case LINUX_MADV_POPULATE_READ:
	case LINUX_MADV_POPULATE_WRITE:
	case LINUX_MADV_DONTNEED_LOCKED:
	case LINUX_MADV_COLLAPSE:
		return true;
	default:
		/* MADV_HWPOISON and MADV_SOFT_OFFLINE act on host pages: never. */
		return false;
	}
}

/*
 * Runs a call that only reads the mappings over [addr, addr + len) on the
 * host, which has the same mappings as the tree. A range reaching above
 * the guest's space is reported as unmapped.
 */
static int delegate_range(struct mm *mm, enum platform_memop op, uaddr_t addr, uint64_t len,
                          uint64_t arg)
{
	if (!in_guest_range(mm, addr, len))
		return -ENOMEM;
	pthread_mutex_lock(&mm->mu);
	long r = memop(mm, op, addr, len, arg, 0, 0);
	pthread_mutex_unlock(&mm->mu);
	return (int)r;
}

int mm_madvise(struct mm *mm, uaddr_t addr, uint64_t len, int advice)
{
	bool ok;
	if (!madvise_behavior_valid(advice) || !is_page_aligned(addr))
		return -EINVAL;
	uint64_t rlen = page_round_up(len, &ok);
	if ((len && !rlen) || !ok || addr + rlen < addr)
		return -EINVAL;
	if (rlen == 0)
		return 0;
	return delegate_range(mm, PLATFORM_MEMOP_MADVISE, addr, rlen, (uint64_t)advice);
}

int mm_mincore(struct mm *mm, uaddr_t addr, uint64_t len, uaddr_t vec)
{
	bool ok;
	if (!is_page_aligned(addr))
		return -EINVAL;
	uint64_t rlen = page_round_up(len, &ok);
	if (!ok)
		return -ENOMEM;
	if (rlen == 0)
		return 0;
	/* The host writes the vector into guest memory itself, with its own EFAULT. */
	if (!in_guest_range(mm, addr, rlen))
		return -ENOMEM;
	pthread_mutex_lock(&mm->mu);
	const uint64_t args[6] = { addr, rlen, vec };
	long r = mm->platform->as_memop(mm->as, PLATFORM_MEMOP_MINCORE, args);
	pthread_mutex_unlock(&mm->mu);
	return (int)r;
}

int mm_msync(struct mm *mm, uaddr_t addr, uint64_t len, int flags)
{
	bool ok;
	if (flags & ~(LINUX_MS_ASYNC | LINUX_MS_INVALIDATE | LINUX_MS_SYNC))
		return -EINVAL;
	if (!is_page_aligned(addr))
		return -EINVAL;
	if ((flags & LINUX_MS_ASYNC) && (flags & LINUX_MS_SYNC))
		return -EINVAL;
	uint64_t rlen = page_round_up(len, &ok);
	if (!ok || addr + rlen < addr)
		return -ENOMEM;
	if (rlen == 0)
		return 0;
	return delegate_range(mm, PLATFORM_MEMOP_MSYNC, addr, rlen, (uint64_t)flags);
}

void mm_set_brk(struct mm *mm, uaddr_t start)
{
	pthread_mutex_lock(&mm->mu);
	mm->brk_start = mm->brk = start;
	pthread_mutex_unlock(&mm->mu);
}

uaddr_t mm_brk(struct mm *mm, uaddr_t addr)
{
	bool ok;
	pthread_mutex_lock(&mm->mu);
	uaddr_t ret = mm->brk;
	if (addr < mm->brk_start || addr > mm->max_addr)
		goto out_unlock;
	if (mm->data_limit != LINUX_RLIM_INFINITY && addr - mm->brk_start > mm->data_limit)
		goto out_unlock;
	uaddr_t newbrk = page_round_up(addr, &ok);
	uaddr_t oldbrk = page_round_up(mm->brk, &ok);
	if (newbrk == oldbrk) {
		mm->brk = ret = addr;
		goto out_unlock;
	}
	if (addr <= mm->brk) {
		if (unmap_locked(mm, newbrk, oldbrk - newbrk) == 0)
			mm->brk = ret = addr;
		goto out_unlock;
	}
	/* Keep a guard page below the next mapping, as Linux does. */
	struct vma *next = vma_find_first(&mm->vmas, oldbrk);
	if (next && newbrk + PAGE_SIZE > next->start)
		goto out_unlock;
	if (newbrk > mm->max_addr - PAGE_SIZE)
		goto out_unlock;
	long r = memop(mm, PLATFORM_MEMOP_MMAP, oldbrk, newbrk - oldbrk,
	               LINUX_PROT_READ | LINUX_PROT_WRITE,
	               LINUX_MAP_PRIVATE | LINUX_MAP_ANONYMOUS | LINUX_MAP_FIXED, (uint64_t)-1);
	if (r < 0)
		goto out_unlock;
	struct vma tmpl = { .start = oldbrk,
		            .end = newbrk,
		            .prot = LINUX_PROT_READ | LINUX_PROT_WRITE,
		            .flags = VMA_ANON,
		            .kind = VMA_KIND_HEAP };
	if (!vma_insert(&mm->vmas, &tmpl)) {
		memop(mm, PLATFORM_MEMOP_MUNMAP, oldbrk, newbrk - oldbrk, 0, 0, 0);
		goto out_unlock;
	}
	mm->brk = ret = addr;
out_unlock:
	pthread_mutex_unlock(&mm->mu);
	return ret;
}

int mm_map_stack(struct mm *mm, uaddr_t top, uint64_t size, int prot)
{
	uaddr_t start = top - size;
	long r = memop(mm, PLATFORM_MEMOP_MMAP, start, size, (uint64_t)prot,
	               LINUX_MAP_PRIVATE | LINUX_MAP_ANONYMOUS | LINUX_MAP_FIXED, (uint64_t)-1);
	if (r < 0)
		return (int)r;
	pthread_mutex_lock(&mm->mu);
	struct vma tmpl = { .start = start,
		            .end = top,
		            .prot = prot,
		            .flags = VMA_ANON | VMA_GROWSDOWN,
		            .kind = VMA_KIND_STACK };
	int err = vma_insert(&mm->vmas, &tmpl) ? 0 : -ENOMEM;
	pthread_mutex_unlock(&mm->mu);
	return err;
}

bool mm_handle_fault(struct mm *mm, uaddr_t addr)
{
	bool grown = false;
	pthread_mutex_lock(&mm->mu);
	struct vma *vma = vma_find_first(&mm->vmas, addr);
	if (!vma || vma->start <= addr || !(vma->flags & VMA_GROWSDOWN))
		goto out_unlock;
	uaddr_t start = page_round_down(addr);
	if (vma->end - start > mm->stack_limit)
		goto out_unlock;
	/*
	 * The guard gap is kept only below a mapping the application can
	 * access and that does not grow down itself (expand_downwards()): a
	 * stack may grow right up to a PROT_NONE guard mapping below it.
	 */
	struct vma *prev = vma_prev(vma);
	if (prev && !(prev->flags & VMA_GROWSDOWN) && prev->prot != LINUX_PROT_NONE &&
	    start - prev->end < STACK_GUARD_GAP)
		goto out_unlock;
	if (start < mm->min_addr)
		goto out_unlock;
	uint64_t len = vma->start - start;
	int host_flags = LINUX_MAP_PRIVATE | LINUX_MAP_ANONYMOUS | LINUX_MAP_FIXED;
	if (memop(mm, PLATFORM_MEMOP_MMAP, start, len, (uint64_t)vma->prot, (uint64_t)host_flags,
	          (uint64_t)-1) < 0)
		goto out_unlock;
	struct vma tmpl = *vma;
	tmpl.start = start;
	tmpl.end = vma->start;
	if (!vma_insert(&mm->vmas, &tmpl)) {
		memop(mm, PLATFORM_MEMOP_MUNMAP, start, len, 0, 0, 0);
		goto out_unlock;
	}
	grown = true;
out_unlock:
	pthread_mutex_unlock(&mm->mu);
	return grown;
}

static char prot_char(int prot, int bit, char c)
{
	return (prot & bit) ? c : '-';
}

size_t mm_format_maps(struct mm *mm, char *buf, size_t size)
{
	size_t len = 0;
	pthread_mutex_lock(&mm->mu);
	for (struct vma *v = vma_first(&mm->vmas); v && len < size; v = vma_next(v)) {
		const char *name = "";
		char path[512];
		uint32_t dev = 0;
		uint64_t ino = 0;
		if (v->kind == VMA_KIND_HEAP)
			name = "[heap]";
		else if (v->kind == VMA_KIND_STACK)
			name = "[stack]";
		if (v->file) {
			g_vma_file_hooks->describe(v->file, path, sizeof(path), &dev, &ino);
			name = path;
		}
		/* Linux's show_map_vma: a name starts in column 73 (seq_pad). */
		char line[128];
		int n = snprintf(line, sizeof(line), "%012lx-%012lx %c%c%c%c %08lx 00:%02x %lu ",
		                 (unsigned long)v->start, (unsigned long)v->end,
		                 prot_char(v->prot, LINUX_PROT_READ, 'r'),
		                 prot_char(v->prot, LINUX_PROT_WRITE, 'w'),
		                 prot_char(v->prot, LINUX_PROT_EXEC, 'x'),
		                 (v->flags & VMA_SHARED) ? 's' : 'p', (unsigned long)v->offset,
		                 (unsigned)dev, (unsigned long)ino);
		int pad = *name && n < 73 ? 73 - n : 0;
		n = snprintf(buf + len, size - len, "%s%*s%s\n", line, pad, "", name);
		if (n < 0)
			break;
		len += (size_t)n;
	}
	pthread_mutex_unlock(&mm->mu);
	return MIN(len, size);
}
