/*
 * Unit tests for sentry/mm/mm.c over the skeleton platform (mm_copy.c has
 * its own, test_mm_copy.c).
 *
 * Each test drives the mm's system-call entry points and checks three
 * things: the result Linux gives, the VMA tree, and the skeleton's pages,
 * which play the host's part. check_agree() compares the last two after
 * every change: the tree must describe the host's mappings exactly (the
 * design's key invariant, docs/architecture.md section 4). test_random
 * runs thousands of random calls, some with an injected host failure,
 * and checks it after each one.
 */
#include "tests/unit/sentry/mm/mm_fixture.h"

static void test_mmap_checks(void **state)
{
	struct fixture *f = *state;
	struct mm *mm = f->mm;
	uaddr_t out;

	assert_int_equal(mm_mmap(mm, 0, 0, RW, PRIV, &out), -EINVAL);
	assert_int_equal(mm_mmap(mm, 0, UINT64_MAX, RW, PRIV, &out), -ENOMEM);
	assert_int_equal(mm_mmap(mm, 0, mm->max_addr - mm->min_addr + PAGE_SIZE, RW, PRIV, &out),
	                 -ENOMEM);
	assert_int_equal(mm_mmap(mm, P(0) + 1, PAGE_SIZE, RW, PRIV | FIXED, &out), -EINVAL);
	assert_int_equal(
	        mm_mmap(mm, P(0) + 1, PAGE_SIZE, RW, PRIV | LINUX_MAP_FIXED_NOREPLACE, &out),
	        -EINVAL);
	/* Neither private nor shared; MAP_SHARED_VALIDATE is for files. */
	assert_int_equal(mm_mmap(mm, 0, PAGE_SIZE, RW, LINUX_MAP_ANONYMOUS, &out), -EINVAL);
	assert_int_equal(mm_mmap(mm, 0, PAGE_SIZE, RW,
	                         LINUX_MAP_SHARED_VALIDATE | LINUX_MAP_ANONYMOUS, &out),
	                 -EINVAL);
	assert_int_equal(mm_mmap(mm, 0, PAGE_SIZE, RW, 0xf | LINUX_MAP_ANONYMOUS, &out), -EINVAL);
	assert_int_equal(mm_mmap(mm, 0, PAGE_SIZE, RW, SHARE | LINUX_MAP_GROWSDOWN, &out), -EINVAL);
	/* Below vm.mmap_min_addr, and past the top. */
	assert_int_equal(mm_mmap(mm, 0x1000, PAGE_SIZE, RW, PRIV | FIXED, &out), -EPERM);
	assert_int_equal(mm_mmap(mm, mm->max_addr - PAGE_SIZE, PAGES(2), RW, PRIV | FIXED, &out),
	                 -ENOMEM);
	/* None of these reached the host. */
	assert_int_equal(host_calls(f, PLATFORM_MEMOP_MMAP), 0);
	assert_int_equal(mm->vmas.count, 0);
	check_agree(mm);
}

static void test_mmap_fixed_replaces(void **state)
{
	struct fixture *f = *state;
	struct mm *mm = f->mm;

	map_fixed(mm, P(0), 4, RW);
	for (int i = 0; i < 4; i++)
		fill_page(mm, P(i), (unsigned char)(0x10 + i));
	assert_int_equal(do_mmap(mm, P(1), PAGES(2) - 100, R, PRIV | FIXED), P(1));
	assert_int_equal(mm->vmas.count, 3);
	assert_int_equal(vma_at(mm, P(1))->end, P(3));
	assert_int_equal(skeleton_page_prot(f->as, P(2)), R);
	/* The replaced pages are fresh; their neighbours keep their bytes. */
	assert_true(page_is(mm, P(0), 0x10));
	assert_true(page_is(mm, P(1), 0));
	assert_true(page_is(mm, P(2), 0));
	assert_true(page_is(mm, P(3), 0x13));
	check_agree(mm);
}

static void test_mmap_noreplace(void **state)
{
	struct fixture *f = *state;
	struct mm *mm = f->mm;
	uaddr_t out;

	map_fixed(mm, P(0), 2, RW);
	uint64_t calls = host_calls(f, PLATFORM_MEMOP_MMAP);
	assert_int_equal(mm_mmap(mm, P(1), PAGES(2), R, PRIV | LINUX_MAP_FIXED_NOREPLACE, &out),
	                 -EEXIST);
	assert_int_equal(host_calls(f, PLATFORM_MEMOP_MMAP), calls);
	assert_int_equal(skeleton_page_prot(f->as, P(1)), RW);
	/* Free: it maps there (the host gets MAP_FIXED, which the stub requires). */
	assert_int_equal(do_mmap(mm, P(2), PAGE_SIZE, R, PRIV | LINUX_MAP_FIXED_NOREPLACE), P(2));
	assert_false(skeleton_is_dead(f->as));
	check_agree(mm);
}

static void test_mmap_hint(void **state)
{
	struct fixture *f = *state;
	struct mm *mm = f->mm;

	/* A free hint is honoured, rounded down to a page. */
	assert_int_equal(do_mmap(mm, P(10), PAGES(2), RW, PRIV), P(10));
	assert_int_equal(do_mmap(mm, P(20) + 123, PAGE_SIZE, RW, PRIV), P(20));
	/* A taken one is not: the mapping goes top-down below mmap_base. */
	uaddr_t a = do_mmap(mm, P(11), PAGES(2), RW, PRIV);
	assert_true(a != P(11));
	assert_true(a + PAGES(2) <= mm->mmap_base);
	/* A hint below mmap_min_addr is raised to it (round_hint_to_min()). */
	assert_int_equal(do_mmap(mm, 0x1000, PAGE_SIZE, RW, PRIV), mm->min_addr);
	/* A hint whose range passes the top is ignored. */
	a = do_mmap(mm, mm->max_addr - PAGE_SIZE, PAGES(2), RW, PRIV);
	assert_true(a + PAGES(2) <= mm->mmap_base);
	check_agree(mm);
}

static void test_mmap_topdown(void **state)
{
	struct fixture *f = *state;
	struct mm *mm = f->mm;

	uaddr_t a = do_mmap(mm, 0, PAGES(3), RW, PRIV);
	assert_int_equal(a, mm->mmap_base - PAGES(3));
	uaddr_t b = do_mmap(mm, 0, PAGES(2), RW, PRIV);
	assert_int_equal(b, a - PAGES(2));
	/* Two anonymous mappings that touch are one vma, as on Linux. */
	assert_int_equal(mm->vmas.count, 1);
	/* A hole between mappings is reused when it fits. */
	assert_int_equal(mm_munmap(mm, a, PAGE_SIZE), 0);
	assert_int_equal(do_mmap(mm, 0, PAGE_SIZE, R, PRIV), a);
	assert_int_equal(mm->vmas.count, 3);
	check_agree(mm);
}

