/*
 * proc: /proc/PID/fd/ (magic links to the open files) and fdinfo/ (Linux's
 * fs/proc/fd.c).
 *
 * Files on an anonymous inode (eventfd, epoll, timerfd, signalfd, pidfd)
 * read as "anon_inode:[NAME]", as on Linux. Other files outside the VFS
 * (the host fds the sandbox inherits: stdio that is a pipe, a socket or a
 * terminal, the sentry's pipes and sockets) have no path. Their links read as Linux
 * writes unnamed files, "pipe:[INO]" and "socket:[INO]" from the host
 * fd's fstat, and anything else (a terminal, a host file) as
 * "host:[INO]", the name gVisor gives imported host fds: "/dev/pts/N"
 * would name a device the sandbox does not have. Following such a link
 * fails with ENXIO (what Linux answers for a socket): the VFS can only
 * jump to a path, and these have none.
 */
#include "sentry/fsimpl/kernfs/proc_internal.h"

#include <stdio.h>
#include <stdlib.h>

#include "common/abi/linux/errno.h"
#include "sentry/kernel/fdtable.h"
#include "sentry/vfs/file.h"

static int key_fd(const struct kernfs_inode *ki)
{
	return (int)ki->key.id[PROC_KEY_FD];
}

/* What fd_lookup found: all references, for the caller to drop. */
struct fd_ref {
	struct file *file;
	bool cloexec;
	uint32_t uid, gid; /* the task's */
	struct path root;  /* the reader's root, when asked for */
};

static void fd_ref_put(struct fd_ref *r)
{
	if (r->file)
		file_put(r->file);
	path_put(&r->root);
}

/*
 * The file at fd in ki's task. check: apply proc_may_access (-EACCES);
 * want_root: also take the reader's root. Returns 0, -ENOENT (no task or
 * no such fd) or -EACCES.
 */
static int fd_lookup(struct kernfs_inode *ki, int fd, bool check, bool want_root,
                     struct fd_ref *out)
{
	*out = (struct fd_ref){ .root = { NULL, NULL } };
	struct task *t = proc_lock_task(ki);
	if (!t)
		return -ENOENT;
	int err = check ? proc_may_access(t) : 0;
	struct fdtable *fdt = NULL;
	if (err == 0) {
		out->uid = t->creds.euid;
		out->gid = t->creds.egid;
		fdt = t->fdt ? fdtable_get(t->fdt) : NULL;
		if (want_root)
			proc_reader_root_locked(t, &out->root);
	}
	proc_unlock();
	if (err < 0)
		return err;
	if (fdt) {
		out->file = fdtable_lookup(fdt, fd, &out->cloexec);
		fdtable_put(fdt);
	}
	if (!out->file) {
		fd_ref_put(out);
		return -ENOENT;
	}
	return 0;
}

/* ---- fd/N ---- */

/* Linux's proc_fd_link mode: r-x for reading, -wx for writing, by the owner only. */
static int proc_fd_attr(struct kernfs_inode *ki, struct kernfs_attr *a)
{
	struct fd_ref r;
	int err = fd_lookup(ki, key_fd(ki), /*check=*/false, /*want_root=*/false, &r);
	if (err < 0)
		return err;
	a->mode = 0;
	if (file_readable(r.file))
		a->mode |= 0500;
	if (file_writable(r.file))
		a->mode |= 0300;
	a->uid = r.uid;
	a->gid = r.gid;
	a->size = 64;
	fd_ref_put(&r);
	return 0;
}

