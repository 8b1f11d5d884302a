/*
 * The VFS operations on paths: creation, removal, rename, links,
 * attributes, xattrs and mounts, each with Linux's generic checks in
 * Linux's order (fs/namei.c, fs/attr.c, fs/xattr.c, fs/namespace.c)
 * before the file system's op is called.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "sentry/vfs/file.h"
#include "sentry/vfs/fsnotify.h"
#include "sentry/vfs/vfs_internal.h"

pthread_rwlock_t g_tree_lock = PTHREAD_RWLOCK_INITIALIZER;

bool path_rdonly(const struct path *p)
{
	return (p->mnt->flags & MNT_RDONLY) || (p->d->sb->flags & SB_RDONLY);
}

static uint32_t inode_mode(struct inode *i)
{
	pthread_mutex_lock(&i->mu);
	uint32_t m = i->mode;
	pthread_mutex_unlock(&i->mu);
	return m;
}

static uint32_t inode_uid(struct inode *i)
{
	pthread_mutex_lock(&i->mu);
	uint32_t u = i->uid;
	pthread_mutex_unlock(&i->mu);
	return u;
}

/* Owner of the inode, or privileged (CAP_FOWNER). */
static bool is_owner(const struct creds *c, struct inode *i)
{
	return c->fsuid == inode_uid(i) || creds_capable(c, LINUX_CAP_FOWNER);
}

/*
 * The name looked up in the parent for a change: the dentry (positive or
 * negative, a new reference). Preconditions: g_tree_lock held for writing.
 */
static int lookup_locked(struct dentry *dir, const char *name, struct dentry **out)
{
	struct dentry *d = dcache_lookup(dir, name);
	if (d) {
		*out = d;
		return 0;
	}
	struct inode *inode = dir->inode;
	struct inode *child = NULL;
	int err = inode->ops->lookup ? inode->ops->lookup(inode, name, &child) : -ENOENT;
	if (err < 0 && err != -ENOENT)
		return err;
	d = dcache_add(dir, name, err == -ENOENT ? NULL : child, false);
	if (!d)
		return -ENOMEM;
	*out = d;
	return 0;
}

/* may_delete: write and search on the directory, and the sticky bit's rule. */
static int may_delete(const struct creds *c, struct inode *dir, struct inode *victim)
{
	int err = vfs_permission(c, dir, MAY_WRITE | MAY_EXEC);
	if (err < 0)
		return err;
	if ((inode_mode(dir) & LINUX_S_ISVTX) && !creds_capable(c, LINUX_CAP_FOWNER) &&
	    c->fsuid != inode_uid(victim) && c->fsuid != inode_uid(dir))
		return -EPERM;
	return 0;
}

void new_owner(const struct vfs_ctx *c, struct inode *dir, struct vfs_newnode *nn)
{
	nn->uid = c->creds->fsuid;
	pthread_mutex_lock(&dir->mu);
	bool sgid = dir->mode & LINUX_S_ISGID;
	nn->gid = sgid ? dir->gid : c->creds->fsgid;
	pthread_mutex_unlock(&dir->mu);
	if (sgid && (nn->mode & LINUX_S_IFMT) == LINUX_S_IFDIR)
		nn->mode |= LINUX_S_ISGID;
}

enum create_kind { CREATE_NODE, CREATE_DIR, CREATE_SYMLINK };

