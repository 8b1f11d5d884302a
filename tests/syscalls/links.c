/*
 * links: hard links (link, linkat, unlink, unlinkat), symlinks (symlink, symlinkat,
 * readlink, readlinkat), how lookup follows symlinks (relative targets, loops, the limit of
 * 40 per lookup, O_CREAT through a dangling one) and the rules for a trailing slash.
 */
#include <fcntl.h>
#include <sys/stat.h>

#include "fs_util.h"

/* Linux follows at most 40 symlinks in one lookup (MAXSYMLINKS). */
#define MAX_FOLLOWS 40

static struct stat do_lstat(const char *path)
{
	struct stat st;

	CHECK_SYS(syscall(SYS_lstat, path, &st));
	return st;
}

static long nlink(const char *path)
{
	return do_lstat(path).st_nlink;
}

static void check_contents(const char *path, const char *want)
{
	char buf[256];

	CHECK_EQ(fs_read_file(path, buf, sizeof(buf)), strlen(want));
	CHECK_STREQ(buf, want);
}

static void hard_links(void)
{
	fs_write_file("f", "data");
	CHECK_SYS(mkdir("d", 0755));

	/* Each link adds one to the count; all names are the same file. */
	CHECK_SYS(syscall(SYS_link, "f", "f2"));
	CHECK_EQ(nlink("f"), 2);
	CHECK_SYS(syscall(SYS_linkat, AT_FDCWD, "f", AT_FDCWD, "d/f3", 0));
	CHECK_EQ(nlink("f"), 3);
	CHECK_EQ(nlink("d/f3"), 3);
	CHECK_EQ(do_lstat("f2").st_ino, do_lstat("f").st_ino);
	fs_write_file("f2", "changed");
	check_contents("d/f3", "changed");
	/* Relative to directory fds. */
	long dfd = CHECK_SYS(open("d", O_RDONLY | O_DIRECTORY));
	long cwd = CHECK_SYS(open(".", O_RDONLY | O_DIRECTORY));
	CHECK_SYS(syscall(SYS_linkat, dfd, "f3", cwd, "f4", 0));
	CHECK_EQ(nlink("f"), 4);

	/* Errors: the new name exists, the old does not, a directory, unknown flags. */
	CHECK_ERR(syscall(SYS_link, "f", "f2"), EEXIST);
	CHECK_ERR(syscall(SYS_link, "f", "d"), EEXIST);
	CHECK_ERR(syscall(SYS_link, "missing", "new"), ENOENT);
	CHECK_ERR(syscall(SYS_link, "f", "missing/new"), ENOENT);
	CHECK_ERR(syscall(SYS_link, "f", "f2/new"), ENOTDIR);
	CHECK_ERR(syscall(SYS_link, "d", "dlink"), EPERM);
	CHECK_ERR(syscall(SYS_link, "", "new"), ENOENT);
	CHECK_ERR(syscall(SYS_link, "f", ""), ENOENT);
	CHECK_ERR(syscall(SYS_linkat, AT_FDCWD, "f", AT_FDCWD, "new", 0x1), EINVAL);
	CHECK_ERR(syscall(SYS_linkat, AT_FDCWD, "f", AT_FDCWD, "new", AT_REMOVEDIR), EINVAL);
	CHECK_ERR(syscall(SYS_linkat, 9999, "f", AT_FDCWD, "new", 0), EBADF);
	CHECK_ERR(syscall(SYS_linkat, AT_FDCWD, "f", 9999, "new", 0), EBADF);
	CHECK(!fs_exists("new"));
	CHECK_EQ(nlink("f"), 4);

	/* linkat links a symlink itself, or with AT_SYMLINK_FOLLOW its target. */
	CHECK_SYS(symlink("f", "sl"));
	CHECK_SYS(syscall(SYS_linkat, AT_FDCWD, "sl", AT_FDCWD, "sl_hard", 0));
	CHECK(S_ISLNK(do_lstat("sl_hard").st_mode));
	CHECK_EQ(nlink("sl"), 2);
	CHECK_EQ(nlink("f"), 4);
	CHECK_SYS(syscall(SYS_linkat, AT_FDCWD, "sl", AT_FDCWD, "sl_follow", AT_SYMLINK_FOLLOW));
	CHECK(S_ISREG(do_lstat("sl_follow").st_mode));
	CHECK_EQ(nlink("f"), 5);

	/* unlink takes one away; the data lives while a name or an fd does. */
	long fd = CHECK_SYS(open("f", O_RDONLY));
	CHECK_SYS(syscall(SYS_unlink, "f"));
	CHECK_EQ(nlink("f2"), 4);
	CHECK(!fs_exists("f"));
	CHECK_SYS(syscall(SYS_unlinkat, dfd, "f3", 0));
	CHECK_SYS(syscall(SYS_unlinkat, cwd, "f4", 0));
	CHECK_SYS(syscall(SYS_unlink, "sl_follow"));
	CHECK_SYS(syscall(SYS_unlink, "f2"));
	struct stat st;
	CHECK_SYS(fstat(fd, &st));
	CHECK_EQ(st.st_nlink, 0);
	char buf[16];
	CHECK_EQ(pread(fd, buf, sizeof(buf), 0), 7);
	CHECK(memcmp(buf, "changed", 7) == 0);
	CHECK_SYS(close(fd));
	/* The symlink "sl" is dangling now; unlinking it leaves its hard link. */
	CHECK_SYS(syscall(SYS_unlink, "sl"));
	CHECK_EQ(nlink("sl_hard"), 1);
	CHECK_SYS(syscall(SYS_unlink, "sl_hard"));

	/* unlink and directories: EISDIR; unlinkat(AT_REMOVEDIR) is rmdir. */
	fs_write_file("f", "data");
	CHECK_SYS(mkdir("d/sub", 0755));
	CHECK_ERR(syscall(SYS_unlink, "d"), EISDIR);
	CHECK_ERR(syscall(SYS_unlinkat, AT_FDCWD, "d", 0), EISDIR);
	CHECK_ERR(syscall(SYS_unlinkat, dfd, "sub", 0), EISDIR);
	CHECK_ERR(syscall(SYS_unlinkat, AT_FDCWD, "f", AT_REMOVEDIR), ENOTDIR);
	CHECK_ERR(syscall(SYS_unlinkat, AT_FDCWD, "d", AT_REMOVEDIR), ENOTEMPTY);
	CHECK_ERR(syscall(SYS_unlinkat, AT_FDCWD, "f", AT_SYMLINK_NOFOLLOW), EINVAL);
	CHECK_ERR(syscall(SYS_unlinkat, AT_FDCWD, "f", 0x1), EINVAL);
	CHECK_SYS(syscall(SYS_unlinkat, dfd, "sub", AT_REMOVEDIR));
	CHECK(!fs_exists("d/sub"));
	CHECK_ERR(syscall(SYS_unlink, "missing"), ENOENT);
	CHECK_ERR(syscall(SYS_unlink, "missing/x"), ENOENT);
	CHECK_ERR(syscall(SYS_unlink, "f/x"), ENOTDIR);
	CHECK_ERR(syscall(SYS_unlink, ""), ENOENT);
	CHECK_ERR(syscall(SYS_unlink, "."), EISDIR);
	CHECK_ERR(syscall(SYS_unlinkat, 9999, "f", 0), EBADF);
	long ffd = CHECK_SYS(open("f", O_RDONLY));
	CHECK_ERR(syscall(SYS_unlinkat, ffd, "x", 0), ENOTDIR);
	CHECK_SYS(close(ffd));
	CHECK_SYS(close(cwd));
	CHECK_SYS(close(dfd));
}

