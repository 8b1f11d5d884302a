/*
 * tmpfs: open, setattr and readlink, and regular files, whose data is a
 * host memfd (tmpfs.h). The size limit is kept here: a regular file is
 * charged page_round_up(max(size, falloc_end)) bytes (reg.charged), which
 * every change of size or reservation brings up to date under the
 * inode's mu, reserving before the host call and giving back after it.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "common/abi/linux/errno.h"
#include "common/abi/linux/stat.h"
#include "common/log.h"
#include "sentry/fsimpl/tmpfs/tmpfs_impl.h"

static uint64_t tmpfs_pages_bytes(int64_t size)
{
	/* size <= INT64_MAX: rounding up cannot overflow a uint64_t. */
	return page_round_up((uint64_t)size, NULL);
}

/* Sets the charge of a regular file after a change. Preconditions: mu held. */
static void tmpfs_reg_set_charge_locked(struct tmpfs_inode *ti, uint64_t charged)
{
	ti->reg.charged = charged;
	ti->base.blocks = charged / 512;
}

/* Makes the file's memfd if it has none (its size is then 0, as the file's). Preconditions: mu
 * held. */
static int tmpfs_reg_memfd_locked(struct tmpfs_inode *ti)
{
	static atomic_bool warned;

	if (ti->reg.memfd >= 0)
		return 0;
	BUG_ON(ti->base.size != 0);
	int fd = host_memfd_create();
	if (fd == -EMFILE || fd == -ENFILE) {
		if (!atomic_exchange(&warned, true))
			log_warn("tmpfs: the host refused a memfd (%s): writes to new files fail "
			         "with ENOSPC; raise the sentry's RLIMIT_NOFILE",
			         fd == -EMFILE ? "EMFILE" : "ENFILE");
		return -ENOSPC;
	}
	if (fd < 0)
		return fd;
	ti->reg.memfd = fd;
	return 0;
}

/* ftruncate of a regular file. Preconditions: mu held. */
static int tmpfs_reg_resize_locked(struct tmpfs_inode *ti, int64_t size)
{
	struct tmpfs_sb *ts = tmpfs_sb_of_inode(ti);
	int64_t old = ti->base.size;
	int r;

	if (size < 0)
		return -EINVAL;
	if (size == old)
		return 0; /* shmem_setattr: no change, no new times */
	/* Shrinking frees every page past the end, fallocated ones too. */
	int64_t falloc_end = MIN(ti->reg.falloc_end, size < old ? size : INT64_MAX);
	uint64_t want = tmpfs_pages_bytes(MAX(size, falloc_end));
	uint64_t got = 0;
	if (want > ti->reg.charged) {
		got = tmpfs_reserve_bytes(ts, want - ti->reg.charged, /*partial=*/false);
		if (got == 0)
			return -ENOSPC;
	}
	if (size > 0) {
		r = tmpfs_reg_memfd_locked(ti);
		if (r != 0)
			goto out_unreserve;
	}
	if (ti->reg.memfd >= 0) {
		r = host_memfd_truncate(ti->reg.memfd, size);
		if (r != 0)
			goto out_unreserve;
	}
	if (want < ti->reg.charged)
		tmpfs_unreserve_bytes(ts, ti->reg.charged - want);
	tmpfs_reg_set_charge_locked(ti, want);
	ti->reg.falloc_end = falloc_end;
	ti->base.size = size;
	tmpfs_touch_locked(ti, true);
	return 0;

out_unreserve:
	if (got)
		tmpfs_unreserve_bytes(ts, got);
	return r;
}

int tmpfs_setattr(struct inode *inode, const struct vfs_setattr *attr)
{
	struct tmpfs_inode *ti = tmpfs_inode_of(inode);
	int r = 0;

	pthread_mutex_lock(&inode->mu);
	if (attr->mask & VFS_ATTR_SIZE)
		r = inode_is_reg(inode) ? tmpfs_reg_resize_locked(ti, attr->size) : -EINVAL;
	if (r == 0 && (attr->mask & ~VFS_ATTR_SIZE)) {
		struct vfs_setattr rest = *attr;
		rest.mask &= ~VFS_ATTR_SIZE; /* done above, with the memfd */
		inode_apply_setattr_locked(inode, &rest);
	}
	pthread_mutex_unlock(&inode->mu);
	return r;
}

static ssize_t tmpfs_readlink(struct inode *inode, char *buf, size_t size)
{
	struct tmpfs_inode *ti = tmpfs_inode_of(inode);

	if (size == 0)
		return -ERANGE;
	/* The target never changes: no lock. */
	size_t n = MIN(ti->symlink.len, size - 1);
	memcpy(buf, ti->symlink.target, n);
	buf[n] = '\0';
	return (ssize_t)n;
}

/* ---- Files ---- */

/* O_PATH files: a place in the tree, no I/O. */
static const struct file_ops tmpfs_path_file_ops = {
	.release = tmpfs_file_release,
};

