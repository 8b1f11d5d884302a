/*
 * tmpfs directories: the inode_ops that change the tree, and directory
 * files (getdents). See tmpfs.h for the entry table and its cookies, and
 * tmpfs_impl.h for the locks: rmdir and rename, which hold several
 * directories, lock them in address order.
 *
 * A removed directory has nlink 0 and no entries; creations in it fail
 * with ENOENT (Linux's IS_DEADDIR), checked under its mutex.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/abi/linux/errno.h"
#include "common/abi/linux/stat.h"
#include "common/log.h"
#include "sentry/fsimpl/tmpfs/tmpfs_impl.h"

static bool tmpfs_is_dir(const struct tmpfs_inode *ti)
{
	return inode_is_dir(&ti->base);
}

void tmpfs_dir_init(struct tmpfs_inode *dir)
{
	dir->dir.names = RB_ROOT;
	dir->dir.cookies = RB_ROOT;
	dir->dir.next_cookie = TMPFS_FIRST_COOKIE;
	dir->dir.count = 0;
	/* "Some things misbehave if size == 0 on a directory" (shmem_get_inode). */
	dir->base.size = 2 * TMPFS_DIRENT_SIZE;
}

/* ---- The entry table. Preconditions of each: the directory's mu held. ---- */

static struct tmpfs_dirent *tmpfs_dirent_new(const char *name)
{
	size_t len = strlen(name);
	struct tmpfs_dirent *e = malloc(sizeof(*e) + len + 1);
	if (e) {
		memcpy(e->name, name, len + 1);
		e->inode = NULL;
	}
	return e;
}

static struct tmpfs_dirent *tmpfs_dir_find(struct tmpfs_inode *dir, const char *name)
{
	struct rb_node *n = dir->dir.names.node;
	while (n) {
		struct tmpfs_dirent *e = rb_entry(n, struct tmpfs_dirent, by_name);
		int c = strcmp(name, e->name);
		if (c == 0)
			return e;
		n = c < 0 ? n->left : n->right;
	}
	return NULL;
}

/* Adds e (whose name is not in dir) with the next cookie. */
static void tmpfs_dir_insert(struct tmpfs_inode *dir, struct tmpfs_dirent *e)
{
	struct rb_node **link = &dir->dir.names.node, *parent = NULL;
	while (*link) {
		parent = *link;
		struct tmpfs_dirent *other = rb_entry(parent, struct tmpfs_dirent, by_name);
		link = strcmp(e->name, other->name) < 0 ? &parent->left : &parent->right;
	}
	rb_link_node(&e->by_name, parent, link);
	rb_insert_fixup(&dir->dir.names, &e->by_name);

	/* The newest cookie is the largest: its place is the rightmost. */
	e->cookie = dir->dir.next_cookie++;
	link = &dir->dir.cookies.node;
	parent = NULL;
	while (*link) {
		parent = *link;
		link = &parent->right;
	}
	rb_link_node(&e->by_cookie, parent, link);
	rb_insert_fixup(&dir->dir.cookies, &e->by_cookie);

	dir->dir.count++;
	dir->base.size += TMPFS_DIRENT_SIZE;
}

static void tmpfs_dir_remove(struct tmpfs_inode *dir, struct tmpfs_dirent *e)
{
	rb_erase(&dir->dir.names, &e->by_name);
	rb_erase(&dir->dir.cookies, &e->by_cookie);
	dir->dir.count--;
	dir->base.size -= TMPFS_DIRENT_SIZE;
}

/* The first entry whose cookie is at least pos, or NULL. */
static struct rb_node *tmpfs_dir_seek(struct tmpfs_inode *dir, int64_t pos)
{
	struct rb_node *n = dir->dir.cookies.node, *best = NULL;
	while (n) {
		struct tmpfs_dirent *e = rb_entry(n, struct tmpfs_dirent, by_cookie);
		if (pos < 0 || e->cookie >= (uint64_t)pos) {
			best = n;
			n = n->left;
		} else {
			n = n->right;
		}
	}
	return best;
}

/*
 * Takes one link away from a non-directory: an extra hard link gives
 * back the inode it took (shmem_unlink). Preconditions: ti's mu held.
 */
static void tmpfs_drop_link_locked(struct tmpfs_inode *ti)
{
	if (ti->base.nlink > 1)
		tmpfs_unreserve_inode(tmpfs_sb_of_inode(ti));
	if (ti->base.nlink > 0)
		ti->base.nlink--;
	tmpfs_touch_locked(ti, false);
}

