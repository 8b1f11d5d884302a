/*
 * Integration test of `runsc gofer`: every request of the protocol through
 * the client library, against a real gofer serving temporary directories
 * (mount 0 read-write, mount 1 read-only, mount 2 another read-write one),
 * checked against what the host sees. Usage: gofer_ops PATH_TO_RUNSC
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/abi/linux/misc.h"
#include "common/util.h"
#include "tests/gofer/harness.h"

static const char *g_runsc;
static char *g_tmp;
static char g_rw[512], g_ro[512], g_rw2[512];
static struct gofer_proc g_proc;
static struct gofer_client *g_c;
static uint64_t g_root, g_ro_root, g_root2;

static char *path_in(const char *dir, const char *name)
{
	static char buf[1024];
	snprintf(buf, sizeof(buf), "%s/%s", dir, name);
	return buf;
}

/* Walks the one name from dir and returns its node id (must exist). */
static uint64_t walk1(uint64_t dir, const char *name, struct gofer_node *out)
{
	struct gofer_node nodes[1];
	uint32_t count, status;
	assert_int_equal(gofer_client_walk(g_c, dir, &name, 1, nodes, &count, &status), 0);
	assert_int_equal(count, 1);
	if (out)
		*out = nodes[0];
	return nodes[0].id;
}

static void close_id(uint64_t id)
{
	assert_int_equal(gofer_client_close(g_c, &id, 1), 0);
}

static int group_setup(void **state)
{
	g_tmp = harness_tmpdir("gofer_ops");
	if (!g_tmp)
		return -1;
	snprintf(g_rw, sizeof(g_rw), "%s/rw", g_tmp);
	snprintf(g_ro, sizeof(g_ro), "%s/ro", g_tmp);
	snprintf(g_rw2, sizeof(g_rw2), "%s/rw2", g_tmp);
	if (mkdir(g_rw, 0755) || mkdir(g_ro, 0755) || mkdir(g_rw2, 0755))
		return -1;
	harness_write_file(path_in(g_rw, "file"), "hello world");
	mkdir(path_in(g_rw, "dir"), 0755);
	harness_write_file(path_in(g_rw, "dir/inner"), "inner");
	if (symlink("dir/inner", path_in(g_rw, "link")) < 0)
		return -1;
	harness_write_file(path_in(g_ro, "file"), "read only");
	mkdir(path_in(g_ro, "sub"), 0755);

	char ro_arg[600];
	snprintf(ro_arg, sizeof(ro_arg), "%s:ro", g_ro);
	const char *mounts[] = { g_rw, ro_arg, g_rw2 };
	if (harness_start_client(g_runsc, mounts, 3, &g_proc, &g_c) < 0)
		return -1;
	struct gofer_node n;
	uint32_t flags;
	if (gofer_client_mount(g_c, 0, &n, &flags) < 0 || flags != 0)
		return -1;
	g_root = n.id;
	if (gofer_client_mount(g_c, 1, &n, &flags) < 0 || flags != GOFER_MOUNT_RDONLY)
		return -1;
	g_ro_root = n.id;
	if (gofer_client_mount(g_c, 2, &n, &flags) < 0)
		return -1;
	g_root2 = n.id;
	return 0;
}

