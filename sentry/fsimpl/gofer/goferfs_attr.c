/*
 * Attributes of gofer inodes: readlink (cached: a symlink never changes),
 * refresh (goferfs.h, "cache mode"), setattr and the xattr calls.
 *
 * Only the user.* xattr namespace reaches the gofer, which serves no
 * other: reading another namespace finds nothing (ENODATA), writing one
 * is not supported (EOPNOTSUPP), and lists show user.* names only.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sentry/fsimpl/gofer/goferfs_impl.h"

#define XATTR_USER_PREFIX     "user."
#define XATTR_USER_PREFIX_LEN 5

/* goferfs_readlink implements inode_ops.readlink: T_READLINK once, then the cached target. */
ssize_t goferfs_readlink(struct inode *inode, char *buf, size_t size)
{
	struct goferfs_inode *gi = goferfs_inode_of(inode);
	struct goferfs_sb *gs = goferfs_sb_of_inode(inode);
	char *target = atomic_load(&gi->target);

	if (!target) {
		struct gofer_client *c;
		char *t = malloc(GOFER_PATH_MAX + 1);
		if (!t)
			return -ENOMEM;
		ssize_t n = goferfs_chan_get(gs, &c);
		if (n == 0) {
			n = gofer_client_readlink(c, gi->node, t, GOFER_PATH_MAX + 1);
			goferfs_chan_put(gs, c);
		}
		if (n < 0) {
			free(t);
			return n;
		}
		char *shrunk = realloc(t, (size_t)n + 1);
		if (shrunk)
			t = shrunk;
		/* Another thread may have read it first: keep theirs. */
		target = NULL;
		if (atomic_compare_exchange_strong(&gi->target, &target, t)) {
			target = t;
		} else {
			free(t);
		}
	}
	size_t len = strlen(target);
	if (len + 1 > size)
		return -ENAMETOOLONG;
	memcpy(buf, target, len + 1);
	return (ssize_t)len;
}

/* The host fd of a regular file that is open already, or -1. */
static int open_host_fd(struct goferfs_inode *gi)
{
	if (!inode_is_reg(&gi->base))
		return -1;
	int fd = atomic_load(&gi->rw_fd);
	return fd >= 0 ? fd : atomic_load(&gi->ro_fd);
}

/*
 * goferfs_refresh implements inode_ops.refresh: a regular file with an
 * open host fd takes its attributes from a host statx of that fd (no round
 * trip); a stale inode asks the gofer (T_STAT); the rest are current.
 */
int goferfs_refresh(struct inode *inode)
{
	struct goferfs_inode *gi = goferfs_inode_of(inode);
	struct goferfs_sb *gs = goferfs_sb_of_inode(inode);
	struct linux_statx stx;
	struct gofer_client *c;
	int err;

	/* Cleared before asking, so that a change made meanwhile marks it again. */
	bool stale = atomic_exchange(&gi->stale, false);
	int fd = open_host_fd(gi);
	if (fd >= 0) {
		err = goferfs_host_statx(fd, &stx);
	} else {
		if (!stale)
			return 0;
		err = goferfs_chan_get(gs, &c);
		if (err == 0) {
			err = gofer_client_stat(c, gi->node, &stx);
			goferfs_chan_put(gs, c);
		}
	}
	if (err < 0) {
		if (stale)
			atomic_store(&gi->stale, true);
		return err;
	}
	pthread_mutex_lock(&inode->mu);
	goferfs_apply_statx_locked(inode, &stx);
	pthread_mutex_unlock(&inode->mu);
	return 0;
}

