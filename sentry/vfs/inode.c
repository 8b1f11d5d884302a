/*
 * Superblocks, inodes, file system types, paths, fs contexts and the
 * generic permission check: the VFS objects that need no tree. See vfs.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "sentry/vfs/fsnotify.h"
#include "sentry/vfs/locks.h"
#include "sentry/vfs/vfs.h"

/* ---- File system types ---- */

#define MAX_FS_TYPES 16

static pthread_mutex_t g_fs_types_mu = PTHREAD_MUTEX_INITIALIZER;
static const struct fs_type *g_fs_types[MAX_FS_TYPES]; /* protected by g_fs_types_mu */

void vfs_register_fs(const struct fs_type *type)
{
	pthread_mutex_lock(&g_fs_types_mu);
	for (int i = 0; i < MAX_FS_TYPES; i++) {
		if (g_fs_types[i] == type)
			break;
		if (!g_fs_types[i]) {
			g_fs_types[i] = type;
			break;
		}
	}
	pthread_mutex_unlock(&g_fs_types_mu);
}

const struct fs_type *vfs_find_fs(const char *name)
{
	const struct fs_type *found = NULL;
	pthread_mutex_lock(&g_fs_types_mu);
	for (int i = 0; i < MAX_FS_TYPES && g_fs_types[i]; i++) {
		if (strcmp(g_fs_types[i]->name, name) == 0) {
			found = g_fs_types[i];
			break;
		}
	}
	pthread_mutex_unlock(&g_fs_types_mu);
	return found;
}

/* ---- Superblocks ---- */

/* Anonymous device numbers, as Linux's get_anon_bdev: minor numbers of major 0. */
static atomic_uint g_next_dev = 16;

void superblock_init(struct superblock *sb, const struct super_ops *ops, const char *fs_name,
                     int64_t magic, unsigned flags)
{
	atomic_init(&sb->refs, 1);
	sb->ops = ops;
	sb->fs_name = fs_name;
	sb->magic = magic;
	sb->dev = atomic_fetch_add(&g_next_dev, 1);
	sb->flags = flags;
	sb->root = NULL;
	atomic_init(&sb->next_ino, 1);
	sb->options = NULL;
	list_init(&sb->dentries);
}

struct superblock *superblock_get(struct superblock *sb)
{
	int old = atomic_fetch_add(&sb->refs, 1);
	BUG_ON(old <= 0);
	return sb;
}

void superblock_put(struct superblock *sb)
{
	int old = atomic_fetch_sub(&sb->refs, 1);
	BUG_ON(old <= 0);
	if (old == 1) {
		fsnotify_sb_delete(sb);
		sb->ops->release(sb);
	}
}

uint64_t superblock_next_ino(struct superblock *sb)
{
	return atomic_fetch_add(&sb->next_ino, 1);
}

/* ---- Inodes ---- */

struct linux_statx_timestamp vfs_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (struct linux_statx_timestamp){ .tv_sec = ts.tv_sec,
		                               .tv_nsec = (uint32_t)ts.tv_nsec };
}

void inode_init(struct inode *inode, struct superblock *sb, const struct inode_ops *ops,
                uint64_t ino, uint32_t mode, uint32_t uid, uint32_t gid)
{
	atomic_init(&inode->refs, 1);
	inode->sb = sb;
	inode->ops = ops;
	inode->ino = ino ? ino : superblock_next_ino(sb);
	inode->mode = mode;
	pthread_mutex_init(&inode->mu, NULL);
	inode->uid = uid;
	inode->gid = gid;
	inode->nlink = (mode & LINUX_S_IFMT) == LINUX_S_IFDIR ? 2 : 1;
	inode->rdev_major = inode->rdev_minor = 0;
	inode->size = 0;
	inode->blocks = 0;
	inode->blksize = 4096;
	inode->atime = inode->mtime = inode->ctime = inode->btime = vfs_now();
	inode->locks = NULL;
	inode->bound_socket = NULL;
	atomic_init(&inode->fsnotify, NULL);
}

struct inode *inode_get(struct inode *inode)
{
	int old = atomic_fetch_add(&inode->refs, 1);
	BUG_ON(old <= 0);
	return inode;
}

void inode_put(struct inode *inode)
{
	int old = atomic_fetch_sub(&inode->refs, 1);
	BUG_ON(old <= 0);
	if (old == 1) {
		locks_inode_free(inode);
		pthread_mutex_destroy(&inode->mu);
		inode->ops->release(inode);
	}
}

int inode_getattr(struct inode *inode, struct linux_statx *out)
{
	if (inode->ops->refresh) {
		int err = inode->ops->refresh(inode);
		if (err < 0)
			return err;
	}
	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&inode->mu);
	out->mask = LINUX_STATX_BASIC_STATS | LINUX_STATX_BTIME;
	out->blksize = inode->blksize;
	out->nlink = inode->nlink;
	out->uid = inode->uid;
	out->gid = inode->gid;
	out->mode = (uint16_t)inode->mode;
	out->ino = inode->ino;
	out->size = (uint64_t)inode->size;
	out->blocks = inode->blocks;
	out->atime = inode->atime;
	out->btime = inode->btime;
	out->ctime = inode->ctime;
	out->mtime = inode->mtime;
	out->rdev_major = inode->rdev_major;
	out->rdev_minor = inode->rdev_minor;
	pthread_mutex_unlock(&inode->mu);
	out->dev_major = 0;
	out->dev_minor = inode->sb->dev;
	return 0;
}

