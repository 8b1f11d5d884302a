/* lseek_fstat: fstat and newfstatat(AT_EMPTY_PATH) on fd 0, and lseek's whences and errors. */
#include <fcntl.h>
#include <sys/stat.h>

#include "test.h"

int main(void)
{
	struct stat st, st2;

	/* fd 0 is this program: a regular, non-empty file. */
	memset(&st, 0xff, sizeof(st));
	CHECK_EQ(syscall(SYS_fstat, 0, &st), 0);
	CHECK(S_ISREG(st.st_mode));
	CHECK(st.st_size > 4096);
	CHECK(st.st_nlink >= 1);
	CHECK(st.st_blksize > 0);
	CHECK(st.st_mode & S_IRUSR);
	CHECK(st.st_mode & S_IXUSR);

	/* newfstatat with "" and AT_EMPTY_PATH is fstat; without the flag "" is ENOENT. */
	memset(&st2, 0, sizeof(st2));
	CHECK_EQ(syscall(SYS_newfstatat, 0, "", &st2, AT_EMPTY_PATH), 0);
	CHECK_EQ(st2.st_dev, st.st_dev);
	CHECK_EQ(st2.st_ino, st.st_ino);
	CHECK_EQ(st2.st_mode, st.st_mode);
	CHECK_EQ(st2.st_size, st.st_size);
	CHECK_ERR(syscall(SYS_newfstatat, 0, "", &st2, 0), ENOENT);
	/* AT_SYMLINK_NOFOLLOW changes nothing for an fd. */
	CHECK_EQ(syscall(SYS_newfstatat, 0, "", &st2, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW), 0);
	CHECK_EQ(st2.st_ino, st.st_ino);
	/* A dup has the same identity. */
	long d = CHECK_SYS(syscall(SYS_dup, 0));
	CHECK_EQ(syscall(SYS_fstat, d, &st2), 0);
	CHECK_EQ(st2.st_ino, st.st_ino);
	CHECK_EQ(syscall(SYS_close, d), 0);
	/* fd 1 can be stat'ed too. */
	CHECK_EQ(syscall(SYS_fstat, 1, &st2), 0);

	/* lseek: SEEK_SET, SEEK_CUR and SEEK_END move the offset that read uses. */
	long size = st.st_size;
	CHECK_EQ(syscall(SYS_lseek, 0, 0L, SEEK_CUR), 0);
	CHECK_EQ(syscall(SYS_lseek, 0, 1L, SEEK_SET), 1);
	char buf[3];
	CHECK_EQ(syscall(SYS_read, 0, buf, 3L), 3);
	CHECK(memcmp(buf, "ELF", 3) == 0);
	CHECK_EQ(syscall(SYS_lseek, 0, 0L, SEEK_CUR), 4);
	CHECK_EQ(syscall(SYS_lseek, 0, -3L, SEEK_CUR), 1);
	CHECK_EQ(syscall(SYS_lseek, 0, 0L, SEEK_END), size);
	CHECK_EQ(syscall(SYS_read, 0, buf, 3L), 0);
	CHECK_EQ(syscall(SYS_lseek, 0, -size, SEEK_END), 0);
	CHECK_EQ(syscall(SYS_read, 0, buf, 1L), 1);
	CHECK_EQ(buf[0], 0x7f);
	/* Beyond the end is allowed; reads there return 0. */
	CHECK_EQ(syscall(SYS_lseek, 0, 10L, SEEK_END), size + 10);
	CHECK_EQ(syscall(SYS_read, 0, buf, 3L), 0);
	CHECK_EQ(syscall(SYS_lseek, 0, 1L << 40, SEEK_SET), 1L << 40);
	CHECK_EQ(syscall(SYS_read, 0, buf, 3L), 0);

	/* EINVAL: a resulting negative offset, or an unknown whence; the offset is unchanged. */
	CHECK_EQ(syscall(SYS_lseek, 0, 2L, SEEK_SET), 2);
	CHECK_ERR(syscall(SYS_lseek, 0, -1L, SEEK_SET), EINVAL);
	CHECK_ERR(syscall(SYS_lseek, 0, -3L, SEEK_CUR), EINVAL);
	CHECK_ERR(syscall(SYS_lseek, 0, -size - 1, SEEK_END), EINVAL);
	CHECK_ERR(syscall(SYS_lseek, 0, 0L, 5), EINVAL);
	CHECK_ERR(syscall(SYS_lseek, 0, 0L, -1), EINVAL);
	CHECK_EQ(syscall(SYS_lseek, 0, 0L, SEEK_CUR), 2);
	return 0;
}