/* ---- inode_ops ---- */

static int tmpfs_lookup(struct inode *dir_inode, const char *name, struct inode **out)
{
	struct tmpfs_inode *dir = tmpfs_inode_of(dir_inode);
	int r = -ENOENT;

	pthread_mutex_lock(&dir->base.mu);
	struct tmpfs_dirent *e = tmpfs_dir_find(dir, name);
	if (e) {
		*out = inode_get(&e->inode->base);
		r = 0;
	}
	pthread_mutex_unlock(&dir->base.mu);
	return r;
}

/*
 * Gives child (whose reference it consumes) the name in dir. Returns 0
 * and a new reference in *out, or -errno (the child is then put).
 */
static int tmpfs_dir_add(struct tmpfs_inode *dir, const char *name, struct tmpfs_inode *child,
                         struct inode **out)
{
	struct tmpfs_dirent *e = tmpfs_dirent_new(name);
	int r = 0;

	if (!e) {
		r = -ENOMEM;
		goto out_put_child;
	}
	pthread_mutex_lock(&dir->base.mu);
	if (dir->base.nlink == 0)
		r = -ENOENT;
	else if (tmpfs_dir_find(dir, name))
		r = -EEXIST;
	if (r != 0) {
		pthread_mutex_unlock(&dir->base.mu);
		free(e);
		goto out_put_child;
	}
	e->inode = child;
	*out = inode_get(&child->base);
	if (tmpfs_is_dir(child))
		dir->base.nlink++;
	tmpfs_dir_insert(dir, e);
	tmpfs_touch_locked(dir, true);
	pthread_mutex_unlock(&dir->base.mu);
	return 0;

out_put_child:
	inode_put(&child->base);
	return r;
}

/* A new inode of type type with nn's permission bits and owner, named name in dir. */
static int tmpfs_make(struct inode *dir, const char *name, uint32_t type,
                      const struct vfs_newnode *nn, struct inode **out)
{
	struct vfs_newnode n = *nn;
	n.mode = type | (nn->mode & LINUX_S_IALLUGO);
	struct tmpfs_inode *child;
	int r = tmpfs_inode_new(tmpfs_sb_of(dir->sb), &n, &child);
	if (r != 0)
		return r;
	return tmpfs_dir_add(tmpfs_inode_of(dir), name, child, out);
}

static int tmpfs_create(struct inode *dir, const char *name, const struct vfs_newnode *nn,
                        struct inode **out)
{
	return tmpfs_make(dir, name, LINUX_S_IFREG, nn, out);
}

static int tmpfs_mkdir(struct inode *dir, const char *name, const struct vfs_newnode *nn,
                       struct inode **out)
{
	return tmpfs_make(dir, name, LINUX_S_IFDIR, nn, out);
}

static int tmpfs_mknod(struct inode *dir, const char *name, const struct vfs_newnode *nn,
                       struct inode **out)
{
	uint32_t type = nn->mode & LINUX_S_IFMT;
	switch (type) {
	case 0:
		type = LINUX_S_IFREG;
		break;
	case LINUX_S_IFREG:
	case LINUX_S_IFCHR:
	case LINUX_S_IFBLK:
	case LINUX_S_IFIFO:
	case LINUX_S_IFSOCK:
		break;
	default:
		return -EINVAL;
	}
	return tmpfs_make(dir, name, type, nn, out);
}

static int tmpfs_symlink(struct inode *dir, const char *name, const char *target,
                         const struct vfs_newnode *nn, struct inode **out)
{
	size_t len = strlen(target);
	if (len + 1 > PAGE_SIZE)
		return -ENAMETOOLONG; /* shmem_symlink: the target fits a page */

	struct tmpfs_sb *ts = tmpfs_sb_of(dir->sb);
	struct vfs_newnode n = *nn;
	n.mode = LINUX_S_IFLNK | 0777;
	struct tmpfs_inode *child;
	int r = tmpfs_inode_new(ts, &n, &child);
	if (r != 0)
		return r;
	child->symlink.target = strdup(target);
	if (!child->symlink.target) {
		inode_put(&child->base);
		return -ENOMEM;
	}
	child->symlink.len = len;
	child->base.size = (int64_t)len;
	/* A long target takes a page of its own, charged to the size limit. */
	if (len + 1 > TMPFS_SHORT_SYMLINK) {
		if (tmpfs_reserve_bytes(ts, PAGE_SIZE, /*partial=*/false) == 0) {
			inode_put(&child->base);
			return -ENOSPC;
		}
		child->symlink.charged = true;
		child->base.blocks = PAGE_SIZE / 512;
	}
	return tmpfs_dir_add(tmpfs_inode_of(dir), name, child, out);
}

