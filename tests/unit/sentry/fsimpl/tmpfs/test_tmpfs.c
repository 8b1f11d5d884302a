/*
 * Unit tests for sentry/fsimpl/tmpfs: the inode_ops and file_ops called
 * directly, with no path walk (the VFS's checks are the caller's here):
 * option parsing, the tree (create, lookup, unlink, mkdir, rmdir, link,
 * rename with its flags, tmpfile), getdents cookies under changes, xattrs,
 * the size and inode limits, the memfd behind mmap, O_APPEND, fallocate,
 * memfd_create, special files, and a deep tree's teardown.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/abi/linux/errno.h"
#include "common/abi/linux/stat.h"
#include "sentry/fsimpl/tmpfs/tmpfs.h"
#include "sentry/fsimpl/tmpfs/tmpfs_impl.h"
#include "sentry/vfs/file.h"
#include "sentry/vfs/vfs.h"

/* ---- Helpers ---- */

static struct superblock *new_fs(const char *data)
{
	struct tmpfs_options o;
	struct superblock *sb;

	assert_int_equal(tmpfs_parse_options(data, &o), 0);
	assert_int_equal(tmpfs_new(&o, &sb), 0);
	return sb;
}

static struct inode *root_of(struct superblock *sb)
{
	return sb->root->inode;
}

static struct vfs_newnode node(uint32_t mode)
{
	return (struct vfs_newnode){ .mode = mode, .uid = 1000, .gid = 1000 };
}

static struct inode *create(struct inode *dir, const char *name)
{
	struct vfs_newnode nn = node(LINUX_S_IFREG | 0644);
	struct inode *i;

	assert_int_equal(dir->ops->create(dir, name, &nn, &i), 0);
	return i;
}

static struct inode *mkdir_in(struct inode *dir, const char *name)
{
	struct vfs_newnode nn = node(LINUX_S_IFDIR | 0755);
	struct inode *i;

	assert_int_equal(dir->ops->mkdir(dir, name, &nn, &i), 0);
	return i;
}

static struct file *open_inode(struct inode *i, unsigned flags)
{
	struct file *f;

	assert_int_equal(i->ops->open(i, NULL, NULL, flags, &f), 0);
	return f;
}

static int lookup(struct inode *dir, const char *name, struct inode **out)
{
	return dir->ops->lookup(dir, name, out);
}

static bool exists(struct inode *dir, const char *name)
{
	struct inode *i;
	int r = lookup(dir, name, &i);

	if (r == 0)
		inode_put(i);
	else
		assert_int_equal(r, -ENOENT);
	return r == 0;
}

static int64_t size_of(struct inode *i)
{
	pthread_mutex_lock(&i->mu);
	int64_t s = i->size;
	pthread_mutex_unlock(&i->mu);
	return s;
}

static uint32_t nlink_of(struct inode *i)
{
	pthread_mutex_lock(&i->mu);
	uint32_t n = i->nlink;
	pthread_mutex_unlock(&i->mu);
	return n;
}

static bool ts_equal(struct linux_statx_timestamp a, struct linux_statx_timestamp b)
{
	return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec;
}

static struct linux_statfs statfs_of(struct superblock *sb)
{
	struct linux_statfs st;

	assert_int_equal(sb->ops->statfs(sb, &st), 0);
	return st;
}

static void truncate_to(struct inode *i, int64_t size, int expect)
{
	struct vfs_setattr a = { .mask = VFS_ATTR_SIZE | VFS_ATTR_MTIME_NOW | VFS_ATTR_CTIME,
		                 .size = size };
	assert_int_equal(i->ops->setattr(i, &a), expect);
}

/* A getdents buffer with room for a given number of entries. */
struct listing {
	struct dir_ctx ctx;
	int room;
	int count;
	char names[64][16];
	uint64_t inos[64];
	unsigned types[64];
};

static bool listing_emit(struct dir_ctx *ctx, const char *name, size_t len, uint64_t ino,
                         unsigned type)
{
	struct listing *l = container_of(ctx, struct listing, ctx);

	if (l->room == 0)
		return false;
	assert_true(len < sizeof(l->names[0]) && l->count < 64);
	memcpy(l->names[l->count], name, len);
	l->names[l->count][len] = '\0';
	l->inos[l->count] = ino;
	l->types[l->count] = type;
	l->count++;
	l->room--;
	return true;
}

/* One getdents call from *pos with room for room entries; returns how many came. */
static int list_some(struct file *dirf, int64_t *pos, int room, struct listing *l)
{
	int before = l->count;

	l->ctx.emit = listing_emit;
	l->ctx.pos = *pos;
	l->room = room;
	assert_int_equal(dirf->ops->iterate(dirf, &l->ctx), 0);
	*pos = l->ctx.pos;
	return l->count - before;
}

static int listed(const struct listing *l, const char *name)
{
	int n = 0;
	for (int i = 0; i < l->count; i++)
		n += strcmp(l->names[i], name) == 0;
	return n;
}

/* ---- Options ---- */