static int proc_fd_readlink(struct kernfs_inode *ki, struct kernfs_buf *b)
{
	struct fd_ref r;
	int err = fd_lookup(ki, key_fd(ki), /*check=*/true, /*want_root=*/true, &r);
	if (err < 0)
		return err;
	struct file *f = r.file;
	if (f->path.d) {
		err = proc_path_text(&f->path, &r.root, b);
	} else if (f->ops->anon_name) {
		kernfs_printf(b, "anon_inode:%s", f->ops->anon_name);
	} else {
		struct linux_stat st = { 0 };
		if (f->ops->stat)
			f->ops->stat(f, &st);
		const char *kind = "host";
		if ((st.mode & LINUX_S_IFMT) == LINUX_S_IFIFO)
			kind = "pipe";
		else if ((st.mode & LINUX_S_IFMT) == LINUX_S_IFSOCK)
			kind = "socket";
		kernfs_printf(b, "%s:[%llu]", kind, (unsigned long long)st.ino);
	}
	fd_ref_put(&r);
	return err;
}

static int proc_fd_follow(struct kernfs_inode *ki, struct mount **out_mnt, struct dentry **out_d)
{
	struct fd_ref r;
	int err = fd_lookup(ki, key_fd(ki), /*check=*/true, /*want_root=*/false, &r);
	if (err < 0)
		return err;
	struct file *f = r.file;
	if (f->path.d && f->path.mnt) {
		path_get(&f->path);
		*out_mnt = f->path.mnt;
		*out_d = f->path.d;
	} else {
		err = -ENXIO;
	}
	fd_ref_put(&r);
	return err;
}

/* An open file without a path that can be opened again (a pipe): the file itself. */
static int proc_fd_follow_file(struct kernfs_inode *ki, struct file **out)
{
	struct fd_ref r;
	int err = fd_lookup(ki, key_fd(ki), /*check=*/true, /*want_root=*/false, &r);
	if (err < 0)
		return err;
	struct file *f = r.file;
	if (!f->path.d && f->ops->reopen) {
		*out = file_get(f);
	} else {
		err = -ENOENT;
	}
	fd_ref_put(&r);
	return err;
}

/* ---- fdinfo/N ---- */

static int proc_fdinfo_attr(struct kernfs_inode *ki, struct kernfs_attr *a)
{
	struct fd_ref r;
	int err = fd_lookup(ki, key_fd(ki), /*check=*/false, /*want_root=*/false, &r);
	if (err < 0)
		return err;
	a->uid = r.uid;
	a->gid = r.gid;
	fd_ref_put(&r);
	return 0;
}

static int proc_fdinfo_show(struct kernfs_inode *ki, struct kernfs_buf *b)
{
	struct fd_ref r;
	int err = fd_lookup(ki, key_fd(ki), /*check=*/true, /*want_root=*/false, &r);
	if (err < 0)
		return err == -ENOENT ? -ESRCH : err;
	struct file *f = r.file;
	int64_t pos = 0;
	uint64_t ino = 0;
	if (f->inode) {
		/*
		 * Read without pos_mu, as Linux reads f_pos: vfs_read holds it
		 * across a read that may block.
		 */
		pos = __atomic_load_n(&f->pos, __ATOMIC_RELAXED);
		ino = f->inode->ino;
	} else {
		if (f->ops->llseek) {
			int64_t cur = f->ops->llseek(f, 0, /*SEEK_CUR=*/1);
			pos = cur > 0 ? cur : 0;
		}
		struct linux_stat st = { 0 };
		if (f->ops->stat && f->ops->stat(f, &st) == 0)
			ino = st.ino;
	}
	unsigned flags = atomic_load(&f->flags) | (r.cloexec ? LINUX_O_CLOEXEC : 0);
	kernfs_printf(b, "pos:\t%lld\nflags:\t0%o\n", (long long)pos, flags);
	/* A file outside the VFS is in no mount: no mnt_id line. */
	if (f->path.mnt)
		kernfs_printf(b, "mnt_id:\t%d\n", f->path.mnt->id);
	kernfs_printf(b, "ino:\t%llu\n", (unsigned long long)ino);
	fd_ref_put(&r);
	return 0;
}

/* ---- The directories ---- */