static void symlinks(void)
{
	/* symlink stores any text, existing or not; lstat's size is its length. */
	CHECK_SYS(syscall(SYS_symlink, "f", "l"));
	CHECK_SYS(syscall(SYS_symlink, "no/such/thing", "dangling"));
	CHECK_EQ(do_lstat("dangling").st_size, 13);
	long dfd = CHECK_SYS(open("d", O_RDONLY | O_DIRECTORY));
	CHECK_SYS(syscall(SYS_symlinkat, "../f", dfd, "up"));
	CHECK_SYS(syscall(SYS_symlinkat, "d", AT_FDCWD, "dl"));
	/* A relative target is relative to the link's directory. */
	check_contents("d/up", "data");
	check_contents("dl/up", "data");
	/* An absolute one is absolute. */
	char abs[64];
	snprintf(abs, sizeof(abs), "%s/f", g_fs_scratch);
	CHECK_SYS(syscall(SYS_symlink, abs, "d/abs"));
	check_contents("d/abs", "data");

	/* Errors: the name exists, an empty target, a bad parent, a bad dirfd. */
	CHECK_ERR(syscall(SYS_symlink, "x", "l"), EEXIST);
	CHECK_ERR(syscall(SYS_symlink, "x", "d"), EEXIST);
	CHECK_ERR(syscall(SYS_symlink, "x", "dangling"), EEXIST);
	CHECK_ERR(syscall(SYS_symlink, "", "empty"), ENOENT);
	CHECK_ERR(syscall(SYS_symlink, "x", ""), ENOENT);
	CHECK_ERR(syscall(SYS_symlink, "x", "missing/new"), ENOENT);
	CHECK_ERR(syscall(SYS_symlink, "x", "f/new"), ENOTDIR);
	CHECK_ERR(syscall(SYS_symlinkat, "x", 9999, "new"), EBADF);
	/* A target of PATH_MAX - 1 bytes is fine, PATH_MAX is too long. */
	static char target[PATH_MAX + 1];
	memset(target, 'x', PATH_MAX - 1);
	CHECK_SYS(syscall(SYS_symlink, target, "longest"));
	CHECK_EQ(do_lstat("longest").st_size, PATH_MAX - 1);
	static char got[PATH_MAX + 1];
	CHECK_EQ(syscall(SYS_readlink, "longest", got, sizeof(got)), PATH_MAX - 1);
	CHECK(memcmp(got, target, PATH_MAX - 1) == 0);
	CHECK_SYS(unlink("longest"));
	target[PATH_MAX - 1] = 'x';
	CHECK_ERR(syscall(SYS_symlink, target, "toolong"), ENAMETOOLONG);

	/* readlink returns the bytes without a NUL, truncating silently. */
	char buf[32];
	memset(buf, '#', sizeof(buf));
	CHECK_EQ(syscall(SYS_readlink, "dangling", buf, sizeof(buf)), 13);
	CHECK(memcmp(buf, "no/such/thing#", 14) == 0);
	memset(buf, '#', sizeof(buf));
	CHECK_EQ(syscall(SYS_readlink, "dangling", buf, 5L), 5);
	CHECK(memcmp(buf, "no/su#", 6) == 0);
	CHECK_EQ(syscall(SYS_readlink, "dangling", buf, 1L), 1);
	CHECK_EQ(syscall(SYS_readlinkat, dfd, "up", buf, sizeof(buf)), 4);
	CHECK(memcmp(buf, "../f", 4) == 0);
	CHECK_EQ(syscall(SYS_readlinkat, AT_FDCWD, "d/up", buf, sizeof(buf)), 4);
	/* Symlinks before the last component are followed. */
	CHECK_EQ(syscall(SYS_readlink, "dl/up", buf, sizeof(buf)), 4);
	/* readlinkat with "" reads the link an O_PATH | O_NOFOLLOW fd refers to. */
	long lfd = CHECK_SYS(open("dangling", O_PATH | O_NOFOLLOW));
	CHECK_EQ(syscall(SYS_readlinkat, lfd, "", buf, sizeof(buf)), 13);
	CHECK_SYS(close(lfd));
	/* For an fd of something else it is ENOENT, as for any "". */
	long ffd = CHECK_SYS(open("f", O_PATH));
	CHECK_ERR(syscall(SYS_readlinkat, ffd, "", buf, sizeof(buf)), ENOENT);
	CHECK_ERR(syscall(SYS_readlink, "", buf, sizeof(buf)), ENOENT);

	/* EINVAL: not a symlink, or no room at all. */
	CHECK_ERR(syscall(SYS_readlink, "f", buf, sizeof(buf)), EINVAL);
	CHECK_ERR(syscall(SYS_readlink, "d", buf, sizeof(buf)), EINVAL);
	CHECK_ERR(syscall(SYS_readlink, "dl/", buf, sizeof(buf)), EINVAL);
	CHECK_ERR(syscall(SYS_readlink, "/", buf, sizeof(buf)), EINVAL);
	CHECK_ERR(syscall(SYS_readlink, "l", buf, 0L), EINVAL);
	CHECK_ERR(syscall(SYS_readlink, "l", buf, -1L), EINVAL);
	CHECK_ERR(syscall(SYS_readlink, "missing", buf, sizeof(buf)), ENOENT);
	CHECK_ERR(syscall(SYS_readlink, "f/x", buf, sizeof(buf)), ENOTDIR);
	CHECK_ERR(syscall(SYS_readlinkat, ffd, "x", buf, sizeof(buf)), ENOTDIR);
	CHECK_ERR(syscall(SYS_readlink, "l", NULL, sizeof(buf)), EFAULT);
	CHECK_ERR(syscall(SYS_readlink, "l", test_map(PAGE_SIZE, PROT_READ), sizeof(buf)), EFAULT);
	CHECK_SYS(close(ffd));
	CHECK_SYS(close(dfd));
}

