/* madvise: MADV_DONTNEED drops private anonymous pages, keeps shared ones; the errors. */
#include "test.h"

#define RW (PROT_READ | PROT_WRITE)

int main(void)
{
	unsigned char *p = test_map(4 * PAGE_SIZE, RW);
	memset(p, 0xab, 4 * PAGE_SIZE);

	/* MADV_DONTNEED on private anonymous memory: the pages read back as zero. */
	CHECK_EQ(madvise(p + PAGE_SIZE, 2 * PAGE_SIZE, MADV_DONTNEED), 0);
	CHECK_EQ(p[0], 0xab);
	CHECK_EQ(p[PAGE_SIZE], 0);
	CHECK_EQ(p[3 * PAGE_SIZE - 1], 0);
	CHECK_EQ(p[3 * PAGE_SIZE], 0xab);
	/* The range stays mapped and writable. */
	p[PAGE_SIZE] = 1;
	CHECK_EQ(p[PAGE_SIZE], 1);

	/* On shared anonymous memory the contents survive. */
	unsigned char *s = (unsigned char *)CHECK_SYS(
	        mmap(NULL, 2 * PAGE_SIZE, RW, MAP_SHARED | MAP_ANONYMOUS, -1, 0));
	memset(s, 0xcd, 2 * PAGE_SIZE);
	CHECK_EQ(madvise(s, 2 * PAGE_SIZE, MADV_DONTNEED), 0);
	CHECK_EQ(s[0], 0xcd);
	CHECK_EQ(s[2 * PAGE_SIZE - 1], 0xcd);
	CHECK_EQ(munmap(s, 2 * PAGE_SIZE), 0);

	/* Hints that change nothing visible succeed. */
	CHECK_EQ(madvise(p, 4 * PAGE_SIZE, MADV_NORMAL), 0);
	CHECK_EQ(madvise(p, 4 * PAGE_SIZE, MADV_RANDOM), 0);
	CHECK_EQ(madvise(p, 4 * PAGE_SIZE, MADV_SEQUENTIAL), 0);
	CHECK_EQ(madvise(p, 4 * PAGE_SIZE, MADV_WILLNEED), 0);
	CHECK_EQ(p[0], 0xab);
	/* Length 0 succeeds; an unaligned length is rounded up. */
	CHECK_EQ(madvise(p, 0, MADV_DONTNEED), 0);
	CHECK_EQ(p[0], 0xab);
	CHECK_EQ(madvise(p, 1, MADV_DONTNEED), 0);
	CHECK_EQ(p[PAGE_SIZE - 1], 0);

	/* EINVAL: unknown advice (checked before the range), an unaligned address, a wrap. */
	CHECK_ERR(madvise(p, PAGE_SIZE, 999), EINVAL);
	CHECK_ERR(madvise(test_unmapped_page(), PAGE_SIZE, 999), EINVAL);
	CHECK_ERR(madvise(p + 1, PAGE_SIZE, MADV_NORMAL), EINVAL);
	CHECK_ERR(madvise(p, -PAGE_SIZE, MADV_NORMAL), EINVAL);
	/* EINVAL: MADV_REMOVE needs a shared mapping. */
	CHECK_ERR(madvise(p, PAGE_SIZE, MADV_REMOVE), EINVAL);

	/* ENOMEM: an unmapped range, and a range with a hole (the mapped part is still done). */
	CHECK_ERR(madvise(test_unmapped_page(), PAGE_SIZE, MADV_NORMAL), ENOMEM);
	CHECK_ERR(madvise(test_unmapped_page(), PAGE_SIZE, MADV_DONTNEED), ENOMEM);
	unsigned char *h = test_map(3 * PAGE_SIZE, RW);
	CHECK_EQ(munmap(h + 2 * PAGE_SIZE, PAGE_SIZE), 0);
	h[0] = 5;
	CHECK_ERR(madvise(h, 3 * PAGE_SIZE, MADV_DONTNEED), ENOMEM);
	CHECK_EQ(h[0], 0);
	CHECK_EQ(munmap(h, 2 * PAGE_SIZE), 0);

	CHECK_EQ(munmap(p, 4 * PAGE_SIZE), 0);
	return 0;
}
