/*
 * The gofer file system's host calls: data I/O and attributes on the
 * regular-file fds the gofer donated (house rule: host calls live in
 * host_*.c files). Each returns a result or -errno; EINTR is retried, as
 * these calls on regular files do not block for long.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sentry/fsimpl/gofer/goferfs_impl.h"

ssize_t goferfs_host_pread(int fd, void *buf, size_t len, int64_t off)
{
	ssize_t n;
	do {
		n = pread(fd, buf, len, (off_t)off);
	} while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : n;
}

ssize_t goferfs_host_pwrite(int fd, const void *buf, size_t len, int64_t off)
{
	ssize_t n;
	do {
		n = pwrite(fd, buf, len, (off_t)off);
	} while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : n;
}

static struct linux_statx_timestamp timestamp(struct statx_timestamp t)
{
	return (struct linux_statx_timestamp){ .tv_sec = t.tv_sec, .tv_nsec = t.tv_nsec };
}

int goferfs_host_statx(int fd, struct linux_statx *out)
{
	struct statx stx;
	if (statx(fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS | STATX_BTIME, &stx) < 0)
		return -errno;
	memset(out, 0, sizeof(*out));
	out->mask = stx.stx_mask;
	out->blksize = stx.stx_blksize;
	out->attributes = stx.stx_attributes;
	out->nlink = stx.stx_nlink;
	out->uid = stx.stx_uid;
	out->gid = stx.stx_gid;
	out->mode = stx.stx_mode;
	out->ino = stx.stx_ino;
	out->size = stx.stx_size;
	out->blocks = stx.stx_blocks;
	out->attributes_mask = stx.stx_attributes_mask;
	out->atime = timestamp(stx.stx_atime);
	out->btime = timestamp(stx.stx_btime);
	out->ctime = timestamp(stx.stx_ctime);
	out->mtime = timestamp(stx.stx_mtime);
	out->rdev_major = stx.stx_rdev_major;
	out->rdev_minor = stx.stx_rdev_minor;
	out->dev_major = stx.stx_dev_major;
	out->dev_minor = stx.stx_dev_minor;
	return 0;
}

int goferfs_host_fsync(int fd, bool datasync)
{
	int r;
	do {
		r = datasync ? fdatasync(fd) : fsync(fd);
	} while (r < 0 && errno == EINTR);
	return r < 0 ? -errno : 0;
}

/* The guest's mode bits are Linux's FALLOC_FL_* values, as the host's are. */
int goferfs_host_fallocate(int fd, int mode, int64_t off, int64_t len)
{
	int r;
	do {
		r = fallocate(fd, mode, (off_t)off, (off_t)len);
	} while (r < 0 && errno == EINTR);
	return r < 0 ? -errno : 0;
}

void goferfs_host_close(int fd)
{
	close(fd);
}
