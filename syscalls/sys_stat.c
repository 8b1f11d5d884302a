/*
 * What the file calls read and change of a file: stat, lstat, fstat,
 * newfstatat, statx, access, faccessat, faccessat2, getdents, getdents64,
 * chmod, fchmod, fchmodat, fchmodat2, chown, fchown, lchown, fchownat,
 * utime, utimes, futimesat, utimensat, truncate, ftruncate, fallocate,
 * fsync, fdatasync, sync_file_range, sync, syncfs, statfs, fstatfs.
 *
 * Each decodes and checks its arguments in Linux's order (fs/stat.c,
 * open.c, utimes.c, readdir.c, statfs.c, sync.c) and calls the vfs_*
 * operation, which does the generic checks (ownership, permissions,
 * read-only mounts).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/abi/linux/mman.h"
#include "common/abi/linux/time.h"
#include "common/log.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"
#include "sentry/vfs/fsnotify.h"
#include "syscalls/syscalls.h"
#include "syscalls/vfs_ctx.h"

/* ---- stat ---- */

/* The guest's struct statx: struct linux_statx, stx_mnt_id, then spares. */
struct guest_statx {
	struct linux_statx x;
	uint64_t mnt_id;
	uint64_t spare[13];
};
_Static_assert(sizeof(struct guest_statx) == 0x100, "statx layout");

/* Linux's new_encode_dev(): the 32-bit dev_t of struct stat. */
static uint64_t encode_dev(uint32_t major, uint32_t minor)
{
	return (minor & 0xff) | (major << 8) | ((uint64_t)(minor & ~0xffU) << 12);
}

/* Linux's cp_new_stat(). */
static void statx_to_stat(const struct linux_statx *x, struct linux_stat *st)
{
	*st = (struct linux_stat){
		.dev = encode_dev(x->dev_major, x->dev_minor),
		.ino = x->ino,
		.nlink = x->nlink,
		.mode = x->mode,
		.uid = x->uid,
		.gid = x->gid,
		.rdev = encode_dev(x->rdev_major, x->rdev_minor),
		.size = (int64_t)x->size,
		.blksize = x->blksize,
		.blocks = (int64_t)x->blocks,
		.atime_sec = x->atime.tv_sec,
		.atime_nsec = x->atime.tv_nsec,
		.mtime_sec = x->mtime.tv_sec,
		.mtime_nsec = x->mtime.tv_nsec,
		.ctime_sec = x->ctime.tv_sec,
		.ctime_nsec = x->ctime.tv_nsec,
	};
}

/*
 * The attributes of p (or of f when p is NULL: a file outside the VFS),
 * with what Linux's vfs_getattr_nosec() adds from the path: the mount id
 * and whether p is the root of its mount.
 */
static int getattr(const struct path *p, struct file *f, struct guest_statx *out)
{
	memset(out, 0, sizeof(*out));
	int err = p ? vfs_getattr(p, &out->x) : file_statx(f, &out->x);
	if (err < 0)
		return err;
	if (out->x.mask == 0)
		out->x.mask = LINUX_STATX_BASIC_STATS;
	out->x.attributes_mask |=
	        LINUX_STATX_ATTR_AUTOMOUNT | LINUX_STATX_ATTR_MOUNT_ROOT | LINUX_STATX_ATTR_DAX;
	if (p) {
		if (p->d == p->mnt->root)
			out->x.attributes |= LINUX_STATX_ATTR_MOUNT_ROOT;
		out->x.mask |= LINUX_STATX_MNT_ID;
		out->mnt_id = (uint64_t)p->mnt->id;
	}
	return 0;
}

/* The attributes of the file at fd (O_PATH too), as fstat sees them. */
static int getattr_fd(struct task *t, uint64_t fd, struct guest_statx *out)
{
	struct file *f = task_fd_get(t, fd, /*raw=*/true);
	if (!f)
		return -EBADF;
	int err = getattr(file_in_vfs(f) ? &f->path : NULL, f, out);
	file_put(f);
	return err;
}

#define STATAT_FLAGS                                                               \
	(LINUX_AT_SYMLINK_NOFOLLOW | LINUX_AT_NO_AUTOMOUNT | LINUX_AT_EMPTY_PATH | \
	 LINUX_AT_STATX_SYNC_TYPE)

/*
 * Linux's vfs_statx() after the flags are checked: "" with AT_EMPTY_PATH
 * (or, since 6.11, a NULL pathname with it) is the dirfd itself.
 */
