/*
 * Host files: see host.h.
 *
 * Reads and writes are host calls on the task's sentry thread. For a file
 * that can block (a terminal, a pipe, a socket) the thread first waits for
 * the fd to be ready in task_block, with the host fd among its wake-ups,
 * so that a signal interrupts the wait as on Linux; the file's status
 * flags are not touched (the open file description is shared with the
 * world outside the sandbox). A host terminal has a struct tty for the
 * sandbox's job control (sentry/kernel/tty.c), and its other ioctls run
 * on the host fd (host_tty.c).
 */
#include "sentry/fsimpl/host/host.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/abi/linux/errno.h"
#include "common/abi/linux/tty.h"
#include "common/log.h"
#include "sentry/fsimpl/host/host_tty.h"
#include "sentry/fsimpl/kernfs/proc.h"
#include "sentry/kernel/task.h"
#include "sentry/kernel/tty.h"
#include "sentry/mm/mm.h"
#include "sentry/vfs/file.h"

struct host_file {
	struct file base;
	int fd;
	bool seekable;   /* a regular file or block device */
	bool vfs;        /* opened through the VFS (/dev/tty): base has a path and inode */
	struct tty *tty; /* a terminal's job control, or NULL */
};

static struct host_file *to_host(struct file *f)
{
	return container_of(f, struct host_file, base);
}

/*
 * Waits until h's fd has events (POLLIN or POLLOUT), unless the file is
 * non-blocking or cannot block. Returns 0, or -ERESTARTSYS when a signal
 * came first.
 */
static int wait_ready(struct host_file *h, short events)
{
	if (h->seekable || (atomic_load(&h->base.flags) & LINUX_O_NONBLOCK))
		return 0;
	struct task *t = task_current();
	if (!t)
		return 0;
	for (;;) {
		struct pollfd p = { .fd = h->fd, .events = events };
		if (poll(&p, 1, 0) > 0)
			return 0;
		int err = task_block(t, NULL, &p, 1);
		if (err == -EINTR)
			return -LINUX_ERESTARTSYS;
		if (err < 0)
			return err;
	}
}

static ssize_t host_read(struct file *f, void *buf, size_t len, int64_t off)
{
	struct host_file *h = to_host(f);
	struct task *t = task_current();
	if (h->tty && t) {
		int err = tty_check_read(t, h->tty);
		if (err < 0)
			return err;
	}
	int err = wait_ready(h, POLLIN);
	if (err < 0)
		return err;
	ssize_t n;
	do {
		n = off < 0 || !h->seekable ? read(h->fd, buf, len) : pread(h->fd, buf, len, off);
	} while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : n;
}

static ssize_t host_write(struct file *f, const void *buf, size_t len, int64_t off)
{
	struct host_file *h = to_host(f);
	struct task *t = task_current();
	if (h->tty && t) {
		int err = host_tty_check_write(t, h->tty, h->fd);
		if (err < 0)
			return err;
	}
	int err = wait_ready(h, POLLOUT);
	if (err < 0)
		return err;
	ssize_t n;
	do {
		n = off < 0 || !h->seekable ? write(h->fd, buf, len) : pwrite(h->fd, buf, len, off);
	} while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : n;
}

static int64_t host_llseek(struct file *f, int64_t off, int whence)
{
	off_t r = lseek(to_host(f)->fd, off, whence);
	return r < 0 ? -errno : r;
}

static int host_stat(struct file *f, struct linux_stat *st)
{
	struct stat hs;
	if (fstat(to_host(f)->fd, &hs) != 0)
		return -errno;
	*st = (struct linux_stat){
		.dev = hs.st_dev,
		.ino = hs.st_ino,
		.nlink = hs.st_nlink,
		.mode = hs.st_mode,
		.uid = hs.st_uid,
		.gid = hs.st_gid,
		.rdev = hs.st_rdev,
		.size = hs.st_size,
		.blksize = hs.st_blksize,
		.blocks = hs.st_blocks,
		.atime_sec = hs.st_atim.tv_sec,
		.atime_nsec = hs.st_atim.tv_nsec,
		.mtime_sec = hs.st_mtim.tv_sec,
		.mtime_nsec = hs.st_mtim.tv_nsec,
		.ctime_sec = hs.st_ctim.tv_sec,
		.ctime_nsec = hs.st_ctim.tv_nsec,
	};
	return 0;
}

/*
 * ioctl: FIONREAD is the host's answer for any host file (a pipe's, a
 * socket's or a regular file's bytes to read, as Linux's); a terminal's
 * job control is the sandbox's (tty.c), its other requests run on the
 * host fd (host_tty.c); anything else is ENOTTY.
 */
