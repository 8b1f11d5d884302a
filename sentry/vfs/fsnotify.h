/*
 * File system notifications (Linux's fsnotify): marks on inodes, and the
 * hooks the VFS calls when something changes.
 *
 * A mark says "tell me about these events on this inode"; inotify
 * (sentry/fsimpl/anon/inotify.c) is the only kind of mark. An inode's
 * marks hang off a connector (inode->fsnotify, NULL while nothing
 * watches the inode), which holds one reference on the inode, as Linux's
 * connector pins its inode.
 *
 * The hooks sit in the VFS layer (vfs.c, namei.c, file.c, dcache.c,
 * inode.c), above the file systems, so that they see what the
 * application sees: an overlay's own inodes, not its layers'. Each hook is
 * one call; while no mark exists in the sandbox a hook costs one load of
 * a global counter (reads and writes are hot). An event on a file is
 * reported to the file's marks and to its parent directory's marks with
 * the file's name, as Linux's fsnotify_parent.
 *
 * Events: IN_ACCESS (read, getdents), IN_MODIFY (write, truncate,
 * fallocate), IN_ATTRIB (chmod, chown, utimes, xattrs, link count),
 * IN_OPEN, IN_CLOSE_WRITE / IN_CLOSE_NOWRITE (the last close of an open
 * file description), IN_CREATE, IN_DELETE, IN_MOVED_FROM / IN_MOVED_TO
 * (one cookie per rename), IN_MOVE_SELF, IN_DELETE_SELF (when the last
 * name is gone and the last dentry of the inode is released, as Linux's
 * dentry_unlink_inode), IN_UNMOUNT (when the superblock dies). Changes
 * made behind the sandbox's back (by the host, on a volume) are not seen.
 *
 * Lock order: g_tree_lock > the fsnotify lock (fsnotify.c: marks,
 * connectors and inotify watch tables) > an inotify instance's queue lock
 * > wait queues. inode.mu is never taken under the fsnotify lock.
 */
#ifndef SENTRY_VFS_FSNOTIFY_H
#define SENTRY_VFS_FSNOTIFY_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/abi/linux/inotify.h"
#include "common/list.h"

struct dentry;
struct file;
struct inode;
struct superblock;

struct fsnotify_mark;

struct fsnotify_mark_ops {
	/*
	 * An event the mark asked for (the mark's mask has one of mask's
	 * IN_ALL_EVENTS bits, or mask is IN_UNMOUNT). mask carries IN_ISDIR
	 * when the object is a directory; name is the child's name for an
	 * event reported to a directory, else NULL; unlinked says the event
	 * came through an open file whose name was removed (IN_EXCL_UNLINK).
	 * Returns true when the mark must go (IN_ONESHOT): fsnotify then
	 * detaches it and calls detached(). Under the fsnotify lock.
	 */
	bool (*event)(struct fsnotify_mark *m, uint32_t mask, uint32_t cookie, const char *name,
	              bool unlinked);
	/*
	 * fsnotify took the mark off its inode (IN_ONESHOT, the inode's
	 * deletion, the superblock's death): the owner queues IN_IGNORED and
	 * frees it. Under the fsnotify lock.
	 */
	void (*detached)(struct fsnotify_mark *m);
};

struct fsnotify_mark {
	const struct fsnotify_mark_ops *ops;
	const void *owner;     /* one mark per owner and inode (an inotify instance) */
	uint32_t mask;         /* IN_* events and flags; under the fsnotify lock */
	struct inode *inode;   /* borrowed while attached (the connector holds the reference) */
	struct list_head link; /* in the connector's marks */
};

/* The marks in the sandbox: while 0, every hook returns at once. */
extern atomic_long g_fsnotify_nmarks;

static inline bool fsnotify_active(void)
{
	return atomic_load_explicit(&g_fsnotify_nmarks, memory_order_relaxed) != 0;
}

/* ---- Marks (for inotify) ---- */

void fsnotify_lock(void);
/* Unlocks, then drops the references of connectors emptied meanwhile. */
void fsnotify_unlock(void);
/* inode's mark of owner, or NULL. Preconditions: the fsnotify lock held. */
struct fsnotify_mark *fsnotify_find_mark_locked(struct inode *inode, const void *owner);
/* Attaches m (ops, owner, mask set) to inode. Returns 0 or -ENOMEM. Preconditions: lock held. */
int fsnotify_add_mark_locked(struct inode *inode, struct fsnotify_mark *m);
/* Detaches m (detached() is not called: the owner is the caller). Preconditions: lock held. */
void fsnotify_remove_mark_locked(struct fsnotify_mark *m);

