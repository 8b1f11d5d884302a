/*
 * open_flags: open, openat and creat in a scratch directory: creation and the umask, O_EXCL,
 * O_TRUNC, O_APPEND, O_DIRECTORY, O_NOFOLLOW, O_PATH, O_TMPFILE, and the errors of path
 * lookup and of dirfd.
 */
#include <fcntl.h>
#include <sys/stat.h>

#include "fs_util.h"

/* The kernel sets O_LARGEFILE on every file opened on x86-64; glibc defines it as 0. */
#define KERNEL_O_LARGEFILE 0100000

static long sys_open(const char *path, long flags, long mode)
{
	return syscall(SYS_open, path, flags, mode);
}

static long sys_openat(long dirfd, const char *path, long flags, long mode)
{
	return syscall(SYS_openat, dirfd, path, flags, mode);
}

static struct stat fd_stat(long fd)
{
	struct stat st;

	CHECK_SYS(syscall(SYS_fstat, fd, &st));
	return st;
}

static struct stat path_stat(const char *path)
{
	struct stat st;

	CHECK_SYS(syscall(SYS_lstat, path, &st));
	return st;
}

static void check_contents(const char *path, const char *want)
{
	char buf[256];

	CHECK_EQ(fs_read_file(path, buf, sizeof(buf)), strlen(want));
	CHECK_STREQ(buf, want);
}

static void creation_and_umask(void)
{
	/* A new file gets the mode without the umask's bits, and the caller's ids. */
	CHECK_SYS(syscall(SYS_umask, 022));
	long fd = CHECK_SYS(sys_open("f755", O_WRONLY | O_CREAT, 0777));
	struct stat st = fd_stat(fd);
	CHECK(S_ISREG(st.st_mode));
	CHECK_EQ(st.st_mode & 07777, 0755);
	CHECK_EQ(st.st_nlink, 1);
	CHECK_EQ(st.st_size, 0);
	CHECK_EQ(st.st_uid, geteuid());
	CHECK_EQ(st.st_gid, getegid());
	CHECK_SYS(close(fd));
	fd = CHECK_SYS(sys_open("f644", O_RDWR | O_CREAT, 0666));
	CHECK_EQ(fd_stat(fd).st_mode & 07777, 0644);
	CHECK_SYS(close(fd));
	CHECK_EQ(syscall(SYS_umask, 077), 022);
	fd = CHECK_SYS(sys_open("f700", O_RDWR | O_CREAT, 0777));
	CHECK_EQ(fd_stat(fd).st_mode & 07777, 0700);
	CHECK_SYS(close(fd));
	CHECK_EQ(syscall(SYS_umask, 0), 077);
	fd = CHECK_SYS(sys_open("f777", O_RDWR | O_CREAT, 0777));
	CHECK_EQ(fd_stat(fd).st_mode & 07777, 0777);
	CHECK_SYS(close(fd));
	/* Only the permission bits of mode count: a file type in it is ignored. */
	fd = CHECK_SYS(sys_open("ftype", O_RDWR | O_CREAT, S_IFDIR | 0640));
	CHECK_EQ(fd_stat(fd).st_mode, S_IFREG | 0640);
	CHECK_SYS(close(fd));
	CHECK_EQ(syscall(SYS_umask, 022), 0);

	/* O_CREAT on an existing file opens it as it is: mode and contents kept. */
	fs_write_file("f644", "hello");
	fd = CHECK_SYS(sys_open("f644", O_RDONLY | O_CREAT, 0600));
	st = fd_stat(fd);
	CHECK_EQ(st.st_mode & 07777, 0644);
	CHECK_EQ(st.st_size, 5);
	CHECK_SYS(close(fd));

	/* O_EXCL: EEXIST for a file, a directory, and a symlink, even a dangling one. */
	CHECK_ERR(sys_open("f644", O_RDWR | O_CREAT | O_EXCL, 0600), EEXIST);
	CHECK_SYS(mkdir("d", 0755));
	CHECK_ERR(sys_open("d", O_RDONLY | O_CREAT | O_EXCL, 0600), EEXIST);
	CHECK_SYS(symlink("nowhere", "dangling"));
	CHECK_ERR(sys_open("dangling", O_RDWR | O_CREAT | O_EXCL, 0600), EEXIST);
	CHECK(!fs_exists("nowhere"));
	fd = CHECK_SYS(sys_open("excl", O_RDWR | O_CREAT | O_EXCL, 0600));
	CHECK_SYS(close(fd));

	/* The lowest free fd, and O_CLOEXEC. */
	long a = CHECK_SYS(sys_open("f644", O_RDONLY, 0));
	long b = CHECK_SYS(sys_open("f644", O_RDONLY | O_CLOEXEC, 0));
	CHECK_EQ(b, a + 1);
	CHECK_EQ(syscall(SYS_fcntl, a, F_GETFD), 0);
	CHECK_EQ(syscall(SYS_fcntl, b, F_GETFD), FD_CLOEXEC);
	CHECK_SYS(close(a));
	CHECK_EQ(sys_open("f644", O_RDONLY, 0), a);
	CHECK_SYS(close(a));
	CHECK_SYS(close(b));

	/* The access mode decides which of read and write work. */
	fd = CHECK_SYS(sys_open("f644", O_RDONLY, 0));
	char c;
	CHECK_ERR(write(fd, "x", 1), EBADF);
	CHECK_EQ(read(fd, &c, 1), 1);
	CHECK_EQ(syscall(SYS_fcntl, fd, F_GETFL), O_RDONLY | KERNEL_O_LARGEFILE);
	CHECK_SYS(close(fd));
	fd = CHECK_SYS(sys_open("f644", O_WRONLY, 0));
	CHECK_ERR(read(fd, &c, 1), EBADF);
	CHECK_EQ(syscall(SYS_fcntl, fd, F_GETFL), O_WRONLY | KERNEL_O_LARGEFILE);
	CHECK_SYS(close(fd));
}

