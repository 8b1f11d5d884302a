/* mprotect_segv: a write to a page made read-only kills the process with SIGSEGV (139). */
#include "test.h"

int main(void)
{
	volatile unsigned char *p = test_map(PAGE_SIZE, PROT_READ | PROT_WRITE);
	p[0] = 1;
	CHECK_EQ(mprotect((void *)p, PAGE_SIZE, PROT_READ), 0);
	CHECK_EQ(p[0], 1);
	p[0] = 2;
	test_unreachable("a write to a read-only page");
}
