/*
 * The calls that name files by path: open, openat, openat2, creat,
 * mkdir, mkdirat, mknod, mknodat, rmdir, unlink, unlinkat, rename,
 * renameat, renameat2, link, linkat, symlink, symlinkat, readlink,
 * readlinkat; the task's place in the tree: chdir, fchdir, umask, chroot
 * (getcwd is in sys_identity.c); mount and umount2; and the fd calls
 * that go with them: close_range and memfd_create.
 *
 * Each decodes its arguments with Linux's checks in Linux's order (fs/
 * namei.c, open.c, namespace.c), copies the pathnames in, and calls the
 * vfs_* operation, which does every generic check.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "sentry/fsimpl/tmpfs/tmpfs.h"
#include "sentry/kernel/fdtable.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"
#include "syscalls/syscalls.h"
#include "syscalls/vfs_ctx.h"

/* ---- open ---- */

#define VALID_OPEN_FLAGS                                                                      \
	(LINUX_O_ACCMODE | LINUX_O_CREAT | LINUX_O_EXCL | LINUX_O_NOCTTY | LINUX_O_TRUNC |    \
	 LINUX_O_APPEND | LINUX_O_NONBLOCK | LINUX___O_SYNC | LINUX_O_DSYNC | LINUX_O_ASYNC | \
	 LINUX_O_DIRECT | LINUX_O_LARGEFILE | LINUX_O_DIRECTORY | LINUX_O_NOFOLLOW |          \
	 LINUX_O_NOATIME | LINUX_O_CLOEXEC | LINUX_O_PATH | LINUX___O_TMPFILE)
#define O_PATH_FLAGS (LINUX_O_DIRECTORY | LINUX_O_NOFOLLOW | LINUX_O_PATH | LINUX_O_CLOEXEC)
#define VALID_RESOLVE_FLAGS                                                                \
	(LINUX_RESOLVE_NO_XDEV | LINUX_RESOLVE_NO_MAGICLINKS | LINUX_RESOLVE_NO_SYMLINKS | \
	 LINUX_RESOLVE_BENEATH | LINUX_RESOLVE_IN_ROOT | LINUX_RESOLVE_CACHED)

static bool will_create(uint64_t flags)
{
	return flags & (LINUX_O_CREAT | LINUX___O_TMPFILE);
}

/* What an open asks the VFS for. */
struct open_req {
	unsigned oflags; /* for vfs_open: O_CLOEXEC stripped */
	uint32_t mode;
	unsigned lookup; /* the LOOKUP_* of the RESOLVE_* flags */
	bool cloexec;
};

/*
 * Linux's build_open_flags(): the strict checks of openat2, which the
 * legacy calls pass too once their arguments are masked (build_open_how).
 */