static int group_teardown(void **state)
{
	gofer_client_free(g_c);
	/* The client closed its only channel: the gofer must exit 0 by itself. */
	int status = harness_wait(&g_proc, 10000);
	harness_rmtree(g_tmp);
	free(g_tmp);
	return status >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

static void test_mount(void **state)
{
	struct gofer_node n;
	uint32_t flags;
	struct stat st;
	assert_int_equal(gofer_client_mount(g_c, 0, &n, &flags), 0);
	assert_int_equal(stat(g_rw, &st), 0);
	assert_int_equal(n.stat.ino, st.st_ino);
	assert_int_equal(n.stat.mode & LINUX_S_IFMT, LINUX_S_IFDIR);
	close_id(n.id);
	assert_int_equal(gofer_client_mount(g_c, 3, &n, &flags), -ENOENT);
}

static void test_walk_stat_close(void **state)
{
	const char *names[] = { "dir", "inner" };
	struct gofer_node nodes[4];
	uint32_t count, status;
	struct stat st;

	assert_int_equal(gofer_client_walk(g_c, g_root, names, 2, nodes, &count, &status), 0);
	assert_int_equal(status, GOFER_WALK_OK);
	assert_int_equal(count, 2);
	assert_int_equal(nodes[0].stat.mode & LINUX_S_IFMT, LINUX_S_IFDIR);
	assert_int_equal(stat(path_in(g_rw, "dir/inner"), &st), 0);
	assert_int_equal(nodes[1].stat.ino, st.st_ino);
	assert_int_equal(nodes[1].stat.size, 5);

	struct linux_statx sx;
	assert_int_equal(gofer_client_stat(g_c, nodes[1].id, &sx), 0);
	assert_int_equal(sx.ino, st.st_ino);
	assert_int_equal(sx.nlink, 1);
	uint64_t ids[] = { nodes[0].id, nodes[1].id };
	assert_int_equal(gofer_client_close(g_c, ids, 2), 0);
	assert_int_equal(gofer_client_stat(g_c, nodes[1].id, &sx), -EBADF);
	assert_int_equal(gofer_client_close(g_c, ids, 1), -EBADF);

	/* A symlink stops the walk; it is returned, not followed. */
	const char *via_link[] = { "link", "x" };
	assert_int_equal(gofer_client_walk(g_c, g_root, via_link, 2, nodes, &count, &status), 0);
	assert_int_equal(status, GOFER_WALK_SYMLINK);
	assert_int_equal(count, 1);
	assert_int_equal(nodes[0].stat.mode & LINUX_S_IFMT, LINUX_S_IFLNK);
	char target[GOFER_PATH_MAX + 1];
	assert_int_equal(gofer_client_readlink(g_c, nodes[0].id, target, sizeof(target)), 9);
	assert_string_equal(target, "dir/inner");
	assert_int_equal(gofer_client_readlink(g_c, nodes[0].id, target, 4), -ENAMETOOLONG);
	close_id(nodes[0].id);

	/* A missing name: the prefix that exists, and NOENT. */
	const char *missing[] = { "dir", "nope", "deeper" };
	assert_int_equal(gofer_client_walk(g_c, g_root, missing, 3, nodes, &count, &status), 0);
	assert_int_equal(status, GOFER_WALK_NOENT);
	assert_int_equal(count, 1);
	assert_int_equal(gofer_client_readlink(g_c, nodes[0].id, target, sizeof(target)), -EINVAL);
	close_id(nodes[0].id);
	assert_int_equal(gofer_client_walk(g_c, g_root, missing + 1, 1, nodes, &count, &status), 0);
	assert_int_equal(status, GOFER_WALK_NOENT);
	assert_int_equal(count, 0);

	/* Through a file, and from a file. */
	const char *through[] = { "file", "x" };
	assert_int_equal(gofer_client_walk(g_c, g_root, through, 2, nodes, &count, &status),
	                 -ENOTDIR);
	uint64_t file = walk1(g_root, "file", NULL);
	assert_int_equal(gofer_client_walk(g_c, file, through + 1, 1, nodes, &count, &status),
	                 -ENOTDIR);
	close_id(file);
	assert_int_equal(gofer_client_walk(g_c, 999999, through, 1, nodes, &count, &status),
	                 -EBADF);
	/* Bad names never leave the client. */
	const char *dotdot[] = { ".." };
	assert_int_equal(gofer_client_walk(g_c, g_root, dotdot, 1, nodes, &count, &status),
	                 -EINVAL);
}

static void test_open(void **state)
{
	uint64_t file = walk1(g_root, "file", NULL);
	int fd = gofer_client_open(g_c, file, LINUX_O_RDONLY);
	assert_true(fd >= 0);
	char buf[64] = { 0 };
	assert_int_equal(read(fd, buf, sizeof(buf)), 11);
	assert_string_equal(buf, "hello world");
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	assert_int_equal(write(fd, "x", 1), -1);
	close(fd);

	fd = gofer_client_open(g_c, file, LINUX_O_RDWR | LINUX_O_APPEND);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "!", 1), 1);
	close(fd);
	struct stat st;
	assert_int_equal(stat(path_in(g_rw, "file"), &st), 0);
	assert_int_equal(st.st_size, 12);

	assert_int_equal(gofer_client_open(g_c, file, LINUX_O_RDONLY | LINUX_O_DIRECTORY),
	                 -ENOTDIR);
	assert_int_equal(gofer_client_open(g_c, file, LINUX_O_RDONLY | LINUX_O_CREAT), -EINVAL);
	assert_int_equal(gofer_client_open(g_c, file, LINUX_O_PATH), -EINVAL);
	assert_int_equal(gofer_client_open(g_c, file, 3), -EINVAL);
	close_id(file);

	uint64_t dir = walk1(g_root, "dir", NULL);
	fd = gofer_client_open(g_c, dir, LINUX_O_RDONLY | LINUX_O_DIRECTORY);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(gofer_client_open(g_c, dir, LINUX_O_WRONLY), -EISDIR);
	close_id(dir);

	uint64_t link = walk1(g_root, "link", NULL);
	assert_int_equal(gofer_client_open(g_c, link, LINUX_O_RDONLY), -ELOOP);
	close_id(link);
}