/* mknod, mkdir and symlink: Linux's filename_create + may_create, then the fs. */
static int create_common(const struct vfs_ctx *c, const char *path, enum create_kind kind,
                         uint32_t mode, uint32_t major, uint32_t minor, const char *target,
                         struct path *out)
{
	struct path parent;
	char last[LINUX_NAME_MAX + 1];
	enum vfs_last_type type;
	bool slash;
	int err = vfs_lookup_parent(c, path, 0, &parent, last, &type, &slash);
	if (err < 0)
		return err;
	if (type != LAST_NORM) {
		err = -EEXIST;
		goto out_put_parent;
	}
	if (path_rdonly(&parent)) {
		err = -EROFS;
		goto out_put_parent;
	}
	struct inode *dir = parent.d->inode;
	pthread_rwlock_wrlock(&g_tree_lock);
	struct dentry *d;
	err = lookup_locked(parent.d, last, &d);
	if (err < 0)
		goto out_unlock;
	if (d->inode) {
		err = -EEXIST;
		goto out_put_d;
	}
	if (slash && kind != CREATE_DIR) {
		err = -ENOENT;
		goto out_put_d;
	}
	if (dentry_unlinked(parent.d)) {
		err = -ENOENT;
		goto out_put_d;
	}
	err = vfs_permission(c->creds, dir, MAY_WRITE | MAY_EXEC);
	if (err < 0)
		goto out_put_d;
	/* Device nodes need CAP_MKNOD; overlayfs's whiteout (char 0:0) does not. */
	uint32_t ftype = mode & LINUX_S_IFMT;
	if (kind == CREATE_NODE && (ftype == LINUX_S_IFCHR || ftype == LINUX_S_IFBLK) &&
	    !(ftype == LINUX_S_IFCHR && major == 0 && minor == 0) &&
	    !creds_capable(c->creds, LINUX_CAP_MKNOD)) {
		err = -EPERM;
		goto out_put_d;
	}
	struct vfs_newnode nn = { .rdev_major = major, .rdev_minor = minor };
	struct inode *inode = NULL;
	switch (kind) {
	case CREATE_DIR:
		/* mkdir keeps the sticky bit but never takes set-id bits from the caller. */
		nn.mode = LINUX_S_IFDIR | (mode & ~c->umask & (0777 | LINUX_S_ISVTX));
		new_owner(c, dir, &nn);
		err = dir->ops->mkdir ? dir->ops->mkdir(dir, last, &nn, &inode) : -EPERM;
		break;
	case CREATE_SYMLINK:
		nn.mode = LINUX_S_IFLNK | 0777;
		new_owner(c, dir, &nn);
		err = dir->ops->symlink ? dir->ops->symlink(dir, last, target, &nn, &inode)
		                        : -EPERM;
		break;
	case CREATE_NODE:
		nn.mode = (mode & LINUX_S_IFMT) | (mode & ~c->umask & 07777);
		new_owner(c, dir, &nn);
		if ((mode & LINUX_S_IFMT) == LINUX_S_IFREG && dir->ops->create)
			err = dir->ops->create(dir, last, &nn, &inode);
		else
			err = dir->ops->mknod ? dir->ops->mknod(dir, last, &nn, &inode) : -EPERM;
		break;
	}
	if (err == 0) {
		fsnotify_create(dir, last, kind == CREATE_DIR);
		struct dentry *nd = dcache_add(parent.d, last, inode, true);
		if (nd && out) {
			*out = (struct path){ mount_get(parent.mnt), nd };
		} else if (nd) {
			dentry_put(nd);
		} else if (out) {
			err = -ENOMEM; /* the node exists, but its caller cannot hold it */
		}
	}
out_put_d:
	dentry_put(d);
out_unlock:
	pthread_rwlock_unlock(&g_tree_lock);
out_put_parent:
	path_put(&parent);
	return err;
}

int vfs_mknod(const struct vfs_ctx *c, const char *path, uint32_t mode, uint32_t major,
              uint32_t minor)
{
	return create_common(c, path, CREATE_NODE, mode, major, minor, NULL, NULL);
}

int vfs_mknod_path(const struct vfs_ctx *c, const char *path, uint32_t mode, struct path *out)
{
	return create_common(c, path, CREATE_NODE, mode, 0, 0, NULL, out);
}

int vfs_mkdir(const struct vfs_ctx *c, const char *path, uint32_t mode)
{
	return create_common(c, path, CREATE_DIR, mode, 0, 0, NULL, NULL);
}

int vfs_symlink(const struct vfs_ctx *c, const char *target, const char *path)
{
	if (!target[0])
		return -ENOENT;
	return create_common(c, path, CREATE_SYMLINK, 0777, 0, 0, target, NULL);
}

