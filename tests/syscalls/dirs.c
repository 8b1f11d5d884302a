/*
 * dirs: mkdir, mkdirat and rmdir; listing with getdents64 (and the old getdents); chdir,
 * fchdir and getcwd, also once the working directory has been removed.
 */
#include <fcntl.h>
#include <stddef.h>
#include <sys/stat.h>

#include "fs_util.h"

#define NFILES 40

/* struct old_dirent is the record of the old getdents: d_type is the last byte. */
struct old_dirent {
	unsigned long d_ino;
	unsigned long d_off;
	unsigned short d_reclen;
	char d_name[];
};

static struct stat do_lstat(const char *path)
{
	struct stat st;

	CHECK_SYS(syscall(SYS_lstat, path, &st));
	return st;
}

static void make_dirs(void)
{
	CHECK_SYS(syscall(SYS_umask, 022));
	/* The mode without the umask; the sticky bit is kept, set-id bits are not. */
	CHECK_SYS(syscall(SYS_mkdir, "d", 0777));
	struct stat st = do_lstat("d");
	CHECK(S_ISDIR(st.st_mode));
	CHECK_EQ(st.st_mode & 07777, 0755);
	CHECK_EQ(st.st_nlink, 2);
	CHECK_EQ(st.st_uid, geteuid());
	CHECK_SYS(syscall(SYS_mkdir, "sticky", 01777));
	CHECK_EQ(do_lstat("sticky").st_mode & 07777, 01755);
	CHECK_SYS(syscall(SYS_mkdir, "suid", 06777));
	CHECK_EQ(do_lstat("suid").st_mode & 07777, 0755);
	/* In a set-group-id directory a new directory takes the group and the bit. */
	CHECK_SYS(chown("suid", -1, 1234));
	CHECK_SYS(chmod("suid", 02755));
	CHECK_SYS(syscall(SYS_mkdir, "suid/sub", 0700));
	st = do_lstat("suid/sub");
	CHECK_EQ(st.st_mode & 07777, 02700);
	CHECK_EQ(st.st_gid, 1234);
	fs_write_file("suid/file", "");
	st = do_lstat("suid/file");
	CHECK_EQ(st.st_mode & 07777, 0644);
	CHECK_EQ(st.st_gid, 1234);

	/* EEXIST for anything already there, a dangling symlink included. */
	fs_write_file("file", "data");
	CHECK_SYS(symlink("nowhere", "dangling"));
	CHECK_ERR(syscall(SYS_mkdir, "d", 0755), EEXIST);
	CHECK_ERR(syscall(SYS_mkdir, "file", 0755), EEXIST);
	CHECK_ERR(syscall(SYS_mkdir, "dangling", 0755), EEXIST);
	CHECK_ERR(syscall(SYS_mkdir, ".", 0755), EEXIST);
	CHECK_ERR(syscall(SYS_mkdir, "..", 0755), EEXIST);
	CHECK_ERR(syscall(SYS_mkdir, "d/.", 0755), EEXIST);
	CHECK(!fs_exists("nowhere"));
	/* ENOENT for a missing parent or an empty path, ENOTDIR for a file as parent. */
	CHECK_ERR(syscall(SYS_mkdir, "missing/x", 0755), ENOENT);
	CHECK_ERR(syscall(SYS_mkdir, "dangling/x", 0755), ENOENT);
	CHECK_ERR(syscall(SYS_mkdir, "", 0755), ENOENT);
	CHECK_ERR(syscall(SYS_mkdir, "file/x", 0755), ENOTDIR);
	/* A trailing slash is fine for a directory to be. */
	CHECK_SYS(syscall(SYS_mkdir, "slash/", 0755));
	CHECK(S_ISDIR(do_lstat("slash").st_mode));
	CHECK_SYS(syscall(SYS_mkdir, "slash//deeper//", 0755));
	CHECK(S_ISDIR(do_lstat("slash/deeper").st_mode));

	/* mkdirat: relative to a directory fd or to AT_FDCWD. */
	long dfd = CHECK_SYS(open("d", O_RDONLY | O_DIRECTORY));
	CHECK_SYS(syscall(SYS_mkdirat, dfd, "sub", 0700));
	CHECK_EQ(do_lstat("d/sub").st_mode & 07777, 0700);
	CHECK_EQ(do_lstat("d").st_nlink, 3);
	CHECK_SYS(syscall(SYS_mkdirat, AT_FDCWD, "d/sub2", 0700));
	CHECK_ERR(syscall(SYS_mkdirat, dfd, "sub", 0700), EEXIST);
	long ffd = CHECK_SYS(open("file", O_RDONLY));
	CHECK_ERR(syscall(SYS_mkdirat, ffd, "x", 0700), ENOTDIR);
	CHECK_ERR(syscall(SYS_mkdirat, 9999, "x", 0700), EBADF);
	CHECK_SYS(close(ffd));
	CHECK_SYS(close(dfd));
}

