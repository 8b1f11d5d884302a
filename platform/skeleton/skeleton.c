/*
 * The skeleton platform (see skeleton.h): pages in a red-black tree keyed
 * by address, and the host kernel's memory calls over them.
 *
 * Each memory operation follows its Linux counterpart (mm/mmap.c,
 * mm/mprotect.c, mm/mremap.c, mm/madvise.c, mm/mincore.c, mm/msync.c):
 * the same checks in the same order, the same errnos, and the same
 * partial effects where Linux has them (mprotect and madvise change the
 * mapped prefix before reporting a hole, mincore writes the vector one
 * mapping at a time). Comments name the Linux function each step mirrors.
 *
 * Lock order: as->mu is a leaf lock. It protects the pages, so that
 * as_read/as_write from any thread see each memory operation whole.
 */
#include "platform/skeleton/skeleton.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "common/abi/linux/mman.h"
#include "common/log.h"
#include "common/rbtree.h"

#define PROT_RWX (LINUX_PROT_READ | LINUX_PROT_WRITE | LINUX_PROT_EXEC)
#define PROT_SEM 0x8 /* accepted and ignored by mprotect on x86 */

#define MADV_SOFT_OFFLINE 101

/* The XSAVE area a context has: the legacy region and the header (x87 and SSE only). */
#define FPSTATE_SIZE 576

/* A page's bytes. Shared pages that alias each other hold the same data. */
struct skel_data {
	unsigned refs;
	unsigned char bytes[PAGE_SIZE];
};

struct skel_page {
	struct rb_node node;
	uaddr_t addr;
	int prot; /* LINUX_PROT_READ | WRITE | EXEC */
	bool shared;
	struct skel_data *data; /* NULL: never written, reads as zeros */
};

struct skel_ctx;

struct skel_as {
	struct platform_as base;
	pthread_t owner; /* the thread that may run memory operations */
	struct skel_ctx *ctx;
	pthread_mutex_t mu;

	/* Protected by mu. */
	struct rb_root pages;
	size_t npages;
	bool dead;
	int fail_next[PLATFORM_MEMOP_COUNT];
	uint64_t calls[PLATFORM_MEMOP_COUNT];
};

struct skel_ctx {
	struct platform_ctx base;
	pthread_t owner;
	struct linux_regs regs;
	unsigned char fpstate[FPSTATE_SIZE] __attribute__((aligned(64)));
	atomic_bool interrupted;
};

static struct skel_as *to_as(struct platform_as *as)
{
	BUG_ON(as->ops != &g_platform_skeleton);
	return container_of(as, struct skel_as, base);
}

static struct skel_ctx *to_ctx(struct platform_ctx *ctx)
{
	return container_of(ctx, struct skel_ctx, base);
}

/* PAGE_ALIGN(): wraps to 0 on overflow, as Linux's does. */
static uint64_t page_align(uint64_t x)
{
	return (x + PAGE_SIZE - 1) & PAGE_MASK;
}

/* access_ok(): [addr, addr + len) lies below the highest user address. */
static bool access_ok(uaddr_t addr, uint64_t len)
{
	return len <= LINUX_TASK_SIZE && addr <= LINUX_TASK_SIZE - len;
}

/* Pages and their data. Preconditions for all of them: as->mu held. */

static struct skel_page *page_of(const struct rb_node *node)
{
	return node ? rb_entry(node, struct skel_page, node) : NULL;
}

static struct skel_page *page_next(const struct skel_page *p)
{
	return page_of(rb_next(&p->node));
}

/* The first page at or above addr, or NULL. */
static struct skel_page *page_find_ge(const struct skel_as *as, uaddr_t addr)
{
	struct rb_node *node = as->pages.node;
	struct skel_page *best = NULL;

	while (node) {
		struct skel_page *p = page_of(node);
		if (p->addr >= addr) {
			best = p;
			node = node->left;
		} else {
			node = node->right;
		}
	}
	return best;
}

/* The page containing addr, or NULL. */
static struct skel_page *page_find(const struct skel_as *as, uaddr_t addr)
{
	struct skel_page *p = page_find_ge(as, page_round_down(addr));
	return p && p->addr == page_round_down(addr) ? p : NULL;
}

/* The page's bytes, allocated (zeroed) on first use. */
static struct skel_data *page_data(struct skel_page *p)
{
	if (!p->data) {
		p->data = calloc(1, sizeof(*p->data));
		if (!p->data)
			log_fatal("skeleton: out of memory");
		p->data->refs = 1;
	}
	return p->data;
}