static int build_open_flags(const struct linux_open_how *how, struct open_req *out)
{
	uint64_t flags = how->flags & ~(uint64_t)LINUX_O_CLOEXEC;
	if (flags & ~(uint64_t)VALID_OPEN_FLAGS)
		return -EINVAL;
	if (how->resolve & ~(uint64_t)VALID_RESOLVE_FLAGS)
		return -EINVAL;
	/* The scoping flags exclude each other. */
	if ((how->resolve & LINUX_RESOLVE_BENEATH) && (how->resolve & LINUX_RESOLVE_IN_ROOT))
		return -EINVAL;
	if (will_create(flags)) {
		if (how->mode & ~(uint64_t)LINUX_S_IALLUGO)
			return -EINVAL;
	} else if (how->mode != 0) {
		return -EINVAL;
	}
	/* O_DIRECTORY | O_CREAT used to create regular files: refused since Linux 6.4. */
	if ((flags & (LINUX_O_DIRECTORY | LINUX_O_CREAT)) == (LINUX_O_DIRECTORY | LINUX_O_CREAT))
		return -EINVAL;
	unsigned acc = flags & LINUX_O_ACCMODE;
	if (flags & LINUX___O_TMPFILE) {
		/* O_TMPFILE is __O_TMPFILE | O_DIRECTORY, and it needs write access. */
		if (!(flags & LINUX_O_DIRECTORY))
			return -EINVAL;
		if (acc == LINUX_O_RDONLY)
			return -EINVAL;
	}
	if ((flags & LINUX_O_PATH) && (flags & ~(uint64_t)O_PATH_FLAGS))
		return -EINVAL;
	/* O_SYNC is __O_SYNC | O_DSYNC: make sure the second is set. */
	if (flags & LINUX___O_SYNC)
		flags |= LINUX_O_DSYNC;

	unsigned lookup = 0;
	if (how->resolve & LINUX_RESOLVE_NO_XDEV)
		lookup |= LOOKUP_NO_XDEV;
	if (how->resolve & LINUX_RESOLVE_NO_MAGICLINKS)
		lookup |= LOOKUP_NO_MAGICLINKS;
	if (how->resolve & LINUX_RESOLVE_NO_SYMLINKS)
		lookup |= LOOKUP_NO_SYMLINKS;
	if (how->resolve & LINUX_RESOLVE_BENEATH)
		lookup |= LOOKUP_BENEATH;
	if (how->resolve & LINUX_RESOLVE_IN_ROOT)
		lookup |= LOOKUP_IN_ROOT;
	/*
	 * RESOLVE_CACHED: never for an open that may create or truncate.
	 * Otherwise every lookup here is as good as a cached one: accepted.
	 */
	if ((how->resolve & LINUX_RESOLVE_CACHED) &&
	    (flags & (LINUX_O_TRUNC | LINUX_O_CREAT | LINUX___O_TMPFILE)))
		return -EAGAIN;

	out->oflags = (unsigned)flags;
	out->mode = (uint32_t)how->mode;
	out->lookup = lookup;
	out->cloexec = how->flags & LINUX_O_CLOEXEC;
	return 0;
}

/*
 * Linux's do_sys_openat2() once the flags are checked: the pathname, a
 * reserved fd (so that EMFILE comes before anything is created), then the
 * open.
 */
static long do_open(struct task *t, int dirfd, uaddr_t upath, const struct open_req *req)
{
	char path[LINUX_PATH_MAX];
	long ret = task_copy_path(t, upath, path, false);
	if (ret < 0)
		return ret;
	int fd = fdtable_reserve(t->fdt, task_nofile_limit(t));
	if (fd < 0)
		return fd;
	struct vfs_ctx c;
	struct vfs_ctx_hold h;
	struct file *f = NULL;
	ret = task_vfs_ctx(t, dirfd, path, req->lookup, &c, &h);
	if (ret == 0) {
		ret = vfs_open(&c, path, req->oflags, req->mode, req->lookup, &f);
		task_vfs_ctx_put(&h);
	}
	if (ret < 0) {
		fdtable_unreserve(t->fdt, fd);
		return ret;
	}
	fdtable_install_reserved(t->fdt, fd, f, req->cloexec);
	file_put(f);
	return fd;
}

/*
 * Linux's build_open_how() for open, openat and creat: unknown flags are
 * ignored, O_LARGEFILE is implied on 64-bit, and mode counts only when
 * creating.
 */
static long open_legacy(struct task *t, int dirfd, uaddr_t upath, uint64_t flags, uint64_t mode)
{
	uint64_t f = ((uint32_t)flags | LINUX_O_LARGEFILE) & VALID_OPEN_FLAGS;
	if (f & LINUX_O_PATH)
		f &= O_PATH_FLAGS;
	struct linux_open_how how = {
		.flags = f,
		/* mode is a umode_t: 16 bits. */
		.mode = will_create(f) ? (uint16_t)mode & LINUX_S_IALLUGO : 0,
	};
	struct open_req req;
	int err = build_open_flags(&how, &req);
	if (err < 0)
		return err;
	return do_open(t, dirfd, upath, &req);
}

