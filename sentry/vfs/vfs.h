/*
 * The sentry's VFS: superblocks, inodes, dentries, mounts and path walk,
 * in Linux's object model (see docs/architecture.md, "Files").
 *
 *  superblock  one mounted file system instance (a tmpfs, the gofer's
 *              rootfs, a proc); owns its root dentry.
 *  inode       a file system object: type, attributes, and the fs's ops.
 *  dentry      a name of an inode in its parent directory, cached in the
 *              dentry cache (dcache.c); a negative dentry (inode NULL)
 *              caches "no such name". Children hold a reference on their
 *              parent.
 *  mount       a superblock's dentry grafted on a dentry of a parent mount.
 *  path        (mount, dentry): a place in the tree the tasks see.
 *  file        an open file description (file.h), holding its path.
 *
 * Layers (as in Linux fs/): syscalls/ copies arguments in and out; the
 * vfs_* functions here resolve paths and apply every generic check
 * (permissions, read-only mounts, types, sticky bits, the rules of
 * rename); the fs's inode_ops do only their own work, with Linux's
 * generic checks already passed. A NULL op means the fs does not support
 * the operation and the VFS returns Linux's errno for that case.
 *
 * References: *_get / *_put; "returns a new reference" and "borrows" are
 * said on each function. Underflow aborts.
 *
 * Lock order: g_tree_lock (vfs.c: written across changes of directory
 * entries, read across dcache misses; held across the fs call) > inode.mu
 * (directories in address order, then the rest) > mount_ns.mu >
 * g_dcache_mu (dcache.c, a leaf: never held across an fs call).
 */
#ifndef SENTRY_VFS_VFS_H
#define SENTRY_VFS_VFS_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/abi/linux/stat.h"
#include "common/list.h"
#include "sentry/kernel/creds.h"

struct dentry;
struct file;
struct fsnotify_conn;
struct inode;
struct mount;
struct mount_ns;
struct superblock;

/* ---- Superblocks and file system types ---- */

struct super_ops {
	/* statfs(2); NULL gives a record with the fs's magic and zero counts. */
	int (*statfs)(struct superblock *sb, struct linux_statfs *out);
	/* Frees the superblock; called by the last superblock_put. */
	void (*release)(struct superblock *sb);
};

/* A file system type that mount(2) knows by name. */
struct fs_type {
	const char *name; /* "tmpfs", "proc", ... */
	/*
	 * Makes a new superblock for mount(2): source and data as the caller
	 * gave them (data may be NULL), flags the MS_* flags. Returns 0 and a
	 * new reference in *out, or -errno (-EINVAL for bad options).
	 */
	int (*mount)(const char *source, unsigned long flags, const char *data,
	             struct superblock **out);
};

#define SB_RDONLY  0x1 /* the fs itself cannot be written (a read-only gofer mount) */
#define SB_NOCACHE 0x2 /* changed behind the sandbox's back (a volume): keep no unused dentry */

struct superblock {
	atomic_int refs;
	const struct super_ops *ops;
	const char *fs_name; /* for /proc/mounts: "tmpfs", "9p", ... */
	int64_t magic;       /* statfs f_type */
	uint32_t dev;        /* st_dev: makedev(0, dev), unique in the sandbox */
	unsigned flags;      /* SB_* */
	struct dentry *root; /* owned */
	atomic_uint_fast64_t next_ino;
	char *options;             /* for /proc/mounts, owned, may be NULL */
	struct list_head dentries; /* every dentry of sb; protected by g_dcache_mu */
};

/*
 * Initialises a superblock with one reference and a new device number.
 * The fs sets sb->root (vfs_dentry_new_root) before mounting it.
 */
void superblock_init(struct superblock *sb, const struct super_ops *ops, const char *fs_name,
                     int64_t magic, unsigned flags);
