/*
 * attrs: file attributes: chmod, chown, timestamps (utimensat, utimes, futimesat, utime),
 * truncate, fallocate, access, umask; then, as uid 65534 with 0 kept as the saved uid, the
 * permission checks that root's capabilities bypass (EACCES, EPERM).
 *
 * The test runs as root. Taking the effective uid back through the saved uid at the end needs
 * no new process, so the scratch tree can still be removed.
 */
#include <fcntl.h>
#include <grp.h>
#include <time.h>
#include <utime.h>
#include <linux/falloc.h>
#include <sys/stat.h>
#include <sys/time.h>

#include "fs_util.h"

#define NOBODY 65534

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

static mode_t mode_of(const char *path)
{
	return do_lstat(path).st_mode & 07777;
}

static void set_times(const char *path, long atime, long mtime)
{
	struct timespec ts[2] = { { atime, 0 }, { mtime, 0 } };

	CHECK_SYS(syscall(SYS_utimensat, AT_FDCWD, path, ts, AT_SYMLINK_NOFOLLOW));
}

static void modes(void)
{
	fs_write_file("f", "0123456789");
	CHECK_SYS(mkdir("d", 0755));
	CHECK_SYS(symlink("f", "l"));

	CHECK_SYS(syscall(SYS_chmod, "f", 0640));
	CHECK_EQ(mode_of("f"), 0640);
	/* Root keeps the set-id and sticky bits; only the low 12 bits count. */
	CHECK_SYS(syscall(SYS_chmod, "f", 07755));
	CHECK_EQ(mode_of("f"), 07755);
	CHECK_SYS(syscall(SYS_chmod, "f", S_IFDIR | 0600));
	CHECK_EQ(do_lstat("f").st_mode, S_IFREG | 0600);
	CHECK_SYS(syscall(SYS_chmod, "d", 01777));
	CHECK_EQ(mode_of("d"), 01777);
	CHECK(S_ISDIR(do_lstat("d").st_mode));
	/* Through a symlink, the target changes. */
	mode_t link_mode = mode_of("l");
	CHECK_SYS(syscall(SYS_chmod, "l", 0604));
	CHECK_EQ(mode_of("f"), 0604);
	CHECK_EQ(mode_of("l"), link_mode);
	/* fchmod and fchmodat. */
	long fd = CHECK_SYS(open("f", O_RDONLY));
	CHECK_SYS(syscall(SYS_fchmod, fd, 0664));
	CHECK_EQ(mode_of("f"), 0664);
	long dfd = CHECK_SYS(open("d", O_RDONLY | O_DIRECTORY));
	CHECK_SYS(syscall(SYS_fchmod, dfd, 0750));
	CHECK_EQ(mode_of("d"), 0750);
	fs_write_file("d/in", "");
	CHECK_SYS(syscall(SYS_fchmodat, dfd, "in", 0611));
	CHECK_EQ(mode_of("d/in"), 0611);
	CHECK_SYS(syscall(SYS_fchmodat, AT_FDCWD, "l", 0644));
	CHECK_EQ(mode_of("f"), 0644);
	/* chmod changes the change time, not the modification time. */
	set_times("f", 1000, 1000);
	CHECK_SYS(syscall(SYS_chmod, "f", 0600));
	struct stat st = do_stat("f");
	CHECK_EQ(st.st_mtim.tv_sec, 1000);
	CHECK(st.st_ctim.tv_sec > 1000);
	/* Errors. */
	CHECK_ERR(syscall(SYS_chmod, "missing", 0644), ENOENT);
	CHECK_ERR(syscall(SYS_chmod, "f/x", 0644), ENOTDIR);
	CHECK_ERR(syscall(SYS_chmod, "", 0644), ENOENT);
	CHECK_ERR(syscall(SYS_fchmod, 9999, 0644), EBADF);
	CHECK_ERR(syscall(SYS_fchmodat, fd, "x", 0644), ENOTDIR);
	CHECK_ERR(syscall(SYS_fchmodat, 9999, "f", 0644), EBADF);
	CHECK_SYS(close(dfd));
	CHECK_SYS(close(fd));
}