static void trunc_append_creat(void)
{
	/* O_TRUNC empties a file opened for writing. */
	fs_write_file("t", "0123456789");
	long fd = CHECK_SYS(sys_open("t", O_WRONLY | O_TRUNC, 0));
	CHECK_EQ(fd_stat(fd).st_size, 0);
	CHECK_EQ(write(fd, "ab", 2), 2);
	CHECK_SYS(close(fd));
	check_contents("t", "ab");

	/* O_APPEND: every write goes to the end, wherever the offset was. */
	fd = CHECK_SYS(sys_open("t", O_RDWR | O_APPEND, 0));
	CHECK_EQ(syscall(SYS_fcntl, fd, F_GETFL), O_RDWR | O_APPEND | KERNEL_O_LARGEFILE);
	CHECK_EQ(lseek(fd, 0, SEEK_CUR), 0);
	CHECK_EQ(write(fd, "cd", 2), 2);
	CHECK_EQ(lseek(fd, 0, SEEK_CUR), 4);
	CHECK_EQ(lseek(fd, 1, SEEK_SET), 1);
	CHECK_EQ(write(fd, "ef", 2), 2);
	CHECK_EQ(lseek(fd, 0, SEEK_CUR), 6);
	/* Reading still happens at the offset. */
	char buf[8];
	CHECK_EQ(lseek(fd, 1, SEEK_SET), 1);
	CHECK_EQ(read(fd, buf, 2), 2);
	CHECK(memcmp(buf, "bc", 2) == 0);
	/* On Linux even pwrite appends on an O_APPEND file (pwrite(2), BUGS). */
	CHECK_EQ(pwrite(fd, "gh", 2, 0), 2);
	CHECK_SYS(close(fd));
	check_contents("t", "abcdefgh");
	/* Two descriptions in append mode do not overwrite each other. */
	long a = CHECK_SYS(sys_open("t", O_WRONLY | O_APPEND, 0));
	long b = CHECK_SYS(sys_open("t", O_WRONLY | O_APPEND, 0));
	CHECK_EQ(write(a, "1", 1), 1);
	CHECK_EQ(write(b, "2", 1), 1);
	CHECK_EQ(write(a, "3", 1), 1);
	CHECK_SYS(close(a));
	CHECK_SYS(close(b));
	check_contents("t", "abcdefgh123");

	/* creat is open(O_CREAT | O_WRONLY | O_TRUNC). */
	fd = CHECK_SYS(syscall(SYS_creat, "t", 0600));
	CHECK_EQ(syscall(SYS_fcntl, fd, F_GETFL), O_WRONLY | KERNEL_O_LARGEFILE);
	struct stat st = fd_stat(fd);
	CHECK_EQ(st.st_size, 0);
	CHECK_EQ(st.st_mode & 07777, 0644);
	CHECK_SYS(close(fd));
	fd = CHECK_SYS(syscall(SYS_creat, "c", 0666));
	CHECK_EQ(fd_stat(fd).st_mode, S_IFREG | 0644);
	CHECK_ERR(read(fd, buf, 1), EBADF);
	CHECK_SYS(close(fd));
	CHECK_ERR(syscall(SYS_creat, "d", 0600), EISDIR);
}

