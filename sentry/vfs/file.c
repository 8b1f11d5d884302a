/*
 * Open file descriptions: references, and the generic read, write, seek,
 * stat and getdents layer over file_ops (see file.h).
 */
#include "sentry/vfs/file.h"

#include <errno.h>
#include <stdlib.h>

#include "common/log.h"
#include "sentry/vfs/fsnotify.h"
#include "sentry/vfs/locks.h"
#include "sentry/vfs/vfs_internal.h"

void file_init(struct file *f, const struct file_ops *ops, unsigned flags)
{
	atomic_init(&f->refs, 1);
	f->ops = ops;
	atomic_init(&f->flags, flags);
	f->path = (struct path){ NULL, NULL };
	f->inode = NULL;
	pthread_mutex_init(&f->pos_mu, NULL);
	f->pos = 0;
	f->fsnotify = false;
	pthread_mutex_init(&f->watch_mu, NULL);
	list_init(&f->watches);
}

void vfs_file_init(struct file *f, const struct file_ops *ops, unsigned flags, struct mount *mnt,
                   struct dentry *d, struct inode *inode)
{
	file_init(f, ops, flags);
	f->path = (struct path){ mnt, d };
	path_get(&f->path);
	f->inode = inode ? inode_get(inode) : NULL;
}

void vfs_file_release(struct file *f)
{
	/* OFD and flock locks belong to the open file description: they go with it. */
	if (f->inode)
		locks_remove_file(f);
	path_put(&f->path);
	if (f->inode)
		inode_put(f->inode);
	f->inode = NULL;
	pthread_mutex_destroy(&f->pos_mu);
}

struct file *file_get(struct file *f)
{
	int old = atomic_fetch_add(&f->refs, 1);
	BUG_ON(old <= 0);
	return f;
}

/*
 * The last reference is gone: every watch still linked (an epoll item)
 * is told, one at a time and with no lock held, so that its owner can
 * unlink it (file_watch_remove with force) and forget the file.
 */
static void file_release_watches(struct file *f)
{
	pthread_mutex_lock(&f->watch_mu);
	while (!list_empty(&f->watches)) {
		struct file_watch *w = list_first_entry(&f->watches, struct file_watch, link);
		w->dying = true;
		pthread_mutex_unlock(&f->watch_mu);
		w->release(w, f);
		pthread_mutex_lock(&f->watch_mu); /* release() unlinked w */
	}
	pthread_mutex_unlock(&f->watch_mu);
}

void file_put(struct file *f)
{
	int old = atomic_fetch_sub(&f->refs, 1);
	BUG_ON(old <= 0);
	if (old == 1) {
		fsnotify_close(f);
		file_release_watches(f);
		f->ops->release(f);
	}
}

void file_watch_add(struct file *f, struct file_watch *w)
{
	pthread_mutex_lock(&f->watch_mu);
	w->dying = false;
	list_add_tail(&w->link, &f->watches);
	pthread_mutex_unlock(&f->watch_mu);
}

bool file_watch_remove(struct file *f, struct file_watch *w, bool force)
{
	pthread_mutex_lock(&f->watch_mu);
	bool ok = force || !w->dying;
	if (ok)
		list_del(&w->link);
	pthread_mutex_unlock(&f->watch_mu);
	return ok;
}

bool file_readable(const struct file *f)
{
	unsigned flags = atomic_load(&f->flags);
	unsigned mode = flags & LINUX_O_ACCMODE;
	return !(flags & LINUX_O_PATH) && (mode == LINUX_O_RDONLY || mode == LINUX_O_RDWR);
}

bool file_writable(const struct file *f)
{
	unsigned flags = atomic_load(&f->flags);
	unsigned mode = flags & LINUX_O_ACCMODE;
	return !(flags & LINUX_O_PATH) && (mode == LINUX_O_WRONLY || mode == LINUX_O_RDWR);
}

/*
 * Files without a position: those outside the VFS, and FIFOs (Linux's
 * FMODE_STREAM), whose reads and writes may block and so must not hold
 * pos_mu (a writer of an O_RDWR FIFO would wait behind a blocked reader).
 */
static bool file_is_stream(const struct file *f)
{
	return !f->inode || (f->inode->mode & LINUX_S_IFMT) == LINUX_S_IFIFO;
}

ssize_t vfs_read(struct file *f, void *buf, size_t len, int64_t off)
{
	if (!file_readable(f))
		return -EBADF;
	if (f->inode && inode_is_dir(f->inode))
		return -EISDIR;
	if (!f->ops->read)
		return -EINVAL;
	ssize_t n;
	if (off != -1 || file_is_stream(f)) {
		n = f->ops->read(f, buf, len, off);
	} else {
		pthread_mutex_lock(&f->pos_mu);
		n = f->ops->read(f, buf, len, f->pos);
		if (n > 0)
			f->pos += n;
		pthread_mutex_unlock(&f->pos_mu);
	}
	if (n > 0)
		fsnotify_access(f);
	return n;
}