static int statat(struct task *t, int dirfd, uaddr_t upath, int flags, struct guest_statx *out)
{
	bool empty_ok = flags & LINUX_AT_EMPTY_PATH;
	char path[LINUX_PATH_MAX];
	long n = 0;
	if (upath || !empty_ok)
		n = task_copy_path(t, upath, path, empty_ok);
	if (n < 0)
		return (int)n;
	if (n == 0) {
		path[0] = '\0';
		if (dirfd != LINUX_AT_FDCWD)
			return getattr_fd(t, (uint32_t)dirfd, out);
	}
	unsigned lookup = flags & LINUX_AT_SYMLINK_NOFOLLOW ? 0 : LOOKUP_FOLLOW;
	if (empty_ok)
		lookup |= LOOKUP_EMPTY;
	struct path p;
	int err = task_lookup(t, dirfd, path, lookup, &p);
	if (err == -ENXIO && (lookup & LOOKUP_FOLLOW)) {
		/* /proc/PID/fd/N of a pipe: the pipe's attributes, as Linux. */
		struct vfs_ctx c;
		struct vfs_ctx_hold h;
		if (task_vfs_ctx(t, dirfd, path, lookup, &c, &h) == 0) {
			struct file *f;
			if (vfs_lookup_pathless(&c, path, lookup, &f) == 0) {
				err = getattr(NULL, f, out);
				file_put(f);
			}
			task_vfs_ctx_put(&h);
		}
		return err;
	}
	if (err < 0)
		return err;
	err = getattr(&p, NULL, out);
	path_put(&p);
	return err;
}

static long put_stat(struct task *t, const struct guest_statx *x, uaddr_t buf)
{
	struct linux_stat st;
	statx_to_stat(&x->x, &st);
	return mm_copy_out(t->mm, buf, &st, sizeof(st));
}

static long do_newfstatat(struct task *t, int dirfd, uaddr_t upath, uaddr_t buf, int flags)
{
	if (flags & ~(STATAT_FLAGS))
		return -EINVAL;
	struct guest_statx x;
	int err = statat(t, dirfd, upath, flags, &x);
	return err < 0 ? err : put_stat(t, &x, buf);
}

/* sys_stat implements stat(2). */
long sys_stat(struct task *t, const struct sys_args *a)
{
	return do_newfstatat(t, LINUX_AT_FDCWD, a->a[0], a->a[1], 0);
}

/* sys_lstat implements lstat(2). */
long sys_lstat(struct task *t, const struct sys_args *a)
{
	return do_newfstatat(t, LINUX_AT_FDCWD, a->a[0], a->a[1], LINUX_AT_SYMLINK_NOFOLLOW);
}

/* sys_newfstatat implements newfstatat(2). */
long sys_newfstatat(struct task *t, const struct sys_args *a)
{
	return do_newfstatat(t, arg_int(a->a[0]), a->a[1], a->a[2], arg_int(a->a[3]));
}

/* sys_fstat implements fstat(2): O_PATH fds too. */
long sys_fstat(struct task *t, const struct sys_args *a)
{
	struct guest_statx x;
	int err = getattr_fd(t, a->a[0], &x);
	return err < 0 ? err : put_stat(t, &x, a->a[1]);
}

/*
 * sys_statx implements statx(2). The mask asks, it does not filter: the
 * answer has every field the file system knows, as Linux's has.
 */
long sys_statx(struct task *t, const struct sys_args *a)
{
	int flags = arg_int(a->a[2]);
	uint32_t mask = (uint32_t)a->a[3];
	if (mask & LINUX_STATX__RESERVED)
		return -EINVAL;
	if ((flags & LINUX_AT_STATX_SYNC_TYPE) == LINUX_AT_STATX_SYNC_TYPE)
		return -EINVAL;
	if (flags & ~(STATAT_FLAGS))
		return -EINVAL;
	struct guest_statx x;
	int err = statat(t, arg_int(a->a[0]), a->a[1], flags, &x);
	if (err < 0)
		return err;
	return mm_copy_out(t->mm, a->a[4], &x, sizeof(x));
}

/* ---- access ---- */

