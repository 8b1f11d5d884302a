/* readv_writev: vectored I/O on fd 0 (a file starting "\x7fELF") and fd 1. */
#include <sys/uio.h>

#include "test.h"

/* UIO_MAXIOV from <sys/uio.h>: Linux's limit on iovcnt. */
_Static_assert(UIO_MAXIOV == 1024, "UIO_MAXIOV");

static struct iovec g_iov[UIO_MAXIOV + 1];
static unsigned char g_bytes[UIO_MAXIOV + 1];

int main(void)
{
	char a[2], b[2], c[1];

	/* iovcnt 0 transfers nothing and succeeds, whatever the iovec pointer. */
	CHECK_EQ(syscall(SYS_readv, 0, NULL, 0), 0);
	CHECK_EQ(syscall(SYS_writev, 1, NULL, 0), 0);
	CHECK_EQ(syscall(SYS_readv, 0, test_unmapped_page(), 0), 0);

	/* EINVAL: iovcnt above UIO_MAXIOV, or negative. */
	CHECK_ERR(syscall(SYS_readv, 0, g_iov, UIO_MAXIOV + 1), EINVAL);
	CHECK_ERR(syscall(SYS_writev, 1, g_iov, UIO_MAXIOV + 1), EINVAL);
	CHECK_ERR(syscall(SYS_readv, 0, g_iov, -1), EINVAL);
	CHECK_ERR(syscall(SYS_writev, 1, g_iov, -1), EINVAL);
	/* EINVAL: one iov_len above SSIZE_MAX. */
	struct iovec huge[2] = { { a, 1 }, { b, (size_t)SSIZE_MAX + 1 } };
	CHECK_ERR(syscall(SYS_readv, 0, huge, 2), EINVAL);
	CHECK_ERR(syscall(SYS_writev, 1, huge, 2), EINVAL);
	huge[1].iov_len = SIZE_MAX;
	CHECK_ERR(syscall(SYS_readv, 0, huge, 2), EINVAL);
	/* None of that moved the file offset. */
	CHECK_EQ(syscall(SYS_lseek, 0, 0L, SEEK_CUR), 0);

	/* Zero-length entries are skipped; the data is scattered in order. */
	struct iovec iov[5] = { { a, 0 }, { a, 2 }, { NULL, 0 }, { b, 2 }, { c, 0 } };
	CHECK_EQ(syscall(SYS_readv, 0, iov, 5), 4);
	CHECK(memcmp(a, "\177E", 2) == 0);
	CHECK(memcmp(b, "LF", 2) == 0);
	CHECK_EQ(syscall(SYS_lseek, 0, 0L, SEEK_CUR), 4);
	/* All zero-length entries: 0, and nothing consumed. */
	struct iovec empty[2] = { { a, 0 }, { b, 0 } };
	CHECK_EQ(syscall(SYS_readv, 0, empty, 2), 0);
	CHECK_EQ(syscall(SYS_lseek, 0, 0L, SEEK_CUR), 4);

	/* Exactly UIO_MAXIOV one-byte entries are accepted and match pread64. */
	for (int i = 0; i < UIO_MAXIOV; i++)
		g_iov[i] = (struct iovec){ &g_bytes[UIO_MAXIOV - 1 - i], 1 };
	CHECK_EQ(syscall(SYS_readv, 0, g_iov, UIO_MAXIOV), UIO_MAXIOV);
	unsigned char expect[UIO_MAXIOV];
	CHECK_EQ(syscall(SYS_pread64, 0, expect, (long)UIO_MAXIOV, 4L), UIO_MAXIOV);
	for (int i = 0; i < UIO_MAXIOV; i++)
		CHECK_EQ(g_bytes[UIO_MAXIOV - 1 - i], expect[i]);
	CHECK_EQ(syscall(SYS_lseek, 0, 0L, SEEK_CUR), 4 + UIO_MAXIOV);

	/* writev gathers the pieces in order: this is the test's one line of output. */
	struct iovec out[4] = { { "o", 1 }, { NULL, 0 }, { "k", 1 }, { "\n", 1 } };
	CHECK_EQ(syscall(SYS_writev, 1, out, 4), 3);
	/* Zero-length writev entries: 0, nothing written. */
	CHECK_EQ(syscall(SYS_writev, 1, out + 1, 1), 0);
	return 0;
}
