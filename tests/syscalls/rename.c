/*
 * rename: rename, renameat and renameat2 (RENAME_NOREPLACE, RENAME_EXCHANGE): what may
 * replace what, directories moving between parents (link counts included), the special
 * names "." and "..", no-op renames, and open files following their file.
 */
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>

#include "fs_util.h"

static long sys_renameat2(long olddir, const char *oldpath, long newdir, const char *newpath,
                          unsigned long flags)
{
	return syscall(SYS_renameat2, olddir, oldpath, newdir, newpath, flags);
}

static struct stat do_lstat(const char *path)
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

static void files(void)
{
	/* A file to a new name: the old one is gone, the inode is the same. */
	fs_write_file("a", "A");
	ino_t ino = do_lstat("a").st_ino;
	long fd = CHECK_SYS(open("a", O_RDONLY));
	CHECK_SYS(syscall(SYS_rename, "a", "b"));
	CHECK(!fs_exists("a"));
	CHECK_EQ(do_lstat("b").st_ino, ino);
	check_contents("b", "A");
	/* The open fd follows the file. */
	char buf[8];
	CHECK_EQ(pread(fd, buf, sizeof(buf), 0), 1);
	CHECK_EQ(buf[0], 'A');
	struct stat st;
	CHECK_SYS(fstat(fd, &st));
	CHECK_EQ(st.st_ino, ino);
	CHECK_EQ(st.st_nlink, 1);

	/* Over an existing file: replaced; the replaced one lives on while open. */
	fs_write_file("c", "C");
	long cfd = CHECK_SYS(open("c", O_RDONLY));
	CHECK_SYS(syscall(SYS_rename, "b", "c"));
	CHECK(!fs_exists("b"));
	check_contents("c", "A");
	CHECK_SYS(fstat(cfd, &st));
	CHECK_EQ(st.st_nlink, 0);
	CHECK_EQ(pread(cfd, buf, sizeof(buf), 0), 1);
	CHECK_EQ(buf[0], 'C');
	CHECK_SYS(close(cfd));
	CHECK_SYS(close(fd));

	/* To itself, or between two links of one file: nothing happens, both names stay. */
	CHECK_SYS(syscall(SYS_rename, "c", "c"));
	check_contents("c", "A");
	CHECK_SYS(link("c", "c2"));
	CHECK_SYS(syscall(SYS_rename, "c", "c2"));
	CHECK(fs_exists("c"));
	CHECK(fs_exists("c2"));
	CHECK_EQ(do_lstat("c").st_nlink, 2);
	CHECK_SYS(unlink("c2"));

	/* A symlink is renamed, or replaced, as itself. */
	CHECK_SYS(symlink("c", "l"));
	CHECK_SYS(syscall(SYS_rename, "l", "l2"));
	CHECK(S_ISLNK(do_lstat("l2").st_mode));
	check_contents("c", "A");
	fs_write_file("e", "E");
	CHECK_SYS(syscall(SYS_rename, "e", "l2"));
	CHECK(S_ISREG(do_lstat("l2").st_mode));
	check_contents("c", "A");
	CHECK_SYS(unlink("l2"));

	/* Errors: missing names, a file as a directory, empty paths, trailing slashes. */
	CHECK_ERR(syscall(SYS_rename, "missing", "x"), ENOENT);
	CHECK_ERR(syscall(SYS_rename, "c", "missing/x"), ENOENT);
	CHECK_ERR(syscall(SYS_rename, "c", "c/x"), ENOTDIR);
	CHECK_ERR(syscall(SYS_rename, "c/x", "x"), ENOTDIR);
	CHECK_ERR(syscall(SYS_rename, "", "x"), ENOENT);
	CHECK_ERR(syscall(SYS_rename, "c", ""), ENOENT);
	CHECK_ERR(syscall(SYS_rename, "c", "new/"), ENOTDIR);
	CHECK_ERR(syscall(SYS_rename, "c/", "new"), ENOTDIR);
	CHECK(!fs_exists("new"));
	check_contents("c", "A");
}