static void test_parse_options(void **state)
{
	struct tmpfs_options o;
	uint64_t ram = host_ram_bytes();

	assert_int_equal(tmpfs_parse_options(NULL, &o), 0);
	assert_int_equal(o.set, 0);
	assert_int_equal(tmpfs_parse_options("", &o), 0);
	assert_int_equal(o.set, 0);

	assert_int_equal(tmpfs_parse_options("size=64k,nr_inodes=1k,mode=0700,uid=5,gid=0x10", &o),
	                 0);
	assert_int_equal(o.set, TMPFS_OPT_SIZE | TMPFS_OPT_NR_INODES | TMPFS_OPT_MODE |
	                                TMPFS_OPT_UID | TMPFS_OPT_GID);
	assert_int_equal(o.size, 64 * 1024);
	assert_int_equal(o.nr_inodes, 1024);
	assert_int_equal(o.mode, 0700);
	assert_int_equal(o.uid, 5);
	assert_int_equal(o.gid, 16);

	/* Sizes round up to pages; suffixes of either case; the last option wins; empty ones
	 * skipped. */
	assert_int_equal(tmpfs_parse_options("size=1,,size=3M", &o), 0);
	assert_int_equal(o.size, 3 << 20);
	assert_int_equal(tmpfs_parse_options("size=1", &o), 0);
	assert_int_equal(o.size, 4096);
	assert_int_equal(tmpfs_parse_options("size=2g", &o), 0);
	assert_int_equal(o.size, 2ULL << 30);
	assert_int_equal(tmpfs_parse_options("nr_blocks=3", &o), 0);
	assert_int_equal(o.size, 3 * 4096);
	assert_int_equal(tmpfs_parse_options("size=0", &o), 0);
	assert_int_equal(o.size, 0);
	assert_int_equal(tmpfs_parse_options("size=50%", &o), 0);
	assert_int_equal(o.size, page_round_up(ram / 2, NULL));
	assert_int_equal(tmpfs_parse_options("mode=1777,inode64,rw,ro", &o), 0);
	assert_int_equal(o.mode, 01777);
	assert_true(o.set & TMPFS_OPT_RDONLY);
	assert_true(o.set & TMPFS_OPT_INODE64);

	static const char *const bad[] = {
		"size=",
		"size=abc",
		"size=10x",
		"size=-1",
		"size=5%%",
		"nr_inodes=1%",
		"mode=8",
		"mode=",
		"uid=-1",
		"uid=4294967295",
		"gid=1x",
		"huge=never",
		"mpol=default",
		"bogus",
		"size",
		"inode64=1",
		"nr_inodes=100000000000000000",
		"size=99999999999999999999",
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		if (tmpfs_parse_options(bad[i], &o) != -EINVAL)
			fail_msg("accepted %s", bad[i]);
	}
}

static void test_mount(void **state)
{
	struct superblock *sb;

	assert_int_equal(tmpfs_fs_type.mount("none", 0, "bogus=1", &sb), -EINVAL);
	assert_int_equal(tmpfs_fs_type.mount("none", 0, "size=64k,mode=755,uid=7", &sb), 0);
	assert_string_equal(sb->fs_name, "tmpfs");
	assert_string_equal(sb->options, "size=64k,mode=755,uid=7");
	struct inode *root = root_of(sb);
	assert_int_equal(root->mode, LINUX_S_IFDIR | 0755);
	assert_int_equal(root->uid, 7);
	assert_int_equal(root->nlink, 2);
	struct linux_statfs st = statfs_of(sb);
	assert_int_equal(st.type, TMPFS_MAGIC);
	assert_int_equal(st.bsize, 4096);
	assert_int_equal(st.blocks, 16);
	assert_int_equal(st.bfree, 16);
	assert_int_equal(st.files, host_ram_bytes() / 4096 / 2);
	assert_int_equal(st.ffree, st.files - 1); /* the root */
	superblock_put(sb);

	/* Defaults show nothing; no limit shows size=0k, as Linux. */
	assert_int_equal(tmpfs_fs_type.mount("none", 0, NULL, &sb), 0);
	assert_null(sb->options);
	assert_int_equal(root_of(sb)->mode, LINUX_S_IFDIR | 01777);
	superblock_put(sb);
	assert_int_equal(tmpfs_fs_type.mount("none", 0, "size=0,nr_inodes=0,ro", &sb), 0);
	assert_string_equal(sb->options, "size=0k,nr_inodes=0");
	assert_true(sb->flags & SB_RDONLY);
	st = statfs_of(sb);
	assert_int_equal(st.blocks, 0);
	assert_int_equal(st.files, 0);
	superblock_put(sb);
}

/* ---- The tree ---- */