static int tmpfs_link(struct inode *dir_inode, const char *name, struct inode *target_inode)
{
	struct tmpfs_inode *dir = tmpfs_inode_of(dir_inode);
	struct tmpfs_inode *target = tmpfs_inode_of(target_inode);
	struct tmpfs_dirent *e = tmpfs_dirent_new(name);
	int r = 0;

	if (!e)
		return -ENOMEM;
	pthread_mutex_lock(&dir->base.mu);
	if (dir->base.nlink == 0) {
		r = -ENOENT;
		goto out_unlock;
	}
	if (tmpfs_dir_find(dir, name)) {
		r = -EEXIST;
		goto out_unlock;
	}
	pthread_mutex_lock(&target->base.mu);
	/* Each extra hard link takes one of nr_inodes (shmem_link). */
	if (target->base.nlink > 0)
		r = tmpfs_reserve_inode(tmpfs_sb_of(dir->base.sb));
	if (r == 0) {
		target->base.nlink++;
		tmpfs_touch_locked(target, false);
	}
	pthread_mutex_unlock(&target->base.mu);
	if (r != 0)
		goto out_unlock;
	e->inode = tmpfs_inode_of(inode_get(target_inode));
	tmpfs_dir_insert(dir, e);
	tmpfs_touch_locked(dir, true);
	e = NULL;

out_unlock:
	pthread_mutex_unlock(&dir->base.mu);
	free(e);
	return r;
}

static int tmpfs_unlink(struct inode *dir_inode, const char *name, struct inode *victim)
{
	struct tmpfs_inode *dir = tmpfs_inode_of(dir_inode);

	pthread_mutex_lock(&dir->base.mu);
	struct tmpfs_dirent *e = tmpfs_dir_find(dir, name);
	if (!e || e->inode != tmpfs_inode_of(victim) || tmpfs_is_dir(e->inode)) {
		pthread_mutex_unlock(&dir->base.mu);
		return e && tmpfs_is_dir(e->inode) ? -EISDIR : -ENOENT;
	}
	struct tmpfs_inode *v = e->inode;
	pthread_mutex_lock(&v->base.mu);
	tmpfs_drop_link_locked(v);
	pthread_mutex_unlock(&v->base.mu);
	tmpfs_dir_remove(dir, e);
	tmpfs_touch_locked(dir, true);
	pthread_mutex_unlock(&dir->base.mu);

	inode_put(&v->base);
	free(e);
	return 0;
}

/*
 * The directories of a change, locked in address order (duplicates and
 * NULLs skipped).
 */
struct tmpfs_dir_locks {
	struct tmpfs_inode *dirs[4];
	int count;
};

static void tmpfs_lock_dirs(struct tmpfs_dir_locks *l, struct tmpfs_inode *a, struct tmpfs_inode *b,
                            struct tmpfs_inode *c, struct tmpfs_inode *d)
{
	struct tmpfs_inode *in[4] = { a, b, c, d };

	l->count = 0;
	for (int i = 0; i < 4; i++) {
		struct tmpfs_inode *x = in[i];
		bool dup = !x || !tmpfs_is_dir(x);
		for (int j = 0; j < l->count && !dup; j++)
			dup = l->dirs[j] == x;
		if (dup)
			continue;
		int j = l->count++;
		for (; j > 0 && (uintptr_t)l->dirs[j - 1] > (uintptr_t)x; j--)
			l->dirs[j] = l->dirs[j - 1];
		l->dirs[j] = x;
	}
	for (int i = 0; i < l->count; i++)
		pthread_mutex_lock(&l->dirs[i]->base.mu);
}

static void tmpfs_unlock_dirs(struct tmpfs_dir_locks *l)
{
	for (int i = l->count - 1; i >= 0; i--)
		pthread_mutex_unlock(&l->dirs[i]->base.mu);
}