static void data_put(struct skel_data *d)
{
	if (d && --d->refs == 0)
		free(d);
}

/* Links a new, never written page at addr, which must be unmapped. */
static struct skel_page *page_insert(struct skel_as *as, uaddr_t addr, int prot, bool shared)
{
	struct rb_node **link = &as->pages.node, *parent = NULL;

	while (*link) {
		parent = *link;
		uaddr_t a = page_of(parent)->addr;
		BUG_ON(a == addr);
		link = addr < a ? &parent->left : &parent->right;
	}
	struct skel_page *p = calloc(1, sizeof(*p));
	if (!p)
		log_fatal("skeleton: out of memory");
	p->addr = addr;
	p->prot = prot & PROT_RWX;
	p->shared = shared;
	rb_link_node(&p->node, parent, link);
	rb_insert_fixup(&as->pages, &p->node);
	as->npages++;
	return p;
}

static void page_remove(struct skel_as *as, struct skel_page *p)
{
	rb_erase(&as->pages, &p->node);
	as->npages--;
	data_put(p->data);
	free(p);
}

/* The number of mapped pages in [start, end). */
static uint64_t pages_in(const struct skel_as *as, uaddr_t start, uaddr_t end)
{
	uint64_t n = 0;
	for (struct skel_page *p = page_find_ge(as, start); p && p->addr < end; p = page_next(p))
		n++;
	return n;
}

static bool range_is_free(const struct skel_as *as, uaddr_t start, uaddr_t end)
{
	struct skel_page *p = page_find_ge(as, start);
	return !p || p->addr >= end;
}

static bool range_is_mapped(const struct skel_as *as, uaddr_t start, uaddr_t end)
{
	struct skel_page *p = page_find_ge(as, start);
	for (uaddr_t a = start; a < end; a += PAGE_SIZE, p = page_next(p)) {
		if (!p || p->addr != a)
			return false;
	}
	return true;
}

/* Removes every page in [start, end). */
static void unmap_pages(struct skel_as *as, uaddr_t start, uaddr_t end)
{
	struct skel_page *p = page_find_ge(as, start);
	while (p && p->addr < end) {
		struct skel_page *next = page_next(p);
		page_remove(as, p);
		p = next;
	}
}

/*
 * Whether added new pages fit once removed ones are gone; past
 * SKELETON_MAX_PAGES the host is out of memory (its vm_enough_memory()).
 */
static bool room_for(const struct skel_as *as, uint64_t added, uint64_t removed)
{
	return added <= SKELETON_MAX_PAGES && as->npages - removed <= SKELETON_MAX_PAGES - added;
}

/* Maps never-written pages over [start, end), replacing what was there. Returns 0 or -ENOMEM. */
static int map_pages(struct skel_as *as, uaddr_t start, uaddr_t end, int prot, bool shared)
{
	if (!room_for(as, (end - start) / PAGE_SIZE, pages_in(as, start, end)))
		return -ENOMEM;
	unmap_pages(as, start, end);
	for (uaddr_t a = start; a < end; a += PAGE_SIZE)
		page_insert(as, a, prot, shared);
	return 0;
}

/* The end of the host "vma" that holds p: the run of pages like it. */
static uaddr_t run_end(const struct skel_page *p)
{
	uaddr_t end = p->addr + PAGE_SIZE;
	for (const struct skel_page *q = page_next(p);
	     q && q->addr == end && q->prot == p->prot && q->shared == p->shared; q = page_next(q))
		end += PAGE_SIZE;
	return end;
}

/*
 * Copies between sentry memory and the pages, stopping at the first page
 * that is missing or lacks prot (GUP's check_vma_flags() without
 * FOLL_FORCE). Returns the bytes copied.
 */
static size_t copy_in_locked(struct skel_as *as, void *dst, uaddr_t src, size_t len)
{
	size_t done = 0;
	while (done < len) {
		uaddr_t a = src + done;
		if (a < src)
			break; /* wrapped */
		size_t off = a & (PAGE_SIZE - 1);
		size_t n = MIN(len - done, PAGE_SIZE - off);
		struct skel_page *p = page_find(as, a);
		if (!p || !(p->prot & LINUX_PROT_READ))
			break;
		if (p->data)
			memcpy((char *)dst + done, p->data->bytes + off, n);
		else
			memset((char *)dst + done, 0, n);
		done += n;
	}
	return done;
}

