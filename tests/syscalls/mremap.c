/* mremap: growing in place, moving, shrinking, MREMAP_FIXED, and the exact errors. */
#include "test.h"

#define RW (PROT_READ | PROT_WRITE)

/* fill writes a per-page pattern to npages pages at p. */
static void fill(unsigned char *p, size_t npages)
{
	for (size_t i = 0; i < npages * PAGE_SIZE; i++)
		p[i] = (unsigned char)(i / PAGE_SIZE * 31 + i % 251);
}

/* check_fill checks the pattern written by fill. */
static void check_fill(const unsigned char *p, size_t npages)
{
	for (size_t i = 0; i < npages * PAGE_SIZE; i++)
		if (p[i] != (unsigned char)(i / PAGE_SIZE * 31 + i % 251))
			test_fail(__FILE__, __LINE__, "byte %zu: %#x", i, p[i]);
}

int main(void)
{
	/* Grow in place: two pages followed by a six-page hole. */
	unsigned char *p = test_map(8 * PAGE_SIZE, RW);
	CHECK_EQ(munmap(p + 2 * PAGE_SIZE, 6 * PAGE_SIZE), 0);
	fill(p, 2);
	CHECK_EQ(mremap(p, 2 * PAGE_SIZE, 4 * PAGE_SIZE, 0), p);
	check_fill(p, 2);
	CHECK_EQ(p[3 * PAGE_SIZE + 7], 0);
	p[4 * PAGE_SIZE - 1] = 9;

	/* Shrink: the tail is unmapped, the head keeps its contents. */
	CHECK_EQ(mremap(p, 4 * PAGE_SIZE, PAGE_SIZE, 0), p);
	CHECK(test_is_mapped(p));
	CHECK(!test_is_mapped(p + PAGE_SIZE));
	CHECK(!test_is_mapped(p + 3 * PAGE_SIZE));
	check_fill(p, 1);
	/* Growing again brings back zero pages, not the old contents. */
	CHECK_EQ(mremap(p, PAGE_SIZE, 4 * PAGE_SIZE, 0), p);
	CHECK_EQ(p[4 * PAGE_SIZE - 1], 0);
	CHECK_EQ(munmap(p, 4 * PAGE_SIZE), 0);

	/* Two pages with a mapped page right after them cannot grow in place. */
	unsigned char *q = test_map(3 * PAGE_SIZE, RW);
	CHECK_EQ(mprotect(q + 2 * PAGE_SIZE, PAGE_SIZE, PROT_READ), 0);
	fill(q, 2);
	CHECK_ERR(mremap(q, 2 * PAGE_SIZE, 3 * PAGE_SIZE, 0), ENOMEM);
	check_fill(q, 2);
	/* With MREMAP_MAYMOVE it moves, keeping the contents and unmapping the old range. */
	unsigned char *m = (unsigned char *)CHECK_SYS(
	        mremap(q, 2 * PAGE_SIZE, 64 * PAGE_SIZE, MREMAP_MAYMOVE));
	CHECK(m != q);
	CHECK_EQ((uintptr_t)m % PAGE_SIZE, 0);
	check_fill(m, 2);
	CHECK_EQ(m[64 * PAGE_SIZE - 1], 0);
	CHECK(!test_is_mapped(q));
	CHECK(!test_is_mapped(q + PAGE_SIZE));
	CHECK(test_is_mapped(q + 2 * PAGE_SIZE));
	CHECK_EQ(munmap(q + 2 * PAGE_SIZE, PAGE_SIZE), 0);

	/* MREMAP_FIXED moves to exactly the given address, replacing what was there. */
	unsigned char *target = test_map(4 * PAGE_SIZE, RW);
	memset(target, 0xee, 4 * PAGE_SIZE);
	unsigned char *f = (unsigned char *)CHECK_SYS(mremap(m, 2 * PAGE_SIZE, 3 * PAGE_SIZE,
	                                                     MREMAP_MAYMOVE | MREMAP_FIXED,
	                                                     target + PAGE_SIZE));
	CHECK_EQ(f, target + PAGE_SIZE);
	check_fill(f, 2);
	CHECK_EQ(f[2 * PAGE_SIZE], 0);
	CHECK_EQ(target[0], 0xee);
	CHECK(!test_is_mapped(m));
	/* The rest of the old mapping (pages 2-63 of m) stayed where it was. */
	CHECK(test_is_mapped(m + 2 * PAGE_SIZE));
	CHECK_EQ(munmap(m + 2 * PAGE_SIZE, 62 * PAGE_SIZE), 0);

	/* EINVAL: unknown flags, MREMAP_FIXED without MREMAP_MAYMOVE, an unaligned old address. */
	CHECK_ERR(mremap(f, PAGE_SIZE, PAGE_SIZE, 0x100), EINVAL);
	CHECK_ERR(mremap(f, PAGE_SIZE, 2 * PAGE_SIZE, MREMAP_FIXED, target), EINVAL);
	CHECK_ERR(mremap(f + 1, PAGE_SIZE, PAGE_SIZE, 0), EINVAL);
	/* EINVAL: a new length of 0, or one larger than the address space. */
	CHECK_ERR(mremap(f, PAGE_SIZE, 0, 0), EINVAL);
	CHECK_ERR(mremap(f, PAGE_SIZE, -PAGE_SIZE, MREMAP_MAYMOVE), EINVAL);
	/* EINVAL: an unaligned new address, or a new range overlapping the old one. */
	CHECK_ERR(mremap(f, PAGE_SIZE, PAGE_SIZE, MREMAP_MAYMOVE | MREMAP_FIXED, target + 1),
	          EINVAL);
	CHECK_ERR(mremap(f, 2 * PAGE_SIZE, PAGE_SIZE, MREMAP_MAYMOVE | MREMAP_FIXED, f + PAGE_SIZE),
	          EINVAL);
	/* EINVAL: an old length of 0 (a duplicate) is only for shared mappings. */
	CHECK_ERR(mremap(f, 0, PAGE_SIZE, MREMAP_MAYMOVE), EINVAL);
	/* EINVAL: MREMAP_DONTUNMAP needs MREMAP_MAYMOVE. */
	CHECK_ERR(mremap(f, PAGE_SIZE, PAGE_SIZE, MREMAP_DONTUNMAP), EINVAL);

	/* EFAULT: the old range is not mapped, or runs past the end of its mapping. */
	CHECK_ERR(mremap(test_unmapped_page(), PAGE_SIZE, PAGE_SIZE, 0), EFAULT);
	CHECK_ERR(mremap(test_unmapped_page(), PAGE_SIZE, 2 * PAGE_SIZE, MREMAP_MAYMOVE), EFAULT);
	CHECK_ERR(mremap(f, 8 * PAGE_SIZE, 9 * PAGE_SIZE, MREMAP_MAYMOVE), EFAULT);

	/* None of the failures touched the mapping. */
	check_fill(f, 2);
	CHECK_EQ(munmap(target, 4 * PAGE_SIZE), 0);

	/* Old length 0 on a shared mapping makes a second view of the same pages. */
	unsigned char *s = (unsigned char *)CHECK_SYS(
	        mmap(NULL, PAGE_SIZE, RW, MAP_SHARED | MAP_ANONYMOUS, -1, 0));
	unsigned char *dup = (unsigned char *)CHECK_SYS(mremap(s, 0, PAGE_SIZE, MREMAP_MAYMOVE));
	CHECK(dup != s);
	s[10] = 0x77;
	CHECK_EQ(dup[10], 0x77);
	dup[11] = 0x78;
	CHECK_EQ(s[11], 0x78);
	CHECK_EQ(munmap(s, PAGE_SIZE), 0);
	CHECK_EQ(dup[10], 0x77);
	CHECK_EQ(munmap(dup, PAGE_SIZE), 0);

	/*
	 * Shrinking only unmaps the tail, whatever lies there: other mappings and
	 * holes. Growing still needs [old, old + old_len) inside one mapping.
	 */
	unsigned char *sh = (unsigned char *)CHECK_SYS(
	        mmap(NULL, 4 * PAGE_SIZE, RW, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
	CHECK_EQ(mprotect(sh + 2 * PAGE_SIZE, 2 * PAGE_SIZE, PROT_READ), 0);
	CHECK_EQ(mremap(sh, 4 * PAGE_SIZE, 3 * PAGE_SIZE, 0), sh);
	CHECK_ERR(mremap(sh, 3 * PAGE_SIZE, 4 * PAGE_SIZE, 0), EFAULT);
	CHECK_EQ(munmap(sh + 2 * PAGE_SIZE, PAGE_SIZE), 0); /* now: RW RW hole */
	CHECK_EQ(mremap(sh, 3 * PAGE_SIZE, PAGE_SIZE, 0), sh);
	unsigned char vec;
	CHECK_ERR(mincore(sh + PAGE_SIZE, PAGE_SIZE, &vec), ENOMEM);
	CHECK_EQ(munmap(sh, PAGE_SIZE), 0);
	return 0;
}