/* unlink and rmdir. */
static int remove_common(const struct vfs_ctx *c, const char *path, bool is_rmdir)
{
	struct path parent;
	char last[LINUX_NAME_MAX + 1];
	enum vfs_last_type type;
	bool slash;
	int err = vfs_lookup_parent(c, path, 0, &parent, last, &type, &slash);
	if (err < 0)
		return err;
	if (type != LAST_NORM) {
		if (!is_rmdir)
			err = -EISDIR;
		else if (type == LAST_DOTDOT)
			err = -ENOTEMPTY;
		else if (type == LAST_DOT)
			err = -EINVAL;
		else
			err = -EBUSY;
		goto out_put_parent;
	}
	if (path_rdonly(&parent)) {
		err = -EROFS;
		goto out_put_parent;
	}
	struct inode *dir = parent.d->inode;
	pthread_rwlock_wrlock(&g_tree_lock);
	struct dentry *d;
	err = lookup_locked(parent.d, last, &d);
	if (err < 0)
		goto out_unlock;
	struct inode *victim = d->inode;
	if (!victim) {
		err = -ENOENT;
		goto out_put_d;
	}
	if (is_rmdir && !inode_is_dir(victim)) {
		err = -ENOTDIR;
		goto out_put_d;
	}
	if (!is_rmdir && inode_is_dir(victim)) {
		err = -EISDIR;
		goto out_put_d;
	}
	if (!is_rmdir && slash) {
		err = -ENOTDIR;
		goto out_put_d;
	}
	err = may_delete(c->creds, dir, victim);
	if (err < 0)
		goto out_put_d;
	if (atomic_load(&d->mounted) > 0) {
		err = -EBUSY;
		goto out_put_d;
	}
	if (is_rmdir)
		err = dir->ops->rmdir ? dir->ops->rmdir(dir, last, victim) : -EPERM;
	else
		err = dir->ops->unlink ? dir->ops->unlink(dir, last, victim) : -EPERM;
	if (err == 0) {
		if (!is_rmdir)
			fsnotify_link_count(victim);
		dcache_unhash(d);
		/* A removed directory keeps no cached child (shrink_dcache_parent). */
		if (is_rmdir)
			dentry_prune_children(d);
		/* Remember the name is gone: the next lookup costs no fs call. */
		struct dentry *neg = dcache_add(parent.d, last, NULL, true);
		if (neg)
			dentry_put(neg);
	}
out_put_d:
	/* The last dentry of a removed file reports IN_DELETE_SELF first, as Linux's d_delete. */
	dentry_put(d);
	if (err == 0)
		fsnotify_delete(dir, last, is_rmdir);
out_unlock:
	pthread_rwlock_unlock(&g_tree_lock);
out_put_parent:
	path_put(&parent);
	return err;
}

int vfs_rmdir(const struct vfs_ctx *c, const char *path)
{
	return remove_common(c, path, true);
}

int vfs_unlink(const struct vfs_ctx *c, const char *path)
{
	return remove_common(c, path, false);
}

int vfs_link(const struct vfs_ctx *oldc, const char *oldpath, const struct vfs_ctx *newc,
             const char *newpath, unsigned lookup)
{
	struct path old;
	int err = vfs_lookup(oldc, oldpath, lookup & (LOOKUP_FOLLOW | LOOKUP_EMPTY), &old);
	if (err < 0)
		return err;
	struct path parent;
	char last[LINUX_NAME_MAX + 1];
	enum vfs_last_type type;
	bool slash;
	err = vfs_lookup_parent(newc, newpath, 0, &parent, last, &type, &slash);
	if (err < 0)
		goto out_put_old;
	if (type != LAST_NORM) {
		err = -EEXIST;
		goto out_put_parent;
	}
	if (old.mnt != parent.mnt) {
		err = -EXDEV;
		goto out_put_parent;
	}
	if (path_rdonly(&parent)) {
		err = -EROFS;
		goto out_put_parent;
	}
	struct inode *dir = parent.d->inode;
	struct inode *target = old.d->inode;
	pthread_rwlock_wrlock(&g_tree_lock);
	struct dentry *d;
	err = lookup_locked(parent.d, last, &d);
	if (err < 0)
		goto out_unlock;
	if (d->inode) {
		err = -EEXIST;
		goto out_put_d;
	}
	if (slash) {
		err = -ENOENT;
		goto out_put_d;
	}
	err = vfs_permission(newc->creds, dir, MAY_WRITE | MAY_EXEC);
	if (err < 0)
		goto out_put_d;
	if (inode_is_dir(target)) {
		err = -EPERM;
		goto out_put_d;
	}
	/* A file with no name left can only be named again if it was made by O_TMPFILE. */
	pthread_mutex_lock(&target->mu);
	bool gone = target->nlink == 0;
	pthread_mutex_unlock(&target->mu);
	if (gone && !(old.d->flags & DENTRY_LINKABLE)) {
		err = -ENOENT;
		goto out_put_d;
	}
	err = dir->ops->link ? dir->ops->link(dir, last, target) : -EPERM;
	if (err == 0) {
		fsnotify_link(dir, last, target);
		struct dentry *nd = dcache_add(parent.d, last, inode_get(target), true);
		if (nd)
			dentry_put(nd);
	}
out_put_d:
	dentry_put(d);
out_unlock:
	pthread_rwlock_unlock(&g_tree_lock);
out_put_parent:
	path_put(&parent);
out_put_old:
	path_put(&old);
	return err;
}

