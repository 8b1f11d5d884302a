/*
 * Unit tests for sentry/fsimpl/gofer: a gofer server (gofer/server.h) runs
 * in a child process on a temporary directory, and the tests drive the
 * goferfs inode_ops and file_ops directly: multi-component walks, create,
 * write and read, O_APPEND, readlink, mkdir, unlink, rename, getdents,
 * setattr, xattrs, a read-only mount (EROFS from the gofer), the pool of
 * channels, and a gofer killed mid-way (EIO, never a crash).
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>
#include <cmocka.h>

#include "gofer/client.h"
#include "gofer/server.h"
#include "sentry/fsimpl/gofer/goferfs.h"
#include "sentry/fsimpl/gofer/goferfs_impl.h"
#include "sentry/vfs/file.h"
#include "sentry/vfs/vfs.h"

/* Names nested this deep make a walk of more than one T_WALK. */
#define DEEP_LEVELS (GOFER_WALK_MAX + 6)

struct fixture {
	char *dir;    /* the host directory served (mount 0 read-write, mount 1 read-only) */
	pid_t server; /* the child running the gofer server */
	struct superblock *sb;
	struct inode *root; /* borrowed from sb */
};

/* ---- Host helpers ---- */

static char *host_path(struct fixture *fx, const char *rel)
{
	static char buf[4096];
	snprintf(buf, sizeof(buf), "%s/%s", fx->dir, rel);
	return buf;
}

static void host_write(struct fixture *fx, const char *rel, const char *content)
{
	int fd = open(host_path(fx, rel), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, content, strlen(content)), (ssize_t)strlen(content));
	close(fd);
}

static void host_read(struct fixture *fx, const char *rel, char *buf, size_t size)
{
	int fd = open(host_path(fx, rel), O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	ssize_t n = read(fd, buf, size - 1);
	assert_true(n >= 0);
	buf[n] = '\0';
	close(fd);
}

static int rm_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	remove(path);
	return 0;
}

/* ---- The server, in a child process ---- */

/* Starts a gofer on fx->dir in a child; returns the client's end of the first channel. */
static struct gofer_client *start_server(struct fixture *fx)
{
	int sv[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct gofer_server *s;
		close(sv[0]);
		if (gofer_server_new(&s) < 0 || gofer_server_add_mount(s, fx->dir, false) < 0 ||
		    gofer_server_add_mount(s, fx->dir, true) < 0)
			_exit(1);
		_exit(gofer_server_serve(s, sv[1]) < 0 ? 1 : 0);
	}
	close(sv[1]);
	fx->server = pid;
	struct gofer_client *c;
	assert_int_equal(gofer_client_new(sv[0], &c), 0);
	return c;
}

