/*
 * Internals of the gofer file system (goferfs.h), shared by its files:
 *  goferfs.c       the superblock, its pool of channels, inode life
 *  goferfs_dir.c   directory inode_ops and directory files (getdents)
 *  goferfs_attr.c  readlink, refresh, setattr and the xattr calls
 *  goferfs_file.c  open and the file_ops of regular files
 *  host_goferfs.c  the host calls on donated fds (pread, pwrite, statx, ...)
 *
 * Lock order: goferfs_inode.fd_mu > goferfs_sb.pool_mu (a leaf) and the
 * client's own mutex; inode.mu (vfs.h) is taken alone, never across a
 * gofer call, and around a host call only by an O_APPEND write. The VFS
 * holds no inode.mu across an inode_op (only g_tree_lock).
 *
 * Channels: a thread holds at most one channel of the pool, and only
 * across gofer_client_* calls: never while it makes or puts an inode
 * (goferfs_inode_new and inode release take a channel of their own), so
 * threads that each hold one can never all wait for another.
 */
#ifndef SENTRY_FSIMPL_GOFER_GOFERFS_IMPL_H
#define SENTRY_FSIMPL_GOFER_GOFERFS_IMPL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/util.h"
#include "gofer/client.h"
#include "sentry/fsimpl/gofer/goferfs.h"
#include "sentry/vfs/file.h"
#include "sentry/vfs/vfs.h"

#define GOFERFS_CLOSE_BATCH 32

struct goferfs_sb {
	struct superblock base;
	struct gofer_client *ctl; /* T_MOUNT and T_CHANNEL only, so making a channel never waits
	                             for a slow request */
	uint64_t root_node;       /* the root's node id, for statfs */
	char *source;             /* for the log */

	pthread_mutex_t pool_mu;
	pthread_cond_t pool_cond; /* signalled when a channel is freed or making one failed */
	/* Protected by pool_mu. */
	struct gofer_client *chans[GOFERFS_CHANNELS_MAX]; /* every channel made */
	struct gofer_client *idle[GOFERFS_CHANNELS_MAX];  /* a stack of the free ones */
	unsigned nchans, nidle;
	unsigned making;  /* channels being made (T_CHANNEL in flight) */
	bool full;        /* the gofer refused a channel: use the ones there are */
	bool gone_logged; /* a channel died (the gofer is gone) and the log says so */

	/*
	 * Nodes released but not yet closed (goferfs_close_node): one T_CLOSE
	 * carries GOFERFS_CLOSE_BATCH of them. The gofer never reuses an id,
	 * so a late close is only a host fd held a little longer.
	 */
	pthread_mutex_t close_mu;
	uint64_t closing[GOFERFS_CLOSE_BATCH]; /* protected by close_mu */
	unsigned nclosing;
};

struct goferfs_inode {
	struct inode base;
	uint64_t node; /* the gofer's id: T_CLOSE'd by release */

	/*
	 * Set when the sandbox changed the inode in a way only the host
	 * knows the outcome of (an entry added or removed, a link, an xattr):
	 * refresh then asks the gofer once.
	 */
	atomic_bool stale;

	/*
	 * Regular files: host fds shared by every file of the inode, opened
	 * on first use under fd_mu and kept until release (-1 until then).
	 * rw_fd is O_RDWR, or O_WRONLY when the gofer refused O_RDWR
	 * (rw_wronly). Reads use ro_fd, or rw_fd when it can read.
	 */
	pthread_mutex_t fd_mu;
	_Atomic int ro_fd, rw_fd;
	atomic_bool rw_wronly;

	/* Symlinks: the target, read once (a symlink never changes); NULL until then. */
	_Atomic(char *) target;
};

static inline struct goferfs_sb *goferfs_sb_of(struct superblock *sb)
{
	return container_of(sb, struct goferfs_sb, base);
}

static inline struct goferfs_inode *goferfs_inode_of(struct inode *inode)
{
	return container_of(inode, struct goferfs_inode, base);
}