static void owners(void)
{
	/* Root gives a file away; -1 leaves an id as it is. */
	CHECK_SYS(syscall(SYS_chown, "f", 1000, 1000));
	struct stat st = do_stat("f");
	CHECK_EQ(st.st_uid, 1000);
	CHECK_EQ(st.st_gid, 1000);
	CHECK_SYS(syscall(SYS_chown, "f", -1, 2000));
	st = do_stat("f");
	CHECK_EQ(st.st_uid, 1000);
	CHECK_EQ(st.st_gid, 2000);
	CHECK_SYS(syscall(SYS_chown, "f", -1, -1));
	CHECK_EQ(do_stat("f").st_gid, 2000);
	/* A change of owner clears the set-user-id bit, and set-group-id with group exec. */
	CHECK_SYS(syscall(SYS_chmod, "f", 06755));
	CHECK_SYS(syscall(SYS_chown, "f", 1000, 1000));
	CHECK_EQ(mode_of("f"), 0755);
	/* Not on a directory. */
	CHECK_SYS(syscall(SYS_chmod, "d", 02755));
	CHECK_SYS(syscall(SYS_chown, "d", 1000, 1000));
	CHECK_EQ(mode_of("d"), 02755);

	/* chown follows a symlink; lchown changes the link itself. */
	CHECK_SYS(syscall(SYS_chown, "l", 1001, 1002));
	st = do_stat("f");
	CHECK_EQ(st.st_uid, 1001);
	CHECK_EQ(st.st_gid, 1002);
	CHECK_EQ(do_lstat("l").st_uid, 0);
	CHECK_SYS(syscall(SYS_lchown, "l", 1003, 1004));
	st = do_lstat("l");
	CHECK_EQ(st.st_uid, 1003);
	CHECK_EQ(st.st_gid, 1004);
	CHECK_EQ(do_stat("f").st_uid, 1001);
	/* fchown, and fchownat with its flags. */
	long fd = CHECK_SYS(open("f", O_RDONLY));
	CHECK_SYS(syscall(SYS_fchown, fd, 1005, 1006));
	CHECK_EQ(do_stat("f").st_uid, 1005);
	CHECK_SYS(syscall(SYS_fchownat, AT_FDCWD, "l", 1007, 1008, 0));
	CHECK_EQ(do_stat("f").st_uid, 1007);
	CHECK_SYS(syscall(SYS_fchownat, AT_FDCWD, "l", 1009, 1010, AT_SYMLINK_NOFOLLOW));
	CHECK_EQ(do_lstat("l").st_uid, 1009);
	CHECK_EQ(do_stat("f").st_uid, 1007);
	CHECK_SYS(syscall(SYS_fchownat, fd, "", 1011, 1012, AT_EMPTY_PATH));
	CHECK_EQ(do_stat("f").st_gid, 1012);
	long lfd = CHECK_SYS(open("l", O_PATH | O_NOFOLLOW));
	CHECK_SYS(syscall(SYS_fchownat, lfd, "", 0, 0, AT_EMPTY_PATH));
	CHECK_EQ(do_lstat("l").st_uid, 0);
	CHECK_EQ(do_stat("f").st_uid, 1011);
	CHECK_SYS(close(lfd));
	/* Errors. */
	CHECK_ERR(syscall(SYS_fchownat, AT_FDCWD, "f", 0, 0, AT_REMOVEDIR), EINVAL);
	CHECK_ERR(syscall(SYS_fchownat, fd, "", 0, 0, 0), ENOENT);
	CHECK_ERR(syscall(SYS_chown, "missing", 0, 0), ENOENT);
	CHECK_ERR(syscall(SYS_fchown, 9999, 0, 0), EBADF);
	CHECK_SYS(close(fd));
	CHECK_SYS(syscall(SYS_chown, "f", 0, 0));
	CHECK_SYS(syscall(SYS_chown, "d", 0, 0));
}

