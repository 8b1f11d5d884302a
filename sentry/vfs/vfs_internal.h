/*
 * Internals of the VFS core shared by its files (dcache.c, mount.c,
 * namei.c, vfs.c). File systems use vfs.h only.
 */
#ifndef SENTRY_VFS_VFS_INTERNAL_H
#define SENTRY_VFS_VFS_INTERNAL_H

#include "sentry/vfs/vfs.h"

/* dcache.c */

/*
 * The cached child name of parent: a new reference (negative dentries
 * included), or NULL when the cache does not know the name.
 */
struct dentry *dcache_lookup(struct dentry *parent, const char *name);
/*
 * Caches inode (consumed; NULL for a negative entry) as name in parent and
 * returns the dentry, a new reference. When another thread cached the name
 * first, that entry wins and is returned (inode is dropped) unless replace
 * is set: then the old entry is unhashed and the new one takes its place
 * (creation over a negative entry).
 */
struct dentry *dcache_add(struct dentry *parent, const char *name, struct inode *inode,
                          bool replace);
/* Removes d from the cache (unlink, rmdir): it lives on for its users, marked deleted. */
void dcache_unhash(struct dentry *d);
/*
 * rename: d becomes newname in newparent; whatever was cached under that
 * name is unhashed. Preconditions: g_rename_mu held.
 */
void dcache_move(struct dentry *d, struct dentry *newparent, const char *newname);
/* RENAME_EXCHANGE: a and b trade places. */
void dcache_exchange(struct dentry *a, struct dentry *b);
/* True when d is anc or below it (follows parents). */
bool dentry_is_ancestor(struct dentry *anc, struct dentry *d);

/* mount.c */

/* The mount's parent and mountpoint, new references; false for a namespace root. */
bool mount_parent(struct mount *m, struct mount **out_parent, struct dentry **out_mp);

/* umount2(2) of m (the caller holds a reference). */
int mount_umount(struct mount *m, bool detach, bool expire);

/* namei.c */

/* The path of d from its superblock's root, as mountinfo's root field. */
ssize_t dentry_path_raw(struct dentry *d, char *buf, size_t size);

/* vfs.c */

/*
 * The tree lock: held for writing across every change of a directory's
 * entries (the fs call and the dcache update together), for reading
 * across a cache miss (the fs lookup and the insertion of its answer),
 * so that no lookup caches a name that a concurrent change removed.
 * Cache hits take no lock. (Linux locks each directory's inode; one lock
 * is enough for a sandbox's handful of CPUs.)
 */
extern pthread_rwlock_t g_tree_lock;

/* Whether writes under p are refused by a read-only mount or file system. */
bool path_rdonly(const struct path *p);
/*
 * The owner of a new node in dir: the creator's fsuid, and the
 * directory's group when it is setgid (which a new directory inherits),
 * else the creator's fsgid.
 */
void new_owner(const struct vfs_ctx *c, struct inode *dir, struct vfs_newnode *nn);

/* An O_PATH file of p. */
int vfs_open_opath(const struct path *p, unsigned flags, struct file **out);

#endif /* SENTRY_VFS_VFS_INTERNAL_H */
