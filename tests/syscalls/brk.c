/*
 * brk: the raw system call, which returns the new break on success and the unchanged break
 * on failure (never -1 and errno, unlike glibc's brk()).
 */
#include "test.h"

#define PAGE_UP(x) (((x) + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1))

static uintptr_t sys_brk(uintptr_t addr)
{
	return (uintptr_t)syscall(SYS_brk, addr);
}

int main(void)
{
	/* brk(0) returns the current break, and asking again gives the same. */
	uintptr_t cur = sys_brk(0);
	CHECK(cur != 0);
	CHECK_EQ(sys_brk(0), cur);

	/* Grow by 1 MiB: the new memory is zero-filled and writable. */
	const uintptr_t grow = 1UL << 20;
	CHECK_EQ(sys_brk(cur + grow), cur + grow);
	CHECK_EQ(sys_brk(0), cur + grow);
	unsigned char *mem = (unsigned char *)cur;
	for (uintptr_t i = 0; i < grow; i += 512)
		CHECK_EQ(mem[i], 0);
	for (uintptr_t i = 0; i < grow; i++)
		mem[i] = (unsigned char)(i % 253);
	for (uintptr_t i = 0; i < grow; i++)
		CHECK_EQ(mem[i], (unsigned char)(i % 253));
	CHECK(test_is_mapped(mem + grow - 1));
	CHECK(!test_is_mapped((void *)PAGE_UP(cur + grow)));

	/* Shrink to one page above the start: the pages above are unmapped. */
	CHECK_EQ(sys_brk(cur + PAGE_SIZE), cur + PAGE_SIZE);
	CHECK_EQ(sys_brk(0), cur + PAGE_SIZE);
	CHECK_EQ(mem[PAGE_SIZE - 1], (unsigned char)((PAGE_SIZE - 1) % 253));
	CHECK(!test_is_mapped((void *)(PAGE_UP(cur + PAGE_SIZE) + PAGE_SIZE)));
	CHECK(!test_is_mapped(mem + grow - 1));

	/* Growing again gives fresh zero pages above the old page-rounded break. */
	CHECK_EQ(sys_brk(cur + grow), cur + grow);
	for (uintptr_t i = PAGE_UP(cur + PAGE_SIZE); i < cur + grow; i += 256)
		CHECK_EQ(*(unsigned char *)i, 0);

	/* A request below the start of the heap fails: the break is unchanged. */
	CHECK_EQ(sys_brk(PAGE_SIZE), cur + grow);
	CHECK_EQ(sys_brk(1), cur + grow);
	/* So does one beyond user space, or one that would run into another mapping. */
	CHECK_EQ(sys_brk(0xffff800000000000UL), cur + grow);
	CHECK_EQ(sys_brk(UINTPTR_MAX), cur + grow);
	uintptr_t wall = PAGE_UP(cur + grow) + 16 * PAGE_SIZE;
	void *w = (void *)CHECK_SYS(mmap((void *)wall, PAGE_SIZE, PROT_READ,
	                                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0));
	CHECK_EQ(w, wall);
	CHECK_EQ(sys_brk(wall + 16 * PAGE_SIZE), cur + grow);
	CHECK_EQ(sys_brk(wall + PAGE_SIZE), cur + grow);
	/* Up to just below the wall (leaving Linux's one-page gap) works. */
	CHECK_EQ(sys_brk(wall - PAGE_SIZE), wall - PAGE_SIZE);
	CHECK_EQ(sys_brk(wall), wall - PAGE_SIZE);
	CHECK_EQ(munmap(w, PAGE_SIZE), 0);

	/* Back to where it started. */
	CHECK_EQ(sys_brk(cur), cur);
	CHECK_EQ(sys_brk(0), cur);
	return 0;
}