/* check_time expects t to be a.b seconds. */
#define check_time(t, s, ns)                 \
	do {                                 \
		CHECK_EQ((t).tv_sec, (s));   \
		CHECK_EQ((t).tv_nsec, (ns)); \
	} while (0)

/* check_recent expects t within the interval [before - 1 s, after]. */
static void check_recent(struct timespec t, struct timespec before, struct timespec after)
{
	CHECK(t.tv_sec >= before.tv_sec - 1);
	CHECK(t.tv_sec < after.tv_sec || (t.tv_sec == after.tv_sec && t.tv_nsec <= after.tv_nsec));
}

static void timestamps(void)
{
	struct timespec before, after;
	struct stat st;

	/* Explicit times, to the nanosecond. */
	struct timespec ts[2] = { { 100, 5 }, { 200, 999999999 } };
	CHECK_SYS(syscall(SYS_utimensat, AT_FDCWD, "f", ts, 0));
	st = do_stat("f");
	check_time(st.st_atim, 100, 5);
	check_time(st.st_mtim, 200, 999999999);
	/* UTIME_OMIT leaves one alone, UTIME_NOW takes the current time. */
	clock_gettime(CLOCK_REALTIME, &before);
	ts[0] = (struct timespec){ 0, UTIME_OMIT };
	ts[1] = (struct timespec){ 0, UTIME_NOW };
	CHECK_SYS(syscall(SYS_utimensat, AT_FDCWD, "f", ts, 0));
	clock_gettime(CLOCK_REALTIME, &after);
	st = do_stat("f");
	check_time(st.st_atim, 100, 5);
	check_recent(st.st_mtim, before, after);
	/* Both omitted: nothing at all changes, not even the change time. */
	ts[0] = (struct timespec){ 300, 0 };
	ts[1] = (struct timespec){ 400, 0 };
	CHECK_SYS(syscall(SYS_utimensat, AT_FDCWD, "f", ts, 0));
	struct stat old = do_stat("f");
	ts[0] = ts[1] = (struct timespec){ 12345, UTIME_OMIT };
	CHECK_SYS(syscall(SYS_utimensat, AT_FDCWD, "f", ts, 0));
	st = do_stat("f");
	check_time(st.st_atim, 300, 0);
	check_time(st.st_mtim, 400, 0);
	check_time(st.st_ctim, old.st_ctim.tv_sec, old.st_ctim.tv_nsec);
	/* NULL times: both now. */
	clock_gettime(CLOCK_REALTIME, &before);
	CHECK_SYS(syscall(SYS_utimensat, AT_FDCWD, "f", NULL, 0));
	clock_gettime(CLOCK_REALTIME, &after);
	st = do_stat("f");
	check_recent(st.st_atim, before, after);
	check_recent(st.st_mtim, before, after);

	/* Through a symlink, or on the link itself with AT_SYMLINK_NOFOLLOW. */
	ts[0] = (struct timespec){ 500, 0 };
	ts[1] = (struct timespec){ 600, 0 };
	CHECK_SYS(syscall(SYS_utimensat, AT_FDCWD, "l", ts, 0));
	check_time(do_stat("f").st_mtim, 600, 0);
	CHECK(do_lstat("l").st_mtim.tv_sec != 600);
	ts[1] = (struct timespec){ 700, 0 };
	CHECK_SYS(syscall(SYS_utimensat, AT_FDCWD, "l", ts, AT_SYMLINK_NOFOLLOW));
	check_time(do_lstat("l").st_mtim, 700, 0);
	check_time(do_stat("f").st_mtim, 600, 0);
	/* A NULL path with an fd is futimens. */
	long fd = CHECK_SYS(open("f", O_RDONLY));
	ts[1] = (struct timespec){ 800, 0 };
	CHECK_SYS(syscall(SYS_utimensat, fd, NULL, ts, 0));
	check_time(do_stat("f").st_mtim, 800, 0);

	/* Errors: bad nanoseconds, unknown flags, a NULL path without an fd. */
	ts[0] = (struct timespec){ 1, 1000000000 };
	CHECK_ERR(syscall(SYS_utimensat, AT_FDCWD, "f", ts, 0), EINVAL);
	ts[0] = (struct timespec){ 1, -1 };
	CHECK_ERR(syscall(SYS_utimensat, AT_FDCWD, "f", ts, 0), EINVAL);
	ts[0] = (struct timespec){ 1, 0 };
	CHECK_ERR(syscall(SYS_utimensat, AT_FDCWD, "f", ts, AT_REMOVEDIR), EINVAL);
	CHECK_ERR(syscall(SYS_utimensat, fd, NULL, ts, AT_SYMLINK_NOFOLLOW), EINVAL);
	CHECK_ERR(syscall(SYS_utimensat, AT_FDCWD, NULL, ts, 0), EFAULT);
	CHECK_ERR(syscall(SYS_utimensat, AT_FDCWD, "f", test_unmapped_page(), 0), EFAULT);
	CHECK_ERR(syscall(SYS_utimensat, AT_FDCWD, "missing", ts, 0), ENOENT);
	CHECK_ERR(syscall(SYS_utimensat, 9999, NULL, ts, 0), EBADF);
	check_time(do_stat("f").st_mtim, 800, 0);

	/* utimes and futimesat take microseconds; utime whole seconds. */
	struct timeval tv[2] = { { 900, 1 }, { 1000, 999999 } };
	CHECK_SYS(syscall(SYS_utimes, "f", tv));
	st = do_stat("f");
	check_time(st.st_atim, 900, 1000);
	check_time(st.st_mtim, 1000, 999999000);
	long dfd = CHECK_SYS(open("d", O_RDONLY | O_DIRECTORY));
	tv[1] = (struct timeval){ 1100, 0 };
	CHECK_SYS(syscall(SYS_futimesat, dfd, "in", tv));
	check_time(do_stat("d/in").st_mtim, 1100, 0);
	CHECK_SYS(syscall(SYS_futimesat, AT_FDCWD, "f", tv));
	check_time(do_stat("f").st_mtim, 1100, 0);
	clock_gettime(CLOCK_REALTIME, &before);
	CHECK_SYS(syscall(SYS_utimes, "f", NULL));
	clock_gettime(CLOCK_REALTIME, &after);
	check_recent(do_stat("f").st_mtim, before, after);
	tv[0] = (struct timeval){ 1, 1000000 };
	CHECK_ERR(syscall(SYS_utimes, "f", tv), EINVAL);
	tv[0] = (struct timeval){ 1, -1 };
	CHECK_ERR(syscall(SYS_futimesat, AT_FDCWD, "f", tv), EINVAL);
	struct utimbuf ub = { .actime = 1200, .modtime = 1300 };
	CHECK_SYS(syscall(SYS_utime, "f", &ub));
	st = do_stat("f");
	check_time(st.st_atim, 1200, 0);
	check_time(st.st_mtim, 1300, 0);
	CHECK_SYS(close(dfd));
	CHECK_SYS(close(fd));
}