/* Linux's do_faccessat(). */
static long do_faccessat(struct task *t, int dirfd, uaddr_t upath, uint64_t umode, int flags)
{
	int mode = arg_int(umode);
	if (mode & ~0007) /* F_OK, R_OK, W_OK, X_OK */
		return -EINVAL;
	if (flags & ~(LINUX_AT_EACCESS | LINUX_AT_SYMLINK_NOFOLLOW | LINUX_AT_EMPTY_PATH))
		return -EINVAL;
	unsigned lookup = flags & LINUX_AT_SYMLINK_NOFOLLOW ? 0 : LOOKUP_FOLLOW;
	if (flags & LINUX_AT_EMPTY_PATH)
		lookup |= LOOKUP_EMPTY;
	char path[LINUX_PATH_MAX];
	long n = task_copy_path(t, upath, path, flags & LINUX_AT_EMPTY_PATH);
	if (n < 0)
		return n;
	/*
	 * Unless AT_EACCESS, the check is with the real ids and, for them,
	 * root's capabilities or none (access_override_creds).
	 */
	struct creds creds = t->creds;
	if (!(flags & LINUX_AT_EACCESS)) {
		creds.fsuid = creds.ruid;
		creds.fsgid = creds.rgid;
		if (!creds_secure(&creds, LINUX_SECURE_NO_SETUID_FIXUP))
			creds.cap_effective = creds.ruid == 0 ? creds.cap_permitted : 0;
	}
	struct vfs_ctx c;
	struct vfs_ctx_hold h;
	int err = task_vfs_ctx(t, dirfd, path, lookup, &c, &h);
	if (err < 0)
		return err;
	c.creds = &creds;
	struct path p;
	err = vfs_lookup(&c, path, lookup, &p);
	task_vfs_ctx_put(&h);
	if (err < 0)
		return err;
	/* R_OK, W_OK and X_OK are MAY_READ, MAY_WRITE and MAY_EXEC. */
	err = vfs_access(&creds, &p, mode);
	path_put(&p);
	return err;
}

/* sys_access implements access(2). */
long sys_access(struct task *t, const struct sys_args *a)
{
	return do_faccessat(t, LINUX_AT_FDCWD, a->a[0], a->a[1], 0);
}

/* sys_faccessat implements faccessat(2): no flags argument. */
long sys_faccessat(struct task *t, const struct sys_args *a)
{
	return do_faccessat(t, arg_int(a->a[0]), a->a[1], a->a[2], 0);
}

/* sys_faccessat2 implements faccessat2(2). */
long sys_faccessat2(struct task *t, const struct sys_args *a)
{
	return do_faccessat(t, arg_int(a->a[0]), a->a[1], a->a[2], arg_int(a->a[3]));
}

/* ---- getdents ---- */

/* Records are packed here, then copied out in one go. */
#define DIRENT_BUF_MAX (64 * 1024)

struct dirent_buf {
	struct dir_ctx ctx;
	char *buf;
	size_t size, used;
	size_t prev; /* the previous record, or SIZE_MAX */
	bool old;    /* getdents' struct linux_dirent, else linux_dirent64 */
	bool full;   /* an entry did not fit */
};

static size_t align8(size_t n)
{
	return (n + 7) & ~(size_t)7;
}

/*
 * Linux's filldir64() / filldir(): appends one record. The d_off of the
 * previous record is the position of this one (ctx->pos).
 *   linux_dirent64: u64 d_ino, s64 d_off, u16 d_reclen, u8 d_type, name
 *   linux_dirent:   u64 d_ino, u64 d_off, u16 d_reclen, name, 0, d_type
 */
static bool dirent_emit(struct dir_ctx *ctx, const char *name, size_t len, uint64_t ino,
                        unsigned type)
{
	struct dirent_buf *b = container_of(ctx, struct dirent_buf, ctx);
	size_t reclen = b->old ? align8(18 + len + 2) : align8(19 + len + 1);
	if (reclen > b->size - b->used) {
		b->full = true;
		return false;
	}
	if (b->prev != SIZE_MAX) {
		int64_t off = ctx->pos;
		memcpy(b->buf + b->prev + 8, &off, sizeof(off));
	}
	char *r = b->buf + b->used;
	memset(r, 0, reclen);
	memcpy(r, &ino, sizeof(ino));
	uint16_t rl = (uint16_t)reclen;
	memcpy(r + 16, &rl, sizeof(rl));
	if (b->old) {
		memcpy(r + 18, name, len);
		r[reclen - 1] = (char)type;
	} else {
		r[18] = (char)type;
		memcpy(r + 19, name, len);
	}
	b->prev = b->used;
	b->used += reclen;
	return true;
}

