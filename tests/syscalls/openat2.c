/*
 * openat2: the extensible open, raw: struct open_how's size rules, its strict flag checks,
 * and the RESOLVE_* scoping of path lookup (BENEATH, IN_ROOT, NO_SYMLINKS, NO_XDEV within one
 * mount). Not here: RESOLVE_NO_MAGICLINKS (magic links live in /proc), RESOLVE_NO_XDEV
 * across mounts, RESOLVE_CACHED (depends on the dentry cache).
 *
 * The tree, in the scratch directory:
 *   secret            "escaped"      (outside the root)
 *   root/             the dirfd of the scoped lookups
 *   root/file         "file"
 *   root/secret       "contained"
 *   root/sub/file2    "file2"
 *   root/sub/up    -> ../file        (stays inside)
 *   root/dotdot    -> ../secret      (escapes, unless ".." stops at the root)
 *   root/abslink   -> /sub/file2     (absolute)
 *   root/sublink   -> sub
 */
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>

#include "fs_util.h"

/* The size of the first struct open_how (Linux's include/linux/fcntl.h, not in the uapi). */
#define OPEN_HOW_SIZE_VER0 24

static long sys_openat2(long dirfd, const char *path, const struct open_how *how, size_t size)
{
	return syscall(SYS_openat2, dirfd, path, how, size);
}

static long open_resolve(long dirfd, const char *path, unsigned long long flags,
                         unsigned long long resolve)
{
	struct open_how how = { .flags = flags, .resolve = resolve };

	return sys_openat2(dirfd, path, &how, sizeof(how));
}

/* check_reads expects open_resolve to succeed and the file to hold want. */
#define check_reads(dirfd, path, resolve, want)                                        \
	do {                                                                           \
		long cr_fd_ = CHECK_SYS(open_resolve(dirfd, path, O_RDONLY, resolve)); \
		char cr_buf_[32] = { 0 };                                              \
		CHECK_SYS(read(cr_fd_, cr_buf_, sizeof(cr_buf_) - 1));                 \
		CHECK_STREQ(cr_buf_, want);                                            \
		CHECK_SYS(close(cr_fd_));                                              \
	} while (0)

static void make_tree(void)
{
	fs_write_file("secret", "escaped");
	CHECK_SYS(mkdir("root", 0755));
	fs_write_file("root/file", "file");
	fs_write_file("root/secret", "contained");
	CHECK_SYS(mkdir("root/sub", 0755));
	fs_write_file("root/sub/file2", "file2");
	CHECK_SYS(symlink("../file", "root/sub/up"));
	CHECK_SYS(symlink("../secret", "root/dotdot"));
	CHECK_SYS(symlink("/sub/file2", "root/abslink"));
	CHECK_SYS(symlink("sub", "root/sublink"));
}