ssize_t vfs_write(struct file *f, const void *buf, size_t len, int64_t off)
{
	if (!file_writable(f))
		return -EBADF;
	if (!f->ops->write)
		return -EINVAL;
	ssize_t n;
	if (off != -1 || file_is_stream(f)) {
		n = f->ops->write(f, buf, len, off);
	} else {
		pthread_mutex_lock(&f->pos_mu);
		n = f->ops->write(f, buf, len, f->pos);
		if (n > 0) {
			if (atomic_load(&f->flags) & LINUX_O_APPEND) {
				pthread_mutex_lock(&f->inode->mu);
				f->pos = f->inode->size;
				pthread_mutex_unlock(&f->inode->mu);
			} else {
				f->pos += n;
			}
		}
		pthread_mutex_unlock(&f->pos_mu);
	}
	if (n > 0)
		fsnotify_modify(f);
	return n;
}

int64_t vfs_generic_llseek(struct file *f, int64_t off, int whence)
{
	struct inode *inode = f->inode;
	int64_t base;
	if (inode && inode_is_dir(inode)) {
		/* Directory positions are cookies: only absolute and relative moves. */
		if (whence == 0)
			base = 0;
		else if (whence == 1)
			base = f->pos;
		else
			return -EINVAL;
		if (off < 0 && base + off < 0)
			return -EINVAL;
		return base + off;
	}
	int64_t size = 0;
	if (inode) {
		if (inode->ops->refresh && whence >= 2) {
			int err = inode->ops->refresh(inode);
			if (err < 0)
				return err;
		}
		pthread_mutex_lock(&inode->mu);
		size = inode->size;
		pthread_mutex_unlock(&inode->mu);
	}
	switch (whence) {
	case 0: /* SEEK_SET */
		base = 0;
		break;
	case 1: /* SEEK_CUR */
		base = f->pos;
		break;
	case 2: /* SEEK_END */
		base = size;
		break;
	case 3: /* SEEK_DATA: all of the file is data */
		if (off < 0 || off >= size)
			return -ENXIO;
		return off;
	case 4: /* SEEK_HOLE: the only hole is past the end */
		if (off < 0 || off >= size)
			return -ENXIO;
		return size;
	default:
		return -EINVAL;
	}
	if ((off > 0 && base > INT64_MAX - off) || base + off < 0)
		return -EINVAL;
	return base + off;
}

int64_t vfs_llseek(struct file *f, int64_t off, int whence)
{
	if (!f->inode) {
		if (!f->ops->llseek)
			return -ESPIPE;
		return f->ops->llseek(f, off, whence);
	}
	if (atomic_load(&f->flags) & LINUX_O_PATH)
		return -EBADF;
	pthread_mutex_lock(&f->pos_mu);
	int64_t pos = f->ops->llseek ? f->ops->llseek(f, off, whence)
	                             : vfs_generic_llseek(f, off, whence);
	if (pos >= 0)
		f->pos = pos;
	pthread_mutex_unlock(&f->pos_mu);
	return pos;
}

int vfs_file_getattr(struct file *f, struct linux_statx *out)
{
	if (f->inode)
		return inode_getattr(f->inode, out);
	return -EOPNOTSUPP; /* files outside the VFS answer fstat through ops->stat */
}

int vfs_iterate(struct file *f, struct dir_ctx *ctx)
{
	if (atomic_load(&f->flags) & LINUX_O_PATH)
		return -EBADF;
	if (!f->ops->iterate)
		return -ENOTDIR;
	pthread_mutex_lock(&f->pos_mu);
	ctx->pos = f->pos;
	int err = f->ops->iterate(f, ctx);
	f->pos = ctx->pos;
	pthread_mutex_unlock(&f->pos_mu);
	if (err == 0 && f->inode)
		inode_touch(f->inode, 0);
	fsnotify_access(f); /* as Linux's iterate_dir, whatever the result */
	return err;
}

bool vfs_dir_emit_dots(struct file *f, struct dir_ctx *ctx)
{
	if (ctx->pos == 0) {
		if (!ctx->emit(ctx, ".", 1, f->inode->ino, LINUX_DT_DIR))
			return false;
		ctx->pos = 1;
	}
	if (ctx->pos == 1) {
		uint64_t ino = f->inode->ino;
		if (f->path.d) {
			struct dentry *parent = dentry_parent(f->path.d);
			if (parent->inode)
				ino = parent->inode->ino;
			dentry_put(parent);
		}
		if (!ctx->emit(ctx, "..", 2, ino, LINUX_DT_DIR))
			return false;
		ctx->pos = 2;
	}
	return true;
}

/* ---- O_PATH files: a place in the tree, no I/O ---- */

struct opath_file {
	struct file base;
};

static void opath_release(struct file *f)
{
	vfs_file_release(f);
	free(container_of(f, struct opath_file, base));
}

static const struct file_ops g_opath_ops = {
	.release = opath_release,
};

int vfs_open_opath(const struct path *p, unsigned flags, struct file **out)
{
	struct opath_file *of = calloc(1, sizeof(*of));
	if (!of)
		return -ENOMEM;
	vfs_file_init(&of->base, &g_opath_ops,
	              LINUX_O_PATH | (flags & (LINUX_O_DIRECTORY | LINUX_O_NOFOLLOW)), p->mnt, p->d,
	              p->d->inode);
	*out = &of->base;
	return 0;
}