/* sys_open implements open(2). */
long sys_open(struct task *t, const struct sys_args *a)
{
	return open_legacy(t, LINUX_AT_FDCWD, a->a[0], a->a[1], a->a[2]);
}

/* sys_openat implements openat(2). */
long sys_openat(struct task *t, const struct sys_args *a)
{
	return open_legacy(t, arg_int(a->a[0]), a->a[1], a->a[2], a->a[3]);
}

/* sys_creat implements creat(2): open(O_CREAT | O_WRONLY | O_TRUNC). */
long sys_creat(struct task *t, const struct sys_args *a)
{
	return open_legacy(t, LINUX_AT_FDCWD, a->a[0],
	                   LINUX_O_CREAT | LINUX_O_WRONLY | LINUX_O_TRUNC, a->a[1]);
}

/*
 * Linux's copy_struct_from_user(): a struct of usize bytes whose known
 * part is ksize bytes; bytes past ksize must be zero (else -E2BIG), a
 * shorter struct is zero-extended.
 */
static int copy_struct_in(struct task *t, void *dst, size_t ksize, uaddr_t src, size_t usize)
{
	size_t n = MIN(ksize, usize);
	memset(dst, 0, ksize);
	if (usize > ksize) {
		unsigned char tail[256];
		for (size_t off = ksize; off < usize; off += sizeof(tail)) {
			size_t chunk = MIN(sizeof(tail), usize - off);
			int err = mm_copy_in(t->mm, tail, src + off, chunk);
			if (err < 0)
				return err;
			for (size_t i = 0; i < chunk; i++) {
				if (tail[i])
					return -E2BIG;
			}
		}
	}
	return mm_copy_in(t->mm, dst, src, n);
}

/* sys_openat2 implements openat2(2). */
long sys_openat2(struct task *t, const struct sys_args *a)
{
	uint64_t usize = a->a[3];
	if (usize < LINUX_OPEN_HOW_SIZE_VER0)
		return -EINVAL;
	if (usize > PAGE_SIZE)
		return -E2BIG;
	struct linux_open_how how;
	int err = copy_struct_in(t, &how, sizeof(how), a->a[2], usize);
	if (err < 0)
		return err;
	/* O_LARGEFILE is implied on 64-bit, except for O_PATH. */
	if (!(how.flags & LINUX_O_PATH))
		how.flags |= LINUX_O_LARGEFILE;
	struct open_req req;
	err = build_open_flags(&how, &req);
	if (err < 0)
		return err;
	return do_open(t, arg_int(a->a[0]), a->a[1], &req);
}

/* ---- Names: mkdir, mknod, rmdir, unlink, rename, link, symlink, readlink ---- */

/* A path resolved from a dirfd: the copied pathname and its context. */
struct at_path {
	char path[LINUX_PATH_MAX];
	struct vfs_ctx c;
	struct vfs_ctx_hold h;
};

/* Copies the pathname and sets up its context. Returns 0 or -errno (nothing to put). */
static int at_path_get(struct task *t, int dirfd, uaddr_t upath, bool empty_ok, unsigned lookup,
                       struct at_path *p)
{
	long n = task_copy_path(t, upath, p->path, empty_ok);
	if (n < 0)
		return (int)n;
	return task_vfs_ctx(t, dirfd, p->path, lookup, &p->c, &p->h);
}

static void at_path_put(struct at_path *p)
{
	task_vfs_ctx_put(&p->h);
}

static long do_mkdirat(struct task *t, int dirfd, uaddr_t upath, uint64_t mode)
{
	struct at_path p;
	int err = at_path_get(t, dirfd, upath, false, 0, &p);
	if (err < 0)
		return err;
	/*
	 * mode is a umode_t, of which a directory takes the permission and
	 * sticky bits (Linux's vfs_mkdir); the VFS takes off the umask.
	 */
	err = vfs_mkdir(&p.c, p.path, (uint16_t)mode & (0777 | LINUX_S_ISVTX));
	at_path_put(&p);
	return err;
}

