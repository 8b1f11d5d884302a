/*
 * stat_family: stat, lstat, fstat, newfstatat and statx on files, directories and symlinks:
 * what they report, how they follow links, and their errors.
 */
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "fs_util.h"

#define TARGET "./f" /* the target of symlink "l" */

static struct stat do_stat(const char *path)
{
	struct stat st;

	CHECK_SYS(syscall(SYS_stat, path, &st));
	return st;
}

static struct stat do_lstat(const char *path)
{
	struct stat st;

	CHECK_SYS(syscall(SYS_lstat, path, &st));
	return st;
}

static struct statx do_statx(long dirfd, const char *path, long flags, unsigned mask)
{
	struct statx stx;

	memset(&stx, 0xa5, sizeof(stx));
	CHECK_SYS(syscall(SYS_statx, dirfd, path, flags, mask, &stx));
	return stx;
}

/* same_file tells whether two stat results are of one file. */
static int same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

/* same_as tells whether a stat result is of the file path names (following symlinks). */
static int same_as(const struct stat *a, const char *path)
{
	struct stat b = do_stat(path);

	return same_file(a, &b);
}

static void files_and_links(void)
{
	fs_write_file("f", "0123456789");
	CHECK_SYS(symlink(TARGET, "l"));
	CHECK_SYS(symlink("missing", "dangling"));

	/* A regular file. */
	struct stat f = do_stat("f");
	CHECK(S_ISREG(f.st_mode));
	CHECK_EQ(f.st_mode & 07777, 0644);
	CHECK_EQ(f.st_size, 10);
	CHECK_EQ(f.st_nlink, 1);
	CHECK_EQ(f.st_uid, geteuid());
	CHECK_EQ(f.st_gid, getegid());
	CHECK(f.st_blksize > 0);
	CHECK(f.st_ino != 0);
	CHECK_EQ(f.st_rdev, 0);
	struct stat l = do_lstat("f");
	CHECK(memcmp(&f, &l, sizeof(f)) == 0);

	/* stat follows a symlink, lstat describes it: its size is the target's length. */
	struct stat s = do_stat("l");
	CHECK(same_file(&s, &f));
	CHECK_EQ(s.st_size, 10);
	l = do_lstat("l");
	CHECK(S_ISLNK(l.st_mode));
	CHECK_EQ(l.st_size, strlen(TARGET));
	CHECK(!same_file(&l, &f));
	CHECK_EQ(l.st_nlink, 1);
	/* A dangling one: ENOENT to stat, fine to lstat. */
	CHECK_ERR(syscall(SYS_stat, "dangling", &s), ENOENT);
	CHECK_EQ(do_lstat("dangling").st_size, strlen("missing"));

	/* fstat, also through an O_PATH fd, and the link itself through O_PATH | O_NOFOLLOW. */
	long fd = CHECK_SYS(open("f", O_RDONLY));
	CHECK_SYS(syscall(SYS_fstat, fd, &s));
	CHECK(memcmp(&s, &f, sizeof(f)) == 0);
	long pfd = CHECK_SYS(open("l", O_PATH | O_NOFOLLOW));
	CHECK_SYS(syscall(SYS_fstat, pfd, &s));
	CHECK(S_ISLNK(s.st_mode));
	CHECK(same_file(&s, &l));

	/* Sizes follow writes, pwrites past the end and truncation. */
	long wfd = CHECK_SYS(open("f", O_WRONLY | O_APPEND));
	CHECK_EQ(write(wfd, "abcde", 5), 5);
	CHECK_EQ(do_stat("f").st_size, 15);
	CHECK_SYS(close(wfd));
	wfd = CHECK_SYS(open("f", O_WRONLY));
	CHECK_EQ(pwrite(wfd, "z", 1, 1000), 1);
	CHECK_SYS(syscall(SYS_fstat, fd, &s));
	CHECK_EQ(s.st_size, 1001);
	CHECK_SYS(ftruncate(wfd, 3));
	CHECK_EQ(do_stat("l").st_size, 3);
	CHECK_SYS(close(wfd));
	/* A write moves the modification and change times. */
	CHECK_SYS(utimensat(AT_FDCWD, "f", ((struct timespec[]){ { 1000, 0 }, { 1000, 0 } }), 0));
	s = do_stat("f");
	CHECK_EQ(s.st_mtim.tv_sec, 1000);
	CHECK_EQ(s.st_atim.tv_sec, 1000);
	CHECK(s.st_ctim.tv_sec > 1000);
	wfd = CHECK_SYS(open("f", O_WRONLY));
	CHECK_EQ(write(wfd, "x", 1), 1);
	CHECK_SYS(close(wfd));
	s = do_stat("f");
	CHECK(s.st_mtim.tv_sec > 1000);
	CHECK_EQ(s.st_atim.tv_sec, 1000);

	/* A hard link is the same file, with two links. */
	CHECK_SYS(link("f", "hard"));
	CHECK(same_as(&f, "hard"));
	CHECK_EQ(do_stat("f").st_nlink, 2);
	CHECK_SYS(unlink("hard"));
	CHECK_SYS(syscall(SYS_fstat, fd, &s));
	CHECK_EQ(s.st_nlink, 1);
	/* An open file that lost its last name has no link. */
	fs_write_file("gone", "x");
	long gfd = CHECK_SYS(open("gone", O_RDONLY));
	CHECK_SYS(unlink("gone"));
	CHECK_SYS(syscall(SYS_fstat, gfd, &s));
	CHECK_EQ(s.st_nlink, 0);
	CHECK_EQ(s.st_size, 1);
	CHECK_SYS(close(gfd));

	/* A pipe is a FIFO. */
	int p[2];
	CHECK_SYS(pipe(p));
	CHECK_SYS(syscall(SYS_fstat, p[0], &s));
	CHECK(S_ISFIFO(s.st_mode));
	CHECK_SYS(close(p[0]));
	CHECK_SYS(close(p[1]));
	CHECK_SYS(close(pfd));
	CHECK_SYS(close(fd));
}