/* goferfs_setattr implements inode_ops.setattr: T_SETSTAT, then the stat it returns. */
int goferfs_setattr(struct inode *inode, const struct vfs_setattr *attr)
{
	static const struct {
		unsigned vfs, gofer;
	} bits[] = {
		{ VFS_ATTR_MODE, GOFER_SETSTAT_MODE },
		{ VFS_ATTR_UID, GOFER_SETSTAT_UID },
		{ VFS_ATTR_GID, GOFER_SETSTAT_GID },
		{ VFS_ATTR_SIZE, GOFER_SETSTAT_SIZE },
		{ VFS_ATTR_ATIME, GOFER_SETSTAT_ATIME },
		{ VFS_ATTR_MTIME, GOFER_SETSTAT_MTIME },
		{ VFS_ATTR_ATIME_NOW, GOFER_SETSTAT_ATIME_NOW },
		{ VFS_ATTR_MTIME_NOW, GOFER_SETSTAT_MTIME_NOW },
	};
	struct goferfs_sb *gs = goferfs_sb_of_inode(inode);
	struct gofer_setstat ss = {
		.mode = attr->mode & LINUX_S_IALLUGO,
		.uid = attr->uid,
		.gid = attr->gid,
		.size = (uint64_t)attr->size,
		.atime_sec = attr->atime.tv_sec,
		.atime_nsec = attr->atime.tv_nsec,
		.mtime_sec = attr->mtime.tv_sec,
		.mtime_nsec = attr->mtime.tv_nsec,
	};
	struct linux_statx stx;
	struct gofer_client *c;

	for (size_t i = 0; i < ARRAY_SIZE(bits); i++) {
		if (attr->mask & bits[i].vfs)
			ss.mask |= bits[i].gofer;
	}
	/* VFS_ATTR_CTIME alone: every change sets the host's ctime, and so does this one. */
	int err = goferfs_chan_get(gs, &c);
	if (err < 0)
		return err;
	err = gofer_client_setstat(c, goferfs_inode_of(inode)->node, &ss, &stx);
	goferfs_chan_put(gs, c);
	if (err < 0)
		return err;
	pthread_mutex_lock(&inode->mu);
	goferfs_apply_statx_locked(inode, &stx);
	pthread_mutex_unlock(&inode->mu);
	return 0;
}

static bool is_user_xattr(const char *name)
{
	return strncmp(name, XATTR_USER_PREFIX, XATTR_USER_PREFIX_LEN) == 0;
}

/* goferfs_getxattr implements inode_ops.getxattr. */
ssize_t goferfs_getxattr(struct inode *inode, const char *name, void *buf, size_t size)
{
	struct goferfs_sb *gs = goferfs_sb_of_inode(inode);
	struct gofer_client *c;

	if (!is_user_xattr(name))
		return -ENODATA;
	ssize_t n = goferfs_chan_get(gs, &c);
	if (n < 0)
		return n;
	n = gofer_client_getxattr(c, goferfs_inode_of(inode)->node, name, buf, size);
	goferfs_chan_put(gs, c);
	return n;
}

/* goferfs_setxattr implements inode_ops.setxattr; the host's ctime changes. */
int goferfs_setxattr(struct inode *inode, const char *name, const void *value, size_t size,
                     int flags)
{
	struct goferfs_inode *gi = goferfs_inode_of(inode);
	struct goferfs_sb *gs = goferfs_sb_of_inode(inode);
	struct gofer_client *c;

	if (!is_user_xattr(name))
		return -EOPNOTSUPP;
	int err = goferfs_chan_get(gs, &c);
	if (err < 0)
		return err;
	err = gofer_client_setxattr(c, gi->node, name, value, size, (uint32_t)flags);
	goferfs_chan_put(gs, c);
	if (err == 0)
		atomic_store(&gi->stale, true);
	return err;
}

/* goferfs_listxattr implements inode_ops.listxattr: the gofer lists user.* names only. */
ssize_t goferfs_listxattr(struct inode *inode, char *buf, size_t size)
{
	struct goferfs_sb *gs = goferfs_sb_of_inode(inode);
	struct gofer_client *c;

	ssize_t n = goferfs_chan_get(gs, &c);
	if (n < 0)
		return n;
	n = gofer_client_listxattr(c, goferfs_inode_of(inode)->node, buf, size);
	goferfs_chan_put(gs, c);
	return n;
}

/* goferfs_removexattr implements inode_ops.removexattr. */
int goferfs_removexattr(struct inode *inode, const char *name)
{
	struct goferfs_inode *gi = goferfs_inode_of(inode);
	struct goferfs_sb *gs = goferfs_sb_of_inode(inode);
	struct gofer_client *c;

	if (!is_user_xattr(name))
		return -EOPNOTSUPP;
	int err = goferfs_chan_get(gs, &c);
	if (err < 0)
		return err;
	err = gofer_client_removexattr(c, gi->node, name);
	goferfs_chan_put(gs, c);
	if (err == 0)
		atomic_store(&gi->stale, true);
	return err;
}