static long do_getdents(struct task *t, uint64_t fd, uaddr_t dirp, uint64_t ucount, bool old)
{
	struct file *f = task_fd_get(t, fd, /*raw=*/false);
	if (!f)
		return -EBADF;
	/*
	 * Records go only where the guest can write: a buffer that is not
	 * writable up to count takes what fits in its writable part, and
	 * EFAULT when not even the first record does (filldir's failed
	 * copy), as on Linux, without consuming entries it cannot store.
	 */
	size_t count = (uint32_t)ucount;
	size_t size = MIN(count, DIRENT_BUF_MAX);
	size_t writable = mm_access_ok(dirp, size)
	                          ? mm_access_prefix(t->mm, dirp, size, LINUX_PROT_WRITE)
	                          : 0;
	struct dirent_buf b = {
		.ctx = { .emit = dirent_emit },
		.size = writable,
		.prev = SIZE_MAX,
		.old = old,
	};
	long ret = -ENOMEM;
	b.buf = malloc(MAX(writable, 1));
	if (!b.buf)
		goto out_put;
	ret = vfs_iterate(f, &b.ctx);
	if (ret < 0)
		goto out_free;
	if (b.prev == SIZE_MAX) {
		/* Nothing fits: EINVAL, or EFAULT when the guest's buffer is what is short. */
		ret = 0;
		if (b.full)
			ret = writable < size ? -EFAULT : -EINVAL;
		goto out_free;
	}
	int64_t last = b.ctx.pos;
	memcpy(b.buf + b.prev + 8, &last, sizeof(last));
	ret = mm_copy_out(t->mm, dirp, b.buf, b.used) < 0 ? -EFAULT : (long)b.used;
out_free:
	free(b.buf);
out_put:
	file_put(f);
	return ret;
}

/* sys_getdents64 implements getdents64(2). */
long sys_getdents64(struct task *t, const struct sys_args *a)
{
	return do_getdents(t, a->a[0], a->a[1], a->a[2], /*old=*/false);
}

/* sys_getdents implements getdents(2): x86-64 still has the old record. */
long sys_getdents(struct task *t, const struct sys_args *a)
{
	return do_getdents(t, a->a[0], a->a[1], a->a[2], /*old=*/true);
}

/* ---- Attributes: chmod, chown, utimes ---- */

/*
 * Applies attr to the file f of an fd. A file with an inode but no path
 * (a memfd) cannot go through vfs_setattr, which takes a path: until the
 * core offers a setattr for files, only ftruncate's size change is done
 * for it, with vfs_setattr's rules for a size (the caller checked a
 * regular file open for writing). A host file has no attributes the
 * sandbox can change.
 */
static long setattr_file(struct task *t, struct file *f, const struct vfs_setattr *attr)
{
	if (file_in_vfs(f))
		return vfs_setattr(&t->creds, &f->path, attr);
	if (f->inode && attr->mask == VFS_ATTR_SIZE) {
		struct inode *inode = f->inode;
		struct vfs_setattr a = *attr;
		a.mask |= VFS_ATTR_MTIME_NOW | VFS_ATTR_CTIME;
		return inode->ops->setattr ? inode->ops->setattr(inode, &a) : -EPERM;
	}
	log_info("attribute change of a file without a path: not supported");
	return -EOPNOTSUPP;
}

/* Applies attr to the file at fd: Linux's fdget(), so O_PATH fds are EBADF. */
static long setattr_fd(struct task *t, uint64_t fd, const struct vfs_setattr *attr)
{
	struct file *f = task_fd_get(t, fd, /*raw=*/false);
	if (!f)
		return -EBADF;
	long ret = setattr_file(t, f, attr);
	file_put(f);
	return ret;
}

/*
 * Resolves a pathname for an attribute change: AT_SYMLINK_NOFOLLOW and
 * AT_EMPTY_PATH in flags (already checked). Returns 0 and a new
 * reference in *out, or -errno.
 */
static int lookup_at(struct task *t, int dirfd, uaddr_t upath, int flags, struct path *out)
{
	char path[LINUX_PATH_MAX];
	long n = task_copy_path(t, upath, path, flags & LINUX_AT_EMPTY_PATH);
	if (n < 0)
		return (int)n;
	unsigned lookup = flags & LINUX_AT_SYMLINK_NOFOLLOW ? 0 : LOOKUP_FOLLOW;
	if (flags & LINUX_AT_EMPTY_PATH)
		lookup |= LOOKUP_EMPTY;
	return task_lookup(t, dirfd, path, lookup, out);
}

static long setattr_at(struct task *t, int dirfd, uaddr_t upath, int flags,
                       const struct vfs_setattr *attr)
{
	struct path p;
	int err = lookup_at(t, dirfd, upath, flags, &p);
	if (err < 0)
		return err;
	err = vfs_setattr(&t->creds, &p, attr);
	path_put(&p);
	return err;
}

/* Linux's chmod_common(): the permission bits; the VFS keeps the type. */
static struct vfs_setattr chmod_attr(uint64_t mode)
{
	return (struct vfs_setattr){ .mask = VFS_ATTR_MODE,
		                     .mode = (uint16_t)mode & LINUX_S_IALLUGO };
}