static int tmpfs_rmdir(struct inode *dir_inode, const char *name, struct inode *victim)
{
	struct tmpfs_inode *dir = tmpfs_inode_of(dir_inode), *v = tmpfs_inode_of(victim);
	struct tmpfs_dir_locks l;
	int r = 0;

	if (!inode_is_dir(victim))
		return -ENOTDIR;
	tmpfs_lock_dirs(&l, dir, v, NULL, NULL);
	struct tmpfs_dirent *e = tmpfs_dir_find(dir, name);
	if (!e || e->inode != v)
		r = -ENOENT; /* the VFS's view is stale: cannot happen under g_tree_lock */
	else if (v->dir.count > 0)
		r = -ENOTEMPTY;
	if (r == 0) {
		v->base.nlink = 0;
		tmpfs_touch_locked(v, false);
		tmpfs_dir_remove(dir, e);
		dir->base.nlink--;
		tmpfs_touch_locked(dir, true);
	}
	tmpfs_unlock_dirs(&l);
	if (r == 0) {
		inode_put(&v->base);
		free(e);
	}
	return r;
}

/* A directory child moves from from to to: the ".." link follows it. Preconditions: both locked. */
static void tmpfs_move_dir_link(struct tmpfs_inode *child, struct tmpfs_inode *from,
                                struct tmpfs_inode *to)
{
	if (!tmpfs_is_dir(child) || from == to)
		return;
	from->base.nlink--;
	to->base.nlink++;
}

/* Sets ctime of an inode renamed or exchanged: its directory mutex is held, else its own taken. */
static void tmpfs_touch_renamed(struct tmpfs_inode *ti)
{
	if (tmpfs_is_dir(ti)) {
		tmpfs_touch_locked(ti, false);
	} else {
		pthread_mutex_lock(&ti->base.mu);
		tmpfs_touch_locked(ti, false);
		pthread_mutex_unlock(&ti->base.mu);
	}
}

/*
 * Removes the target te of a rename from nd: a directory must be empty.
 * Returns 0 or -ENOTEMPTY. Preconditions: nd and a directory te locked.
 */
static int tmpfs_replace_locked(struct tmpfs_inode *nd, struct tmpfs_dirent *te)
{
	struct tmpfs_inode *v = te->inode;

	if (tmpfs_is_dir(v)) {
		if (v->dir.count > 0)
			return -ENOTEMPTY;
		v->base.nlink = 0;
		tmpfs_touch_locked(v, false);
		nd->base.nlink--;
	} else {
		pthread_mutex_lock(&v->base.mu);
		tmpfs_drop_link_locked(v);
		pthread_mutex_unlock(&v->base.mu);
	}
	tmpfs_dir_remove(nd, te);
	return 0;
}

static int tmpfs_rename(struct inode *olddir, const char *oldname, struct inode *newdir,
                        const char *newname, unsigned flags, struct inode *src_inode,
                        struct inode *dst_inode)
{
	struct tmpfs_inode *od = tmpfs_inode_of(olddir), *nd = tmpfs_inode_of(newdir);
	struct tmpfs_inode *src = tmpfs_inode_of(src_inode);
	struct tmpfs_inode *dst = dst_inode ? tmpfs_inode_of(dst_inode) : NULL;
	bool exchange = flags & LINUX_RENAME_EXCHANGE;
	struct tmpfs_dirent *ne = NULL, *oe, *te;
	struct tmpfs_dir_locks l;
	int r = 0;

	if (src == dst)
		return 0; /* two names of one file: rename(2) does nothing */
	if (!exchange) {
		ne = tmpfs_dirent_new(newname);
		if (!ne)
			return -ENOMEM;
	}
	tmpfs_lock_dirs(&l, od, nd, src, dst);
	oe = tmpfs_dir_find(od, oldname);
	te = tmpfs_dir_find(nd, newname);
	/* The VFS's view is stale: cannot happen under g_tree_lock. */
	if (!oe || oe->inode != src || (te ? te->inode : NULL) != dst || od->base.nlink == 0 ||
	    nd->base.nlink == 0) {
		r = -ENOENT;
		goto out_unlock;
	}
	if (exchange) {
		if (!te) {
			r = -ENOENT;
			goto out_unlock;
		}
		oe->inode = dst;
		te->inode = src;
		tmpfs_move_dir_link(src, od, nd);
		tmpfs_move_dir_link(dst, nd, od);
	} else {
		if (te && (flags & LINUX_RENAME_NOREPLACE)) {
			r = -EEXIST;
			goto out_unlock;
		}
		if (te) {
			r = tmpfs_replace_locked(nd, te);
			if (r != 0)
				goto out_unlock;
		}
		/* The entry moves under its new name with a new cookie, as a new entry would. */
		tmpfs_dir_remove(od, oe);
		ne->inode = src;
		tmpfs_dir_insert(nd, ne);
		ne = NULL;
		tmpfs_move_dir_link(src, od, nd);
	}
	tmpfs_touch_locked(od, true);
	if (nd != od)
		tmpfs_touch_locked(nd, true);
	tmpfs_touch_renamed(src);
	if (exchange)
		tmpfs_touch_renamed(dst);

out_unlock:
	tmpfs_unlock_dirs(&l);
	free(ne);
	if (r == 0 && !exchange) {
		free(oe);
		if (te) {
			inode_put(&te->inode->base);
			free(te);
		}
	}
	return r;
}