struct superblock *superblock_get(struct superblock *sb);
void superblock_put(struct superblock *sb);
/* Drops sb's root dentry and every cached dentry of sb; for release paths. */
void superblock_shutdown(struct superblock *sb);
/* A fresh inode number in sb. */
uint64_t superblock_next_ino(struct superblock *sb);

/* Registers a type for mount(2). Types live forever. */
void vfs_register_fs(const struct fs_type *type);
const struct fs_type *vfs_find_fs(const char *name);

/* ---- Inodes ---- */

/* What a new node looks like: mode includes the type bits. */
struct vfs_newnode {
	uint32_t mode;
	uint32_t uid, gid;
	uint32_t rdev_major, rdev_minor;
};

/* Attribute changes: chmod, chown, truncate, utimes. */
#define VFS_ATTR_MODE      0x01
#define VFS_ATTR_UID       0x02
#define VFS_ATTR_GID       0x04
#define VFS_ATTR_SIZE      0x08
#define VFS_ATTR_ATIME     0x10 /* set to atime */
#define VFS_ATTR_MTIME     0x20
#define VFS_ATTR_ATIME_NOW 0x40
#define VFS_ATTR_MTIME_NOW 0x80
#define VFS_ATTR_CTIME     0x100 /* set ctime to now (implied by every other change) */

struct vfs_setattr {
	unsigned mask; /* VFS_ATTR_* */
	uint32_t mode; /* permission bits only: the type never changes */
	uint32_t uid, gid;
	int64_t size;
	struct linux_statx_timestamp atime, mtime;
};

/*
 * One directory entry for getdents: the fs calls emit for each entry from
 * ctx->pos on; emit returns false when the caller's buffer is full (the
 * entry was not taken: the fs stops and leaves ctx->pos at it). After an
 * entry is taken the fs sets ctx->pos to the cookie of the next one.
 */
struct dir_ctx {
	bool (*emit)(struct dir_ctx *ctx, const char *name, size_t len, uint64_t ino,
	             unsigned type);
	int64_t pos;
};

struct inode_ops {
	/*
	 * Directories. The VFS has checked that dir is a directory the
	 * caller may search and (for changes) write, that the name is valid
	 * and that it does (or, for creation, does not) exist as the fs last
	 * said. Each returns 0 (and a new inode reference in *out where there
	 * is one) or -errno.
	 */
	/* Finds name in dir; -ENOENT when there is none. */
	int (*lookup)(struct inode *dir, const char *name, struct inode **out);
	/*
	 * Optional: finds count names one below the other from dir in one
	 * go (the gofer's multi-component walk). Stops early at a symlink
	 * (its inode is the last one returned) or a missing name. Returns the
	 * number of inodes put in out (each a new reference), 0 included
	 * when names[0] does not exist, or -errno.
	 */
	int (*walk)(struct inode *dir, const char *const *names, int count, struct inode **out);
	int (*create)(struct inode *dir, const char *name, const struct vfs_newnode *nn,
	              struct inode **out);
	int (*mkdir)(struct inode *dir, const char *name, const struct vfs_newnode *nn,
	             struct inode **out);
	/* Fifos, sockets and device nodes (regular files too, from mknod(2)). */
	int (*mknod)(struct inode *dir, const char *name, const struct vfs_newnode *nn,
	             struct inode **out);
	int (*symlink)(struct inode *dir, const char *name, const char *target,
	               const struct vfs_newnode *nn, struct inode **out);
	/* A new name for target (same superblock, not a directory). */
	int (*link)(struct inode *dir, const char *name, struct inode *target);
	/* Removes name, whose inode is victim (not a directory). */
	int (*unlink)(struct inode *dir, const char *name, struct inode *victim);
	/* Removes the empty directory name (-ENOTEMPTY otherwise). */
	int (*rmdir)(struct inode *dir, const char *name, struct inode *victim);
	/*
	 * Moves oldname in olddir to newname in newdir (same superblock).
	 * flags: 0, LINUX_RENAME_NOREPLACE or LINUX_RENAME_EXCHANGE; src is
	 * the inode moved, dst the one replaced (or exchanged), NULL if none.
	 * The VFS
	 * has checked types; the fs checks that a replaced directory is
	 * empty (-ENOTEMPTY).
	 */
	int (*rename)(struct inode *olddir, const char *oldname, struct inode *newdir,
	              const char *newname, unsigned flags, struct inode *src, struct inode *dst);
	/* An unnamed regular file in dir's file system (O_TMPFILE). */
	int (*tmpfile)(struct inode *dir, const struct vfs_newnode *nn, struct inode **out);

