/*
 * int $0x80 from a 64-bit program enters the i386 ABI, with other numbers
 * and arguments. The sandbox does not emulate it: the call must fail with
 * ENOSYS, never be read as the 64-bit call of the same number (i386's 4 is
 * write; x86-64's 4 is stat; i386's 1 is exit, x86-64's 1 is write).
 */
#include <errno.h>
#include <stdio.h>

static long int80(long nr, long a, long b, long c)
{
	long ret;
	__asm__ volatile("int $0x80" : "=a"(ret) : "a"(nr), "b"(a), "c"(b), "d"(c) : "memory");
	return ret;
}

int main(void)
{
	static const char msg[] = "int80 wrote this\n";
	/* i386 write(1, msg, len): as x86-64's nr 4 it would be stat. */
	long r = int80(4, 1, (long)msg, sizeof(msg) - 1);
	if (r != -ENOSYS) {
		printf("int $0x80 write returned %ld, expected -ENOSYS\n", r);
		return 1;
	}
	/* i386 exit(3): as x86-64's nr 1 it would be write. */
	r = int80(1, 3, 0, 0);
	if (r != -ENOSYS) {
		printf("int $0x80 exit returned %ld, expected -ENOSYS\n", r);
		return 1;
	}
	return 0;
}