static void check_zeros(long fd, long from, long to)
{
	char buf[4096];

	for (long off = from; off < to;) {
		long n = CHECK_SYS(pread(fd, buf, to - off < 4096 ? to - off : 4096, off));
		CHECK(n > 0);
		for (long i = 0; i < n; i++)
			CHECK_EQ(buf[i], 0);
		off += n;
	}
}

static void sizes(void)
{
	fs_write_file("t", "0123456789");
	long fd = CHECK_SYS(open("t", O_RDWR));

	/* Growing adds zeros; shrinking drops the tail; the offset does not move. */
	CHECK_EQ(lseek(fd, 4, SEEK_SET), 4);
	CHECK_SYS(syscall(SYS_truncate, "t", 20000L));
	CHECK_EQ(do_stat("t").st_size, 20000);
	check_zeros(fd, 10, 20000);
	CHECK_SYS(syscall(SYS_ftruncate, fd, 6L));
	CHECK_EQ(do_stat("t").st_size, 6);
	CHECK_EQ(lseek(fd, 0, SEEK_CUR), 4);
	char buf[16];
	CHECK_EQ(read(fd, buf, sizeof(buf)), 2);
	CHECK(memcmp(buf, "45", 2) == 0);
	/* Growing again does not bring the old bytes back. */
	CHECK_SYS(syscall(SYS_ftruncate, fd, 10L));
	CHECK_EQ(pread(fd, buf, sizeof(buf), 0), 10);
	CHECK(memcmp(buf, "012345\0\0\0\0", 10) == 0);
	/* Through a symlink. */
	CHECK_SYS(symlink("t", "tl"));
	CHECK_SYS(syscall(SYS_truncate, "tl", 3L));
	CHECK_EQ(do_stat("t").st_size, 3);
	CHECK(S_ISLNK(do_lstat("tl").st_mode));
	/* A write after the end leaves a hole of zeros. */
	CHECK_EQ(pwrite(fd, "z", 1, 100), 1);
	check_zeros(fd, 3, 100);

	/* Errors: negative lengths, directories, fds not open for writing. */
	CHECK_ERR(syscall(SYS_truncate, "t", -1L), EINVAL);
	CHECK_ERR(syscall(SYS_ftruncate, fd, -1L), EINVAL);
	CHECK_ERR(syscall(SYS_truncate, "d", 0L), EISDIR);
	CHECK_ERR(syscall(SYS_truncate, "missing", 0L), ENOENT);
	CHECK_ERR(syscall(SYS_truncate, "", 0L), ENOENT);
	long ro = CHECK_SYS(open("t", O_RDONLY));
	CHECK_ERR(syscall(SYS_ftruncate, ro, 0L), EINVAL);
	long dfd = CHECK_SYS(open("d", O_RDONLY | O_DIRECTORY));
	CHECK_ERR(syscall(SYS_ftruncate, dfd, 0L), EINVAL);
	CHECK_ERR(syscall(SYS_ftruncate, 9999, 0L), EBADF);
	int p[2];
	CHECK_SYS(pipe(p));
	CHECK_ERR(syscall(SYS_ftruncate, p[1], 0L), EINVAL);
	CHECK_EQ(do_stat("t").st_size, 101);

	/* fallocate: mode 0 extends the size, FALLOC_FL_KEEP_SIZE does not. */
	CHECK_SYS(syscall(SYS_ftruncate, fd, 0L));
	CHECK_SYS(syscall(SYS_fallocate, fd, 0, 0L, 8192L));
	CHECK_EQ(do_stat("t").st_size, 8192);
	check_zeros(fd, 0, 8192);
	CHECK_SYS(syscall(SYS_fallocate, fd, FALLOC_FL_KEEP_SIZE, 8192L, 8192L));
	CHECK_EQ(do_stat("t").st_size, 8192);
	CHECK_SYS(syscall(SYS_fallocate, fd, 0, 100L, 100L));
	CHECK_EQ(do_stat("t").st_size, 8192);
	CHECK_SYS(syscall(SYS_fallocate, fd, 0, 10000L, 1L));
	CHECK_EQ(do_stat("t").st_size, 10001);
	/* Punching a hole (always with KEEP_SIZE) zeroes the range in place. */
	char ones[8192];
	memset(ones, 1, sizeof(ones));
	CHECK_EQ(pwrite(fd, ones, sizeof(ones), 0), sizeof(ones));
	CHECK_SYS(syscall(SYS_fallocate, fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 4096L,
	                  4096L));
	check_zeros(fd, 4096, 8192);
	CHECK_EQ(pread(fd, buf, 1, 4095), 1);
	CHECK_EQ(buf[0], 1);
	CHECK_EQ(do_stat("t").st_size, 10001);
	/* Errors. */
	CHECK_ERR(syscall(SYS_fallocate, fd, 0, 0L, 0L), EINVAL);
	CHECK_ERR(syscall(SYS_fallocate, fd, 0, -1L, 10L), EINVAL);
	CHECK_ERR(syscall(SYS_fallocate, fd, 0, 0L, -1L), EINVAL);
	CHECK_ERR(syscall(SYS_fallocate, fd, FALLOC_FL_PUNCH_HOLE, 0L, 4096L), EOPNOTSUPP);
	CHECK_ERR(syscall(SYS_fallocate, fd, 0x10000, 0L, 4096L), EOPNOTSUPP);
	CHECK_ERR(syscall(SYS_fallocate, ro, 0, 0L, 4096L), EBADF);
	CHECK_ERR(syscall(SYS_fallocate, 9999, 0, 0L, 4096L), EBADF);
	CHECK_ERR(syscall(SYS_fallocate, p[1], 0, 0L, 4096L), ESPIPE);
	CHECK_SYS(close(p[0]));
	CHECK_SYS(close(p[1]));
	CHECK_SYS(close(dfd));
	CHECK_SYS(close(ro));
	CHECK_SYS(close(fd));
}