/* sys_mkdir implements mkdir(2). */
long sys_mkdir(struct task *t, const struct sys_args *a)
{
	return do_mkdirat(t, LINUX_AT_FDCWD, a->a[0], a->a[1]);
}

/* sys_mkdirat implements mkdirat(2). */
long sys_mkdirat(struct task *t, const struct sys_args *a)
{
	return do_mkdirat(t, arg_int(a->a[0]), a->a[1], a->a[2]);
}

/* Linux's may_mknod(): the types mknod makes; 0 is a regular file. */
static int check_mknod_type(uint32_t mode)
{
	switch (mode & LINUX_S_IFMT) {
	case 0:
	case LINUX_S_IFREG:
	case LINUX_S_IFCHR:
	case LINUX_S_IFBLK:
	case LINUX_S_IFIFO:
	case LINUX_S_IFSOCK:
		return 0;
	case LINUX_S_IFDIR:
		return -EPERM;
	default:
		return -EINVAL;
	}
}

static long do_mknodat(struct task *t, int dirfd, uaddr_t upath, uint64_t umode, uint64_t udev)
{
	uint32_t mode = (uint16_t)umode;
	int err = check_mknod_type(mode);
	if (err < 0)
		return err;
	if ((mode & LINUX_S_IFMT) == 0)
		mode |= LINUX_S_IFREG;
	/* Linux's new_decode_dev() of the 32-bit dev argument. */
	uint32_t dev = (uint32_t)udev, major = 0, minor = 0;
	uint32_t type = mode & LINUX_S_IFMT;
	if (type == LINUX_S_IFCHR || type == LINUX_S_IFBLK) {
		major = (dev & 0xfff00) >> 8;
		minor = (dev & 0xff) | ((dev >> 12) & 0xfff00);
	}
	struct at_path p;
	err = at_path_get(t, dirfd, upath, false, 0, &p);
	if (err < 0)
		return err;
	err = vfs_mknod(&p.c, p.path, mode, major, minor);
	at_path_put(&p);
	return err;
}

/* sys_mknod implements mknod(2). */
long sys_mknod(struct task *t, const struct sys_args *a)
{
	return do_mknodat(t, LINUX_AT_FDCWD, a->a[0], a->a[1], a->a[2]);
}

/* sys_mknodat implements mknodat(2). */
long sys_mknodat(struct task *t, const struct sys_args *a)
{
	return do_mknodat(t, arg_int(a->a[0]), a->a[1], a->a[2], a->a[3]);
}

static long do_rmdir(struct task *t, int dirfd, uaddr_t upath)
{
	struct at_path p;
	int err = at_path_get(t, dirfd, upath, false, 0, &p);
	if (err < 0)
		return err;
	err = vfs_rmdir(&p.c, p.path);
	at_path_put(&p);
	return err;
}

static long do_unlink(struct task *t, int dirfd, uaddr_t upath)
{
	struct at_path p;
	int err = at_path_get(t, dirfd, upath, false, 0, &p);
	if (err < 0)
		return err;
	err = vfs_unlink(&p.c, p.path);
	at_path_put(&p);
	return err;
}

/* sys_rmdir implements rmdir(2). */
long sys_rmdir(struct task *t, const struct sys_args *a)
{
	return do_rmdir(t, LINUX_AT_FDCWD, a->a[0]);
}

/* sys_unlink implements unlink(2). */
long sys_unlink(struct task *t, const struct sys_args *a)
{
	return do_unlink(t, LINUX_AT_FDCWD, a->a[0]);
}

/* sys_unlinkat implements unlinkat(2). */
long sys_unlinkat(struct task *t, const struct sys_args *a)
{
	int flags = arg_int(a->a[2]);
	if (flags & ~LINUX_AT_REMOVEDIR)
		return -EINVAL;
	if (flags & LINUX_AT_REMOVEDIR)
		return do_rmdir(t, arg_int(a->a[0]), a->a[1]);
	return do_unlink(t, arg_int(a->a[0]), a->a[1]);
}