static const struct kernfs_node g_proc_fd_link = {
	.kind = KERNFS_MAGICLINK,
	.mode = 0700,
	.attr = proc_fd_attr,
	.readlink = proc_fd_readlink,
	.follow = proc_fd_follow,
	.follow_file = proc_fd_follow_file,
};

static const struct kernfs_node g_proc_fdinfo_file = {
	.kind = KERNFS_FILE,
	.mode = 0444,
	.flags = KERNFS_WRITE_EINVAL,
	.attr = proc_fdinfo_attr,
	.show = proc_fdinfo_show,
};

/* The open fds of dir's task from from on, in increasing order, into a new array. */
static int collect_fds(struct kernfs_inode *dir, uint64_t from, int **out, size_t *out_count)
{
	struct task *t = proc_lock_task(dir);
	if (!t)
		return -ENOENT;
	struct fdtable *fdt = t->fdt ? fdtable_get(t->fdt) : NULL;
	proc_unlock();
	int *fds = NULL;
	size_t n = 0;
	if (fdt) {
		pthread_mutex_lock(&fdt->mu);
		size_t cap = 0;
		for (int fd = 0; fd < fdt->size; fd++) {
			if (fdt->fds[fd].file && (uint64_t)fd >= from)
				cap++;
		}
		fds = malloc(MAX(cap, 1) * sizeof(*fds));
		for (int fd = 0; fds && fd < fdt->size; fd++) {
			if (fdt->fds[fd].file && (uint64_t)fd >= from)
				fds[n++] = fd;
		}
		pthread_mutex_unlock(&fdt->mu);
		fdtable_put(fdt);
		if (!fds)
			return -ENOMEM;
	}
	*out = fds;
	*out_count = n;
	return 0;
}

static int fd_dir_list(struct kernfs_inode *dir, uint64_t from, kernfs_emit_fn emit, void *arg,
                       const struct kernfs_node *node)
{
	int *fds;
	size_t n;
	int err = collect_fds(dir, from, &fds, &n);
	if (err < 0)
		return err;
	for (size_t i = 0; i < n; i++) {
		char name[16];
		snprintf(name, sizeof(name), "%d", fds[i]);
		if (!emit(arg, name, node, (uint64_t)fds[i]))
			break;
	}
	free(fds);
	return 0;
}

static int fd_dir_lookup(struct kernfs_inode *dir, const char *name, struct kernfs_key *key)
{
	int fd = proc_parse_int(name);
	if (fd < 0)
		return -ENOENT;
	struct fd_ref r;
	int err = fd_lookup(dir, fd, /*check=*/false, /*want_root=*/false, &r);
	if (err < 0)
		return err == -EACCES ? err : -ENOENT;
	fd_ref_put(&r);
	key->id[PROC_KEY_FD] = fd;
	return 0;
}

static int proc_fd_list(struct kernfs_inode *dir, uint64_t from, kernfs_emit_fn emit, void *arg)
{
	return fd_dir_list(dir, from, emit, arg, &g_proc_fd_link);
}

static int proc_fd_lookup(struct kernfs_inode *dir, const char *name,
                          const struct kernfs_node **node, struct kernfs_key *key)
{
	*node = &g_proc_fd_link;
	return fd_dir_lookup(dir, name, key);
}

static int proc_fdinfo_list(struct kernfs_inode *dir, uint64_t from, kernfs_emit_fn emit, void *arg)
{
	return fd_dir_list(dir, from, emit, arg, &g_proc_fdinfo_file);
}

static int proc_fdinfo_lookup(struct kernfs_inode *dir, const char *name,
                              const struct kernfs_node **node, struct kernfs_key *key)
{
	*node = &g_proc_fdinfo_file;
	return fd_dir_lookup(dir, name, key);
}

const struct kernfs_dyn_ops g_proc_fd_dyn = {
	.list = proc_fd_list,
	.lookup = proc_fd_lookup,
};

const struct kernfs_dyn_ops g_proc_fdinfo_dyn = {
	.list = proc_fdinfo_list,
	.lookup = proc_fdinfo_lookup,
};
