/* mmap_errors: the errors of mmap on anonymous memory, each checked exactly. */
#include "test.h"

#define ANON (MAP_PRIVATE | MAP_ANONYMOUS)
#define RW   (PROT_READ | PROT_WRITE)

int main(void)
{
	/* EINVAL: length 0. */
	CHECK_ERR(mmap(NULL, 0, RW, ANON, -1, 0), EINVAL);
	/* EINVAL: MAP_FIXED at an unaligned address. */
	char *p = test_map(2 * PAGE_SIZE, RW);
	CHECK_ERR(mmap(p + 1, PAGE_SIZE, RW, ANON | MAP_FIXED, -1, 0), EINVAL);
	CHECK_ERR(mmap(p + 1, PAGE_SIZE, RW, ANON | MAP_FIXED_NOREPLACE, -1, 0), EINVAL);
	/* EINVAL: neither MAP_PRIVATE nor MAP_SHARED. */
	CHECK_ERR(mmap(NULL, PAGE_SIZE, RW, MAP_ANONYMOUS, -1, 0), EINVAL);
	/* EINVAL: unknown map types. */
	CHECK_ERR(mmap(NULL, PAGE_SIZE, RW, 0x04 | MAP_ANONYMOUS, -1, 0), EINVAL);
	CHECK_ERR(mmap(NULL, PAGE_SIZE, RW, 0x0f | MAP_ANONYMOUS, -1, 0), EINVAL);
	/* EINVAL: MAP_SHARED_VALIDATE is only for file mappings. */
	CHECK_ERR(mmap(NULL, PAGE_SIZE, RW, MAP_SHARED_VALIDATE | MAP_ANONYMOUS, -1, 0), EINVAL);
	/* EINVAL: a shared anonymous mapping cannot grow down. */
	CHECK_ERR(mmap(NULL, PAGE_SIZE, RW, MAP_SHARED | MAP_ANONYMOUS | MAP_GROWSDOWN, -1, 0),
	          EINVAL);
	/* EINVAL: an unaligned offset, even for anonymous memory. */
	CHECK_ERR(mmap(NULL, PAGE_SIZE, RW, ANON, -1, 1), EINVAL);
	CHECK_ERR(mmap(NULL, PAGE_SIZE, RW, ANON, -1, PAGE_SIZE - 1), EINVAL);

	/* EBADF: a file mapping of fd -1 or of a closed fd. */
	CHECK_ERR(mmap(NULL, PAGE_SIZE, PROT_READ, MAP_PRIVATE, -1, 0), EBADF);
	CHECK_ERR(mmap(NULL, PAGE_SIZE, PROT_READ, MAP_SHARED, 999, 0), EBADF);
	/* The fd is ignored for anonymous mappings. */
	char *q = (char *)CHECK_SYS(mmap(NULL, PAGE_SIZE, RW, ANON, 999, 0));
	CHECK_EQ(munmap(q, PAGE_SIZE), 0);

	/*
	 * ENOMEM: 1 TiB of private writable memory is more than this machine commits to with
	 * the default heuristic overcommit (vm.overcommit_memory=0), unless MAP_NORESERVE.
	 */
	CHECK_ERR(mmap(NULL, 1UL << 40, RW, ANON, -1, 0), ENOMEM);
	/* ENOMEM: a length that wraps to 0 when rounded up to a page. */
	CHECK_ERR(mmap(NULL, -PAGE_SIZE + 1, RW, ANON | MAP_NORESERVE, -1, 0), ENOMEM);
	CHECK_ERR(mmap(NULL, SIZE_MAX, RW, ANON | MAP_NORESERVE, -1, 0), ENOMEM);
	/* ENOMEM: a length larger than the address space. */
	CHECK_ERR(mmap(NULL, -PAGE_SIZE, RW, ANON | MAP_NORESERVE, -1, 0), ENOMEM);
	CHECK_ERR(mmap(NULL, 1UL << 48, RW, ANON | MAP_NORESERVE, -1, 0), ENOMEM);
	/* ENOMEM: MAP_FIXED beyond the top of user space or across it. */
	CHECK_ERR(mmap((void *)0xffff800000000000UL, PAGE_SIZE, RW, ANON | MAP_FIXED, -1, 0),
	          ENOMEM);
	CHECK_ERR(mmap((void *)0x7ffffffff000UL, 2 * PAGE_SIZE, RW, ANON | MAP_FIXED, -1, 0),
	          ENOMEM);

	/* None of the failures disturbed the existing mapping. */
	p[0] = 1;
	p[2 * PAGE_SIZE - 1] = 2;
	CHECK_EQ(p[0] + p[2 * PAGE_SIZE - 1], 3);
	CHECK_EQ(munmap(p, 2 * PAGE_SIZE), 0);
	return 0;
}