static long do_renameat2(struct task *t, int olddirfd, uaddr_t oldpath, int newdirfd,
                         uaddr_t newpath, uint64_t uflags)
{
	unsigned flags = (uint32_t)uflags;
	if (flags & ~(LINUX_RENAME_NOREPLACE | LINUX_RENAME_EXCHANGE | LINUX_RENAME_WHITEOUT))
		return -EINVAL;
	if ((flags & (LINUX_RENAME_NOREPLACE | LINUX_RENAME_WHITEOUT)) &&
	    (flags & LINUX_RENAME_EXCHANGE))
		return -EINVAL;
	/* A whiteout (for overlay's upper layers) is not made by the VFS's rename yet. */
	if (flags & LINUX_RENAME_WHITEOUT)
		return -EINVAL;
	struct at_path *p = malloc(2 * sizeof(*p));
	if (!p)
		return -ENOMEM;
	int err = at_path_get(t, olddirfd, oldpath, false, 0, &p[0]);
	if (err < 0)
		goto out_free;
	err = at_path_get(t, newdirfd, newpath, false, 0, &p[1]);
	if (err < 0)
		goto out_put_old;
	err = vfs_rename(&p[0].c, p[0].path, &p[1].c, p[1].path, flags);
	at_path_put(&p[1]);
out_put_old:
	at_path_put(&p[0]);
out_free:
	free(p);
	return err;
}

/* sys_rename implements rename(2). */
long sys_rename(struct task *t, const struct sys_args *a)
{
	return do_renameat2(t, LINUX_AT_FDCWD, a->a[0], LINUX_AT_FDCWD, a->a[1], 0);
}

/* sys_renameat implements renameat(2). */
long sys_renameat(struct task *t, const struct sys_args *a)
{
	return do_renameat2(t, arg_int(a->a[0]), a->a[1], arg_int(a->a[2]), a->a[3], 0);
}

/* sys_renameat2 implements renameat2(2). */
long sys_renameat2(struct task *t, const struct sys_args *a)
{
	return do_renameat2(t, arg_int(a->a[0]), a->a[1], arg_int(a->a[2]), a->a[3], a->a[4]);
}

static long do_linkat(struct task *t, int olddirfd, uaddr_t oldpath, int newdirfd, uaddr_t newpath,
                      int flags)
{
	if (flags & ~(LINUX_AT_SYMLINK_FOLLOW | LINUX_AT_EMPTY_PATH))
		return -EINVAL;
	unsigned lookup = 0;
	if (flags & LINUX_AT_SYMLINK_FOLLOW)
		lookup |= LOOKUP_FOLLOW;
	if (flags & LINUX_AT_EMPTY_PATH)
		lookup |= LOOKUP_EMPTY;
	struct at_path *p = malloc(2 * sizeof(*p));
	if (!p)
		return -ENOMEM;
	int err = at_path_get(t, olddirfd, oldpath, flags & LINUX_AT_EMPTY_PATH, lookup, &p[0]);
	if (err < 0)
		goto out_free;
	/*
	 * Linking the file of an fd by "" needs CAP_DAC_READ_SEARCH (Linux
	 * also lets the opener through when its creds are the caller's; the
	 * sandbox does not keep a file's open-time creds).
	 */
	if (p[0].path[0] == '\0' && !creds_capable(&t->creds, LINUX_CAP_DAC_READ_SEARCH)) {
		err = -ENOENT;
		goto out_put_old;
	}
	err = at_path_get(t, newdirfd, newpath, false, 0, &p[1]);
	if (err < 0)
		goto out_put_old;
	err = vfs_link(&p[0].c, p[0].path, &p[1].c, p[1].path, lookup);
	at_path_put(&p[1]);
out_put_old:
	at_path_put(&p[0]);
out_free:
	free(p);
	return err;
}

/* sys_link implements link(2). */
long sys_link(struct task *t, const struct sys_args *a)
{
	return do_linkat(t, LINUX_AT_FDCWD, a->a[0], LINUX_AT_FDCWD, a->a[1], 0);
}