static int tmpfs_tmpfile(struct inode *dir, const struct vfs_newnode *nn, struct inode **out)
{
	struct vfs_newnode n = *nn;
	n.mode = LINUX_S_IFREG | (nn->mode & LINUX_S_IALLUGO);
	struct tmpfs_inode *ti;
	int r = tmpfs_inode_new(tmpfs_sb_of(dir->sb), &n, &ti);
	if (r != 0)
		return r;
	ti->base.nlink = 0; /* no name until linkat(2) gives it one */
	*out = &ti->base;
	return 0;
}

const struct inode_ops tmpfs_dir_inode_ops = {
	.lookup = tmpfs_lookup,
	.create = tmpfs_create,
	.mkdir = tmpfs_mkdir,
	.mknod = tmpfs_mknod,
	.symlink = tmpfs_symlink,
	.link = tmpfs_link,
	.unlink = tmpfs_unlink,
	.rmdir = tmpfs_rmdir,
	.rename = tmpfs_rename,
	.tmpfile = tmpfs_tmpfile,
	.setattr = tmpfs_setattr,
	.open = tmpfs_open,
	.getxattr = tmpfs_getxattr,
	.setxattr = tmpfs_setxattr,
	.listxattr = tmpfs_listxattr,
	.removexattr = tmpfs_removexattr,
	.release = tmpfs_inode_release,
};

void tmpfs_dir_teardown(struct tmpfs_inode *top)
{
	struct tmpfs_inode *work = top;

	top->dir.teardown_next = NULL;
	while (work) {
		struct tmpfs_inode *d = work;
		work = d->dir.teardown_next;
		struct rb_node *n = rb_first_postorder(&d->dir.names);
		while (n) {
			struct tmpfs_dirent *e = rb_entry(n, struct tmpfs_dirent, by_name);
			n = rb_next_postorder(n);
			if (tmpfs_is_dir(e->inode)) {
				/* The entry's reference moves to the work list. */
				e->inode->dir.teardown_next = work;
				work = e->inode;
			} else {
				inode_put(&e->inode->base);
			}
			free(e);
		}
		d->dir.names = RB_ROOT;
		d->dir.cookies = RB_ROOT;
		d->dir.count = 0;
		if (d != top)
			inode_put(&d->base); /* empty now: its release recurses no further */
	}
}

/* ---- Directory files ---- */

static int tmpfs_dir_iterate(struct file *f, struct dir_ctx *ctx)
{
	struct tmpfs_inode *dir = tmpfs_inode_of(f->inode);

	if (!vfs_dir_emit_dots(f, ctx))
		return 0;
	pthread_mutex_lock(&dir->base.mu);
	for (struct rb_node *n = tmpfs_dir_seek(dir, ctx->pos); n; n = rb_next(n)) {
		struct tmpfs_dirent *e = rb_entry(n, struct tmpfs_dirent, by_cookie);
		const struct inode *child = &e->inode->base;
		unsigned type = (child->mode & LINUX_S_IFMT) >> 12; /* DT_* as Linux's S_DT */
		if (!ctx->emit(ctx, e->name, strlen(e->name), child->ino, type))
			break;
		ctx->pos = (int64_t)(e->cookie + 1);
	}
	pthread_mutex_unlock(&dir->base.mu);
	return 0;
}

const struct file_ops tmpfs_dir_file_ops = {
	.llseek = vfs_generic_llseek, /* cookies: SEEK_SET and SEEK_CUR */
	.iterate = tmpfs_dir_iterate,
	.release = tmpfs_file_release,
};
