/*
 * Open file descriptions ("files") and their operations.
 *
 * A struct file is what an fd refers to: shared by dup(2) and fork(2),
 * with its own status flags (O_APPEND, O_NONBLOCK, the access mode). Each
 * kind of file fills a const struct file_ops; a NULL op means the file
 * does not support the operation and the generic layer (vfs_*) returns
 * Linux's errno for that case.
 *
 * This is the seed of the VFS: today the only files are host files (the
 * stdio the sandbox inherits, sentry/fsimpl/host); the mount, dentry and
 * inode layers arrive with the files issue and hang below this interface.
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

struct file;
struct task;

struct file_ops {
	/*
	 * Reads or writes up to len bytes at off, or at the file's current
	 * position when off is -1. Returns the count or -errno.
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
	 */
	int (*poll_host_fd)(struct file *f);
};

struct file {
	atomic_int refs;
	const struct file_ops *ops;
	_Atomic unsigned flags; /* LINUX_O_ACCMODE bits and status flags */
};

/* Initialises a file with one reference. */
void file_init(struct file *f, const struct file_ops *ops, unsigned flags);
struct file *file_get(struct file *f);
void file_put(struct file *f);

/* The file's access mode allows reading / writing. */
bool file_readable(const struct file *f);
bool file_writable(const struct file *f);

#endif /* SENTRY_VFS_FILE_H */
