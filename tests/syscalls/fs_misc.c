/*
 * fs_misc: the sync family, statfs and fstatfs, mknod and mknodat (FIFOs, regular files and
 * socket nodes; no devices), memfd_create and close_range. Opening a FIFO and the seals of a
 * memfd are in fifo_seals.
 */
#include <fcntl.h>
#include <linux/close_range.h>
#include <linux/memfd.h>
#include <sys/stat.h>
#include <sys/statfs.h>

#include "fs_util.h"

/* The longest memfd name: NAME_MAX less the "memfd:" prefix the kernel adds. */
#define MFD_NAME_MAX (NAME_MAX - 6)

static struct stat do_lstat(const char *path)
{
	struct stat st;

	CHECK_SYS(syscall(SYS_lstat, path, &st));
	return st;
}

static void syncs(void)
{
	fs_write_file("f", "data");
	long fd = CHECK_SYS(open("f", O_RDWR));
	long ro = CHECK_SYS(open("f", O_RDONLY));
	long dfd = CHECK_SYS(open(".", O_RDONLY | O_DIRECTORY));
	long pfd = CHECK_SYS(open("f", O_PATH));
	int p[2];
	CHECK_SYS(pipe(p));

	/* On files and directories, writable or not, they succeed. */
	CHECK_EQ(syscall(SYS_fsync, fd), 0);
	CHECK_EQ(syscall(SYS_fsync, ro), 0);
	CHECK_EQ(syscall(SYS_fsync, dfd), 0);
	CHECK_EQ(syscall(SYS_fdatasync, fd), 0);
	CHECK_EQ(syscall(SYS_fdatasync, dfd), 0);
	CHECK_EQ(syscall(SYS_sync), 0);
	CHECK_EQ(syscall(SYS_syncfs, fd), 0);
	CHECK_EQ(syscall(SYS_syncfs, dfd), 0);
	CHECK_EQ(syscall(SYS_sync_file_range, fd, 0L, 0L, SYNC_FILE_RANGE_WRITE), 0);
	CHECK_EQ(syscall(SYS_sync_file_range, fd, 0L, 4096L,
	                 SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE |
	                         SYNC_FILE_RANGE_WAIT_AFTER),
	         0);
	/* A pipe has nothing to sync: EINVAL (ESPIPE for a range). */
	CHECK_ERR(syscall(SYS_fsync, p[1]), EINVAL);
	CHECK_ERR(syscall(SYS_fdatasync, p[0]), EINVAL);
	CHECK_ERR(syscall(SYS_sync_file_range, p[1], 0L, 0L, SYNC_FILE_RANGE_WRITE), ESPIPE);
	/* Bad fds, O_PATH fds, bad arguments. */
	CHECK_ERR(syscall(SYS_fsync, 9999), EBADF);
	CHECK_ERR(syscall(SYS_fsync, -1), EBADF);
	CHECK_ERR(syscall(SYS_fdatasync, 9999), EBADF);
	CHECK_ERR(syscall(SYS_syncfs, 9999), EBADF);
	CHECK_ERR(syscall(SYS_fsync, pfd), EBADF);
	CHECK_ERR(syscall(SYS_syncfs, pfd), EBADF);
	CHECK_ERR(syscall(SYS_sync_file_range, 9999, 0L, 0L, SYNC_FILE_RANGE_WRITE), EBADF);
	CHECK_ERR(syscall(SYS_sync_file_range, fd, -1L, 0L, SYNC_FILE_RANGE_WRITE), EINVAL);
	CHECK_ERR(syscall(SYS_sync_file_range, fd, 0L, -1L, SYNC_FILE_RANGE_WRITE), EINVAL);
	CHECK_ERR(syscall(SYS_sync_file_range, fd, 0L, 0L, 8), EINVAL);
	CHECK_SYS(close(p[0]));
	CHECK_SYS(close(p[1]));
	CHECK_SYS(close(pfd));
	CHECK_SYS(close(dfd));
	CHECK_SYS(close(ro));
	CHECK_SYS(close(fd));
}

