/* mmap_big: 1 TiB of MAP_NORESERVE anonymous memory is mapped, touched at both ends, unmapped. */
#include "test.h"

int main(void)
{
	const size_t size = 1UL << 40;
	unsigned char *p = (unsigned char *)CHECK_SYS(
	        mmap(NULL, size, PROT_READ | PROT_WRITE,
	             MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0));
	CHECK_EQ((uintptr_t)p % PAGE_SIZE, 0);

	volatile unsigned char *v = p;
	CHECK_EQ(v[0], 0);
	CHECK_EQ(v[size - 1], 0);
	CHECK_EQ(v[size / 2], 0);
	v[0] = 0x12;
	v[size / 2] = 0x34;
	v[size - 1] = 0x56;
	CHECK_EQ(v[0], 0x12);
	CHECK_EQ(v[size / 2], 0x34);
	CHECK_EQ(v[size - 1], 0x56);

	/* Unmapping releases all of it, and the ends are no longer mapped. */
	CHECK_EQ(munmap(p, size), 0);
	CHECK(!test_is_mapped(p));
	CHECK(!test_is_mapped(p + size - 1));

	/* Twice in a row works too: nothing was left committed. */
	p = (unsigned char *)CHECK_SYS(mmap(NULL, size, PROT_READ | PROT_WRITE,
	                                    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0));
	v = p;
	CHECK_EQ(v[size - 1], 0);
	CHECK_EQ(munmap(p, size), 0);
	return 0;
}
