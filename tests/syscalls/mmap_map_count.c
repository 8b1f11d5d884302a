/*
 * mmap_map_count: a process runs out of mappings (vm.max_map_count) with
 * ENOMEM from the call that would make one too many, and lives on: mmap
 * of separate pages, then mprotect splitting a mapping, fail cleanly, and
 * both work again once mappings are given back. Every mapping made is
 * touched, so a mapping the sandbox accepted but the host did not would
 * kill the test here.
 */
#include <errno.h>
#include <sys/mman.h>

#include "test.h"

#define MAX_MAPS 200000

static char *g_maps[MAX_MAPS];

int main(void)
{
	/* One guard page between two mappings, so that none merge: one mapping each. */
	size_t span = 2 * PAGE_SIZE;
	char *area = mmap(NULL, MAX_MAPS * span, PROT_NONE,
	                  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	CHECK(area != MAP_FAILED);
	int n = 0, err = 0;
	for (; n < MAX_MAPS; n++) {
		char *p = mmap(area + (size_t)n * span, PAGE_SIZE, PROT_READ | PROT_WRITE,
		               MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
		if (p == MAP_FAILED) {
			err = errno;
			break;
		}
		*p = 1;
		g_maps[n] = p;
	}
	CHECK(n < MAX_MAPS);
	CHECK_EQ(err, ENOMEM);
	CHECK(n > 1000);
	/* Given back, mappings work again; splits by mprotect run out the same way. */
	for (int i = 0; i < 1000; i++)
		CHECK(munmap(g_maps[i], PAGE_SIZE) == 0);
	size_t pages = 4000;
	char *big = mmap(NULL, pages * PAGE_SIZE, PROT_READ | PROT_WRITE,
	                 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(big != MAP_FAILED);
	size_t i = 1;
	for (; i < pages; i += 2) {
		if (mprotect(big + i * PAGE_SIZE, PAGE_SIZE, PROT_READ) != 0)
			break;
	}
	CHECK(i < pages);
	CHECK_EQ(errno, ENOMEM);
	for (size_t j = 0; j < pages; j++)
		CHECK(big[j * PAGE_SIZE] == 0);
	CHECK(mprotect(big, pages * PAGE_SIZE, PROT_READ | PROT_WRITE) == 0);
	CHECK(munmap(big, pages * PAGE_SIZE) == 0);
	char *p = mmap(g_maps[0], PAGE_SIZE, PROT_READ | PROT_WRITE,
	               MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	CHECK(p == g_maps[0]);
	*p = 2;
	return 0;
}