static void test_mmap_32bit(void **state)
{
	struct fixture *f = *state;
	struct mm *mm = f->mm;
	uaddr_t out;

	uaddr_t a = do_mmap(mm, 0, PAGES(4), RW, PRIV | LINUX_MAP_32BIT);
	assert_true(a >= mm->min_addr && a + PAGES(4) <= TWO_GIB);
	/* The hint is ignored for MAP_32BIT, as on Linux. */
	uaddr_t b = do_mmap(mm, P(0), PAGE_SIZE, RW, PRIV | LINUX_MAP_32BIT);
	assert_true(b + PAGE_SIZE <= TWO_GIB);
	/* When the first 2 GiB are full it fails, not falls back higher. */
	mm->min_addr = TWO_GIB - PAGES(8);
	map_fixed(mm, TWO_GIB - PAGES(8), 8, RW);
	assert_int_equal(mm_mmap(mm, 0, PAGE_SIZE, RW, PRIV | LINUX_MAP_32BIT, &out), -ENOMEM);
	/* Without MAP_32BIT the rest of the space is still there. */
	assert_true(do_mmap(mm, 0, PAGE_SIZE, RW, PRIV) > TWO_GIB);
	check_agree(mm);
}

static void test_mmap_prot_bits(void **state)
{
	struct fixture *f = *state;
	struct mm *mm = f->mm;

	/* mmap ignores prot bits other than read, write and exec. */
	map_fixed(mm, P(0), 2, RW | 0x8);
	assert_int_equal(vma_at(mm, P(0))->prot, RW);
	/* So an mprotect to the same prot leaves one mapping, and mremap may span it. */
	assert_int_equal(mm_mprotect(mm, P(1), PAGE_SIZE, RW), 0);
	assert_int_equal(mm->vmas.count, 1);
	assert_int_equal(mm_mremap(mm, P(0), PAGES(2), PAGES(3), 0, 0), (long)P(0));
	check_agree(mm);
}

static void test_mmap_shared_and_growsdown(void **state)
{
	struct fixture *f = *state;
	struct mm *mm = f->mm;

	assert_int_equal(do_mmap(mm, P(0), PAGES(2), RW, SHARE | FIXED), P(0));
	assert_true(vma_at(mm, P(0))->flags & VMA_SHARED);
	assert_int_equal(do_mmap(mm, P(4), PAGES(2), RW, PRIV | FIXED | LINUX_MAP_GROWSDOWN), P(4));
	assert_true(vma_at(mm, P(4))->flags & VMA_GROWSDOWN);
	/* The host sees a plain mapping: the sentry grows it. */
	assert_int_equal(skeleton_page_prot(f->as, P(5)), RW);
	assert_int_equal(skeleton_page_prot(f->as, P(3)), -1);
	check_agree(mm);
}

static void test_mmap_host_failure(void **state)
{
	struct fixture *f = *state;
	struct mm *mm = f->mm;
	uaddr_t out;

	map_fixed(mm, P(0), 4, RW);
	fill_page(mm, P(1), 0x77);
	skeleton_fail_next(f->as, PLATFORM_MEMOP_MMAP, -ENOMEM);
	assert_int_equal(mm_mmap(mm, P(1), PAGES(2), R, PRIV | FIXED, &out), -ENOMEM);
	/* Nothing changed, in the tree or on the host. */
	assert_int_equal(mm->vmas.count, 1);
	assert_int_equal(vma_at(mm, P(1))->prot, RW);
	assert_true(page_is(mm, P(1), 0x77));
	skeleton_fail_next(f->as, PLATFORM_MEMOP_MMAP, -ENOMEM);
	assert_int_equal(mm_mmap(mm, 0, PAGE_SIZE, R, PRIV, &out), -ENOMEM);
	assert_int_equal(mm->vmas.count, 1);
	check_agree(mm);
}

/* munmap */

static void test_munmap(void **state)
{
	struct fixture *f = *state;
	struct mm *mm = f->mm;

	assert_int_equal(mm_munmap(mm, P(0) + 1, PAGE_SIZE), -EINVAL);
	assert_int_equal(mm_munmap(mm, P(0), 0), -EINVAL);
	assert_int_equal(mm_munmap(mm, mm->max_addr + PAGE_SIZE, PAGE_SIZE), -EINVAL);
	assert_int_equal(mm_munmap(mm, P(0), UINT64_MAX - P(0)), -EINVAL);

	/* Unmapping the middle splits the vma; the rest keeps its bytes. */
	map_fixed(mm, P(0), 4, RW);
	fill_page(mm, P(0), 0xa0);
	fill_page(mm, P(3), 0xa3);
	assert_int_equal(mm_munmap(mm, P(1), PAGES(2)), 0);
	assert_int_equal(mm->vmas.count, 2);
	assert_int_equal(vma_at(mm, P(0))->end, P(1));
	assert_int_equal(vma_at(mm, P(3))->start, P(3));
	assert_true(page_is(mm, P(0), 0xa0));
	assert_true(page_is(mm, P(3), 0xa3));
	assert_int_equal(mm_check_access(mm, P(1), 1, R), -EFAULT);
	check_agree(mm);

	/* Nothing mapped: success, and no host call. */
	uint64_t calls = host_calls(f, PLATFORM_MEMOP_MUNMAP);
	assert_int_equal(mm_munmap(mm, P(1), PAGES(2)), 0);
	assert_int_equal(host_calls(f, PLATFORM_MEMOP_MUNMAP), calls);

	/* Across vmas and holes; the length rounds up to a page. */
	map_fixed(mm, P(10), 3, RW);
	map_fixed(mm, P(13), 1, R);
	map_fixed(mm, P(15), 2, RW);
	assert_int_equal(mm_munmap(mm, P(11), PAGES(5) + 100), 0);
	assert_int_equal(vma_at(mm, P(10))->end, P(11));
	assert_null(vma_find_first(&mm->vmas, P(11)));
	check_agree(mm);
}

static void test_munmap_host_failure(void **state)
{
	struct fixture *f = *state;
	struct mm *mm = f->mm;

	map_fixed(mm, P(0), 4, RW);
	skeleton_fail_next(f->as, PLATFORM_MEMOP_MUNMAP, -ENOMEM);
	assert_int_equal(mm_munmap(mm, P(1), PAGE_SIZE), -ENOMEM);
	assert_true(vma_range_is_mapped(&mm->vmas, P(0), P(4)));
	check_agree(mm);
}