static size_t copy_out_locked(struct skel_as *as, uaddr_t dst, const void *src, size_t len)
{
	size_t done = 0;
	while (done < len) {
		uaddr_t a = dst + done;
		if (a < dst)
			break;
		size_t off = a & (PAGE_SIZE - 1);
		size_t n = MIN(len - done, PAGE_SIZE - off);
		struct skel_page *p = page_find(as, a);
		if (!p || !(p->prot & LINUX_PROT_WRITE))
			break;
		memcpy(page_data(p)->bytes + off, (const char *)src + done, n);
		done += n;
	}
	return done;
}

/* The memory operations, as the host runs them. Preconditions: as->mu held. */

/* do_munmap(): also used for the parts mremap unmaps. */
static long host_munmap(struct skel_as *as, uaddr_t addr, uint64_t len)
{
	if (!is_page_aligned(addr) || addr > LINUX_TASK_SIZE || len > LINUX_TASK_SIZE - addr)
		return -EINVAL;
	len = page_align(len);
	if (len == 0)
		return -EINVAL;
	unmap_pages(as, addr, addr + len);
	return 0;
}

/* x86's sys_mmap(), ksys_mmap_pgoff() and do_mmap(), for MAP_FIXED. */
static long host_mmap(struct skel_as *as, const uint64_t args[6])
{
	uaddr_t addr = args[0];
	uint64_t len = args[1];
	int prot = (int)args[2], flags = (int)args[3];

	if (args[5] & (PAGE_SIZE - 1))
		return -EINVAL;
	if (!(flags & LINUX_MAP_FIXED)) {
		/* The stub's seccomp filter kills it: the sentry chooses every address. */
		log_warn("skeleton: mmap without MAP_FIXED (flags %#x): the stub is killed", flags);
		as->dead = true;
		return -ESRCH;
	}
	if (!(flags & LINUX_MAP_ANONYMOUS))
		return -EBADF; /* the stub holds no file descriptor */
	if (len == 0)
		return -EINVAL;
	len = page_align(len);
	if (len == 0)
		return -ENOMEM;
	/* get_unmapped_area() for MAP_FIXED */
	if (len > LINUX_TASK_SIZE || addr > LINUX_TASK_SIZE - len)
		return -ENOMEM;
	if (!is_page_aligned(addr))
		return -EINVAL;
	if (addr < SKELETON_MIN_ADDR)
		return -EPERM;
	if ((flags & LINUX_MAP_FIXED_NOREPLACE) && !range_is_free(as, addr, addr + len))
		return -EEXIST;
	bool shared;
	switch (flags & LINUX_MAP_TYPE) {
	case LINUX_MAP_SHARED:
		if (flags & LINUX_MAP_GROWSDOWN)
			return -EINVAL;
		shared = true;
		break;
	case LINUX_MAP_PRIVATE:
		shared = false;
		break;
	default:
		return -EINVAL;
	}
	int err = map_pages(as, addr, addr + len, prot, shared);
	return err ? err : (long)addr;
}

/* do_mprotect_pkey() */
static long host_mprotect(struct skel_as *as, uaddr_t start, uint64_t len, int prot)
{
	int grows = prot & (LINUX_PROT_GROWSDOWN | LINUX_PROT_GROWSUP);
	prot &= ~grows;
	if (grows == (LINUX_PROT_GROWSDOWN | LINUX_PROT_GROWSUP))
		return -EINVAL;
	if (!is_page_aligned(start))
		return -EINVAL;
	if (len == 0)
		return 0;
	len = page_align(len);
	uaddr_t end = start + len;
	if (end <= start)
		return -ENOMEM;
	if (prot & ~(PROT_RWX | PROT_SEM))
		return -EINVAL;

	struct skel_page *p = page_find_ge(as, start);
	if (!p)
		return -ENOMEM;
	if (grows & LINUX_PROT_GROWSDOWN) {
		/* No host page grows down: the sentry never maps one. */
		return p->addr >= end ? -ENOMEM : -EINVAL;
	}
	if (p->addr > start)
		return -ENOMEM;
	if (grows & LINUX_PROT_GROWSUP)
		return -EINVAL;
	/* The mapped prefix changes; a hole is reported after it. */
	for (uaddr_t a = start; a < end; a += PAGE_SIZE, p = page_next(p)) {
		if (!p || p->addr != a)
			return -ENOMEM;
		p->prot = prot & PROT_RWX;
	}
	return 0;
}

/*
 * move_vma(): moves [old, old + old_len) to new_addr and maps the rest of
 * new_len there like the source. The source pages are in one run that
 * ends at vend; new_addr's range is unmapped and does not overlap.
 */