static void statfs_calls(void)
{
	struct statfs a, b, c;

	/* The numbers are the file system's; only what any file system satisfies is checked. */
	CHECK_SYS(syscall(SYS_statfs, ".", &a));
	CHECK(a.f_bsize > 0);
	CHECK_EQ(a.f_namelen, NAME_MAX);
	CHECK(a.f_bfree <= a.f_blocks);
	CHECK(a.f_bavail <= a.f_bfree);
	CHECK(a.f_ffree <= a.f_files);
	CHECK(a.f_frsize > 0);
	/* A file, an fd, an O_PATH fd on the same file system: the same one. */
	CHECK_SYS(syscall(SYS_statfs, "f", &b));
	CHECK_EQ(b.f_type, a.f_type);
	CHECK_EQ(b.f_bsize, a.f_bsize);
	CHECK_EQ(b.f_fsid.__val[0], a.f_fsid.__val[0]);
	CHECK_EQ(b.f_fsid.__val[1], a.f_fsid.__val[1]);
	long fd = CHECK_SYS(open("f", O_RDONLY));
	CHECK_SYS(syscall(SYS_fstatfs, fd, &c));
	CHECK_EQ(c.f_type, a.f_type);
	CHECK_EQ(c.f_namelen, NAME_MAX);
	long pfd = CHECK_SYS(open("f", O_PATH));
	CHECK_SYS(syscall(SYS_fstatfs, pfd, &c));
	CHECK_EQ(c.f_type, a.f_type);
	/* Errors. */
	CHECK_ERR(syscall(SYS_statfs, "missing", &a), ENOENT);
	CHECK_ERR(syscall(SYS_statfs, "f/x", &a), ENOTDIR);
	CHECK_ERR(syscall(SYS_statfs, "", &a), ENOENT);
	CHECK_ERR(syscall(SYS_statfs, NULL, &a), EFAULT);
	CHECK_ERR(syscall(SYS_statfs, ".", NULL), EFAULT);
	CHECK_ERR(syscall(SYS_statfs, ".", test_map(PAGE_SIZE, PROT_READ)), EFAULT);
	CHECK_ERR(syscall(SYS_fstatfs, fd, NULL), EFAULT);
	CHECK_ERR(syscall(SYS_fstatfs, 9999, &a), EBADF);
	CHECK_SYS(close(pfd));
	CHECK_SYS(close(fd));
}