/* mprotect */

static void test_mprotect_subrange(void **state)
{
	struct fixture *f = *state;
	struct mm *mm = f->mm;

	map_fixed(mm, P(0), 4, RW);
	fill_page(mm, P(1), 0x42);
	assert_int_equal(mm_mprotect(mm, P(1), PAGES(2), R), 0);
	assert_int_equal(mm->vmas.count, 3);
	assert_int_equal(skeleton_page_prot(f->as, P(1)), R);
	assert_int_equal(skeleton_page_prot(f->as, P(3)), RW);
	assert_int_equal(mm_check_access(mm, P(1), PAGES(2), R), 0);
	assert_int_equal(mm_check_access(mm, P(1), 1, W), -EFAULT);
	assert_true(page_is(mm, P(1), 0x42));
	check_agree(mm);
	/* Back to the neighbours' prot: one vma again. */
	assert_int_equal(mm_mprotect(mm, P(1), PAGES(2), RW), 0);
	assert_int_equal(mm->vmas.count, 1);
	check_agree(mm);
}

static void test_mprotect_hole(void **state)
{
	struct fixture *f = *state;
	struct mm *mm = f->mm;

	map_fixed(mm, P(0), 2, RW);
	map_fixed(mm, P(3), 2, RW);
	/* Linux changes the mapped prefix, then reports the hole. */
	assert_int_equal(mm_mprotect(mm, P(0), PAGES(5), R), -ENOMEM);
	assert_int_equal(skeleton_page_prot(f->as, P(1)), R);
	assert_int_equal(skeleton_page_prot(f->as, P(3)), RW);
	assert_int_equal(vma_at(mm, P(0))->prot, R);
	assert_int_equal(vma_at(mm, P(3))->prot, RW);
	check_agree(mm);
	/* Starting in a hole (or past everything): nothing changes, no host call. */
	uint64_t calls = host_calls(f, PLATFORM_MEMOP_MPROTECT);
	assert_int_equal(mm_mprotect(mm, P(2), PAGES(2), X), -ENOMEM);
	assert_int_equal(mm_mprotect(mm, P(100), PAGE_SIZE, X), -ENOMEM);
	assert_int_equal(host_calls(f, PLATFORM_MEMOP_MPROTECT), calls);
	assert_int_equal(vma_at(mm, P(3))->prot, RW);
	check_agree(mm);
}

static void test_mprotect_checks(void **state)
{
	struct fixture *f = *state;
	struct mm *mm = f->mm;

	map_fixed(mm, P(0), 2, RW);
	assert_int_equal(mm_mprotect(mm, P(0) + 1, PAGE_SIZE, R), -EINVAL);
	assert_int_equal(mm_mprotect(mm, P(50), 0, R), 0); /* len 0, even unmapped */
	assert_int_equal(mm_mprotect(mm, P(0), PAGE_SIZE, 0x10), -EINVAL);
	assert_int_equal(
	        mm_mprotect(mm, P(0), PAGE_SIZE, R | LINUX_PROT_GROWSDOWN | LINUX_PROT_GROWSUP),
	        -EINVAL);
	assert_int_equal(mm_mprotect(mm, P(0), UINT64_MAX - P(0) - 10, R), -ENOMEM);
	/* PROT_SEM is accepted and ignored. */
	assert_int_equal(mm_mprotect(mm, P(0), PAGE_SIZE, R | 0x8), 0);
	assert_int_equal(vma_at(mm, P(0))->prot, R);
	check_agree(mm);
}

static void test_mprotect_growsdown(void **state)
{
	struct fixture *f = *state;
	struct mm *mm = f->mm;

	assert_int_equal(do_mmap(mm, P(4), PAGES(4), RW, PRIV | FIXED | LINUX_MAP_GROWSDOWN), P(4));
	/* PROT_GROWSDOWN extends the change down to the mapping's start. */
	assert_int_equal(mm_mprotect(mm, P(6), PAGE_SIZE, R | LINUX_PROT_GROWSDOWN), 0);
	assert_int_equal(vma_at(mm, P(4))->prot, R);
	assert_int_equal(vma_at(mm, P(4))->end, P(7));
	assert_int_equal(skeleton_page_prot(f->as, P(7)), RW);
	check_agree(mm);
	/* From the hole below it too: Linux starts at the vma's start. */
	assert_int_equal(mm_mprotect(mm, P(2), PAGES(3), RW | LINUX_PROT_GROWSDOWN), 0);
	assert_int_equal(vma_at(mm, P(4))->prot, RW);
	assert_int_equal(vma_at(mm, P(4))->end, P(5));
	assert_null(vma_at(mm, P(3)));
	/* The range ends below the mapping: ENOMEM. */
	assert_int_equal(mm_mprotect(mm, P(0), PAGE_SIZE, R | LINUX_PROT_GROWSDOWN), -ENOMEM);
	/* Not a growsdown mapping, and no growsup on x86: EINVAL. */
	map_fixed(mm, P(20), 2, RW);
	assert_int_equal(mm_mprotect(mm, P(21), PAGE_SIZE, R | LINUX_PROT_GROWSDOWN), -EINVAL);
	assert_int_equal(mm_mprotect(mm, P(20), PAGE_SIZE, R | LINUX_PROT_GROWSUP), -EINVAL);
	assert_int_equal(vma_at(mm, P(20))->prot, RW);
	check_agree(mm);
}

static void test_mprotect_host_failure(void **state)
{
	struct fixture *f = *state;
	struct mm *mm = f->mm;

	map_fixed(mm, P(0), 4, RW);
	skeleton_fail_next(f->as, PLATFORM_MEMOP_MPROTECT, -ENOMEM);
	assert_int_equal(mm_mprotect(mm, P(1), PAGE_SIZE, R), -ENOMEM);
	assert_int_equal(vma_at(mm, P(1))->prot, RW);
	check_agree(mm);
}

/* mremap */

static void test_mremap_shrink(void **state)
{
	struct fixture *f = *state;
	struct mm *mm = f->mm;

	map_fixed(mm, P(0), 4, RW);
	fill_page(mm, P(0), 0x31);
	assert_int_equal(mm_mremap(mm, P(0), PAGES(4), PAGES(1) + 1, 0, 0), (long)P(0));
	assert_int_equal(vma_at(mm, P(0))->end, P(2));
	assert_int_equal(skeleton_page_prot(f->as, P(2)), -1);
	assert_true(page_is(mm, P(0), 0x31));
	/* Same size: nothing to do. */
	assert_int_equal(mm_mremap(mm, P(0), PAGES(2), PAGES(2), MAYMOVE, 0), (long)P(0));
	check_agree(mm);
}