int vfs_rename(const struct vfs_ctx *oldc, const char *oldpath, const struct vfs_ctx *newc,
               const char *newpath, unsigned flags)
{
	struct path op, np;
	char oldlast[LINUX_NAME_MAX + 1], newlast[LINUX_NAME_MAX + 1];
	enum vfs_last_type otype, ntype;
	bool oslash, nslash;
	int err = vfs_lookup_parent(oldc, oldpath, 0, &op, oldlast, &otype, &oslash);
	if (err < 0)
		return err;
	err = vfs_lookup_parent(newc, newpath, 0, &np, newlast, &ntype, &nslash);
	if (err < 0)
		goto out_put_op;
	if (op.mnt != np.mnt) {
		err = -EXDEV;
		goto out_put_np;
	}
	if (otype != LAST_NORM || ntype != LAST_NORM) {
		/* do_renameat2: "." or ".." as the new name is EEXIST under RENAME_NOREPLACE. */
		err = otype == LAST_NORM && (flags & LINUX_RENAME_NOREPLACE) ? -EEXIST : -EBUSY;
		goto out_put_np;
	}
	if (path_rdonly(&op)) {
		err = -EROFS;
		goto out_put_np;
	}
	struct inode *odir = op.d->inode, *ndir = np.d->inode;
	pthread_rwlock_wrlock(&g_tree_lock);
	struct dentry *od, *nd = NULL;
	err = lookup_locked(op.d, oldlast, &od);
	if (err < 0)
		goto out_unlock;
	struct inode *src = od->inode;
	if (!src) {
		err = -ENOENT;
		goto out_put_od;
	}
	err = lookup_locked(np.d, newlast, &nd);
	if (err < 0)
		goto out_put_od;
	struct inode *dst = nd->inode;
	bool exchange = flags & LINUX_RENAME_EXCHANGE;
	if (exchange && !dst) {
		err = -ENOENT;
		goto out_put_nd;
	}
	if ((flags & LINUX_RENAME_NOREPLACE) && dst) {
		err = -EEXIST;
		goto out_put_nd;
	}
	/* A trailing slash needs a directory. */
	if ((oslash || (nslash && !exchange)) && !inode_is_dir(src)) {
		err = -ENOTDIR;
		goto out_put_nd;
	}
	if (exchange && nslash && !inode_is_dir(dst)) {
		err = -ENOTDIR;
		goto out_put_nd;
	}
	/* The source may not be an ancestor of the target, nor the target of the source. */
	if (dentry_is_ancestor(od, np.d)) {
		err = -EINVAL;
		goto out_put_nd;
	}
	if (dst && dentry_is_ancestor(nd, op.d)) {
		err = exchange ? -EINVAL : -ENOTEMPTY;
		goto out_put_nd;
	}
	if (src == dst) {
		err = 0; /* the same file under both names: nothing to do */
		goto out_put_nd;
	}
	bool src_dir = inode_is_dir(src);
	if (dst && !exchange) {
		if (src_dir && !inode_is_dir(dst)) {
			err = -ENOTDIR;
			goto out_put_nd;
		}
		if (!src_dir && inode_is_dir(dst)) {
			err = -EISDIR;
			goto out_put_nd;
		}
	}
	err = may_delete(oldc->creds, odir, src);
	if (err == 0) {
		if (dst)
			err = may_delete(newc->creds, ndir, dst);
		else
			err = vfs_permission(newc->creds, ndir, MAY_WRITE | MAY_EXEC);
	}
	/* Moving a directory to a new parent rewrites its "..". */
	if (err == 0 && odir != ndir) {
		if (src_dir)
			err = vfs_permission(oldc->creds, src, MAY_WRITE);
		if (err == 0 && exchange && dst && inode_is_dir(dst))
			err = vfs_permission(newc->creds, dst, MAY_WRITE);
	}
	if (err < 0)
		goto out_put_nd;
	if (atomic_load(&od->mounted) > 0 || atomic_load(&nd->mounted) > 0) {
		err = -EBUSY;
		goto out_put_nd;
	}
	if (!odir->ops->rename) {
		err = -EPERM;
		goto out_put_nd;
	}
	err = odir->ops->rename(odir, oldlast, ndir, newlast, flags, src, dst);
	if (err == 0) {
		if (exchange)
			dcache_exchange(od, nd);
		else
			dcache_move(od, np.d, newlast);
		fsnotify_move(odir, oldlast, ndir, newlast, src, exchange ? NULL : dst);
		if (exchange)
			fsnotify_move(ndir, newlast, odir, oldlast, dst, NULL);
	}
out_put_nd:
	dentry_put(nd);
out_put_od:
	dentry_put(od);
out_unlock:
	pthread_rwlock_unlock(&g_tree_lock);
out_put_np:
	path_put(&np);
out_put_op:
	path_put(&op);
	return err;
}

