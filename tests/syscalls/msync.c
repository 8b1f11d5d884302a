/* msync: succeeds on anonymous memory; EINVAL and ENOMEM cases in Linux's order. */
#include "test.h"

int main(void)
{
	unsigned char *p = test_map(3 * PAGE_SIZE, PROT_READ | PROT_WRITE);
	CHECK_EQ(munmap(p + 2 * PAGE_SIZE, PAGE_SIZE), 0);
	memset(p, 0x42, 2 * PAGE_SIZE);

	/* On anonymous memory every valid flag combination succeeds and changes nothing. */
	CHECK_EQ(msync(p, 2 * PAGE_SIZE, MS_ASYNC), 0);
	CHECK_EQ(msync(p, 2 * PAGE_SIZE, MS_SYNC), 0);
	CHECK_EQ(msync(p, 2 * PAGE_SIZE, MS_INVALIDATE), 0);
	CHECK_EQ(msync(p, 2 * PAGE_SIZE, MS_SYNC | MS_INVALIDATE), 0);
	CHECK_EQ(msync(p, 2 * PAGE_SIZE, 0), 0);
	CHECK_EQ(msync(p, 1, MS_SYNC), 0);
	CHECK_EQ(msync(p, 0, MS_SYNC), 0);
	CHECK_EQ(p[0], 0x42);
	CHECK_EQ(p[2 * PAGE_SIZE - 1], 0x42);

	/* EINVAL: MS_ASYNC with MS_SYNC, an unknown flag, an unaligned address. */
	CHECK_ERR(msync(p, PAGE_SIZE, MS_ASYNC | MS_SYNC), EINVAL);
	CHECK_ERR(msync(p, PAGE_SIZE, 8), EINVAL);
	CHECK_ERR(msync(p, PAGE_SIZE, 0x100), EINVAL);
	CHECK_ERR(msync(p + 1, PAGE_SIZE, MS_SYNC), EINVAL);
	/* The flags are checked before the range. */
	CHECK_ERR(msync(test_unmapped_page(), PAGE_SIZE, MS_SYNC | MS_ASYNC), EINVAL);

	/* ENOMEM: unmapped memory, a range with a hole, a range that wraps. */
	CHECK_ERR(msync(test_unmapped_page(), PAGE_SIZE, MS_SYNC), ENOMEM);
	CHECK_ERR(msync(test_unmapped_page(), PAGE_SIZE, MS_ASYNC), ENOMEM);
	CHECK_ERR(msync(p, 3 * PAGE_SIZE, MS_SYNC), ENOMEM);
	CHECK_ERR(msync(p, -PAGE_SIZE, MS_SYNC), ENOMEM);

	CHECK_EQ(munmap(p, 2 * PAGE_SIZE), 0);
	return 0;
}