static void access_checks(void)
{
	/* Root may read and write anything, but execute only what has some x bit. */
	fs_write_file("none", "");
	CHECK_SYS(chmod("none", 0));
	fs_write_file("x", "");
	CHECK_SYS(chmod("x", 0001));
	CHECK_SYS(syscall(SYS_access, "none", F_OK));
	CHECK_SYS(syscall(SYS_access, "none", R_OK | W_OK));
	CHECK_ERR(syscall(SYS_access, "none", X_OK), EACCES);
	CHECK_ERR(syscall(SYS_access, "none", R_OK | X_OK), EACCES);
	CHECK_SYS(syscall(SYS_access, "x", R_OK | W_OK | X_OK));
	CHECK_SYS(chmod("d", 0));
	CHECK_SYS(syscall(SYS_access, "d", R_OK | W_OK | X_OK));
	CHECK_SYS(syscall(SYS_access, "d/in", F_OK));
	CHECK_SYS(chmod("d", 0755));
	/* Errors: missing, an invalid mode. */
	CHECK_ERR(syscall(SYS_access, "missing", F_OK), ENOENT);
	CHECK_ERR(syscall(SYS_access, "none/x", F_OK), ENOTDIR);
	CHECK_ERR(syscall(SYS_access, "", F_OK), ENOENT);
	CHECK_ERR(syscall(SYS_access, "none", 8), EINVAL);
	CHECK_ERR(syscall(SYS_access, "none", -1), EINVAL);

	/* faccessat has no flags; faccessat2 has AT_EACCESS, AT_SYMLINK_NOFOLLOW, AT_EMPTY_PATH. */
	long dfd = CHECK_SYS(open("d", O_RDONLY | O_DIRECTORY));
	CHECK_SYS(syscall(SYS_faccessat, dfd, "in", R_OK));
	CHECK_ERR(syscall(SYS_faccessat, dfd, "missing", F_OK), ENOENT);
	CHECK_ERR(syscall(SYS_faccessat, AT_FDCWD, "none", 8), EINVAL);
	CHECK_SYS(syscall(SYS_faccessat2, dfd, "in", R_OK, AT_EACCESS));
	CHECK_ERR(syscall(SYS_faccessat2, AT_FDCWD, "none", X_OK, AT_EACCESS), EACCES);
	CHECK_SYS(symlink("missing", "dangling"));
	CHECK_ERR(syscall(SYS_faccessat2, AT_FDCWD, "dangling", F_OK, 0), ENOENT);
	CHECK_SYS(syscall(SYS_faccessat2, AT_FDCWD, "dangling", F_OK, AT_SYMLINK_NOFOLLOW));
	long fd = CHECK_SYS(open("none", O_RDONLY));
	CHECK_SYS(syscall(SYS_faccessat2, fd, "", R_OK, AT_EMPTY_PATH));
	CHECK_ERR(syscall(SYS_faccessat2, fd, "", X_OK, AT_EMPTY_PATH), EACCES);
	CHECK_ERR(syscall(SYS_faccessat2, fd, "", R_OK, 0), ENOENT);
	CHECK_ERR(syscall(SYS_faccessat2, AT_FDCWD, "none", R_OK, 0x1), EINVAL);
	CHECK_ERR(syscall(SYS_faccessat2, AT_FDCWD, "none", 8, 0), EINVAL);
	CHECK_SYS(close(fd));
	CHECK_SYS(close(dfd));

	/* umask returns the previous mask, and keeps only the permission bits. */
	CHECK_EQ(syscall(SYS_umask, 022), 022);
	CHECK_EQ(syscall(SYS_umask, 0), 022);
	CHECK_EQ(syscall(SYS_umask, 0177777), 0);
	CHECK_EQ(syscall(SYS_umask, 027), 0777);
	CHECK_EQ(syscall(SYS_umask, 022), 027);
}

