/*
 * The sentry's pipes and FIFOs (Linux's fs/pipe.c and fifo_open).
 *
 * A pipe is a ring of page-sized buffers (16 by default: 64 KiB) with
 * Linux's rules: a write of up to PIPE_BUF bytes is atomic, a small write
 * merges into the last page when it fits, O_DIRECT makes each page a
 * packet, F_SETPIPE_SZ resizes the ring. Blocking reads and writes wait on
 * the pipe's wait queue in task_block, so a signal interrupts them.
 *
 * Anonymous pipes (pipe(2)) are files outside the VFS with a pipefs-like
 * device and inode number; FIFOs are VFS files of the node's file system
 * (tmpfs, overlay, gofer), sharing one pipe per node while it has openers
 * (looked up by the node's device and inode number).
 */
#ifndef SENTRY_FSIMPL_PIPE_PIPE_H
#define SENTRY_FSIMPL_PIPE_PIPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct creds;
struct dentry;
struct file;
struct inode;
struct mount;
struct task;

#define PIPE_PAGE_SIZE    4096
#define PIPE_BUF_ATOMIC   4096 /* PIPE_BUF: writes up to this size are atomic */
#define PIPE_DEF_BUFFERS  16
#define PIPE_MAX_SIZE_DEF (1024 * 1024) /* /proc/sys/fs/pipe-max-size */

#define LINUX_F_SETPIPE_SZ 1031
#define LINUX_F_GETPIPE_SZ 1032
#define LINUX_FIONREAD     0x541B

/*
 * Makes an anonymous pipe: *rd (O_RDONLY) and *wr (O_WRONLY), each with
 * one reference. flags: LINUX_O_NONBLOCK for both ends, LINUX_O_DIRECT
 * for the write end (packet mode). c: the owner shown by fstat.
 * Returns 0 or -errno.
 */
int pipe_new(const struct creds *c, unsigned flags, struct file **rd, struct file **wr);

/* Makes the VFS open FIFO nodes through pipe_fifo_open (boot calls it once). */
void pipe_register_fifo(void);

/* Whether f is an end of a sentry pipe or FIFO. */
bool pipe_file_is(const struct file *f);

/* F_GETPIPE_SZ and F_SETPIPE_SZ: -EBADF when f is not a pipe (as Linux). */
long pipe_fcntl(struct task *t, struct file *f, unsigned cmd, uint64_t arg);

/*
 * For splice and tee, which move data between pipes and files through a
 * buffer. nonblock: fail with -EAGAIN instead of waiting (SPLICE_F_NONBLOCK
 * or the pipe file's O_NONBLOCK). Waits are interruptible
 * (-LINUX_ERESTARTSYS).
 *
 * pipe_peek waits for data (or end of file: 0) in the pipe of read end f
 * and copies up to len bytes without consuming them; pipe_consume then
 * drops n bytes from its front (what was passed on).
 */
ssize_t pipe_peek(struct file *f, void *buf, size_t len, bool nonblock);
void pipe_consume(struct file *f, size_t n);
/*
 * Waits until the pipe of write end f has room; returns how many bytes a
 * write can take now without waiting (> 0), or -EPIPE (no reader; the
 * caller raises SIGPIPE), -EAGAIN, -LINUX_ERESTARTSYS.
 */
ssize_t pipe_wait_room(struct file *f, bool nonblock);
/* Writes to write end f as write(2) would, with nonblock instead of the file's O_NONBLOCK. */
ssize_t pipe_write_flags(struct file *f, const void *buf, size_t len, bool nonblock);
/* Whether a and b are ends of the same pipe. */
bool pipe_same(const struct file *a, const struct file *b);

#endif /* SENTRY_FSIMPL_PIPE_PIPE_H */