	/*
	 * Symlinks: copies the target (NUL-terminated) into buf of size
	 * bytes (LINUX_PATH_MAX is enough). Returns its length or -errno.
	 */
	ssize_t (*readlink)(struct inode *inode, char *buf, size_t size);
	/*
	 * "Magic" links (/proc/PID/fd/N, exe, cwd, root): jump straight to
	 * a path instead of resolving a target string. Returns 0 and a new
	 * reference in *out, or -errno. readlink still gives their text.
	 */
	int (*follow)(struct inode *inode, struct mount **out_mnt, struct dentry **out_d);
	/*
	 * Optional, for magic links: when the link names an open file that
	 * has no path (an anonymous pipe), that file (a new reference), which
	 * an open of the link opens again through file_ops.reopen, as Linux
	 * opens the pipe's inode. Returns 0, or -ENOENT when follow() applies.
	 */
	int (*follow_file)(struct inode *inode, struct file **out);

	/*
	 * Optional: brings the inode's attributes up to date (from the
	 * host, for the gofer) before the VFS reads them. NULL: the fields
	 * in struct inode are always current.
	 */
	int (*refresh)(struct inode *inode);
	/* Applies a (checked) change; updates the inode's fields on success. */
	int (*setattr)(struct inode *inode, const struct vfs_setattr *attr);
	/*
	 * Opens the inode: returns a new file in *out (vfs_file_init'ed with
	 * flags and path by the fs). The VFS has checked access and O_TRUNC
	 * (done by setattr before).
	 */
	int (*open)(struct inode *inode, struct mount *mnt, struct dentry *d, unsigned flags,
	            struct file **out);
	/* The xattr calls, with getxattr(2)'s size conventions. */
	ssize_t (*getxattr)(struct inode *inode, const char *name, void *buf, size_t size);
	int (*setxattr)(struct inode *inode, const char *name, const void *value, size_t size,
	                int flags);
	ssize_t (*listxattr)(struct inode *inode, char *buf, size_t size);
	int (*removexattr)(struct inode *inode, const char *name);
	/* Frees the inode; called by the last inode_put. */
	void (*release)(struct inode *inode);
};

struct inode {
	atomic_int refs;
	struct superblock *sb; /* borrowed: the sb outlives its inodes */
	const struct inode_ops *ops;
	uint64_t ino;
	uint32_t mode; /* the type bits never change; the rest under mu */

	pthread_mutex_t mu;
	/* Protected by mu (and kept current by the fs, or by ops->refresh). */
	uint32_t uid, gid;
	uint32_t nlink;
	uint32_t rdev_major, rdev_minor;
	int64_t size;
	uint64_t blocks; /* 512-byte units */
	uint32_t blksize;
	struct linux_statx_timestamp atime, mtime, ctime, btime;
	/* Advisory locks (locks.c); NULL until the first lock. */
	struct file_locks *locks;
	/*
	 * S_IFSOCK nodes: the unix socket bound to this node (sentry/net/unix.c
	 * sets it at bind and clears it when the socket closes; connect finds
	 * the socket through it). Protected by unix.c's lock, not by mu.
	 */
	void *bound_socket;
	/*
	 * The inotify watches on this inode (sentry/vfs/fsnotify.c): NULL
	 * while there is none. Set and cleared under fsnotify.c's lock; the
	 * VFS hooks load it without the lock to learn that nobody watches.
	 */
	struct fsnotify_conn *_Atomic fsnotify;
};