static void kill_server(struct fixture *fx)
{
	if (fx->server <= 0)
		return;
	kill(fx->server, SIGKILL);
	waitpid(fx->server, NULL, 0);
	fx->server = 0;
}

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	const char *base = getenv("TMPDIR");
	if (!fx || asprintf(&fx->dir, "%s/goferfs.XXXXXX", base && *base ? base : "/tmp") < 0 ||
	    !mkdtemp(fx->dir))
		return -1;
	char path[4096];
	snprintf(path, sizeof(path), "%s/a/b/c", fx->dir);
	for (char *p = path + strlen(fx->dir) + 1; *p; p++) {
		if (*p == '/') {
			*p = '\0';
			mkdir(path, 0755);
			*p = '/';
		}
	}
	mkdir(path, 0755);
	host_write(fx, "a/b/c/file", "hello");
	host_write(fx, "top", "0123456789");
	if (symlink("a/b", host_path(fx, "link")) < 0)
		return -1;
	/* A chain of DEEP_LEVELS directories named "d". */
	snprintf(path, sizeof(path), "%s", fx->dir);
	for (int i = 0; i < DEEP_LEVELS; i++) {
		strcat(path, "/d");
		if (mkdir(path, 0755) < 0)
			return -1;
	}

	struct gofer_client *c = start_server(fx);
	if (goferfs_new(c, 0, "test", &fx->sb) < 0)
		return -1;
	fx->root = fx->sb->root->inode;
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	if (fx->sb)
		superblock_put(fx->sb);
	if (fx->server > 0) {
		/* The gofer ends once the superblock closed all its channels. */
		int status;
		assert_int_equal(waitpid(fx->server, &status, 0), fx->server);
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	nftw(fx->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(fx->dir);
	free(fx);
	return 0;
}

/* ---- fs helpers ---- */

static struct inode *lookup(struct inode *dir, const char *name)
{
	struct inode *i = NULL;
	assert_int_equal(dir->ops->lookup(dir, name, &i), 0);
	return i;
}

static struct vfs_newnode newnode(uint32_t mode)
{
	return (struct vfs_newnode){ .mode = mode, .uid = getuid(), .gid = getgid() };
}

static struct file *open_inode(struct inode *i, unsigned flags)
{
	struct file *f = NULL;
	assert_int_equal(i->ops->open(i, NULL, NULL, flags, &f), 0);
	return f;
}

static int64_t inode_size(struct inode *i)
{
	assert_int_equal(i->ops->refresh(i), 0);
	pthread_mutex_lock(&i->mu);
	int64_t size = i->size;
	pthread_mutex_unlock(&i->mu);
	return size;
}

/* A getdents consumer that takes at most room entries per call. */
struct listing {
	struct dir_ctx ctx;
	int room;
	int count;
	char names[256][64];
};

static bool list_emit(struct dir_ctx *ctx, const char *name, size_t len, uint64_t ino,
                      unsigned type)
{
	struct listing *l = container_of(ctx, struct listing, ctx);
	if (l->room == 0 || l->count == 256)
		return false;
	l->room--;
	snprintf(l->names[l->count++], sizeof(l->names[0]), "%.*s", (int)len, name);
	return true;
}

static bool listed(const struct listing *l, const char *name)
{
	for (int i = 0; i < l->count; i++) {
		if (strcmp(l->names[i], name) == 0)
			return true;
	}
	return false;
}

/* Lists f from its position to the end, room entries per call, as getdents would. */
static void list_all(struct file *f, struct listing *l, int room)
{
	l->ctx.emit = list_emit;
	for (;;) {
		int before = l->count;
		l->room = room;
		l->ctx.pos = f->pos;
		assert_int_equal(f->ops->iterate(f, &l->ctx), 0);
		f->pos = l->ctx.pos;
		if (l->count == before)
			return;
	}
}

/* ---- Tests ---- */

static void test_new_and_statfs(void **state)
{
	struct fixture *fx = *state;
	struct linux_statfs st;
	struct stat hs;

	assert_string_equal(fx->sb->fs_name, "gofer");
	assert_int_equal(fx->sb->magic, GOFERFS_MAGIC);
	assert_int_equal(fx->sb->flags & SB_RDONLY, 0);
	assert_true(inode_is_dir(fx->root));
	assert_int_equal(stat(fx->dir, &hs), 0);
	assert_int_equal(fx->root->ino, hs.st_ino);
	assert_int_equal(fx->sb->ops->statfs(fx->sb, &st), 0);
	assert_int_equal(st.type, GOFERFS_MAGIC);
	assert_true(st.bsize > 0);
	assert_null(fx->root->ops->tmpfile);
}

static void test_walk(void **state)
{
	struct fixture *fx = *state;
	struct inode *out[DEEP_LEVELS + 1];
	struct stat hs;

	/* Four names in one T_WALK. */
	const char *path[] = { "a", "b", "c", "file" };
	assert_int_equal(fx->root->ops->walk(fx->root, path, 4, out), 4);
	assert_true(inode_is_dir(out[2]));
	assert_true(inode_is_reg(out[3]));
	assert_int_equal(out[3]->size, 5);
	assert_int_equal(stat(host_path(fx, "a/b/c/file"), &hs), 0);
	assert_int_equal(out[3]->ino, hs.st_ino);
	assert_int_equal(out[3]->mode, hs.st_mode);
	for (int i = 0; i < 4; i++)
		inode_put(out[i]);

	/* A missing name: the prefix that exists. */
	const char *missing[] = { "a", "nope", "z" };
	assert_int_equal(fx->root->ops->walk(fx->root, missing, 3, out), 1);
	inode_put(out[0]);
	assert_int_equal(fx->root->ops->walk(fx->root, missing + 1, 2, out), 0);
	struct inode *none;
	assert_int_equal(fx->root->ops->lookup(fx->root, "nope", &none), -ENOENT);

	/* A symlink stops the walk: it is the last inode, not followed. */
	const char *through_link[] = { "link", "c" };
	assert_int_equal(fx->root->ops->walk(fx->root, through_link, 2, out), 1);
	assert_true(inode_is_symlink(out[0]));
	inode_put(out[0]);

	/* A regular file with names after it: the walk stops after it. */
	const char *past_file[] = { "a", "b", "c", "file", "x", "y" };
	assert_int_equal(fx->root->ops->walk(fx->root, past_file, 6, out), 4);
	assert_true(inode_is_reg(out[3]));
	for (int i = 0; i < 4; i++)
		inode_put(out[i]);

	/* More names than one T_WALK carries. */
	const char *deep[DEEP_LEVELS + 1];
	for (int i = 0; i < DEEP_LEVELS; i++)
		deep[i] = "d";
	deep[DEEP_LEVELS] = "missing";
	assert_int_equal(fx->root->ops->walk(fx->root, deep, DEEP_LEVELS + 1, out), DEEP_LEVELS);
	for (int i = 0; i < DEEP_LEVELS; i++) {
		assert_true(inode_is_dir(out[i]));
		inode_put(out[i]);
	}
}

static void test_create_write_read(void **state)
{
	struct fixture *fx = *state;
	struct vfs_newnode nn = newnode(LINUX_S_IFREG | 0640);
	struct inode *i;
	char buf[64];

	assert_int_equal(fx->root->ops->create(fx->root, "new", &nn, &i), 0);
	assert_true(inode_is_reg(i));
	assert_int_equal(i->mode & 07777, 0640);
	assert_int_equal(i->size, 0);
	assert_int_equal(fx->root->ops->create(fx->root, "new", &nn, &i), -EEXIST);

	struct file *f = open_inode(i, LINUX_O_RDWR);
	assert_true(f->ops->seekable(f));
	assert_int_equal(f->ops->write(f, "hello world", 11, 0), 11);
	assert_int_equal(i->size, 11);
	memset(buf, 0, sizeof(buf));
	assert_int_equal(f->ops->read(f, buf, sizeof(buf), 6), 5);
	assert_string_equal(buf, "world");
	host_read(fx, "new", buf, sizeof(buf));
	assert_string_equal(buf, "hello world");

	/* O_APPEND writes at the end, whatever the offset says. */
	struct file *app = open_inode(i, LINUX_O_WRONLY | LINUX_O_APPEND);
	assert_int_equal(app->ops->write(app, "!!", 2, 0), 2);
	assert_int_equal(i->size, 13);
	host_read(fx, "new", buf, sizeof(buf));
	assert_string_equal(buf, "hello world!!");
	assert_int_equal(app->ops->fsync(app, true), 0);
	file_put(app);

	/* A write behind the cache's back (the host fd): refresh sees it. */
	int fd;
	assert_int_equal(f->ops->mmap_fd(f, true, &fd), 0);
	assert_int_equal(pwrite(fd, "xyz", 3, 20), 3);
	assert_int_equal(inode_size(i), 23);
	assert_int_equal(vfs_llseek(f, 0, 2 /* SEEK_END */), 23);
	assert_int_equal(f->ops->fallocate(f, 0, 0, 4096), 0);
	assert_int_equal(inode_size(i), 4096);
	file_put(f);

	/* A later open of the inode reuses the fds; a new lookup makes a new inode. */
	struct file *ro = open_inode(i, LINUX_O_RDONLY);
	assert_int_equal(ro->ops->read(ro, buf, 5, 0), 5);
	assert_memory_equal(buf, "hello", 5);
	file_put(ro);
	inode_put(i);

	i = lookup(fx->root, "top");
	assert_int_equal(i->size, 10);
	ro = open_inode(i, LINUX_O_RDONLY);
	assert_int_equal(ro->ops->read(ro, buf, sizeof(buf), 8), 2);
	assert_memory_equal(buf, "89", 2);
	assert_int_equal(ro->ops->read(ro, buf, sizeof(buf), 10), 0);
	assert_int_equal(ro->ops->mmap_fd(ro, false, &fd), 0);
	assert_int_equal(fcntl(fd, F_GETFL) & O_ACCMODE, O_RDONLY);
	file_put(ro);
	inode_put(i);
}

static void test_readlink_symlink(void **state)
{
	struct fixture *fx = *state;
	struct vfs_newnode nn = newnode(LINUX_S_IFLNK | 0777);
	char buf[LINUX_PATH_MAX];
	struct inode *i = lookup(fx->root, "link");

	assert_int_equal(i->ops->readlink(i, buf, sizeof(buf)), 3);
	assert_string_equal(buf, "a/b");
	assert_int_equal(i->ops->readlink(i, buf, sizeof(buf)), 3); /* cached */
	assert_int_equal(i->ops->readlink(i, buf, 3), -ENAMETOOLONG);
	struct file *f;
	assert_int_equal(i->ops->open(i, NULL, NULL, LINUX_O_RDONLY, &f), -ELOOP);
	inode_put(i);

	assert_int_equal(fx->root->ops->symlink(fx->root, "sl", "/some/where", &nn, &i), 0);
	assert_true(inode_is_symlink(i));
	assert_int_equal(i->ops->readlink(i, buf, sizeof(buf)), 11);
	assert_string_equal(buf, "/some/where");
	inode_put(i);
	ssize_t n = readlink(host_path(fx, "sl"), buf, sizeof(buf));
	assert_int_equal(n, 11);
	assert_memory_equal(buf, "/some/where", 11);
}

static void test_mkdir_unlink_rename(void **state)
{
	struct fixture *fx = *state;
	struct vfs_newnode dir_nn = newnode(LINUX_S_IFDIR | 0750);
	struct vfs_newnode reg_nn = newnode(LINUX_S_IFREG | 0644);
	struct inode *d, *f, *i;
	struct stat hs;

	uint32_t nlink = fx->root->nlink;
	assert_int_equal(fx->root->ops->mkdir(fx->root, "d1", &dir_nn, &d), 0);
	assert_true(inode_is_dir(d));
	assert_int_equal(d->mode & 07777, 0750);
	/* The parent's link count comes from the host at the next refresh. */
	assert_int_equal(fx->root->ops->refresh(fx->root), 0);
	assert_int_equal(fx->root->nlink, nlink + 1);

	assert_int_equal(d->ops->mknod(d, "f", &reg_nn, &f), 0);
	assert_true(inode_is_reg(f));
	assert_int_equal(stat(host_path(fx, "d1/f"), &hs), 0);

	/* A hard link: the target's link count at its next refresh. */
	assert_int_equal(d->ops->link(d, "g", f), 0);
	assert_int_equal(f->ops->refresh(f), 0);
	assert_int_equal(f->nlink, 2);

	/* Rename within and across directories, and the flags. */
	assert_int_equal(d->ops->rename(d, "g", fx->root, "g2", 0, f, NULL), 0);
	assert_int_equal(stat(host_path(fx, "g2"), &hs), 0);
	assert_int_equal(d->ops->rename(d, "f", fx->root, "g2", LINUX_RENAME_NOREPLACE, f, f),
	                 -EEXIST);
	assert_int_equal(fx->root->ops->rename(fx->root, "d1", fx->root, "d2", 0, d, NULL), 0);
	assert_int_equal(fx->root->ops->lookup(fx->root, "d1", &i), -ENOENT);
	i = lookup(fx->root, "d2");
	assert_int_equal(i->ino, d->ino);
	inode_put(i);

	/* unlink and rmdir. */
	assert_int_equal(fx->root->ops->rmdir(fx->root, "d2", d), -ENOTEMPTY);
	assert_int_equal(d->ops->unlink(d, "f", f), 0);
	assert_int_equal(f->nlink, 1);
	assert_int_equal(f->ops->refresh(f), 0);
	assert_int_equal(f->nlink, 1);
	assert_int_equal(fx->root->ops->unlink(fx->root, "g2", f), 0);
	assert_int_equal(f->nlink, 0);
	assert_int_equal(f->ops->refresh(f), 0);
	assert_int_equal(f->nlink, 0);
	assert_int_equal(fx->root->ops->rmdir(fx->root, "d2", d), 0);
	assert_int_equal(stat(host_path(fx, "d2"), &hs), -1);
	assert_int_equal(fx->root->ops->refresh(fx->root), 0);
	assert_int_equal(fx->root->nlink, nlink);
	inode_put(f);
	inode_put(d);
}

static void test_getdents(void **state)
{
	struct fixture *fx = *state;
	static struct listing l1, l2;
	static const char *const expect[] = { ".", "..", "a", "top", "link", "d" };

	struct file *f = open_inode(fx->root, LINUX_O_RDONLY | LINUX_O_DIRECTORY);
	memset(&l1, 0, sizeof(l1));
	list_all(f, &l1, 1000);
	assert_int_equal(l1.count, 6);
	assert_string_equal(l1.names[0], ".");
	assert_string_equal(l1.names[1], "..");
	for (size_t k = 0; k < ARRAY_SIZE(expect); k++)
		assert_true(listed(&l1, expect[k]));

	/* Two entries per call, after a rewind: the same listing. */
	f->pos = 0;
	memset(&l2, 0, sizeof(l2));
	list_all(f, &l2, 2);
	assert_int_equal(l2.count, 6);
	for (int k = 0; k < 6; k++)
		assert_string_equal(l1.names[k], l2.names[k]);

	/* A seek to an entry counted before (telldir/seekdir). */
	f->pos = 4;
	memset(&l2, 0, sizeof(l2));
	list_all(f, &l2, 1);
	assert_int_equal(l2.count, 2);
	assert_string_equal(l2.names[0], l1.names[4]);
	assert_string_equal(l2.names[1], l1.names[5]);
	file_put(f);

	/* A directory with many entries: several T_GETDENTS. */
	struct inode *d = lookup(fx->root, "a");
	struct vfs_newnode nn = newnode(LINUX_S_IFREG | 0644);
	char name[64];
	for (int k = 0; k < 200; k++) {
		struct inode *i;
		snprintf(name, sizeof(name), "a-rather-long-file-name-to-fill-the-buffer-%03d", k);
		assert_int_equal(d->ops->mknod(d, name, &nn, &i), 0);
		inode_put(i);
	}
	f = open_inode(d, LINUX_O_RDONLY);
	memset(&l1, 0, sizeof(l1));
	list_all(f, &l1, 1000);
	assert_int_equal(l1.count, 2 + 1 + 200);
	assert_true(listed(&l1, "b"));
	assert_true(listed(&l1, "a-rather-long-file-name-to-fill-the-buffer-199"));
	file_put(f);
	inode_put(d);
}

static void test_setattr(void **state)
{
	struct fixture *fx = *state;
	struct inode *i = lookup(fx->root, "top");
	struct stat hs;

	struct vfs_setattr attr = {
		.mask = VFS_ATTR_MODE | VFS_ATTR_SIZE | VFS_ATTR_MTIME,
		.mode = 0600,
		.size = 3,
		.mtime = { .tv_sec = 1000000000, .tv_nsec = 5 },
	};
	assert_int_equal(i->ops->setattr(i, &attr), 0);
	assert_int_equal(i->mode, LINUX_S_IFREG | 0600);
	assert_int_equal(i->size, 3);
	assert_int_equal(i->mtime.tv_sec, 1000000000);
	assert_int_equal(i->mtime.tv_nsec, 5);
	assert_int_equal(stat(host_path(fx, "top"), &hs), 0);
	assert_int_equal(hs.st_mode, S_IFREG | 0600);
	assert_int_equal(hs.st_size, 3);
	assert_int_equal(hs.st_mtim.tv_sec, 1000000000);

	attr = (struct vfs_setattr){ .mask = VFS_ATTR_UID | VFS_ATTR_GID | VFS_ATTR_ATIME_NOW,
		                     .uid = getuid(),
		                     .gid = getgid() };
	assert_int_equal(i->ops->setattr(i, &attr), 0);
	assert_int_equal(i->uid, getuid());
	inode_put(i);

	/* Truncating a directory is the host's EISDIR. */
	attr = (struct vfs_setattr){ .mask = VFS_ATTR_SIZE, .size = 0 };
	assert_int_equal(fx->root->ops->setattr(fx->root, &attr), -EISDIR);
}

static void test_xattr(void **state)
{
	struct fixture *fx = *state;
	char buf[256];

	if (setxattr(host_path(fx, "top"), "user.probe", "1", 1, 0) < 0) {
		skip(); /* the host's file system keeps no user xattrs */
		return;
	}
	removexattr(host_path(fx, "top"), "user.probe");
	struct inode *i = lookup(fx->root, "top");
	assert_int_equal(i->ops->setxattr(i, "user.k", "value", 5, 0), 0);
	assert_int_equal(i->ops->setxattr(i, "user.k", "v", 1, LINUX_XATTR_CREATE), -EEXIST);
	assert_int_equal(i->ops->getxattr(i, "user.k", NULL, 0), 5);
	assert_int_equal(i->ops->getxattr(i, "user.k", buf, sizeof(buf)), 5);
	assert_memory_equal(buf, "value", 5);
	assert_int_equal(i->ops->getxattr(i, "user.k", buf, 2), -ERANGE);
	assert_int_equal(i->ops->getxattr(i, "user.none", buf, sizeof(buf)), -ENODATA);
	assert_int_equal(i->ops->listxattr(i, buf, sizeof(buf)), 7);
	assert_string_equal(buf, "user.k");

	/* Other namespaces never reach the gofer. */
	assert_int_equal(i->ops->getxattr(i, "security.selinux", buf, sizeof(buf)), -ENODATA);
	assert_int_equal(i->ops->setxattr(i, "trusted.x", "v", 1, 0), -EOPNOTSUPP);
	assert_int_equal(i->ops->removexattr(i, "trusted.x"), -EOPNOTSUPP);

	assert_int_equal(i->ops->removexattr(i, "user.k"), 0);
	assert_int_equal(i->ops->listxattr(i, buf, sizeof(buf)), 0);
	inode_put(i);
}

static void test_special_files(void **state)
{
	struct fixture *fx = *state;
	struct vfs_newnode fifo = newnode(LINUX_S_IFIFO | 0644);
	struct vfs_newnode chr = newnode(LINUX_S_IFCHR | 0644);
	struct inode *i;
	struct file *f;

	assert_int_equal(fx->root->ops->mknod(fx->root, "fifo", &fifo, &i), 0);
	assert_int_equal(i->mode & LINUX_S_IFMT, LINUX_S_IFIFO);
	assert_int_equal(i->ops->open(i, NULL, NULL, LINUX_O_RDONLY, &f), -ENXIO);
	inode_put(i);
	/* Device nodes are the sentry's own, never the host's. */
	chr.rdev_major = 1;
	chr.rdev_minor = 3;
	assert_int_equal(fx->root->ops->mknod(fx->root, "null", &chr, &i), -EPERM);
}

static void test_read_only(void **state)
{
	struct fixture *fx = *state;
	struct vfs_newnode nn = newnode(LINUX_S_IFREG | 0644);
	struct vfs_newnode dir_nn = newnode(LINUX_S_IFDIR | 0755);
	struct superblock *sb;
	struct gofer_client *c;
	struct inode *i;
	struct file *f;
	char buf[16];

	/* A second connection: a channel of the same gofer. */
	struct goferfs_sb *gs = goferfs_sb_of(fx->sb);
	assert_int_equal(gofer_client_channel(gs->ctl, &c), 0);
	assert_int_equal(goferfs_new(c, 1, "test-ro", &sb), 0);
	assert_int_equal(sb->flags & SB_RDONLY, SB_RDONLY);
	struct inode *root = sb->root->inode;

	assert_int_equal(root->ops->create(root, "x", &nn, &i), -EROFS);
	assert_int_equal(root->ops->mkdir(root, "x", &dir_nn, &i), -EROFS);
	assert_int_equal(root->ops->unlink(root, "top", NULL), -EROFS);
	assert_int_equal(root->ops->rename(root, "top", root, "x", 0, NULL, NULL), -EROFS);
	i = lookup(root, "top");
	struct vfs_setattr attr = { .mask = VFS_ATTR_MODE, .mode = 0600 };
	assert_int_equal(i->ops->setattr(i, &attr), -EROFS);
	assert_int_equal(i->ops->open(i, NULL, NULL, LINUX_O_RDWR, &f), -EROFS);
	assert_int_equal(i->ops->open(i, NULL, NULL, LINUX_O_WRONLY, &f), -EROFS);
	f = open_inode(i, LINUX_O_RDONLY);
	assert_int_equal(f->ops->read(f, buf, sizeof(buf), 0), 10);
	file_put(f);
	inode_put(i);
	superblock_put(sb);
}

/* Channels of the pool: taken by threads that wait when all are busy. */
struct pool_waiter {
	struct goferfs_sb *gs;
	struct gofer_client *got;
	atomic_bool done;
};

static void *pool_wait_thread(void *arg)
{
	struct pool_waiter *w = arg;
	assert_int_equal(goferfs_chan_get(w->gs, &w->got), 0);
	atomic_store(&w->done, true);
	return NULL;
}

static void test_channel_pool(void **state)
{
	struct fixture *fx = *state;
	struct goferfs_sb *gs = goferfs_sb_of(fx->sb);
	struct gofer_client *held[GOFERFS_CHANNELS_MAX];

	for (int k = 0; k < GOFERFS_CHANNELS_MAX; k++)
		assert_int_equal(goferfs_chan_get(gs, &held[k]), 0);
	assert_int_equal(gs->nchans, GOFERFS_CHANNELS_MAX);
	for (int k = 1; k < GOFERFS_CHANNELS_MAX; k++)
		assert_ptr_not_equal(held[k], held[k - 1]);

	/* A 17th waits until one is given back. */
	struct pool_waiter w = { .gs = gs };
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, pool_wait_thread, &w), 0);
	usleep(50 * 1000);
	assert_false(atomic_load(&w.done));
	goferfs_chan_put(gs, held[3]);
	pthread_join(t, NULL);
	assert_ptr_equal(w.got, held[3]);
	assert_int_equal(gs->nchans, GOFERFS_CHANNELS_MAX);
	for (int k = 0; k < GOFERFS_CHANNELS_MAX; k++)
		goferfs_chan_put(gs, held[k]);
}