static void remove_dirs(void)
{
	/* A directory with entries is ENOTEMPTY; once empty it goes. */
	CHECK_ERR(syscall(SYS_rmdir, "d"), ENOTEMPTY);
	CHECK_ERR(syscall(SYS_rmdir, "slash"), ENOTEMPTY);
	CHECK_SYS(syscall(SYS_rmdir, "slash/deeper/"));
	CHECK_SYS(syscall(SYS_rmdir, "slash"));
	CHECK(!fs_exists("slash"));
	CHECK_ERR(syscall(SYS_rmdir, "slash"), ENOENT);
	/* "." as the last component is EINVAL, ".." ENOTEMPTY, the root EBUSY. */
	CHECK_ERR(syscall(SYS_rmdir, "."), EINVAL);
	CHECK_ERR(syscall(SYS_rmdir, "d/sub/."), EINVAL);
	CHECK_ERR(syscall(SYS_rmdir, "d/sub/.."), ENOTEMPTY);
	CHECK_ERR(syscall(SYS_rmdir, ".."), ENOTEMPTY);
	CHECK_ERR(syscall(SYS_rmdir, "/"), EBUSY);
	/* Not a directory: a file, a symlink to a directory; ENOENT for "". */
	CHECK_SYS(symlink("d/sub", "dirlink"));
	CHECK_ERR(syscall(SYS_rmdir, "file"), ENOTDIR);
	CHECK_ERR(syscall(SYS_rmdir, "dirlink"), ENOTDIR);
	CHECK_ERR(syscall(SYS_rmdir, "file/"), ENOTDIR);
	CHECK_ERR(syscall(SYS_rmdir, "dangling"), ENOTDIR);
	CHECK_ERR(syscall(SYS_rmdir, ""), ENOENT);
	CHECK(S_ISDIR(do_lstat("d/sub").st_mode));
	CHECK_SYS(unlink("dirlink"));
	/* The parent loses the link of the child's "..". */
	CHECK_SYS(syscall(SYS_rmdir, "d/sub2"));
	CHECK_EQ(do_lstat("d").st_nlink, 3);
}

/* list_dir reads fd with getdents64 in buffers of size bytes and counts what it sees. */
struct listing {
	int seen[NFILES];
	int dot, dotdot, sub, link, fifo, other, calls;
};

static void list_dir(long fd, size_t size, struct listing *l)
{
	_Alignas(8) char buf[4096];

	memset(l, 0, sizeof(*l));
	CHECK(size <= sizeof(buf));
	for (;;) {
		long n = CHECK_SYS(syscall(SYS_getdents64, fd, buf, size));
		if (n == 0)
			break;
		l->calls++;
		CHECK(n <= (long)size);
		for (long off = 0; off < n;) {
			struct fs_dirent64 *d = (struct fs_dirent64 *)(buf + off);
			size_t len = strlen(d->d_name);

			CHECK_EQ(d->d_reclen % 8, 0);
			CHECK(d->d_reclen >= offsetof(struct fs_dirent64, d_name) + len + 1);
			CHECK(off + d->d_reclen <= n);
			CHECK(d->d_ino != 0);
			off += d->d_reclen;
			if (strcmp(d->d_name, ".") == 0) {
				CHECK_EQ(d->d_type, DT_DIR);
				l->dot++;
			} else if (strcmp(d->d_name, "..") == 0) {
				CHECK_EQ(d->d_type, DT_DIR);
				l->dotdot++;
			} else if (strcmp(d->d_name, "sub") == 0) {
				CHECK_EQ(d->d_type, DT_DIR);
				CHECK_EQ(d->d_ino, do_lstat("list/sub").st_ino);
				l->sub++;
			} else if (strcmp(d->d_name, "link") == 0) {
				CHECK_EQ(d->d_type, DT_LNK);
				CHECK_EQ(d->d_ino, do_lstat("list/link").st_ino);
				l->link++;
			} else if (strcmp(d->d_name, "fifo") == 0) {
				CHECK_EQ(d->d_type, DT_FIFO);
				l->fifo++;
			} else if (d->d_name[0] == 'f' && len == 10) {
				int i = atoi(d->d_name + 5);
				char path[32];

				CHECK(i >= 0 && i < NFILES);
				CHECK_EQ(d->d_type, DT_REG);
				snprintf(path, sizeof(path), "list/%s", d->d_name);
				CHECK_EQ(d->d_ino, do_lstat(path).st_ino);
				l->seen[i]++;
			} else {
				l->other++;
			}
		}
	}
	/* At the end it stays at the end. */
	CHECK_EQ(syscall(SYS_getdents64, fd, buf, size), 0);
}

