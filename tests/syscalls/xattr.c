/*
 * xattr: extended attributes in the user namespace with setxattr, getxattr, listxattr,
 * removexattr and their l* (no following) and f* (by fd) variants: flags, size queries,
 * ERANGE, ENODATA, name and value limits, and where user attributes are not allowed.
 *
 * A file system without user attributes (EOPNOTSUPP) is not an error: the test says so and
 * passes. Other namespaces (security, trusted, system) are the host's business.
 */
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>

#include "fs_util.h"

/* Linux's limits: XATTR_NAME_MAX bytes of name, XATTR_SIZE_MAX bytes of value. */
#define NAME_LIMIT  255
#define VALUE_LIMIT 65536

/* user_names counts the user.* names in a listxattr buffer and checks want is among them. */
static int user_names(const char *list, long size, const char *want)
{
	int n = 0, found = 0;

	CHECK(size == 0 || list[size - 1] == '\0');
	for (long off = 0; off < size; off += strlen(list + off) + 1) {
		if (strncmp(list + off, "user.", 5) != 0)
			continue;
		n++;
		if (want && strcmp(list + off, want) == 0)
			found++;
	}
	if (want)
		CHECK_EQ(found, 1);
	return n;
}

static void get_set(void)
{
	char buf[64];

	/* Set, then size query, then read; the value is bytes, not a string. */
	CHECK_SYS(syscall(SYS_setxattr, "f", "user.a", "value\0x", 7L, 0));
	CHECK_EQ(syscall(SYS_getxattr, "f", "user.a", NULL, 0L), 7);
	CHECK_EQ(syscall(SYS_getxattr, "f", "user.a", buf, 0L), 7);
	memset(buf, '#', sizeof(buf));
	CHECK_EQ(syscall(SYS_getxattr, "f", "user.a", buf, sizeof(buf)), 7);
	CHECK(memcmp(buf, "value\0x#", 8) == 0);
	CHECK_EQ(syscall(SYS_getxattr, "f", "user.a", buf, 7L), 7);
	/* Too small a buffer: ERANGE. */
	CHECK_ERR(syscall(SYS_getxattr, "f", "user.a", buf, 6L), ERANGE);
	CHECK_ERR(syscall(SYS_getxattr, "f", "user.a", buf, 1L), ERANGE);
	/* Missing: ENODATA. */
	CHECK_ERR(syscall(SYS_getxattr, "f", "user.missing", buf, sizeof(buf)), ENODATA);
	CHECK_ERR(syscall(SYS_getxattr, "f", "user.missing", NULL, 0L), ENODATA);
	/* An empty value is a value. */
	CHECK_SYS(syscall(SYS_setxattr, "f", "user.empty", "", 0L, 0));
	CHECK_EQ(syscall(SYS_getxattr, "f", "user.empty", buf, sizeof(buf)), 0);

	/* XATTR_CREATE wants a new name, XATTR_REPLACE an existing one. */
	CHECK_ERR(syscall(SYS_setxattr, "f", "user.a", "x", 1L, XATTR_CREATE), EEXIST);
	CHECK_ERR(syscall(SYS_setxattr, "f", "user.b", "x", 1L, XATTR_REPLACE), ENODATA);
	CHECK_ERR(syscall(SYS_getxattr, "f", "user.b", buf, sizeof(buf)), ENODATA);
	CHECK_SYS(syscall(SYS_setxattr, "f", "user.b", "bee", 3L, XATTR_CREATE));
	CHECK_SYS(syscall(SYS_setxattr, "f", "user.a", "new", 3L, XATTR_REPLACE));
	CHECK_EQ(syscall(SYS_getxattr, "f", "user.a", buf, sizeof(buf)), 3);
	CHECK(memcmp(buf, "new", 3) == 0);
	/* Without a flag: create or replace. */
	CHECK_SYS(syscall(SYS_setxattr, "f", "user.b", "longer value", 12L, 0));
	CHECK_EQ(syscall(SYS_getxattr, "f", "user.b", buf, sizeof(buf)), 12);
	CHECK_ERR(syscall(SYS_setxattr, "f", "user.b", "x", 1L, 4), EINVAL);

	/* Names: empty or longer than 255 bytes is ERANGE, no known namespace EOPNOTSUPP. */
	char name[NAME_LIMIT + 2];
	memcpy(name, "user.", 5);
	memset(name + 5, 'n', sizeof(name) - 6);
	name[NAME_LIMIT] = '\0';
	CHECK_SYS(syscall(SYS_setxattr, "f", name, "x", 1L, 0));
	CHECK_EQ(syscall(SYS_getxattr, "f", name, buf, sizeof(buf)), 1);
	CHECK_SYS(syscall(SYS_removexattr, "f", name));
	name[NAME_LIMIT] = 'n';
	name[NAME_LIMIT + 1] = '\0';
	CHECK_ERR(syscall(SYS_setxattr, "f", name, "x", 1L, 0), ERANGE);
	CHECK_ERR(syscall(SYS_getxattr, "f", name, buf, sizeof(buf)), ERANGE);
	CHECK_ERR(syscall(SYS_setxattr, "f", "", "x", 1L, 0), ERANGE);
	CHECK_ERR(syscall(SYS_getxattr, "f", "", buf, sizeof(buf)), ERANGE);
	CHECK_ERR(syscall(SYS_setxattr, "f", "plain", "x", 1L, 0), EOPNOTSUPP);
	CHECK_ERR(syscall(SYS_setxattr, "f", "bogus.x", "x", 1L, 0), EOPNOTSUPP);
	CHECK_ERR(syscall(SYS_getxattr, "f", "bogus.x", buf, sizeof(buf)), EOPNOTSUPP);
	CHECK_ERR(syscall(SYS_setxattr, "f", "user.", "x", 1L, 0), EINVAL);
	/* Values: more than 64 KiB is E2BIG. */
	static char big[VALUE_LIMIT + 1];
	CHECK_ERR(syscall(SYS_setxattr, "f", "user.big", big, (long)sizeof(big), 0), E2BIG);
	CHECK_ERR(syscall(SYS_getxattr, "f", "user.big", buf, sizeof(buf)), ENODATA);

	/* Bad pointers and paths. */
	CHECK_ERR(syscall(SYS_setxattr, "f", "user.c", NULL, 1L, 0), EFAULT);
	CHECK_ERR(syscall(SYS_setxattr, "f", NULL, "x", 1L, 0), EFAULT);
	CHECK_ERR(syscall(SYS_getxattr, "f", "user.a", test_unmapped_page(), 16L), EFAULT);
	CHECK_ERR(syscall(SYS_getxattr, NULL, "user.a", buf, sizeof(buf)), EFAULT);
	CHECK_ERR(syscall(SYS_setxattr, "missing", "user.a", "x", 1L, 0), ENOENT);
	CHECK_ERR(syscall(SYS_getxattr, "missing", "user.a", buf, sizeof(buf)), ENOENT);
	CHECK_ERR(syscall(SYS_getxattr, "f/x", "user.a", buf, sizeof(buf)), ENOTDIR);
	CHECK_ERR(syscall(SYS_getxattr, "", "user.a", buf, sizeof(buf)), ENOENT);
}