/* sys_linkat implements linkat(2). */
long sys_linkat(struct task *t, const struct sys_args *a)
{
	return do_linkat(t, arg_int(a->a[0]), a->a[1], arg_int(a->a[2]), a->a[3], arg_int(a->a[4]));
}

static long do_symlinkat(struct task *t, uaddr_t utarget, int newdirfd, uaddr_t newpath)
{
	char target[LINUX_PATH_MAX];
	long n = task_copy_path(t, utarget, target, false);
	if (n < 0)
		return n;
	struct at_path p;
	int err = at_path_get(t, newdirfd, newpath, false, 0, &p);
	if (err < 0)
		return err;
	err = vfs_symlink(&p.c, target, p.path);
	at_path_put(&p);
	return err;
}

/* sys_symlink implements symlink(2). */
long sys_symlink(struct task *t, const struct sys_args *a)
{
	return do_symlinkat(t, a->a[0], LINUX_AT_FDCWD, a->a[1]);
}

/* sys_symlinkat implements symlinkat(2). */
long sys_symlinkat(struct task *t, const struct sys_args *a)
{
	return do_symlinkat(t, a->a[0], arg_int(a->a[1]), a->a[2]);
}

static long do_readlinkat(struct task *t, int dirfd, uaddr_t upath, uaddr_t ubuf, int bufsiz)
{
	if (bufsiz <= 0)
		return -EINVAL;
	/* "" reads the symlink that dirfd names (an O_PATH | O_NOFOLLOW fd). */
	struct at_path p;
	int err = at_path_get(t, dirfd, upath, true, LOOKUP_EMPTY, &p);
	if (err < 0)
		return err;
	char buf[LINUX_PATH_MAX];
	ssize_t n = vfs_readlink(&p.c, p.path, LOOKUP_EMPTY, buf, MIN((size_t)bufsiz, sizeof(buf)));
	/* Linux 6.x: "" naming something else than a symlink is ENOENT, not EINVAL. */
	if (n == -EINVAL && p.path[0] == '\0')
		n = -ENOENT;
	at_path_put(&p);
	if (n > 0 && mm_copy_out(t->mm, ubuf, buf, (size_t)n) < 0)
		return -EFAULT;
	return n;
}

/* sys_readlink implements readlink(2). */
long sys_readlink(struct task *t, const struct sys_args *a)
{
	return do_readlinkat(t, LINUX_AT_FDCWD, a->a[0], a->a[1], arg_int(a->a[2]));
}

/* sys_readlinkat implements readlinkat(2). */
long sys_readlinkat(struct task *t, const struct sys_args *a)
{
	return do_readlinkat(t, arg_int(a->a[0]), a->a[1], a->a[2], arg_int(a->a[3]));
}

/* ---- The task's place: chdir, fchdir, umask, chroot ---- */

/*
 * Linux's path_permission(MAY_EXEC | MAY_CHDIR) of a directory the task
 * enters. A resolved path's dentry is positive and keeps its inode while
 * the path holds it.
 */
static int check_enter(struct task *t, const struct path *p)
{
	struct inode *inode = p->d->inode;
	if (!inode_is_dir(inode))
		return -ENOTDIR;
	return vfs_permission(&t->creds, inode, MAY_EXEC);
}

/* sys_chdir implements chdir(2). */
long sys_chdir(struct task *t, const struct sys_args *a)
{
	char path[LINUX_PATH_MAX];
	long ret = task_copy_path(t, a->a[0], path, false);
	if (ret < 0)
		return ret;
	struct path p;
	ret = task_lookup(t, LINUX_AT_FDCWD, path, LOOKUP_FOLLOW | LOOKUP_DIRECTORY, &p);
	if (ret < 0)
		return ret;
	ret = check_enter(t, &p);
	if (ret == 0)
		task_set_cwd(t, &p);
	path_put(&p);
	return ret;
}