static void loops_and_limits(void)
{
	struct stat st;

	/* A loop, and a link to itself: ELOOP to follow, fine to lstat and readlink. */
	CHECK_SYS(symlink("b", "a"));
	CHECK_SYS(symlink("a", "b"));
	CHECK_SYS(symlink("self", "self"));
	CHECK_ERR(syscall(SYS_stat, "a", &st), ELOOP);
	CHECK_ERR(syscall(SYS_stat, "self", &st), ELOOP);
	CHECK_ERR(open("a", O_RDONLY), ELOOP);
	CHECK_ERR(open("a", O_WRONLY | O_CREAT, 0600), ELOOP);
	CHECK_ERR(syscall(SYS_stat, "a/x", &st), ELOOP);
	CHECK_ERR(syscall(SYS_chdir, "self"), ELOOP);
	CHECK(S_ISLNK(do_lstat("a").st_mode));
	char buf[8];
	CHECK_EQ(syscall(SYS_readlink, "a", buf, sizeof(buf)), 1);
	CHECK_SYS(unlink("a"));
	CHECK_SYS(unlink("b"));
	CHECK_SYS(unlink("self"));

	/* A chain c00 -> c01 -> ... -> c39 -> f takes 40 follows: just allowed. */
	for (int i = 0; i < MAX_FOLLOWS; i++) {
		char name[8], next[8];

		snprintf(name, sizeof(name), "c%02d", i);
		if (i == MAX_FOLLOWS - 1)
			strcpy(next, "f");
		else
			snprintf(next, sizeof(next), "c%02d", i + 1);
		CHECK_SYS(symlink(next, name));
	}
	CHECK_SYS(syscall(SYS_stat, "c00", &st));
	CHECK(S_ISREG(st.st_mode));
	check_contents("c00", "data");
	/* One more link in front is 41: ELOOP. */
	CHECK_SYS(symlink("c00", "c41"));
	CHECK_ERR(syscall(SYS_stat, "c41", &st), ELOOP);
	CHECK_ERR(open("c41", O_RDONLY), ELOOP);
	CHECK_SYS(syscall(SYS_lstat, "c41", &st));
	/* The count is per lookup: a followed directory link counts too. */
	CHECK_SYS(symlink(".", "dot"));
	CHECK_SYS(syscall(SYS_stat, "dot/c01", &st));
	CHECK_ERR(syscall(SYS_stat, "dot/c00", &st), ELOOP);
	/* Many links in one path, each resolving in one step, count the same way. */
	char path[256] = "";
	for (int i = 0; i < MAX_FOLLOWS; i++)
		strcat(path, "dot/");
	strcat(path, "f");
	CHECK_SYS(syscall(SYS_stat, path, &st));
	memmove(path + 4, path, strlen(path) + 1);
	memcpy(path, "dot/", 4);
	CHECK_ERR(syscall(SYS_stat, path, &st), ELOOP);
	CHECK_SYS(unlink("dot"));
	CHECK_SYS(unlink("c41"));
	for (int i = 0; i < MAX_FOLLOWS; i++) {
		char name[8];

		snprintf(name, sizeof(name), "c%02d", i);
		CHECK_SYS(unlink(name));
	}
}