ssize_t vfs_readlink(const struct vfs_ctx *c, const char *path, unsigned lookup, char *buf,
                     size_t size)
{
	struct path p;
	int err = vfs_lookup(c, path, lookup & LOOKUP_EMPTY, &p);
	if (err < 0)
		return err;
	struct inode *inode = p.d->inode;
	ssize_t n;
	if (!inode_is_symlink(inode) || !inode->ops->readlink) {
		n = -EINVAL;
	} else {
		char *tmp = malloc(LINUX_PATH_MAX + 1);
		n = tmp ? inode->ops->readlink(inode, tmp, LINUX_PATH_MAX + 1) : -ENOMEM;
		if (n >= 0) {
			n = MIN((size_t)n, size);
			memcpy(buf, tmp, (size_t)n);
		}
		free(tmp);
	}
	path_put(&p);
	return n;
}

int vfs_getattr(const struct path *p, struct linux_statx *out)
{
	return inode_getattr(p->d->inode, out);
}

int vfs_setattr(const struct creds *c, const struct path *p, const struct vfs_setattr *attr)
{
	struct inode *inode = p->d->inode;
	struct vfs_setattr a = *attr;
	if (path_rdonly(p))
		return -EROFS;
	pthread_mutex_lock(&inode->mu);
	uint32_t mode = inode->mode, uid = inode->uid, gid = inode->gid;
	pthread_mutex_unlock(&inode->mu);
	bool owner = c->fsuid == uid || creds_capable(c, LINUX_CAP_FOWNER);

	if (a.mask & (VFS_ATTR_UID | VFS_ATTR_GID)) {
		/* chown: privilege, or the owner giving the file to one of its groups. */
		bool uid_ok = !(a.mask & VFS_ATTR_UID) || a.uid == uid;
		bool gid_ok = !(a.mask & VFS_ATTR_GID) || a.gid == gid || creds_in_group(c, a.gid);
		if (!creds_capable(c, LINUX_CAP_CHOWN) && !(c->fsuid == uid && uid_ok && gid_ok))
			return -EPERM;
		if ((mode & LINUX_S_IFMT) != LINUX_S_IFDIR) {
			/* Chown drops set-user-id, and set-group-id when it means "executable". */
			uint32_t newmode = mode & ~(uint32_t)LINUX_S_ISUID;
			if ((mode & (LINUX_S_ISGID | 0010)) == (LINUX_S_ISGID | 0010))
				newmode &= ~(uint32_t)LINUX_S_ISGID;
			if (newmode != mode && !(a.mask & VFS_ATTR_MODE)) {
				a.mask |= VFS_ATTR_MODE;
				a.mode = newmode & LINUX_S_IALLUGO;
			}
		}
	}
	if (a.mask & VFS_ATTR_MODE && !(attr->mask & (VFS_ATTR_UID | VFS_ATTR_GID))) {
		if (!owner)
			return -EPERM;
		/* A symlink's mode means nothing and cannot change (fchmodat2 on Linux 6.x). */
		if ((mode & LINUX_S_IFMT) == LINUX_S_IFLNK)
			return -EOPNOTSUPP;
		/* Only a member of the file's group (or privilege) may set set-group-id. */
		uint32_t fgid = (a.mask & VFS_ATTR_GID) ? a.gid : gid;
		if (!creds_capable(c, LINUX_CAP_FSETID) && !creds_in_group(c, fgid))
			a.mode &= ~(uint32_t)LINUX_S_ISGID;
	}
	if (a.mask & (VFS_ATTR_ATIME | VFS_ATTR_MTIME)) {
		if (!owner)
			return -EPERM;
	} else if (a.mask & (VFS_ATTR_ATIME_NOW | VFS_ATTR_MTIME_NOW)) {
		if (!owner && vfs_permission(c, inode, MAY_WRITE) < 0)
			return -EACCES;
	}
	if (a.mask & VFS_ATTR_SIZE) {
		if (inode_is_dir(inode))
			return -EISDIR;
		if (!inode_is_reg(inode))
			return -EINVAL;
		if (a.size < 0)
			return -EINVAL;
		a.mask |= VFS_ATTR_MTIME_NOW;
	}
	if (!inode->ops->setattr)
		return -EPERM;
	a.mask |= VFS_ATTR_CTIME;
	int err = inode->ops->setattr(inode, &a);
	if (err == 0)
		fsnotify_change(p->d, a.mask);
	return err;
}