/* sys_fchdir implements fchdir(2): O_PATH directories too. */
long sys_fchdir(struct task *t, const struct sys_args *a)
{
	struct file *f = task_fd_get(t, a->a[0], /*raw=*/true);
	if (!f)
		return -EBADF;
	long ret = -ENOTDIR;
	if (file_in_vfs(f) && inode_is_dir(f->inode))
		ret = check_enter(t, &f->path);
	if (ret == 0)
		task_set_cwd(t, &f->path);
	file_put(f);
	return ret;
}

/* sys_umask implements umask(2). */
long sys_umask(struct task *t, const struct sys_args *a)
{
	struct fs_context *fs = t->fs;
	pthread_mutex_lock(&fs->mu);
	uint32_t old = fs->umask;
	fs->umask = (uint32_t)a->a[0] & 0777;
	pthread_mutex_unlock(&fs->mu);
	return old;
}

/* sys_chroot implements chroot(2): EPERM without CAP_SYS_CHROOT. */
long sys_chroot(struct task *t, const struct sys_args *a)
{
	char path[LINUX_PATH_MAX];
	long ret = task_copy_path(t, a->a[0], path, false);
	if (ret < 0)
		return ret;
	struct path p;
	ret = task_lookup(t, LINUX_AT_FDCWD, path, LOOKUP_FOLLOW | LOOKUP_DIRECTORY, &p);
	if (ret < 0)
		return ret;
	ret = check_enter(t, &p);
	if (ret == 0 && !creds_capable(&t->creds, LINUX_CAP_SYS_CHROOT))
		ret = -EPERM;
	if (ret == 0)
		task_set_root(t, &p);
	path_put(&p);
	return ret;
}

/* ---- mount, umount2 ---- */

/*
 * Linux's copy_mount_string(): NULL stays NULL; a string longer than
 * PATH_MAX is EINVAL (strndup_user). buf has LINUX_PATH_MAX bytes.
 */
static int copy_mount_string(struct task *t, uaddr_t addr, char *buf, char **out)
{
	*out = NULL;
	if (!addr)
		return 0;
	long n = mm_copy_string_in(t->mm, buf, addr, LINUX_PATH_MAX);
	if (n == -ENAMETOOLONG)
		return -EINVAL;
	if (n < 0)
		return (int)n;
	*out = buf;
	return 0;
}

/*
 * Linux's copy_mount_options(): up to a page, as much of it as can be
 * read (the options need not be a string); EFAULT when nothing can.
 * buf has PAGE_SIZE bytes; the last is made a NUL as path_mount() does.
 */
static int copy_mount_options(struct task *t, uaddr_t addr, char *buf, char **out)
{
	*out = NULL;
	if (!addr)
		return 0;
	memset(buf, 0, PAGE_SIZE);
	if (mm_copy_in_partial(t->mm, buf, addr, PAGE_SIZE) == 0)
		return -EFAULT;
	buf[PAGE_SIZE - 1] = '\0';
	*out = buf;
	return 0;
}

/* sys_mount implements mount(2): the VFS interprets the flags. */
long sys_mount(struct task *t, const struct sys_args *a)
{
	struct mount_args {
		char type[LINUX_PATH_MAX], source[LINUX_PATH_MAX], data[PAGE_SIZE];
		struct at_path target;
	} *m = malloc(sizeof(*m));
	if (!m)
		return -ENOMEM;
	char *type = NULL, *source = NULL, *data = NULL;
	int err = copy_mount_string(t, a->a[2], m->type, &type);
	if (err == 0)
		err = copy_mount_string(t, a->a[0], m->source, &source);
	if (err == 0)
		err = copy_mount_options(t, a->a[4], m->data, &data);
	if (err == 0)
		err = at_path_get(t, LINUX_AT_FDCWD, a->a[1], false, 0, &m->target);
	if (err < 0)
		goto out_free;
	unsigned long flags = a->a[3];
	/* The magic number old programs put in the high half. */
	if ((flags & LINUX_MS_MGC_MSK) == LINUX_MS_MGC_VAL)
		flags &= ~LINUX_MS_MGC_MSK;
	err = vfs_mount(&m->target.c, source, m->target.path, type, flags, data);
	at_path_put(&m->target);
out_free:
	free(m);
	return err;
}