static void list_remove(void)
{
	char list[1024];

	/* The size query, then the list: NUL-terminated names, each once. */
	long size = CHECK_SYS(syscall(SYS_listxattr, "f", NULL, 0L));
	CHECK_EQ(syscall(SYS_listxattr, "f", list, sizeof(list)), size);
	CHECK_EQ(user_names(list, size, "user.a"), 3);
	user_names(list, size, "user.b");
	user_names(list, size, "user.empty");
	CHECK_EQ(syscall(SYS_listxattr, "f", list, size), size);
	CHECK_ERR(syscall(SYS_listxattr, "f", list, size - 1), ERANGE);
	CHECK_ERR(syscall(SYS_listxattr, "f", list, 1L), ERANGE);

	/* removexattr, then the name is gone: ENODATA to get and to remove again. */
	CHECK_SYS(syscall(SYS_removexattr, "f", "user.empty"));
	CHECK_ERR(syscall(SYS_getxattr, "f", "user.empty", NULL, 0L), ENODATA);
	CHECK_ERR(syscall(SYS_removexattr, "f", "user.empty"), ENODATA);
	size = CHECK_SYS(syscall(SYS_listxattr, "f", list, sizeof(list)));
	CHECK_EQ(user_names(list, size, "user.b"), 2);
	CHECK_ERR(syscall(SYS_removexattr, "f", "bogus.x"), EOPNOTSUPP);
	CHECK_ERR(syscall(SYS_removexattr, "f", ""), ERANGE);
	CHECK_ERR(syscall(SYS_removexattr, "missing", "user.a"), ENOENT);
	CHECK_ERR(syscall(SYS_listxattr, "missing", list, sizeof(list)), ENOENT);
	CHECK_ERR(syscall(SYS_listxattr, "f", test_unmapped_page(), sizeof(list)), EFAULT);

	/* A directory has its own attributes. */
	CHECK_SYS(syscall(SYS_setxattr, "d", "user.dir", "d", 1L, 0));
	size = CHECK_SYS(syscall(SYS_listxattr, "d", list, sizeof(list)));
	CHECK_EQ(user_names(list, size, "user.dir"), 1);
	CHECK_SYS(syscall(SYS_removexattr, "d", "user.dir"));
	size = CHECK_SYS(syscall(SYS_listxattr, "d", list, sizeof(list)));
	CHECK_EQ(user_names(list, size, NULL), 0);
}

