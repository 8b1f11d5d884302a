/*
 * mmap_32bit: MAP_32BIT places a mapping in the low 2 GiB, bottom-up from
 * 1 GiB on x86-64 (find_start_end()), and honours a free hint below 2 GiB.
 */
#include <sys/mman.h>

#include "test.h"

#define ONE_GIB 0x40000000UL
#define TWO_GIB 0x80000000UL

int main(void)
{
	for (int i = 0; i < 16; i++) {
		void *p = mmap(NULL, 3 * PAGE_SIZE, PROT_READ | PROT_WRITE,
		               MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
		CHECK(p != MAP_FAILED);
		CHECK((uintptr_t)p >= ONE_GIB);
		CHECK((uintptr_t)p + 3 * PAGE_SIZE <= TWO_GIB);
		*(volatile char *)p = 1;
	}
	/* A free hint below 2 GiB is taken as is. */
	void *hint = (void *)0x50000000UL;
	void *q = mmap(hint, PAGE_SIZE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
	CHECK(q == hint);
	/* A hint above 2 GiB is not. */
	void *r = mmap((void *)0x100000000UL, PAGE_SIZE, PROT_READ,
	               MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
	CHECK(r != MAP_FAILED && (uintptr_t)r + PAGE_SIZE <= TWO_GIB);
	return 0;
}