static void test_mremap_grow_in_place(void **state)
{
	struct fixture *f = *state;
	struct mm *mm = f->mm;

	map_fixed(mm, P(0), 2, RW);
	fill_page(mm, P(1), 0x55);
	assert_int_equal(mm_mremap(mm, P(0), PAGES(2), PAGES(4), 0, 0), (long)P(0));
	assert_int_equal(mm->vmas.count, 1);
	assert_int_equal(vma_at(mm, P(0))->end, P(4));
	assert_true(page_is(mm, P(1), 0x55));
	assert_true(page_is(mm, P(3), 0));
	check_agree(mm);
}

static void test_mremap_move(void **state)
{
	struct fixture *f = *state;
	struct mm *mm = f->mm;

	map_fixed(mm, P(0), 2, RW);
	map_fixed(mm, P(2), 1, R); /* blocks growing in place */
	fill_page(mm, P(0), 0x61);
	fill_page(mm, P(1), 0x62);
	assert_int_equal(mm_mremap(mm, P(0), PAGES(2), PAGES(3), 0, 0), -ENOMEM);
	long r = mm_mremap(mm, P(0), PAGES(2), PAGES(3), MAYMOVE, 0);
	assert_true(r > 0 && (uaddr_t)r != P(0));
	uaddr_t n = (uaddr_t)r;
	assert_null(vma_at(mm, P(0)));
	assert_int_equal(skeleton_page_prot(f->as, P(0)), -1);
	assert_int_equal(vma_at(mm, n)->end, n + PAGES(3));
	assert_int_equal(vma_at(mm, n)->prot, RW);
	assert_true(page_is(mm, n, 0x61));
	assert_true(page_is(mm, n + PAGE_SIZE, 0x62));
	assert_true(page_is(mm, n + PAGES(2), 0));
	check_agree(mm);
}

static void test_mremap_fixed(void **state)
{
	struct fixture *f = *state;
	struct mm *mm = f->mm;

	map_fixed(mm, P(0), 2, RW);
	map_fixed(mm, P(10), 3, R);
	fill_page(mm, P(0), 0x71);
	assert_int_equal(mm_mremap(mm, P(0), PAGES(2), PAGES(2), MFIXED, P(10)), -EINVAL);
	assert_int_equal(mm_mremap(mm, P(0), PAGES(2), PAGES(2), MAYMOVE | MFIXED, P(1)), -EINVAL);
	assert_int_equal(mm_mremap(mm, P(0), PAGES(2), PAGES(2), MAYMOVE | MFIXED, P(10) + 1),
	                 -EINVAL);
	assert_int_equal(mm_mremap(mm, P(0), PAGES(2), PAGES(2), MAYMOVE | MFIXED, 0x1000), -EPERM);
	assert_int_equal(
	        mm_mremap(mm, P(0), PAGES(2), PAGES(2), MAYMOVE | MFIXED, mm->max_addr - PAGE_SIZE),
	        -EINVAL);
	/* It replaces what was at the destination, only over new_len. */
	assert_int_equal(mm_mremap(mm, P(0), PAGES(2), PAGES(2), MAYMOVE | MFIXED, P(10)),
	                 (long)P(10));
	assert_null(vma_at(mm, P(0)));
	assert_int_equal(vma_at(mm, P(10))->prot, RW);
	assert_int_equal(vma_at(mm, P(12))->prot, R);
	assert_true(page_is(mm, P(10), 0x71));
	check_agree(mm);
}

static void test_mremap_fixed_shrink(void **state)
{
	struct fixture *f = *state;
	struct mm *mm = f->mm;

	map_fixed(mm, P(0), 4, RW);
	fill_page(mm, P(1), 0x81);
	assert_int_equal(mm_mremap(mm, P(0), PAGES(4), PAGES(2), MAYMOVE | MFIXED, P(20)),
	                 (long)P(20));
	/* The tail is unmapped too, not left behind. */
	assert_true(vma_range_is_free(&mm->vmas, P(0), P(4)));
	assert_int_equal(vma_at(mm, P(20))->end, P(22));
	assert_true(page_is(mm, P(21), 0x81));
	check_agree(mm);
}

static void test_mremap_dontunmap(void **state)
{
	struct fixture *f = *state;
	struct mm *mm = f->mm;

	map_fixed(mm, P(0), 2, RW);
	fill_page(mm, P(0), 0x91);
	assert_int_equal(mm_mremap(mm, P(0), PAGES(2), PAGES(3), MAYMOVE | DONTUNMAP, 0), -EINVAL);
	assert_int_equal(mm_mremap(mm, P(0), PAGES(2), PAGES(2), DONTUNMAP, 0), -EINVAL);
	/* It always moves; the old range stays mapped and reads as zeros. */
	long r = mm_mremap(mm, P(0), PAGES(2), PAGES(2), MAYMOVE | DONTUNMAP, 0);
	assert_true(r > 0 && (uaddr_t)r != P(0));
	assert_true(page_is(mm, (uaddr_t)r, 0x91));
	assert_int_equal(vma_at(mm, P(0))->prot, RW);
	assert_true(page_is(mm, P(0), 0));
	check_agree(mm);
	/* new_addr is a hint, checked as mremap_to() does. */
	assert_int_equal(mm_mremap(mm, P(0), PAGES(2), PAGES(2), MAYMOVE | DONTUNMAP, P(40)),
	                 (long)P(40));
	assert_int_equal(mm_mremap(mm, P(0), PAGES(2), PAGES(2), MAYMOVE | DONTUNMAP, P(50) + 1),
	                 -EINVAL);
	assert_int_equal(mm_mremap(mm, P(0), PAGES(2), PAGES(2), MAYMOVE | DONTUNMAP, P(1)),
	                 -EINVAL);
	check_agree(mm);
	/* And to a fixed address. */
	fill_page(mm, P(1), 0x92);
	assert_int_equal(
	        mm_mremap(mm, P(0), PAGES(2), PAGES(2), MAYMOVE | MFIXED | DONTUNMAP, P(30)),
	        (long)P(30));
	assert_true(page_is(mm, P(31), 0x92));
	assert_true(page_is(mm, P(1), 0));
	assert_non_null(vma_at(mm, P(1)));
	check_agree(mm);
}