static void directories(void)
{
	/* A directory has 2 links, plus one for each subdirectory's "..". */
	CHECK_SYS(mkdir("d", 0750));
	struct stat d = do_stat("d");
	CHECK(S_ISDIR(d.st_mode));
	CHECK_EQ(d.st_mode & 07777, 0750);
	CHECK_EQ(d.st_nlink, 2);
	CHECK(d.st_blksize > 0);
	CHECK_SYS(mkdir("d/a", 0755));
	CHECK_SYS(mkdir("d/b", 0755));
	CHECK_SYS(mkdir("d/c", 0755));
	fs_write_file("d/file", "x");
	CHECK_SYS(symlink("a", "d/link"));
	CHECK_EQ(do_stat("d").st_nlink, 5);
	CHECK_SYS(rmdir("d/b"));
	CHECK_EQ(do_stat("d").st_nlink, 4);
	/* "." and ".." are the directory and its parent. */
	struct stat s = do_stat("d/a/..");
	CHECK(same_as(&s, "d"));
	s = do_stat("d/.");
	CHECK(same_as(&s, "d"));
	s = do_stat("d/a/../../d/c/.");
	CHECK(same_as(&s, "d/c"));
	/* A symlink to a directory, with and without a trailing slash. */
	CHECK(S_ISDIR(do_stat("d/link").st_mode));
	CHECK(S_ISLNK(do_lstat("d/link").st_mode));
	CHECK(S_ISDIR(do_lstat("d/link/").st_mode));
	CHECK(S_ISDIR(do_lstat("d/link/.").st_mode));
}

