/*
 * efault_io: read, write and their vector and positional forms with bad buffers and bad
 * iovec arrays. fd 0 is a regular file starting with "\x7fELF"; a failed read must not
 * consume input, and a read that faults part-way returns what it copied.
 */
#include <sys/stat.h>
#include <sys/uio.h>

#include "test.h"

/* g_bad holds addresses no system call may write to or read from. */
static void *g_bad[5];
static int g_nbad;

static void setup_bad_pointers(void)
{
	g_bad[g_nbad++] = NULL;
	g_bad[g_nbad++] = test_unmapped_page();
	g_bad[g_nbad++] = test_map(PAGE_SIZE, PROT_NONE);
	g_bad[g_nbad++] = (void *)0xffff800000000000UL; /* the kernel's half */
	g_bad[g_nbad++] = (void *)0x8000000000000000UL; /* not canonical */
}

/* check_offset checks that the next read of fd 0 returns "\x7fELF". */
static void check_offset_zero(void)
{
	char buf[4];

	CHECK_EQ(syscall(SYS_pread64, 0, buf, 4L, 0L), 4);
	CHECK(memcmp(buf, "\177ELF", 4) == 0);
	CHECK_EQ(syscall(SYS_lseek, 0, 0L, SEEK_CUR), 0);
}

int main(void)
{
	setup_bad_pointers();
	void *ro = test_map(PAGE_SIZE, PROT_READ);
	struct stat st;
	CHECK_EQ(fstat(1, &st), 0);
	int out_is_file = S_ISREG(st.st_mode);

	for (int i = 0; i < g_nbad; i++) {
		void *bad = g_bad[i];
		struct iovec iov_bad_base[2] = { { NULL, 0 }, { bad, 4 } };

		/* read and pread64: EFAULT, and the file offset does not move. */
		CHECK_ERR(syscall(SYS_read, 0, bad, 4L), EFAULT);
		CHECK_ERR(syscall(SYS_pread64, 0, bad, 4L, 0L), EFAULT);
		CHECK_ERR(syscall(SYS_readv, 0, iov_bad_base, 2), EFAULT);
		CHECK_ERR(syscall(SYS_readv, 0, bad, 1), EFAULT);
		check_offset_zero();
		/* write and pwrite64 from a bad buffer: EFAULT, nothing written. */
		CHECK_ERR(syscall(SYS_write, 1, bad, 4L), EFAULT);
		CHECK_ERR(syscall(SYS_writev, 1, iov_bad_base, 2), EFAULT);
		CHECK_ERR(syscall(SYS_writev, 1, bad, 1), EFAULT);
		if (out_is_file)
			CHECK_ERR(syscall(SYS_pwrite64, 1, bad, 4L, 0L), EFAULT);
	}

	/* A read-only page can be written from but not read into. */
	CHECK_ERR(syscall(SYS_read, 0, ro, 4L), EFAULT);
	CHECK_ERR(syscall(SYS_pread64, 0, ro, 4L, 0L), EFAULT);
	check_offset_zero();

	/* EBADF (a read-only fd 0) and EINVAL (a negative offset) come before EFAULT. */
	CHECK_ERR(syscall(SYS_write, 0, g_bad[1], 4L), EBADF);
	CHECK_ERR(syscall(SYS_pwrite64, 0, g_bad[1], 4L, 0L), EBADF);
	CHECK_ERR(syscall(SYS_pread64, 0, g_bad[1], 4L, -1L), EINVAL);
	/* A count too large for user space fails with EFAULT, not EINVAL. */
	char small[4];
	CHECK_ERR(syscall(SYS_read, 0, small, SIZE_MAX), EFAULT);
	CHECK_ERR(syscall(SYS_read, 0, small, (size_t)SSIZE_MAX), EFAULT);
	/* Even for 0 bytes, a kernel address is refused, whereas an unmapped one is not read. */
	CHECK_ERR(syscall(SYS_read, 0, 0xffff800000000000UL, 0L), EFAULT);
	CHECK_EQ(syscall(SYS_read, 0, g_bad[1], 0L), 0);
	CHECK_EQ(syscall(SYS_write, 1, NULL, 0L), 0);
	/* iovec segments that together run past user space: EFAULT. */
	struct iovec huge[2] = { { small, SSIZE_MAX / 2 + 1 }, { small, SSIZE_MAX / 2 + 1 } };
	CHECK_ERR(syscall(SYS_readv, 0, huge, 2), EFAULT);
	check_offset_zero();

	/* A buffer that runs into an unmapped page: a short read of the bytes that fit. */
	unsigned char *edge = test_page_before_hole();
	CHECK_EQ(syscall(SYS_read, 0, edge + PAGE_SIZE - 2, 8L), 2);
	CHECK(memcmp(edge + PAGE_SIZE - 2, "\177E", 2) == 0);
	CHECK_EQ(syscall(SYS_lseek, 0, 0L, SEEK_CUR), 2);
	/* Likewise an iovec whose second segment is bad: the first one's bytes. */
	char first[3];
	struct iovec iov_second_bad[2] = { { first, 3 }, { g_bad[1], 4 } };
	CHECK_EQ(syscall(SYS_readv, 0, iov_second_bad, 2), 3);
	CHECK(memcmp(first, "LF\x02", 3) == 0);
	CHECK_EQ(syscall(SYS_lseek, 0, 0L, SEEK_CUR), 5);
	return 0;
}
