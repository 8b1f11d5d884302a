/* mmap_fixed: MAP_FIXED replaces what was there; MAP_FIXED_NOREPLACE refuses to. */
#include "test.h"

#define ANON (MAP_PRIVATE | MAP_ANONYMOUS)
#define RW   (PROT_READ | PROT_WRITE)

/* check_page checks that every byte of page index i of p is val. */
static void check_page(const unsigned char *p, size_t i, unsigned char val)
{
	for (size_t j = 0; j < PAGE_SIZE; j++)
		if (p[i * PAGE_SIZE + j] != val)
			test_fail(__FILE__, __LINE__, "page %zu byte %zu: %#x, expected %#x", i, j,
			          p[i * PAGE_SIZE + j], val);
}

int main(void)
{
	unsigned char *p = (unsigned char *)test_map(4 * PAGE_SIZE, RW);
	memset(p, 0xaa, 4 * PAGE_SIZE);

	/* MAP_FIXED over pages 1-2 returns exactly that address, with fresh zero pages. */
	void *r =
	        (void *)CHECK_SYS(mmap(p + PAGE_SIZE, 2 * PAGE_SIZE, RW, ANON | MAP_FIXED, -1, 0));
	CHECK_EQ(r, p + PAGE_SIZE);
	check_page(p, 0, 0xaa);
	check_page(p, 1, 0);
	check_page(p, 2, 0);
	check_page(p, 3, 0xaa);

	/* MAP_FIXED with PROT_READ over page 3 leaves a readable zero page. */
	r = (void *)CHECK_SYS(
	        mmap(p + 3 * PAGE_SIZE, PAGE_SIZE, PROT_READ, ANON | MAP_FIXED, -1, 0));
	CHECK_EQ(r, p + 3 * PAGE_SIZE);
	check_page(p, 3, 0);

	/* MAP_FIXED_NOREPLACE on any overlap fails with EEXIST and changes nothing. */
	p[0] = 0x11;
	CHECK_ERR(mmap(p, PAGE_SIZE, RW, ANON | MAP_FIXED_NOREPLACE, -1, 0), EEXIST);
	CHECK_ERR(mmap(p + 3 * PAGE_SIZE, 2 * PAGE_SIZE, RW, ANON | MAP_FIXED_NOREPLACE, -1, 0),
	          EEXIST);
	CHECK_EQ(p[0], 0x11);

	/* MAP_FIXED_NOREPLACE on a free range maps exactly there. */
	unsigned char *hole = (unsigned char *)test_map(8 * PAGE_SIZE, PROT_NONE);
	CHECK_EQ(munmap(hole, 8 * PAGE_SIZE), 0);
	unsigned char *n = (unsigned char *)CHECK_SYS(
	        mmap(hole + 2 * PAGE_SIZE, 2 * PAGE_SIZE, RW, ANON | MAP_FIXED_NOREPLACE, -1, 0));
	CHECK_EQ(n, hole + 2 * PAGE_SIZE);
	check_page(n, 0, 0);
	n[0] = 0x22;
	/* Next to it, still free: succeeds; one page into it: EEXIST. */
	unsigned char *m = (unsigned char *)CHECK_SYS(
	        mmap(hole, 2 * PAGE_SIZE, RW, ANON | MAP_FIXED_NOREPLACE, -1, 0));
	CHECK_EQ(m, hole);
	CHECK_ERR(mmap(hole + 3 * PAGE_SIZE, 2 * PAGE_SIZE, RW, ANON | MAP_FIXED_NOREPLACE, -1, 0),
	          EEXIST);
	CHECK_EQ(n[0], 0x22);

	/* MAP_FIXED over a range that is partly mapped and partly a hole fills both. */
	CHECK_EQ(munmap(hole + 4 * PAGE_SIZE, 4 * PAGE_SIZE), 0);
	r = (void *)CHECK_SYS(
	        mmap(hole + 3 * PAGE_SIZE, 4 * PAGE_SIZE, RW, ANON | MAP_FIXED, -1, 0));
	CHECK_EQ(r, hole + 3 * PAGE_SIZE);
	for (size_t i = 3; i < 7; i++)
		check_page(hole, i, 0);
	CHECK_EQ(n[0], 0x22);
	CHECK(!test_is_mapped(hole + 7 * PAGE_SIZE));
	CHECK_EQ(munmap(hole, 7 * PAGE_SIZE), 0);
	CHECK_EQ(munmap(p, 4 * PAGE_SIZE), 0);
	return 0;
}