static void test_create_lookup_unlink(void **state)
{
	struct superblock *sb = new_fs(NULL);
	struct inode *root = root_of(sb);
	int64_t root_size = size_of(root);
	struct linux_statx_timestamp mtime = root->mtime;

	usleep(2000);
	struct inode *a = create(root, "a");
	assert_true(inode_is_reg(a));
	assert_int_equal(a->mode, LINUX_S_IFREG | 0644);
	assert_int_equal(a->uid, 1000);
	assert_int_equal(a->nlink, 1);
	assert_int_equal(a->size, 0);
	assert_int_equal(a->blksize, 4096);
	assert_int_equal(size_of(root), root_size + 20);
	assert_false(ts_equal(root->mtime, mtime));
	assert_true(ts_equal(root->mtime, root->ctime));

	struct inode *again;
	assert_int_equal(lookup(root, "a", &again), 0);
	assert_ptr_equal(again, a);
	inode_put(again);
	assert_int_equal(lookup(root, "b", &again), -ENOENT);
	struct vfs_newnode nn = node(LINUX_S_IFREG | 0600);
	assert_int_equal(root->ops->create(root, "a", &nn, &again), -EEXIST);

	assert_int_equal(root->ops->unlink(root, "a", a), 0);
	assert_false(exists(root, "a"));
	assert_int_equal(nlink_of(a), 0);
	assert_int_equal(size_of(root), root_size);
	assert_int_equal(root->ops->unlink(root, "a", a), -ENOENT);
	/* The unlinked inode lives while referenced. */
	struct file *f = open_inode(a, LINUX_O_RDWR);
	inode_put(a);
	assert_int_equal(f->ops->write(f, "x", 1, 0), 1);
	file_put(f);
	superblock_put(sb);
}

static void test_mkdir_rmdir(void **state)
{
	struct superblock *sb = new_fs(NULL);
	struct inode *root = root_of(sb);

	struct inode *d = mkdir_in(root, "d");
	assert_true(inode_is_dir(d));
	assert_int_equal(nlink_of(d), 2);
	assert_int_equal(nlink_of(root), 3);
	assert_int_equal(size_of(d), 40);
	struct inode *f = create(d, "f");
	struct inode *sub = mkdir_in(d, "sub");
	assert_int_equal(nlink_of(d), 3);

	assert_int_equal(root->ops->rmdir(root, "d", d), -ENOTEMPTY);
	assert_int_equal(d->ops->unlink(d, "f", f), 0);
	assert_int_equal(d->ops->rmdir(d, "sub", sub), 0);
	assert_int_equal(nlink_of(sub), 0);
	assert_int_equal(nlink_of(d), 2);
	assert_int_equal(root->ops->rmdir(root, "d", d), 0);
	assert_int_equal(nlink_of(d), 0);
	assert_int_equal(nlink_of(root), 2);
	assert_false(exists(root, "d"));

	/* Nothing can be created in a removed directory. */
	struct vfs_newnode nn = node(LINUX_S_IFREG | 0644);
	struct inode *x;
	assert_int_equal(d->ops->create(d, "x", &nn, &x), -ENOENT);
	inode_put(f);
	inode_put(sub);
	inode_put(d);
	superblock_put(sb);
}

static void test_link_tmpfile(void **state)
{
	struct superblock *sb = new_fs("nr_inodes=3");
	struct inode *root = root_of(sb);

	struct inode *a = create(root, "a");
	assert_int_equal(root->ops->link(root, "b", a), 0);
	assert_int_equal(nlink_of(a), 2);
	assert_int_equal(root->ops->link(root, "b", a), -EEXIST);
	/* Each extra link takes one of nr_inodes, as shmem_link: root + a + b. */
	assert_int_equal(root->ops->link(root, "c", a), -ENOSPC);
	struct vfs_newnode nn = node(LINUX_S_IFREG | 0644);
	struct inode *t;
	assert_int_equal(root->ops->create(root, "t", &nn, &t), -ENOSPC);
	assert_int_equal(root->ops->unlink(root, "a", a), 0);
	assert_int_equal(nlink_of(a), 1);
	assert_true(exists(root, "b"));

	/* A tmpfile has no link until linkat; that first link takes no inode. */
	assert_int_equal(root->ops->tmpfile(root, &nn, &t), 0);
	assert_int_equal(nlink_of(t), 0);
	struct inode *u;
	assert_int_equal(root->ops->create(root, "u", &nn, &u), -ENOSPC);
	inode_put(a);
	assert_int_equal(root->ops->link(root, "t", t), 0);
	assert_int_equal(nlink_of(t), 1);
	assert_true(exists(root, "t"));
	inode_put(t);
	superblock_put(sb);
}