static long move_pages(struct skel_as *as, uaddr_t old, uint64_t old_len, uaddr_t vend,
                       uint64_t new_len, uaddr_t new_addr, bool dontunmap)
{
	struct skel_page *src = page_find(as, old);
	int prot = src->prot;
	bool shared = src->shared;
	uint64_t added = (dontunmap ? new_len : new_len - old_len) / PAGE_SIZE;
	if (!room_for(as, added, 0))
		return -ENOMEM;

	for (uint64_t off = 0; off < new_len; off += PAGE_SIZE) {
		struct skel_page *np = page_insert(as, new_addr + off, prot, shared);
		if (off < old_len) {
			struct skel_page *op = page_find(as, old + off);
			if (shared) {
				/* The shmem pages: the old range still shows them. */
				np->data = page_data(op);
				np->data->refs++;
				if (!dontunmap)
					page_remove(as, op);
			} else {
				/* The page tables move: a kept old range reads as zeros. */
				np->data = op->data;
				op->data = NULL;
				if (!dontunmap)
					page_remove(as, op);
			}
		} else if (old_len == 0 && old + off < vend) {
			/* Duplicating a shared mapping (old_len 0): the same shmem pages. */
			struct skel_page *op = page_find(as, old + off);
			np->data = page_data(op);
			np->data->refs++;
		}
	}
	return (long)new_addr;
}

/* vma_to_resize(): the checks on the source of a resize or move. */
static long resize_checks(struct skel_as *as, uaddr_t old, uint64_t old_len, uaddr_t *out_vend)
{
	struct skel_page *p = page_find(as, old);
	if (!p)
		return -EFAULT;
	if (old_len == 0 && !p->shared)
		return -EINVAL; /* no duplicating a private mapping */
	uaddr_t vend = run_end(p);
	if (old_len > vend - old)
		return -EFAULT; /* across mappings */
	*out_vend = vend;
	return 0;
}

/* mremap_to(): MREMAP_FIXED (and MREMAP_DONTUNMAP, which always moves). */
static long host_mremap_to(struct skel_as *as, uaddr_t old, uint64_t old_len, uint64_t new_len,
                           int flags, uaddr_t new_addr)
{
	/* The sentry always names the destination: the tree could not know the host's choice. */
	BUG_ON(!(flags & LINUX_MREMAP_FIXED));
	if (!is_page_aligned(new_addr))
		return -EINVAL;
	if (new_len > LINUX_TASK_SIZE || new_addr > LINUX_TASK_SIZE - new_len)
		return -EINVAL;
	if (old + old_len > new_addr && new_addr + new_len > old)
		return -EINVAL; /* overlap */
	long err = host_munmap(as, new_addr, new_len);
	if (err)
		return err;
	if (old_len > new_len) {
		err = host_munmap(as, old + new_len, old_len - new_len);
		if (err)
			return err;
		old_len = new_len;
	}
	uaddr_t vend;
	err = resize_checks(as, old, old_len, &vend);
	if (err)
		return err;
	if (new_addr < SKELETON_MIN_ADDR)
		return -EPERM; /* get_unmapped_area()'s security_mmap_addr() */
	return move_pages(as, old, old_len, vend, new_len, new_addr,
	                  flags & LINUX_MREMAP_DONTUNMAP);
}

