/* unsupported: system call numbers that do not exist are ENOSYS, and the process goes on. */
#include "test.h"

int main(void)
{
	/*
	 * Numbers beyond the table, and negative ones. (Not the gaps inside the table: this
	 * machine's kernel has something at 335 and 336.)
	 */
	static const long missing[] = { 500,     511,        512, 547, 1000, 4096,
		                        1000000, 0x3fffffff, -1,  -2,  -1000 };
	for (size_t i = 0; i < sizeof(missing) / sizeof(missing[0]); i++) {
		errno = 0;
		long r = syscall(missing[i], 1, 2, 3, 4, 5, 6);
		if (r != -1 || errno != ENOSYS)
			test_fail(__FILE__, __LINE__,
			          "syscall(%ld): %ld (errno %s), expected ENOSYS", missing[i], r,
			          test_errname(errno));
	}
	/* The process is intact after all that. */
	CHECK(syscall(SYS_getpid) > 0);

	/*
	 * Linux reads the system call number as a 32-bit int: the upper half of rax is
	 * ignored, so 1 << 32 | SYS_getpid is getpid.
	 */
	CHECK_EQ(syscall((1L << 32) | SYS_getpid), getpid());
	CHECK_EQ(syscall((long)0xffffffff), -1);
	CHECK_EQ(errno, ENOSYS);
	return 0;
}