static void fstatat_calls(void)
{
	struct stat s, want;
	long dfd = CHECK_SYS(open("d", O_RDONLY | O_DIRECTORY));

	/* Relative to AT_FDCWD or to a directory fd; following the last link or not. */
	CHECK_SYS(syscall(SYS_newfstatat, AT_FDCWD, "l", &s, 0));
	want = do_stat("f");
	CHECK(memcmp(&s, &want, sizeof(s)) == 0);
	CHECK_SYS(syscall(SYS_newfstatat, AT_FDCWD, "l", &s, AT_SYMLINK_NOFOLLOW));
	CHECK(S_ISLNK(s.st_mode));
	CHECK_EQ(s.st_size, strlen(TARGET));
	CHECK_SYS(syscall(SYS_newfstatat, dfd, "link", &s, 0));
	CHECK(same_as(&s, "d/a"));
	CHECK_SYS(syscall(SYS_newfstatat, dfd, "link", &s, AT_SYMLINK_NOFOLLOW));
	CHECK(S_ISLNK(s.st_mode));
	/* An absolute path ignores dirfd. */
	char abs[64];
	snprintf(abs, sizeof(abs), "%s/f", g_fs_scratch);
	CHECK_SYS(syscall(SYS_newfstatat, 9999, abs, &s, 0));
	CHECK(same_file(&s, &want));

	/* AT_EMPTY_PATH with "" is fstat of dirfd (AT_FDCWD: the working directory). */
	long fd = CHECK_SYS(open("f", O_RDONLY));
	CHECK_SYS(syscall(SYS_newfstatat, fd, "", &s, AT_EMPTY_PATH));
	CHECK(same_file(&s, &want));
	CHECK_SYS(syscall(SYS_newfstatat, dfd, "", &s, AT_EMPTY_PATH));
	CHECK(S_ISDIR(s.st_mode));
	CHECK_SYS(syscall(SYS_newfstatat, AT_FDCWD, "", &s, AT_EMPTY_PATH));
	CHECK(same_as(&s, "."));
	long pfd = CHECK_SYS(open("l", O_PATH | O_NOFOLLOW));
	CHECK_SYS(syscall(SYS_newfstatat, pfd, "", &s, AT_EMPTY_PATH));
	CHECK(S_ISLNK(s.st_mode));
	/* Without the flag "" is ENOENT; with it a nonempty path is looked up as usual. */
	CHECK_ERR(syscall(SYS_newfstatat, fd, "", &s, 0), ENOENT);
	CHECK_SYS(syscall(SYS_newfstatat, dfd, "a", &s, AT_EMPTY_PATH));
	CHECK(same_as(&s, "d/a"));

	/* Errors: a file as dirfd, a bad dirfd, unknown flags. */
	CHECK_ERR(syscall(SYS_newfstatat, fd, "x", &s, 0), ENOTDIR);
	CHECK_ERR(syscall(SYS_newfstatat, 9999, "f", &s, 0), EBADF);
	CHECK_ERR(syscall(SYS_newfstatat, 9999, "", &s, AT_EMPTY_PATH), EBADF);
	CHECK_ERR(syscall(SYS_newfstatat, AT_FDCWD, "f", &s, AT_REMOVEDIR), EINVAL);
	CHECK_ERR(syscall(SYS_newfstatat, AT_FDCWD, "f", &s, 0x80000000L), EINVAL);
	CHECK_SYS(close(pfd));
	CHECK_SYS(close(fd));
	CHECK_SYS(close(dfd));
}