static void test_mremap_errors(void **state)
{
	struct fixture *f = *state;
	struct mm *mm = f->mm;

	map_fixed(mm, P(0), 2, RW);
	map_fixed(mm, P(2), 2, R);
	assert_int_equal(mm_mremap(mm, P(0), PAGE_SIZE, PAGE_SIZE, 8, 0), -EINVAL);
	assert_int_equal(mm_mremap(mm, P(0) + 1, PAGE_SIZE, PAGE_SIZE, 0, 0), -EINVAL);
	assert_int_equal(mm_mremap(mm, P(0), PAGE_SIZE, 0, 0, 0), -EINVAL);
	/* Larger than the address space: EINVAL up front, as the host's Linux 6.18 answers. */
	assert_int_equal(mm_mremap(mm, P(0), PAGE_SIZE, LINUX_TASK_SIZE + PAGE_SIZE, MAYMOVE, 0),
	                 -EINVAL);
	assert_int_equal(mm_mremap(mm, P(0), PAGE_SIZE, LINUX_TASK_SIZE + PAGE_SIZE,
	                           MAYMOVE | MFIXED, P(100)),
	                 -EINVAL);
	assert_int_equal(mm_mremap(mm, P(10), PAGE_SIZE, PAGES(2), MAYMOVE, 0), -EFAULT);
	/* Across two mappings: EFAULT. */
	assert_int_equal(mm_mremap(mm, P(0), PAGES(4), PAGES(5), MAYMOVE, 0), -EFAULT);
	assert_int_equal(mm_mremap(mm, P(1), PAGES(2), PAGES(2), MAYMOVE | MFIXED, P(20)), -EFAULT);
	/* Duplicating a private mapping (old_len 0) is refused. */
	assert_int_equal(mm_mremap(mm, P(0), 0, PAGE_SIZE, MAYMOVE, 0), -EINVAL);
	check_agree(mm);
}

static void test_mremap_shared_duplicate(void **state)
{
	struct fixture *f = *state;
	struct mm *mm = f->mm;

	assert_int_equal(do_mmap(mm, P(0), PAGES(2), RW, SHARE | FIXED), P(0));
	fill_page(mm, P(1), 0xa1);
	assert_int_equal(mm_mremap(mm, P(0), 0, PAGES(2), 0, 0), -ENOMEM);
	long r = mm_mremap(mm, P(0), 0, PAGES(2), MAYMOVE, 0);
	assert_true(r > 0 && (uaddr_t)r != P(0));
	uaddr_t n = (uaddr_t)r;
	/* Both map the same memory. */
	assert_non_null(vma_at(mm, P(0)));
	assert_true(vma_at(mm, n)->flags & VMA_SHARED);
	assert_true(page_is(mm, n + PAGE_SIZE, 0xa1));
	fill_page(mm, n, 0xa2);
	assert_true(page_is(mm, P(0), 0xa2));
	check_agree(mm);
}

static void test_mremap_host_failure(void **state)
{
	struct fixture *f = *state;
	struct mm *mm = f->mm;

	map_fixed(mm, P(0), 2, RW);
	map_fixed(mm, P(10), 1, R);
	skeleton_fail_next(f->as, PLATFORM_MEMOP_MREMAP, -ENOMEM);
	assert_int_equal(mm_mremap(mm, P(0), PAGES(2), PAGES(4), 0, 0), -ENOMEM);
	assert_int_equal(vma_at(mm, P(0))->end, P(2));
	check_agree(mm);
	skeleton_fail_next(f->as, PLATFORM_MEMOP_MREMAP, -ENOMEM);
	assert_int_equal(mm_mremap(mm, P(0), PAGES(2), PAGES(2), MAYMOVE | MFIXED, P(10)), -ENOMEM);
	assert_non_null(vma_at(mm, P(0)));
	check_agree(mm);
}

/* brk */

static void test_brk(void **state)
{
	struct fixture *f = *state;
	struct mm *mm = f->mm;

	mm_set_brk(mm, P(100));
	assert_int_equal(mm_brk(mm, 0), P(100));
	assert_int_equal(mm_brk(mm, P(100) + 10000), P(100) + 10000);
	struct vma *heap = vma_at(mm, P(100));
	assert_non_null(heap);
	assert_int_equal(heap->kind, VMA_KIND_HEAP);
	assert_int_equal(heap->end, P(103));
	assert_int_equal(heap->prot, RW);
	assert_true(page_is(mm, P(102), 0));
	fill_page(mm, P(102), 0xb1);
	check_agree(mm);
	/* Shrink. */
	assert_int_equal(mm_brk(mm, P(100) + 5000), P(100) + 5000);
	assert_int_equal(vma_at(mm, P(100))->end, P(102));
	assert_int_equal(skeleton_page_prot(f->as, P(102)), -1);
	check_agree(mm);
	/* Within the same page: no host call. */
	uint64_t calls = host_calls(f, PLATFORM_MEMOP_MMAP) + host_calls(f, PLATFORM_MEMOP_MUNMAP);
	assert_int_equal(mm_brk(mm, P(100) + 5001), P(100) + 5001);
	assert_int_equal(host_calls(f, PLATFORM_MEMOP_MMAP) + host_calls(f, PLATFORM_MEMOP_MUNMAP),
	                 calls);
	/* Below the start, or past the top: unchanged. */
	assert_int_equal(mm_brk(mm, P(99)), P(100) + 5001);
	assert_int_equal(mm_brk(mm, mm->max_addr + 1), P(100) + 5001);
	/* Back to the start: no heap left. */
	assert_int_equal(mm_brk(mm, P(100)), P(100));
	assert_null(vma_at(mm, P(100)));
	check_agree(mm);
}

static void test_brk_limits(void **state)
{
	struct fixture *f = *state;
	struct mm *mm = f->mm;

	mm_set_brk(mm, P(100));
	map_fixed(mm, P(105), 1, R);
	/* A page must stay free below the next mapping. */
	assert_int_equal(mm_brk(mm, P(104)), P(104));
	assert_int_equal(mm_brk(mm, P(104) + 1), P(104));
	assert_int_equal(vma_at(mm, P(100))->end, P(104));
	check_agree(mm);
	/* RLIMIT_DATA. */
	assert_int_equal(mm_brk(mm, P(100)), P(100));
	mm->data_limit = PAGES(2);
	assert_int_equal(mm_brk(mm, P(102)), P(102));
	assert_int_equal(mm_brk(mm, P(102) + 1), P(102));
	/* A host failure leaves the break where it was. */
	mm->data_limit = LINUX_RLIM_INFINITY;
	skeleton_fail_next(f->as, PLATFORM_MEMOP_MMAP, -ENOMEM);
	assert_int_equal(mm_brk(mm, P(103)), P(102));
	assert_int_equal(vma_at(mm, P(100))->end, P(102));
	check_agree(mm);
}