/* Linux's do_fchmodat(); a symlink's mode cannot change (the VFS says EOPNOTSUPP). */
static long do_fchmodat(struct task *t, int dirfd, uaddr_t upath, uint64_t mode, int flags)
{
	if (flags & ~(LINUX_AT_SYMLINK_NOFOLLOW | LINUX_AT_EMPTY_PATH))
		return -EINVAL;
	struct vfs_setattr attr = chmod_attr(mode);
	return setattr_at(t, dirfd, upath, flags, &attr);
}

/* sys_chmod implements chmod(2). */
long sys_chmod(struct task *t, const struct sys_args *a)
{
	return do_fchmodat(t, LINUX_AT_FDCWD, a->a[0], a->a[1], 0);
}

/* sys_fchmodat implements fchmodat(2): it has no flags argument. */
long sys_fchmodat(struct task *t, const struct sys_args *a)
{
	return do_fchmodat(t, arg_int(a->a[0]), a->a[1], a->a[2], 0);
}

/* sys_fchmodat2 implements fchmodat2(2). */
long sys_fchmodat2(struct task *t, const struct sys_args *a)
{
	return do_fchmodat(t, arg_int(a->a[0]), a->a[1], a->a[2], arg_int(a->a[3]));
}

/* sys_fchmod implements fchmod(2). */
long sys_fchmod(struct task *t, const struct sys_args *a)
{
	struct vfs_setattr attr = chmod_attr(a->a[1]);
	return setattr_fd(t, a->a[0], &attr);
}

/*
 * Linux's chown_common(): -1 leaves an id as it is. Even with both -1
 * the change time moves (and the VFS clears the setuid bits as for any
 * chown).
 */
static struct vfs_setattr chown_attr(uint64_t uid, uint64_t gid)
{
	struct vfs_setattr attr = { .uid = (uint32_t)uid, .gid = (uint32_t)gid };
	if ((uint32_t)uid != UINT32_MAX)
		attr.mask |= VFS_ATTR_UID;
	if ((uint32_t)gid != UINT32_MAX)
		attr.mask |= VFS_ATTR_GID;
	if (attr.mask == 0)
		attr.mask = VFS_ATTR_CTIME;
	return attr;
}

static long do_fchownat(struct task *t, int dirfd, uaddr_t upath, uint64_t uid, uint64_t gid,
                        int flags)
{
	if (flags & ~(LINUX_AT_SYMLINK_NOFOLLOW | LINUX_AT_EMPTY_PATH))
		return -EINVAL;
	struct vfs_setattr attr = chown_attr(uid, gid);
	return setattr_at(t, dirfd, upath, flags, &attr);
}

/* sys_chown implements chown(2). */
long sys_chown(struct task *t, const struct sys_args *a)
{
	return do_fchownat(t, LINUX_AT_FDCWD, a->a[0], a->a[1], a->a[2], 0);
}

/* sys_lchown implements lchown(2). */
long sys_lchown(struct task *t, const struct sys_args *a)
{
	return do_fchownat(t, LINUX_AT_FDCWD, a->a[0], a->a[1], a->a[2], LINUX_AT_SYMLINK_NOFOLLOW);
}

/* sys_fchownat implements fchownat(2). */
long sys_fchownat(struct task *t, const struct sys_args *a)
{
	return do_fchownat(t, arg_int(a->a[0]), a->a[1], a->a[2], a->a[3], arg_int(a->a[4]));
}

/* sys_fchown implements fchown(2). */
long sys_fchown(struct task *t, const struct sys_args *a)
{
	struct vfs_setattr attr = chown_attr(a->a[1], a->a[2]);
	return setattr_fd(t, a->a[0], &attr);
}

static bool nsec_valid(int64_t nsec)
{
	return nsec == LINUX_UTIME_OMIT || nsec == LINUX_UTIME_NOW ||
	       (nsec >= 0 && nsec < LINUX_NSEC_PER_SEC);
}

/*
 * Linux's vfs_utimes(): times NULL (or both UTIME_NOW) is a "touch",
 * which write access allows; any explicit time needs ownership
 * (ATTR_TIMES_SET), so a UTIME_NOW beside it is set as an explicit
 * current time.
 */