static void test_rename(void **state)
{
	struct superblock *sb = new_fs(NULL);
	struct inode *root = root_of(sb);
	struct inode *d1 = mkdir_in(root, "d1"), *d2 = mkdir_in(root, "d2");
	struct inode *f = create(d1, "f"), *g = create(d2, "g");
	struct inode *sub = mkdir_in(d1, "sub");

	/* A plain move of a file between directories. */
	assert_int_equal(d1->ops->rename(d1, "f", d2, "f2", 0, f, NULL), 0);
	assert_false(exists(d1, "f"));
	assert_true(exists(d2, "f2"));
	assert_int_equal(nlink_of(f), 1);

	/* A directory moves its ".." link. */
	assert_int_equal(nlink_of(d1), 3);
	assert_int_equal(d1->ops->rename(d1, "sub", d2, "sub", 0, sub, NULL), 0);
	assert_int_equal(nlink_of(d1), 2);
	assert_int_equal(nlink_of(d2), 3);

	/* Replacing drops the target. */
	assert_int_equal(d2->ops->rename(d2, "f2", d2, "g", LINUX_RENAME_NOREPLACE, f, g), -EEXIST);
	assert_int_equal(d2->ops->rename(d2, "f2", d2, "g", 0, f, g), 0);
	assert_int_equal(nlink_of(g), 0);
	struct inode *x;
	assert_int_equal(lookup(d2, "g", &x), 0);
	assert_ptr_equal(x, f);
	inode_put(x);
	assert_false(exists(d2, "f2"));

	/* Exchange of a file and a directory across directories. */
	struct inode *h = create(d1, "h");
	assert_int_equal(d2->ops->rename(d2, "sub", d1, "h", LINUX_RENAME_EXCHANGE, sub, h), 0);
	assert_int_equal(lookup(d1, "h", &x), 0);
	assert_ptr_equal(x, sub);
	inode_put(x);
	assert_int_equal(lookup(d2, "sub", &x), 0);
	assert_ptr_equal(x, h);
	inode_put(x);
	assert_int_equal(nlink_of(d1), 3);
	assert_int_equal(nlink_of(d2), 2);

	/* A directory over a directory: only an empty one. */
	struct inode *e = mkdir_in(d2, "e");
	struct inode *in_e = create(e, "in");
	assert_int_equal(d1->ops->rename(d1, "h", d2, "e", 0, sub, e), -ENOTEMPTY);
	assert_int_equal(e->ops->unlink(e, "in", in_e), 0);
	assert_int_equal(d1->ops->rename(d1, "h", d2, "e", 0, sub, e), 0);
	assert_int_equal(nlink_of(e), 0);
	assert_int_equal(nlink_of(d1), 2);
	assert_int_equal(nlink_of(d2), 3); /* 2 + sub (now "e"); the old e is gone */
	assert_int_equal(nlink_of(root), 4);

	/* Within one directory. */
	assert_int_equal(d2->ops->rename(d2, "e", d2, "e2", 0, sub, NULL), 0);
	assert_int_equal(nlink_of(d2), 3);
	assert_true(exists(d2, "e2"));

	inode_put(in_e);
	inode_put(e);
	inode_put(h);
	inode_put(sub);
	inode_put(g);
	inode_put(f);
	inode_put(d2);
	inode_put(d1);
	superblock_put(sb);
}

static void test_readdir_cookies(void **state)
{
	struct superblock *sb = new_fs(NULL);
	struct inode *root = root_of(sb);
	struct inode *files[8];
	char name[16];

	for (int i = 0; i < 8; i++) {
		snprintf(name, sizeof(name), "f%d", i);
		files[i] = create(root, name);
	}
	struct inode *d = mkdir_in(root, "zdir");
	struct file *dirf = open_inode(root, LINUX_O_RDONLY | LINUX_O_DIRECTORY);
	struct listing l = { 0 };
	int64_t pos = 0;

	/* ".", "..", then entries in creation (cookie) order. */
	assert_int_equal(list_some(dirf, &pos, 4, &l), 4);
	assert_string_equal(l.names[0], ".");
	assert_string_equal(l.names[1], "..");
	assert_int_equal(l.types[0], LINUX_DT_DIR);
	assert_int_equal(l.inos[0], root->ino);
	assert_string_equal(l.names[2], "f0");
	assert_string_equal(l.names[3], "f1");
	assert_int_equal(l.types[2], LINUX_DT_REG);
	assert_int_equal(l.inos[2], files[0]->ino);

	/* Changes between calls: a listed entry goes, an unlisted one goes, a new one comes. */
	assert_int_equal(root->ops->unlink(root, "f0", files[0]), 0);
	assert_int_equal(root->ops->unlink(root, "f4", files[4]), 0);
	struct inode *late = create(root, "late");
	/* A rename makes a new entry: listed once, under its new name. */
	assert_int_equal(root->ops->rename(root, "f5", root, "f5b", 0, files[5], NULL), 0);

	while (list_some(dirf, &pos, 3, &l) > 0)
		;
	assert_int_equal(listed(&l, "f0"), 1); /* listed before it went */
	assert_int_equal(listed(&l, "f1"), 1);
	for (int i = 2; i < 8; i++) {
		snprintf(name, sizeof(name), "f%d", i);
		assert_int_equal(listed(&l, name), i == 4 || i == 5 ? 0 : 1);
	}
	assert_int_equal(listed(&l, "zdir"), 1);
	assert_int_equal(listed(&l, "late"), 1);
	assert_int_equal(listed(&l, "f5b"), 1);
	assert_int_equal(l.types[l.count - 3], LINUX_DT_DIR); /* zdir, late, f5b */

	/* A stopped listing resumes at the entry that did not fit. */
	struct listing l2 = { 0 };
	pos = 2;
	assert_int_equal(list_some(dirf, &pos, 0, &l2), 0);
	assert_int_equal(pos, 2);
	assert_int_equal(list_some(dirf, &pos, 1, &l2), 1);
	assert_string_equal(l2.names[0], "f1");
	file_put(dirf);

	for (int i = 0; i < 8; i++)
		inode_put(files[i]);
	inode_put(late);
	inode_put(d);
	superblock_put(sb);
}

/* ---- Attributes ---- */