static void check_complete(const struct listing *l, int missing)
{
	CHECK_EQ(l->dot, 1);
	CHECK_EQ(l->dotdot, 1);
	CHECK_EQ(l->sub, 1);
	CHECK_EQ(l->link, 1);
	CHECK_EQ(l->fifo, 1);
	CHECK_EQ(l->other, 0);
	for (int i = 0; i < NFILES; i++)
		CHECK_EQ(l->seen[i], i == missing ? 0 : 1);
}

static void listing(void)
{
	/* 40 files with long names, a directory, a symlink and a FIFO. */
	CHECK_SYS(mkdir("list", 0755));
	for (int i = 0; i < NFILES; i++) {
		char path[32];

		snprintf(path, sizeof(path), "list/file_%05d", i);
		fs_write_file(path, "");
	}
	CHECK_SYS(mkdir("list/sub", 0755));
	CHECK_SYS(symlink("sub", "list/link"));
	CHECK_SYS(mknod("list/fifo", S_IFIFO | 0644, 0));

	long fd = CHECK_SYS(open("list", O_RDONLY | O_DIRECTORY));
	struct listing l;
	/* One big buffer: every entry exactly once, "." and ".." included. */
	list_dir(fd, 4096, &l);
	check_complete(&l, -1);
	/* After a rewind, in buffers of one or two entries: the same entries. */
	CHECK_EQ(lseek(fd, 0, SEEK_SET), 0);
	list_dir(fd, 48, &l);
	check_complete(&l, -1);
	CHECK(l.calls >= (NFILES + 5) / 2);
	/*
	 * A buffer too small for the next entry is EINVAL, and does not consume it. The smallest
	 * record, "." (a 19-byte header, the name and its NUL: 21 bytes, rounded up to 8), takes
	 * 24 bytes, so only a buffer below 24 fails whatever entry comes first.
	 */
	CHECK_EQ(lseek(fd, 0, SEEK_SET), 0);
	_Alignas(8) char small[16];
	CHECK_ERR(syscall(SYS_getdents64, fd, small, sizeof(small)), EINVAL);
	CHECK_ERR(syscall(SYS_getdents64, fd, small, 1L), EINVAL);
	CHECK_ERR(syscall(SYS_getdents64, fd, small, 0L), EINVAL);
	list_dir(fd, 4096, &l);
	check_complete(&l, -1);
	/* A removed entry is gone after a rewind. */
	CHECK_SYS(unlink("list/file_00007"));
	CHECK_EQ(lseek(fd, 0, SEEK_SET), 0);
	list_dir(fd, 4096, &l);
	check_complete(&l, 7);

	/* The old getdents lists the same names, with d_type in the last byte of the record. */
	CHECK_EQ(lseek(fd, 0, SEEK_SET), 0);
	_Alignas(8) char buf[4096];
	int names = 0, dirs = 0;
	long n;
	while ((n = CHECK_SYS(syscall(SYS_getdents, fd, buf, sizeof(buf)))) > 0) {
		for (long off = 0; off < n;) {
			struct old_dirent *d = (struct old_dirent *)(buf + off);

			if (buf[off + d->d_reclen - 1] == DT_DIR)
				dirs++;
			off += d->d_reclen;
			names++;
		}
	}
	CHECK_EQ(names, NFILES + 4);
	CHECK_EQ(dirs, 3);

	/* Errors: not a directory, a bad fd, a bad buffer. */
	long ffd = CHECK_SYS(open("file", O_RDONLY));
	CHECK_ERR(syscall(SYS_getdents64, ffd, buf, sizeof(buf)), ENOTDIR);
	CHECK_ERR(syscall(SYS_getdents, ffd, buf, sizeof(buf)), ENOTDIR);
	CHECK_SYS(close(ffd));
	CHECK_ERR(syscall(SYS_getdents64, 9999, buf, sizeof(buf)), EBADF);
	long pfd = CHECK_SYS(open("list", O_PATH | O_DIRECTORY));
	CHECK_ERR(syscall(SYS_getdents64, pfd, buf, sizeof(buf)), EBADF);
	CHECK_SYS(close(pfd));
	CHECK_EQ(lseek(fd, 0, SEEK_SET), 0);
	CHECK_ERR(syscall(SYS_getdents64, fd, NULL, sizeof(buf)), EFAULT);
	CHECK_ERR(syscall(SYS_getdents64, fd, test_unmapped_page(), sizeof(buf)), EFAULT);
	CHECK_ERR(syscall(SYS_getdents64, fd, test_map(PAGE_SIZE, PROT_READ), PAGE_SIZE), EFAULT);
	CHECK_SYS(close(fd));
}