static void test_create_and_friends(void **state)
{
	struct gofer_node n, n2;
	struct stat st;

	int fd = gofer_client_create(g_c, g_root, "new", LINUX_O_RDWR, 0640, GOFER_ID_KEEP,
	                             GOFER_ID_KEEP, &n);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "abc", 3), 3);
	close(fd);
	assert_int_equal(stat(path_in(g_rw, "new"), &st), 0);
	assert_int_equal(st.st_size, 3);
	assert_int_equal(st.st_mode & 07777, 0640); /* the gofer applies no umask */
	assert_int_equal(n.stat.ino, st.st_ino);
	assert_int_equal(gofer_client_create(g_c, g_root, "new", LINUX_O_RDWR, 0640, GOFER_ID_KEEP,
	                                     GOFER_ID_KEEP, &n2),
	                 -EEXIST);
	/* Ownership as asked (the test runs as root). */
	fd = gofer_client_create(g_c, g_root, "owned", LINUX_O_WRONLY, 0600, 1234, 5678, &n2);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(n2.stat.uid, 1234);
	assert_int_equal(n2.stat.gid, 5678);
	close_id(n2.id);

	/* link: a second name, nlink 2; across mounts: EXDEV. */
	assert_int_equal(gofer_client_link(g_c, g_root, "new_link", n.id, &n2), 0);
	assert_int_equal(n2.stat.ino, st.st_ino);
	assert_int_equal(n2.stat.nlink, 2);
	close_id(n2.id);
	assert_int_equal(gofer_client_link(g_c, g_root2, "x", n.id, &n2), -EXDEV);
	close_id(n.id);

	assert_int_equal(gofer_client_mkdir(g_c, g_root, "newdir", 0700, GOFER_ID_KEEP, 42, &n), 0);
	assert_int_equal(n.stat.mode, LINUX_S_IFDIR | 0700);
	assert_int_equal(n.stat.gid, 42);
	assert_int_equal(gofer_client_link(g_c, g_root, "dirlink", n.id, &n2), -EPERM);
	close_id(n.id);

	assert_int_equal(gofer_client_mknod(g_c, g_root, "fifo2", LINUX_S_IFIFO | 0600, 0, 0,
	                                    GOFER_ID_KEEP, GOFER_ID_KEEP, &n),
	                 0);
	assert_int_equal(n.stat.mode & LINUX_S_IFMT, LINUX_S_IFIFO);
	close_id(n.id);
	assert_int_equal(gofer_client_mknod(g_c, g_root, "reg", 0644, 0, 0, GOFER_ID_KEEP,
	                                    GOFER_ID_KEEP, &n),
	                 0);
	assert_int_equal(n.stat.mode & LINUX_S_IFMT, LINUX_S_IFREG);
	close_id(n.id);
	assert_int_equal(gofer_client_mknod(g_c, g_root, "null", LINUX_S_IFCHR | 0666, 1, 3,
	                                    GOFER_ID_KEEP, GOFER_ID_KEEP, &n),
	                 -EPERM);

	assert_int_equal(gofer_client_symlink(g_c, g_root, "sym", "../../anything", GOFER_ID_KEEP,
	                                      GOFER_ID_KEEP, &n),
	                 0);
	assert_int_equal(n.stat.mode & LINUX_S_IFMT, LINUX_S_IFLNK);
	char target[64];
	assert_int_equal(readlink(path_in(g_rw, "sym"), target, sizeof(target)), 14);
	close_id(n.id);

	/* rename: plain, NOREPLACE onto an existing name, EXCHANGE, across mounts. */
	assert_int_equal(gofer_client_rename(g_c, g_root, "reg", g_root, "reg2", 0), 0);
	assert_int_equal(access(path_in(g_rw, "reg2"), F_OK), 0);
	assert_int_equal(
	        gofer_client_rename(g_c, g_root, "reg2", g_root, "new", LINUX_RENAME_NOREPLACE),
	        -EEXIST);
	assert_int_equal(
	        gofer_client_rename(g_c, g_root, "reg2", g_root, "sym", LINUX_RENAME_EXCHANGE), 0);
	assert_int_equal(lstat(path_in(g_rw, "reg2"), &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	assert_int_equal(gofer_client_rename(g_c, g_root, "reg2", g_root2, "moved", 0), -EXDEV);
	assert_int_equal(
	        gofer_client_rename(g_c, g_root, "reg2", g_root, "x", LINUX_RENAME_WHITEOUT),
	        -EINVAL);

	/* unlink: files, then a directory with AT_REMOVEDIR. */
	const char *gone[] = { "new", "new_link", "owned", "fifo2", "sym", "reg2" };
	for (size_t i = 0; i < ARRAY_SIZE(gone); i++)
		assert_int_equal(gofer_client_unlink(g_c, g_root, gone[i], 0), 0);
	assert_int_equal(gofer_client_unlink(g_c, g_root, "newdir", 0), -EISDIR);
	assert_int_equal(gofer_client_unlink(g_c, g_root, "newdir", LINUX_AT_REMOVEDIR), 0);
	assert_int_equal(gofer_client_unlink(g_c, g_root, "newdir", 0), -ENOENT);
	assert_int_equal(gofer_client_unlink(g_c, g_root, "x", 0x1), -EINVAL);
	assert_int_equal(access(path_in(g_rw, "new"), F_OK), -1);
}

static void test_getdents(void **state)
{
	enum { N = 300 };
	struct gofer_node d;
	char name[128];
	bool seen[N] = { false };

	assert_int_equal(
	        gofer_client_mkdir(g_c, g_root, "many", 0755, GOFER_ID_KEEP, GOFER_ID_KEEP, &d), 0);
	for (int i = 0; i < N; i++) {
		char p[1024];
		snprintf(name, sizeof(name), "entry-%03d-padding-padding-padding-padding", i);
		snprintf(p, sizeof(p), "%s/many/%s", g_rw, name);
		assert_int_equal(harness_write_file(p, "x"), 0);
	}
	static uint8_t buf[1024];
	uint64_t off = 0;
	int total = 0, calls = 0;
	for (;;) {
		ssize_t n = gofer_client_getdents(g_c, d.id, off, buf, sizeof(buf));
		assert_true(n >= 0);
		if (n == 0)
			break;
		calls++;
		struct gofer_dirent e;
		size_t pos = 0;
		while (gofer_dirent_next(buf, (size_t)n, &pos, &e)) {
			int i;
			assert_string_not_equal(e.name, ".");
			assert_string_not_equal(e.name, "..");
			assert_int_equal(sscanf(e.name, "entry-%d-", &i), 1);
			assert_true(i >= 0 && i < N && !seen[i]);
			assert_int_equal(e.type, LINUX_DT_REG);
			seen[i] = true;
			total++;
			off = e.off;
		}
	}
	assert_int_equal(total, N);
	assert_true(calls > 5); /* 1 KiB at a time: many calls */
	assert_int_equal(gofer_client_getdents(g_c, d.id, 0, buf, 16), -EINVAL);
	uint64_t file = walk1(g_root, "file", NULL);
	assert_int_equal(gofer_client_getdents(g_c, file, 0, buf, sizeof(buf)), -ENOTDIR);
	close_id(file);
	close_id(d.id);
}

static void test_setstat_statfs(void **state)
{
	struct gofer_node n;
	struct linux_statx sx;
	struct stat st;
	int fd = gofer_client_create(g_c, g_root, "attrs", LINUX_O_WRONLY, 0644, GOFER_ID_KEEP,
	                             GOFER_ID_KEEP, &n);
	assert_true(fd >= 0);
	close(fd);

	struct gofer_setstat a = { .mask = GOFER_SETSTAT_SIZE | GOFER_SETSTAT_MODE |
		                           GOFER_SETSTAT_UID | GOFER_SETSTAT_GID |
		                           GOFER_SETSTAT_ATIME | GOFER_SETSTAT_MTIME,
		                   .size = 4096,
		                   .mode = 0600,
		                   .uid = 11,
		                   .gid = 12,
		                   .atime_sec = 1000,
		                   .atime_nsec = 5,
		                   .mtime_sec = 2000,
		                   .mtime_nsec = 6 };
	assert_int_equal(gofer_client_setstat(g_c, n.id, &a, &sx), 0);
	assert_int_equal(stat(path_in(g_rw, "attrs"), &st), 0);
	assert_int_equal(st.st_size, 4096);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(st.st_uid, 11);
	assert_int_equal(st.st_gid, 12);
	assert_int_equal(st.st_atim.tv_sec, 1000);
	assert_int_equal(st.st_mtim.tv_sec, 2000);
	assert_int_equal(st.st_mtim.tv_nsec, 6);
	assert_int_equal(sx.size, 4096);
	assert_int_equal(sx.mtime.tv_sec, 2000);

	a = (struct gofer_setstat){ .mask = GOFER_SETSTAT_MTIME_NOW };
	assert_int_equal(gofer_client_setstat(g_c, n.id, &a, &sx), 0);
	assert_true(sx.mtime.tv_sec > 2000);
	a = (struct gofer_setstat){ .mask = 0x100 };
	assert_int_equal(gofer_client_setstat(g_c, n.id, &a, NULL), -EINVAL);
	a = (struct gofer_setstat){ .mask = GOFER_SETSTAT_ATIME, .atime_nsec = 1000000000 };
	assert_int_equal(gofer_client_setstat(g_c, n.id, &a, NULL), -EINVAL);
	close_id(n.id);

	uint64_t dir = walk1(g_root, "dir", NULL);
	a = (struct gofer_setstat){ .mask = GOFER_SETSTAT_SIZE, .size = 1 };
	assert_int_equal(gofer_client_setstat(g_c, dir, &a, NULL), -EISDIR);
	close_id(dir);
	uint64_t link = walk1(g_root, "link", NULL);
	a = (struct gofer_setstat){ .mask = GOFER_SETSTAT_MODE, .mode = 0777 };
	assert_int_equal(gofer_client_setstat(g_c, link, &a, NULL), -EOPNOTSUPP);
	close_id(link);

	struct linux_statfs sf;
	struct statfs hs;
	assert_int_equal(gofer_client_statfs(g_c, g_root, &sf), 0);
	assert_int_equal(statfs(g_rw, &hs), 0);
	assert_int_equal(sf.type, hs.f_type);
	assert_int_equal(sf.bsize, hs.f_bsize);
	assert_int_equal(sf.namelen, hs.f_namelen);
	assert_int_equal(gofer_client_unlink(g_c, g_root, "attrs", 0), 0);
}

static void test_xattrs(void **state)
{
	uint64_t file = walk1(g_root, "file", NULL);
	char buf[256];
	int err = gofer_client_setxattr(g_c, file, "user.color", "blue", 4, 0);
	if (err == -EOPNOTSUPP) {
		close_id(file);
		skip(); /* the host file system has no user xattrs */
	}
	assert_int_equal(err, 0);
	assert_int_equal(
	        gofer_client_setxattr(g_c, file, "user.color", "red", 3, LINUX_XATTR_CREATE),
	        -EEXIST);
	assert_int_equal(gofer_client_getxattr(g_c, file, "user.color", NULL, 0), 4);
	assert_int_equal(gofer_client_getxattr(g_c, file, "user.color", buf, sizeof(buf)), 4);
	assert_memory_equal(buf, "blue", 4);
	assert_int_equal(gofer_client_getxattr(g_c, file, "user.color", buf, 2), -ERANGE);
	assert_int_equal(gofer_client_getxattr(g_c, file, "user.none", buf, sizeof(buf)), -ENODATA);
	assert_int_equal(gofer_client_getxattr(g_c, file, "trusted.x", buf, sizeof(buf)),
	                 -EOPNOTSUPP);
	assert_int_equal(gofer_client_setxattr(g_c, file, "security.x", "v", 1, 0), -EOPNOTSUPP);
	assert_int_equal(gofer_client_setxattr(g_c, file, "user.big", "v", 1, 0x4), -EINVAL);

	ssize_t n = gofer_client_listxattr(g_c, file, NULL, 0);
	assert_int_equal(n, sizeof("user.color"));
	assert_int_equal(gofer_client_listxattr(g_c, file, buf, sizeof(buf)), n);
	assert_string_equal(buf, "user.color");
	assert_int_equal(gofer_client_listxattr(g_c, file, buf, 3), -ERANGE);
	assert_int_equal(gofer_client_removexattr(g_c, file, "user.color"), 0);
	assert_int_equal(gofer_client_removexattr(g_c, file, "user.color"), -ENODATA);
	assert_int_equal(gofer_client_listxattr(g_c, file, buf, sizeof(buf)), 0);
	close_id(file);

	uint64_t link = walk1(g_root, "link", NULL);
	assert_int_equal(gofer_client_getxattr(g_c, link, "user.color", buf, sizeof(buf)),
	                 -ENODATA);
	assert_int_equal(gofer_client_setxattr(g_c, link, "user.color", "v", 1, 0), -EPERM);
	assert_int_equal(gofer_client_listxattr(g_c, link, buf, sizeof(buf)), 0);
	close_id(link);
}

static void test_sockets(void **state)
{
	struct gofer_node n;
	int ls = gofer_client_bind(g_c, g_root, "sock", SOCK_STREAM, &n);
	assert_true(ls >= 0);
	assert_int_equal(n.stat.mode & LINUX_S_IFMT, LINUX_S_IFSOCK);
	assert_int_equal(listen(ls, 4), 0);
	assert_int_equal(gofer_client_bind(g_c, g_root, "sock", SOCK_STREAM, &n), -EADDRINUSE);

	uint64_t sock = walk1(g_root, "sock", NULL);
	int cs = gofer_client_connect(g_c, sock, SOCK_STREAM);
	assert_true(cs >= 0);
	int as = accept(ls, NULL, NULL);
	assert_true(as >= 0);
	assert_int_equal(write(cs, "ping", 4), 4);
	char buf[8];
	assert_int_equal(read(as, buf, sizeof(buf)), 4);
	assert_memory_equal(buf, "ping", 4);
	close(as);
	close(cs);
	close(ls);
	assert_int_equal(gofer_client_connect(g_c, sock, 99), -EINVAL);
	close_id(sock);
	close_id(n.id);
	uint64_t file = walk1(g_root, "file", NULL);
	assert_int_equal(gofer_client_connect(g_c, file, SOCK_STREAM), -ECONNREFUSED);
	sock = walk1(g_root, "sock", NULL);
	assert_int_equal(gofer_client_open(g_c, sock, LINUX_O_RDONLY), -ENXIO);
	uint64_t ids[] = { file, sock };
	assert_int_equal(gofer_client_close(g_c, ids, 2), 0);
	assert_int_equal(gofer_client_unlink(g_c, g_root, "sock", 0), 0);
}

static void test_readonly_mount(void **state)
{
	struct gofer_node n;
	struct gofer_setstat a = { .mask = GOFER_SETSTAT_MODE, .mode = 0600 };
	uint64_t file = walk1(g_ro_root, "file", NULL);
	uint64_t rwfile = walk1(g_root, "file", NULL);

	int fd = gofer_client_open(g_c, file, LINUX_O_RDONLY);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(gofer_client_open(g_c, file, LINUX_O_WRONLY), -EROFS);
	assert_int_equal(gofer_client_open(g_c, file, LINUX_O_RDWR), -EROFS);
	assert_int_equal(gofer_client_open(g_c, file, LINUX_O_RDONLY | LINUX_O_TRUNC), -EROFS);
	assert_int_equal(gofer_client_create(g_c, g_ro_root, "x", LINUX_O_WRONLY, 0644,
	                                     GOFER_ID_KEEP, GOFER_ID_KEEP, &n),
	                 -EROFS);
	assert_int_equal(
	        gofer_client_mkdir(g_c, g_ro_root, "x", 0755, GOFER_ID_KEEP, GOFER_ID_KEEP, &n),
	        -EROFS);
	assert_int_equal(gofer_client_mknod(g_c, g_ro_root, "x", LINUX_S_IFIFO | 0644, 0, 0,
	                                    GOFER_ID_KEEP, GOFER_ID_KEEP, &n),
	                 -EROFS);
	assert_int_equal(
	        gofer_client_symlink(g_c, g_ro_root, "x", "t", GOFER_ID_KEEP, GOFER_ID_KEEP, &n),
	        -EROFS);
	assert_int_equal(gofer_client_link(g_c, g_ro_root, "x", file, &n), -EROFS);
	assert_int_equal(gofer_client_unlink(g_c, g_ro_root, "file", 0), -EROFS);
	assert_int_equal(gofer_client_rename(g_c, g_ro_root, "file", g_ro_root, "y", 0), -EROFS);
	assert_int_equal(gofer_client_rename(g_c, g_root, "file", g_ro_root, "y", 0), -EROFS);
	assert_int_equal(gofer_client_setstat(g_c, file, &a, NULL), -EROFS);
	assert_int_equal(gofer_client_setxattr(g_c, file, "user.a", "v", 1, 0), -EROFS);
	assert_int_equal(gofer_client_removexattr(g_c, file, "user.a"), -EROFS);
	assert_int_equal(gofer_client_bind(g_c, g_ro_root, "s", SOCK_STREAM, &n), -EROFS);
	/* Reading stays allowed. */
	struct linux_statx sx;
	assert_int_equal(gofer_client_stat(g_c, file, &sx), 0);
	assert_int_equal(sx.size, 9);
	uint8_t buf[512];
	assert_true(gofer_client_getdents(g_c, g_ro_root, 0, buf, sizeof(buf)) > 0);
	assert_int_equal(access(path_in(g_ro, "x"), F_OK), -1);
	uint64_t ids[] = { file, rwfile };
	assert_int_equal(gofer_client_close(g_c, ids, 2), 0);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s PATH_TO_RUNSC\n", argv[0]);
		return 2;
	}
	g_runsc = argv[1];
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mount),          cmocka_unit_test(test_walk_stat_close),
		cmocka_unit_test(test_open),           cmocka_unit_test(test_create_and_friends),
		cmocka_unit_test(test_getdents),       cmocka_unit_test(test_setstat_statfs),
		cmocka_unit_test(test_xattrs),         cmocka_unit_test(test_sockets),
		cmocka_unit_test(test_readonly_mount),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
