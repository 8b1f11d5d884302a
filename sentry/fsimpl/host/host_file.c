/*
 * Host files: see host.h.
 *
 * Reads, writes and tee are plain host calls on the sentry thread of the
 * task. They may block (a terminal, a pipe): that is acceptable while the only
 * host files are the caller's stdio; once signals can interrupt a task,
 * blocking host I/O waits through the task's wait queue instead.
 */
#include "sentry/fsimpl/host/host.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "common/log.h"
#include "sentry/kernel/kernel.h"
#include "sentry/mm/mm.h"
#include "sentry/vfs/file.h"

struct host_file {
	struct file base;
	int fd;
	bool seekable; /* a regular file or block device */
};

static struct host_file *to_host(struct file *f)
{
	return container_of(f, struct host_file, base);
}

static ssize_t host_read(struct file *f, void *buf, size_t len, int64_t off)
{
	int fd = to_host(f)->fd;
	ssize_t n;
	do {
		n = off < 0 ? read(fd, buf, len) : pread(fd, buf, len, off);
	} while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : n;
}

static ssize_t host_write(struct file *f, const void *buf, size_t len, int64_t off)
{
	int fd = to_host(f)->fd;
	ssize_t n;
	do {
		n = off < 0 ? write(fd, buf, len) : pwrite(fd, buf, len, off);
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

/* Terminal ioctls that only read state are passed to the host tty. */
static long host_ioctl(struct task *t, struct file *f, unsigned cmd, uint64_t arg)
{
	int fd = to_host(f)->fd;
	switch (cmd) {
	case LINUX_TCGETS: {
		struct linux_termios tio;
		if (ioctl(fd, TCGETS, &tio) != 0)
			return -errno;
		return mm_copy_out(t->mm, arg, &tio, sizeof(tio));
	}
	case LINUX_TIOCGWINSZ: {
		struct linux_winsize ws;
		if (ioctl(fd, TIOCGWINSZ, &ws) != 0)
			return -errno;
		return mm_copy_out(t->mm, arg, &ws, sizeof(ws));
	}
	default:
		return -ENOTTY;
	}
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
	/* O_LARGEFILE is implied on x86-64, and Linux reports it in F_GETFL. */
	file_init(&h->base, &g_host_file_ops, (unsigned)flags | LINUX_O_LARGEFILE);
	*out = &h->base;
	return 0;
}

bool host_file_is(const struct file *f)
{
	return f->ops == &g_host_file_ops;
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