/* sys_umount2 implements umount2(2). */
long sys_umount2(struct task *t, const struct sys_args *a)
{
	int flags = arg_int(a->a[1]);
	if (flags &
	    ~(LINUX_MNT_FORCE | LINUX_MNT_DETACH | LINUX_MNT_EXPIRE | LINUX_UMOUNT_NOFOLLOW))
		return -EINVAL;
	struct at_path p;
	int err = at_path_get(t, LINUX_AT_FDCWD, a->a[0], false, 0, &p);
	if (err < 0)
		return err;
	err = vfs_umount(&p.c, p.path, flags);
	at_path_put(&p);
	return err;
}

/* ---- fds: close_range, memfd_create ---- */

/* sys_close_range implements close_range(2). */
long sys_close_range(struct task *t, const struct sys_args *a)
{
	uint32_t first = (uint32_t)a->a[0], last = (uint32_t)a->a[1], flags = (uint32_t)a->a[2];
	if (flags & ~(uint32_t)(LINUX_CLOSE_RANGE_UNSHARE | LINUX_CLOSE_RANGE_CLOEXEC))
		return -EINVAL;
	if (first > last)
		return -EINVAL;
	/*
	 * CLOSE_RANGE_UNSHARE gives the caller a table of its own first; the
	 * sandbox has no CLONE_FILES sharing yet (issue 4), so every table is
	 * the caller's own already.
	 */
	fdtable_close_range(t->fdt, first, last, flags & LINUX_CLOSE_RANGE_CLOEXEC);
	return 0;
}

#define MFD_ALL_FLAGS                                                                              \
	(LINUX_MFD_CLOEXEC | LINUX_MFD_ALLOW_SEALING | LINUX_MFD_HUGETLB | LINUX_MFD_NOEXEC_SEAL | \
	 LINUX_MFD_EXEC)

/* sys_memfd_create implements memfd_create(2): the file is tmpfs's. */
long sys_memfd_create(struct task *t, const struct sys_args *a)
{
	unsigned flags = (uint32_t)a->a[1];
	unsigned valid = MFD_ALL_FLAGS;
	if (flags & LINUX_MFD_HUGETLB)
		valid |= LINUX_MFD_HUGE_MASK << LINUX_MFD_HUGE_SHIFT;
	if (flags & ~valid)
		return -EINVAL;
	if ((flags & LINUX_MFD_EXEC) && (flags & LINUX_MFD_NOEXEC_SEAL))
		return -EINVAL;
	/* No huge pages behind tmpfs: Linux says EINVAL without hugetlbfs. */
	if (flags & LINUX_MFD_HUGETLB)
		return -EINVAL;
	char name[LINUX_MFD_NAME_MAX + 1];
	long n = mm_copy_string_in(t->mm, name, a->a[0], sizeof(name));
	if (n == -ENAMETOOLONG)
		return -EINVAL;
	if (n < 0)
		return n;
	int fd = fdtable_reserve(t->fdt, task_nofile_limit(t));
	if (fd < 0)
		return fd;
	struct file *f = NULL;
	int err = tmpfs_memfd_create(name, flags & ~LINUX_MFD_CLOEXEC, &f);
	if (err < 0) {
		fdtable_unreserve(t->fdt, fd);
		return err;
	}
	/* The file belongs to its creator. */
	pthread_mutex_lock(&f->inode->mu);
	f->inode->uid = t->creds.fsuid;
	f->inode->gid = t->creds.fsgid;
	pthread_mutex_unlock(&f->inode->mu);
	fdtable_install_reserved(t->fdt, fd, f, flags & LINUX_MFD_CLOEXEC);
	file_put(f);
	return fd;
}
