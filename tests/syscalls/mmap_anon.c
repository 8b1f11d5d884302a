/* mmap_anon: private and shared anonymous mappings, their alignment, contents and hints. */
#include "test.h"

/* check_zero_then_pattern checks that size bytes at p read as zero, then writes and reads. */
static void check_zero_then_pattern(unsigned char *p, size_t size, unsigned char seed)
{
	for (size_t i = 0; i < size; i++)
		CHECK_EQ(p[i], 0);
	for (size_t i = 0; i < size; i++)
		p[i] = (unsigned char)(i * 7 + seed);
	for (size_t i = 0; i < size; i++)
		CHECK_EQ(p[i], (unsigned char)(i * 7 + seed));
}

int main(void)
{
	const size_t size = 4 * PAGE_SIZE;

	/* A private mapping is page aligned, zero-filled, readable and writable. */
	unsigned char *p = (unsigned char *)CHECK_SYS(
	        mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
	CHECK_EQ((uintptr_t)p % PAGE_SIZE, 0);
	check_zero_then_pattern(p, size, 1);

	/* A second mapping does not overlap the first. */
	unsigned char *q = (unsigned char *)CHECK_SYS(
	        mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
	CHECK_EQ((uintptr_t)q % PAGE_SIZE, 0);
	CHECK(q + size <= p || q >= p + size);
	check_zero_then_pattern(q, size, 2);
	CHECK_EQ(p[size - 1], (unsigned char)((size - 1) * 7 + 1));
	CHECK_EQ(munmap(q, size), 0);
	CHECK(!test_is_mapped(q));

	/* A shared anonymous mapping behaves the same within one process. */
	unsigned char *s = (unsigned char *)CHECK_SYS(
	        mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0));
	CHECK_EQ((uintptr_t)s % PAGE_SIZE, 0);
	check_zero_then_pattern(s, size, 3);
	CHECK_EQ(munmap(s, size), 0);

	/* A length that is not a page multiple maps the whole last page. */
	unsigned char *one = (unsigned char *)CHECK_SYS(
	        mmap(NULL, 1, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
	one[PAGE_SIZE - 1] = 0x5a;
	CHECK_EQ(one[PAGE_SIZE - 1], 0x5a);
	CHECK_EQ(munmap(one, 1), 0);
	CHECK(!test_is_mapped(one));

	/* The offset is ignored for anonymous mappings, as long as it is page aligned. */
	unsigned char *off = (unsigned char *)CHECK_SYS(mmap(
	        NULL, PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 1 << 20));
	CHECK_EQ(off[0], 0);
	CHECK_EQ(munmap(off, PAGE_SIZE), 0);

	/* A PROT_NONE mapping can be created and is mapped. */
	void *none =
	        (void *)CHECK_SYS(mmap(NULL, size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
	CHECK(test_is_mapped(none));
	CHECK_EQ(munmap(none, size), 0);

	/* A hint is honoured when the range is free: find a free range, then ask for it. */
	unsigned char *hole = test_map(16 * PAGE_SIZE, PROT_NONE);
	CHECK_EQ(munmap(hole, 16 * PAGE_SIZE), 0);
	unsigned char *hint = hole + 4 * PAGE_SIZE;
	unsigned char *h = (unsigned char *)CHECK_SYS(
	        mmap(hint, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
	CHECK_EQ(h, hint);
	check_zero_then_pattern(h, size, 4);

	/* A hint on an occupied range is not an error: the mapping goes elsewhere. */
	unsigned char *h2 = (unsigned char *)CHECK_SYS(
	        mmap(hint, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
	CHECK(h2 != hint);
	CHECK(h2 + size <= h || h2 >= h + size);
	CHECK_EQ(h[0], 4);
	CHECK_EQ(munmap(h2, size), 0);
	CHECK_EQ(munmap(h, size), 0);

	/* x86-64 Linux rounds an unaligned hint down to its page (arch_get_unmapped_area_topdown).
	 */
	unsigned char *u = (unsigned char *)CHECK_SYS(mmap(
	        hint + 1, PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
	CHECK_EQ(u, hint);
	CHECK_EQ(munmap(u, PAGE_SIZE), 0);

	CHECK_EQ(p[0], 1);
	CHECK_EQ(munmap(p, size), 0);
	CHECK(!test_is_mapped(p));
	return 0;
}