int vfs_truncate(const struct creds *c, const struct path *p, int64_t size)
{
	struct inode *inode = p->d->inode;
	if (size < 0)
		return -EINVAL;
	if (inode_is_dir(inode))
		return -EISDIR;
	if (!inode_is_reg(inode))
		return -EINVAL;
	int err = vfs_permission(c, inode, MAY_WRITE);
	if (err < 0)
		return err;
	if (path_rdonly(p))
		return -EROFS;
	struct vfs_setattr a = { .mask = VFS_ATTR_SIZE | VFS_ATTR_MTIME_NOW | VFS_ATTR_CTIME,
		                 .size = size };
	err = inode->ops->setattr ? inode->ops->setattr(inode, &a) : -EPERM;
	if (err == 0)
		fsnotify_change(p->d, a.mask);
	return err;
}

int vfs_statfs(const struct path *p, struct linux_statfs *out)
{
	struct superblock *sb = p->d->sb;
	memset(out, 0, sizeof(*out));
	int err = 0;
	if (sb->ops->statfs)
		err = sb->ops->statfs(sb, out);
	else {
		out->bsize = 4096;
		out->namelen = LINUX_NAME_MAX;
		out->frsize = 4096;
	}
	out->type = sb->magic;
	out->fsid[0] = (int32_t)sb->dev;
	/* f_flags: ST_VALID | ST_RDONLY, ST_NOSUID, ST_NODEV, ST_NOEXEC as mounted. */
	int64_t fl = 0x20;
	if (path_rdonly(p))
		fl |= 0x1;
	if (p->mnt->flags & MNT_NOSUID)
		fl |= 0x2;
	if (p->mnt->flags & MNT_NODEV)
		fl |= 0x4;
	if (p->mnt->flags & MNT_NOEXEC)
		fl |= 0x8;
	if (p->mnt->flags & MNT_NOATIME)
		fl |= 0x400;
	if (p->mnt->flags & MNT_RELATIME)
		fl |= 0x1000;
	out->flags = fl;
	return err;
}

int vfs_access(const struct creds *c, const struct path *p, int may)
{
	struct inode *inode = p->d->inode;
	if (may & MAY_WRITE) {
		uint32_t type = inode->mode & LINUX_S_IFMT;
		if (path_rdonly(p) &&
		    (type == LINUX_S_IFREG || type == LINUX_S_IFDIR || type == LINUX_S_IFLNK))
			return -EROFS;
	}
	return vfs_permission(c, inode, may);
}

/* ---- Extended attributes: Linux's namespace rules (fs/xattr.c) ---- */