static inline struct goferfs_sb *goferfs_sb_of_inode(struct inode *inode)
{
	return goferfs_sb_of(inode->sb);
}

/* ---- goferfs.c ---- */

/*
 * Takes a free channel of the pool, making one if all are busy and the
 * pool is not full, else waiting for one. Returns 0 or -errno (-EIO once
 * the gofer is gone and no channel exists).
 */
int goferfs_chan_get(struct goferfs_sb *gs, struct gofer_client **out);
/* Gives a channel back to the pool. */
void goferfs_chan_put(struct goferfs_sb *gs, struct gofer_client *c);

/*
 * A new inode for node n (whose id it takes over: released by T_CLOSE
 * when the inode goes, or at once on failure). Returns 0 and the inode
 * (one reference) in *out, or -ENOMEM.
 */
int goferfs_inode_new(struct goferfs_sb *gs, const struct gofer_node *n, struct inode **out);
/* Releases a node id the sandbox has no inode for. */
void goferfs_close_node(struct goferfs_sb *gs, uint64_t id);

/*
 * Copies the attributes of stx into the inode: permission bits, owner,
 * nlink, size, blocks, blksize, times. Preconditions: inode.mu held (or
 * the inode not yet visible).
 */
void goferfs_apply_statx_locked(struct inode *inode, const struct linux_statx *stx);

/* ---- goferfs_dir.c ---- */

int goferfs_lookup(struct inode *dir, const char *name, struct inode **out);
int goferfs_walk(struct inode *dir, const char *const *names, int count, struct inode **out);
int goferfs_create(struct inode *dir, const char *name, const struct vfs_newnode *nn,
                   struct inode **out);
int goferfs_mkdir(struct inode *dir, const char *name, const struct vfs_newnode *nn,
                  struct inode **out);
int goferfs_mknod(struct inode *dir, const char *name, const struct vfs_newnode *nn,
                  struct inode **out);
int goferfs_symlink(struct inode *dir, const char *name, const char *target,
                    const struct vfs_newnode *nn, struct inode **out);
int goferfs_link(struct inode *dir, const char *name, struct inode *target);
int goferfs_unlink(struct inode *dir, const char *name, struct inode *victim);
int goferfs_rmdir(struct inode *dir, const char *name, struct inode *victim);
int goferfs_rename(struct inode *olddir, const char *oldname, struct inode *newdir,
                   const char *newname, unsigned flags, struct inode *src, struct inode *dst);
/* Opens a directory: a file whose iterate reads the host's entries. */
int goferfs_dir_open(struct inode *inode, struct mount *mnt, struct dentry *d, unsigned flags,
                     struct file **out);

/* ---- goferfs_attr.c ---- */

ssize_t goferfs_readlink(struct inode *inode, char *buf, size_t size);
int goferfs_refresh(struct inode *inode);
int goferfs_setattr(struct inode *inode, const struct vfs_setattr *attr);
ssize_t goferfs_getxattr(struct inode *inode, const char *name, void *buf, size_t size);
int goferfs_setxattr(struct inode *inode, const char *name, const void *value, size_t size,
                     int flags);
ssize_t goferfs_listxattr(struct inode *inode, char *buf, size_t size);
int goferfs_removexattr(struct inode *inode, const char *name);

/* ---- goferfs_file.c ---- */

int goferfs_open(struct inode *inode, struct mount *mnt, struct dentry *d, unsigned flags,
                 struct file **out);

/* ---- host_goferfs.c: host calls on the fds the gofer donated ---- */

ssize_t goferfs_host_pread(int fd, void *buf, size_t len, int64_t off);
ssize_t goferfs_host_pwrite(int fd, const void *buf, size_t len, int64_t off);
/* The fd's attributes as a linux_statx. */
int goferfs_host_statx(int fd, struct linux_statx *out);
int goferfs_host_fsync(int fd, bool datasync);
int goferfs_host_fallocate(int fd, int mode, int64_t off, int64_t len);
void goferfs_host_close(int fd);

#endif /* SENTRY_FSIMPL_GOFER_GOFERFS_IMPL_H */
