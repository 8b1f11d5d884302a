/*
 * fs_util.h: scratch trees for the file-system tests.
 *
 * fs_scratch_enter() makes a directory /tmp/runsc-XXXXXX and changes into it, so that a test
 * works with short relative names. The tree is removed at exit even when a check fails:
 * test_fail() leaves through exit(), which runs atexit handlers, and the handler first takes
 * back the user and group ids the test started with (a test may drop to uid 65534 near its end
 * while keeping 0 as its saved uid). A passing test calls fs_scratch_leave(), which removes the
 * tree and checks that it is gone. Handlers that a test registers with atexit() after
 * fs_scratch_enter() run before the removal (unmounting, for instance).
 *
 * Only calls the sandbox has early are used here: openat, getdents64, fstatat, unlinkat,
 * mkdir, chdir.
 */
#ifndef RUNSC_TESTS_SYSCALLS_FS_UTIL_H
#define RUNSC_TESTS_SYSCALLS_FS_UTIL_H

#include <dirent.h> /* DT_* */
#include <fcntl.h>
#include <sys/stat.h>

#include "test.h"

/* struct fs_dirent64 is the record getdents64 fills in. */
struct fs_dirent64 {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

static char g_fs_scratch[32];
static uid_t g_fs_uid[3];
static gid_t g_fs_gid[3];

/*
 * fs_remove_tree_at removes name under dirfd and, for a directory, everything below it
 * (without following symlinks). Returns 0, or -1 with errno set.
 */
static inline int fs_remove_tree_at(int dirfd, const char *name)
{
	struct stat st;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
		return -1;
	if (!S_ISDIR(st.st_mode))
		return unlinkat(dirfd, name, 0);
	int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -1;
	/*
	 * Removing entries while reading a directory may make the reader skip some, so read it
	 * again from the start until a whole pass removes nothing.
	 */
	int removed;
	do {
		_Alignas(8) char buf[2048];
		long n;

		removed = 0;
		if (lseek(fd, 0, SEEK_SET) != 0)
			break;
		while ((n = syscall(SYS_getdents64, fd, buf, sizeof(buf))) > 0) {
			for (long off = 0; off < n;) {
				struct fs_dirent64 *d = (struct fs_dirent64 *)(buf + off);

				off += d->d_reclen;
				if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0)
					continue;
				if (fs_remove_tree_at(fd, d->d_name) == 0)
					removed++;
			}
		}
	} while (removed > 0);
	close(fd);
	return unlinkat(dirfd, name, AT_REMOVEDIR);
}

/* fs_restore_ids takes back the ids the test started with, as far as it can. */
static inline void fs_restore_ids(void)
{
	/* The saved uid lets the effective one come back first; then the rest may change. */
	syscall(SYS_setresuid, -1, g_fs_uid[1], -1);
	syscall(SYS_setresgid, g_fs_gid[0], g_fs_gid[1], g_fs_gid[2]);
	syscall(SYS_setresuid, g_fs_uid[0], g_fs_uid[1], g_fs_uid[2]);
}

static inline void fs_scratch_atexit(void)
{
	if (g_fs_scratch[0] == '\0')
		return;
	fs_restore_ids();
	if (chdir("/") != 0)
		return;
	fs_remove_tree_at(AT_FDCWD, g_fs_scratch);
	g_fs_scratch[0] = '\0';
}

/* fs_scratch_enter makes the scratch directory, changes into it and returns its path. */
static inline const char *fs_scratch_enter(void)
{
	CHECK(g_fs_scratch[0] == '\0');
	CHECK_SYS(syscall(SYS_getresuid, &g_fs_uid[0], &g_fs_uid[1], &g_fs_uid[2]));
	CHECK_SYS(syscall(SYS_getresgid, &g_fs_gid[0], &g_fs_gid[1], &g_fs_gid[2]));
	strcpy(g_fs_scratch, "/tmp/runsc-XXXXXX");
	if (mkdtemp(g_fs_scratch) == NULL) {
		g_fs_scratch[0] = '\0';
		test_fail(__FILE__, __LINE__, "mkdtemp: errno %s", test_errname(errno));
	}
	CHECK_EQ(atexit(fs_scratch_atexit), 0);
	CHECK_SYS(chdir(g_fs_scratch));
	return g_fs_scratch;
}

/* fs_scratch_leave removes the scratch tree of a passing test and checks that it is gone. */
static inline void fs_scratch_leave(void)
{
	struct stat st;
	char path[sizeof(g_fs_scratch)];

	CHECK(g_fs_scratch[0] != '\0');
	strcpy(path, g_fs_scratch);
	CHECK_SYS(chdir("/"));
	CHECK_SYS(fs_remove_tree_at(AT_FDCWD, path));
	g_fs_scratch[0] = '\0';
	CHECK_ERR(stat(path, &st), ENOENT);
}

/* fs_write_file creates (or truncates) path with mode 0644 and writes data to it. */
#define fs_write_file(path, data) fs_write_file_(__FILE__, __LINE__, path, data)
static inline void fs_write_file_(const char *file, int line, const char *path, const char *data)
{
	size_t len = strlen(data);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (fd < 0)
		test_fail(file, line, "open(%s): errno %s", path, test_errname(errno));
	if (write(fd, data, len) != (ssize_t)len)
		test_fail(file, line, "write(%s): errno %s", path, test_errname(errno));
	close(fd);
}

/*
 * fs_read_file reads at most size - 1 bytes of path into buf, NUL-terminates them and returns
 * their number.
 */
#define fs_read_file(path, buf, size) fs_read_file_(__FILE__, __LINE__, path, buf, size)
static inline long fs_read_file_(const char *file, int line, const char *path, char *buf,
                                 size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		test_fail(file, line, "open(%s): errno %s", path, test_errname(errno));
	long n = read(fd, buf, size - 1);
	if (n < 0)
		test_fail(file, line, "read(%s): errno %s", path, test_errname(errno));
	buf[n] = '\0';
	close(fd);
	return n;
}

/* fs_exists tells whether path names something (without following a final symlink). */
static inline int fs_exists(const char *path)
{
	struct stat st;

	return fstatat(AT_FDCWD, path, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

#endif /* RUNSC_TESTS_SYSCALLS_FS_UTIL_H */
