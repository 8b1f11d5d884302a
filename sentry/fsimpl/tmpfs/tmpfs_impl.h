/*
 * Internals of tmpfs (tmpfs.h), shared by its files:
 *  tmpfs.c        options, the superblock and its limits, inode life, memfd_create
 *  tmpfs_dir.c    directory inode_ops and directory files (getdents)
 *  tmpfs_file.c   open, setattr, readlink, and the file_ops of regular files
 *  tmpfs_xattr.c  the xattr calls
 *  host_tmpfs.c   the host calls: memfds and the host's RAM size
 *
 * Lock order (within vfs.h's): g_tree_lock (the VFS holds it for writing
 * across every change of directory entries, so those never run
 * concurrently) > inode.mu of directories, in address order > inode.mu of
 * non-directories > tmpfs_sb.mu (a leaf: the limits). The VFS holds no
 * inode.mu across an inode_op or file_op, so the ops take the mutexes
 * themselves: lookup, getdents and attribute changes run concurrently
 * with the changes of entries. References are dropped after the mutexes.
 */
#ifndef SENTRY_FSIMPL_TMPFS_TMPFS_IMPL_H
#define SENTRY_FSIMPL_TMPFS_TMPFS_IMPL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/rbtree.h"
#include "common/util.h"
#include "sentry/fsimpl/tmpfs/tmpfs.h"
#include "sentry/vfs/file.h"
#include "sentry/vfs/vfs.h"

/* fallocate(2) modes (include/uapi/linux/falloc.h). */
#ifndef LINUX_FALLOC_FL_KEEP_SIZE
#define LINUX_FALLOC_FL_KEEP_SIZE  0x01
#define LINUX_FALLOC_FL_PUNCH_HOLE 0x02
#endif

/* Linux's BOGO_DIRENT_SIZE: what each entry adds to a directory's size. */
#define TMPFS_DIRENT_SIZE 20
/* Symlink targets up to this size (with the NUL) take no page (SHORT_SYMLINK_LEN). */
#define TMPFS_SHORT_SYMLINK 128
/* The first cookie of a directory entry: 0 and 1 are "." and "..". */
#define TMPFS_FIRST_COOKIE 2

struct tmpfs_sb {
	struct superblock base;
	pthread_mutex_t mu;
	/* Protected by mu. UINT64_MAX maxima mean no limit. */
	uint64_t max_bytes, used_bytes; /* page multiples */
	uint64_t max_inodes, used_inodes;
};

/* One name in a directory: owns a reference on inode. */
struct tmpfs_dirent {
	struct rb_node by_name;   /* in tmpfs_dir.names, by strcmp of name */
	struct rb_node by_cookie; /* in tmpfs_dir.cookies */
	uint64_t cookie;
	struct tmpfs_inode *inode;
	char name[];
};

struct tmpfs_dir {
	/* Protected by the inode's mu. */
	struct rb_root names, cookies;
	uint64_t next_cookie;
	uint64_t count;                    /* entries */
	struct tmpfs_inode *teardown_next; /* the work list of tmpfs_dir_teardown */
};

struct tmpfs_reg {
	/* Protected by the inode's mu. */
	int memfd;          /* -1 until the data needs one */
	int64_t falloc_end; /* the end of fallocate(KEEP_SIZE) reservations, 0 if none */
	uint64_t charged;   /* bytes charged to the superblock: page multiple */
};

struct tmpfs_xattr;

struct tmpfs_inode {
	struct inode base;
	union {
		struct tmpfs_dir dir; /* S_IFDIR */
		struct tmpfs_reg reg; /* S_IFREG */
		struct {
			char *target; /* S_IFLNK: owned, never changes */
			size_t len;
			bool charged; /* a long target takes a page */
		} symlink;
	};
	struct tmpfs_xattr *xattrs; /* protected by mu */
};

static inline struct tmpfs_sb *tmpfs_sb_of(struct superblock *sb)
{
	return container_of(sb, struct tmpfs_sb, base);
}

static inline struct tmpfs_inode *tmpfs_inode_of(struct inode *inode)
{
	return container_of(inode, struct tmpfs_inode, base);
}