static int xattr_permission(const struct creds *c, struct inode *inode, const char *name, int may)
{
	/* A namespace prefix alone names nothing (xattr_resolve_name). */
	if (!strcmp(name, "user.") || !strcmp(name, "trusted.") || !strcmp(name, "security.") ||
	    !strcmp(name, "system."))
		return -EINVAL;
	if (strncmp(name, "trusted.", 8) == 0)
		return creds_capable(c, LINUX_CAP_SYS_ADMIN) ? 0 : -EPERM;
	if (strncmp(name, "security.", 9) == 0)
		return 0;
	if (strncmp(name, "system.", 7) == 0)
		return -EOPNOTSUPP;
	if (strncmp(name, "user.", 5) != 0)
		return -EOPNOTSUPP;
	if (!inode_is_reg(inode) && !inode_is_dir(inode))
		return may == MAY_WRITE ? -EPERM : -ENODATA;
	if (inode_is_dir(inode) && (inode_mode(inode) & LINUX_S_ISVTX) && may == MAY_WRITE &&
	    !is_owner(c, inode))
		return -EPERM;
	return vfs_permission(c, inode, may);
}

ssize_t vfs_getxattr(const struct creds *c, const struct path *p, const char *name, void *buf,
                     size_t size)
{
	struct inode *inode = p->d->inode;
	int err = xattr_permission(c, inode, name, MAY_READ);
	if (err < 0)
		return err;
	if (!inode->ops->getxattr)
		return -EOPNOTSUPP;
	return inode->ops->getxattr(inode, name, buf, size);
}

int vfs_setxattr(const struct creds *c, const struct path *p, const char *name, const void *value,
                 size_t size, int flags)
{
	struct inode *inode = p->d->inode;
	if (path_rdonly(p))
		return -EROFS;
	int err = xattr_permission(c, inode, name, MAY_WRITE);
	if (err < 0)
		return err;
	if (!inode->ops->setxattr)
		return -EOPNOTSUPP;
	err = inode->ops->setxattr(inode, name, value, size, flags);
	if (err == 0) {
		inode_touch(inode, VFS_ATTR_CTIME);
		fsnotify_xattr(p->d);
	}
	return err;
}

ssize_t vfs_listxattr(const struct path *p, char *buf, size_t size)
{
	struct inode *inode = p->d->inode;
	if (!inode->ops->listxattr)
		return 0;
	return inode->ops->listxattr(inode, buf, size);
}

int vfs_removexattr(const struct creds *c, const struct path *p, const char *name)
{
	struct inode *inode = p->d->inode;
	if (path_rdonly(p))
		return -EROFS;
	int err = xattr_permission(c, inode, name, MAY_WRITE);
	if (err < 0)
		return err;
	if (!inode->ops->removexattr)
		return -EOPNOTSUPP;
	err = inode->ops->removexattr(inode, name);
	if (err == 0) {
		inode_touch(inode, VFS_ATTR_CTIME);
		fsnotify_xattr(p->d);
	}
	return err;
}

/* ---- mount(2) and umount2(2) ---- */

#define LINUX_MS_RDONLY     0x1
#define LINUX_MS_NOSUID     0x2
#define LINUX_MS_NODEV      0x4
#define LINUX_MS_NOEXEC     0x8
#define LINUX_MS_REMOUNT    0x20
#define LINUX_MS_NOATIME    0x400
#define LINUX_MS_NODIRATIME 0x800
#define LINUX_MS_BIND       0x1000
#define LINUX_MS_MOVE       0x2000
#define LINUX_MS_REC        0x4000
#define LINUX_MS_UNBINDABLE 0x20000
#define LINUX_MS_PRIVATE    0x40000
#define LINUX_MS_SLAVE      0x80000
#define LINUX_MS_SHARED     0x100000
#define LINUX_MS_RELATIME   0x200000
#define LINUX_MS_PROPAGATION \
	(LINUX_MS_UNBINDABLE | LINUX_MS_PRIVATE | LINUX_MS_SLAVE | LINUX_MS_SHARED)
#define LINUX_MNT_FORCE       0x1
#define LINUX_MNT_DETACH      0x2
#define LINUX_MNT_EXPIRE      0x4
#define LINUX_UMOUNT_NOFOLLOW 0x8