static void test_setattr(void **state)
{
	struct superblock *sb = new_fs(NULL);
	struct inode *a = create(root_of(sb), "a");
	struct vfs_setattr at = { .mask = VFS_ATTR_MODE | VFS_ATTR_UID | VFS_ATTR_GID |
		                          VFS_ATTR_MTIME | VFS_ATTR_CTIME,
		                  .mode = 0600,
		                  .uid = 1,
		                  .gid = 2,
		                  .mtime = { .tv_sec = 1000 } };

	assert_int_equal(a->ops->setattr(a, &at), 0);
	assert_int_equal(a->mode, LINUX_S_IFREG | 0600);
	assert_int_equal(a->uid, 1);
	assert_int_equal(a->gid, 2);
	assert_int_equal(a->mtime.tv_sec, 1000);
	truncate_to(a, 5000, 0);
	assert_int_equal(size_of(a), 5000);
	assert_int_equal(a->blocks, 16);
	truncate_to(a, 0, 0);
	assert_int_equal(a->blocks, 0);
	inode_put(a);
	superblock_put(sb);
}

static void test_xattrs(void **state)
{
	struct superblock *sb = new_fs(NULL);
	struct inode *a = create(root_of(sb), "a");
	char buf[64];

	assert_int_equal(a->ops->getxattr(a, "user.x", buf, sizeof(buf)), -ENODATA);
	assert_int_equal(a->ops->setxattr(a, "user.x", "hello", 5, 0), 0);
	assert_int_equal(a->ops->setxattr(a, "trusted.y", "", 0, 0), 0);
	assert_int_equal(a->ops->getxattr(a, "user.x", NULL, 0), 5);
	assert_int_equal(a->ops->getxattr(a, "user.x", buf, 4), -ERANGE);
	assert_int_equal(a->ops->getxattr(a, "user.x", buf, sizeof(buf)), 5);
	assert_memory_equal(buf, "hello", 5);
	assert_int_equal(a->ops->getxattr(a, "trusted.y", buf, sizeof(buf)), 0);

	assert_int_equal(a->ops->setxattr(a, "user.x", "v", 1, LINUX_XATTR_CREATE), -EEXIST);
	assert_int_equal(a->ops->setxattr(a, "user.z", "v", 1, LINUX_XATTR_REPLACE), -ENODATA);
	assert_int_equal(a->ops->setxattr(a, "user.x", "bye", 3, LINUX_XATTR_REPLACE), 0);
	assert_int_equal(a->ops->getxattr(a, "user.x", buf, sizeof(buf)), 3);
	assert_memory_equal(buf, "bye", 3);

	static const char names[] = "user.x\0trusted.y";
	assert_int_equal(a->ops->listxattr(a, NULL, 0), sizeof(names));
	assert_int_equal(a->ops->listxattr(a, buf, 5), -ERANGE);
	assert_int_equal(a->ops->listxattr(a, buf, sizeof(buf)), sizeof(names));
	assert_memory_equal(buf, names, sizeof(names));

	assert_int_equal(a->ops->removexattr(a, "user.x"), 0);
	assert_int_equal(a->ops->removexattr(a, "user.x"), -ENODATA);
	assert_int_equal(a->ops->listxattr(a, NULL, 0), strlen("trusted.y") + 1);
	assert_int_equal(a->ops->setxattr(a, "system.posix_acl_access", "x", 1, 0), -EOPNOTSUPP);
	assert_int_equal(a->ops->getxattr(a, "system.posix_acl_access", buf, 1), -EOPNOTSUPP);
	/* Freed with the inode (LeakSanitizer checks). */
	inode_put(a);
	superblock_put(sb);
}

/* ---- Regular files ---- */

static void test_read_write(void **state)
{
	struct superblock *sb = new_fs(NULL);
	struct inode *a = create(root_of(sb), "a");
	struct file *f = open_inode(a, LINUX_O_RDWR);
	char buf[16];

	assert_true(f->ops->seekable(f));
	assert_int_equal(f->ops->read(f, buf, sizeof(buf), 0), 0); /* empty: no memfd yet */
	assert_int_equal(tmpfs_inode_of(a)->reg.memfd, -1);
	assert_int_equal(f->ops->write(f, "", 0, 0), 0);
	assert_int_equal(tmpfs_inode_of(a)->reg.memfd, -1);

	struct linux_statx_timestamp mtime = a->mtime;
	usleep(2000);
	assert_int_equal(f->ops->write(f, "hello", 5, 8192), 5);
	assert_false(ts_equal(a->mtime, mtime));
	assert_int_equal(size_of(a), 8197);
	assert_int_equal(a->blocks, 24);
	/* A hole reads zeros; the end reads nothing. */
	memset(buf, 'x', sizeof(buf));
	assert_int_equal(f->ops->read(f, buf, 4, 100), 4);
	assert_memory_equal(buf, "\0\0\0\0", 4);
	assert_int_equal(f->ops->read(f, buf, sizeof(buf), 8190), 7);
	assert_memory_equal(buf, "\0\0hello", 7);
	assert_int_equal(f->ops->read(f, buf, sizeof(buf), 8197), 0);
	assert_int_equal(f->ops->read(f, buf, sizeof(buf), 1 << 20), 0);
	assert_int_equal(f->ops->write(f, "x", 1, INT64_MAX), -EFBIG);

	/* lseek is the generic one, over inode->size. */
	assert_int_equal(f->ops->llseek(f, -1, 2), 8196);
	file_put(f);
	inode_put(a);
	superblock_put(sb);
}