/* sys_mremap() */
static long host_mremap(struct skel_as *as, const uint64_t args[6])
{
	uaddr_t old = args[0], new_addr = args[4];
	uint64_t old_len = args[1], new_len = args[2];
	int flags = (int)args[3];

	if (flags & ~(LINUX_MREMAP_FIXED | LINUX_MREMAP_MAYMOVE | LINUX_MREMAP_DONTUNMAP))
		return -EINVAL;
	if ((flags & LINUX_MREMAP_FIXED) && !(flags & LINUX_MREMAP_MAYMOVE))
		return -EINVAL;
	if ((flags & LINUX_MREMAP_DONTUNMAP) &&
	    (!(flags & LINUX_MREMAP_MAYMOVE) || old_len != new_len))
		return -EINVAL;
	if (!is_page_aligned(old))
		return -EINVAL;
	old_len = page_align(old_len);
	new_len = page_align(new_len);
	if (new_len == 0 || new_len > LINUX_TASK_SIZE)
		return -EINVAL; /* too long: checked up front by current Linux (6.18) */
	if (!page_find(as, old))
		return -EFAULT;
	if (flags & (LINUX_MREMAP_FIXED | LINUX_MREMAP_DONTUNMAP))
		return host_mremap_to(as, old, old_len, new_len, flags, new_addr);

	/* Shrinking always works: it unmaps the tail, whatever it spans. */
	if (old_len >= new_len) {
		long err = host_munmap(as, old + new_len, old_len - new_len);
		return err ? err : (long)old;
	}
	uaddr_t vend;
	long err = resize_checks(as, old, old_len, &vend);
	if (err)
		return err;
	/* Grow in place when the mapping ends there and what follows is free (vma_expandable()). */
	if (old_len == vend - old && old <= LINUX_TASK_SIZE - new_len &&
	    range_is_free(as, vend, old + new_len)) {
		struct skel_page *p = page_find(as, old);
		err = map_pages(as, vend, old + new_len, p->prot, p->shared);
		return err ? err : (long)old;
	}
	if (!(flags & LINUX_MREMAP_MAYMOVE))
		return -ENOMEM;
	/* MAYMOVE without FIXED: the host would choose; the sentry never asks that. */
	log_fatal("skeleton: mremap(%#llx, %#llx, %#llx, MREMAP_MAYMOVE) lets the host choose",
	          (unsigned long long)old, (unsigned long long)old_len,
	          (unsigned long long)new_len);
}

/* madvise_behavior_valid(): the values from 0 to 4 and from 8 to 25, and the two poisons. */
static bool madvise_behavior_valid(int advice)
{
	return (advice >= LINUX_MADV_NORMAL && advice <= LINUX_MADV_DONTNEED) ||
	       (advice >= LINUX_MADV_FREE && advice <= LINUX_MADV_COLLAPSE) ||
	       advice == LINUX_MADV_HWPOISON || advice == MADV_SOFT_OFFLINE;
}

/* The advice's effect on one mapping, the run of pages [p->addr, end) (madvise_vma_behavior()). */
static long advise_run(struct skel_page *p, uaddr_t end, int advice)
{
	switch (advice) {
	case LINUX_MADV_DONTNEED:
	case LINUX_MADV_DONTNEED_LOCKED:
		/* Private pages are dropped; shared ones stay in shmem. */
		if (p->shared)
			return 0;
		for (; p && p->addr < end; p = page_next(p)) {
			data_put(p->data);
			p->data = NULL;
		}
		return 0;
	case LINUX_MADV_FREE:
		/* Private anonymous memory only; the pages may stay until memory is short. */
		return p->shared ? -EINVAL : 0;
	case LINUX_MADV_WIPEONFORK:
		return p->shared ? -EINVAL : 0;
	case LINUX_MADV_REMOVE:
		/* madvise_remove(): punches a hole in shmem, which every alias sees. */
		if (!p->shared)
			return -EINVAL;
		if (!(p->prot & LINUX_PROT_WRITE))
			return -EACCES;
		for (; p && p->addr < end; p = page_next(p)) {
			if (p->data)
				memset(p->data->bytes, 0, PAGE_SIZE);
		}
		return 0;
	case LINUX_MADV_POPULATE_READ:
	case LINUX_MADV_POPULATE_WRITE: {
		/* faultin_vma_page_range(): a permission problem is -EINVAL. */
		int need = advice == LINUX_MADV_POPULATE_READ ? LINUX_PROT_READ : LINUX_PROT_WRITE;
		if (!(p->prot & need))
			return -EINVAL;
		for (; p && p->addr < end; p = page_next(p))
			page_data(p);
		return 0;
	}
	default:
		return 0; /* hints that change no byte and no mapping */
	}
}

/* do_madvise() */
static long host_madvise(struct skel_as *as, uaddr_t start, uint64_t len_in, int advice)
{
	if (!madvise_behavior_valid(advice))
		return -EINVAL;
	if (!is_page_aligned(start))
		return -EINVAL;
	uint64_t len = page_align(len_in);
	if (len_in && !len)
		return -EINVAL;
	uaddr_t end = start + len;
	if (end < start)
		return -EINVAL;
	if (end == start)
		return 0;
	if (advice == LINUX_MADV_HWPOISON || advice == MADV_SOFT_OFFLINE)
		return -EPERM; /* needs CAP_SYS_ADMIN, which the stub has not */

	/* madvise_walk_vmas(): each mapping in turn; a hole is reported at the end. */
	bool populate = advice == LINUX_MADV_POPULATE_READ || advice == LINUX_MADV_POPULATE_WRITE;
	long unmapped = 0;
	uaddr_t a = start;
	while (a < end) {
		struct skel_page *p = page_find_ge(as, a);
		if (!p || p->addr >= end)
			return -ENOMEM;
		if (p->addr > a) {
			if (populate)
				return -ENOMEM; /* madvise_populate() stops at the hole */
			unmapped = -ENOMEM;
		}
		uaddr_t vend = MIN(run_end(p), end);
		long err = advise_run(p, vend, advice);
		if (err)
			return err;
		a = vend;
	}
	return unmapped;
}

