/*
 * Extended attributes: setxattr, lsetxattr, fsetxattr, getxattr,
 * lgetxattr, fgetxattr, listxattr, llistxattr, flistxattr, removexattr,
 * lremovexattr, fremovexattr.
 *
 * The order of the checks is Linux 6.13's (fs/xattr.c): for the path
 * calls the name (and a value to set) is copied before the path is
 * looked up, except by listxattr, which has no name; the f* calls look
 * the fd up first. Names are 1..255 bytes (else ERANGE); a value to set
 * is at most 64 KiB (E2BIG); a buffer to get into is clipped to 64 KiB.
 * The namespaces and their permissions are the VFS's (vfs_*xattr).
 */
#include <errno.h>
#include <stdlib.h>

#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"
#include "syscalls/syscalls.h"
#include "syscalls/vfs_ctx.h"

/* Where an xattr call points: a pathname (followed or not) or an fd. */
struct xattr_target {
	uaddr_t path; /* the path calls */
	bool follow;
	struct file *f; /* the f* calls: looked up first */
};

/* Copies an attribute name: ERANGE when empty or longer than XATTR_NAME_MAX. */
static int copy_name(struct task *t, uaddr_t addr, char name[LINUX_XATTR_NAME_MAX + 1])
{
	long n = mm_copy_string_in(t->mm, name, addr, LINUX_XATTR_NAME_MAX + 1);
	if (n == 0 || n == -ENAMETOOLONG)
		return -ERANGE;
	return n < 0 ? (int)n : 0;
}

/* Starts an f* call: EBADF for a bad or O_PATH fd. */
static int target_fd(struct task *t, uint64_t fd, struct xattr_target *tg)
{
	*tg = (struct xattr_target){ 0 };
	tg->f = task_fd_get(t, fd, /*raw=*/false);
	return tg->f ? 0 : -EBADF;
}

static void target_path(uaddr_t path, bool follow, struct xattr_target *tg)
{
	*tg = (struct xattr_target){ .path = path, .follow = follow };
}

/*
 * Resolves the target into *out (a new reference). A host file's
 * attributes are not the sandbox's: EOPNOTSUPP, as for a pipe on Linux.
 */
static int target_resolve(struct task *t, const struct xattr_target *tg, struct path *out)
{
	if (tg->f) {
		if (!file_in_vfs(tg->f))
			return -EOPNOTSUPP;
		*out = tg->f->path;
		path_get(out);
		return 0;
	}
	char path[LINUX_PATH_MAX];
	long n = task_copy_path(t, tg->path, path, false);
	if (n < 0)
		return (int)n;
	return task_lookup(t, LINUX_AT_FDCWD, path, tg->follow ? LOOKUP_FOLLOW : 0, out);
}

static void target_put(struct xattr_target *tg)
{
	if (tg->f)
		file_put(tg->f);
}

static long do_setxattr(struct task *t, struct xattr_target *tg, uaddr_t uname, uaddr_t uvalue,
                        uint64_t size, int flags)
{
	char name[LINUX_XATTR_NAME_MAX + 1];
	void *value = NULL;
	long ret = -EINVAL;
	if (flags & ~(LINUX_XATTR_CREATE | LINUX_XATTR_REPLACE))
		goto out;
	ret = copy_name(t, uname, name);
	if (ret < 0)
		goto out;
	if (size) {
		ret = -E2BIG;
		if (size > LINUX_XATTR_SIZE_MAX)
			goto out;
		ret = -ENOMEM;
		value = malloc(size);
		if (!value)
			goto out;
		ret = mm_copy_in(t->mm, value, uvalue, size);
		if (ret < 0)
			goto out_free;
	}
	struct path p;
	ret = target_resolve(t, tg, &p);
	if (ret < 0)
		goto out_free;
	ret = vfs_setxattr(&t->creds, &p, name, value, size, flags);
	path_put(&p);
out_free:
	free(value);
out:
	target_put(tg);
	return ret;
}

/* sys_setxattr implements setxattr(2). */
long sys_setxattr(struct task *t, const struct sys_args *a)
{
	struct xattr_target tg;
	target_path(a->a[0], true, &tg);
	return do_setxattr(t, &tg, a->a[1], a->a[2], a->a[3], arg_int(a->a[4]));
}

/* sys_lsetxattr implements lsetxattr(2). */
long sys_lsetxattr(struct task *t, const struct sys_args *a)
{
	struct xattr_target tg;
	target_path(a->a[0], false, &tg);
	return do_setxattr(t, &tg, a->a[1], a->a[2], a->a[3], arg_int(a->a[4]));
}

/* sys_fsetxattr implements fsetxattr(2). */
long sys_fsetxattr(struct task *t, const struct sys_args *a)
{
	struct xattr_target tg;
	int err = target_fd(t, a->a[0], &tg);
	if (err < 0)
		return err;
	return do_setxattr(t, &tg, a->a[1], a->a[2], a->a[3], arg_int(a->a[4]));
}