/* Many threads on the fs at once: lookups, reads and listings. */
static void *stress_thread(void *arg)
{
	struct fixture *fx = arg;
	char buf[16];
	for (int k = 0; k < 50; k++) {
		const char *path[] = { "a", "b", "c", "file" };
		struct inode *out[4];
		if (fx->root->ops->walk(fx->root, path, 4, out) != 4)
			return (void *)1;
		struct file *f;
		bool ok = out[3]->ops->open(out[3], NULL, NULL, LINUX_O_RDONLY, &f) == 0;
		if (ok) {
			ok = f->ops->read(f, buf, sizeof(buf), 0) == 5;
			file_put(f);
		}
		for (int j = 0; j < 4; j++)
			inode_put(out[j]);
		if (!ok)
			return (void *)1;
	}
	return NULL;
}

static void test_concurrent(void **state)
{
	struct fixture *fx = *state;
	pthread_t t[8];
	for (size_t k = 0; k < ARRAY_SIZE(t); k++)
		assert_int_equal(pthread_create(&t[k], NULL, stress_thread, fx), 0);
	for (size_t k = 0; k < ARRAY_SIZE(t); k++) {
		void *ret;
		pthread_join(t[k], &ret);
		assert_null(ret);
	}
	assert_true(goferfs_sb_of(fx->sb)->nchans <= GOFERFS_CHANNELS_MAX);
}

