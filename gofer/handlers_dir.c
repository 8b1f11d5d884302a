/*
 * Directory handlers: T_UNLINK, T_RENAME and T_GETDENTS.
 *
 * unlinkat and renameat2 act on the single validated name in a held
 * directory and never follow a symlink at it. Rename stays within one
 * mount (EXDEV otherwise), so nothing moves across a mount's boundary.
 *
 * Getdents is stateless: each call reopens the directory, seeks to the
 * client's offset (the d_off of the last entry it got, a cookie the host
 * file system gave) and reads from there. So no open directory is shared
 * between channels, and a client may read a directory from any channel.
 * "." and ".." are left out: the sentry makes its own.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gofer/handlers.h"

/* gofer_handle_unlink implements T_UNLINK: unlinkat(dir, name, 0 or AT_REMOVEDIR). */
int gofer_handle_unlink(struct gofer_req *rq)
{
	typeof(rq->t->t_unlink) *a = &rq->t->t_unlink;
	struct gofer_cfd *dir;

	if (a->flags & ~(uint32_t)LINUX_AT_REMOVEDIR)
		return -EINVAL;
	int err = gofer_get_dir(rq->srv, a->dir, /*write=*/true, &dir);
	if (err < 0)
		return err;
	if (unlinkat(dir->fd, a->name, (int)a->flags) < 0)
		err = -errno;
	gofer_cfd_put(rq->srv, dir);
	return err;
}

/* gofer_handle_rename implements T_RENAME: renameat2() with NOREPLACE or EXCHANGE. */
int gofer_handle_rename(struct gofer_req *rq)
{
	typeof(rq->t->t_rename) *a = &rq->t->t_rename;
	struct gofer_cfd *olddir, *newdir;

	if (a->flags & ~(uint32_t)(LINUX_RENAME_NOREPLACE | LINUX_RENAME_EXCHANGE))
		return -EINVAL;
	int err = gofer_get_dir(rq->srv, a->olddir, /*write=*/true, &olddir);
	if (err < 0)
		return err;
	err = gofer_get_dir(rq->srv, a->newdir, /*write=*/true, &newdir);
	if (err < 0)
		goto out_put_old;
	if (olddir->mount != newdir->mount)
		err = -EXDEV;
	else if (renameat2(olddir->fd, a->oldname, newdir->fd, a->newname, a->flags) < 0)
		err = -errno;
	gofer_cfd_put(rq->srv, newdir);
out_put_old:
	gofer_cfd_put(rq->srv, olddir);
	return err;
}

/* struct linux_dirent64, as getdents64 fills it. */
struct host_dirent64 {
	uint64_t d_ino;
	int64_t d_off;
	uint16_t d_reclen;
	uint8_t d_type;
	char d_name[];
};

/* Host bytes read per getdents64 call. */
#define GETDENTS_HOST_SIZE 32768

/*
 * Converts the host entries in buf (n bytes) into the reply entries at out,
 * after the bytes already used. Returns 1 when the reply is full, 0 to read
 * on, -EINVAL when not even the first entry fits (as getdents64(2) does).
 */
static int dirents_convert(const char *buf, size_t n, uint8_t *out, uint32_t size, uint32_t *used,
                           uint32_t *count)
{
	for (size_t pos = 0; pos < n;) {
		const struct host_dirent64 *d = (const void *)(buf + pos);
		pos += d->d_reclen;
		if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0)
			continue;
		struct gofer_dirent e = {
			.ino = d->d_ino,
			.off = (uint64_t)d->d_off,
			.type = d->d_type,
			.name = d->d_name,
		};
		int len = gofer_dirent_put(out + *used, size - *used, &e);
		if (len == -ENOSPC)
			return *count ? 1 : -EINVAL;
		if (len < 0)
			continue; /* a name no Linux file system makes */
		*used += (uint32_t)len;
		(*count)++;
	}
	return 0;
}

/*
 * gofer_handle_getdents implements T_GETDENTS: entries from offset, at
 * most size bytes of them (capped at GOFER_GETDENTS_MAX); none at the end
 * of the directory. EINVAL if not even one entry fits in size.
 */
int gofer_handle_getdents(struct gofer_req *rq)
{
	typeof(rq->t->t_getdents) *a = &rq->t->t_getdents;
	uint32_t size = a->size < GOFER_GETDENTS_MAX ? a->size : GOFER_GETDENTS_MAX;
	uint32_t used = 0, count = 0;
	struct gofer_cfd *dir;
	char *buf = NULL;
	int err, fd = -1;

	err = gofer_get_dir(rq->srv, a->dir, /*write=*/false, &dir);
	if (err < 0)
		return err;
	fd = gofer_reopen(rq->srv, dir, O_RDONLY | O_DIRECTORY);
	if (fd < 0) {
		err = fd;
		goto out_put;
	}
	if (lseek(fd, (off_t)a->offset, SEEK_SET) < 0) {
		err = -errno;
		goto out_close;
	}
	buf = malloc(GETDENTS_HOST_SIZE);
	if (!buf) {
		err = -ENOMEM;
		goto out_close;
	}
	/*
	 * Read until the reply is full or the directory ends. An entry that
	 * did not fit is read again by the next call, from the last d_off sent.
	 */
	for (;;) {
		ssize_t n = getdents64(fd, buf, GETDENTS_HOST_SIZE);
		if (n < 0) {
			err = -errno;
			goto out_free;
		}
		if (n == 0)
			break;
		err = dirents_convert(buf, (size_t)n, rq->scratch, size, &used, &count);
		if (err < 0)
			goto out_free;
		if (err > 0)
			break;
	}
	err = 0;
	rq->r->r_getdents.count = count;
	rq->r->r_getdents.size = used;
	rq->r->r_getdents.data = rq->scratch;
out_free:
	free(buf);
out_close:
	close(fd);
out_put:
	gofer_cfd_put(rq->srv, dir);
	return err;
}