static void struct_rules(long root)
{
	struct open_how how = { .flags = O_RDONLY };

	/* Exactly version 0 works, as does a bigger struct whose extra bytes are zero. */
	long fd = CHECK_SYS(sys_openat2(root, "file", &how, OPEN_HOW_SIZE_VER0));
	CHECK_SYS(close(fd));
	struct {
		struct open_how how;
		unsigned char more[40];
	} big = { .how = { .flags = O_RDONLY } };
	fd = CHECK_SYS(sys_openat2(root, "file", &big.how, sizeof(big)));
	CHECK_SYS(close(fd));
	/* A nonzero byte the kernel does not know is E2BIG, wherever it is. */
	big.more[0] = 1;
	CHECK_ERR(sys_openat2(root, "file", &big.how, sizeof(big)), E2BIG);
	big.more[0] = 0;
	big.more[39] = 0x80;
	CHECK_ERR(sys_openat2(root, "file", &big.how, sizeof(big)), E2BIG);
	/* Too small is EINVAL; larger than a page is E2BIG. */
	CHECK_ERR(sys_openat2(root, "file", &how, 0), EINVAL);
	CHECK_ERR(sys_openat2(root, "file", &how, 16), EINVAL);
	CHECK_ERR(sys_openat2(root, "file", &how, OPEN_HOW_SIZE_VER0 - 1), EINVAL);
	static unsigned char page[2 * PAGE_SIZE];
	memcpy(page, &how, sizeof(how));
	CHECK_ERR(sys_openat2(root, "file", (struct open_how *)page, PAGE_SIZE + 1), E2BIG);
	/* The struct must be readable. */
	CHECK_ERR(sys_openat2(root, "file", NULL, sizeof(how)), EFAULT);
	CHECK_ERR(sys_openat2(root, "file", test_unmapped_page(), sizeof(how)), EFAULT);
	unsigned char *edge = test_page_before_hole() + PAGE_SIZE - 8;
	CHECK_ERR(sys_openat2(root, "file", (struct open_how *)edge, sizeof(how)), EFAULT);

	/* Unlike openat, openat2 rejects what it does not know instead of ignoring it. */
	CHECK_ERR(open_resolve(root, "file", 1ULL << 32, 0), EINVAL);
	CHECK_ERR(open_resolve(root, "file", 1ULL << 40, 0), EINVAL);
	CHECK_ERR(open_resolve(root, "file", O_RDONLY, 1ULL << 20), EINVAL);
	CHECK_ERR(open_resolve(root, "file", O_RDONLY, 1ULL << 63), EINVAL);
	CHECK_ERR(open_resolve(root, "file", O_RDONLY, RESOLVE_BENEATH | RESOLVE_IN_ROOT), EINVAL);
	/* O_PATH takes only O_DIRECTORY, O_NOFOLLOW and O_CLOEXEC along. */
	CHECK_ERR(open_resolve(root, "file", O_PATH | O_RDWR, 0), EINVAL);
	fd = CHECK_SYS(open_resolve(root, "file", O_PATH | O_NOFOLLOW | O_CLOEXEC, 0));
	CHECK_SYS(close(fd));

	/* A mode is allowed only when creating, and only permission bits. */
	how = (struct open_how){ .flags = O_RDONLY, .mode = 0600 };
	CHECK_ERR(sys_openat2(root, "file", &how, sizeof(how)), EINVAL);
	how = (struct open_how){ .flags = O_RDWR | O_CREAT, .mode = S_IFREG | 0600 };
	CHECK_ERR(sys_openat2(root, "made", &how, sizeof(how)), EINVAL);
	how.mode = 1ULL << 32 | 0600;
	CHECK_ERR(sys_openat2(root, "made", &how, sizeof(how)), EINVAL);
	CHECK_ERR(fstatat(root, "made", &(struct stat){ 0 }, 0), ENOENT);
	mode_t old = umask(022);
	how.mode = 0666;
	fd = CHECK_SYS(sys_openat2(root, "made", &how, sizeof(how)));
	struct stat st;
	CHECK_SYS(fstat(fd, &st));
	CHECK_EQ(st.st_mode, S_IFREG | 0644);
	CHECK_SYS(close(fd));
	umask(old);
	CHECK_SYS(unlinkat(root, "made", 0));

	/* Without RESOLVE flags it is openat. */
	check_reads(root, "file", 0, "file");
	check_reads(root, "sub/up", 0, "file");
	check_reads(root, "dotdot", 0, "escaped");
	check_reads(AT_FDCWD, "root/sublink/file2", 0, "file2");
	CHECK_ERR(open_resolve(root, "missing", O_RDONLY, 0), ENOENT);
	CHECK_ERR(open_resolve(root, "file/x", O_RDONLY, 0), ENOTDIR);
}

static void beneath(long root)
{
	const unsigned long long b = RESOLVE_BENEATH;

	/* Lookups that stay under dirfd work, ".." and symlinks included. */
	check_reads(root, "file", b, "file");
	check_reads(root, "sub/../file", b, "file");
	check_reads(root, "sub/up", b, "file");
	check_reads(root, "sublink/file2", b, "file2");
	check_reads(root, "./sub/./file2", b, "file2");
	/* Leaving it, or starting outside it, is EXDEV. */
	CHECK_ERR(open_resolve(root, "..", O_RDONLY, b), EXDEV);
	CHECK_ERR(open_resolve(root, "../secret", O_RDONLY, b), EXDEV);
	CHECK_ERR(open_resolve(root, "sub/../../secret", O_RDONLY, b), EXDEV);
	CHECK_ERR(open_resolve(root, "dotdot", O_RDONLY, b), EXDEV);
	CHECK_ERR(open_resolve(root, "abslink", O_RDONLY, b), EXDEV);
	CHECK_ERR(open_resolve(root, "/", O_RDONLY, b), EXDEV);
	CHECK_ERR(open_resolve(root, g_fs_scratch, O_RDONLY, b), EXDEV);
	/* Even when the escape would come back in. */
	CHECK_ERR(open_resolve(root, "../root/file", O_RDONLY, b), EXDEV);
	/* It is checked before creating anything. */
	struct open_how how = { .flags = O_RDWR | O_CREAT, .mode = 0600, .resolve = b };
	CHECK_ERR(sys_openat2(root, "../created", &how, sizeof(how)), EXDEV);
	CHECK(!fs_exists("created"));
	long fd = CHECK_SYS(sys_openat2(root, "sub/created", &how, sizeof(how)));
	CHECK_SYS(close(fd));
	CHECK_SYS(unlink("root/sub/created"));
	/* AT_FDCWD scopes the lookup to the working directory. */
	CHECK_SYS(chdir("root"));
	check_reads(AT_FDCWD, "sub/up", b, "file");
	CHECK_ERR(open_resolve(AT_FDCWD, "../secret", O_RDONLY, b), EXDEV);
	CHECK_SYS(chdir(".."));
}

