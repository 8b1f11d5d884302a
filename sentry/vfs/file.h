/*
 * Open file descriptions ("files") and their operations.
 *
 * A struct file is what an fd refers to: shared by dup(2) and fork(2),
 * with its own status flags (O_APPEND, O_NONBLOCK, the access mode). Each
 * kind of file fills a const struct file_ops; a NULL op means the file
 * does not support the operation and the generic layer (vfs_*) returns
 * Linux's errno for that case.
 *
 * Files of the VFS (vfs.h) carry their path and inode and a position
 * that the generic layer keeps (f->pos under pos_mu): their read and
 * write ops always get an explicit offset. Files outside the VFS (the
 * host stdio the sandbox inherits, pipes) have no inode; their read and
 * write get off -1 for "the current position", which they keep
 * themselves.
 *
 * References: file_get() and file_put(); the last put calls ops->release.
 */
#ifndef SENTRY_VFS_FILE_H
#define SENTRY_VFS_FILE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/abi/linux/misc.h"
#include "common/list.h"
#include "sentry/vfs/vfs.h"

struct file;
struct task;
struct waitqueue;

/*
 * Something that watches a file without holding a reference to it: an
 * epoll item (sentry/fsimpl/anon/epoll.c), keyed by the file as Linux's
 * are. It is linked in the file's watch list; the file's last file_put
 * calls release() for each watch still linked, before ops->release, after
 * marking it dying and unlinking it. The owner removes a watch with
 * file_watch_remove, which fails for a dying watch (its release is on the
 * way, and the owner must leave the watch to it).
 */
struct file_watch {
	struct list_head link; /* in file.watches, under file.watch_mu */
	bool dying;            /* under file.watch_mu: release() is running or due */
	void (*release)(struct file_watch *w, struct file *f);
};

struct file_ops {
	/*
	 * Files on Linux's anonymous inode ("[eventfd]", "[eventpoll]", ...):
	 * the name /proc/PID/fd shows as "anon_inode:NAME". NULL otherwise.
	 */
	const char *anon_name;
	/*
	 * Reads or writes up to len bytes at off, or (files outside the VFS
	 * only) at the file's current position when off is -1. Returns the
	 * count or -errno. A VFS file opened with O_APPEND writes at its end
	 * whatever off says, atomically with respect to other writers of the
	 * inode, and leaves inode->size at the new end: vfs_write then moves
	 * the position there.
	 */
	ssize_t (*read)(struct file *f, void *buf, size_t len, int64_t off);
	ssize_t (*write)(struct file *f, const void *buf, size_t len, int64_t off);
	/* lseek(2). Returns the new offset or -errno. */
	int64_t (*llseek)(struct file *f, int64_t off, int whence);
	/* Fills a stat for fstat(2). */
	int (*stat)(struct file *f, struct linux_stat *st);
	/* The file-specific part of ioctl(2); returns -ENOTTY for unknown requests. */
	long (*ioctl)(struct task *t, struct file *f, unsigned cmd, uint64_t arg);
	/* Applies new status flags (O_APPEND, O_NONBLOCK, ...) from F_SETFL. */
	int (*set_status_flags)(struct file *f, unsigned flags);
	/* Releases the file's resources; called by the last file_put. */
	void (*release)(struct file *f);
	/* True when pread/pwrite make sense (regular files); else they fail with ESPIPE. */
	bool (*seekable)(struct file *f);
	/*
	 * The host fd whose readiness is the file's, for poll(2): a host file's
	 * own. NULL for files that are always ready (Linux's DEFAULT_POLLMASK);
	 * sentry files with their own readiness wait on wait queues instead.
	 * A file may have both this and readiness/wait_queue (an epoll
	 * instance watching host files): its readiness() then already includes
	 * the host fd's, and a waiter must watch both the wait queue and the
	 * host fd.
	 */
	int (*poll_host_fd)(struct file *f);
	/*
	 * Sentry files with their own readiness (pipes, sockets, eventfds):
	 * the poll(2) events among mask that hold now (LINUX_POLL*, from
	 * sentry/kernel/waitqueue.h), and the wait queue notified with the
	 * events that may have become true. Both NULL: the file is always
	 * ready (Linux's DEFAULT_POLLMASK), or its readiness is its
	 * poll_host_fd's.
	 */
	uint32_t (*readiness)(struct file *f, uint32_t mask);
	struct waitqueue *(*wait_queue)(struct file *f);
	/*
	 * Directories: emits entries from ctx->pos on (see struct dir_ctx).
	 * Returns 0 or -errno. The caller holds f->pos_mu and stores
	 * ctx->pos back into f->pos.
	 */
	int (*iterate)(struct file *f, struct dir_ctx *ctx);
	/* fsync(2) and fdatasync(2). NULL: nothing to flush, success. */
	int (*fsync)(struct file *f, bool datasync);
	/*
	 * mmap(2): the host fd whose pages back the file (tmpfs's memfd,
	 * the gofer's donated fd), borrowed for as long as f lives. NULL:
	 * the file cannot be mapped (ENODEV).
	 */
	int (*mmap_fd)(struct file *f, bool shared_write, int *out_fd);
	/*
	 * Optional, files outside the VFS that an open of /proc/PID/fd/N
	 * opens again (a pipe: a new end with oflags' access mode, as
	 * fifo_open). Returns 0 and a new file, or -errno.
	 */
	int (*reopen)(struct file *f, unsigned oflags, struct file **out);
	/* fallocate(2), mode already checked. NULL: EOPNOTSUPP. */
	int (*fallocate)(struct file *f, int mode, int64_t off, int64_t len);
};