static unsigned mnt_flags_of(unsigned long flags)
{
	unsigned m = 0;
	if (flags & LINUX_MS_RDONLY)
		m |= MNT_RDONLY;
	if (flags & LINUX_MS_NOSUID)
		m |= MNT_NOSUID;
	if (flags & LINUX_MS_NODEV)
		m |= MNT_NODEV;
	if (flags & LINUX_MS_NOEXEC)
		m |= MNT_NOEXEC;
	if (flags & LINUX_MS_NOATIME)
		m |= MNT_NOATIME;
	if (flags & LINUX_MS_NODIRATIME)
		m |= MNT_NODIRATIME;
	if (!(flags & LINUX_MS_NOATIME))
		m |= MNT_RELATIME;
	return m;
}

int vfs_mount(const struct vfs_ctx *c, const char *source, const char *target, const char *fstype,
              unsigned long flags, const char *data)
{
	struct path t;
	int err = vfs_lookup(c, target, LOOKUP_FOLLOW, &t);
	if (err < 0)
		return err;
	if (!creds_capable(c->creds, LINUX_CAP_SYS_ADMIN)) {
		path_put(&t);
		return -EPERM;
	}
	if (flags & LINUX_MS_REMOUNT) {
		/* Only the mount's own flags change (MS_BIND), or the fs's ones: both land on the
		 * mount. */
		if (t.d != t.mnt->root)
			err = -EINVAL;
		else
			t.mnt->flags = mnt_flags_of(flags);
		goto out_put_target;
	}
	if (flags & LINUX_MS_PROPAGATION) {
		/* One sandbox, one mount namespace: there is nothing to propagate to. */
		err = 0;
		goto out_put_target;
	}
	if (flags & LINUX_MS_MOVE) {
		log_info("mount: MS_MOVE is not supported");
		err = -EINVAL;
		goto out_put_target;
	}
	if (flags & LINUX_MS_BIND) {
		struct path s;
		err = source ? vfs_lookup(c, source, LOOKUP_FOLLOW, &s) : -EFAULT;
		if (err < 0)
			goto out_put_target;
		if (inode_is_dir(s.d->inode) != inode_is_dir(t.d->inode))
			err = inode_is_dir(s.d->inode) ? -ENOTDIR : -ENOTDIR;
		if (err == 0) {
			/* MS_REC: the source's submounts are not copied (noted in docs/). */
			unsigned mf = s.mnt->flags & ~(unsigned)MNT_RDONLY;
			err = mount_attach(t.mnt, t.d, s.d->sb, s.d, mf, s.mnt->source);
		}
		path_put(&s);
		goto out_put_target;
	}
	if (!fstype) {
		err = -EINVAL;
		goto out_put_target;
	}
	const struct fs_type *type = vfs_find_fs(fstype);
	if (!type) {
		err = -ENODEV;
		goto out_put_target;
	}
	if (!inode_is_dir(t.d->inode)) {
		err = -ENOTDIR;
		goto out_put_target;
	}
	struct superblock *sb;
	err = type->mount(source, flags, data, &sb);
	if (err < 0)
		goto out_put_target;
	err = mount_attach(t.mnt, t.d, sb, sb->root, mnt_flags_of(flags), source ? source : "none");
	superblock_put(sb);
out_put_target:
	path_put(&t);
	return err;
}

int vfs_umount(const struct vfs_ctx *c, const char *target, int flags)
{
	if (flags &
	    ~(LINUX_MNT_FORCE | LINUX_MNT_DETACH | LINUX_MNT_EXPIRE | LINUX_UMOUNT_NOFOLLOW))
		return -EINVAL;
	struct path t;
	int err = vfs_lookup(c, target, (flags & LINUX_UMOUNT_NOFOLLOW) ? 0 : LOOKUP_FOLLOW, &t);
	if (err < 0)
		return err;
	if (!creds_capable(c->creds, LINUX_CAP_SYS_ADMIN))
		err = -EPERM;
	else if (t.d != t.mnt->root)
		err = -EINVAL;
	else if ((flags & LINUX_MNT_EXPIRE) && (flags & (LINUX_MNT_FORCE | LINUX_MNT_DETACH)))
		err = -EINVAL;
	else
		err = mount_umount(t.mnt, flags & LINUX_MNT_DETACH, flags & LINUX_MNT_EXPIRE);
	path_put(&t);
	return err;
}
