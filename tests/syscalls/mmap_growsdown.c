/*
 * mmap_growsdown: a MAP_GROWSDOWN mapping grows when the page just below its start is touched,
 * as the main stack does; a mapping without the flag does not exist below its start.
 */
#include "test.h"

int main(void)
{
	/*
	 * Reserve 16 MiB so that nothing lies within the 1 MiB stack guard gap below the
	 * mapping, then free it and put a 4-page grows-down mapping at its top.
	 */
	const size_t area = 16UL << 20;
	unsigned char *base = test_map(area, PROT_NONE);
	CHECK_EQ(munmap(base, area), 0);
	unsigned char *start = base + area - 4 * PAGE_SIZE;
	unsigned char *g = (unsigned char *)CHECK_SYS(
	        mmap(start, 4 * PAGE_SIZE, PROT_READ | PROT_WRITE,
	             MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_GROWSDOWN, -1, 0));
	CHECK_EQ(g, start);
	g[0] = 1;
	CHECK(!test_is_mapped(start - PAGE_SIZE));

	/* Touching the byte just below the start grows the mapping by a page. */
	volatile unsigned char *v = start;
	CHECK_EQ(v[-1], 0);
	CHECK(test_is_mapped(start - PAGE_SIZE));
	CHECK(!test_is_mapped(start - 2 * PAGE_SIZE));
	v[-1] = 2;
	CHECK_EQ(v[-1], 2);

	/* Touching further below (within the stack rlimit) grows it down to that page. */
	CHECK_EQ(v[-(long)(64 * PAGE_SIZE)], 0);
	CHECK(test_is_mapped(start - 64 * PAGE_SIZE));
	CHECK(test_is_mapped(start - 2 * PAGE_SIZE));
	CHECK(!test_is_mapped(start - 65 * PAGE_SIZE));
	v[-(long)(64 * PAGE_SIZE)] = 3;

	/* The grown pages are one mapping with the original: munmap of the whole range works. */
	CHECK_EQ(munmap(start - 64 * PAGE_SIZE, 68 * PAGE_SIZE), 0);
	CHECK(!test_is_mapped(start - PAGE_SIZE));
	CHECK(!test_is_mapped(start));
	return 0;
}
