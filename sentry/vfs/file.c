/* Open file descriptions: see file.h. */
#include "sentry/vfs/file.h"

#include "common/log.h"

void file_init(struct file *f, const struct file_ops *ops, unsigned flags)
{
	atomic_init(&f->refs, 1);
	f->ops = ops;
	atomic_init(&f->flags, flags);
}

struct file *file_get(struct file *f)
{
	int old = atomic_fetch_add(&f->refs, 1);
	BUG_ON(old <= 0);
	return f;
}

void file_put(struct file *f)
{
	int old = atomic_fetch_sub(&f->refs, 1);
	BUG_ON(old <= 0);
	if (old == 1)
		f->ops->release(f);
}

bool file_readable(const struct file *f)
{
	unsigned mode = atomic_load(&f->flags) & LINUX_O_ACCMODE;
	return mode == LINUX_O_RDONLY || mode == LINUX_O_RDWR;
}

bool file_writable(const struct file *f)
{
	unsigned mode = atomic_load(&f->flags) & LINUX_O_ACCMODE;
	return mode == LINUX_O_WRONLY || mode == LINUX_O_RDWR;
}