static void test_dead_gofer(void **state)
{
	struct fixture *fx = *state;
	struct vfs_newnode nn = newnode(LINUX_S_IFREG | 0644);
	char buf[LINUX_PATH_MAX];
	struct linux_statfs st;
	struct inode *i, *file, *link, *dir;
	struct file *f;

	file = lookup(fx->root, "top");
	struct file *open_file = open_inode(file, LINUX_O_RDWR);
	link = lookup(fx->root, "link");
	assert_int_equal(link->ops->readlink(link, buf, sizeof(buf)), 3);
	dir = lookup(fx->root, "a");
	struct file *dir_file = open_inode(dir, LINUX_O_RDONLY);
	struct vfs_newnode dir_nn = newnode(LINUX_S_IFDIR | 0755);
	assert_int_equal(fx->root->ops->mkdir(fx->root, "pre", &dir_nn, &i), 0); /* root: stale */
	inode_put(i);

	kill_server(fx);

	/* Every request fails with EIO. */
	assert_int_equal(fx->root->ops->lookup(fx->root, "a", &i), -EIO);
	const char *names[] = { "a", "b" };
	struct inode *out[2];
	assert_int_equal(fx->root->ops->walk(fx->root, names, 2, out), -EIO);
	assert_int_equal(fx->root->ops->create(fx->root, "n", &nn, &i), -EIO);
	assert_int_equal(fx->root->ops->unlink(fx->root, "top", file), -EIO);
	assert_int_equal(fx->sb->ops->statfs(fx->sb, &st), -EIO);
	assert_int_equal(fx->root->ops->refresh(fx->root), -EIO);
	assert_int_equal(fx->root->ops->refresh(fx->root), -EIO); /* still stale */
	struct vfs_setattr attr = { .mask = VFS_ATTR_MODE, .mode = 0600 };
	assert_int_equal(file->ops->setattr(file, &attr), -EIO);
	assert_int_equal(file->ops->getxattr(file, "user.x", buf, sizeof(buf)), -EIO);
	struct listing *l = calloc(1, sizeof(*l));
	l->ctx.emit = list_emit;
	l->room = 100;
	l->ctx.pos = 0;
	assert_int_equal(dir_file->ops->iterate(dir_file, &l->ctx), -EIO);
	free(l);

	/* What needs no gofer still works: I/O on donated fds, cached targets. */
	assert_int_equal(open_file->ops->read(open_file, buf, 4, 0), 4);
	assert_int_equal(open_file->ops->write(open_file, "ab", 2, 0), 2);
	assert_int_equal(link->ops->readlink(link, buf, sizeof(buf)), 3);
	assert_int_equal(file->ops->open(file, NULL, NULL, LINUX_O_RDONLY, &f), 0);
	file_put(f);

	file_put(dir_file);
	file_put(open_file);
	inode_put(dir);
	inode_put(link);
	inode_put(file); /* its T_CLOSE fails quietly */
}

