/* mprotect: protection changes keep contents, split mappings, and fail with exact errnos. */
#include "test.h"

#define RW (PROT_READ | PROT_WRITE)

int main(void)
{
	/* Five pages followed by a hole. */
	unsigned char *p = test_map(6 * PAGE_SIZE, RW);
	CHECK_EQ(munmap(p + 5 * PAGE_SIZE, PAGE_SIZE), 0);
	for (size_t i = 0; i < 5; i++)
		memset(p + i * PAGE_SIZE, (int)(0x10 + i), PAGE_SIZE);

	/* Read-only: the contents are still readable. */
	CHECK_EQ(mprotect(p, 5 * PAGE_SIZE, PROT_READ), 0);
	for (size_t i = 0; i < 5; i++)
		CHECK_EQ(p[i * PAGE_SIZE + 123], 0x10 + i);
	CHECK_EQ(mprotect(p, 5 * PAGE_SIZE, RW), 0);
	p[0] = 0x20;
	CHECK_EQ(p[0], 0x20);

	/* Length 0 is a no-op that succeeds; an unaligned length is rounded up. */
	CHECK_EQ(mprotect(p, 0, PROT_NONE), 0);
	p[1] = 0x21;
	CHECK_EQ(mprotect(p, 1, PROT_READ), 0);
	CHECK_EQ(p[PAGE_SIZE - 1], 0x10);
	CHECK_EQ(mprotect(p, 1, RW), 0);

	/* EINVAL: an unaligned address, even with length 0. */
	CHECK_ERR(mprotect(p + 1, PAGE_SIZE, PROT_READ), EINVAL);
	CHECK_ERR(mprotect(p + 1, 0, PROT_READ), EINVAL);
	/* EINVAL: unknown protection bits; PROT_SEM (0x8, no libc name) is accepted on x86-64. */
	CHECK_ERR(mprotect(p, PAGE_SIZE, PROT_READ | 0x10), EINVAL);
	CHECK_ERR(mprotect(p, PAGE_SIZE, PROT_READ | 0x40), EINVAL);
	CHECK_EQ(mprotect(p, PAGE_SIZE, RW | 0x8), 0);
	/* EINVAL: PROT_GROWSDOWN and PROT_GROWSUP together, or on a mapping that cannot grow. */
	CHECK_ERR(mprotect(p, PAGE_SIZE, PROT_READ | PROT_GROWSDOWN | PROT_GROWSUP), EINVAL);
	CHECK_ERR(mprotect(p, PAGE_SIZE, PROT_READ | PROT_GROWSDOWN), EINVAL);

	/* ENOMEM: an unmapped range, a range with a hole, a range that wraps or is in the kernel.
	 */
	void *gone = test_unmapped_page();
	CHECK_ERR(mprotect(gone, PAGE_SIZE, PROT_READ), ENOMEM);
	CHECK_ERR(mprotect(p, 6 * PAGE_SIZE, PROT_READ), ENOMEM);
	CHECK_ERR(mprotect(p, -PAGE_SIZE, PROT_READ), ENOMEM);
	CHECK_ERR(mprotect(p, -PAGE_SIZE + 1, PROT_READ), ENOMEM);
	CHECK_ERR(mprotect((void *)0xffff800000000000UL, PAGE_SIZE, PROT_READ), ENOMEM);
	/* Linux changed the mapped part before it found the hole: make it writable again. */
	CHECK_EQ(mprotect(p, 5 * PAGE_SIZE, RW), 0);

	/* Read-only in the middle splits the mapping; the pieces can then be unmapped apart. */
	CHECK_EQ(mprotect(p + 2 * PAGE_SIZE, PAGE_SIZE, PROT_READ), 0);
	p[PAGE_SIZE] = 0x31;
	p[3 * PAGE_SIZE] = 0x33;
	CHECK_EQ(p[2 * PAGE_SIZE], 0x12);
	CHECK_EQ(munmap(p + PAGE_SIZE, PAGE_SIZE), 0);
	CHECK_EQ(munmap(p + 3 * PAGE_SIZE, PAGE_SIZE), 0);
	CHECK(!test_is_mapped(p + PAGE_SIZE));
	CHECK(!test_is_mapped(p + 3 * PAGE_SIZE));
	CHECK(test_is_mapped(p + 2 * PAGE_SIZE));
	CHECK_EQ(p[0], 0x20);
	CHECK_EQ(p[2 * PAGE_SIZE + 5], 0x12);
	CHECK_EQ(p[4 * PAGE_SIZE + 5], 0x14);
	p[0] = 0x40;
	p[4 * PAGE_SIZE] = 0x44;
	CHECK_EQ(p[0] + p[4 * PAGE_SIZE], 0x84);
	/* The lone read-only page can be made writable again. */
	CHECK_EQ(mprotect(p + 2 * PAGE_SIZE, PAGE_SIZE, RW), 0);
	p[2 * PAGE_SIZE] = 0x42;
	CHECK_EQ(p[2 * PAGE_SIZE], 0x42);

	CHECK_EQ(munmap(p, 5 * PAGE_SIZE), 0);
	return 0;
}