static void directories(void)
{
	/* A directory to a new name, and a directory over an empty one. */
	CHECK_SYS(mkdir("d", 0755));
	fs_write_file("d/in", "in");
	CHECK_SYS(mkdir("empty", 0755));
	CHECK_SYS(syscall(SYS_rename, "d", "d2/"));
	check_contents("d2/in", "in");
	CHECK_SYS(syscall(SYS_rename, "d2", "empty"));
	CHECK(!fs_exists("d2"));
	check_contents("empty/in", "in");
	CHECK_SYS(syscall(SYS_rename, "empty/", "d/"));

	/*
	 * Over a non-empty directory: ENOTEMPTY. A file and a directory do not replace each
	 * other: EISDIR for a file over a directory, ENOTDIR for a directory over a file.
	 */
	CHECK_SYS(mkdir("full", 0755));
	fs_write_file("full/x", "");
	CHECK_ERR(syscall(SYS_rename, "d", "full"), ENOTEMPTY);
	CHECK_ERR(syscall(SYS_rename, "c", "full"), EISDIR);
	CHECK_ERR(syscall(SYS_rename, "c", "d"), EISDIR);
	CHECK_ERR(syscall(SYS_rename, "d", "c"), ENOTDIR);
	CHECK_SYS(symlink("full", "fulllink"));
	CHECK_ERR(syscall(SYS_rename, "d", "fulllink"), ENOTDIR);
	check_contents("d/in", "in");

	/* Into itself or below itself: EINVAL; over its own ancestor: ENOTEMPTY. */
	CHECK_SYS(mkdir("d/sub", 0755));
	CHECK_ERR(syscall(SYS_rename, "d", "d/sub/x"), EINVAL);
	CHECK_ERR(syscall(SYS_rename, "d", "d/x"), EINVAL);
	CHECK_ERR(syscall(SYS_rename, "d/sub", "d/sub/x"), EINVAL);
	CHECK_ERR(syscall(SYS_rename, "d/sub", "d"), ENOTEMPTY);
	/* The special names: EBUSY. */
	CHECK_ERR(syscall(SYS_rename, ".", "x"), EBUSY);
	CHECK_ERR(syscall(SYS_rename, "..", "x"), EBUSY);
	CHECK_ERR(syscall(SYS_rename, "d/.", "x"), EBUSY);
	CHECK_ERR(syscall(SYS_rename, "d/sub/..", "x"), EBUSY);
	CHECK_ERR(syscall(SYS_rename, "c", "."), EBUSY);
	CHECK_ERR(syscall(SYS_rename, "c", "d/.."), EBUSY);
	CHECK_ERR(syscall(SYS_rename, "/", "x"), EBUSY);
	CHECK(!fs_exists("x"));

	/* Moving a directory moves the link of its "..": parents' counts change. */
	CHECK_EQ(do_lstat("d").st_nlink, 3);
	CHECK_EQ(do_lstat("full").st_nlink, 2);
	CHECK_SYS(syscall(SYS_rename, "d/sub", "full/sub"));
	CHECK_EQ(do_lstat("d").st_nlink, 2);
	CHECK_EQ(do_lstat("full").st_nlink, 3);
	CHECK_EQ(do_lstat("full/sub/..").st_ino, do_lstat("full").st_ino);
	/* renameat, relative to directory fds. */
	long dfd = CHECK_SYS(open("d", O_RDONLY | O_DIRECTORY));
	long ffd = CHECK_SYS(open("full", O_RDONLY | O_DIRECTORY));
	CHECK_SYS(syscall(SYS_renameat, ffd, "sub", dfd, "sub"));
	CHECK_EQ(do_lstat("d").st_nlink, 3);
	CHECK_EQ(do_lstat("full").st_nlink, 2);
	CHECK_SYS(syscall(SYS_renameat, dfd, "in", AT_FDCWD, "in"));
	CHECK_SYS(syscall(SYS_renameat, AT_FDCWD, "in", dfd, "in"));
	check_contents("d/in", "in");
	long cfd = CHECK_SYS(open("c", O_RDONLY));
	CHECK_ERR(syscall(SYS_renameat, cfd, "x", dfd, "y"), ENOTDIR);
	CHECK_ERR(syscall(SYS_renameat, dfd, "in", 9999, "y"), EBADF);
	CHECK_ERR(syscall(SYS_renameat, 9999, "in", dfd, "y"), EBADF);
	CHECK_SYS(close(cfd));
	CHECK_SYS(close(ffd));
	CHECK_SYS(close(dfd));
	CHECK_SYS(unlink("fulllink"));
}