/*
 * Initialises an inode with one reference: ino 0 picks a fresh number;
 * owner, times (now) and nlink (2 for a directory, else 1) are set.
 */
void inode_init(struct inode *inode, struct superblock *sb, const struct inode_ops *ops,
                uint64_t ino, uint32_t mode, uint32_t uid, uint32_t gid);
struct inode *inode_get(struct inode *inode);
void inode_put(struct inode *inode);
/* Fills a statx from the inode's fields (after ops->refresh). */
int inode_getattr(struct inode *inode, struct linux_statx *out);
/* Sets the timestamps named by VFS_ATTR_* bits in mask to now. Preconditions: mu held. */
void inode_touch_locked(struct inode *inode, unsigned mask);
void inode_touch(struct inode *inode, unsigned mask);
/* Applies a setattr to the inode's fields, for file systems that keep them. Preconditions: mu held.
 */
void inode_apply_setattr_locked(struct inode *inode, const struct vfs_setattr *attr);

static inline bool inode_is_dir(const struct inode *i)
{
	return (i->mode & LINUX_S_IFMT) == LINUX_S_IFDIR;
}
static inline bool inode_is_reg(const struct inode *i)
{
	return (i->mode & LINUX_S_IFMT) == LINUX_S_IFREG;
}
static inline bool inode_is_symlink(const struct inode *i)
{
	return (i->mode & LINUX_S_IFMT) == LINUX_S_IFLNK;
}

/* The current time as a statx timestamp (CLOCK_REALTIME). */
struct linux_statx_timestamp vfs_now(void);

/* ---- Character devices (devices.c) ---- */

typedef int (*chrdev_open_fn)(struct inode *inode, struct mount *mnt, struct dentry *d,
                              unsigned flags, struct file **out);
/* Registers the driver of device (major, minor): /dev/null and friends. */
void vfs_register_chrdev(uint32_t major, uint32_t minor, chrdev_open_fn open);
/*
 * Opens a character device node (an inode of type S_IFCHR of any file
 * system) by its rdev: -ENXIO when no driver has that number. File
 * systems call this from their ops->open for device nodes.
 */
int vfs_chrdev_open(struct inode *inode, struct mount *mnt, struct dentry *d, unsigned flags,
                    struct file **out);

/*
 * FIFOs: every file system's FIFO node opens through the pipe driver
 * registered here (sentry/fsimpl/pipe), which attaches the node's pipe;
 * -ENXIO while none is registered. flags are the open flags; the open may
 * block until the other end opens (fifo(7)).
 */
typedef int (*fifo_open_fn)(struct inode *inode, struct mount *mnt, struct dentry *d,
                            unsigned flags, struct file **out);
void vfs_register_fifo(fifo_open_fn open);
int vfs_fifo_open(struct inode *inode, struct mount *mnt, struct dentry *d, unsigned flags,
                  struct file **out);

/* ---- Dentries (dcache.c) ---- */

#define DENTRY_NOCACHE  0x1 /* drop when unused instead of keeping it cached (proc's pid dirs) */
#define DENTRY_LINKABLE 0x2 /* an O_TMPFILE file without O_EXCL: linkat may name it */

struct dentry {
	atomic_int refs;
	/* Protected by g_dcache_mu. */
	struct dentry *parent; /* a reference; NULL for a superblock's root */
	char *name;            /* owned; "/" for a root */
	struct superblock *sb; /* borrowed */
	struct inode *inode;   /* a reference; NULL: negative. Set once, cleared on unlink */
	unsigned flags;        /* DENTRY_* */
	bool hashed;           /* findable under (parent, name) */
	bool unlinked;         /* removed from its directory: paths show " (deleted)" */
	bool on_lru;
	struct dentry *hash_next;
	struct list_head lru;
	struct list_head children;   /* cached children */
	struct list_head child_link; /* in parent->children */
	struct list_head sb_link;    /* in the superblock's list of dentries */
	atomic_int mounted;          /* mounts on this dentry */
};