/* cwd returns the working directory as the raw getcwd reports it. */
static const char *cwd(void)
{
	static char buf[PATH_MAX];

	long len = CHECK_SYS(syscall(SYS_getcwd, buf, sizeof(buf)));
	CHECK_EQ(len, strlen(buf) + 1);
	return buf;
}

static void working_directory(void)
{
	char real[PATH_MAX], want[PATH_MAX + 16];

	/* The scratch path as the kernel sees it (should /tmp be a symlink). */
	CHECK(realpath(".", real) != NULL);
	CHECK_STREQ(cwd(), real);
	CHECK_SYS(syscall(SYS_chdir, "d/sub"));
	snprintf(want, sizeof(want), "%s/d/sub", real);
	CHECK_STREQ(cwd(), want);
	CHECK_SYS(syscall(SYS_chdir, "../.."));
	CHECK_STREQ(cwd(), real);
	/* Through a symlink: getcwd names the directory, not the link. */
	CHECK_SYS(symlink("d/sub", "sublink"));
	CHECK_SYS(syscall(SYS_chdir, "sublink"));
	CHECK_STREQ(cwd(), want);
	CHECK_SYS(syscall(SYS_chdir, real));

	/* fchdir, with a directory fd or an O_PATH one. */
	long dfd = CHECK_SYS(open("d", O_RDONLY | O_DIRECTORY));
	long pfd = CHECK_SYS(open("d/sub", O_PATH | O_DIRECTORY));
	CHECK_SYS(syscall(SYS_fchdir, dfd));
	snprintf(want, sizeof(want), "%s/d", real);
	CHECK_STREQ(cwd(), want);
	CHECK(S_ISDIR(do_lstat("sub").st_mode));
	CHECK_SYS(syscall(SYS_fchdir, pfd));
	snprintf(want, sizeof(want), "%s/d/sub", real);
	CHECK_STREQ(cwd(), want);
	CHECK_SYS(syscall(SYS_chdir, real));

	/* Errors leave the working directory alone. */
	long ffd = CHECK_SYS(open("file", O_RDONLY));
	CHECK_ERR(syscall(SYS_chdir, "file"), ENOTDIR);
	CHECK_ERR(syscall(SYS_chdir, "file/"), ENOTDIR);
	CHECK_ERR(syscall(SYS_chdir, "missing"), ENOENT);
	CHECK_ERR(syscall(SYS_chdir, "dangling"), ENOENT);
	CHECK_ERR(syscall(SYS_chdir, ""), ENOENT);
	CHECK_ERR(syscall(SYS_chdir, NULL), EFAULT);
	CHECK_ERR(syscall(SYS_fchdir, ffd), ENOTDIR);
	CHECK_ERR(syscall(SYS_fchdir, 9999), EBADF);
	CHECK_STREQ(cwd(), real);
	CHECK_SYS(close(ffd));

	/*
	 * A removed working directory: the getcwd system call is ENOENT (glibc's wrapper too),
	 * "." still names it, and nothing can be created in it.
	 */
	CHECK_SYS(mkdir("doomed", 0755));
	CHECK_SYS(syscall(SYS_chdir, "doomed"));
	snprintf(want, sizeof(want), "%s/doomed", real);
	CHECK_SYS(syscall(SYS_rmdir, want));
	char buf[PATH_MAX];
	CHECK_ERR(syscall(SYS_getcwd, buf, sizeof(buf)), ENOENT);
	struct stat st = do_lstat(".");
	CHECK(S_ISDIR(st.st_mode));
	CHECK_EQ(st.st_nlink, 0);
	CHECK_ERR(open("new", O_WRONLY | O_CREAT, 0600), ENOENT);
	CHECK_ERR(mkdir("new", 0755), ENOENT);
	/* The directory it was in can still be reached by fd. */
	CHECK_SYS(syscall(SYS_fchdir, dfd));
	snprintf(want, sizeof(want), "%s/d", real);
	CHECK_STREQ(cwd(), want);
	CHECK_SYS(syscall(SYS_chdir, real));
	CHECK_SYS(close(pfd));
	CHECK_SYS(close(dfd));
}

int main(void)
{
	fs_scratch_enter();
	make_dirs();
	remove_dirs();
	listing();
	working_directory();
	fs_scratch_leave();
	return 0;
}
