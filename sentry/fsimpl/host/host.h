/*
 * Host files: host fds handed to the sandbox, today the stdio that `runsc
 * do` inherits. Reads and writes go to the host fd; its offset and status
 * flags are the host file description's, shared with whoever else holds it
 * (as they are for a process that inherits a descriptor).
 */
#ifndef SENTRY_FSIMPL_HOST_HOST_H
#define SENTRY_FSIMPL_HOST_HOST_H

#include <stdbool.h>
#include <sys/types.h>

struct dentry;
struct file;
struct inode;
struct loader_file;
struct mount;
struct tty;

/*
 * Wraps host fd (which the file now owns) in a file. Returns 0 and a new
 * reference in *out, or -errno.
 */
int host_file_new(int fd, struct file **out);

/*
 * Opens host terminal tty again, for an open of /dev/tty (inode, at mnt
 * and d) with open flags: a host file on a copy of the terminal's fd,
 * which is a VFS file of that node (its fstat is /dev/tty's) and has its
 * own status flags in the sandbox; on the host the open file description
 * is the one the sandbox's terminal came with. Returns 0 and a new
 * reference in *out, or -ENXIO when the sentry has no fd of tty.
 */
int host_file_open_tty(struct tty *tty, unsigned flags, struct mount *mnt, struct dentry *d,
                       struct inode *inode, struct file **out);

/* Whether f is a host file (made by host_file_new). */
bool host_file_is(const struct file *f);

/* The host fd of host file f, borrowed: open as long as f is. */
int host_file_fd(struct file *f);

/* The job-control object of a host terminal file, or NULL (sentry/kernel/tty.h). */
struct tty *host_file_tty(struct file *f);

/*
 * tee(2) between two host files: the host's tee on their fds duplicates
 * up to len bytes of the pipe in into the pipe out without consuming
 * them. flags are Linux's SPLICE_F_* bits (the same on every
 * architecture); SPLICE_F_NONBLOCK makes the call fail with EAGAIN
 * instead of waiting, the others have no effect on tee. The caller
 * checks the access modes. Returns the bytes duplicated or -errno (the
 * host's EINVAL when either is not a pipe, or both are one pipe).
 */
ssize_t host_file_tee(struct file *in, struct file *out, size_t len, unsigned flags);

/* Opens path on the host for the loader (before the sandbox confines itself). */
int host_loader_file_open(const char *path, struct loader_file **out);

#endif /* SENTRY_FSIMPL_HOST_HOST_H */