static void directories_and_symlinks(void)
{
	/* O_DIRECTORY: a directory, or a symlink to one; a file is ENOTDIR. */
	long fd = CHECK_SYS(sys_open("d", O_RDONLY | O_DIRECTORY, 0));
	CHECK(S_ISDIR(fd_stat(fd).st_mode));
	CHECK_SYS(close(fd));
	CHECK_SYS(symlink("d", "dlink"));
	fd = CHECK_SYS(sys_open("dlink", O_RDONLY | O_DIRECTORY, 0));
	CHECK(S_ISDIR(fd_stat(fd).st_mode));
	CHECK_SYS(close(fd));
	CHECK_ERR(sys_open("f644", O_RDONLY | O_DIRECTORY, 0), ENOTDIR);
	CHECK_ERR(sys_open("dangling", O_RDONLY | O_DIRECTORY, 0), ENOENT);

	/* A directory opens read-only; for writing or with O_CREAT it is EISDIR. */
	CHECK_ERR(sys_open("d", O_WRONLY, 0), EISDIR);
	CHECK_ERR(sys_open("d", O_RDWR, 0), EISDIR);
	CHECK_ERR(sys_open("d", O_RDONLY | O_CREAT, 0600), EISDIR);
	CHECK_ERR(sys_open("dlink", O_WRONLY, 0), EISDIR);
	char c;
	fd = CHECK_SYS(sys_open("d", O_RDONLY, 0));
	CHECK_ERR(read(fd, &c, 1), EISDIR);
	CHECK_SYS(close(fd));

	/* O_NOFOLLOW: ELOOP for a final symlink, but symlinks before it are followed. */
	CHECK_SYS(symlink("f644", "flink"));
	CHECK_ERR(sys_open("flink", O_RDONLY | O_NOFOLLOW, 0), ELOOP);
	CHECK_ERR(sys_open("dangling", O_RDONLY | O_NOFOLLOW, 0), ELOOP);
	CHECK_ERR(sys_open("dangling", O_RDWR | O_CREAT | O_NOFOLLOW, 0600), ELOOP);
	fs_write_file("d/in", "inside");
	fd = CHECK_SYS(sys_open("dlink/in", O_RDONLY | O_NOFOLLOW, 0));
	CHECK(S_ISREG(fd_stat(fd).st_mode));
	CHECK_SYS(close(fd));
	/* Without it, a symlink is followed, and O_CREAT through a dangling one makes its target.
	 */
	fd = CHECK_SYS(sys_open("flink", O_RDONLY, 0));
	CHECK_EQ(fd_stat(fd).st_ino, path_stat("f644").st_ino);
	CHECK_SYS(close(fd));
	fd = CHECK_SYS(sys_open("dangling", O_WRONLY | O_CREAT, 0600));
	CHECK_SYS(close(fd));
	CHECK(S_ISREG(path_stat("nowhere").st_mode));
	CHECK_SYS(unlink("nowhere"));
}

static void o_path(void)
{
	/* O_PATH: the fd names the file, but neither reads nor writes nor changes it. */
	long fd = CHECK_SYS(sys_open("f644", O_PATH, 0));
	char c;
	CHECK_ERR(read(fd, &c, 1), EBADF);
	CHECK_ERR(write(fd, "x", 1), EBADF);
	CHECK_ERR(pread(fd, &c, 1, 0), EBADF);
	CHECK_ERR(syscall(SYS_fchmod, fd, 0600), EBADF);
	CHECK_ERR(syscall(SYS_ftruncate, fd, 0L), EBADF);
	struct stat st = fd_stat(fd);
	CHECK(S_ISREG(st.st_mode));
	CHECK_EQ(st.st_ino, path_stat("f644").st_ino);
	/* Linux keeps only O_PATH's own flags: no O_LARGEFILE here. */
	CHECK_EQ(syscall(SYS_fcntl, fd, F_GETFL), O_PATH);
	/* It can be duplicated and closed like any fd. */
	long dup = CHECK_SYS(syscall(SYS_dup, fd));
	CHECK_SYS(close(dup));
	CHECK_SYS(close(fd));

	/* With O_NOFOLLOW it opens a symlink itself. */
	fd = CHECK_SYS(sys_open("flink", O_PATH | O_NOFOLLOW, 0));
	st = fd_stat(fd);
	CHECK(S_ISLNK(st.st_mode));
	CHECK_EQ(st.st_size, strlen("f644"));
	CHECK_SYS(close(fd));

	/* An O_PATH directory serves as dirfd. */
	fd = CHECK_SYS(sys_open("d", O_PATH | O_DIRECTORY, 0));
	long in = CHECK_SYS(sys_openat(fd, "in", O_RDONLY, 0));
	char buf[8];
	CHECK_EQ(read(in, buf, sizeof(buf)), 6);
	CHECK(memcmp(buf, "inside", 6) == 0);
	CHECK_SYS(close(in));
	CHECK_SYS(close(fd));
}