static long host_ioctl(struct task *t, struct file *f, unsigned cmd, uint64_t arg)
{
	struct host_file *h = to_host(f);
	if (h->tty) {
		long r = tty_ioctl(t, h->tty, cmd, arg);
		if (r != -TTY_ENOIOCTLCMD)
			return r;
		return host_tty_ioctl(t, h->tty, h->fd, cmd, arg);
	}
	if (cmd != LINUX_FIONREAD)
		return -ENOTTY;
	int n;
	if (ioctl(h->fd, FIONREAD, &n) != 0)
		return -errno;
	int32_t v = n;
	return mm_copy_out(t->mm, arg, &v, sizeof(v));
}

static int host_set_status_flags(struct file *f, unsigned flags)
{
	int fd = to_host(f)->fd;
	int cur = fcntl(fd, F_GETFL);
	if (cur < 0)
		return -errno;
	int settable = O_APPEND | O_NONBLOCK | O_ASYNC | O_DIRECT | O_NOATIME;
	int want = (cur & ~settable) | ((int)flags & settable);
	if (fcntl(fd, F_SETFL, want) != 0)
		return -errno;
	return 0;
}

static bool host_seekable(struct file *f)
{
	return to_host(f)->seekable;
}

static int host_poll_host_fd(struct file *f)
{
	return to_host(f)->fd;
}

static void host_release(struct file *f)
{
	struct host_file *h = to_host(f);
	if (h->vfs)
		vfs_file_release(f);
	close(h->fd);
	free(h);
}

static const struct file_ops g_host_file_ops = {
	.read = host_read,
	.write = host_write,
	.llseek = host_llseek,
	.stat = host_stat,
	.ioctl = host_ioctl,
	.set_status_flags = host_set_status_flags,
	.release = host_release,
	.seekable = host_seekable,
	.poll_host_fd = host_poll_host_fd,
};

int host_file_new(int fd, struct file **out)
{
	int flags = fcntl(fd, F_GETFL);
	struct stat st;
	if (flags < 0 || fstat(fd, &st) != 0)
		return -errno;
	struct host_file *h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->fd = fd;
	h->seekable = S_ISREG(st.st_mode) || S_ISBLK(st.st_mode);
	if (S_ISCHR(st.st_mode) && isatty(fd)) {
		h->tty = tty_for_device(st.st_rdev);
		/* The terminal keeps an fd of its own, for /dev/tty. */
		int expected = -1, copy = h->tty ? fcntl(fd, F_DUPFD_CLOEXEC, 3) : -1;
		if (copy >= 0 && !atomic_compare_exchange_strong(&h->tty->host_fd, &expected, copy))
			close(copy);
	}
	/* O_LARGEFILE is implied on x86-64, and Linux reports it in F_GETFL. */
	file_init(&h->base, &g_host_file_ops, (unsigned)flags | LINUX_O_LARGEFILE);
	*out = &h->base;
	return 0;
}

int host_file_open_tty(struct tty *tty, unsigned flags, struct mount *mnt, struct dentry *d,
                       struct inode *inode, struct file **out)
{
	int src = atomic_load(&tty->host_fd);
	if (src < 0)
		return -ENXIO;
	int fd = fcntl(src, F_DUPFD_CLOEXEC, 3);
	if (fd < 0)
		return -errno;
	struct host_file *h = calloc(1, sizeof(*h));
	if (!h) {
		close(fd);
		return -ENOMEM;
	}
	h->fd = fd;
	h->vfs = true;
	h->tty = tty;
	vfs_file_init(&h->base, &g_host_file_ops, flags, mnt, d, inode);
	*out = &h->base;
	return 0;
}

bool host_file_is(const struct file *f)
{
	return f->ops == &g_host_file_ops;
}

int host_file_fd(struct file *f)
{
	BUG_ON(!host_file_is(f));
	return to_host(f)->fd;
}

struct tty *host_file_tty(struct file *f)
{
	return host_file_is(f) ? to_host(f)->tty : NULL;
}

ssize_t host_file_tee(struct file *in, struct file *out, size_t len, unsigned flags)
{
	BUG_ON(!host_file_is(in) || !host_file_is(out));
	/* Linux's SPLICE_F_* values are architecture-independent: the host's are the guest's. */
	unsigned hflags =
	        flags & (SPLICE_F_MOVE | SPLICE_F_NONBLOCK | SPLICE_F_MORE | SPLICE_F_GIFT);
	ssize_t n;
	do {
		n = tee(to_host(in)->fd, to_host(out)->fd, len, hflags);
	} while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : n;
}
