/*
 * inotify_init, inotify_init1, inotify_add_watch and inotify_rm_watch,
 * with Linux's checks in Linux's order (fs/notify/inotify/inotify_user.c).
 * The instances are sentry/fsimpl/anon/inotify.c; the events come from
 * the VFS's hooks (sentry/vfs/fsnotify.h).
 */
#include <errno.h>

#include "common/abi/linux/inotify.h"
#include "sentry/fsimpl/anon/anon.h"
#include "sentry/kernel/fdtable.h"
#include "sentry/kernel/task.h"
#include "syscalls/syscalls.h"
#include "syscalls/vfs_ctx.h"

static long do_inotify_init(struct task *t, uint64_t flags)
{
	if (flags & ~(uint64_t)(LINUX_IN_CLOEXEC | LINUX_IN_NONBLOCK))
		return -EINVAL;
	struct file *f;
	int err = inotify_new(t->creds.euid, (unsigned)flags, &f);
	if (err < 0)
		return err;
	long fd = fdtable_install(t->fdt, f, 0, flags & LINUX_IN_CLOEXEC, task_nofile_limit(t));
	file_put(f);
	return fd;
}

/* sys_inotify_init implements inotify_init(2). */
long sys_inotify_init(struct task *t, const struct sys_args *a)
{
	(void)a;
	return do_inotify_init(t, 0);
}

/* sys_inotify_init1 implements inotify_init1(2). */
long sys_inotify_init1(struct task *t, const struct sys_args *a)
{
	return do_inotify_init(t, (uint32_t)a->a[0]);
}

/* The inotify instance at fd: -EBADF (O_PATH fds too, fdget), or -EINVAL when it is not one. */
static long get_inotify(struct task *t, uint64_t fd, struct file **out)
{
	struct file *f = task_fd_get(t, fd, /*raw=*/false);
	if (!f)
		return -EBADF;
	if (!file_is_inotify(f)) {
		file_put(f);
		return -EINVAL;
	}
	*out = f;
	return 0;
}

/* sys_inotify_add_watch implements inotify_add_watch(2). */
long sys_inotify_add_watch(struct task *t, const struct sys_args *a)
{
	uint32_t mask = (uint32_t)a->a[2];
	if ((mask & LINUX_IN_MASK_ADD) && (mask & LINUX_IN_MASK_CREATE))
		return -EINVAL;
	if (!(mask & LINUX_ALL_INOTIFY_BITS))
		return -EINVAL;
	struct file *f;
	long ret = get_inotify(t, a->a[0], &f);
	if (ret < 0)
		return ret;
	char path[LINUX_PATH_MAX];
	ret = task_copy_path(t, a->a[1], path, false);
	struct path p = { NULL, NULL };
	if (ret >= 0) {
		unsigned lookup = (mask & LINUX_IN_DONT_FOLLOW) ? 0 : LOOKUP_FOLLOW;
		if (mask & LINUX_IN_ONLYDIR)
			lookup |= LOOKUP_DIRECTORY;
		ret = task_lookup(t, LINUX_AT_FDCWD, path, lookup, &p);
	}
	/* inotify_find_inode: the watcher must be able to read the file. */
	if (ret >= 0)
		ret = vfs_permission(&t->creds, p.d->inode, MAY_READ);
	if (ret >= 0)
		ret = inotify_add_watch_file(f, p.d->inode, mask);
	if (p.d)
		path_put(&p);
	file_put(f);
	return ret;
}

/* sys_inotify_rm_watch implements inotify_rm_watch(2). */
long sys_inotify_rm_watch(struct task *t, const struct sys_args *a)
{
	struct file *f;
	long ret = get_inotify(t, a->a[0], &f);
	if (ret < 0)
		return ret;
	ret = inotify_rm_watch_file(f, (int32_t)a->a[1]);
	file_put(f);
	return ret;
}
