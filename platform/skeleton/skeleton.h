/*
 * The skeleton platform: address spaces kept in sentry memory, so that the
 * core (sentry/mm, the loader, ...) links and runs in unit tests without a
 * host process, as Gramine's skeleton PAL lets its LibOS do.
 *
 * An address space is a sparse set of pages, each with its protection and
 * its bytes (allocated on first write; a page never written reads as
 * zeros). The memory operations behave as the host kernel's mmap,
 * munmap, mprotect, mremap, madvise, mincore and msync do over those
 * pages, with the host's checks and errnos, so that a test sees what the
 * sentry would see over the ptrace platform. as_read and as_write behave
 * as process_vm_readv/writev: they stop at the first page that is missing
 * or lacks PROT_READ (PROT_WRITE), and return the short count.
 *
 * What the model leaves out, and what it is strict about:
 *   - A host "vma" (for mremap's and mincore's per-mapping rules) is a
 *     maximal run of contiguous pages with the same protection and
 *     sharing: anonymous mappings that Linux would merge. The real host
 *     may keep more boundaries (it does not merge vmas moved by mremap).
 *   - MAP_SHARED pages share their bytes across an mremap that keeps the
 *     old range (old_len 0, MREMAP_DONTUNMAP); no fork, so no copy on
 *     write. MADV_DONTNEED zeroes private pages only, as on the host.
 *   - No page grows down: the sentry never passes MAP_GROWSDOWN on.
 *   - An mmap without MAP_FIXED kills the "stub", as the ptrace stub's
 *     seccomp filter does: that call and every later one fail with
 *     -ESRCH. An mremap that would let the host choose the address (the
 *     tree could not know it) and a memory operation from another thread
 *     than the one that created the address space are sentry bugs: they
 *     abort (BUG_ON), as the ptrace platform does for the latter.
 *   - Above SKELETON_MAX_ADDR sit two read-execute "vDSO" pages at
 *     SKELETON_VDSO_BASE, which the application may read but the sentry
 *     must never change; nothing stops a memory operation from doing so,
 *     as on the host, so tests check them.
 *
 * Contexts run no code: ctx_switch returns PLATFORM_EV_INTERRUPT once
 * after ctx_interrupt, and PLATFORM_EV_DEAD otherwise. Registers are a
 * struct kept in the context, with the values a fresh ptrace context has.
 *
 * Not in platform.c's table: runsc users cannot select it.
 */
#ifndef PLATFORM_SKELETON_SKELETON_H
#define PLATFORM_SKELETON_SKELETON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "platform/platform.h"

/* The layout every skeleton address space has (see struct platform_layout). */
#define SKELETON_MIN_ADDR   0x10000ULL        /* Linux's default vm.mmap_min_addr */
#define SKELETON_MAX_ADDR   0x7fffc0000000ULL /* as ptrace: below the stub, 1 GiB-aligned */
#define SKELETON_VDSO_BASE  0x7ffff7fc1000ULL
#define SKELETON_VDSO_PAGES 2
/* The most pages an address space holds; past it mappings fail with -ENOMEM. */
#define SKELETON_MAX_PAGES (1UL << 20)

extern const struct platform_ops g_platform_skeleton;

/*
 * Inspection and fault injection, for tests. as must come from
 * g_platform_skeleton.as_new (mm->as). These take the address space's
 * lock and may be called from any thread.
 */

/* The protection (LINUX_PROT_*) of the page containing addr, or -1 when it is unmapped. */
int skeleton_page_prot(struct platform_as *as, uaddr_t addr);

/* Whether the page containing addr holds bytes of its own: mincore's "resident". */
bool skeleton_page_resident(struct platform_as *as, uaddr_t addr);

/* A run of contiguous pages with the same protection and sharing. */
struct skeleton_range {
	uaddr_t start, end;
	int prot;
	bool shared;
};

/*
 * Finds the first mapped page at or above addr and the run that starts
 * there (up to the next hole or change of protection or sharing).
 * Returns false when no page is mapped at or above addr.
 */
bool skeleton_next_range(struct platform_as *as, uaddr_t addr, struct skeleton_range *out);

/*
 * Copies len bytes at addr into buf whatever the pages' protections.
 * Returns false, having copied a prefix, when a page is unmapped.
 */
bool skeleton_peek(struct platform_as *as, uaddr_t addr, void *buf, size_t len);

/* The number of mapped pages, the vDSO's included. */
size_t skeleton_page_count(struct platform_as *as);

/* The number of memory operations op asked for so far, failed ones included. */
uint64_t skeleton_memop_count(struct platform_as *as, enum platform_memop op);

/*
 * Makes the next memory operation op fail with err (a -errno) before it
 * changes anything, as a host call that runs out of memory would.
 */
void skeleton_fail_next(struct platform_as *as, enum platform_memop op, int err);

/* Whether the stub was "killed" (see above). */
bool skeleton_is_dead(struct platform_as *as);

#endif /* PLATFORM_SKELETON_SKELETON_H */