static inline struct tmpfs_sb *tmpfs_sb_of_inode(struct tmpfs_inode *ti)
{
	return tmpfs_sb_of(ti->base.sb);
}

/* ---- tmpfs.c ---- */

/*
 * Reserves bytes (a page multiple) against the size limit: all of them,
 * or with partial as many whole pages as are free. Returns what was
 * reserved (0 when nothing is free).
 */
uint64_t tmpfs_reserve_bytes(struct tmpfs_sb *ts, uint64_t bytes, bool partial);
void tmpfs_unreserve_bytes(struct tmpfs_sb *ts, uint64_t bytes);
/* One of nr_inodes: 0 or -ENOSPC. */
int tmpfs_reserve_inode(struct tmpfs_sb *ts);
void tmpfs_unreserve_inode(struct tmpfs_sb *ts);

/*
 * A new inode of nn's type (its mode, owner and rdev) in ts, taking one of
 * nr_inodes. Directories, regular files and special files only: symlinks
 * add their target. Returns 0 and the inode (one reference) in *out, or
 * -ENOSPC or -ENOMEM.
 */
int tmpfs_inode_new(struct tmpfs_sb *ts, const struct vfs_newnode *nn, struct tmpfs_inode **out);
/* Sets ctime, and mtime with mtime, to now. Preconditions: mu held. */
void tmpfs_touch_locked(struct tmpfs_inode *ti, bool mtime);
/* inode_ops.release of every type: frees the inode and gives back what it took. */
void tmpfs_inode_release(struct inode *inode);

/* ---- tmpfs_dir.c ---- */

extern const struct inode_ops tmpfs_dir_inode_ops;
extern const struct file_ops tmpfs_dir_file_ops;
/* Sets up an empty directory. */
void tmpfs_dir_init(struct tmpfs_inode *dir);
/*
 * Drops every entry of the tree below dir, without recursion (a deep tree
 * cannot overflow the stack). For releases only: nothing else may use
 * the tree.
 */
void tmpfs_dir_teardown(struct tmpfs_inode *dir);

/* ---- tmpfs_file.c ---- */

extern const struct inode_ops tmpfs_reg_inode_ops;
extern const struct inode_ops tmpfs_symlink_inode_ops;
extern const struct inode_ops tmpfs_special_inode_ops;
extern const struct file_ops tmpfs_reg_file_ops;

/* inode_ops of every type. */
int tmpfs_setattr(struct inode *inode, const struct vfs_setattr *attr);
int tmpfs_open(struct inode *inode, struct mount *mnt, struct dentry *d, unsigned flags,
               struct file **out);
/* file_ops.release of every tmpfs file. */
void tmpfs_file_release(struct file *f);

/* ---- tmpfs_xattr.c ---- */

ssize_t tmpfs_getxattr(struct inode *inode, const char *name, void *buf, size_t size);
int tmpfs_setxattr(struct inode *inode, const char *name, const void *value, size_t size,
                   int flags);
ssize_t tmpfs_listxattr(struct inode *inode, char *buf, size_t size);
int tmpfs_removexattr(struct inode *inode, const char *name);
/* Frees the xattrs of an inode being released. */
void tmpfs_xattrs_free(struct tmpfs_inode *ti);

/* ---- host_tmpfs.c: each returns -errno on failure ---- */

/* A new empty memfd (close-on-exec). */
int host_memfd_create(void);
void host_memfd_close(int fd);
ssize_t host_memfd_pread(int fd, void *buf, size_t len, int64_t off);
/* Writes all of buf unless an error stops it: returns the count written, or -errno if none. */
ssize_t host_memfd_pwrite(int fd, const void *buf, size_t len, int64_t off);
int host_memfd_truncate(int fd, int64_t size);
/* mode: LINUX_FALLOC_FL_* */
int host_memfd_fallocate(int fd, int mode, int64_t off, int64_t len);
/* The host's RAM in bytes. */
uint64_t host_ram_bytes(void);

#endif /* SENTRY_FSIMPL_TMPFS_TMPFS_IMPL_H */