static void test_append(void **state)
{
	struct superblock *sb = new_fs(NULL);
	struct inode *a = create(root_of(sb), "a");
	struct file *w = open_inode(a, LINUX_O_WRONLY | LINUX_O_APPEND);
	struct file *r = open_inode(a, LINUX_O_RDONLY);
	char buf[16];

	assert_int_equal(w->ops->write(w, "abc", 3, 0), 3);
	assert_int_equal(size_of(a), 3);
	assert_int_equal(w->ops->write(w, "def", 3, 0), 3); /* the offset is ignored */
	assert_int_equal(size_of(a), 6);
	assert_int_equal(r->ops->read(r, buf, sizeof(buf), 0), 6);
	assert_memory_equal(buf, "abcdef", 6);
	file_put(w);
	file_put(r);
	inode_put(a);
	superblock_put(sb);
}

static void test_mmap_fd(void **state)
{
	struct superblock *sb = new_fs(NULL);
	struct inode *a = create(root_of(sb), "a");
	struct file *f = open_inode(a, LINUX_O_RDWR);
	struct stat st;
	int fd;

	/* mmap of an empty file makes its memfd, of size 0. */
	assert_int_equal(f->ops->mmap_fd(f, true, &fd), 0);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(st.st_size, 0);

	assert_int_equal(f->ops->write(f, "data", 4, 5000), 4);
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(st.st_size, 5004);
	char buf[4];
	assert_int_equal(pread(fd, buf, 4, 5000), 4);
	assert_memory_equal(buf, "data", 4);
	truncate_to(a, 100, 0);
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(st.st_size, 100);
	truncate_to(a, 1 << 20, 0);
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(st.st_size, 1 << 20);
	int fd2;
	assert_int_equal(f->ops->mmap_fd(f, false, &fd2), 0);
	assert_int_equal(fd2, fd);

	/* A file whose first use is a truncate gets its memfd then. */
	struct inode *b = create(root_of(sb), "b");
	truncate_to(b, 3, 0);
	struct file *fb = open_inode(b, LINUX_O_RDONLY);
	assert_int_equal(fb->ops->mmap_fd(fb, false, &fd2), 0);
	assert_int_equal(fstat(fd2, &st), 0);
	assert_int_equal(st.st_size, 3);
	file_put(fb);
	inode_put(b);
	file_put(f);
	inode_put(a);
	superblock_put(sb);
}

static void test_enospc_size(void **state)
{
	struct superblock *sb = new_fs("size=16k");
	struct inode *root = root_of(sb);
	struct inode *a = create(root, "a"), *b = create(root, "b");
	struct file *fa = open_inode(a, LINUX_O_RDWR), *fb = open_inode(b, LINUX_O_RDWR);
	static char data[20000];

	memset(data, 'a', sizeof(data));
	assert_int_equal(fa->ops->write(fa, data, 10000, 0), 10000);
	assert_int_equal(statfs_of(sb).bfree, 1);
	/* What fits is written: up to the last free page. */
	assert_int_equal(fa->ops->write(fa, data, 10000, 10000), 16384 - 10000);
	assert_int_equal(size_of(a), 16384);
	assert_int_equal(statfs_of(sb).bfree, 0);
	assert_int_equal(fa->ops->write(fa, data, 1, 16384), -ENOSPC);
	assert_int_equal(fb->ops->write(fb, data, 1, 0), -ENOSPC);
	/* Overwriting charged pages needs no space. */
	assert_int_equal(fa->ops->write(fa, data, 100, 0), 100);
	truncate_to(b, 1, -ENOSPC);
	assert_int_equal(fb->ops->fallocate(fb, 0, 0, 1), -ENOSPC);

	/* Shrinking gives pages back. */
	truncate_to(a, 4096, 0);
	assert_int_equal(statfs_of(sb).bfree, 3);
	assert_int_equal(fb->ops->write(fb, data, 20000, 0), 3 * 4096);
	truncate_to(b, 0, 0);
	/* So does the last put of an unlinked file. */
	assert_int_equal(root->ops->unlink(root, "a", a), 0);
	assert_int_equal(statfs_of(sb).bfree, 3);
	file_put(fa);
	inode_put(a);
	assert_int_equal(statfs_of(sb).bfree, 4);
	assert_int_equal(fb->ops->write(fb, data, 16384, 0), 16384);
	file_put(fb);
	inode_put(b);

	/* A long symlink takes a page; there is none. */
	struct vfs_newnode nn = node(LINUX_S_IFLNK | 0777);
	char target[200];
	memset(target, 't', sizeof(target) - 1);
	target[sizeof(target) - 1] = '\0';
	struct inode *s;
	assert_int_equal(root->ops->symlink(root, "s", target, &nn, &s), -ENOSPC);
	assert_int_equal(root->ops->symlink(root, "s", "short", &nn, &s), 0);
	inode_put(s);
	superblock_put(sb);
}

