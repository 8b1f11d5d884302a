/*
 * kernfs: file systems written as data (proc, sys), in the spirit of
 * Linux's kernfs and proc_dir_entry tables and gVisor's kernfs package.
 *
 * A file system is a tree of const struct kernfs_node tables:
 *
 *   directory   static children (an array of nodes) and/or dynamic ones
 *               listed and looked up by callbacks (proc's PIDs, fd/, task/);
 *   file        content generated in full by show() into a growable buffer
 *               when the file is opened: the open file keeps that snapshot
 *               and reads it at any offset (Linux's seq_file, which
 *               regenerates when a read starts again at offset 0: so do
 *               we); writable files have a write() callback;
 *   symlink     a target computed at readlink time (proc's self);
 *   magic link  readlink gives a text, follow() jumps to a path
 *               (/proc/PID/fd/N, exe, cwd, root).
 *
 * Inodes are made on lookup, one per (parent, name), with a stable inode
 * number (a hash of the parent's number and the name), the node's mode,
 * times equal to the file system's boot time, nlink 2 + subdirectories for
 * directories, and 1 otherwise.
 *
 * Each inode carries a key (struct kernfs_key), two integers copied from
 * its parent and set by the dynamic lookup that made it: proc puts the TID
 * in id[0] for everything under /proc/PID and the fd number in id[1] under
 * fd/ and fdinfo/. The callbacks find what they show from the key, every
 * time: nothing in an inode points to a task, so a task that exits leaves
 * no dangling pointer behind, and the callbacks answer -ENOENT (lookup,
 * open, stat) or -ESRCH (reading an open file) instead.
 *
 * Ownership and liveness come from the nearest attr() callback on the way
 * from the node to the root (a node without one inherits its parent's):
 * proc's per-task directory owns its subtree with the task's euid/egid and
 * says -ENOENT once the task is gone; ops->refresh asks it again before
 * every stat.
 *
 * Writes: a file without write() can still be opened for writing (the VFS
 * has checked the mode; root passes) and then write(2) fails with -EIO,
 * or -EINVAL with KERNFS_WRITE_EINVAL (Linux's /proc/PID files); with
 * KERNFS_NOWRITE_EACCES the open itself fails with -EACCES even for root,
 * as Linux's sysctl and sysfs files do for read-only entries.
 *
 * Caching: the entries of dynamic directories must not outlive what they
 * name. inode_ops->lookup cannot mark one dentry DENTRY_NOCACHE, so a
 * kernfs made with KERNFS_SB_NOCACHE marks its root, whose flag every
 * dentry below inherits: nothing of it stays cached once unused (proc;
 * a lookup here costs an allocation, no I/O). Entries in use (an open
 * file, a cwd) stay, and the liveness check above makes them answer
 * -ENOENT once their task has gone.
 *
 * Locking: kernfs itself keeps no shared mutable state besides the
 * snapshot of each open file (kernfs_file.mu) and the inode fields (under
 * inode.mu). Callbacks take what locks they need (proc: kernel.mu) and
 * must not call back into the VFS with them held if the VFS could block.
 */
#ifndef SENTRY_FSIMPL_KERNFS_KERNFS_H
#define SENTRY_FSIMPL_KERNFS_KERNFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/util.h"
#include "sentry/vfs/vfs.h"

struct kernfs_inode;
struct kernfs_node;

/* ---- Output buffers ---- */

/*
 * A growable buffer that show() and readlink() write into. Errors stick:
 * after a failed allocation every further write is dropped and err is
 * -ENOMEM, which kernfs returns instead of the content.
 */
struct kernfs_buf {
	char *data; /* owned; NUL-terminated when len > 0 */
	size_t len;
	size_t cap;
	int err;
};

void kernfs_buf_init(struct kernfs_buf *b);
void kernfs_buf_free(struct kernfs_buf *b);
void kernfs_printf(struct kernfs_buf *b, const char *fmt, ...) PRINTF_LIKE(2, 3);
void kernfs_write(struct kernfs_buf *b, const void *data, size_t len);
void kernfs_puts(struct kernfs_buf *b, const char *s);
/*
 * Makes room for len more bytes and returns where they go (NULL when out
 * of memory); kernfs_commit(b, n) then adds the n bytes written there.
 */
char *kernfs_reserve(struct kernfs_buf *b, size_t len);
void kernfs_commit(struct kernfs_buf *b, size_t n);

/* ---- Nodes ---- */

enum kernfs_kind {
	KERNFS_DIR,
	KERNFS_FILE,
	KERNFS_SYMLINK,
	KERNFS_MAGICLINK,
};

/* What an inode is about, inherited by its children (see the top). */
struct kernfs_key {
	int64_t id[2];
};

/* Attributes an attr() callback may change; pre-filled with the node's. */
struct kernfs_attr {
	uint32_t mode; /* permission bits */
	uint32_t uid, gid;
	int64_t size;
};

/* Node flags. */
#define KERNFS_WRITE_EINVAL   0x1 /* no write(): write(2) fails with EINVAL, not EIO */
#define KERNFS_NOWRITE_EACCES 0x2 /* no write(): opening for writing fails with EACCES */

/*
 * Dynamic children: emit is called for each child, in increasing cookie
 * order, and returns false when the caller wants no more (stop and return
 * 0). The child's inode number comes from its name, its type from node.
 */