static void links_and_fds(void)
{
	char buf[64], list[1024];

	/* The plain calls follow a symlink; the l* calls stay on it. */
	CHECK_SYS(symlink("f", "l"));
	CHECK_EQ(syscall(SYS_getxattr, "l", "user.a", buf, sizeof(buf)), 3);
	CHECK_ERR(syscall(SYS_lgetxattr, "l", "user.a", buf, sizeof(buf)), ENODATA);
	CHECK_EQ(syscall(SYS_lgetxattr, "f", "user.a", buf, sizeof(buf)), 3);
	/* User attributes are for files and directories only: EPERM to set on a link. */
	CHECK_ERR(syscall(SYS_lsetxattr, "l", "user.link", "x", 1L, 0), EPERM);
	CHECK_ERR(syscall(SYS_lremovexattr, "l", "user.a"), EPERM);
	long size = CHECK_SYS(syscall(SYS_llistxattr, "l", list, sizeof(list)));
	CHECK_EQ(user_names(list, size, NULL), 0);
	size = CHECK_SYS(syscall(SYS_listxattr, "l", list, sizeof(list)));
	CHECK_EQ(user_names(list, size, "user.a"), 2);
	CHECK_SYS(syscall(SYS_setxattr, "l", "user.via", "v", 1L, 0));
	CHECK_EQ(syscall(SYS_lgetxattr, "f", "user.via", buf, sizeof(buf)), 1);
	CHECK_SYS(syscall(SYS_lsetxattr, "f", "user.direct", "dd", 2L, 0));
	CHECK_SYS(syscall(SYS_lremovexattr, "f", "user.direct"));
	CHECK_SYS(syscall(SYS_removexattr, "l", "user.via"));
	CHECK_ERR(syscall(SYS_getxattr, "f", "user.via", buf, sizeof(buf)), ENODATA);
	/* And not for FIFOs either. */
	CHECK_SYS(mknod("fifo", S_IFIFO | 0600, 0));
	CHECK_ERR(syscall(SYS_setxattr, "fifo", "user.x", "x", 1L, 0), EPERM);
	CHECK_ERR(syscall(SYS_getxattr, "fifo", "user.x", buf, sizeof(buf)), ENODATA);

	/* The f* calls, on a read-only fd too. */
	long fd = CHECK_SYS(open("f", O_RDONLY));
	CHECK_SYS(syscall(SYS_fsetxattr, fd, "user.fd", "by fd", 5L, 0));
	CHECK_EQ(syscall(SYS_getxattr, "f", "user.fd", buf, sizeof(buf)), 5);
	CHECK_EQ(syscall(SYS_fgetxattr, fd, "user.a", buf, sizeof(buf)), 3);
	CHECK_EQ(syscall(SYS_fgetxattr, fd, "user.fd", NULL, 0L), 5);
	CHECK_ERR(syscall(SYS_fgetxattr, fd, "user.fd", buf, 4L), ERANGE);
	CHECK_ERR(syscall(SYS_fsetxattr, fd, "user.fd", "x", 1L, XATTR_CREATE), EEXIST);
	CHECK_ERR(syscall(SYS_fsetxattr, fd, "user.nope", "x", 1L, XATTR_REPLACE), ENODATA);
	size = CHECK_SYS(syscall(SYS_flistxattr, fd, NULL, 0L));
	CHECK_EQ(syscall(SYS_flistxattr, fd, list, sizeof(list)), size);
	CHECK_EQ(user_names(list, size, "user.fd"), 3);
	CHECK_ERR(syscall(SYS_flistxattr, fd, list, size - 1), ERANGE);
	CHECK_SYS(syscall(SYS_fremovexattr, fd, "user.fd"));
	CHECK_ERR(syscall(SYS_fremovexattr, fd, "user.fd"), ENODATA);
	CHECK_ERR(syscall(SYS_fgetxattr, fd, "user.fd", buf, sizeof(buf)), ENODATA);
	/* Bad fds, and O_PATH fds. */
	long pfd = CHECK_SYS(open("f", O_PATH));
	CHECK_ERR(syscall(SYS_fgetxattr, pfd, "user.a", buf, sizeof(buf)), EBADF);
	CHECK_ERR(syscall(SYS_fsetxattr, pfd, "user.a", "x", 1L, 0), EBADF);
	CHECK_ERR(syscall(SYS_flistxattr, pfd, list, sizeof(list)), EBADF);
	CHECK_ERR(syscall(SYS_fremovexattr, pfd, "user.a"), EBADF);
	CHECK_ERR(syscall(SYS_fgetxattr, 9999, "user.a", buf, sizeof(buf)), EBADF);
	CHECK_ERR(syscall(SYS_fsetxattr, 9999, "user.a", "x", 1L, 0), EBADF);
	CHECK_ERR(syscall(SYS_flistxattr, 9999, list, sizeof(list)), EBADF);
	CHECK_ERR(syscall(SYS_fremovexattr, 9999, "user.a"), EBADF);
	CHECK_SYS(close(pfd));
	/* The attributes belong to the file, not the name: a hard link shares them. */
	CHECK_SYS(link("f", "hard"));
	CHECK_EQ(syscall(SYS_getxattr, "hard", "user.a", buf, sizeof(buf)), 3);
	CHECK_SYS(syscall(SYS_removexattr, "hard", "user.a"));
	CHECK_ERR(syscall(SYS_fgetxattr, fd, "user.a", buf, sizeof(buf)), ENODATA);
	CHECK_SYS(close(fd));
}

int main(void)
{
	fs_scratch_enter();
	fs_write_file("f", "data");
	CHECK_SYS(mkdir("d", 0755));
	if (syscall(SYS_setxattr, "f", "user.probe", "", 0L, 0) != 0) {
		CHECK_EQ(errno, EOPNOTSUPP);
		printf("xattr: no user extended attributes on this file system; skipped\n");
		fs_scratch_leave();
		return 0;
	}
	CHECK_SYS(syscall(SYS_removexattr, "f", "user.probe"));
	get_set();
	list_remove();
	links_and_fds();
	fs_scratch_leave();
	return 0;
}
