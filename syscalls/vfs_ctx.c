/* A task's view of the VFS for the file calls: see vfs_ctx.h. */
#include "syscalls/vfs_ctx.h"

#include <errno.h>
#include <pthread.h>

#include "sentry/kernel/fdtable.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"

long task_copy_path(struct task *t, uaddr_t addr, char *buf, bool empty_ok)
{
	long n = mm_copy_string_in(t->mm, buf, addr, LINUX_PATH_MAX);
	if (n == 0 && !empty_ok)
		return -ENOENT;
	return n;
}

struct file *task_fd_get(struct task *t, uint64_t fd, bool raw)
{
	int n = arg_int(fd);
	if (n < 0)
		return NULL;
	struct file *f = fdtable_lookup(t->fdt, n, NULL);
	if (f && !raw && (atomic_load(&f->flags) & LINUX_O_PATH)) {
		file_put(f);
		return NULL;
	}
	return f;
}

int task_vfs_ctx(struct task *t, int dirfd, const char *path, unsigned lookup, struct vfs_ctx *out,
                 struct vfs_ctx_hold *hold)
{
	*hold = (struct vfs_ctx_hold){ 0 };
	/* Linux's path_init: an absolute path never looks at dirfd. */
	bool absolute = path[0] == '/' && !(lookup & LOOKUP_IN_ROOT);
	if (!absolute && dirfd != LINUX_AT_FDCWD) {
		struct file *f = task_fd_get(t, (uint32_t)dirfd, /*raw=*/true);
		if (!f)
			return -EBADF;
		if (path[0] != '\0' && !(f->inode && inode_is_dir(f->inode))) {
			file_put(f);
			return -ENOTDIR;
		}
		if (!file_in_vfs(f)) {
			/*
			 * "" with AT_EMPTY_PATH names a file outside the VFS (a
			 * host file): it has no path to resolve. The calls that
			 * can work on the file itself (fstatat) do so before.
			 */
			file_put(f);
			return -EOPNOTSUPP;
		}
		hold->dir = f;
	}
	struct fs_context *fs = t->fs;
	fs_context_paths(fs, &hold->root, &hold->cwd);
	pthread_mutex_lock(&fs->mu);
	out->umask = fs->umask;
	pthread_mutex_unlock(&fs->mu);
	out->creds = &t->creds;
	out->root = hold->root;
	out->start = hold->dir ? hold->dir->path : hold->cwd;
	return 0;
}

void task_vfs_ctx_put(struct vfs_ctx_hold *hold)
{
	path_put(&hold->root);
	path_put(&hold->cwd);
	if (hold->dir)
		file_put(hold->dir);
	hold->dir = NULL;
}

int task_lookup(struct task *t, int dirfd, const char *path, unsigned lookup, struct path *out)
{
	struct vfs_ctx c;
	struct vfs_ctx_hold h;
	int err = task_vfs_ctx(t, dirfd, path, lookup, &c, &h);
	if (err < 0)
		return err;
	err = vfs_lookup(&c, path, lookup, out);
	task_vfs_ctx_put(&h);
	return err;
}

int file_statx(struct file *f, struct linux_statx *out)
{
	int err = vfs_file_getattr(f, out);
	if (err != -EOPNOTSUPP || f->inode || !f->ops->stat)
		return err;
	struct linux_stat st;
	err = f->ops->stat(f, &st);
	if (err < 0)
		return err;
	/* The host's dev_t, split as glibc's major() and minor() do. */
	*out = (struct linux_statx){
		.mask = LINUX_STATX_BASIC_STATS,
		.blksize = (uint32_t)st.blksize,
		.nlink = (uint32_t)st.nlink,
		.uid = st.uid,
		.gid = st.gid,
		.mode = (uint16_t)st.mode,
		.ino = st.ino,
		.size = (uint64_t)st.size,
		.blocks = (uint64_t)st.blocks,
		.atime = { st.atime_sec, (uint32_t)st.atime_nsec, 0 },
		.ctime = { st.ctime_sec, (uint32_t)st.ctime_nsec, 0 },
		.mtime = { st.mtime_sec, (uint32_t)st.mtime_nsec, 0 },
		.rdev_major = (uint32_t)(((st.rdev >> 8) & 0xfff) | ((st.rdev >> 32) & ~0xfffULL)),
		.rdev_minor = (uint32_t)((st.rdev & 0xff) | ((st.rdev >> 12) & ~0xffULL)),
		.dev_major = (uint32_t)(((st.dev >> 8) & 0xfff) | ((st.dev >> 32) & ~0xfffULL)),
		.dev_minor = (uint32_t)((st.dev & 0xff) | ((st.dev >> 12) & ~0xffULL)),
	};
	return 0;
}

/* Swaps *slot (cwd or root of fs) for p. */
static void fs_replace(struct fs_context *fs, struct path *slot, const struct path *p)
{
	path_get(p);
	pthread_mutex_lock(&fs->mu);
	struct path old = *slot;
	*slot = *p;
	pthread_mutex_unlock(&fs->mu);
	path_put(&old);
}

void task_set_cwd(struct task *t, const struct path *p)
{
	fs_replace(t->fs, &t->fs->cwd, p);
}

void task_set_root(struct task *t, const struct path *p)
{
	fs_replace(t->fs, &t->fs->root, p);
}