static void statx_calls(void)
{
	const unsigned basic = STATX_TYPE | STATX_MODE | STATX_NLINK | STATX_UID | STATX_GID |
	                       STATX_SIZE | STATX_INO;
	struct stat f = do_stat("f");

	/* The basic fields agree with stat's. */
	struct statx x = do_statx(AT_FDCWD, "f", AT_STATX_SYNC_AS_STAT, STATX_BASIC_STATS);
	CHECK_EQ(x.stx_mask & basic, basic);
	CHECK_EQ(x.stx_mode, f.st_mode);
	CHECK_EQ(x.stx_size, f.st_size);
	CHECK_EQ(x.stx_nlink, f.st_nlink);
	CHECK_EQ(x.stx_ino, f.st_ino);
	CHECK_EQ(x.stx_uid, f.st_uid);
	CHECK_EQ(x.stx_gid, f.st_gid);
	CHECK_EQ(x.stx_blksize, f.st_blksize);
	CHECK_EQ(makedev(x.stx_dev_major, x.stx_dev_minor), f.st_dev);
	CHECK_EQ(x.stx_mtime.tv_sec, f.st_mtim.tv_sec);
	CHECK_EQ(x.stx_mtime.tv_nsec, f.st_mtim.tv_nsec);
	CHECK_EQ(x.__spare0[0], 0);
	/* Asking for less still gets a consistent answer for what was asked. */
	x = do_statx(AT_FDCWD, "f", 0, STATX_SIZE);
	CHECK(x.stx_mask & STATX_SIZE);
	CHECK_EQ(x.stx_size, f.st_size);
	x = do_statx(AT_FDCWD, "f", AT_STATX_FORCE_SYNC, STATX_TYPE);
	CHECK(S_ISREG(x.stx_mode));
	x = do_statx(AT_FDCWD, "f", AT_STATX_DONT_SYNC, STATX_MODE);
	CHECK_EQ(x.stx_mode & 07777, f.st_mode & 07777);

	/* Symlinks: followed unless AT_SYMLINK_NOFOLLOW. */
	x = do_statx(AT_FDCWD, "l", 0, STATX_BASIC_STATS);
	CHECK_EQ(x.stx_ino, f.st_ino);
	x = do_statx(AT_FDCWD, "l", AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS);
	CHECK(S_ISLNK(x.stx_mode));
	CHECK_EQ(x.stx_size, strlen(TARGET));
	/* Directories: the link count. */
	x = do_statx(AT_FDCWD, "d", 0, STATX_BASIC_STATS);
	CHECK(S_ISDIR(x.stx_mode));
	CHECK_EQ(x.stx_nlink, 4);
	/* AT_EMPTY_PATH on an fd, and a directory fd. */
	long fd = CHECK_SYS(open("f", O_RDONLY));
	x = do_statx(fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS);
	CHECK_EQ(x.stx_ino, f.st_ino);
	long dfd = CHECK_SYS(open("d", O_RDONLY | O_DIRECTORY));
	x = do_statx(dfd, "file", 0, STATX_BASIC_STATS);
	CHECK_EQ(x.stx_size, 1);

	/* Errors. */
	struct statx bad;
	CHECK_ERR(syscall(SYS_statx, fd, "", 0, STATX_BASIC_STATS, &bad), ENOENT);
	CHECK_ERR(syscall(SYS_statx, AT_FDCWD, "missing", 0, STATX_BASIC_STATS, &bad), ENOENT);
	CHECK_ERR(syscall(SYS_statx, AT_FDCWD, "f/x", 0, STATX_BASIC_STATS, &bad), ENOTDIR);
	CHECK_ERR(syscall(SYS_statx, AT_FDCWD, "dangling", 0, STATX_BASIC_STATS, &bad), ENOENT);
	CHECK_ERR(syscall(SYS_statx, fd, "x", 0, STATX_BASIC_STATS, &bad), ENOTDIR);
	CHECK_ERR(syscall(SYS_statx, 9999, "f", 0, STATX_BASIC_STATS, &bad), EBADF);
	/* Unknown flags, both sync flags at once, and the reserved mask bit are EINVAL. */
	CHECK_ERR(syscall(SYS_statx, AT_FDCWD, "f", AT_REMOVEDIR, STATX_BASIC_STATS, &bad), EINVAL);
	CHECK_ERR(syscall(SYS_statx, AT_FDCWD, "f", AT_STATX_FORCE_SYNC | AT_STATX_DONT_SYNC,
	                  STATX_BASIC_STATS, &bad),
	          EINVAL);
	CHECK_ERR(syscall(SYS_statx, AT_FDCWD, "f", 0, STATX__RESERVED, &bad), EINVAL);
	CHECK_ERR(syscall(SYS_statx, AT_FDCWD, "f", 0, STATX__RESERVED | STATX_SIZE, &bad), EINVAL);
	CHECK_SYS(close(dfd));
	CHECK_SYS(close(fd));
}

