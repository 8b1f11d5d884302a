/*
 * The platform's own pages (the stub code above the guest's range) cannot
 * be changed from inside: unmapping, protecting or mapping over the top of
 * the user address range fails, and the application's own mappings never
 * land there.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#define TOP 0x7ffffffff000UL

int main(void)
{
	/* Map as much as possible: every mapping stays below the sandbox's top. */
	uintptr_t highest = 0;
	for (int i = 0; i < 64; i++) {
		void *p = mmap(NULL, 1UL << 30, PROT_NONE,
		               MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (p == MAP_FAILED)
			break;
		if ((uintptr_t)p + (1UL << 30) > highest)
			highest = (uintptr_t)p + (1UL << 30);
	}
	if (highest == 0 || highest > TOP) {
		printf("bad mapping top %#lx\n", (unsigned long)highest);
		return 1;
	}
	/* Above the guest's range nothing can be mapped, unmapped or protected. */
	long r = syscall(SYS_munmap, TOP - (1UL << 32), 1UL << 32);
	if (r == 0) {
		/* Linux allows unmapping holes; the stub must still be alive: make a call. */
		if (syscall(SYS_getpid) != 1)
			return 1;
	}
	void *p = mmap((void *)(TOP - 4096), 4096, PROT_READ | PROT_WRITE,
	               MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	if (p != MAP_FAILED) {
		printf("MAP_FIXED at the top of the address space succeeded\n");
		return 1;
	}
	for (uintptr_t a = TOP - (16UL << 30); a < TOP; a += 1UL << 28) {
		if (syscall(SYS_mprotect, a, 4096, PROT_READ | PROT_WRITE | PROT_EXEC) == 0) {
			printf("mprotect above the guest range succeeded at %#lx\n",
			       (unsigned long)a);
			return 1;
		}
	}
	printf("ok\n");
	return 0;
}