/* sys_mincore(): the vector is written into the stub's memory, as copy_to_user does. */
static long host_mincore(struct skel_as *as, uaddr_t start, uint64_t len, uaddr_t vec)
{
	unsigned char tmp[PAGE_SIZE];

	if (!is_page_aligned(start))
		return -EINVAL;
	if (!access_ok(start, len))
		return -ENOMEM;
	uint64_t pages = len / PAGE_SIZE + (len % PAGE_SIZE != 0);
	if (!access_ok(vec, pages))
		return -EFAULT;
	while (pages) {
		/* do_mincore(): one mapping, at most a page of vector, at a time. */
		struct skel_page *p = page_find(as, start);
		if (!p)
			return -ENOMEM;
		uint64_t n = MIN(MIN(pages, PAGE_SIZE), (run_end(p) - start) / PAGE_SIZE);
		for (uint64_t i = 0; i < n; i++, p = page_next(p))
			tmp[i] = p->data != NULL;
		if (copy_out_locked(as, vec, tmp, n) != n)
			return -EFAULT;
		pages -= n;
		vec += n;
		start += n * PAGE_SIZE;
	}
	return 0;
}

/* sys_msync(): anonymous memory has nothing to write back; a hole is -ENOMEM. */
static long host_msync(struct skel_as *as, uaddr_t start, uint64_t len, int flags)
{
	if (flags & ~(LINUX_MS_ASYNC | LINUX_MS_INVALIDATE | LINUX_MS_SYNC))
		return -EINVAL;
	if (!is_page_aligned(start))
		return -EINVAL;
	if ((flags & LINUX_MS_ASYNC) && (flags & LINUX_MS_SYNC))
		return -EINVAL;
	len = page_align(len);
	uaddr_t end = start + len;
	if (end < start)
		return -ENOMEM;
	if (end == start)
		return 0;
	return range_is_mapped(as, start, end) ? 0 : -ENOMEM;
}

/* The platform operations. */

static int skeleton_init(void)
{
	return 0;
}

static void skeleton_layout(struct platform_layout *out)
{
	out->min_addr = SKELETON_MIN_ADDR;
	out->max_addr = SKELETON_MAX_ADDR;
	out->vdso_base = SKELETON_VDSO_BASE;
}

/* The FP state of a fresh context, as ptrace's reset_fpstate() leaves it. */
static void reset_fpstate(unsigned char *buf)
{
	uint16_t fcw = 0x37f;
	uint32_t mxcsr = 0x1f80;
	memset(buf, 0, FPSTATE_SIZE);
	memcpy(buf, &fcw, sizeof(fcw));
	memcpy(buf + 24, &mxcsr, sizeof(mxcsr));
}

static int skeleton_as_new(struct platform_as **out_as, struct platform_ctx **out_ctx)
{
	struct skel_as *as = calloc(1, sizeof(*as));
	struct skel_ctx *c = calloc(1, sizeof(*c));
	if (!as || !c) {
		free(c);
		free(as);
		return -ENOMEM;
	}
	as->base.ops = &g_platform_skeleton;
	as->owner = pthread_self();
	as->ctx = c;
	as->pages = RB_ROOT;
	pthread_mutex_init(&as->mu, NULL);
	map_pages(as, SKELETON_VDSO_BASE, SKELETON_VDSO_BASE + SKELETON_VDSO_PAGES * PAGE_SIZE,
	          LINUX_PROT_READ | LINUX_PROT_EXEC, /*shared=*/false);

	c->base.ops = &g_platform_skeleton;
	c->owner = as->owner;
	/* What a fresh ptrace context holds: user segments, IF set, no syscall. */
	c->regs.cs = 0x33;
	c->regs.ss = 0x2b;
	c->regs.eflags = 0x202;
	c->regs.orig_rax = (uint64_t)-1;
	reset_fpstate(c->fpstate);
	atomic_init(&c->interrupted, false);
	*out_as = &as->base;
	*out_ctx = &c->base;
	return 0;
}