/* Stack growth */

static void test_fault_stack_growth(void **state)
{
	struct fixture *f = *state;
	struct mm *mm = f->mm;
	const uaddr_t top = P(1000);

	mm->stack_limit = PAGES(64);
	assert_int_equal(mm_map_stack(mm, top, PAGES(4), RW), 0);
	struct vma *stack = vma_at(mm, top - PAGE_SIZE);
	assert_int_equal(stack->kind, VMA_KIND_STACK);
	assert_true(stack->flags & VMA_GROWSDOWN);
	check_agree(mm);

	assert_true(mm_handle_fault(mm, top - PAGES(4) - 1));
	assert_int_equal(mm->vmas.count, 1);
	assert_int_equal(vma_at(mm, top - PAGE_SIZE)->start, top - PAGES(5));
	assert_true(mm_handle_fault(mm, top - PAGES(10) + 5));
	assert_int_equal(vma_at(mm, top - PAGE_SIZE)->start, top - PAGES(10));
	assert_int_equal(skeleton_page_prot(f->as, top - PAGES(10)), RW);
	check_agree(mm);
	/* Up to the stack limit, not past it. */
	assert_false(mm_handle_fault(mm, top - PAGES(64) - 1));
	assert_true(mm_handle_fault(mm, top - PAGES(64)));
	assert_int_equal(mm->vmas.count, 1);
	/* Not a growth: inside the stack, above it. */
	assert_false(mm_handle_fault(mm, top - 8));
	assert_false(mm_handle_fault(mm, top + 8));
	check_agree(mm);
}

static void test_fault_guard_gap(void **state)
{
	struct fixture *f = *state;
	struct mm *mm = f->mm;
	const uaddr_t top = P(2000);

	assert_int_equal(mm_map_stack(mm, top, PAGES(4), RW), 0);
	map_fixed(mm, P(1000), 1, RW);
	const uaddr_t below = P(1001); /* the end of the mapping below the stack */
	/* Inside the guard gap: the application's SIGSEGV. */
	assert_false(mm_handle_fault(mm, below + GUARD_GAP - 1));
	assert_false(mm_handle_fault(mm, below));
	check_agree(mm);
	assert_true(mm_handle_fault(mm, below + GUARD_GAP));
	assert_int_equal(vma_at(mm, top - PAGE_SIZE)->start, below + GUARD_GAP);
	/* No gap below a PROT_NONE mapping (expand_downwards()). */
	assert_int_equal(mm_mprotect(mm, P(1000), PAGE_SIZE, NONE), 0);
	assert_true(mm_handle_fault(mm, below));
	assert_int_equal(vma_at(mm, top - PAGE_SIZE)->start, below);
	check_agree(mm);
	/* Nor below a mapping that grows down itself. */
	assert_int_equal(mm_munmap(mm, below, top - below), 0);
	assert_int_equal(do_mmap(mm, P(1000), PAGE_SIZE, RW, PRIV | FIXED | LINUX_MAP_GROWSDOWN),
	                 P(1000));
	assert_int_equal(do_mmap(mm, P(1100), PAGE_SIZE, RW, PRIV | FIXED | LINUX_MAP_GROWSDOWN),
	                 P(1100));
	assert_true(mm_handle_fault(mm, below));
	check_agree(mm);
}

static void test_fault_not_stack(void **state)
{
	struct fixture *f = *state;
	struct mm *mm = f->mm;

	map_fixed(mm, P(10), 2, RW);
	assert_false(mm_handle_fault(mm, P(9)));
	assert_false(mm_handle_fault(mm, P(10)));
	assert_false(mm_handle_fault(mm, mm->max_addr + 8));
	/* Never below mmap_min_addr. */
	assert_int_equal(mm_map_stack(mm, mm->min_addr + PAGES(2), PAGES(2), RW), 0);
	assert_false(mm_handle_fault(mm, mm->min_addr - 8));
	/* A host failure: no growth, nothing changed. */
	assert_int_equal(mm_map_stack(mm, P(2000), PAGES(2), RW), 0);
	skeleton_fail_next(f->as, PLATFORM_MEMOP_MMAP, -ENOMEM);
	assert_false(mm_handle_fault(mm, P(1997)));
	assert_int_equal(vma_at(mm, P(1999))->start, P(1998));
	check_agree(mm);
}

/* Copies to and from guest memory */

static void test_madvise(void **state)
{
	struct fixture *f = *state;
	struct mm *mm = f->mm;

	map_fixed(mm, P(0), 2, RW);
	map_fixed(mm, P(3), 1, RW);
	fill_page(mm, P(0), 0xc1);
	fill_page(mm, P(1), 0xc2);
	fill_page(mm, P(3), 0xc3);
	assert_int_equal(mm_madvise(mm, P(0), PAGE_SIZE, LINUX_MADV_DONTNEED), 0);
	assert_true(page_is(mm, P(0), 0));
	assert_true(page_is(mm, P(1), 0xc2));
	/* Over a hole: the mapped parts are still advised, then ENOMEM. */
	assert_int_equal(mm_madvise(mm, P(1), PAGES(3), LINUX_MADV_DONTNEED), -ENOMEM);
	assert_true(page_is(mm, P(1), 0));
	assert_true(page_is(mm, P(3), 0));
	assert_int_equal(mm_madvise(mm, P(10), PAGE_SIZE, LINUX_MADV_NORMAL), -ENOMEM);
	/* Linux's checks. */
	assert_int_equal(mm_madvise(mm, P(0), PAGE_SIZE, 999), -EINVAL);
	assert_int_equal(mm_madvise(mm, P(0), PAGE_SIZE, LINUX_MADV_HWPOISON), -EINVAL);
	assert_int_equal(mm_madvise(mm, P(0) + 1, PAGE_SIZE, LINUX_MADV_NORMAL), -EINVAL);
	assert_int_equal(mm_madvise(mm, P(0), UINT64_MAX, LINUX_MADV_NORMAL), -EINVAL);
	assert_int_equal(mm_madvise(mm, P(10), 0, LINUX_MADV_DONTNEED), 0);
	assert_int_equal(mm_madvise(mm, mm->max_addr - PAGE_SIZE, PAGES(2), LINUX_MADV_NORMAL),
	                 -ENOMEM);
	/* Shared memory keeps its bytes. */
	assert_int_equal(do_mmap(mm, P(20), PAGE_SIZE, RW, SHARE | FIXED), P(20));
	fill_page(mm, P(20), 0xc4);
	assert_int_equal(mm_madvise(mm, P(20), PAGE_SIZE, LINUX_MADV_DONTNEED), 0);
	assert_true(page_is(mm, P(20), 0xc4));
	check_agree(mm);
}