static void nodes(void)
{
	CHECK_SYS(syscall(SYS_umask, 022));
	/* A FIFO, with the umask applied (fifo_seals opens one). */
	CHECK_SYS(syscall(SYS_mknod, "fifo", S_IFIFO | 0666, 0L));
	struct stat st = do_lstat("fifo");
	CHECK(S_ISFIFO(st.st_mode));
	CHECK_EQ(st.st_mode & 07777, 0644);
	CHECK_EQ(st.st_size, 0);
	/* A regular file, with S_IFREG or no type at all. */
	CHECK_SYS(syscall(SYS_mknod, "reg", S_IFREG | 0600, 0L));
	st = do_lstat("reg");
	CHECK_EQ(st.st_mode, S_IFREG | 0600);
	CHECK_EQ(st.st_size, 0);
	CHECK_SYS(syscall(SYS_mknod, "notype", 0640, 0L));
	CHECK_EQ(do_lstat("notype").st_mode, S_IFREG | 0640);
	/* A socket node (nothing listens on it). */
	CHECK_SYS(syscall(SYS_mknod, "sock", S_IFSOCK | 0600, 0L));
	CHECK(S_ISSOCK(do_lstat("sock").st_mode));
	/* mknodat relative to a directory fd. */
	CHECK_SYS(mkdir("d", 0755));
	long dfd = CHECK_SYS(open("d", O_RDONLY | O_DIRECTORY));
	CHECK_SYS(syscall(SYS_mknodat, dfd, "fifo", S_IFIFO | 0600, 0L));
	CHECK(S_ISFIFO(do_lstat("d/fifo").st_mode));
	CHECK_SYS(syscall(SYS_mknodat, AT_FDCWD, "d/reg", S_IFREG | 0600, 0L));

	/* Errors: a directory is EPERM, an unknown type EINVAL, an existing name EEXIST. */
	CHECK_ERR(syscall(SYS_mknod, "dir", S_IFDIR | 0755, 0L), EPERM);
	CHECK_ERR(syscall(SYS_mknod, "bad", S_IFMT | 0600, 0L), EINVAL);
	CHECK_ERR(syscall(SYS_mknod, "lnk", S_IFLNK | 0600, 0L), EINVAL);
	CHECK_ERR(syscall(SYS_mknod, "fifo", S_IFIFO | 0600, 0L), EEXIST);
	CHECK_ERR(syscall(SYS_mknod, "d", S_IFREG | 0600, 0L), EEXIST);
	CHECK_ERR(syscall(SYS_mknod, "missing/x", S_IFIFO | 0600, 0L), ENOENT);
	CHECK_ERR(syscall(SYS_mknod, "reg/x", S_IFIFO | 0600, 0L), ENOTDIR);
	CHECK_ERR(syscall(SYS_mknod, "", S_IFIFO | 0600, 0L), ENOENT);
	CHECK_ERR(syscall(SYS_mknodat, 9999, "x", S_IFIFO | 0600, 0L), EBADF);
	long ffd = CHECK_SYS(open("reg", O_RDONLY));
	CHECK_ERR(syscall(SYS_mknodat, ffd, "x", S_IFIFO | 0600, 0L), ENOTDIR);
	CHECK(!fs_exists("dir") && !fs_exists("bad") && !fs_exists("lnk") && !fs_exists("x"));
	CHECK_SYS(close(ffd));
	CHECK_SYS(close(dfd));
}

static void memfds(void)
{
	/* A memfd is an anonymous regular file, read-write, at offset 0. */
	long fd = CHECK_SYS(syscall(SYS_memfd_create, "test", 0));
	CHECK_EQ(syscall(SYS_fcntl, fd, F_GETFD), 0);
	CHECK_EQ(syscall(SYS_fcntl, fd, F_GETFL) & O_ACCMODE, O_RDWR);
	struct stat st;
	CHECK_SYS(fstat(fd, &st));
	CHECK(S_ISREG(st.st_mode));
	CHECK_EQ(st.st_size, 0);
	CHECK_EQ(write(fd, "hello", 5), 5);
	CHECK_EQ(lseek(fd, 0, SEEK_CUR), 5);
	char buf[16];
	CHECK_EQ(pread(fd, buf, sizeof(buf), 0), 5);
	CHECK(memcmp(buf, "hello", 5) == 0);
	CHECK_SYS(fstat(fd, &st));
	CHECK_EQ(st.st_size, 5);
	/* ftruncate sizes it; a shared mapping and pread/pwrite see the same bytes. */
	CHECK_SYS(ftruncate(fd, 2 * PAGE_SIZE));
	CHECK_SYS(fstat(fd, &st));
	CHECK_EQ(st.st_size, 2 * PAGE_SIZE);
	char *m = (char *)CHECK_SYS(
	        mmap(NULL, 2 * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0));
	CHECK(memcmp(m, "hello", 5) == 0);
	CHECK_EQ(m[PAGE_SIZE], 0);
	memcpy(m + PAGE_SIZE + 10, "mapped", 6);
	CHECK_EQ(pread(fd, buf, 6, PAGE_SIZE + 10), 6);
	CHECK(memcmp(buf, "mapped", 6) == 0);
	CHECK_EQ(pwrite(fd, "written", 7, 100), 7);
	CHECK(memcmp(m + 100, "written", 7) == 0);
	/* A second mapping of the same memfd shares the pages. */
	char *m2 = (char *)CHECK_SYS(mmap(NULL, PAGE_SIZE, PROT_READ, MAP_SHARED, fd, PAGE_SIZE));
	CHECK(memcmp(m2 + 10, "mapped", 6) == 0);
	m[PAGE_SIZE] = 'x';
	CHECK_EQ(m2[0], 'x');
	CHECK_SYS(munmap(m2, PAGE_SIZE));
	CHECK_SYS(munmap(m, 2 * PAGE_SIZE));
	CHECK_SYS(close(fd));

	/* MFD_CLOEXEC, and names up to 249 bytes. */
	char name[MFD_NAME_MAX + 2];
	memset(name, 'n', sizeof(name) - 1);
	name[MFD_NAME_MAX] = '\0';
	fd = CHECK_SYS(syscall(SYS_memfd_create, name, MFD_CLOEXEC));
	CHECK_EQ(syscall(SYS_fcntl, fd, F_GETFD), FD_CLOEXEC);
	CHECK_SYS(close(fd));
	fd = CHECK_SYS(syscall(SYS_memfd_create, "", 0));
	CHECK_SYS(close(fd));
	/* Errors: a longer name, unknown flags, a bad name pointer. */
	name[MFD_NAME_MAX] = 'n';
	name[MFD_NAME_MAX + 1] = '\0';
	CHECK_ERR(syscall(SYS_memfd_create, name, 0), EINVAL);
	CHECK_ERR(syscall(SYS_memfd_create, "x", 0x100), EINVAL);
	CHECK_ERR(syscall(SYS_memfd_create, "x", 0x80000000L), EINVAL);
	CHECK_ERR(syscall(SYS_memfd_create, NULL, 0), EFAULT);
	CHECK_ERR(syscall(SYS_memfd_create, test_unmapped_page(), 0), EFAULT);
}