static void test_fallocate(void **state)
{
	struct superblock *sb = new_fs("size=64k");
	struct inode *a = create(root_of(sb), "a");
	struct file *f = open_inode(a, LINUX_O_RDWR);

	assert_int_equal(f->ops->fallocate(f, LINUX_FALLOC_FL_KEEP_SIZE, 0, 8192), 0);
	assert_int_equal(size_of(a), 0);
	assert_int_equal(a->blocks, 16);
	assert_int_equal(statfs_of(sb).bfree, 14);
	assert_int_equal(f->ops->fallocate(f, 0, 4096, 8192), 0);
	assert_int_equal(size_of(a), 12288);
	assert_int_equal(a->blocks, 24);
	assert_int_equal(f->ops->fallocate(f, LINUX_FALLOC_FL_KEEP_SIZE, 0, 65536 + 4096), -ENOSPC);
	assert_int_equal(f->ops->fallocate(f, LINUX_FALLOC_FL_KEEP_SIZE, 12288, 8192), 0);
	assert_int_equal(a->blocks, 40);
	/* A hole through the reservation past the end gives it back; within the file it stays
	 * charged. */
	assert_int_equal(f->ops->fallocate(f,
	                                   LINUX_FALLOC_FL_PUNCH_HOLE | LINUX_FALLOC_FL_KEEP_SIZE,
	                                   0, 1 << 20),
	                 0);
	assert_int_equal(size_of(a), 12288);
	assert_int_equal(a->blocks, 24);
	assert_int_equal(f->ops->fallocate(f, LINUX_FALLOC_FL_PUNCH_HOLE, 0, 1), -EOPNOTSUPP);
	assert_int_equal(f->ops->fallocate(f, 0x10, 0, 1), -EOPNOTSUPP);
	char buf[4];
	assert_int_equal(f->ops->read(f, buf, 4, 0), 4);
	assert_memory_equal(buf, "\0\0\0\0", 4);
	file_put(f);
	inode_put(a);
	superblock_put(sb);
}

/* ---- Other kinds ---- */

static void test_symlink(void **state)
{
	struct superblock *sb = new_fs(NULL);
	struct inode *root = root_of(sb);
	struct vfs_newnode nn = node(LINUX_S_IFLNK | 0777);
	struct inode *s;
	char buf[8];

	assert_int_equal(root->ops->symlink(root, "s", "target/path", &nn, &s), 0);
	assert_true(inode_is_symlink(s));
	assert_int_equal(s->size, 11);
	assert_int_equal(s->ops->readlink(s, buf, sizeof(buf)), 7);
	assert_string_equal(buf, "target/");
	struct file *f;
	assert_int_equal(s->ops->open(s, NULL, NULL, LINUX_O_RDONLY, &f), -ELOOP);
	f = open_inode(s, LINUX_O_PATH);
	assert_null(f->ops->read);
	file_put(f);
	char huge[5000];
	memset(huge, 'x', sizeof(huge) - 1);
	huge[sizeof(huge) - 1] = '\0';
	struct inode *t;
	assert_int_equal(root->ops->symlink(root, "t", huge, &nn, &t), -ENAMETOOLONG);
	inode_put(s);
	superblock_put(sb);
}

static void test_special_nodes(void **state)
{
	struct superblock *sb = new_fs(NULL);
	struct inode *root = root_of(sb);
	struct vfs_newnode nn = node(LINUX_S_IFCHR | 0666);
	struct inode *c, *p, *s, *r;
	struct file *f;

	nn.rdev_major = 250; /* no driver */
	nn.rdev_minor = 7;
	assert_int_equal(root->ops->mknod(root, "c", &nn, &c), 0);
	assert_int_equal(c->rdev_major, 250);
	assert_int_equal(c->rdev_minor, 7);
	assert_int_equal(c->ops->open(c, NULL, NULL, LINUX_O_RDWR, &f), -ENXIO);
	nn.mode = LINUX_S_IFIFO | 0644;
	assert_int_equal(root->ops->mknod(root, "p", &nn, &p), 0);
	assert_int_equal(p->rdev_major, 0);
	assert_int_equal(p->ops->open(p, NULL, NULL, LINUX_O_RDONLY, &f), -ENXIO);
	f = open_inode(p, LINUX_O_PATH);
	file_put(f);
	nn.mode = LINUX_S_IFSOCK | 0644;
	assert_int_equal(root->ops->mknod(root, "s", &nn, &s), 0);
	assert_int_equal(s->ops->open(s, NULL, NULL, LINUX_O_RDWR, &f), -ENXIO);
	nn.mode = 0644; /* no type: a regular file */
	assert_int_equal(root->ops->mknod(root, "r", &nn, &r), 0);
	assert_true(inode_is_reg(r));

	struct listing l = { 0 };
	struct file *dirf = open_inode(root, LINUX_O_RDONLY);
	int64_t pos = 2;
	assert_int_equal(list_some(dirf, &pos, 10, &l), 4);
	assert_int_equal(l.types[0], LINUX_DT_CHR);
	assert_int_equal(l.types[1], LINUX_DT_FIFO);
	assert_int_equal(l.types[2], LINUX_DT_SOCK);
	assert_int_equal(l.types[3], LINUX_DT_REG);
	file_put(dirf);
	inode_put(c);
	inode_put(p);
	inode_put(s);
	inode_put(r);
	superblock_put(sb);
}

