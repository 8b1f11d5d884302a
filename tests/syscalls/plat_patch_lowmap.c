/*
 * plat_patch_lowmap: the low addresses where systrap's syscall patching puts its trap table
 * (0x60000-0x70000) are the program's, as on Linux, even after its calls were patched (the
 * sandbox then undoes its patches): MAP_FIXED_NOREPLACE and MAP_FIXED there succeed, the
 * memory keeps what the program wrote, munmap and mprotect see only the program's own
 * mappings, and the calls from the formerly patched sites keep working.
 */
#include "test.h"

#define LOW     ((void *)0x60000)
#define LOW_LEN 0x10000UL

/* getppid from a site of its own, `mov $110, %eax; syscall`. */
static long site_getppid(void)
{
	long ret;
	__asm__ volatile("mov $110, %%eax\n\tsyscall" : "=a"(ret) : : "rcx", "r11", "memory");
	return ret;
}

static void calls(long ppid, int n)
{
	for (int i = 0; i < n; i++) {
		CHECK_EQ(site_getppid(), ppid);
		CHECK_EQ(getpid(), syscall(SYS_getpid));
	}
}

static void fill_and_check(unsigned char *p, long ppid, unsigned char seed)
{
	for (size_t i = 0; i < LOW_LEN; i++)
		p[i] = (unsigned char)(i * 7 + seed);
	calls(ppid, 200);
	for (size_t i = 0; i < LOW_LEN; i++) {
		if (p[i] != (unsigned char)(i * 7 + seed))
			test_fail(__FILE__, __LINE__, "byte %#zx of the low mapping changed", i);
	}
}

int main(void)
{
	long ppid = getppid();
	calls(ppid, 100); /* hot sites: a patching sandbox has patched them by now */

	/* Nothing of the program's is there: mprotect says so, munmap succeeds. */
	CHECK_ERR(mprotect(LOW, LOW_LEN, PROT_READ), ENOMEM);
	CHECK_SYS(munmap(LOW, LOW_LEN));
	calls(ppid, 100);

	unsigned char *p = mmap(LOW, LOW_LEN, PROT_READ | PROT_WRITE,
	                        MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	CHECK(p == LOW);
	fill_and_check(p, ppid, 1);

	/* MAP_FIXED over its own mapping there, and after an munmap. */
	p = mmap(LOW, LOW_LEN, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1,
	         0);
	CHECK(p == LOW);
	CHECK_EQ(p[0], 0);
	fill_and_check(p, ppid, 3);
	CHECK_SYS(munmap(p, LOW_LEN));
	CHECK_ERR(mprotect(LOW, LOW_LEN, PROT_READ), ENOMEM);
	calls(ppid, 100);
	return 0;
}