static int times_attr(const struct linux_timespec *ts, struct vfs_setattr *attr)
{
	*attr = (struct vfs_setattr){ 0 };
	if (ts) {
		if (!nsec_valid(ts[0].tv_nsec) || !nsec_valid(ts[1].tv_nsec))
			return -EINVAL;
		if (ts[0].tv_nsec == LINUX_UTIME_NOW && ts[1].tv_nsec == LINUX_UTIME_NOW)
			ts = NULL;
	}
	if (!ts) {
		attr->mask = VFS_ATTR_ATIME_NOW | VFS_ATTR_MTIME_NOW;
		return 0;
	}
	struct linux_statx_timestamp now = vfs_now();
	struct linux_statx_timestamp *dst[2] = { &attr->atime, &attr->mtime };
	const unsigned bit[2] = { VFS_ATTR_ATIME, VFS_ATTR_MTIME };
	for (int i = 0; i < 2; i++) {
		if (ts[i].tv_nsec == LINUX_UTIME_OMIT)
			continue;
		attr->mask |= bit[i];
		if (ts[i].tv_nsec == LINUX_UTIME_NOW)
			*dst[i] = now;
		else
			*dst[i] = (struct linux_statx_timestamp){ .tv_sec = ts[i].tv_sec,
				                                  .tv_nsec =
				                                          (uint32_t)ts[i].tv_nsec };
	}
	/* Only the change time moves (one time given, the other omitted: never both). */
	if (attr->mask == 0)
		attr->mask = VFS_ATTR_CTIME;
	return 0;
}

/*
 * Linux's do_utimes(): a NULL pathname with a dirfd is futimens (no
 * flags allowed); anything else is a path, looked up before the times
 * are checked.
 */
static long do_utimes(struct task *t, int dirfd, uaddr_t upath, const struct linux_timespec *ts,
                      int flags)
{
	struct vfs_setattr attr;
	int err;
	if (!upath && dirfd != LINUX_AT_FDCWD) {
		if (flags)
			return -EINVAL;
		struct file *f = task_fd_get(t, (uint32_t)dirfd, /*raw=*/false);
		if (!f)
			return -EBADF;
		err = times_attr(ts, &attr);
		if (err == 0)
			err = (int)setattr_file(t, f, &attr);
		file_put(f);
		return err;
	}
	if (flags & ~(LINUX_AT_SYMLINK_NOFOLLOW | LINUX_AT_EMPTY_PATH))
		return -EINVAL;
	struct path p;
	err = lookup_at(t, dirfd, upath, flags, &p);
	if (err < 0)
		return err;
	err = times_attr(ts, &attr);
	if (err == 0)
		err = vfs_setattr(&t->creds, &p, &attr);
	path_put(&p);
	return err;
}

/* sys_utimensat implements utimensat(2). */
long sys_utimensat(struct task *t, const struct sys_args *a)
{
	struct linux_timespec ts[2];
	if (a->a[2]) {
		if (mm_copy_in(t->mm, ts, a->a[2], sizeof(ts)) < 0)
			return -EFAULT;
		/* Nothing to do: not even the path is checked. */
		if (ts[0].tv_nsec == LINUX_UTIME_OMIT && ts[1].tv_nsec == LINUX_UTIME_OMIT)
			return 0;
	}
	return do_utimes(t, arg_int(a->a[0]), a->a[1], a->a[2] ? ts : NULL, arg_int(a->a[3]));
}

/* Linux's do_futimesat(): microseconds, checked before the path. */
static long do_futimesat(struct task *t, int dirfd, uaddr_t upath, uaddr_t utv)
{
	if (!utv)
		return do_utimes(t, dirfd, upath, NULL, 0);
	struct linux_timeval tv[2];
	if (mm_copy_in(t->mm, tv, utv, sizeof(tv)) < 0)
		return -EFAULT;
	struct linux_timespec ts[2];
	for (int i = 0; i < 2; i++) {
		/* This also refuses UTIME_NOW and UTIME_OMIT, which only utimensat knows. */
		if (tv[i].tv_usec < 0 || tv[i].tv_usec >= 1000000)
			return -EINVAL;
		ts[i] = (struct linux_timespec){ tv[i].tv_sec, tv[i].tv_usec * 1000 };
	}
	return do_utimes(t, dirfd, upath, ts, 0);
}

/* sys_utimes implements utimes(2). */
long sys_utimes(struct task *t, const struct sys_args *a)
{
	return do_futimesat(t, LINUX_AT_FDCWD, a->a[0], a->a[1]);
}

/* sys_futimesat implements futimesat(2). */
long sys_futimesat(struct task *t, const struct sys_args *a)
{
	return do_futimesat(t, arg_int(a->a[0]), a->a[1], a->a[2]);
}