/* The same file system under the VFS's path layer: namei's walk, open, create, getdents. */
struct getdents_names {
	struct dir_ctx ctx;
	int count;
	bool saw_file;
};

static bool names_emit(struct dir_ctx *ctx, const char *name, size_t len, uint64_t ino,
                       unsigned type)
{
	struct getdents_names *g = container_of(ctx, struct getdents_names, ctx);
	g->count++;
	if (len == 4 && memcmp(name, "file", 4) == 0)
		g->saw_file = type == LINUX_DT_REG;
	return true;
}

static void test_through_vfs(void **state)
{
	struct fixture *fx = *state;
	struct creds cr = CREDS_ROOT_INIT;
	struct mount_ns *ns;
	struct file *f;
	struct linux_statx stx;
	struct linux_statfs sfs;
	char buf[64];

	assert_int_equal(mount_ns_new(fx->sb, 0, "test", &ns), 0);
	struct path root = { ns->root, ns->root->root };
	struct vfs_ctx c = { .creds = &cr, .root = root, .start = root, .umask = 022 };

	/* A path of several names, and one through a symlink (resolved by the sentry). */
	assert_int_equal(vfs_open(&c, "/a/b/c/file", LINUX_O_RDONLY, 0, 0, &f), 0);
	assert_int_equal(vfs_read(f, buf, sizeof(buf), -1), 5);
	assert_memory_equal(buf, "hello", 5);
	assert_int_equal(vfs_file_getattr(f, &stx), 0);
	assert_int_equal(stx.size, 5);
	assert_int_equal(stx.dev_minor, fx->sb->dev);
	file_put(f);
	assert_int_equal(vfs_open(&c, "link/c/file", LINUX_O_RDONLY, 0, LOOKUP_FOLLOW, &f), 0);
	file_put(f);
	assert_int_equal(vfs_open(&c, "a/b/nope/x", LINUX_O_RDONLY, 0, 0, &f), -ENOENT);
	assert_int_equal(vfs_open(&c, "a/b/c/file/x", LINUX_O_RDONLY, 0, 0, &f), -ENOTDIR);

	/* Create, write at the position, append, stat. */
	assert_int_equal(
	        vfs_open(&c, "a/new", LINUX_O_CREAT | LINUX_O_EXCL | LINUX_O_WRONLY, 0666, 0, &f),
	        0);
	assert_int_equal(vfs_write(f, "abc", 3, -1), 3);
	assert_int_equal(vfs_write(f, "def", 3, -1), 3);
	file_put(f);
	assert_int_equal(vfs_open(&c, "a/new", LINUX_O_WRONLY | LINUX_O_APPEND, 0, 0, &f), 0);
	assert_int_equal(vfs_write(f, "gh", 2, -1), 2);
	assert_int_equal(vfs_llseek(f, 0, 1 /* SEEK_CUR */), 8);
	file_put(f);
	host_read(fx, "a/new", buf, sizeof(buf));
	assert_string_equal(buf, "abcdefgh");
	struct path p;
	assert_int_equal(vfs_lookup(&c, "a/new", 0, &p), 0);
	assert_int_equal(vfs_getattr(&p, &stx), 0);
	assert_int_equal(stx.size, 8);
	assert_int_equal(stx.mode, LINUX_S_IFREG | 0644);
	assert_int_equal(vfs_statfs(&p, &sfs), 0);
	assert_int_equal(sfs.type, GOFERFS_MAGIC);
	path_put(&p);

	/* Directory changes, and a listing. */
	assert_int_equal(vfs_mkdir(&c, "a/sub", 0755), 0);
	assert_int_equal(vfs_rename(&c, "a/new", &c, "a/sub/moved", 0), 0);
	assert_int_equal(vfs_unlink(&c, "a/sub/moved"), 0);
	assert_int_equal(vfs_rmdir(&c, "a/sub"), 0);
	assert_int_equal(vfs_symlink(&c, "b/c", "a/l2"), 0);
	assert_int_equal(vfs_readlink(&c, "a/l2", 0, buf, sizeof(buf)), 3);
	assert_int_equal(vfs_open(&c, "a/l2/file", LINUX_O_RDONLY, 0, LOOKUP_FOLLOW, &f), 0);
	file_put(f);
	assert_int_equal(vfs_open(&c, "a/b/c", LINUX_O_RDONLY | LINUX_O_DIRECTORY, 0, 0, &f), 0);
	struct getdents_names g = { .ctx.emit = names_emit };
	assert_int_equal(vfs_iterate(f, &g.ctx), 0);
	assert_int_equal(g.count, 3);
	assert_true(g.saw_file);
	file_put(f);

	mount_ns_destroy(ns);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_new_and_statfs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_walk, setup, teardown),
		cmocka_unit_test_setup_teardown(test_create_write_read, setup, teardown),
		cmocka_unit_test_setup_teardown(test_readlink_symlink, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mkdir_unlink_rename, setup, teardown),
		cmocka_unit_test_setup_teardown(test_getdents, setup, teardown),
		cmocka_unit_test_setup_teardown(test_setattr, setup, teardown),
		cmocka_unit_test_setup_teardown(test_xattr, setup, teardown),
		cmocka_unit_test_setup_teardown(test_special_files, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_channel_pool, setup, teardown),
		cmocka_unit_test_setup_teardown(test_concurrent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_through_vfs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dead_gofer, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
