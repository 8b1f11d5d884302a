/* getcwd: the raw call returns the length with the NUL; ERANGE and EFAULT cases. */
#include "test.h"

int main(void)
{
	char buf[4096];

	memset(buf, 'x', sizeof(buf));
	long len = syscall(SYS_getcwd, buf, sizeof(buf));
	CHECK(len >= 2);
	CHECK_EQ(buf[0], '/');
	CHECK_EQ((long)strlen(buf) + 1, len);
	/* No trailing slash unless it is the root. */
	if (len > 2)
		CHECK(buf[len - 2] != '/');

	/* Exactly enough room works; one byte less is ERANGE, as are 1 and 0. */
	char exact[4096];
	CHECK_EQ(syscall(SYS_getcwd, exact, len), len);
	CHECK_STREQ(exact, buf);
	CHECK_ERR(syscall(SYS_getcwd, exact, len - 1), ERANGE);
	CHECK_ERR(syscall(SYS_getcwd, exact, 1L), ERANGE);
	/* The kernel says ERANGE for size 0; glibc's wrapper says EINVAL before calling it. */
	CHECK_ERR(syscall(SYS_getcwd, exact, 0L), ERANGE);
	CHECK_ERR(syscall(SYS_getcwd, NULL, 0L), ERANGE);
	CHECK(getcwd(exact, 0) == NULL);
	CHECK_EQ(errno, EINVAL);
	/* A NULL buffer with a size is EFAULT to the kernel (glibc would allocate). */
	CHECK_ERR(syscall(SYS_getcwd, NULL, sizeof(buf)), EFAULT);

	/* glibc's getcwd, allocating, gives the same path. */
	char *dup = getcwd(NULL, 0);
	CHECK(dup != NULL);
	CHECK_STREQ(dup, buf);
	free(dup);
	return 0;
}