static void in_root(long root)
{
	const unsigned long long r = RESOLVE_IN_ROOT;

	/* dirfd is "/": absolute paths and symlinks start there, and ".." stops there. */
	check_reads(root, "file", r, "file");
	check_reads(root, "/file", r, "file");
	check_reads(root, "/sub/file2", r, "file2");
	check_reads(root, "abslink", r, "file2");
	check_reads(root, "sub/up", r, "file");
	check_reads(root, "../secret", r, "contained");
	check_reads(root, "../../../../secret", r, "contained");
	check_reads(root, "dotdot", r, "contained");
	check_reads(root, "/../sub/../secret", r, "contained");
	long fd = CHECK_SYS(open_resolve(root, "..", O_RDONLY | O_DIRECTORY, r));
	struct stat a, b;
	CHECK_SYS(fstat(fd, &a));
	CHECK_SYS(fstat(root, &b));
	CHECK_EQ(a.st_ino, b.st_ino);
	CHECK_EQ(a.st_dev, b.st_dev);
	CHECK_SYS(close(fd));
	CHECK_ERR(open_resolve(root, "/secret/x", O_RDONLY, r), ENOTDIR);
	CHECK_ERR(open_resolve(root, "/missing", O_RDONLY, r), ENOENT);
}

static void no_symlinks(long root)
{
	const unsigned long long n = RESOLVE_NO_SYMLINKS;

	check_reads(root, "file", n, "file");
	check_reads(root, "sub/file2", n, "file2");
	/* Any symlink on the way is ELOOP, last component or not, inside the root or not. */
	CHECK_ERR(open_resolve(root, "sub/up", O_RDONLY, n), ELOOP);
	CHECK_ERR(open_resolve(root, "sublink/file2", O_RDONLY, n), ELOOP);
	CHECK_ERR(open_resolve(root, "abslink", O_RDONLY, n), ELOOP);
	CHECK_ERR(open_resolve(root, "sub/up", O_RDONLY | O_NOFOLLOW, n), ELOOP);
	CHECK_ERR(open_resolve(root, "sublink/file2", O_RDONLY, n | RESOLVE_BENEATH), ELOOP);
	/* Except a last one opened with O_PATH | O_NOFOLLOW: that is the link itself. */
	long fd = CHECK_SYS(open_resolve(root, "sub/up", O_PATH | O_NOFOLLOW, n));
	struct stat st;
	CHECK_SYS(fstat(fd, &st));
	CHECK(S_ISLNK(st.st_mode));
	CHECK_SYS(close(fd));

	/* RESOLVE_NO_XDEV within one mount changes nothing. */
	check_reads(root, "sub/up", RESOLVE_NO_XDEV, "file");
	check_reads(root, "sub/../file", RESOLVE_NO_XDEV | RESOLVE_BENEATH, "file");
}

int main(void)
{
	fs_scratch_enter();
	make_tree();
	long root = CHECK_SYS(open("root", O_RDONLY | O_DIRECTORY));
	struct_rules(root);
	beneath(root);
	in_root(root);
	no_symlinks(root);
	/* An fd that is not a directory, or none, as for openat. */
	long file = CHECK_SYS(open("secret", O_RDONLY));
	CHECK_ERR(open_resolve(file, "x", O_RDONLY, 0), ENOTDIR);
	CHECK_ERR(open_resolve(file, "x", O_RDONLY, RESOLVE_BENEATH), ENOTDIR);
	CHECK_ERR(open_resolve(9999, "x", O_RDONLY, RESOLVE_IN_ROOT), EBADF);
	CHECK_SYS(close(file));
	CHECK_SYS(close(root));
	fs_scratch_leave();
	return 0;
}