static void o_tmpfile(void)
{
	/* O_TMPFILE: an unnamed regular file in the directory, with no link. */
	CHECK_SYS(mkdir("tmpdir", 0755));
	long fd = CHECK_SYS(sys_open("tmpdir", O_TMPFILE | O_RDWR, 0600));
	struct stat st = fd_stat(fd);
	CHECK(S_ISREG(st.st_mode));
	CHECK_EQ(st.st_mode & 07777, 0600);
	CHECK_EQ(st.st_nlink, 0);
	CHECK_EQ(st.st_size, 0);
	CHECK_EQ(write(fd, "temp", 4), 4);
	char buf[8];
	CHECK_EQ(pread(fd, buf, sizeof(buf), 0), 4);
	CHECK(memcmp(buf, "temp", 4) == 0);
	CHECK_EQ(fd_stat(fd).st_size, 4);
	/* Without O_EXCL it can be given a name with linkat(AT_EMPTY_PATH) (root may). */
	CHECK_SYS(syscall(SYS_linkat, fd, "", AT_FDCWD, "tmpdir/named", AT_EMPTY_PATH));
	CHECK_EQ(fd_stat(fd).st_nlink, 1);
	check_contents("tmpdir/named", "temp");
	CHECK_SYS(close(fd));
	CHECK_SYS(unlink("tmpdir/named"));

	/* With O_EXCL it cannot. */
	fd = CHECK_SYS(sys_open("tmpdir", O_TMPFILE | O_WRONLY | O_EXCL, 0600));
	CHECK_ERR(syscall(SYS_linkat, fd, "", AT_FDCWD, "tmpdir/named", AT_EMPTY_PATH), ENOENT);
	/* The directory stays empty: rmdir works while the file is open. */
	CHECK_SYS(rmdir("tmpdir"));
	CHECK_EQ(write(fd, "x", 1), 1);
	CHECK_SYS(close(fd));

	/* O_TMPFILE needs write access and a directory. */
	CHECK_ERR(sys_open(".", O_TMPFILE | O_RDONLY, 0600), EINVAL);
	CHECK_ERR(sys_open("f644", O_TMPFILE | O_RDWR, 0600), ENOTDIR);
	CHECK_ERR(sys_open("missing", O_TMPFILE | O_RDWR, 0600), ENOENT);
}

