/*
 * Advisory locks: flock(2) and fcntl(2)'s lock commands (F_GETLK,
 * F_SETLK, F_SETLKW and their OFD forms), over the lock manager of
 * sentry/vfs/locks.h.
 *
 * A POSIX lock's owner is the caller's fd table (Linux's current->files),
 * which also reports its tgid to F_GETLK; an OFD or flock lock's owner is
 * the open file description. Files outside the VFS (host files) have no
 * inode to hold locks: ENOLCK (checked first, so that only VFS files'
 * positions and sizes are read).
 *
 * Not yet: a blocked F_SETLKW or flock is not interrupted by a signal
 * (locks.h), and F_SETLKW does not detect deadlocks (EDEADLK).
 */
#include <errno.h>

#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"
#include "sentry/vfs/locks.h"
#include "syscalls/syscalls.h"
#include "syscalls/vfs_ctx.h"

/* sys_flock implements flock(2). */
long sys_flock(struct task *t, const struct sys_args *a)
{
	uint32_t cmd = (uint32_t)a->a[1];
	/* LOCK_MAND never worked; Linux ignores it (with a warning). */
	if (cmd & LINUX_LOCK_MAND)
		return 0;
	int type;
	switch (cmd & ~(uint32_t)LINUX_LOCK_NB) {
	case LINUX_LOCK_SH:
		type = LINUX_F_RDLCK;
		break;
	case LINUX_LOCK_EX:
		type = LINUX_F_WRLCK;
		break;
	case LINUX_LOCK_UN:
		type = LINUX_F_UNLCK;
		break;
	default:
		return -EINVAL;
	}
	struct file *f = task_fd_get(t, a->a[0], /*raw=*/false);
	if (!f)
		return -EBADF;
	long ret = -EBADF;
	if (type != LINUX_F_UNLCK && !file_readable(f) && !file_writable(f))
		goto out_put;
	ret = -ENOLCK;
	if (f->inode)
		ret = locks_flock(f->inode, f, type, !(cmd & LINUX_LOCK_NB));
out_put:
	file_put(f);
	return ret;
}

/*
 * Linux's flock64_to_posix_lock(): the byte range of l from its whence,
 * start and length (a negative length runs backwards from start).
 */
static int flock_range(struct file *f, const struct linux_flock *l, struct posix_lock *out)
{
	int64_t base;
	switch (l->l_whence) {
	case 0: /* SEEK_SET */
		base = 0;
		break;
	case 1: /* SEEK_CUR */
		pthread_mutex_lock(&f->pos_mu);
		base = f->pos;
		pthread_mutex_unlock(&f->pos_mu);
		break;
	case 2: { /* SEEK_END */
		struct linux_statx x;
		int err = vfs_file_getattr(f, &x);
		if (err < 0)
			return err;
		base = (int64_t)x.size;
		break;
	}
	default:
		return -EINVAL;
	}
	if (l->l_start > LOCKS_OFFSET_MAX - base)
		return -EOVERFLOW;
	int64_t start = base + l->l_start;
	if (start < 0)
		return -EINVAL;
	int64_t end;
	if (l->l_len > 0) {
		if (l->l_len - 1 > LOCKS_OFFSET_MAX - start)
			return -EOVERFLOW;
		end = start + (l->l_len - 1);
	} else if (l->l_len < 0) {
		if (start + l->l_len < 0)
			return -EINVAL;
		end = start - 1;
		start += l->l_len;
	} else {
		end = LOCKS_OFFSET_MAX;
	}
	switch (l->l_type) {
	case LINUX_F_RDLCK:
	case LINUX_F_WRLCK:
	case LINUX_F_UNLCK:
		break;
	default:
		return -EINVAL;
	}
	out->type = l->l_type;
	out->start = start;
	out->end = end;
	return 0;
}

/* Linux's fcntl_getlk(): F_GETLK and F_OFD_GETLK. */
static long getlk(struct task *t, struct file *f, bool ofd, struct linux_flock *l)
{
	/* F_OFD_GETLK with F_UNLCK asks about the description's own locks (Linux 6.x). */
	if (!ofd && l->l_type != LINUX_F_RDLCK && l->l_type != LINUX_F_WRLCK)
		return -EINVAL;
	if (!f->inode)
		return -ENOLCK;
	struct posix_lock req = { .owner = t->fdt, .pid = t->tg->tgid };
	int err = flock_range(f, l, &req);
	if (err < 0)
		return err;
	if (ofd) {
		if (l->l_pid != 0)
			return -EINVAL;
		req.owner = f;
		req.ofd = true;
	}
	locks_posix_test(f->inode, &req);
	l->l_type = (int16_t)req.type;
	if (req.type != LINUX_F_UNLCK) {
		/* Linux's posix_lock_to_flock(). */
		l->l_pid = req.pid;
		l->l_start = req.start;
		l->l_len = req.end == LOCKS_OFFSET_MAX ? 0 : req.end - req.start + 1;
		l->l_whence = 0;
	}
	return 0;
}

/* Linux's fcntl_setlk(): F_SETLK, F_SETLKW and the OFD forms. */
static long setlk(struct task *t, struct file *f, bool ofd, bool wait, const struct linux_flock *l)
{
	if (!f->inode)
		return -ENOLCK;
	struct posix_lock req = { .owner = t->fdt, .pid = t->tg->tgid };
	int err = flock_range(f, l, &req);
	if (err < 0)
		return err;
	/* check_fmode_for_setlk(): a read lock needs read access, a write lock write access. */
	if (req.type == LINUX_F_RDLCK && !file_readable(f))
		return -EBADF;
	if (req.type == LINUX_F_WRLCK && !file_writable(f))
		return -EBADF;
	if (ofd) {
		if (l->l_pid != 0)
			return -EINVAL;
		req.owner = f;
		req.ofd = true;
	}
	return locks_posix_set(f->inode, &req, wait);
}

long fslock_fcntl(struct task *t, struct file *f, unsigned cmd, uaddr_t arg)
{
	struct linux_flock l;
	if (mm_copy_in(t->mm, &l, arg, sizeof(l)) < 0)
		return -EFAULT;
	bool ofd =
	        cmd == LINUX_F_OFD_GETLK || cmd == LINUX_F_OFD_SETLK || cmd == LINUX_F_OFD_SETLKW;
	if (cmd == LINUX_F_GETLK || cmd == LINUX_F_OFD_GETLK) {
		long ret = getlk(t, f, ofd, &l);
		if (ret == 0 && mm_copy_out(t->mm, arg, &l, sizeof(l)) < 0)
			ret = -EFAULT;
		return ret;
	}
	bool wait = cmd == LINUX_F_SETLKW || cmd == LINUX_F_OFD_SETLKW;
	return setlk(t, f, ofd, wait, &l);
}