/*
 * Linux's do_getxattr() and listxattr(): a buffer of size bytes, at most
 * max; an fs that wants more than max says ERANGE, which becomes E2BIG.
 */
static long get_or_list(struct task *t, const struct path *p, const char *name, uaddr_t ubuf,
                        uint64_t size, size_t max)
{
	size = MIN(size, max);
	void *buf = NULL;
	if (size) {
		buf = malloc(size);
		if (!buf)
			return -ENOMEM;
	}
	ssize_t n =
	        name ? vfs_getxattr(&t->creds, p, name, buf, size) : vfs_listxattr(p, buf, size);
	if (n > 0 && size && mm_copy_out(t->mm, ubuf, buf, (size_t)n) < 0)
		n = -EFAULT;
	else if (n == -ERANGE && size >= max)
		n = -E2BIG;
	free(buf);
	return n;
}

static long do_getxattr(struct task *t, struct xattr_target *tg, uaddr_t uname, uaddr_t ubuf,
                        uint64_t size)
{
	char name[LINUX_XATTR_NAME_MAX + 1];
	long ret = copy_name(t, uname, name);
	if (ret < 0)
		goto out;
	struct path p;
	ret = target_resolve(t, tg, &p);
	if (ret < 0)
		goto out;
	ret = get_or_list(t, &p, name, ubuf, size, LINUX_XATTR_SIZE_MAX);
	path_put(&p);
out:
	target_put(tg);
	return ret;
}

/* sys_getxattr implements getxattr(2). */
long sys_getxattr(struct task *t, const struct sys_args *a)
{
	struct xattr_target tg;
	target_path(a->a[0], true, &tg);
	return do_getxattr(t, &tg, a->a[1], a->a[2], a->a[3]);
}

/* sys_lgetxattr implements lgetxattr(2). */
long sys_lgetxattr(struct task *t, const struct sys_args *a)
{
	struct xattr_target tg;
	target_path(a->a[0], false, &tg);
	return do_getxattr(t, &tg, a->a[1], a->a[2], a->a[3]);
}

/* sys_fgetxattr implements fgetxattr(2). */
long sys_fgetxattr(struct task *t, const struct sys_args *a)
{
	struct xattr_target tg;
	int err = target_fd(t, a->a[0], &tg);
	if (err < 0)
		return err;
	return do_getxattr(t, &tg, a->a[1], a->a[2], a->a[3]);
}

static long do_listxattr(struct task *t, struct xattr_target *tg, uaddr_t ubuf, uint64_t size)
{
	struct path p;
	long ret = target_resolve(t, tg, &p);
	if (ret == 0) {
		ret = get_or_list(t, &p, NULL, ubuf, size, LINUX_XATTR_LIST_MAX);
		path_put(&p);
	}
	target_put(tg);
	return ret;
}

/* sys_listxattr implements listxattr(2). */
long sys_listxattr(struct task *t, const struct sys_args *a)
{
	struct xattr_target tg;
	target_path(a->a[0], true, &tg);
	return do_listxattr(t, &tg, a->a[1], a->a[2]);
}

/* sys_llistxattr implements llistxattr(2). */
long sys_llistxattr(struct task *t, const struct sys_args *a)
{
	struct xattr_target tg;
	target_path(a->a[0], false, &tg);
	return do_listxattr(t, &tg, a->a[1], a->a[2]);
}

/* sys_flistxattr implements flistxattr(2). */
long sys_flistxattr(struct task *t, const struct sys_args *a)
{
	struct xattr_target tg;
	int err = target_fd(t, a->a[0], &tg);
	if (err < 0)
		return err;
	return do_listxattr(t, &tg, a->a[1], a->a[2]);
}

static long do_removexattr(struct task *t, struct xattr_target *tg, uaddr_t uname)
{
	char name[LINUX_XATTR_NAME_MAX + 1];
	long ret = copy_name(t, uname, name);
	if (ret < 0)
		goto out;
	struct path p;
	ret = target_resolve(t, tg, &p);
	if (ret < 0)
		goto out;
	ret = vfs_removexattr(&t->creds, &p, name);
	path_put(&p);
out:
	target_put(tg);
	return ret;
}

/* sys_removexattr implements removexattr(2). */
long sys_removexattr(struct task *t, const struct sys_args *a)
{
	struct xattr_target tg;
	target_path(a->a[0], true, &tg);
	return do_removexattr(t, &tg, a->a[1]);
}

/* sys_lremovexattr implements lremovexattr(2). */
long sys_lremovexattr(struct task *t, const struct sys_args *a)
{
	struct xattr_target tg;
	target_path(a->a[0], false, &tg);
	return do_removexattr(t, &tg, a->a[1]);
}

/* sys_fremovexattr implements fremovexattr(2). */
long sys_fremovexattr(struct task *t, const struct sys_args *a)
{
	struct xattr_target tg;
	int err = target_fd(t, a->a[0], &tg);
	if (err < 0)
		return err;
	return do_removexattr(t, &tg, a->a[1]);
}