static void test_mincore(void **state)
{
	struct fixture *f = *state;
	struct mm *mm = f->mm;
	unsigned char vec[8];

	map_fixed(mm, P(0), 4, RW);
	map_fixed(mm, P(10), 1, RW);
	fill_page(mm, P(1), 1);
	fill_page(mm, P(3), 1);
	memset(vec, 0xff, sizeof(vec));
	assert_int_equal(mm_copy_out(mm, P(10), vec, sizeof(vec)), 0);
	/* The host writes the vector into guest memory; a partial page counts. */
	assert_int_equal(mm_mincore(mm, P(0), PAGES(3) + 1, P(10)), 0);
	assert_int_equal(mm_copy_in(mm, vec, P(10), sizeof(vec)), 0);
	assert_int_equal(vec[0], 0);
	assert_int_equal(vec[1], 1);
	assert_int_equal(vec[2], 0);
	assert_int_equal(vec[3], 1);
	assert_int_equal(vec[4], 0xff);
	/* A hole: ENOMEM, after the mapped part's entries are written. */
	memset(vec, 0xff, sizeof(vec));
	assert_int_equal(mm_copy_out(mm, P(10), vec, sizeof(vec)), 0);
	assert_int_equal(mm_mincore(mm, P(0), PAGES(6), P(10)), -ENOMEM);
	assert_int_equal(mm_copy_in(mm, vec, P(10), sizeof(vec)), 0);
	assert_int_equal(vec[3], 1);
	assert_int_equal(vec[4], 0xff);
	/* A vector the host cannot write: EFAULT. */
	assert_int_equal(mm_mprotect(mm, P(10), PAGE_SIZE, R), 0);
	assert_int_equal(mm_mincore(mm, P(0), PAGE_SIZE, P(10)), -EFAULT);
	assert_int_equal(mm_mincore(mm, P(0), PAGE_SIZE, P(20)), -EFAULT);
	assert_int_equal(mm_mincore(mm, P(0) + 1, PAGE_SIZE, P(10)), -EINVAL);
	assert_int_equal(mm_mincore(mm, P(0), 0, P(20)), 0);
	assert_int_equal(mm_mincore(mm, mm->max_addr - PAGE_SIZE, PAGES(2), P(0)), -ENOMEM);
	check_agree(mm);
}

static void test_msync(void **state)
{
	struct fixture *f = *state;
	struct mm *mm = f->mm;

	map_fixed(mm, P(0), 2, RW);
	map_fixed(mm, P(3), 1, R);
	assert_int_equal(mm_msync(mm, P(0), PAGES(2), LINUX_MS_SYNC), 0);
	assert_int_equal(mm_msync(mm, P(0), PAGES(4), LINUX_MS_ASYNC), -ENOMEM);
	assert_int_equal(mm_msync(mm, P(0), PAGE_SIZE, 8), -EINVAL);
	assert_int_equal(mm_msync(mm, P(0), PAGE_SIZE, LINUX_MS_ASYNC | LINUX_MS_SYNC), -EINVAL);
	assert_int_equal(mm_msync(mm, P(0) + 1, PAGE_SIZE, LINUX_MS_SYNC), -EINVAL);
	assert_int_equal(mm_msync(mm, P(10), 0, LINUX_MS_SYNC), 0);
	check_agree(mm);
}

static void test_format_maps(void **state)
{
	struct fixture *f = *state;
	struct mm *mm = f->mm;
	char buf[1024];

	mm_set_brk(mm, P(100));
	assert_int_equal(mm_brk(mm, P(101)), P(101));
	assert_int_equal(mm_map_stack(mm, P(300), PAGES(2), RW), 0);
	assert_int_equal(do_mmap(mm, P(0), PAGE_SIZE, R, SHARE | FIXED), P(0));
	size_t n = mm_format_maps(mm, buf, sizeof(buf));
	assert_true(n < sizeof(buf));
	buf[n] = '\0';
	assert_string_equal(buf, "000100000000-000100001000 r--s 00000000 00:00 0 \n"
	                         "000100064000-000100065000 rw-p 00000000 00:00 0"
	                         "                          [heap]\n"
	                         "00010012a000-00010012c000 rw-p 00000000 00:00 0"
	                         "                          [stack]\n");
	/* Truncated to the buffer. */
	assert_int_equal(mm_format_maps(mm, buf, 10), 10);
}

/* The skeleton answers as the host does where the mm relies on it. */
static void test_skeleton_host(void **state)
{
	struct fixture *f = *state;
	const struct platform_ops *p = &g_platform_skeleton;
	uint64_t args[6] = { P(0), PAGE_SIZE, RW, PRIV | FIXED, (uint64_t)-1, 0 };

	/* A file mapping: the stub holds no fd. */
	args[3] = LINUX_MAP_PRIVATE | FIXED;
	assert_int_equal(p->as_memop(f->as, PLATFORM_MEMOP_MMAP, args), -EBADF);
	/* The context runs nothing. */
	struct linux_regs *regs = p->ctx_regs(f->ctx);
	assert_int_equal(regs->cs, 0x33);
	assert_int_equal(regs->orig_rax, (uint64_t)-1);
	p->ctx_set_retval(f->ctx, 42);
	assert_int_equal(regs->rax, 42);
	struct platform_fault fault;
	p->ctx_interrupt(f->ctx);
	assert_int_equal(p->ctx_switch(f->ctx, &fault), PLATFORM_EV_INTERRUPT);
	assert_int_equal(p->ctx_switch(f->ctx, &fault), PLATFORM_EV_DEAD);
	unsigned char fp[1024];
	long size = p->ctx_get_fpstate(f->ctx, fp, sizeof(fp));
	assert_true(size >= 512);
	assert_int_equal(fp[0], 0x7f); /* FCW 0x37f */
	assert_int_equal(p->ctx_set_fpstate(f->ctx, fp, (size_t)size), 0);
	/* Without MAP_FIXED the stub's filter kills it: everything fails after. */
	args[3] = PRIV;
	assert_int_equal(p->as_memop(f->as, PLATFORM_MEMOP_MMAP, args), -ESRCH);
	assert_true(skeleton_is_dead(f->as));
	uaddr_t out;
	assert_int_equal(mm_mmap(f->mm, P(0), PAGE_SIZE, RW, PRIV | FIXED, &out), -ESRCH);
	assert_int_equal(p->as_read(f->as, fp, SKELETON_VDSO_BASE, 8), -ESRCH);
}

/* Random calls: the tree and the host must agree after each one. */