static void skeleton_as_destroy(struct platform_as *pas)
{
	struct skel_as *as = to_as(pas);
	struct rb_node *node = rb_first_postorder(&as->pages);
	while (node) {
		struct rb_node *next = rb_next_postorder(node);
		struct skel_page *p = page_of(node);
		data_put(p->data);
		free(p);
		node = next;
	}
	pthread_mutex_destroy(&as->mu);
	free(as->ctx);
	free(as);
}

static long skeleton_as_memop(struct platform_as *pas, enum platform_memop op,
                              const uint64_t args[6])
{
	struct skel_as *as = to_as(pas);
	BUG_ON(op < 0 || op >= PLATFORM_MEMOP_COUNT);
	BUG_ON(!pthread_equal(as->owner, pthread_self()));

	long r;
	pthread_mutex_lock(&as->mu);
	as->calls[op]++;
	if (as->dead) {
		r = -ESRCH;
	} else if (as->fail_next[op]) {
		r = as->fail_next[op];
		as->fail_next[op] = 0;
	} else {
		switch (op) {
		case PLATFORM_MEMOP_MMAP:
			r = host_mmap(as, args);
			break;
		case PLATFORM_MEMOP_MUNMAP:
			r = host_munmap(as, args[0], args[1]);
			break;
		case PLATFORM_MEMOP_MPROTECT:
			r = host_mprotect(as, args[0], args[1], (int)args[2]);
			break;
		case PLATFORM_MEMOP_MREMAP:
			r = host_mremap(as, args);
			break;
		case PLATFORM_MEMOP_MADVISE:
			r = host_madvise(as, args[0], args[1], (int)args[2]);
			break;
		case PLATFORM_MEMOP_MINCORE:
			r = host_mincore(as, args[0], args[1], args[2]);
			break;
		case PLATFORM_MEMOP_MSYNC:
			r = host_msync(as, args[0], args[1], (int)args[2]);
			break;
		default:
			r = -ENOSYS;
			break;
		}
	}
	pthread_mutex_unlock(&as->mu);
	return r;
}

static ssize_t skeleton_as_read(struct platform_as *pas, void *dst, uaddr_t src, size_t len)
{
	struct skel_as *as = to_as(pas);
	pthread_mutex_lock(&as->mu);
	ssize_t n = as->dead ? -ESRCH : (ssize_t)copy_in_locked(as, dst, src, len);
	pthread_mutex_unlock(&as->mu);
	return n;
}

static ssize_t skeleton_as_write(struct platform_as *pas, uaddr_t dst, const void *src, size_t len)
{
	struct skel_as *as = to_as(pas);
	pthread_mutex_lock(&as->mu);
	ssize_t n = as->dead ? -ESRCH : (ssize_t)copy_out_locked(as, dst, src, len);
	pthread_mutex_unlock(&as->mu);
	return n;
}

static enum platform_event skeleton_ctx_switch(struct platform_ctx *pctx,
                                               struct platform_fault *out_fault)
{
	struct skel_ctx *c = to_ctx(pctx);
	(void)out_fault;
	BUG_ON(!pthread_equal(c->owner, pthread_self()));
	if (atomic_exchange(&c->interrupted, false))
		return PLATFORM_EV_INTERRUPT;
	return PLATFORM_EV_DEAD; /* no application code to run */
}

static void skeleton_ctx_interrupt(struct platform_ctx *pctx)
{
	atomic_store(&to_ctx(pctx)->interrupted, true);
}

static struct linux_regs *skeleton_ctx_regs(struct platform_ctx *pctx)
{
	return &to_ctx(pctx)->regs;
}

static void skeleton_ctx_regs_changed(struct platform_ctx *pctx)
{
	(void)pctx; /* the registers live here: nothing to write back */
}

static void skeleton_ctx_set_retval(struct platform_ctx *pctx, uint64_t rax)
{
	to_ctx(pctx)->regs.rax = rax;
}

/* As PTRACE_GETREGSET(NT_X86_XSTATE): copies up to size bytes, returns how many. */
static long skeleton_ctx_get_fpstate(struct platform_ctx *pctx, void *buf, size_t size)
{
	if (size % sizeof(uint64_t))
		return -EINVAL;
	size = MIN(size, FPSTATE_SIZE);
	memcpy(buf, to_ctx(pctx)->fpstate, size);
	return (long)size;
}

/* As PTRACE_SETREGSET(NT_X86_XSTATE): needs a whole XSAVE area. */
static long skeleton_ctx_set_fpstate(struct platform_ctx *pctx, const void *buf, size_t size)
{
	if (size % sizeof(uint64_t))
		return -EINVAL;
	if (size < FPSTATE_SIZE)
		return -EFAULT;
	memcpy(to_ctx(pctx)->fpstate, buf, FPSTATE_SIZE);
	return 0;
}