/* sys_utime implements utime(2): struct utimbuf, whole seconds. */
long sys_utime(struct task *t, const struct sys_args *a)
{
	if (!a->a[1])
		return do_utimes(t, LINUX_AT_FDCWD, a->a[0], NULL, 0);
	int64_t buf[2]; /* actime, modtime */
	if (mm_copy_in(t->mm, buf, a->a[1], sizeof(buf)) < 0)
		return -EFAULT;
	struct linux_timespec ts[2] = { { buf[0], 0 }, { buf[1], 0 } };
	return do_utimes(t, LINUX_AT_FDCWD, a->a[0], ts, 0);
}

/* ---- Sizes and data: truncate, ftruncate, fallocate, fsync ---- */

/* sys_truncate implements truncate(2). */
long sys_truncate(struct task *t, const struct sys_args *a)
{
	int64_t length = (int64_t)a->a[1];
	if (length < 0)
		return -EINVAL;
	struct path p;
	int err = lookup_at(t, LINUX_AT_FDCWD, a->a[0], 0, &p);
	if (err < 0)
		return err;
	err = vfs_truncate(&t->creds, &p, length);
	path_put(&p);
	return err;
}

/*
 * sys_ftruncate implements ftruncate(2): EINVAL, not EBADF, for a file
 * not open for writing or not regular (Linux's do_ftruncate()).
 */
long sys_ftruncate(struct task *t, const struct sys_args *a)
{
	int64_t length = (int64_t)a->a[1];
	if (length < 0)
		return -EINVAL;
	struct file *f = task_fd_get(t, a->a[0], /*raw=*/false);
	if (!f)
		return -EBADF;
	long ret = -EINVAL;
	if (f->inode && inode_is_reg(f->inode) && file_writable(f)) {
		/* The open for writing stands for the write permission check. */
		struct vfs_setattr attr = { .mask = VFS_ATTR_SIZE, .size = length };
		ret = setattr_file(t, f, &attr);
	}
	file_put(f);
	return ret;
}

/* The file type of f: its inode's, or what a file outside the VFS says of itself. */
static uint32_t file_type(struct file *f)
{
	if (f->inode)
		return f->inode->mode & LINUX_S_IFMT;
	struct linux_statx x;
	if (file_statx(f, &x) < 0)
		return 0;
	return x.mode & LINUX_S_IFMT;
}

/* Linux's vfs_fallocate(): the checks, then the file's own op. */
static long do_fallocate(struct file *f, int mode, int64_t off, int64_t len)
{
	if (off < 0 || len <= 0)
		return -EINVAL;
	if (mode & ~(LINUX_FALLOC_FL_KEEP_SIZE | LINUX_FALLOC_FL_PUNCH_HOLE |
	             LINUX_FALLOC_FL_COLLAPSE_RANGE | LINUX_FALLOC_FL_ZERO_RANGE |
	             LINUX_FALLOC_FL_INSERT_RANGE | LINUX_FALLOC_FL_UNSHARE_RANGE |
	             LINUX_FALLOC_FL_WRITE_ZEROES))
		return -EOPNOTSUPP;
	/* The modes exclude each other; allocation is no bit at all. */
	switch (mode & ~LINUX_FALLOC_FL_KEEP_SIZE) {
	case 0:
	case LINUX_FALLOC_FL_UNSHARE_RANGE:
	case LINUX_FALLOC_FL_ZERO_RANGE:
		break;
	case LINUX_FALLOC_FL_PUNCH_HOLE:
		if (!(mode & LINUX_FALLOC_FL_KEEP_SIZE))
			return -EOPNOTSUPP;
		break;
	case LINUX_FALLOC_FL_COLLAPSE_RANGE:
	case LINUX_FALLOC_FL_INSERT_RANGE:
	case LINUX_FALLOC_FL_WRITE_ZEROES:
		if (mode & LINUX_FALLOC_FL_KEEP_SIZE)
			return -EOPNOTSUPP;
		break;
	default:
		return -EOPNOTSUPP;
	}
	if (!file_writable(f))
		return -EBADF;
	uint32_t type = file_type(f);
	if (type == LINUX_S_IFIFO)
		return -ESPIPE;
	if (type == LINUX_S_IFDIR)
		return -EISDIR;
	if (type != LINUX_S_IFREG && type != LINUX_S_IFBLK)
		return -ENODEV;
	if (off > INT64_MAX - len)
		return -EFBIG;
	if (!f->ops->fallocate)
		return -EOPNOTSUPP;
	int err = f->ops->fallocate(f, mode, off, len);
	if (err == 0)
		fsnotify_modify(f);
	return err;
}

