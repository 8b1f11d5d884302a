/*
 * Opening gofer inodes, and the files of regular files.
 *
 * A regular file's data goes through host fds the gofer donated (T_OPEN),
 * with pread and pwrite at explicit offsets: the fds carry no position
 * and no status flag of ours, so every file of the inode shares them. An
 * inode opens at most one read-only and one read-write fd (write-only if
 * the gofer may not read it), on first use, and keeps them until it goes:
 * only the first open of an inode costs a round trip (none after create,
 * whose fd is kept). O_APPEND, O_SYNC and O_DSYNC are applied here, per
 * file, not by the host fd.
 */
#include <errno.h>
#include <stdlib.h>

#include "common/log.h"
#include "sentry/fsimpl/gofer/goferfs_impl.h"

/* T_OPEN of the inode's node with flags; returns the host fd or -errno. */
static int open_node(struct goferfs_inode *gi, uint32_t flags)
{
	struct goferfs_sb *gs = goferfs_sb_of_inode(&gi->base);
	struct gofer_client *c;
	int fd = goferfs_chan_get(gs, &c);
	if (fd < 0)
		return fd;
	fd = gofer_client_open(c, gi->node, flags);
	goferfs_chan_put(gs, c);
	return fd;
}

/* The inode's read-only fd, opened on first use. Returns it or -errno. */
static int ro_fd(struct goferfs_inode *gi)
{
	int fd = atomic_load(&gi->ro_fd);
	if (fd >= 0)
		return fd;
	pthread_mutex_lock(&gi->fd_mu);
	fd = atomic_load(&gi->ro_fd);
	if (fd < 0) {
		fd = open_node(gi, LINUX_O_RDONLY);
		if (fd >= 0)
			atomic_store(&gi->ro_fd, fd);
	}
	pthread_mutex_unlock(&gi->fd_mu);
	return fd;
}

/* An fd to read from: the read-write one if it can read, else the read-only one. */
static int read_fd(struct goferfs_inode *gi)
{
	int fd = atomic_load(&gi->rw_fd);
	if (fd >= 0 && !atomic_load(&gi->rw_wronly))
		return fd;
	return ro_fd(gi);
}

/*
 * The inode's read-write fd, opened on first use: O_RDWR, or O_WRONLY
 * when the gofer may not read the file. Returns it or -errno.
 */
static int rw_fd(struct goferfs_inode *gi)
{
	int fd = atomic_load(&gi->rw_fd);
	if (fd >= 0)
		return fd;
	pthread_mutex_lock(&gi->fd_mu);
	fd = atomic_load(&gi->rw_fd);
	if (fd < 0) {
		fd = open_node(gi, LINUX_O_RDWR);
		if (fd == -EACCES) {
			fd = open_node(gi, LINUX_O_WRONLY);
			if (fd >= 0)
				atomic_store(&gi->rw_wronly, true);
		}
		if (fd >= 0)
			atomic_store(&gi->rw_fd, fd);
	}
	pthread_mutex_unlock(&gi->fd_mu);
	return fd;
}

static struct goferfs_inode *file_inode(struct file *f)
{
	return goferfs_inode_of(f->inode);
}

/* goferfs_file_read implements file_ops.read: pread on the host fd. */
static ssize_t goferfs_file_read(struct file *f, void *buf, size_t len, int64_t off)
{
	int fd = read_fd(file_inode(f));
	if (fd < 0)
		return fd;
	return goferfs_host_pread(fd, buf, len, off);
}

/*
 * An O_APPEND write: at the host's end of file, under the inode's mutex so
 * that appenders of the sandbox never write over each other.
 */
static ssize_t append(struct inode *inode, int fd, const void *buf, size_t len)
{
	struct linux_statx stx;

	pthread_mutex_lock(&inode->mu);
	ssize_t n = goferfs_host_statx(fd, &stx);
	if (n == 0)
		n = goferfs_host_pwrite(fd, buf, len, (int64_t)stx.size);
	if (n >= 0)
		inode->size = (int64_t)stx.size + n;
	pthread_mutex_unlock(&inode->mu);
	return n;
}

/*
 * goferfs_file_write implements file_ops.write: pwrite on the host fd,
 * then inode->size grows to cover it. O_SYNC and O_DSYNC flush after.
 */