/* A new root dentry for sb with inode (consumed). */
struct dentry *vfs_dentry_new_root(struct superblock *sb, struct inode *inode);
struct dentry *dentry_get(struct dentry *d);
void dentry_put(struct dentry *d);
/*
 * Drops every cached child of dir (and their subtrees) that is not in
 * use: for file systems whose directories change behind the VFS's back.
 */
void dentry_prune_children(struct dentry *dir);
/* Whether d was removed from its directory (unlink, rmdir, replaced by rename). */
bool dentry_unlinked(struct dentry *d);
/* The dentry's parent, a new reference; d itself for a root. */
struct dentry *dentry_parent(struct dentry *d);
/* Copies d's name into buf (NAME_MAX + 1 bytes). */
void dentry_name(struct dentry *d, char *buf);

/* ---- Mounts (mount.c) ---- */

/* Mount flags (MS_* values, as /proc/mounts shows them). */
#define MNT_RDONLY     0x1
#define MNT_NOSUID     0x2
#define MNT_NODEV      0x4
#define MNT_NOEXEC     0x8
#define MNT_NOATIME    0x400
#define MNT_NODIRATIME 0x800
#define MNT_RELATIME   0x200000

struct mount {
	atomic_int refs;
	int id;
	struct mount_ns *ns;
	/* Protected by ns->mu. */
	struct mount *parent;      /* a reference; NULL for the namespace's root */
	struct dentry *mountpoint; /* in parent, a reference */
	struct dentry *root;       /* a reference */
	unsigned flags;            /* MNT_* */
	char *source;              /* for /proc/mounts, owned */
	bool attached;
	struct list_head ns_link;
	bool expire_mark; /* umount2(MNT_EXPIRE) asked once; protected by ns->mu */
};

struct mount_ns {
	pthread_mutex_t mu;
	/* Protected by mu. */
	struct mount *root;
	struct list_head mounts; /* in mount order */
	int next_id;
};

/* A new namespace whose root mount shows sb (a new reference is taken). */
int mount_ns_new(struct superblock *sb, unsigned mnt_flags, const char *source,
                 struct mount_ns **out);
/* Unmounts everything and frees the namespace. */
void mount_ns_destroy(struct mount_ns *ns);
struct mount *mount_get(struct mount *m);
void mount_put(struct mount *m);
/* The mount on top of (m, d), a new reference, or NULL. */
struct mount *mount_lookup_child(struct mount *m, struct dentry *d);
/* Mounts sb at (parent, mountpoint). Returns 0 or -errno. */
int mount_attach(struct mount *parent, struct dentry *mountpoint, struct superblock *sb,
                 struct dentry *root, unsigned mnt_flags, const char *source);

/* Writes /proc/mounts-style lines for every mount visible from root into buf. */
size_t mount_ns_format(struct mount_ns *ns, const struct mount *root_mnt,
                       const struct dentry *root_d, bool mountinfo, char *buf, size_t size);

/* ---- Paths ---- */

struct path {
	struct mount *mnt;
	struct dentry *d;
};

void path_get(const struct path *p);
/* Drops both references and clears p. */
void path_put(struct path *p);
static inline bool path_equal(const struct path *a, const struct path *b)
{
	return a->mnt == b->mnt && a->d == b->d;
}

/*
 * A task's file system context (Linux's fs_struct): root, cwd and umask,
 * shared by tasks created with CLONE_FS.
 */
struct fs_context {
	atomic_int refs;
	pthread_mutex_t mu;
	/* Protected by mu. */
	struct path root, cwd;
	uint32_t umask;
};

