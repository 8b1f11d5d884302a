/*
 * path_errors: the errors of path lookup, for every path-taking call at once: ENAMETOOLONG
 * (a component of 256 bytes, a path of PATH_MAX bytes), EFAULT (a path the kernel cannot
 * read), ENOENT (the empty path), ENOTDIR (a file used as a directory, "file/." too), and
 * the paths that do resolve: "dir/..", repeated slashes, "./" up to PATH_MAX - 1 bytes.
 * EXDEV across mounts is in mount_tmpfs.
 */
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/time.h>

#include "fs_util.h"

/*
 * CHECK_PATHS(p, err) runs every path call with p as its (only, or each) path and expects -1
 * with errno err from each. Calls that create are given p as the new name.
 */
#define CHECK_PATHS(p, err)                                                                   \
	do {                                                                                  \
		struct stat st_;                                                              \
		struct statfs sf_;                                                            \
		struct statx sx_;                                                             \
		char buf_[64];                                                                \
		const char *p_ = (p);                                                         \
		CHECK_ERR(syscall(SYS_stat, p_, &st_), err);                                  \
		CHECK_ERR(syscall(SYS_lstat, p_, &st_), err);                                 \
		CHECK_ERR(syscall(SYS_newfstatat, AT_FDCWD, p_, &st_, 0), err);               \
		CHECK_ERR(syscall(SYS_open, p_, O_RDONLY), err);                              \
		CHECK_ERR(syscall(SYS_open, p_, O_RDWR | O_CREAT, 0600), err);                \
		CHECK_ERR(syscall(SYS_openat, AT_FDCWD, p_, O_RDONLY), err);                  \
		CHECK_ERR(syscall(SYS_creat, p_, 0600), err);                                 \
		CHECK_ERR(syscall(SYS_mkdir, p_, 0755), err);                                 \
		CHECK_ERR(syscall(SYS_rmdir, p_), err);                                       \
		CHECK_ERR(syscall(SYS_unlink, p_), err);                                      \
		CHECK_ERR(syscall(SYS_unlinkat, AT_FDCWD, p_, AT_REMOVEDIR), err);            \
		CHECK_ERR(syscall(SYS_rename, p_, "new"), err);                               \
		CHECK_ERR(syscall(SYS_rename, "file", p_), err);                              \
		CHECK_ERR(syscall(SYS_link, p_, "new"), err);                                 \
		CHECK_ERR(syscall(SYS_link, "file", p_), err);                                \
		CHECK_ERR(syscall(SYS_symlink, "target", p_), err);                           \
		CHECK_ERR(syscall(SYS_readlink, p_, buf_, sizeof(buf_)), err);                \
		CHECK_ERR(syscall(SYS_chdir, p_), err);                                       \
		CHECK_ERR(syscall(SYS_access, p_, F_OK), err);                                \
		CHECK_ERR(syscall(SYS_chmod, p_, 0644), err);                                 \
		CHECK_ERR(syscall(SYS_chown, p_, 0, 0), err);                                 \
		CHECK_ERR(syscall(SYS_lchown, p_, 0, 0), err);                                \
		CHECK_ERR(syscall(SYS_truncate, p_, 0L), err);                                \
		CHECK_ERR(syscall(SYS_mknod, p_, S_IFIFO | 0600, 0L), err);                   \
		CHECK_ERR(syscall(SYS_statfs, p_, &sf_), err);                                \
		CHECK_ERR(syscall(SYS_utimensat, AT_FDCWD, p_, NULL, 0), err);                \
		CHECK_ERR(syscall(SYS_utimes, p_, NULL), err);                                \
		CHECK_ERR(syscall(SYS_getxattr, p_, "user.x", buf_, sizeof(buf_)), err);      \
		CHECK_ERR(syscall(SYS_statx, AT_FDCWD, p_, 0, STATX_BASIC_STATS, &sx_), err); \
	} while (0)

/* check_nothing_made checks that the failed calls left the tree as it was. */
static void check_nothing_made(void)
{
	CHECK(!fs_exists("new"));
	CHECK(fs_exists("file"));
	struct stat st;
	CHECK_SYS(stat("file", &st));
	CHECK_EQ(st.st_mode, S_IFREG | 0644);
	CHECK_EQ(st.st_nlink, 1);
}