static void lookup_errors(void)
{
	/* ENOENT: a missing file, or a missing directory on the way, even with O_CREAT. */
	CHECK_ERR(sys_open("missing", O_RDONLY, 0), ENOENT);
	CHECK_ERR(sys_open("missing/file", O_RDONLY, 0), ENOENT);
	CHECK_ERR(sys_open("missing/file", O_RDWR | O_CREAT, 0600), ENOENT);
	CHECK_ERR(sys_open("", O_RDONLY, 0), ENOENT);
	CHECK_ERR(sys_open("", O_RDWR | O_CREAT, 0600), ENOENT);
	/* ENOTDIR: a file used as a directory. */
	CHECK_ERR(sys_open("f644/x", O_RDONLY, 0), ENOTDIR);
	CHECK_ERR(sys_open("f644/x", O_RDWR | O_CREAT, 0600), ENOTDIR);
	CHECK_ERR(sys_open("f644/", O_RDONLY, 0), ENOTDIR);
	CHECK_ERR(sys_open("flink/", O_RDONLY, 0), ENOTDIR);

	/* ENAMETOOLONG: a 256-byte component, or a path of PATH_MAX bytes and more. */
	char name[NAME_MAX + 2];
	memset(name, 'n', NAME_MAX + 1);
	name[NAME_MAX + 1] = '\0';
	CHECK_ERR(sys_open(name, O_RDONLY, 0), ENAMETOOLONG);
	CHECK_ERR(sys_open(name, O_RDWR | O_CREAT, 0600), ENAMETOOLONG);
	/* A 255-byte one is fine. */
	name[NAME_MAX] = '\0';
	long fd = CHECK_SYS(sys_open(name, O_RDWR | O_CREAT | O_EXCL, 0600));
	CHECK_SYS(close(fd));
	CHECK_SYS(unlink(name));
	static char long_path[PATH_MAX + 2];
	memset(long_path, 'p', PATH_MAX);
	CHECK_ERR(sys_open(long_path, O_RDONLY, 0), ENAMETOOLONG);
	CHECK_ERR(sys_open(long_path, O_RDWR | O_CREAT, 0600), ENAMETOOLONG);

	/* EFAULT: a pathname the kernel cannot read. */
	CHECK_ERR(sys_open(NULL, O_RDONLY, 0), EFAULT);
	CHECK_ERR(sys_open(test_unmapped_page(), O_RDONLY, 0), EFAULT);
	CHECK_ERR(sys_open((const char *)0xffff800000000000UL, O_RDONLY, 0), EFAULT);
	CHECK_ERR(sys_openat(AT_FDCWD, NULL, O_RDONLY, 0), EFAULT);
	/* A name that runs into an unmapped page. */
	char *edge = (char *)test_page_before_hole() + PAGE_SIZE - 4;
	memcpy(edge, "f644", 4);
	CHECK_ERR(sys_open(edge, O_RDONLY, 0), EFAULT);
}

static void dirfds(void)
{
	/* AT_FDCWD: relative to the working directory, like open. */
	long fd = CHECK_SYS(sys_openat(AT_FDCWD, "f644", O_RDONLY, 0));
	CHECK_EQ(fd_stat(fd).st_ino, path_stat("f644").st_ino);
	CHECK_SYS(close(fd));
	fd = CHECK_SYS(sys_openat(AT_FDCWD, "./d/../d/in", O_RDONLY, 0));
	CHECK_EQ(fd_stat(fd).st_ino, path_stat("d/in").st_ino);
	CHECK_SYS(close(fd));

	/* A directory fd: relative to it, for lookup and for creation. */
	long dfd = CHECK_SYS(sys_open("d", O_RDONLY | O_DIRECTORY, 0));
	fd = CHECK_SYS(sys_openat(dfd, "in", O_RDONLY, 0));
	CHECK_EQ(fd_stat(fd).st_ino, path_stat("d/in").st_ino);
	CHECK_SYS(close(fd));
	fd = CHECK_SYS(sys_openat(dfd, "made", O_WRONLY | O_CREAT | O_EXCL, 0600));
	CHECK_SYS(close(fd));
	CHECK(S_ISREG(path_stat("d/made").st_mode));
	fd = CHECK_SYS(sys_openat(dfd, "..", O_RDONLY | O_DIRECTORY, 0));
	CHECK_EQ(fd_stat(fd).st_ino, path_stat(".").st_ino);
	CHECK_SYS(close(fd));

	/* A file as dirfd is ENOTDIR, a closed or negative one EBADF, for relative paths. */
	long file = CHECK_SYS(sys_open("f644", O_RDONLY, 0));
	CHECK_ERR(sys_openat(file, "in", O_RDONLY, 0), ENOTDIR);
	CHECK_ERR(sys_openat(file, "new", O_RDWR | O_CREAT, 0600), ENOTDIR);
	CHECK_ERR(sys_openat(9999, "in", O_RDONLY, 0), EBADF);
	CHECK_ERR(sys_openat(-1, "in", O_RDONLY, 0), EBADF);
	CHECK(!fs_exists("new"));
	/* An absolute path ignores dirfd, whatever it is. */
	char abs[64];
	snprintf(abs, sizeof(abs), "%s/d/in", g_fs_scratch);
	fd = CHECK_SYS(sys_openat(file, abs, O_RDONLY, 0));
	CHECK_SYS(close(fd));
	fd = CHECK_SYS(sys_openat(9999, abs, O_RDONLY, 0));
	CHECK_SYS(close(fd));
	CHECK_SYS(close(file));
	CHECK_SYS(close(dfd));
}

int main(void)
{
	fs_scratch_enter();
	creation_and_umask();
	trunc_append_creat();
	directories_and_symlinks();
	o_path();
	o_tmpfile();
	lookup_errors();
	dirfds();
	fs_scratch_leave();
	return 0;
}
