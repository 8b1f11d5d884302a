/* munmap: splitting a mapping, unmapping holes, and the EINVAL cases. */
#include "test.h"

int main(void)
{
	unsigned char *p = test_map(3 * PAGE_SIZE, PROT_READ | PROT_WRITE);
	memset(p, 0x5a, 3 * PAGE_SIZE);

	/* Unmapping the middle page splits the mapping; both ends keep working. */
	CHECK_EQ(munmap(p + PAGE_SIZE, PAGE_SIZE), 0);
	CHECK(test_is_mapped(p));
	CHECK(!test_is_mapped(p + PAGE_SIZE));
	CHECK(test_is_mapped(p + 2 * PAGE_SIZE));
	CHECK_EQ(p[PAGE_SIZE - 1], 0x5a);
	CHECK_EQ(p[2 * PAGE_SIZE], 0x5a);
	p[0] = 1;
	p[3 * PAGE_SIZE - 1] = 2;
	CHECK_EQ(p[0] + p[3 * PAGE_SIZE - 1], 3);

	/* Unmapping the hole again, or any unmapped range, succeeds. */
	CHECK_EQ(munmap(p + PAGE_SIZE, PAGE_SIZE), 0);
	CHECK_EQ(munmap(test_unmapped_page(), 16 * PAGE_SIZE), 0);

	/* An unaligned length is rounded up to the page. */
	CHECK_EQ(munmap(p + 2 * PAGE_SIZE, 1), 0);
	CHECK(!test_is_mapped(p + 2 * PAGE_SIZE));
	CHECK(test_is_mapped(p));

	/* EINVAL: length 0, an unaligned address, a range that wraps or is beyond user space. */
	CHECK_ERR(munmap(p, 0), EINVAL);
	CHECK_ERR(munmap(p + 1, PAGE_SIZE), EINVAL);
	CHECK_ERR(munmap(p, SIZE_MAX), EINVAL);
	CHECK_ERR(munmap(p, -PAGE_SIZE), EINVAL);
	CHECK_ERR(munmap((void *)0xffff800000000000UL, PAGE_SIZE), EINVAL);
	CHECK_ERR(munmap((void *)0x7ffffffff000UL, 2 * PAGE_SIZE), EINVAL);
	CHECK(test_is_mapped(p));
	CHECK_EQ(p[0], 1);

	/* A range covering the last piece and the holes around it unmaps it. */
	CHECK_EQ(munmap(p, 3 * PAGE_SIZE), 0);
	CHECK(!test_is_mapped(p));

	/* One munmap across several separate mappings unmaps them all. */
	unsigned char *q = test_map(4 * PAGE_SIZE, PROT_READ | PROT_WRITE);
	CHECK_EQ(mprotect(q + PAGE_SIZE, PAGE_SIZE, PROT_READ), 0);
	CHECK_EQ(munmap(q + 2 * PAGE_SIZE, PAGE_SIZE), 0);
	CHECK_EQ(munmap(q, 4 * PAGE_SIZE), 0);
	for (size_t i = 0; i < 4; i++)
		CHECK(!test_is_mapped(q + i * PAGE_SIZE));
	return 0;
}