static void name_too_long(void)
{
	/* A component of 256 bytes, last or not. */
	char name[NAME_MAX + 2];
	memset(name, 'n', NAME_MAX + 1);
	name[NAME_MAX + 1] = '\0';
	CHECK_PATHS(name, ENAMETOOLONG);
	char path[NAME_MAX + 16];
	snprintf(path, sizeof(path), "%s/x", name);
	CHECK_PATHS(path, ENAMETOOLONG);
	snprintf(path, sizeof(path), "dir/%s", name);
	CHECK_PATHS(path, ENAMETOOLONG);
	/* Checked before the directory is searched: a missing one does not matter. */
	snprintf(path, sizeof(path), "missing/%s", name);
	CHECK_ERR(syscall(SYS_mkdir, path, 0755), ENOENT);
	CHECK_ERR(syscall(SYS_stat, path, &(struct stat){ 0 }), ENOENT);
	check_nothing_made();
	/* 255 bytes are fine. */
	name[NAME_MAX] = '\0';
	CHECK_SYS(syscall(SYS_mkdir, name, 0755));
	CHECK_SYS(syscall(SYS_rmdir, name));
	long fd = CHECK_SYS(syscall(SYS_open, name, O_RDWR | O_CREAT | O_EXCL, 0600));
	CHECK_SYS(close(fd));
	CHECK_SYS(syscall(SYS_rename, name, "renamed"));
	CHECK_SYS(syscall(SYS_symlink, "renamed", name));
	CHECK_SYS(syscall(SYS_unlink, name));
	CHECK_SYS(syscall(SYS_unlink, "renamed"));

	/* A path of PATH_MAX bytes, whatever it is made of. */
	static char long_path[PATH_MAX + 1];
	memset(long_path, 'p', PATH_MAX);
	CHECK_PATHS(long_path, ENAMETOOLONG);
	for (int i = 0; i < PATH_MAX; i += 2)
		memcpy(long_path + i, "./", 2);
	CHECK_PATHS(long_path, ENAMETOOLONG);
	memset(long_path, '/', PATH_MAX);
	CHECK_PATHS(long_path, ENAMETOOLONG);
	/* One byte less fits: "./" repeated and then the name of the file. */
	long_path[PATH_MAX - 1] = '\0';
	for (int i = 0; i < PATH_MAX - 2; i += 2)
		memcpy(long_path + i, "./", 2);
	long_path[PATH_MAX - 2] = 'f';
	CHECK_EQ(strlen(long_path), PATH_MAX - 1);
	fs_write_file("f", "found");
	struct stat st;
	CHECK_SYS(syscall(SYS_stat, long_path, &st));
	CHECK_EQ(st.st_size, 5);
	fd = CHECK_SYS(syscall(SYS_open, long_path, O_RDONLY));
	CHECK_SYS(close(fd));
	CHECK_SYS(syscall(SYS_unlink, long_path));
	CHECK_SYS(syscall(SYS_mkdir, long_path, 0755));
	CHECK_SYS(syscall(SYS_chdir, long_path));
	CHECK_SYS(syscall(SYS_chdir, ".."));
	CHECK_SYS(syscall(SYS_rmdir, long_path));
	CHECK(!fs_exists("f"));
	/* Slashes count too: PATH_MAX - 1 of them name the root. */
	memset(long_path, '/', PATH_MAX - 1);
	CHECK_SYS(syscall(SYS_stat, long_path, &st));
	struct stat root;
	CHECK_SYS(syscall(SYS_stat, "/", &root));
	CHECK_EQ(st.st_ino, root.st_ino);
}

static void bad_pointers(void)
{
	void *bad[4];
	bad[0] = NULL;
	bad[1] = test_unmapped_page();
	bad[2] = (void *)0xffff800000000000UL;
	/* A name whose NUL would be on an unmapped page. */
	char *edge = (char *)test_page_before_hole() + PAGE_SIZE - 4;
	memcpy(edge, "file", 4);
	bad[3] = edge;

	for (int i = 0; i < 4; i++) {
		CHECK_PATHS(bad[i], EFAULT);
		/* The other path of two-path calls. */
		CHECK_ERR(syscall(SYS_symlink, bad[i], "new"), EFAULT);
		CHECK_ERR(syscall(SYS_renameat2, AT_FDCWD, "file", AT_FDCWD, bad[i], 0), EFAULT);
		CHECK_ERR(syscall(SYS_linkat, AT_FDCWD, bad[i], AT_FDCWD, "new", 0), EFAULT);
		CHECK_ERR(syscall(SYS_fchownat, AT_FDCWD, bad[i], 0, 0, 0), EFAULT);
		CHECK_ERR(syscall(SYS_fchmodat, AT_FDCWD, bad[i], 0644), EFAULT);
		CHECK_ERR(syscall(SYS_mkdirat, AT_FDCWD, bad[i], 0755), EFAULT);
		CHECK_ERR(syscall(SYS_faccessat, AT_FDCWD, bad[i], F_OK), EFAULT);
	}
	check_nothing_made();
}