static void errors(void)
{
	struct stat s;

	CHECK_ERR(syscall(SYS_stat, "missing", &s), ENOENT);
	CHECK_ERR(syscall(SYS_lstat, "missing", &s), ENOENT);
	CHECK_ERR(syscall(SYS_stat, "missing/x", &s), ENOENT);
	CHECK_ERR(syscall(SYS_stat, "", &s), ENOENT);
	CHECK_ERR(syscall(SYS_lstat, "", &s), ENOENT);
	CHECK_ERR(syscall(SYS_stat, "f/x", &s), ENOTDIR);
	CHECK_ERR(syscall(SYS_stat, "f/", &s), ENOTDIR);
	CHECK_ERR(syscall(SYS_lstat, "f/", &s), ENOTDIR);
	CHECK_ERR(syscall(SYS_lstat, "l/", &s), ENOTDIR);
	CHECK_ERR(syscall(SYS_stat, "l/x", &s), ENOTDIR);
	CHECK_ERR(syscall(SYS_fstat, 9999, &s), EBADF);
	CHECK_ERR(syscall(SYS_fstat, -1, &s), EBADF);

	/* EFAULT for a bad path or a bad buffer: unmapped, read-only, or too near a hole. */
	void *unmapped = test_unmapped_page();
	void *ro = test_map(PAGE_SIZE, PROT_READ);
	unsigned char *edge = test_page_before_hole() + PAGE_SIZE - sizeof(s) / 2;
	long fd = CHECK_SYS(open("f", O_RDONLY));
	CHECK_ERR(syscall(SYS_stat, NULL, &s), EFAULT);
	CHECK_ERR(syscall(SYS_stat, unmapped, &s), EFAULT);
	CHECK_ERR(syscall(SYS_lstat, unmapped, &s), EFAULT);
	CHECK_ERR(syscall(SYS_newfstatat, AT_FDCWD, unmapped, &s, 0), EFAULT);
	CHECK_ERR(syscall(SYS_statx, AT_FDCWD, unmapped, 0, STATX_BASIC_STATS, &s), EFAULT);
	CHECK_ERR(syscall(SYS_stat, "f", NULL), EFAULT);
	CHECK_ERR(syscall(SYS_stat, "f", unmapped), EFAULT);
	CHECK_ERR(syscall(SYS_stat, "f", ro), EFAULT);
	CHECK_ERR(syscall(SYS_stat, "f", edge), EFAULT);
	CHECK_ERR(syscall(SYS_lstat, "l", ro), EFAULT);
	CHECK_ERR(syscall(SYS_fstat, fd, NULL), EFAULT);
	CHECK_ERR(syscall(SYS_fstat, fd, ro), EFAULT);
	CHECK_ERR(syscall(SYS_fstat, fd, edge), EFAULT);
	CHECK_ERR(syscall(SYS_newfstatat, fd, "", ro, AT_EMPTY_PATH), EFAULT);
	CHECK_ERR(syscall(SYS_statx, AT_FDCWD, "f", 0, STATX_BASIC_STATS, NULL), EFAULT);
	CHECK_ERR(syscall(SYS_statx, AT_FDCWD, "f", 0, STATX_BASIC_STATS, ro), EFAULT);
	CHECK_ERR(syscall(SYS_statx, fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS, edge), EFAULT);
	CHECK_SYS(close(fd));
}

int main(void)
{
	fs_scratch_enter();
	files_and_links();
	directories();
	fstatat_calls();
	statx_calls();
	errors();
	fs_scratch_leave();
	return 0;
}