static uint64_t skeleton_ctx_cpu_time_ns(struct platform_ctx *pctx)
{
	(void)pctx;
	return 0; /* no code ever ran */
}

const struct platform_ops g_platform_skeleton = {
	.name = "skeleton",
	.init = skeleton_init,
	.layout = skeleton_layout,
	.as_new = skeleton_as_new,
	.as_destroy = skeleton_as_destroy,
	.as_memop = skeleton_as_memop,
	.as_read = skeleton_as_read,
	.as_write = skeleton_as_write,
	.ctx_switch = skeleton_ctx_switch,
	.ctx_interrupt = skeleton_ctx_interrupt,
	.ctx_regs = skeleton_ctx_regs,
	.ctx_regs_changed = skeleton_ctx_regs_changed,
	.ctx_set_retval = skeleton_ctx_set_retval,
	.ctx_get_fpstate = skeleton_ctx_get_fpstate,
	.ctx_set_fpstate = skeleton_ctx_set_fpstate,
	.ctx_cpu_time_ns = skeleton_ctx_cpu_time_ns,
};

/* Inspection, for tests. */

int skeleton_page_prot(struct platform_as *pas, uaddr_t addr)
{
	struct skel_as *as = to_as(pas);
	pthread_mutex_lock(&as->mu);
	struct skel_page *p = page_find(as, addr);
	int prot = p ? p->prot : -1;
	pthread_mutex_unlock(&as->mu);
	return prot;
}

bool skeleton_page_resident(struct platform_as *pas, uaddr_t addr)
{
	struct skel_as *as = to_as(pas);
	pthread_mutex_lock(&as->mu);
	struct skel_page *p = page_find(as, addr);
	bool resident = p && p->data;
	pthread_mutex_unlock(&as->mu);
	return resident;
}

bool skeleton_next_range(struct platform_as *pas, uaddr_t addr, struct skeleton_range *out)
{
	struct skel_as *as = to_as(pas);
	pthread_mutex_lock(&as->mu);
	struct skel_page *p = page_find_ge(as, page_round_down(addr));
	if (p) {
		*out = (struct skeleton_range){
			.start = p->addr, .end = run_end(p), .prot = p->prot, .shared = p->shared
		};
	}
	pthread_mutex_unlock(&as->mu);
	return p != NULL;
}

bool skeleton_peek(struct platform_as *pas, uaddr_t addr, void *buf, size_t len)
{
	struct skel_as *as = to_as(pas);
	size_t done = 0;
	pthread_mutex_lock(&as->mu);
	while (done < len) {
		uaddr_t a = addr + done;
		size_t off = a & (PAGE_SIZE - 1);
		size_t n = MIN(len - done, PAGE_SIZE - off);
		struct skel_page *p = a < addr ? NULL : page_find(as, a);
		if (!p)
			break;
		if (p->data)
			memcpy((char *)buf + done, p->data->bytes + off, n);
		else
			memset((char *)buf + done, 0, n);
		done += n;
	}
	pthread_mutex_unlock(&as->mu);
	return done == len;
}

size_t skeleton_page_count(struct platform_as *pas)
{
	struct skel_as *as = to_as(pas);
	pthread_mutex_lock(&as->mu);
	size_t n = as->npages;
	pthread_mutex_unlock(&as->mu);
	return n;
}

uint64_t skeleton_memop_count(struct platform_as *pas, enum platform_memop op)
{
	struct skel_as *as = to_as(pas);
	BUG_ON(op < 0 || op >= PLATFORM_MEMOP_COUNT);
	pthread_mutex_lock(&as->mu);
	uint64_t n = as->calls[op];
	pthread_mutex_unlock(&as->mu);
	return n;
}

void skeleton_fail_next(struct platform_as *pas, enum platform_memop op, int err)
{
	struct skel_as *as = to_as(pas);
	BUG_ON(op < 0 || op >= PLATFORM_MEMOP_COUNT || err >= 0);
	pthread_mutex_lock(&as->mu);
	as->fail_next[op] = err;
	pthread_mutex_unlock(&as->mu);
}

bool skeleton_is_dead(struct platform_as *pas)
{
	struct skel_as *as = to_as(pas);
	pthread_mutex_lock(&as->mu);
	bool dead = as->dead;
	pthread_mutex_unlock(&as->mu);
	return dead;
}