/* A new context with root and cwd (new references are taken). */
struct fs_context *fs_context_new(const struct path *root, const struct path *cwd, uint32_t umask);
struct fs_context *fs_context_get(struct fs_context *fs);
void fs_context_put(struct fs_context *fs);
/* Copies root and cwd (new references). */
void fs_context_paths(struct fs_context *fs, struct path *root, struct path *cwd);

/*
 * Where a path resolution starts and with whose rights: the syscall layer
 * fills one from the task and the dirfd.
 */
struct vfs_ctx {
	const struct creds *creds;
	struct path root;  /* borrowed: the task's root */
	struct path start; /* borrowed: the cwd, or the dirfd's directory */
	uint32_t umask;
};

/* Lookup flags. */
#define LOOKUP_FOLLOW        0x0001 /* follow a final symlink */
#define LOOKUP_DIRECTORY     0x0002 /* the final component must be a directory */
#define LOOKUP_EMPTY         0x0004 /* "" names the start (AT_EMPTY_PATH) */
#define LOOKUP_BENEATH       0x0010 /* RESOLVE_BENEATH */
#define LOOKUP_IN_ROOT       0x0020 /* RESOLVE_IN_ROOT: start is also the root */
#define LOOKUP_NO_SYMLINKS   0x0040 /* RESOLVE_NO_SYMLINKS */
#define LOOKUP_NO_MAGICLINKS 0x0080 /* RESOLVE_NO_MAGICLINKS */
#define LOOKUP_NO_XDEV       0x0100 /* RESOLVE_NO_XDEV */
#define LOOKUP_NO_AUTOMOUNT  0x0200 /* accepted, nothing automounts */

/* The symlinks one resolution may follow (Linux's MAXSYMLINKS). */
#define VFS_MAXSYMLINKS 40

/*
 * Resolves path. Returns 0 and a new reference in *out, or -errno: ENOENT,
 * ENOTDIR, ELOOP, ENAMETOOLONG, EACCES, EXDEV (RESOLVE_BENEATH escapes).
 */
int vfs_lookup(const struct vfs_ctx *c, const char *path, unsigned flags, struct path *out);
/*
 * When path's last component is a magic link to an open file that has no
 * path (an anonymous pipe: its lookup with LOOKUP_FOLLOW fails with
 * ENXIO), that file: a new reference in *out. -ENOENT (or the lookup's
 * error) otherwise. stat and open of /proc/PID/fd/N of a pipe use it.
 */
int vfs_lookup_pathless(const struct vfs_ctx *c, const char *path, unsigned lookup,
                        struct file **out);

/*
 * Resolves all of path but its last component: *parent gets the
 * directory (a new reference) and last the final name (NAME_MAX + 1
 * bytes). *last_type says what the final component was: LAST_NORM (a
 * name), LAST_DOT, LAST_DOTDOT or LAST_ROOT ("/"). *trailing_slash is
 * set when the path ends in '/'.
 */
enum vfs_last_type { LAST_NORM, LAST_DOT, LAST_DOTDOT, LAST_ROOT };
int vfs_lookup_parent(const struct vfs_ctx *c, const char *path, unsigned flags,
                      struct path *parent, char *last, enum vfs_last_type *last_type,
                      bool *trailing_slash);

/*
 * Permission check of inode for MAY_* bits with creds, as Linux's
 * generic_permission (root passes except for executing a file with no x
 * bit). Returns 0 or -EACCES.
 */
#define MAY_EXEC  0x1
#define MAY_WRITE 0x2
#define MAY_READ  0x4
int vfs_permission(const struct creds *c, struct inode *inode, int mask);

/* ---- Operations on paths (vfs.c): each checks what Linux checks. ---- */

/*
 * open(2) and openat2(2): oflags are the LINUX_O_* flags (O_CREAT,
 * O_EXCL, O_TRUNC, O_TMPFILE, O_PATH, O_NOFOLLOW, O_DIRECTORY honoured),
 * mode the mode for O_CREAT / O_TMPFILE (before the umask), lookup the
 * LOOKUP_* resolve flags. Returns 0 and a new file in *out, or -errno.
 */