/* ---- Hooks ---- */

void fsnotify_file_slow(struct file *f, uint32_t mask);
void fsnotify_close_slow(struct file *f);
void fsnotify_change_slow(struct dentry *d, unsigned vfs_attr_mask);
void fsnotify_dentry_slow(struct dentry *d, uint32_t mask);
void fsnotify_name_slow(struct inode *dir, uint32_t mask, const char *name);
void fsnotify_link_slow(struct inode *dir, const char *name, struct inode *target);
void fsnotify_link_count_slow(struct inode *inode);
void fsnotify_move_slow(struct inode *olddir, const char *oldname, struct inode *newdir,
                        const char *newname, struct inode *moved, struct inode *target);
void fsnotify_dentry_free_slow(struct dentry *d);
void fsnotify_sb_delete_slow(struct superblock *sb);

/* read(2) (and getdents) of f returned data. */
static inline void fsnotify_access(struct file *f)
{
	if (fsnotify_active())
		fsnotify_file_slow(f, LINUX_IN_ACCESS);
}
/* write(2) (or fallocate) of f changed its data. */
static inline void fsnotify_modify(struct file *f)
{
	if (fsnotify_active())
		fsnotify_file_slow(f, LINUX_IN_MODIFY);
}
/* f was opened. */
static inline void fsnotify_open(struct file *f)
{
	if (fsnotify_active())
		fsnotify_file_slow(f, LINUX_IN_OPEN);
}
/* The last reference to the open file description f is going. */
static inline void fsnotify_close(struct file *f)
{
	if (fsnotify_active())
		fsnotify_close_slow(f);
}
/* Attributes of d's inode changed (VFS_ATTR_* bits): chmod, chown, utimes, truncate. */
static inline void fsnotify_change(struct dentry *d, unsigned vfs_attr_mask)
{
	if (fsnotify_active())
		fsnotify_change_slow(d, vfs_attr_mask);
}
/* An extended attribute of d's inode was set or removed. */
static inline void fsnotify_xattr(struct dentry *d)
{
	if (fsnotify_active())
		fsnotify_dentry_slow(d, LINUX_IN_ATTRIB);
}
/* name was made in dir (create, mknod, mkdir, symlink). */
static inline void fsnotify_create(struct inode *dir, const char *name, bool is_dir)
{
	if (fsnotify_active())
		fsnotify_name_slow(dir, LINUX_IN_CREATE | (is_dir ? LINUX_IN_ISDIR : 0), name);
}
/* name in dir was removed (unlink, rmdir). */
static inline void fsnotify_delete(struct inode *dir, const char *name, bool is_dir)
{
	if (fsnotify_active())
		fsnotify_name_slow(dir, LINUX_IN_DELETE | (is_dir ? LINUX_IN_ISDIR : 0), name);
}
/* link(2): target got the new name name in dir. */
static inline void fsnotify_link(struct inode *dir, const char *name, struct inode *target)
{
	if (fsnotify_active())
		fsnotify_link_slow(dir, name, target);
}
/* inode lost a name (unlink): IN_ATTRIB on the inode, as Linux's fsnotify_link_count. */
static inline void fsnotify_link_count(struct inode *inode)
{
	if (fsnotify_active())
		fsnotify_link_count_slow(inode);
}
/* rename(2) of moved from olddir/oldname to newdir/newname, replacing target (or NULL). */
static inline void fsnotify_move(struct inode *olddir, const char *oldname, struct inode *newdir,
                                 const char *newname, struct inode *moved, struct inode *target)
{
	if (fsnotify_active())
		fsnotify_move_slow(olddir, oldname, newdir, newname, moved, target);
}
/* dcache.c frees d: an inode with no name left is gone (IN_DELETE_SELF). */
static inline void fsnotify_dentry_free(struct dentry *d)
{
	if (fsnotify_active())
		fsnotify_dentry_free_slow(d);
}
/* The superblock dies: IN_UNMOUNT for its watched inodes. */
static inline void fsnotify_sb_delete(struct superblock *sb)
{
	if (fsnotify_active())
		fsnotify_sb_delete_slow(sb);
}

#endif /* SENTRY_VFS_FSNOTIFY_H */