static void test_memfd(void **state)
{
	struct file *f, *g;
	char buf[8];
	char long_name[TMPFS_MEMFD_NAME_MAX + 2];

	memset(long_name, 'n', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	assert_int_equal(tmpfs_memfd_create(long_name, 0, &f), -EINVAL);
	assert_int_equal(tmpfs_memfd_create("x", LINUX_MFD_HUGETLB, &f), -EINVAL);
	assert_int_equal(tmpfs_memfd_create("x", LINUX_MFD_CLOEXEC | LINUX_MFD_ALLOW_SEALING, &f),
	                 0);
	assert_int_equal(tmpfs_memfd_create("y", 0, &g), 0);
	assert_ptr_equal(f->inode->sb, g->inode->sb); /* one internal superblock */
	assert_ptr_not_equal(f->inode, g->inode);
	assert_int_equal(atomic_load(&f->flags), LINUX_O_RDWR | LINUX_O_LARGEFILE);
	assert_null(f->path.d);
	assert_true(inode_is_reg(f->inode));
	assert_int_equal(f->inode->nlink, 0);
	assert_int_equal(f->inode->mode, LINUX_S_IFREG | 0777);
	assert_int_equal(f->ops->write(f, "memfd", 5, 0), 5);
	assert_int_equal(f->ops->read(f, buf, sizeof(buf), 0), 5);
	assert_memory_equal(buf, "memfd", 5);
	int fd;
	assert_int_equal(f->ops->mmap_fd(f, true, &fd), 0);
	file_put(f);
	file_put(g);

	assert_int_equal(tmpfs_memfd_create("z", LINUX_MFD_EXEC | LINUX_MFD_NOEXEC_SEAL, &f),
	                 -EINVAL);
	assert_int_equal(tmpfs_memfd_create("z", LINUX_MFD_NOEXEC_SEAL, &f), 0);
	assert_int_equal(f->inode->mode, LINUX_S_IFREG | 0666);
	file_put(f);
}

/* ---- Teardown and threads ---- */

static void test_deep_tree_teardown(void **state)
{
	struct superblock *sb = new_fs(NULL);
	struct inode *dir = inode_get(root_of(sb));

	/* Deep enough that a recursive release would need a lot of stack. */
	for (int i = 0; i < 100000; i++) {
		struct inode *sub = mkdir_in(dir, "d");
		if (i % 1000 == 0)
			inode_put(create(dir, "f"));
		inode_put(dir);
		dir = sub;
	}
	struct inode *f = create(dir, "leaf");
	struct file *fp = open_inode(f, LINUX_O_RDWR);
	assert_int_equal(fp->ops->write(fp, "x", 1, 0), 1);
	file_put(fp);
	inode_put(f);
	inode_put(dir);
	superblock_put(sb);
}

struct worker {
	struct inode *dir;
	int id;
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	char name[32];
	char buf[256];

	memset(buf, 'a' + w->id, sizeof(buf));
	for (int i = 0; i < 300; i++) {
		snprintf(name, sizeof(name), "w%d-%d", w->id, i);
		struct inode *f = create(w->dir, name);
		struct file *fp = open_inode(f, LINUX_O_RDWR | LINUX_O_APPEND);
		for (int j = 0; j < 4; j++)
			assert_int_equal(fp->ops->write(fp, buf, sizeof(buf), 0), sizeof(buf));
		assert_int_equal(size_of(f), 4 * sizeof(buf));
		file_put(fp);
		if (i % 2 == 0)
			assert_int_equal(w->dir->ops->unlink(w->dir, name, f), 0);
		inode_put(f);
	}
	return NULL;
}

static void test_threads(void **state)
{
	struct superblock *sb = new_fs(NULL);
	struct inode *root = root_of(sb);
	struct inode *shared = mkdir_in(root, "shared");
	pthread_t threads[4];
	struct worker workers[4];

	for (int i = 0; i < 4; i++) {
		workers[i] = (struct worker){ .dir = shared, .id = i };
		assert_int_equal(pthread_create(&threads[i], NULL, worker_main, &workers[i]), 0);
	}
	/* Meanwhile, list the directory over and over. */
	struct file *dirf = open_inode(shared, LINUX_O_RDONLY);
	for (int i = 0; i < 50; i++) {
		struct listing l = { 0 };
		int64_t pos = 0;
		while (l.count < 64 && list_some(dirf, &pos, 64 - l.count, &l) > 0)
			;
	}
	file_put(dirf);
	for (int i = 0; i < 4; i++)
		pthread_join(threads[i], NULL);
	assert_int_equal(size_of(shared), 40 + 20 * 4 * 150);
	inode_put(shared);
	superblock_put(sb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_options),
		cmocka_unit_test(test_mount),
		cmocka_unit_test(test_create_lookup_unlink),
		cmocka_unit_test(test_mkdir_rmdir),
		cmocka_unit_test(test_link_tmpfile),
		cmocka_unit_test(test_rename),
		cmocka_unit_test(test_readdir_cookies),
		cmocka_unit_test(test_setattr),
		cmocka_unit_test(test_xattrs),
		cmocka_unit_test(test_read_write),
		cmocka_unit_test(test_append),
		cmocka_unit_test(test_mmap_fd),
		cmocka_unit_test(test_enospc_size),
		cmocka_unit_test(test_fallocate),
		cmocka_unit_test(test_symlink),
		cmocka_unit_test(test_special_nodes),
		cmocka_unit_test(test_memfd),
		cmocka_unit_test(test_deep_tree_teardown),
		cmocka_unit_test(test_threads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