/* sys_fallocate implements fallocate(2). */
long sys_fallocate(struct task *t, const struct sys_args *a)
{
	struct file *f = task_fd_get(t, a->a[0], /*raw=*/false);
	if (!f)
		return -EBADF;
	long ret = do_fallocate(f, arg_int(a->a[1]), (int64_t)a->a[2], (int64_t)a->a[3]);
	file_put(f);
	return ret;
}

/*
 * fsync(2) and fdatasync(2): a file system with nothing to flush has no
 * op; files that cannot be synced at all (pipes, sockets, devices) are
 * EINVAL, as Linux's missing f_op->fsync.
 */
static long do_fsync(struct task *t, uint64_t fd, bool datasync)
{
	struct file *f = task_fd_get(t, fd, /*raw=*/false);
	if (!f)
		return -EBADF;
	long ret;
	if (f->ops->fsync)
		ret = f->ops->fsync(f, datasync);
	else if (f->inode && (inode_is_reg(f->inode) || inode_is_dir(f->inode)))
		ret = 0;
	else
		ret = -EINVAL;
	file_put(f);
	return ret;
}

/* sys_fsync implements fsync(2). */
long sys_fsync(struct task *t, const struct sys_args *a)
{
	return do_fsync(t, a->a[0], false);
}

/* sys_fdatasync implements fdatasync(2). */
long sys_fdatasync(struct task *t, const struct sys_args *a)
{
	return do_fsync(t, a->a[0], true);
}

/* sync_file_range(2)'s flags (include/uapi/linux/fs.h). */
#define SYNC_FILE_RANGE_ALL 0x7 /* WAIT_BEFORE | WRITE | WAIT_AFTER */

/*
 * sys_sync_file_range implements sync_file_range(2): Linux's checks; the
 * sandbox's file systems have nothing to write back (see sys_sync).
 */
long sys_sync_file_range(struct task *t, const struct sys_args *a)
{
	struct file *f = task_fd_get(t, a->a[0], /*raw=*/false);
	if (!f)
		return -EBADF;
	int64_t off = (int64_t)a->a[1], nbytes = (int64_t)a->a[2];
	uint32_t flags = (uint32_t)a->a[3];
	long ret = -EINVAL;
	if (flags & ~(uint32_t)SYNC_FILE_RANGE_ALL)
		goto out_put;
	uint64_t end = (uint64_t)off + (uint64_t)nbytes;
	if (off < 0 || (int64_t)end < 0 || end < (uint64_t)off)
		goto out_put;
	uint32_t type = file_type(f);
	ret = -ESPIPE;
	if (type != LINUX_S_IFREG && type != LINUX_S_IFBLK && type != LINUX_S_IFDIR &&
	    type != LINUX_S_IFLNK)
		goto out_put;
	ret = 0;
out_put:
	file_put(f);
	return ret;
}

/*
 * sys_sync implements sync(2). The sandbox's file systems write through
 * to their backing (tmpfs memory, the gofer's host files) on every
 * write, so there is nothing to flush.
 */
long sys_sync(struct task *t, const struct sys_args *a)
{
	return 0;
}

/* sys_syncfs implements syncfs(2): as sync, for one file system. */
long sys_syncfs(struct task *t, const struct sys_args *a)
{
	struct file *f = task_fd_get(t, a->a[0], /*raw=*/false);
	if (!f)
		return -EBADF;
	file_put(f);
	return 0;
}

/* ---- statfs ---- */

/* sys_statfs implements statfs(2). */
long sys_statfs(struct task *t, const struct sys_args *a)
{
	struct path p;
	int err = lookup_at(t, LINUX_AT_FDCWD, a->a[0], 0, &p);
	if (err < 0)
		return err;
	struct linux_statfs sfs = { 0 };
	err = vfs_statfs(&p, &sfs);
	path_put(&p);
	if (err < 0)
		return err;
	return mm_copy_out(t->mm, a->a[1], &sfs, sizeof(sfs));
}

/* sys_fstatfs implements fstatfs(2): O_PATH fds too. */
long sys_fstatfs(struct task *t, const struct sys_args *a)
{
	struct file *f = task_fd_get(t, a->a[0], /*raw=*/true);
	if (!f)
		return -EBADF;
	struct linux_statfs sfs = { 0 };
	int err = -EOPNOTSUPP; /* a host file: its file system is not the sandbox's */
	if (file_in_vfs(f))
		err = vfs_statfs(&f->path, &sfs);
	file_put(f);
	if (err < 0)
		return err;
	return mm_copy_out(t->mm, a->a[1], &sfs, sizeof(sfs));
}