static ssize_t goferfs_file_write(struct file *f, const void *buf, size_t len, int64_t off)
{
	struct inode *inode = f->inode;
	unsigned flags = atomic_load(&f->flags);
	ssize_t n;

	int fd = rw_fd(file_inode(f));
	if (fd < 0)
		return fd;
	if (flags & LINUX_O_APPEND) {
		n = append(inode, fd, buf, len);
	} else {
		n = goferfs_host_pwrite(fd, buf, len, off);
		if (n > 0) {
			pthread_mutex_lock(&inode->mu);
			inode->size = MAX(inode->size, off + n);
			pthread_mutex_unlock(&inode->mu);
		}
	}
	if (n > 0 && (flags & LINUX_O_DSYNC)) {
		/* O_SYNC is O_DSYNC plus one more bit (__O_SYNC). */
		int err = goferfs_host_fsync(fd, (flags & LINUX_O_SYNC) != LINUX_O_SYNC);
		if (err < 0)
			return err;
	}
	return n;
}

/* goferfs_file_fsync implements file_ops.fsync on whichever host fd is open. */
static int goferfs_file_fsync(struct file *f, bool datasync)
{
	struct goferfs_inode *gi = file_inode(f);
	int fd = atomic_load(&gi->rw_fd);
	if (fd < 0)
		fd = read_fd(gi);
	if (fd < 0)
		return fd;
	return goferfs_host_fsync(fd, datasync);
}

/*
 * goferfs_file_mmap_fd implements file_ops.mmap_fd: the read-write fd
 * for a shared writable mapping (which needs O_RDWR), else the read-only
 * one, so that the host refuses what the mapping may not do.
 */
static int goferfs_file_mmap_fd(struct file *f, bool shared_write, int *out_fd)
{
	struct goferfs_inode *gi = file_inode(f);
	int fd;

	if (shared_write) {
		fd = rw_fd(gi);
		if (fd >= 0 && atomic_load(&gi->rw_wronly))
			fd = -EACCES;
	} else {
		fd = ro_fd(gi);
	}
	if (fd < 0)
		return fd;
	*out_fd = fd;
	return 0;
}

/* goferfs_file_fallocate implements file_ops.fallocate on the read-write fd. */
static int goferfs_file_fallocate(struct file *f, int mode, int64_t off, int64_t len)
{
	int fd = rw_fd(file_inode(f));
	if (fd < 0)
		return fd;
	int err = goferfs_host_fallocate(fd, mode, off, len);
	if (err < 0)
		return err;
	return goferfs_refresh(f->inode);
}

static bool goferfs_file_seekable(struct file *f)
{
	return true;
}

static void goferfs_file_release(struct file *f)
{
	vfs_file_release(f);
	free(f);
}

static const struct file_ops g_goferfs_reg_file_ops = {
	.read = goferfs_file_read,
	.write = goferfs_file_write,
	.fsync = goferfs_file_fsync,
	.mmap_fd = goferfs_file_mmap_fd,
	.fallocate = goferfs_file_fallocate,
	.seekable = goferfs_file_seekable,
	.release = goferfs_file_release,
};

/*
 * goferfs_open implements inode_ops.open: directories, regular files and
 * character devices (the sentry's own drivers, by rdev). FIFOs never get
 * here (the VFS opens them as the sentry's pipes); sockets and block
 * devices of the host are not served yet (ENXIO).
 */
int goferfs_open(struct inode *inode, struct mount *mnt, struct dentry *d, unsigned flags,
                 struct file **out)
{
	struct goferfs_inode *gi = goferfs_inode_of(inode);
	unsigned acc = flags & LINUX_O_ACCMODE;
	int fd;

	switch (inode->mode & LINUX_S_IFMT) {
	case LINUX_S_IFDIR:
		return goferfs_dir_open(inode, mnt, d, flags, out);
	case LINUX_S_IFREG:
		break;
	case LINUX_S_IFCHR:
		return vfs_chrdev_open(inode, mnt, d, flags, out);
	case LINUX_S_IFLNK:
		return -ELOOP;
	default:
		log_info("goferfs %s: open of a FIFO, socket or block device (type 0%o) is not "
		         "supported yet",
		         goferfs_sb_of_inode(inode)->source, inode->mode & LINUX_S_IFMT);
		return -ENXIO;
	}
	/*
	 * Open the host fds now, so that errors show at open(2), as on Linux;
	 * the read-write one first: it serves reads too when it can.
	 */
	if (acc == LINUX_O_WRONLY || acc == LINUX_O_RDWR) {
		fd = rw_fd(gi);
		if (fd < 0)
			return fd;
	}
	if (acc == LINUX_O_RDONLY || acc == LINUX_O_RDWR) {
		fd = read_fd(gi);
		if (fd < 0)
			return fd;
	}
	struct file *f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	vfs_file_init(f, &g_goferfs_reg_file_ops, flags, mnt, d, inode);
	*out = f;
	return 0;
}
