/*
 * The fixture shared by the sentry/mm unit tests: an mm over the skeleton
 * platform (platform/skeleton), and helpers that check that the VMA tree
 * and the skeleton's pages agree.
 */
#ifndef TESTS_UNIT_SENTRY_MM_MM_FIXTURE_H
#define TESTS_UNIT_SENTRY_MM_MM_FIXTURE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/abi/linux/arch_x86.h"
#include "common/abi/linux/misc.h"
#include "common/abi/linux/mman.h"
#include "common/log.h"
#include "platform/skeleton/skeleton.h"
#include "sentry/mm/mm.h"

#define R    LINUX_PROT_READ
#define W    LINUX_PROT_WRITE
#define X    LINUX_PROT_EXEC
#define RW   (R | W)
#define NONE LINUX_PROT_NONE

#define PRIV  (LINUX_MAP_PRIVATE | LINUX_MAP_ANONYMOUS)
#define SHARE (LINUX_MAP_SHARED | LINUX_MAP_ANONYMOUS)
#define FIXED LINUX_MAP_FIXED

#define MAYMOVE   LINUX_MREMAP_MAYMOVE
#define MFIXED    LINUX_MREMAP_FIXED
#define DONTUNMAP LINUX_MREMAP_DONTUNMAP

#define BASE      0x100000000ULL /* 4 GiB: far from everything the mm places itself */
#define P(n)      (BASE + (uint64_t)(n)*PAGE_SIZE)
#define PAGES(n)  ((uint64_t)(n)*PAGE_SIZE)
#define GUARD_GAP PAGES(256) /* Linux's stack_guard_gap */
#define TWO_GIB   (1ULL << 31)

struct fixture {
	struct mm *mm;
	struct platform_ctx *ctx;
	struct platform_as *as;
};

static inline int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	if (!f || mm_new(&g_platform_skeleton, &f->mm, &f->ctx) != 0)
		return -1;
	f->as = f->mm->as;
	*state = f;
	return 0;
}

static inline int teardown(void **state)
{
	struct fixture *f = *state;
	mm_destroy(f->mm);
	free(f);
	return 0;
}

/* Helpers. */

static inline void print_maps(struct mm *mm)
{
	static char buf[1 << 16];
	size_t n = mm_format_maps(mm, buf, sizeof(buf) - 1);
	buf[n] = '\0';
	print_message("tree:\n%s", buf);
	struct skeleton_range r;
	print_message("skeleton:\n");
	for (uaddr_t pos = 0; skeleton_next_range(mm->as, pos, &r); pos = r.end)
		print_message("  %012" PRIx64 "-%012" PRIx64 " prot %d%s\n", r.start, r.end, r.prot,
		              r.shared ? " shared" : "");
}

/*
 * The key invariant: the tree's vmas, merged into runs of equal prot and
 * sharing, are exactly the skeleton's runs below max_addr; and the
 * platform's pages above it are untouched.
 */
static inline void check_agree(struct mm *mm)
{
	struct skeleton_range r;
	uaddr_t pos = 0, prev_end = 0;
	size_t count = 0;
	struct vma *v = vma_first(&mm->vmas);
	while (v) {
		uaddr_t start = v->start, end = v->end;
		int prot = v->prot;
		bool shared = v->flags & VMA_SHARED;
		assert_true(start >= prev_end && start < end && end <= mm->max_addr);
		assert_int_equal(prot & ~(R | W | X), 0);
		count++;
		for (v = vma_next(v); v && v->start == end && v->prot == prot &&
		                      (bool)(v->flags & VMA_SHARED) == shared;
		     v = vma_next(v)) {
			end = v->end;
			count++;
		}
		prev_end = end;
		bool found = skeleton_next_range(mm->as, pos, &r);
		if (!found || r.start != start || r.end != end || r.prot != prot ||
		    r.shared != shared) {
			print_maps(mm);
			fail_msg("tree run %#" PRIx64 "-%#" PRIx64
			         " prot %d shared %d disagrees with "
			         "the host",
			         start, end, prot, shared);
		}
		pos = end;
	}
	assert_int_equal(count, mm->vmas.count);
	if (skeleton_next_range(mm->as, pos, &r) && r.start < mm->max_addr) {
		print_maps(mm);
		fail_msg("host mapping at %#" PRIx64 " that the tree does not have", r.start);
	}
	assert_true(skeleton_next_range(mm->as, mm->max_addr, &r));
	assert_int_equal(r.start, SKELETON_VDSO_BASE);
	assert_int_equal(r.end, SKELETON_VDSO_BASE + PAGES(SKELETON_VDSO_PAGES));
	assert_int_equal(r.prot, R | X);
}

static inline uaddr_t do_mmap(struct mm *mm, uaddr_t addr, uint64_t len, int prot, int flags)
{
	uaddr_t out = 0;
	assert_int_equal(mm_mmap(mm, addr, len, prot, flags, &out), 0);
	return out;
}

/* Maps n fresh private pages at addr. */
static inline void map_fixed(struct mm *mm, uaddr_t addr, uint64_t n, int prot)
{
	assert_int_equal(do_mmap(mm, addr, PAGES(n), prot, PRIV | FIXED), addr);
}

/* Fills the page at addr with byte c, whatever its prot (the host's view). */
static inline void fill_page(struct mm *mm, uaddr_t addr, unsigned char c)
{
	unsigned char buf[PAGE_SIZE];
	memset(buf, c, sizeof(buf));
	assert_int_equal(mm_copy_out(mm, addr, buf, sizeof(buf)), 0);
}

/* Whether every byte of the page at addr is c, read through the skeleton. */
static inline bool page_is(struct mm *mm, uaddr_t addr, unsigned char c)
{
	unsigned char buf[PAGE_SIZE];
	if (!skeleton_peek(mm->as, addr, buf, sizeof(buf)))
		return false;
	for (size_t i = 0; i < sizeof(buf); i++) {
		if (buf[i] != c)
			return false;
	}
	return true;
}

static inline struct vma *vma_at(struct mm *mm, uaddr_t addr)
{
	return vma_find(&mm->vmas, addr);
}

static inline uint64_t host_calls(struct fixture *f, enum platform_memop op)
{
	return skeleton_memop_count(f->as, op);
}

/* mmap */

#endif /* TESTS_UNIT_SENTRY_MM_MM_FIXTURE_H */