int vfs_open(const struct vfs_ctx *c, const char *path, unsigned oflags, uint32_t mode,
             unsigned lookup, struct file **out);
/* Opens an already resolved path (exec, magic links): checks access for oflags. */
int vfs_open_path(const struct creds *creds, const struct path *p, unsigned oflags,
                  struct file **out);

int vfs_mknod(const struct vfs_ctx *c, const char *path, uint32_t mode, uint32_t major,
              uint32_t minor);
/* mknod of a node without a device number (a unix socket's bind): *out gets its path (new
 * references). */
int vfs_mknod_path(const struct vfs_ctx *c, const char *path, uint32_t mode, struct path *out);
int vfs_mkdir(const struct vfs_ctx *c, const char *path, uint32_t mode);
int vfs_rmdir(const struct vfs_ctx *c, const char *path);
int vfs_unlink(const struct vfs_ctx *c, const char *path);
int vfs_symlink(const struct vfs_ctx *c, const char *target, const char *path);
/* linkat(2): lookup is LOOKUP_FOLLOW and/or LOOKUP_EMPTY for oldpath. */
int vfs_link(const struct vfs_ctx *oldc, const char *oldpath, const struct vfs_ctx *newc,
             const char *newpath, unsigned lookup);
/* renameat2(2) flags: LINUX_RENAME_NOREPLACE, _EXCHANGE. */
int vfs_rename(const struct vfs_ctx *oldc, const char *oldpath, const struct vfs_ctx *newc,
               const char *newpath, unsigned flags);
/* readlinkat(2): copies at most size bytes, no NUL. Returns the count. */
ssize_t vfs_readlink(const struct vfs_ctx *c, const char *path, unsigned lookup, char *buf,
                     size_t size);

/* stat of a resolved path. */
int vfs_getattr(const struct path *p, struct linux_statx *out);
/*
 * chmod, chown, truncate, utimes on a resolved path, with Linux's checks
 * (owner or privilege, read-only mount, the setgid and setuid clearing
 * of chown). For VFS_ATTR_SIZE the caller has checked write access.
 */
int vfs_setattr(const struct creds *c, const struct path *p, const struct vfs_setattr *attr);
/* truncate(2) of a resolved path: type and permission checks, then setattr. */
int vfs_truncate(const struct creds *c, const struct path *p, int64_t size);
int vfs_statfs(const struct path *p, struct linux_statfs *out);
/* access(2)'s check: mode is F_OK or R_OK|W_OK|X_OK bits (as MAY_*). */
int vfs_access(const struct creds *c, const struct path *p, int may);

/* The xattr calls with Linux's namespace rules (user., trusted., security., system.). */
ssize_t vfs_getxattr(const struct creds *c, const struct path *p, const char *name, void *buf,
                     size_t size);
int vfs_setxattr(const struct creds *c, const struct path *p, const char *name, const void *value,
                 size_t size, int flags);
ssize_t vfs_listxattr(const struct path *p, char *buf, size_t size);
int vfs_removexattr(const struct creds *c, const struct path *p, const char *name);

/*
 * The path of p as seen from root, into buf (size bytes, NUL-terminated).
 * A path not under root (or unlinked) is written as Linux's d_path does:
 * unreachable paths get no prefix here; *out_reachable (may be NULL)
 * tells. Unlinked files get " (deleted)" appended. Returns the length or
 * -ENAMETOOLONG.
 */
ssize_t vfs_path_string(const struct path *p, const struct path *root, char *buf, size_t size,
                        bool *out_reachable);

/* mount(2) and umount2(2) inside the sandbox. */
int vfs_mount(const struct vfs_ctx *c, const char *source, const char *target, const char *fstype,
              unsigned long flags, const char *data);
int vfs_umount(const struct vfs_ctx *c, const char *target, int flags);

#endif /* SENTRY_VFS_VFS_H */
