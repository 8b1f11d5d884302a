/* mincore: residency of touched and untouched anonymous pages, and the errors. */
#include "test.h"

int main(void)
{
	unsigned char *p = test_map(5 * PAGE_SIZE, PROT_READ | PROT_WRITE);
	CHECK_EQ(munmap(p + 4 * PAGE_SIZE, PAGE_SIZE), 0);
	unsigned char vec[8];

	/* Untouched private anonymous pages are not resident; written ones are. */
	p[0] = 1;
	p[2 * PAGE_SIZE] = 1;
	memset(vec, 0xff, sizeof(vec));
	CHECK_EQ(syscall(SYS_mincore, p, 4 * PAGE_SIZE, vec), 0);
	CHECK_EQ(vec[0] & 1, 1);
	CHECK_EQ(vec[1] & 1, 0);
	CHECK_EQ(vec[2] & 1, 1);
	CHECK_EQ(vec[3] & 1, 0);
	/* Only one byte per page is written: the rest of vec is untouched. */
	CHECK_EQ(vec[4], 0xff);

	/* A length that is not a page multiple counts the partial page. */
	memset(vec, 0xff, sizeof(vec));
	CHECK_EQ(syscall(SYS_mincore, p + 2 * PAGE_SIZE, 1, vec), 0);
	CHECK_EQ(vec[0] & 1, 1);
	CHECK_EQ(vec[1], 0xff);

	/* After MADV_DONTNEED the page is no longer resident. */
	CHECK_EQ(madvise(p, PAGE_SIZE, MADV_DONTNEED), 0);
	CHECK_EQ(syscall(SYS_mincore, p, PAGE_SIZE, vec), 0);
	CHECK_EQ(vec[0] & 1, 0);

	/* Length 0 succeeds, even with no vector. */
	CHECK_EQ(syscall(SYS_mincore, p, 0, NULL), 0);

	/* EINVAL: an unaligned address. */
	CHECK_ERR(syscall(SYS_mincore, p + 1, PAGE_SIZE, vec), EINVAL);
	/* ENOMEM: unmapped pages, a range with a hole, a range in the kernel or that wraps. */
	CHECK_ERR(syscall(SYS_mincore, p + 4 * PAGE_SIZE, PAGE_SIZE, vec), ENOMEM);
	CHECK_ERR(syscall(SYS_mincore, p, 5 * PAGE_SIZE, vec), ENOMEM);
	CHECK_ERR(syscall(SYS_mincore, 0xffff800000000000UL, PAGE_SIZE, vec), ENOMEM);
	CHECK_ERR(syscall(SYS_mincore, p, -PAGE_SIZE, vec), ENOMEM);
	/* ENOMEM comes before EFAULT when both apply. */
	CHECK_ERR(syscall(SYS_mincore, p + 4 * PAGE_SIZE, PAGE_SIZE, NULL), ENOMEM);
	/* EFAULT: a bad vector for a mapped range. */
	CHECK_ERR(syscall(SYS_mincore, p, PAGE_SIZE, NULL), EFAULT);
	CHECK_ERR(syscall(SYS_mincore, p, PAGE_SIZE, test_unmapped_page()), EFAULT);
	CHECK_ERR(syscall(SYS_mincore, p, PAGE_SIZE, 0xffff800000000000UL), EFAULT);
	/* A read-only vector cannot be written. */
	unsigned char *ro = test_map(PAGE_SIZE, PROT_READ);
	CHECK_ERR(syscall(SYS_mincore, p, PAGE_SIZE, ro), EFAULT);

	CHECK_EQ(munmap(p, 4 * PAGE_SIZE), 0);
	CHECK_EQ(munmap(ro, PAGE_SIZE), 0);
	return 0;
}