/* set_ids sets the real, effective and saved uid and gid. */
static void set_ids(long ruid, long euid, long suid)
{
	CHECK_SYS(syscall(SYS_setresgid, ruid, euid, suid));
	CHECK_SYS(syscall(SYS_setresuid, ruid, euid, suid));
}

static void unprivileged(void)
{
	/* The tree: root's files, one of nobody's, a sticky directory everyone may write. */
	CHECK_SYS(chmod(".", 0755));
	fs_write_file("secret", "secret");
	CHECK_SYS(chmod("secret", 0600));
	fs_write_file("public", "public");
	CHECK_SYS(chmod("public", 0644));
	fs_write_file("exec", "");
	CHECK_SYS(chmod("exec", 0755));
	CHECK_SYS(mkdir("locked", 0700));
	fs_write_file("locked/inner", "inner");
	CHECK_SYS(chmod("locked/inner", 0644));
	fs_write_file("mine", "mine");
	CHECK_SYS(chown("mine", NOBODY, 0));
	CHECK_SYS(mkdir("sticky", 0));
	CHECK_SYS(chmod("sticky", 01777));
	fs_write_file("sticky/roots", "");
	CHECK_SYS(chmod("sticky/roots", 0666));

	/* No supplementary groups (root's would give group access). */
	gid_t groups[64];
	int ngroups = CHECK_SYS(getgroups(64, groups));
	CHECK_SYS(syscall(SYS_setgroups, 0, NULL));

	/* Real ids nobody, effective root: access() checks the real ids, AT_EACCESS not. */
	set_ids(NOBODY, 0, 0);
	CHECK_ERR(syscall(SYS_access, "secret", R_OK), EACCES);
	CHECK_SYS(syscall(SYS_access, "public", R_OK));
	CHECK_SYS(syscall(SYS_faccessat2, AT_FDCWD, "secret", R_OK | W_OK, AT_EACCESS));
	long fd = CHECK_SYS(open("secret", O_RDONLY));
	CHECK_SYS(close(fd));

	/* All of them nobody but the saved uid. */
	set_ids(NOBODY, NOBODY, 0);
	CHECK_ERR(open("secret", O_RDONLY), EACCES);
	CHECK_ERR(open("public", O_WRONLY), EACCES);
	fd = CHECK_SYS(open("public", O_RDONLY));
	CHECK_SYS(close(fd));
	CHECK_ERR(syscall(SYS_access, "secret", R_OK), EACCES);
	CHECK_ERR(syscall(SYS_faccessat2, AT_FDCWD, "secret", R_OK, AT_EACCESS), EACCES);
	CHECK_SYS(syscall(SYS_access, "secret", F_OK));
	CHECK_SYS(syscall(SYS_access, "exec", X_OK));
	CHECK_ERR(syscall(SYS_access, "public", X_OK), EACCES);
	CHECK_ERR(syscall(SYS_access, "public", W_OK), EACCES);
	/* A directory without search permission hides what is in it. */
	struct stat st;
	CHECK_ERR(syscall(SYS_stat, "locked/inner", &st), EACCES);
	CHECK_ERR(open("locked/inner", O_RDONLY), EACCES);
	CHECK_ERR(syscall(SYS_access, "locked/inner", F_OK), EACCES);
	CHECK_ERR(syscall(SYS_chdir, "locked"), EACCES);
	CHECK_ERR(open("locked", O_RDONLY | O_DIRECTORY), EACCES);
	CHECK_SYS(syscall(SYS_stat, "locked", &st));
	/* A directory without write permission: no new names, no removals. */
	CHECK_ERR(open("new", O_WRONLY | O_CREAT, 0644), EACCES);
	CHECK_ERR(mkdir("new", 0755), EACCES);
	CHECK_ERR(unlink("public"), EACCES);
	CHECK_ERR(rename("public", "new"), EACCES);
	CHECK_ERR(symlink("x", "new"), EACCES);
	/* Writing needs write permission: truncate too. */
	CHECK_ERR(syscall(SYS_truncate, "public", 0L), EACCES);
	/* Only the owner changes the mode; nobody gives files away. */
	CHECK_ERR(syscall(SYS_chmod, "public", 0666), EPERM);
	CHECK_ERR(syscall(SYS_chown, "public", NOBODY, NOBODY), EPERM);
	CHECK_ERR(syscall(SYS_chown, "mine", 0, -1), EPERM);
	CHECK_SYS(syscall(SYS_chmod, "mine", 0640));
	CHECK_EQ(mode_of("mine"), 0640);
	/* An owner who is not in the file's group cannot set its set-group-id bit. */
	CHECK_SYS(syscall(SYS_chmod, "mine", 02755));
	CHECK_EQ(mode_of("mine"), 0755);
	/* Times: only the owner sets them; "now" also needs write permission. */
	struct timespec ts[2] = { { 1, 0 }, { 2, 0 } };
	CHECK_ERR(syscall(SYS_utimensat, AT_FDCWD, "public", ts, 0), EPERM);
	CHECK_ERR(syscall(SYS_utimensat, AT_FDCWD, "public", NULL, 0), EACCES);
	CHECK_SYS(syscall(SYS_utimensat, AT_FDCWD, "mine", ts, 0));
	CHECK_SYS(syscall(SYS_utimensat, AT_FDCWD, "mine", NULL, 0));
	/* In a sticky directory only a file's owner removes it, even when all may write. */
	CHECK_ERR(unlink("sticky/roots"), EPERM);
	CHECK_ERR(rename("sticky/roots", "sticky/other"), EPERM);
	fd = CHECK_SYS(open("sticky/nobodys", O_WRONLY | O_CREAT, 0644));
	CHECK_SYS(close(fd));
	CHECK_SYS(rename("sticky/nobodys", "sticky/renamed"));
	CHECK_SYS(unlink("sticky/renamed"));
	fd = CHECK_SYS(open("sticky/roots", O_WRONLY));
	CHECK_SYS(close(fd));

	/* Back to root through the saved uid. */
	fs_restore_ids();
	CHECK_EQ(geteuid(), 0);
	CHECK_EQ(getuid(), 0);
	CHECK_EQ(getegid(), 0);
	CHECK_SYS(syscall(SYS_setgroups, ngroups, groups));
	fd = CHECK_SYS(open("secret", O_RDONLY));
	CHECK_SYS(close(fd));
}

int main(void)
{
	fs_scratch_enter();
	CHECK_EQ(geteuid(), 0);
	CHECK_SYS(syscall(SYS_umask, 022));
	modes();
	owners();
	timestamps();
	sizes();
	access_checks();
	unprivileged();
	fs_scratch_leave();
	return 0;
}