#define RANDOM_WINDOW 64 /* pages */
#define RANDOM_STEPS  4000

static uint64_t g_rng;

static uint64_t rnd(uint64_t n)
{
	/* xorshift64*: deterministic for a given seed. */
	g_rng ^= g_rng >> 12;
	g_rng ^= g_rng << 25;
	g_rng ^= g_rng >> 27;
	return (g_rng * 0x2545f4914f6cdd1dULL) % n;
}

static uaddr_t rnd_addr(void)
{
	/* Mostly page-aligned, in the window and a little around it. */
	uaddr_t a = P(rnd(RANDOM_WINDOW + 8)) - PAGES(4);
	return rnd(32) == 0 ? a + 1 + rnd(PAGE_SIZE - 1) : a;
}

static uint64_t rnd_len(void)
{
	uint64_t len = PAGES(rnd(10));
	return rnd(4) == 0 ? len + rnd(PAGE_SIZE) : len;
}

static void test_random(void **state)
{
	struct fixture *f = *state;
	struct mm *mm = f->mm;
	static const int mremap_flags[] = {
		0,
		MAYMOVE,
		MAYMOVE | MFIXED,
		MAYMOVE | DONTUNMAP,
		MAYMOVE | MFIXED | DONTUNMAP,
		MFIXED,
	};
	const char *env = getenv("RUNSC_TEST_SEED");
	uint64_t seed = env ? strtoull(env, NULL, 0) : 0x5eed;
	g_rng = seed ? seed : 1;
	/* Top-down placement lands in the window too, and so does the heap. */
	mm->mmap_base = P(RANDOM_WINDOW);
	mm_set_brk(mm, P(RANDOM_WINDOW / 2));

	for (int step = 0; step < RANDOM_STEPS; step++) {
		uaddr_t addr = rnd_addr(), out;
		uint64_t len = rnd_len();
		int prot = (int)rnd(8);
		static const enum platform_memop host_op[] = {
			PLATFORM_MEMOP_MMAP,     PLATFORM_MEMOP_MMAP,   PLATFORM_MEMOP_MUNMAP,
			PLATFORM_MEMOP_MPROTECT, PLATFORM_MEMOP_MREMAP, PLATFORM_MEMOP_MREMAP,
			PLATFORM_MEMOP_MADVISE,  PLATFORM_MEMOP_MMAP,   PLATFORM_MEMOP_MMAP,
			PLATFORM_MEMOP_MMAP,
		};
		int op = (int)rnd(ARRAY_SIZE(host_op));
		if (rnd(16) == 0)
			skeleton_fail_next(f->as, host_op[op], rnd(2) ? -ENOMEM : -EAGAIN);
		long r = 0;
		switch (op) {
		case 0: {
			int flags = (rnd(4) == 0 ? SHARE : PRIV) | FIXED;
			if (rnd(4) == 0)
				flags = (flags & ~FIXED) | LINUX_MAP_FIXED_NOREPLACE;
			if (rnd(8) == 0 && !(flags & LINUX_MAP_SHARED))
				flags |= LINUX_MAP_GROWSDOWN;
			r = mm_mmap(mm, addr, len, prot, flags, &out);
			break;
		}
		case 1:
			r = mm_mmap(mm, rnd(2) ? addr : 0, len, prot, rnd(4) ? PRIV : SHARE, &out);
			break;
		case 2:
			r = mm_munmap(mm, addr, len);
			break;
		case 3:
			r = mm_mprotect(mm, addr, len, prot);
			break;
		case 4:
		case 5: {
			/* Mostly a piece of an existing mapping, or mremap fails early. */
			if (mm->vmas.count && rnd(4)) {
				struct vma *v = vma_first(&mm->vmas);
				for (uint64_t i = rnd(mm->vmas.count); i; i--)
					v = vma_next(v);
				uint64_t pages = (v->end - v->start) / PAGE_SIZE;
				addr = v->start + PAGES(rnd(pages));
				len = rnd(8) ? v->end - addr -
				                       PAGES(rnd((v->end - addr) / PAGE_SIZE))
				             : rnd_len();
			}
			int flags = mremap_flags[rnd(ARRAY_SIZE(mremap_flags))];
			uint64_t new_len = (flags & DONTUNMAP) ? len : rnd_len();
			r = mm_mremap(mm, addr, len, new_len, flags, page_round_down(rnd_addr()));
			break;
		}
		case 6:
			r = mm_madvise(mm, addr, len, LINUX_MADV_DONTNEED);
			break;
		case 7: {
			/* A write goes through exactly when the tree allows it. */
			unsigned char b = (unsigned char)step;
			int ok = mm_check_access(mm, addr, 1, W);
			assert_int_equal(mm_copy_out(mm, addr, &b, 1), ok);
			if (ok == 0) {
				unsigned char back = 0;
				assert_true(skeleton_peek(mm->as, addr, &back, 1));
				assert_int_equal(back, b);
			}
			break;
		}
		case 8:
			r = mm_handle_fault(mm, addr);
			break;
		case 9:
			r = (long)mm_brk(mm, P(RANDOM_WINDOW / 2) + rnd(PAGES(24)));
			break;
		}
		(void)r;
		if (skeleton_is_dead(f->as))
			fail_msg("step %d: the stub was killed (seed %#" PRIx64 ")", step, seed);
		check_agree(mm);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_mmap_checks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mmap_fixed_replaces, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mmap_noreplace, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mmap_hint, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mmap_topdown, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mmap_32bit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mmap_prot_bits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mmap_shared_and_growsdown, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mmap_host_failure, setup, teardown),
		cmocka_unit_test_setup_teardown(test_munmap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_munmap_host_failure, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mprotect_subrange, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mprotect_hole, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mprotect_checks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mprotect_growsdown, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mprotect_host_failure, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mremap_shrink, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mremap_grow_in_place, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mremap_move, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mremap_fixed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mremap_fixed_shrink, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mremap_dontunmap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mremap_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mremap_shared_duplicate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mremap_host_failure, setup, teardown),
		cmocka_unit_test_setup_teardown(test_brk, setup, teardown),
		cmocka_unit_test_setup_teardown(test_brk_limits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fault_stack_growth, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fault_guard_gap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fault_not_stack, setup, teardown),
		cmocka_unit_test_setup_teardown(test_madvise, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mincore, setup, teardown),
		cmocka_unit_test_setup_teardown(test_msync, setup, teardown),
		cmocka_unit_test_setup_teardown(test_format_maps, setup, teardown),
		cmocka_unit_test_setup_teardown(test_skeleton_host, setup, teardown),
		cmocka_unit_test_setup_teardown(test_random, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