void tmpfs_file_release(struct file *f)
{
	vfs_file_release(f);
	free(f);
}

int tmpfs_open(struct inode *inode, struct mount *mnt, struct dentry *d, unsigned flags,
               struct file **out)
{
	const struct file_ops *ops = &tmpfs_path_file_ops;

	if (!(flags & LINUX_O_PATH)) {
		switch (inode->mode & LINUX_S_IFMT) {
		case LINUX_S_IFDIR:
			ops = &tmpfs_dir_file_ops;
			break;
		case LINUX_S_IFREG:
			ops = &tmpfs_reg_file_ops;
			break;
		case LINUX_S_IFCHR:
			return vfs_chrdev_open(inode, mnt, d, flags, out);
		case LINUX_S_IFLNK:
			return -ELOOP; /* only O_PATH | O_NOFOLLOW opens a symlink */
		default:
			/* FIFOs never get here: the VFS opens them as pipes (vfs_fifo_open). */
			/* Sockets: ENXIO is Linux's answer too. Block devices: no driver. */
			return -ENXIO;
		}
	}
	struct file *f = malloc(sizeof(*f));
	if (!f)
		return -ENOMEM;
	vfs_file_init(f, ops, flags, mnt, d, inode);
	*out = f;
	return 0;
}

/* ---- Regular files ---- */

static ssize_t tmpfs_reg_read(struct file *f, void *buf, size_t len, int64_t off)
{
	struct tmpfs_inode *ti = tmpfs_inode_of(f->inode);

	/* The memfd, once made, lives as long as the inode: pread runs without the lock. */
	pthread_mutex_lock(&ti->base.mu);
	int fd = ti->reg.memfd;
	pthread_mutex_unlock(&ti->base.mu);
	if (fd < 0 || len == 0)
		return 0; /* no memfd: the file is empty */
	return host_memfd_pread(fd, buf, len, off);
}

static ssize_t tmpfs_reg_write(struct file *f, const void *buf, size_t len, int64_t off)
{
	struct tmpfs_inode *ti = tmpfs_inode_of(f->inode);
	struct tmpfs_sb *ts = tmpfs_sb_of_inode(ti);
	uint64_t got = 0;
	ssize_t r;

	pthread_mutex_lock(&ti->base.mu);
	if (atomic_load(&f->flags) & LINUX_O_APPEND)
		off = ti->base.size;
	if (off < 0) {
		r = -EINVAL;
		goto out_unlock;
	}
	if (len == 0) {
		r = 0;
		goto out_unlock;
	}
	/* generic_write_checks: nothing at or past the largest size, the rest cut to it. */
	if (off == INT64_MAX) {
		r = -EFBIG;
		goto out_unlock;
	}
	len = MIN(len, (uint64_t)(INT64_MAX - off));
	uint64_t want = tmpfs_pages_bytes(off + (int64_t)len);
	if (want > ti->reg.charged) {
		got = tmpfs_reserve_bytes(ts, want - ti->reg.charged, /*partial=*/true);
		if (got < want - ti->reg.charged) {
			/* Write what fits: a short count, or ENOSPC when nothing does. */
			uint64_t limit = ti->reg.charged + got;
			if ((uint64_t)off >= limit) {
				r = -ENOSPC;
				goto out_unreserve;
			}
			len = limit - (uint64_t)off;
		}
	}
	r = tmpfs_reg_memfd_locked(ti);
	if (r != 0)
		goto out_unreserve;
	r = host_memfd_pwrite(ti->reg.memfd, buf, len, off);
	if (r < 0)
		goto out_unreserve;

	int64_t size = MAX(ti->base.size, off + r);
	uint64_t charged = MAX(ti->reg.charged, tmpfs_pages_bytes(size));
	uint64_t held = ti->reg.charged + got;
	if (held > charged)
		tmpfs_unreserve_bytes(ts, held - charged); /* a short host write */
	tmpfs_reg_set_charge_locked(ti, charged);
	ti->base.size = size;
	tmpfs_touch_locked(ti, true);
	goto out_unlock;

out_unreserve:
	if (got)
		tmpfs_unreserve_bytes(ts, got);
out_unlock:
	pthread_mutex_unlock(&ti->base.mu);
	return r;
}

static bool tmpfs_reg_seekable(struct file *f)
{
	return true;
}

static int tmpfs_reg_mmap_fd(struct file *f, bool shared_write, int *out_fd)
{
	struct tmpfs_inode *ti = tmpfs_inode_of(f->inode);

	pthread_mutex_lock(&ti->base.mu);
	int r = tmpfs_reg_memfd_locked(ti);
	if (r == 0)
		*out_fd = ti->reg.memfd;
	pthread_mutex_unlock(&ti->base.mu);
	return r;
}

/* FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE. Preconditions: mu held. */
static int tmpfs_reg_punch_locked(struct tmpfs_inode *ti, int64_t off, int64_t end)
{
	if (ti->reg.memfd < 0)
		return 0; /* empty, with nothing reserved past the end */
	int r = host_memfd_fallocate(ti->reg.memfd,
	                             LINUX_FALLOC_FL_PUNCH_HOLE | LINUX_FALLOC_FL_KEEP_SIZE, off,
	                             end - off);
	if (r != 0)
		return r;
	/* A hole through the end of a reservation past the file's end gives that part back. */
	if (ti->reg.falloc_end > ti->base.size && end >= ti->reg.falloc_end &&
	    off < ti->reg.falloc_end) {
		ti->reg.falloc_end = MAX(off, ti->base.size);
		uint64_t charged = tmpfs_pages_bytes(MAX(ti->base.size, ti->reg.falloc_end));
		if (charged < ti->reg.charged)
			tmpfs_unreserve_bytes(tmpfs_sb_of_inode(ti), ti->reg.charged - charged);
		tmpfs_reg_set_charge_locked(ti, charged);
	}
	tmpfs_touch_locked(ti, true);
	return 0;
}

static int tmpfs_reg_fallocate(struct file *f, int mode, int64_t off, int64_t len)
{
	struct tmpfs_inode *ti = tmpfs_inode_of(f->inode);
	struct tmpfs_sb *ts = tmpfs_sb_of_inode(ti);
	const int punch = LINUX_FALLOC_FL_PUNCH_HOLE | LINUX_FALLOC_FL_KEEP_SIZE;
	uint64_t got = 0;
	int r;

	if (mode != 0 && mode != LINUX_FALLOC_FL_KEEP_SIZE && mode != punch)
		return -EOPNOTSUPP;
	if (off < 0 || len <= 0)
		return -EINVAL;
	if (off > INT64_MAX - len)
		return -EFBIG;
	int64_t end = off + len;

	pthread_mutex_lock(&ti->base.mu);
	if (mode == punch) {
		r = tmpfs_reg_punch_locked(ti, off, end);
		goto out_unlock;
	}
	int64_t size = ti->base.size, falloc_end = ti->reg.falloc_end;
	if (mode & LINUX_FALLOC_FL_KEEP_SIZE)
		falloc_end = MAX(falloc_end, end);
	else
		size = MAX(size, end);
	uint64_t want = tmpfs_pages_bytes(MAX(size, falloc_end));
	if (want > ti->reg.charged) {
		got = tmpfs_reserve_bytes(ts, want - ti->reg.charged, /*partial=*/false);
		if (got == 0) {
			r = -ENOSPC;
			goto out_unlock;
		}
	}
	r = tmpfs_reg_memfd_locked(ti);
	if (r == 0)
		r = host_memfd_fallocate(ti->reg.memfd, mode, off, len);
	if (r != 0) {
		if (got)
			tmpfs_unreserve_bytes(ts, got);
		goto out_unlock;
	}
	tmpfs_reg_set_charge_locked(ti, MAX(want, ti->reg.charged));
	ti->reg.falloc_end = falloc_end;
	/* shmem_fallocate: ctime always, the size (and with it mtime) when it grows. */
	tmpfs_touch_locked(ti, size != ti->base.size);
	ti->base.size = size;

out_unlock:
	pthread_mutex_unlock(&ti->base.mu);
	return r;
}

const struct file_ops tmpfs_reg_file_ops = {
	.read = tmpfs_reg_read,
	.write = tmpfs_reg_write,
	.llseek = vfs_generic_llseek,
	.release = tmpfs_file_release,
	.seekable = tmpfs_reg_seekable,
	.poll_host_fd = NULL, /* always ready */
	.fsync = NULL,        /* nothing to flush: success */
	.mmap_fd = tmpfs_reg_mmap_fd,
	.fallocate = tmpfs_reg_fallocate,
};

/* ---- inode_ops of the other types ---- */

const struct inode_ops tmpfs_reg_inode_ops = {
	.setattr = tmpfs_setattr,
	.open = tmpfs_open,
	.getxattr = tmpfs_getxattr,
	.setxattr = tmpfs_setxattr,
	.listxattr = tmpfs_listxattr,
	.removexattr = tmpfs_removexattr,
	.release = tmpfs_inode_release,
};

const struct inode_ops tmpfs_symlink_inode_ops = {
	.readlink = tmpfs_readlink,
	.setattr = tmpfs_setattr,
	.open = tmpfs_open,
	.getxattr = tmpfs_getxattr,
	.setxattr = tmpfs_setxattr,
	.listxattr = tmpfs_listxattr,
	.removexattr = tmpfs_removexattr,
	.release = tmpfs_inode_release,
};

/* Device, fifo and socket nodes. */
const struct inode_ops tmpfs_special_inode_ops = {
	.setattr = tmpfs_setattr,
	.open = tmpfs_open,
	.getxattr = tmpfs_getxattr,
	.setxattr = tmpfs_setxattr,
	.listxattr = tmpfs_listxattr,
	.removexattr = tmpfs_removexattr,
	.release = tmpfs_inode_release,
};