static int is_open(long fd)
{
	return syscall(SYS_fcntl, fd, F_GETFD) >= 0;
}

static void close_ranges(void)
{
	/* Five fds in a row. */
	long a = CHECK_SYS(open("f", O_RDONLY));
	for (long i = 1; i < 5; i++)
		CHECK_EQ(syscall(SYS_dup, a), a + i);

	/* The middle three go; the ends stay. */
	CHECK_EQ(syscall(SYS_close_range, a + 1, a + 3, 0), 0);
	CHECK(is_open(a));
	CHECK(!is_open(a + 1) && !is_open(a + 2) && !is_open(a + 3));
	CHECK(is_open(a + 4));
	/* CLOSE_RANGE_CLOEXEC marks instead of closing, holes are fine. */
	CHECK_EQ(syscall(SYS_close_range, a, a + 10, CLOSE_RANGE_CLOEXEC), 0);
	CHECK_EQ(syscall(SYS_fcntl, a, F_GETFD), FD_CLOEXEC);
	CHECK_EQ(syscall(SYS_fcntl, a + 4, F_GETFD), FD_CLOEXEC);
	CHECK(!is_open(a + 1));
	/* A range with nothing open, and one up to the largest fd. */
	CHECK_EQ(syscall(SYS_close_range, a + 100, a + 200, 0), 0);
	CHECK_EQ(syscall(SYS_close_range, a + 4, ~0U, 0), 0);
	CHECK(!is_open(a + 4));
	CHECK(is_open(a));
	/* A single fd. */
	CHECK_EQ(syscall(SYS_close_range, a, a, 0), 0);
	CHECK(!is_open(a));
	CHECK(is_open(0) && is_open(1) && is_open(2));

	/* Errors: first above last, unknown flags. */
	CHECK_ERR(syscall(SYS_close_range, 10, 9, 0), EINVAL);
	CHECK_ERR(syscall(SYS_close_range, ~0U, 0, 0), EINVAL);
	CHECK_ERR(syscall(SYS_close_range, a, a + 1, 0x8), EINVAL);
	CHECK_ERR(syscall(SYS_close_range, a, a + 1, 0x80000000U), EINVAL);
}

int main(void)
{
	fs_scratch_enter();
	syncs();
	statfs_calls();
	nodes();
	memfds();
	close_ranges();
	fs_scratch_leave();
	return 0;
}