void inode_touch_locked(struct inode *inode, unsigned mask)
{
	struct linux_statx_timestamp now = vfs_now();
	if (mask & (VFS_ATTR_ATIME | VFS_ATTR_ATIME_NOW))
		inode->atime = now;
	if (mask & (VFS_ATTR_MTIME | VFS_ATTR_MTIME_NOW))
		inode->mtime = now;
	if (mask & VFS_ATTR_CTIME)
		inode->ctime = now;
}

void inode_touch(struct inode *inode, unsigned mask)
{
	pthread_mutex_lock(&inode->mu);
	inode_touch_locked(inode, mask);
	pthread_mutex_unlock(&inode->mu);
}

void inode_apply_setattr_locked(struct inode *inode, const struct vfs_setattr *attr)
{
	struct linux_statx_timestamp now = vfs_now();
	if (attr->mask & VFS_ATTR_MODE)
		inode->mode = (inode->mode & LINUX_S_IFMT) | (attr->mode & LINUX_S_IALLUGO);
	if (attr->mask & VFS_ATTR_UID)
		inode->uid = attr->uid;
	if (attr->mask & VFS_ATTR_GID)
		inode->gid = attr->gid;
	if (attr->mask & VFS_ATTR_SIZE) {
		if (attr->size != inode->size)
			inode->mtime = now;
		inode->size = attr->size;
	}
	if (attr->mask & VFS_ATTR_ATIME)
		inode->atime = attr->atime;
	if (attr->mask & VFS_ATTR_ATIME_NOW)
		inode->atime = now;
	if (attr->mask & VFS_ATTR_MTIME)
		inode->mtime = attr->mtime;
	if (attr->mask & VFS_ATTR_MTIME_NOW)
		inode->mtime = now;
	inode->ctime = now;
}

/* ---- Permissions ---- */

int vfs_permission(const struct creds *c, struct inode *inode, int mask)
{
	pthread_mutex_lock(&inode->mu);
	uint32_t mode = inode->mode, uid = inode->uid, gid = inode->gid;
	pthread_mutex_unlock(&inode->mu);

	uint32_t bits;
	if (c->fsuid == uid)
		bits = (mode >> 6) & 7;
	else if (creds_in_group(c, gid))
		bits = (mode >> 3) & 7;
	else
		bits = mode & 7;
	if (((uint32_t)mask & ~bits) == 0)
		return 0;
	/* Linux's generic_permission: the capabilities that override the bits. */
	if ((mode & LINUX_S_IFMT) == LINUX_S_IFDIR) {
		if (!(mask & MAY_WRITE) && creds_capable(c, LINUX_CAP_DAC_READ_SEARCH))
			return 0;
		return creds_capable(c, LINUX_CAP_DAC_OVERRIDE) ? 0 : -EACCES;
	}
	if ((mask & (MAY_READ | MAY_WRITE | MAY_EXEC)) == MAY_READ &&
	    creds_capable(c, LINUX_CAP_DAC_READ_SEARCH))
		return 0;
	/* Anything but the exec of a file without any x bit. */
	if ((!(mask & MAY_EXEC) || (mode & 0111)) && creds_capable(c, LINUX_CAP_DAC_OVERRIDE))
		return 0;
	return -EACCES;
}

/* ---- Paths and fs contexts ---- */

void path_get(const struct path *p)
{
	if (p->mnt)
		mount_get(p->mnt);
	if (p->d)
		dentry_get(p->d);
}

void path_put(struct path *p)
{
	if (p->d)
		dentry_put(p->d);
	if (p->mnt)
		mount_put(p->mnt);
	p->d = NULL;
	p->mnt = NULL;
}

struct fs_context *fs_context_new(const struct path *root, const struct path *cwd, uint32_t umask)
{
	struct fs_context *fs = calloc(1, sizeof(*fs));
	if (!fs)
		return NULL;
	atomic_init(&fs->refs, 1);
	pthread_mutex_init(&fs->mu, NULL);
	fs->root = *root;
	path_get(&fs->root);
	fs->cwd = *cwd;
	path_get(&fs->cwd);
	fs->umask = umask;
	return fs;
}

struct fs_context *fs_context_get(struct fs_context *fs)
{
	int old = atomic_fetch_add(&fs->refs, 1);
	BUG_ON(old <= 0);
	return fs;
}

void fs_context_put(struct fs_context *fs)
{
	int old = atomic_fetch_sub(&fs->refs, 1);
	BUG_ON(old <= 0);
	if (old != 1)
		return;
	path_put(&fs->root);
	path_put(&fs->cwd);
	pthread_mutex_destroy(&fs->mu);
	free(fs);
}

void fs_context_paths(struct fs_context *fs, struct path *root, struct path *cwd)
{
	pthread_mutex_lock(&fs->mu);
	if (root) {
		*root = fs->root;
		path_get(root);
	}
	if (cwd) {
		*cwd = fs->cwd;
		path_get(cwd);
	}
	pthread_mutex_unlock(&fs->mu);
}