static void empty_and_notdir(void)
{
	/* The empty path names nothing. */
	CHECK_PATHS("", ENOENT);
	CHECK_ERR(syscall(SYS_symlink, "", "new"), ENOENT);
	check_nothing_made();

	/* A file used as a directory, also with "." or ".." after it. */
	CHECK_PATHS("file/x", ENOTDIR);
	CHECK_PATHS("file/.", ENOTDIR);
	CHECK_PATHS("file/..", ENOTDIR);
	CHECK_PATHS("file/./x", ENOTDIR);
	CHECK_PATHS("link/x", ENOTDIR);
	CHECK_PATHS("dir/file/.", ENOTDIR);
	/* The first error on the way wins. */
	CHECK_PATHS("missing/..", ENOENT);
	CHECK_PATHS("missing/file/x", ENOENT);
	CHECK_PATHS("dangling/x", ENOENT);
	check_nothing_made();
}

static void resolving(void)
{
	struct stat a, b;

	/* "..", ".", repeated and trailing slashes. */
	CHECK_SYS(syscall(SYS_stat, "dir/..", &a));
	CHECK_SYS(syscall(SYS_stat, ".", &b));
	CHECK_EQ(a.st_ino, b.st_ino);
	CHECK_SYS(syscall(SYS_stat, "dir/./sub/../file", &a));
	CHECK_SYS(syscall(SYS_stat, "dir//file", &b));
	CHECK_EQ(a.st_ino, b.st_ino);
	CHECK_SYS(syscall(SYS_stat, "./dir///sub//", &a));
	CHECK(S_ISDIR(a.st_mode));
	/* ".." at the root is the root; "//" is "/". */
	CHECK_SYS(syscall(SYS_stat, "/..", &a));
	CHECK_SYS(syscall(SYS_stat, "/", &b));
	CHECK_EQ(a.st_ino, b.st_ino);
	CHECK_SYS(syscall(SYS_stat, "//../../..", &a));
	CHECK_EQ(a.st_ino, b.st_ino);
	/* The scratch directory by an absolute path with detours. */
	char path[128];
	snprintf(path, sizeof(path), "/../%s/dir/../dir/sub/../..//", g_fs_scratch + 1);
	CHECK_SYS(syscall(SYS_stat, path, &a));
	CHECK_SYS(syscall(SYS_stat, ".", &b));
	CHECK_EQ(a.st_ino, b.st_ino);
	/* A symlink to a directory followed by "..": the directory's parent, not the link's. */
	CHECK_SYS(syscall(SYS_stat, "sublink/..", &a));
	CHECK_SYS(syscall(SYS_stat, "dir", &b));
	CHECK_EQ(a.st_ino, b.st_ino);
	/* Created through "." and "..". */
	CHECK_SYS(syscall(SYS_mkdir, "dir/sub/../made", 0755));
	CHECK(fs_exists("dir/made"));
	CHECK_SYS(syscall(SYS_rmdir, "./dir/./made"));
}

int main(void)
{
	fs_scratch_enter();
	CHECK_SYS(umask(022));
	fs_write_file("file", "data");
	CHECK_SYS(mkdir("dir", 0755));
	CHECK_SYS(mkdir("dir/sub", 0755));
	fs_write_file("dir/file", "data");
	CHECK_SYS(symlink("file", "link"));
	CHECK_SYS(symlink("dir/sub", "sublink"));
	CHECK_SYS(symlink("missing", "dangling"));
	name_too_long();
	bad_pointers();
	empty_and_notdir();
	resolving();
	fs_scratch_leave();
	return 0;
}