struct file {
	atomic_int refs;
	const struct file_ops *ops;
	_Atomic unsigned flags; /* LINUX_O_ACCMODE bits, O_PATH and status flags */
	/* VFS files: where the file was opened (references), else NULLs. */
	struct path path;
	struct inode *inode;
	pthread_mutex_t pos_mu;
	int64_t pos; /* protected by pos_mu */
	/*
	 * Opened by the VFS for a task (vfs_open and friends), so it reports
	 * inotify events (fsnotify.h); not the files a file system opens for
	 * itself (an overlay's file on its layer's inode). Set once, at open.
	 */
	bool fsnotify;
	/* The file's watches (struct file_watch: epoll items), under watch_mu. */
	pthread_mutex_t watch_mu;
	struct list_head watches;
};

/* Initialises a file outside the VFS with one reference. */
void file_init(struct file *f, const struct file_ops *ops, unsigned flags);
/*
 * Initialises a VFS file with one reference: takes new references on
 * mnt, d and inode (d and mnt may be NULL for an unnamed file).
 */
void vfs_file_init(struct file *f, const struct file_ops *ops, unsigned flags, struct mount *mnt,
                   struct dentry *d, struct inode *inode);
/* For ops->release of a VFS file: drops what vfs_file_init took. */
void vfs_file_release(struct file *f);
struct file *file_get(struct file *f);
void file_put(struct file *f);

/* Links watch w (release set by the caller) into f's watch list. */
void file_watch_add(struct file *f, struct file_watch *w);
/*
 * Unlinks w from f's watch list. Returns false, leaving w alone, when w is
 * dying (the file's last reference is being dropped and will call
 * w->release) and force is false; release() itself passes force.
 */
bool file_watch_remove(struct file *f, struct file_watch *w, bool force);

/*
 * The generic layer the syscalls call. off -1 means the file's position
 * (which vfs_read and vfs_write advance); otherwise pread/pwrite (the
 * caller has checked seekable). Return counts or -errno.
 */
ssize_t vfs_read(struct file *f, void *buf, size_t len, int64_t off);
ssize_t vfs_write(struct file *f, const void *buf, size_t len, int64_t off);
/* lseek(2): VFS files use f->pos (ops->llseek may be NULL: generic). */
int64_t vfs_llseek(struct file *f, int64_t off, int whence);
/* lseek for files whose end is inode->size: SEEK_SET, CUR, END, DATA, HOLE. */
int64_t vfs_generic_llseek(struct file *f, int64_t off, int whence);
/* fstat of a VFS file: its inode's attributes; -EOPNOTSUPP for other files (see ops->stat). */
int vfs_file_getattr(struct file *f, struct linux_statx *out);
/* getdents: runs ops->iterate from f->pos under pos_mu (-ENOTDIR without it). */
int vfs_iterate(struct file *f, struct dir_ctx *ctx);
/*
 * For an fs's iterate: emits "." (pos 0) and ".." (pos 1) when ctx->pos
 * is below 2, leaving ctx->pos at 2. Returns false when the buffer filled.
 */
bool vfs_dir_emit_dots(struct file *f, struct dir_ctx *ctx);

/* The file's access mode allows reading / writing. */
bool file_readable(const struct file *f);
bool file_writable(const struct file *f);

#endif /* SENTRY_VFS_FILE_H */