typedef bool (*kernfs_emit_fn)(void *arg, const char *name, const struct kernfs_node *node,
                               uint64_t cookie);

struct kernfs_dyn_ops {
	/*
	 * Lists the children whose cookie is at least from. Cookies are
	 * below 2^62 and stable for as long as the child exists (proc uses
	 * the PID or the fd number). Returns 0 or -errno. Must not hold a
	 * lock across emit when emit could block (it copies names out).
	 */
	int (*list)(struct kernfs_inode *dir, uint64_t from, kernfs_emit_fn emit, void *arg);
	/*
	 * Finds name: 0 with *node (a template: its name is ignored) and
	 * *key (pre-filled with dir's key) set, or -ENOENT.
	 */
	int (*lookup)(struct kernfs_inode *dir, const char *name, const struct kernfs_node **node,
	              struct kernfs_key *key);
	/* Optional: how many of the dynamic children are directories (nlink). */
	int (*count_subdirs)(struct kernfs_inode *dir);
};

struct kernfs_node {
	const char *name; /* NULL for the template of dynamic children */
	enum kernfs_kind kind;
	uint32_t mode;  /* permission bits */
	unsigned flags; /* KERNFS_* */

	/*
	 * Optional: the owner and liveness of what the key names, for this
	 * node and (unless they have their own) its descendants. Returns 0,
	 * or -ENOENT when it is gone.
	 */
	int (*attr)(struct kernfs_inode *ki, struct kernfs_attr *a);

	/* KERNFS_DIR */
	const struct kernfs_node *children; /* static children */
	size_t nchildren;
	const struct kernfs_dyn_ops *dyn; /* dynamic children, or NULL */

	/* KERNFS_FILE: writes the whole content into b. Returns 0 or -errno. */
	int (*show)(struct kernfs_inode *ki, struct kernfs_buf *b);
	/* KERNFS_FILE, optional: one write(2). Returns the count taken or -errno. */
	ssize_t (*write)(struct kernfs_inode *ki, const char *data, size_t len, int64_t off);

	/* KERNFS_SYMLINK and KERNFS_MAGICLINK: writes the target text. */
	int (*readlink)(struct kernfs_inode *ki, struct kernfs_buf *b);
	/* KERNFS_MAGICLINK: the path to jump to (new references) or -errno. */
	int (*follow)(struct kernfs_inode *ki, struct mount **out_mnt, struct dentry **out_d);
	/* KERNFS_MAGICLINK, optional: a target file without a path (inode_ops.follow_file). */
	int (*follow_file)(struct kernfs_inode *ki, struct file **out);
};

/* Table helpers: each expands to one node initializer. */
#define KERNFS_DIR_NODE(n, m, kids)                                               \
	{                                                                         \
		.name = (n), .kind = KERNFS_DIR, .mode = (m), .children = (kids), \
		.nchildren = ARRAY_SIZE(kids)                                     \
	}
#define KERNFS_FILE_NODE(n, m, fn)                                          \
	{                                                                   \
		.name = (n), .kind = KERNFS_FILE, .mode = (m), .show = (fn) \
	}
#define KERNFS_SYMLINK_NODE(n, fn)                                                  \
	{                                                                           \
		.name = (n), .kind = KERNFS_SYMLINK, .mode = 0777, .readlink = (fn) \
	}

/* ---- Inodes and superblocks ---- */

struct kernfs_inode {
	struct inode base;
	const struct kernfs_node *node;
	struct kernfs_key key;
	/* The attr() in force: the node's, else the parent's. May be NULL. */
	int (*attr)(struct kernfs_inode *ki, struct kernfs_attr *a);
};

static inline struct kernfs_inode *kernfs_inode(struct inode *inode)
{
	return container_of(inode, struct kernfs_inode, base);
}

struct kernfs_sb {
	struct superblock base;
	const struct kernfs_node *root_node;
	struct linux_statx_timestamp time; /* every inode's times */
	void *priv;                        /* the file system's own, borrowed */
};

static inline struct kernfs_sb *kernfs_sb(struct superblock *sb)
{
	return container_of(sb, struct kernfs_sb, base);
}

/* The superblock an inode of a kernfs belongs to. */
static inline struct kernfs_sb *kernfs_inode_sb(struct kernfs_inode *ki)
{
	return kernfs_sb(ki->base.sb);
}

/* kernfs_sb_new flags. */
#define KERNFS_SB_NOCACHE 0x1 /* drop every dentry when unused (see the top) */

/*
 * Makes a superblock whose root directory is root (inode number 1, key
 * zero). fs_name and magic are for /proc/mounts and statfs; time is the
 * timestamp every inode shows; priv is kept for the callbacks; flags are
 * KERNFS_SB_*. Returns 0 and a new reference in *out, or -errno.
 */
int kernfs_sb_new(const char *fs_name, int64_t magic, const struct kernfs_node *root,
                  struct linux_statx_timestamp time, void *priv, unsigned flags,
                  struct superblock **out);

/* Linux's seq_lseek: SEEK_SET and SEEK_CUR over f->pos; anything else -EINVAL. */
int64_t kernfs_file_llseek(struct file *f, int64_t off, int whence);

#endif /* SENTRY_FSIMPL_KERNFS_KERNFS_H */