static void create_through_links(void)
{
	/* O_CREAT through a dangling symlink creates its target, relative to the link. */
	CHECK_SYS(symlink("target", "d/dangling"));
	long fd = CHECK_SYS(open("d/dangling", O_WRONLY | O_CREAT, 0600));
	CHECK_EQ(write(fd, "made", 4), 4);
	CHECK_SYS(close(fd));
	check_contents("d/target", "made");
	CHECK(!fs_exists("target"));
	/* Not with O_EXCL, and not when the target's directory is missing. */
	CHECK_SYS(symlink("other", "d/dangling2"));
	CHECK_ERR(open("d/dangling2", O_WRONLY | O_CREAT | O_EXCL, 0600), EEXIST);
	CHECK(!fs_exists("d/other"));
	CHECK_SYS(symlink("missing/target", "d/dangling3"));
	CHECK_ERR(open("d/dangling3", O_WRONLY | O_CREAT, 0600), ENOENT);
	/* mkdir does not follow a dangling symlink. */
	CHECK_ERR(mkdir("d/dangling2", 0755), EEXIST);
	CHECK(!fs_exists("d/other"));
}

static void trailing_slashes(void)
{
	struct stat st;

	/* A trailing slash asks for a directory. */
	CHECK_ERR(open("f/", O_RDONLY), ENOTDIR);
	CHECK_ERR(open("f/", O_WRONLY | O_CREAT, 0600), EISDIR);
	CHECK_ERR(open("new/", O_WRONLY | O_CREAT, 0600), EISDIR);
	CHECK_ERR(open("new/", O_RDONLY), ENOENT);
	CHECK(!fs_exists("new"));
	long fd = CHECK_SYS(open("d/", O_RDONLY));
	CHECK_SYS(close(fd));
	CHECK_ERR(syscall(SYS_stat, "f/", &st), ENOTDIR);
	CHECK_ERR(syscall(SYS_stat, "f//", &st), ENOTDIR);
	CHECK_SYS(syscall(SYS_stat, "d//", &st));
	CHECK_SYS(syscall(SYS_mkdir, "newdir/", 0755));
	CHECK(S_ISDIR(do_lstat("newdir").st_mode));
	CHECK_SYS(syscall(SYS_rmdir, "newdir/"));
	/* With a trailing slash lstat follows a final symlink to a directory. */
	CHECK(S_ISLNK(do_lstat("dl").st_mode));
	CHECK(S_ISDIR(do_lstat("dl/").st_mode));
	CHECK_ERR(syscall(SYS_lstat, "l/", &st), ENOTDIR);
	CHECK_ERR(syscall(SYS_lstat, "d/dangling2/", &st), ENOENT);
	/* unlink and rmdir do not: they act on the name. */
	CHECK_ERR(syscall(SYS_unlink, "f/"), ENOTDIR);
	CHECK_ERR(syscall(SYS_unlink, "d/"), EISDIR);
	CHECK_ERR(syscall(SYS_unlink, "missing/"), ENOENT);
	CHECK_ERR(syscall(SYS_unlink, "dl/"), ENOTDIR);
	CHECK_ERR(syscall(SYS_rmdir, "dl/"), ENOTDIR);
	CHECK(S_ISLNK(do_lstat("dl").st_mode));
	/* A new non-directory cannot have a trailing slash. */
	CHECK_ERR(syscall(SYS_link, "f", "new/"), ENOENT);
	CHECK_ERR(syscall(SYS_symlink, "f", "new/"), ENOENT);
	CHECK_ERR(syscall(SYS_link, "f/", "new"), ENOTDIR);
	CHECK_ERR(mknod("new/", S_IFIFO | 0600, 0), ENOENT);
	CHECK(!fs_exists("new"));
}

int main(void)
{
	fs_scratch_enter();
	hard_links();
	symlinks();
	loops_and_limits();
	create_through_links();
	trailing_slashes();
	fs_scratch_leave();
	return 0;
}