static void renameat2_flags(void)
{
	/* RENAME_NOREPLACE: EEXIST for an existing target, even the same file. */
	fs_write_file("n", "N");
	CHECK_ERR(sys_renameat2(AT_FDCWD, "n", AT_FDCWD, "c", RENAME_NOREPLACE), EEXIST);
	CHECK_ERR(sys_renameat2(AT_FDCWD, "n", AT_FDCWD, "n", RENAME_NOREPLACE), EEXIST);
	CHECK_ERR(sys_renameat2(AT_FDCWD, "n", AT_FDCWD, "d", RENAME_NOREPLACE), EEXIST);
	CHECK_ERR(sys_renameat2(AT_FDCWD, "n", AT_FDCWD, ".", RENAME_NOREPLACE), EEXIST);
	check_contents("c", "A");
	CHECK_SYS(sys_renameat2(AT_FDCWD, "n", AT_FDCWD, "n2", RENAME_NOREPLACE));
	check_contents("n2", "N");
	CHECK_SYS(sys_renameat2(AT_FDCWD, "n2", AT_FDCWD, "n", 0));

	/* RENAME_EXCHANGE swaps two names atomically, a file and a directory too. */
	CHECK_SYS(sys_renameat2(AT_FDCWD, "n", AT_FDCWD, "c", RENAME_EXCHANGE));
	check_contents("n", "A");
	check_contents("c", "N");
	CHECK_SYS(mkdir("p", 0755));
	CHECK_EQ(do_lstat("d").st_nlink, 3);
	CHECK_EQ(do_lstat("p").st_nlink, 2);
	CHECK_SYS(sys_renameat2(AT_FDCWD, "d/sub", AT_FDCWD, "p/file", 0));
	fs_write_file("d/sub", "was p/file's place");
	CHECK_EQ(do_lstat("d").st_nlink, 2);
	CHECK_EQ(do_lstat("p").st_nlink, 3);
	CHECK_SYS(sys_renameat2(AT_FDCWD, "d/sub", AT_FDCWD, "p/file", RENAME_EXCHANGE));
	CHECK(S_ISDIR(do_lstat("d/sub").st_mode));
	CHECK(S_ISREG(do_lstat("p/file").st_mode));
	/* The parents' link counts follow the directory. */
	CHECK_EQ(do_lstat("d").st_nlink, 3);
	CHECK_EQ(do_lstat("p").st_nlink, 2);
	CHECK_EQ(do_lstat("d/sub/..").st_ino, do_lstat("d").st_ino);
	/* Two directories. */
	CHECK_SYS(sys_renameat2(AT_FDCWD, "d", AT_FDCWD, "p", RENAME_EXCHANGE));
	check_contents("d/file", "was p/file's place");
	check_contents("p/in", "in");

	/* Exchange needs both names; it cannot put a directory below itself. */
	CHECK_ERR(sys_renameat2(AT_FDCWD, "c", AT_FDCWD, "missing", RENAME_EXCHANGE), ENOENT);
	CHECK_ERR(sys_renameat2(AT_FDCWD, "missing", AT_FDCWD, "c", RENAME_EXCHANGE), ENOENT);
	CHECK_ERR(sys_renameat2(AT_FDCWD, "p", AT_FDCWD, "p/in", RENAME_EXCHANGE), EINVAL);
	CHECK_ERR(sys_renameat2(AT_FDCWD, "p/in", AT_FDCWD, "p", RENAME_EXCHANGE), EINVAL);
	check_contents("p/in", "in");

	/* Flags: NOREPLACE and EXCHANGE exclude each other; unknown bits are EINVAL. */
	CHECK_ERR(sys_renameat2(AT_FDCWD, "c", AT_FDCWD, "n", RENAME_NOREPLACE | RENAME_EXCHANGE),
	          EINVAL);
	CHECK_ERR(sys_renameat2(AT_FDCWD, "c", AT_FDCWD, "z", 1UL << 10), EINVAL);
	CHECK_ERR(sys_renameat2(AT_FDCWD, "c", AT_FDCWD, "z", 1UL << 31), EINVAL);
	CHECK(!fs_exists("z"));
	/* Without flags it is renameat. */
	CHECK_SYS(sys_renameat2(AT_FDCWD, "c", AT_FDCWD, "z", 0));
	check_contents("z", "N");
}

int main(void)
{
	fs_scratch_enter();
	files();
	directories();
	renameat2_flags();
	fs_scratch_leave();
	return 0;
}
