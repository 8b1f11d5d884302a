/*
 * Path resolution, as Linux's fs/namei.c: components one by one from the
 * start (the root for an absolute path), `.` and `..` (which never leave
 * the task's root and climb out of mounts), mount crossing, symlinks
 * (their text resolved relative to the directory holding them, at most
 * VFS_MAXSYMLINKS per resolution: ELOOP), magic links, a search
 * permission check on every directory walked through, and openat2's
 * RESOLVE_* rules.
 *
 * The remaining path is a stack of strings: the caller's path at the
 * bottom and, above it, the text of each symlink being followed. The last
 * component of the whole stack is left to the caller (open, create,
 * unlink, rename each treat it their own way).
 *
 * A cache miss asks the file system; one whose inode_ops has `walk` is
 * asked for all the plain names that follow at once (the gofer resolves
 * them in one round trip), and every answer is cached, negative ones too.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "sentry/vfs/file.h"
#include "sentry/vfs/fsnotify.h"
#include "sentry/vfs/vfs_internal.h"

#define MAX_BATCH 16

struct nd_frame {
	char *buf; /* owned symlink text, or NULL for the caller's path */
	const char *p;
};

struct nameidata {
	const struct creds *creds;
	unsigned flags;
	struct path root; /* borrowed from the context (or start, for IN_ROOT) */
	struct path start;
	struct path cur; /* a reference */
	int nlinks;
	int depth;
	struct nd_frame frames[VFS_MAXSYMLINKS + 1];
	bool trailing_slash;
	/*
	 * Set by a walk that wants it (want_magic_file): the open file a
	 * final magic link names when that file has no path (a pipe).
	 */
	bool want_magic_file;
	struct file *magic_file;
	/* The last component, once nd_walk_to_last returns. */
	char last[LINUX_NAME_MAX + 1];
	enum vfs_last_type last_type;
};

static void nd_release(struct nameidata *nd)
{
	for (int i = 0; i < nd->depth; i++)
		free(nd->frames[i].buf);
	nd->depth = 0;
	path_put(&nd->cur);
}

static void nd_set_cur(struct nameidata *nd, const struct path *p)
{
	struct path old = nd->cur;
	nd->cur = *p;
	path_get(&nd->cur);
	path_put(&old);
}

static int nd_init(struct nameidata *nd, const struct vfs_ctx *c, const char *path, unsigned flags)
{
	memset(nd, 0, sizeof(*nd));
	nd->creds = c->creds;
	nd->flags = flags;
	nd->start = c->start;
	nd->root = (flags & LOOKUP_IN_ROOT) ? c->start : c->root;
	if (path[0] == '/') {
		if (flags & LOOKUP_BENEATH)
			return -EXDEV;
		nd->cur = nd->root;
	} else {
		nd->cur = c->start;
	}
	path_get(&nd->cur);
	size_t len = strlen(path);
	nd->trailing_slash = len > 0 && path[len - 1] == '/';
	nd->frames[0] = (struct nd_frame){ NULL, path };
	nd->depth = 1;
	return 0;
}

/* True when no component is left in any frame. */
static bool nd_nothing_left(const struct nameidata *nd)
{
	for (int i = nd->depth - 1; i >= 0; i--) {
		const char *p = nd->frames[i].p;
		while (*p == '/')
			p++;
		if (*p)
			return false;
	}
	return true;
}

/*
 * Takes the next component into name. Returns its length, 0 when the
 * stack is exhausted, or -ENAMETOOLONG.
 */
static int nd_next(struct nameidata *nd, char *name)
{
	while (nd->depth > 0) {
		struct nd_frame *f = &nd->frames[nd->depth - 1];
		while (*f->p == '/')
			f->p++;
		if (!*f->p) {
			free(f->buf);
			nd->depth--;
			continue;
		}
		const char *end = strchrnul(f->p, '/');
		size_t len = (size_t)(end - f->p);
		if (len > LINUX_NAME_MAX)
			return -ENAMETOOLONG;
		memcpy(name, f->p, len);
		name[len] = '\0';
		f->p = end;
		return (int)len;
	}
	return 0;
}

/* Moves cur onto whatever is mounted on it, repeatedly. */
static int nd_cross_mounts(struct nameidata *nd, struct path *p)
{
	for (;;) {
		struct mount *m = mount_lookup_child(p->mnt, p->d);
		if (!m)
			return 0;
		if (nd->flags & LOOKUP_NO_XDEV) {
			mount_put(m);
			return -EXDEV;
		}
		dentry_put(p->d);
		mount_put(p->mnt);
		p->mnt = m;
		p->d = dentry_get(m->root);
	}
}

static int may_lookup(struct nameidata *nd)
{
	struct inode *dir = nd->cur.d->inode;
	if (!inode_is_dir(dir))
		return -ENOTDIR;
	return vfs_permission(nd->creds, dir, MAY_EXEC);
}

/* `..` from cur: stays at the root, climbs out of mount roots. */
static int nd_dotdot(struct nameidata *nd)
{
	for (;;) {
		if (path_equal(&nd->cur, &nd->root))
			return 0;
		if (nd->flags & LOOKUP_BENEATH && path_equal(&nd->cur, &nd->start))
			return -EXDEV;
		if (nd->cur.d != nd->cur.mnt->root)
			break;
		struct mount *parent;
		struct dentry *mp;
		if (!mount_parent(nd->cur.mnt, &parent, &mp))
			return 0; /* the namespace's root: `..` stays */
		if (nd->flags & LOOKUP_NO_XDEV) {
			dentry_put(mp);
			mount_put(parent);
			return -EXDEV;
		}
		path_put(&nd->cur);
		nd->cur = (struct path){ parent, mp };
	}
	struct dentry *parent = dentry_parent(nd->cur.d);
	dentry_put(nd->cur.d);
	nd->cur.d = parent;
	return 0;
}

/*
 * Looks name up below dir in the cache or the fs. With the fs's walk op,
 * the plain names that follow in the current frame go in the same call.
 * Returns the dentry (a new reference; negative for a missing name).
 */
static int lookup_child(struct nameidata *nd, struct dentry *dir, const char *name,
                        struct dentry **out)
{
	struct dentry *d = dcache_lookup(dir, name);
	if (d) {
		*out = d;
		return 0;
	}
	struct inode *inode = dir->inode;
	if (!inode->ops->lookup)
		return -ENOENT;
	if (inode->ops->walk && nd) {
		/* Gather the names after this one, up to a dot, dotdot or the end. */
		char names_buf[MAX_BATCH][LINUX_NAME_MAX + 1];
		const char *names[MAX_BATCH];
		int count = 0;
		names[count++] = name;
		const char *p = nd->frames[nd->depth - 1].p;
		while (count < MAX_BATCH) {
			while (*p == '/')
				p++;
			const char *end = strchrnul(p, '/');
			size_t len = (size_t)(end - p);
			if (len == 0 || len > LINUX_NAME_MAX || (len == 1 && p[0] == '.') ||
			    (len == 2 && p[0] == '.' && p[1] == '.'))
				break;
			memcpy(names_buf[count], p, len);
			names_buf[count][len] = '\0';
			names[count] = names_buf[count];
			count++;
			p = end;
		}
		if (count > 1) {
			struct inode *found[MAX_BATCH];
			pthread_rwlock_rdlock(&g_tree_lock);
			int n = inode->ops->walk(inode, names, count, found);
			if (n >= 0) {
				struct dentry *parent = dentry_get(dir);
				struct dentry *first = NULL;
				int err = 0;
				for (int i = 0; i < n; i++) {
					struct dentry *c =
					        dcache_add(parent, names[i], found[i], false);
					dentry_put(parent);
					parent = c;
					if (!c) {
						for (int j = i + 1; j < n; j++)
							inode_put(found[j]);
						err = -ENOMEM;
						break;
					}
					if (i == 0)
						first = dentry_get(c);
				}
				/* names[n] is missing unless the walk stopped at a symlink or
				 * non-dir. */
				if (!err && n < count && parent &&
				    (n == 0 || inode_is_dir(parent->inode))) {
					struct dentry *neg =
					        dcache_add(parent, names[n], NULL, false);
					if (n == 0 && neg)
						first = dentry_get(neg);
					if (neg)
						dentry_put(neg);
				}
				if (parent)
					dentry_put(parent);
				pthread_rwlock_unlock(&g_tree_lock);
				if (err < 0) {
					if (first)
						dentry_put(first);
					return err;
				}
				if (first) {
					*out = first;
					return 0;
				}
			} else {
				pthread_rwlock_unlock(&g_tree_lock);
				if (n != -ENOTDIR && n != -ENOENT)
					return n;
			}
			/* Fall back to one name at a time. */
		}
	}
	struct inode *child = NULL;
	pthread_rwlock_rdlock(&g_tree_lock);
	int err = inode->ops->lookup(inode, name, &child);
	if (err == 0 || err == -ENOENT)
		d = dcache_add(dir, name, err == -ENOENT ? NULL : child, false);
	pthread_rwlock_unlock(&g_tree_lock);
	if (err < 0 && err != -ENOENT)
		return err;
	if (!d)
		return -ENOMEM;
	*out = d;
	return 0;
}

/* Pushes the text of symlink p onto the stack (or jumps for a magic link). */
static int nd_follow(struct nameidata *nd, struct path *link)
{
	if (nd->flags & LOOKUP_NO_SYMLINKS)
		return -ELOOP;
	if (++nd->nlinks > VFS_MAXSYMLINKS)
		return -ELOOP;
	struct inode *inode = link->d->inode;
	if (inode->ops->follow) {
		if (nd->flags & LOOKUP_NO_MAGICLINKS)
			return -ELOOP;
		if (nd->flags & (LOOKUP_BENEATH | LOOKUP_IN_ROOT))
			return -EXDEV;
		struct path target;
		int err = inode->ops->follow(inode, &target.mnt, &target.d);
		if (err == -ENXIO && nd->want_magic_file && inode->ops->follow_file &&
		    nd_nothing_left(nd) && !nd->magic_file)
			inode->ops->follow_file(inode, &nd->magic_file);
		if (err < 0)
			return err;
		path_put(&nd->cur);
		nd->cur = target;
		return 0;
	}
	if (!inode->ops->readlink)
		return -EINVAL;
	if (nd->depth > VFS_MAXSYMLINKS)
		return -ELOOP;
	char *buf = malloc(LINUX_PATH_MAX);
	if (!buf)
		return -ENOMEM;
	ssize_t n = inode->ops->readlink(inode, buf, LINUX_PATH_MAX);
	if (n < 0) {
		free(buf);
		return (int)n;
	}
	if (n == 0) {
		free(buf);
		return -ENOENT;
	}
	if (buf[0] == '/') {
		if (nd->flags & LOOKUP_BENEATH) {
			free(buf);
			return -EXDEV;
		}
		nd_set_cur(nd, &nd->root);
	}
	nd->frames[nd->depth++] = (struct nd_frame){ buf, buf };
	return 0;
}

/*
 * Walks every component but the last of the whole stack; the last goes to
 * nd->last / nd->last_type. The directory holding it is nd->cur.
 */
static int nd_walk_to_last(struct nameidata *nd)
{
	char name[LINUX_NAME_MAX + 1];
	for (;;) {
		int len = nd_next(nd, name);
		if (len < 0)
			return len;
		if (len == 0) {
			/* A path of slashes only (or the empty path): the last is cur itself. */
			nd->last_type = LAST_ROOT;
			nd->last[0] = '\0';
			return 0;
		}
		if (nd_nothing_left(nd)) {
			memcpy(nd->last, name, (size_t)len + 1);
			if (strcmp(name, ".") == 0)
				nd->last_type = LAST_DOT;
			else if (strcmp(name, "..") == 0)
				nd->last_type = LAST_DOTDOT;
			else
				nd->last_type = LAST_NORM;
			/* The directory holding the last component must be searchable. */
			return may_lookup(nd);
		}
		int err = may_lookup(nd);
		if (err < 0)
			return err;
		if (strcmp(name, ".") == 0)
			continue;
		if (strcmp(name, "..") == 0) {
			err = nd_dotdot(nd);
			if (err < 0)
				return err;
			continue;
		}
		struct dentry *d;
		err = lookup_child(nd, nd->cur.d, name, &d);
		if (err < 0)
			return err;
		if (!d->inode) {
			dentry_put(d);
			return -ENOENT;
		}
		struct path next = { mount_get(nd->cur.mnt), d };
		err = nd_cross_mounts(nd, &next);
		if (err < 0) {
			path_put(&next);
			return err;
		}
		struct inode *inode = next.d->inode;
		if (inode_is_symlink(inode)) {
			err = nd_follow(nd, &next);
			path_put(&next);
			if (err < 0)
				return err;
			continue;
		}
		if (!inode_is_dir(inode)) {
			path_put(&next);
			return -ENOTDIR;
		}
		path_put(&nd->cur);
		nd->cur = next;
	}
}

/*
 * Resolves the last component from nd->cur into *out (a new reference;
 * its dentry may be negative). LAST_DOT and LAST_ROOT give cur itself,
 * LAST_DOTDOT its parent.
 */
static int nd_lookup_last(struct nameidata *nd, struct path *out)
{
	int err;
	switch (nd->last_type) {
	case LAST_ROOT:
	case LAST_DOT:
		*out = nd->cur;
		path_get(out);
		return 0;
	case LAST_DOTDOT:
		err = nd_dotdot(nd);
		if (err < 0)
			return err;
		*out = nd->cur;
		path_get(out);
		return 0;
	case LAST_NORM:
		break;
	}
	struct dentry *d;
	err = lookup_child(NULL, nd->cur.d, nd->last, &d);
	if (err < 0)
		return err;
	*out = (struct path){ mount_get(nd->cur.mnt), d };
	if (d->inode) {
		err = nd_cross_mounts(nd, out);
		if (err < 0) {
			path_put(out);
			return err;
		}
	}
	return 0;
}

/*
 * Resolves the whole path (following a final symlink when follow) into
 * *out, which may be negative only when allow_negative.
 */
static int nd_resolve(struct nameidata *nd, bool follow, bool allow_negative, struct path *out)
{
	for (;;) {
		int err = nd_walk_to_last(nd);
		if (err < 0)
			return err;
		struct path p;
		err = nd_lookup_last(nd, &p);
		if (err < 0)
			return err;
		struct inode *inode = p.d->inode;
		if (!inode) {
			if (!allow_negative) {
				path_put(&p);
				return -ENOENT;
			}
			*out = p;
			return 0;
		}
		if (inode_is_symlink(inode) && (follow || nd->trailing_slash)) {
			err = nd_follow(nd, &p);
			path_put(&p);
			if (err < 0)
				return err;
			/* A magic link replaced cur: it is the result unless text was pushed. */
			if (nd_nothing_left(nd)) {
				*out = nd->cur;
				path_get(out);
				return 0;
			}
			continue;
		}
		*out = p;
		return 0;
	}
}

int vfs_lookup(const struct vfs_ctx *c, const char *path, unsigned flags, struct path *out)
{
	if (!path[0]) {
		if (!(flags & LOOKUP_EMPTY))
			return -ENOENT;
		*out = c->start;
		path_get(out);
		return 0;
	}
	struct nameidata nd;
	int err = nd_init(&nd, c, path, flags);
	if (err == 0)
		err = nd_resolve(&nd, flags & LOOKUP_FOLLOW, false, out);
	if (err == 0 && ((flags & LOOKUP_DIRECTORY) || nd.trailing_slash) &&
	    !inode_is_dir(out->d->inode)) {
		path_put(out);
		err = -ENOTDIR;
	}
	nd_release(&nd);
	return err;
}

int vfs_lookup_parent(const struct vfs_ctx *c, const char *path, unsigned flags,
                      struct path *parent, char *last, enum vfs_last_type *last_type,
                      bool *trailing_slash)
{
	if (!path[0])
		return -ENOENT;
	struct nameidata nd;
	int err = nd_init(&nd, c, path, flags);
	if (err == 0)
		err = nd_walk_to_last(&nd);
	if (err == 0) {
		*parent = nd.cur;
		path_get(parent);
		memcpy(last, nd.last, sizeof(nd.last));
		*last_type = nd.last_type;
		if (trailing_slash)
			*trailing_slash = nd.trailing_slash;
	}
	nd_release(&nd);
	return err;
}

/* The parent directory of a dentry: its parent, or the mountpoint's across a mount root. */
ssize_t vfs_path_string(const struct path *p, const struct path *root, char *buf, size_t size,
                        bool *out_reachable)
{
	if (size < 2)
		return -ENAMETOOLONG;
	/* Build the path backwards from the end of buf. */
	char *end = buf + size - 1;
	*end = '\0';
	char *pos = end;
	struct path cur = *p;
	path_get(&cur);
	bool reachable = true;
	int err = 0;
	for (;;) {
		if (path_equal(&cur, root))
			break;
		if (cur.d == cur.mnt->root) {
			struct mount *parent;
			struct dentry *mp;
			if (!mount_parent(cur.mnt, &parent, &mp)) {
				reachable = false;
				break;
			}
			path_put(&cur);
			cur = (struct path){ parent, mp };
			continue;
		}
		char name[LINUX_NAME_MAX + 1];
		dentry_name(cur.d, name);
		size_t len = strlen(name);
		if ((size_t)(pos - buf) < len + 1) {
			err = -ENAMETOOLONG;
			break;
		}
		pos -= len;
		memcpy(pos, name, len);
		*--pos = '/';
		struct dentry *parent = dentry_parent(cur.d);
		if (parent == cur.d) {
			dentry_put(parent);
			reachable = false;
			break;
		}
		dentry_put(cur.d);
		cur.d = parent;
	}
	path_put(&cur);
	if (err < 0)
		return err;
	if (pos == end) {
		*--pos = '/';
	}
	size_t len = (size_t)(end - pos);
	memmove(buf, pos, len + 1);
	if (dentry_unlinked(p->d)) {
		static const char deleted[] = " (deleted)";
		if (len + sizeof(deleted) > size)
			return -ENAMETOOLONG;
		memcpy(buf + len, deleted, sizeof(deleted));
		len += sizeof(deleted) - 1;
	}
	if (out_reachable)
		*out_reachable = reachable;
	return (ssize_t)len;
}

ssize_t dentry_path_raw(struct dentry *d, char *buf, size_t size)
{
	if (size < 2)
		return -ENAMETOOLONG;
	char *end = buf + size - 1;
	*end = '\0';
	char *pos = end;
	struct dentry *cur = dentry_get(d);
	for (;;) {
		struct dentry *parent = dentry_parent(cur);
		if (parent == cur) {
			dentry_put(parent);
			break;
		}
		char name[LINUX_NAME_MAX + 1];
		dentry_name(cur, name);
		size_t len = strlen(name);
		if ((size_t)(pos - buf) < len + 1) {
			dentry_put(parent);
			dentry_put(cur);
			return -ENAMETOOLONG;
		}
		pos -= len;
		memcpy(pos, name, len);
		*--pos = '/';
		dentry_put(cur);
		cur = parent;
	}
	dentry_put(cur);
	if (pos == end)
		*--pos = '/';
	size_t len = (size_t)(end - pos);
	memmove(buf, pos, len + 1);
	return (ssize_t)len;
}

/* ---- open(2) ---- */

static uint32_t new_mode(const struct vfs_ctx *c, uint32_t type, uint32_t mode)
{
	return type | (mode & ~c->umask & LINUX_S_IALLUGO);
}

/*
 * A successful open for a task: the file reports inotify events, the
 * first being IN_OPEN (not for O_PATH, which returns before). Returns err.
 */
static int opened(int err, struct file **out)
{
	if (err == 0) {
		(*out)->fsnotify = true;
		fsnotify_open(*out);
	}
	return err;
}

int vfs_open_path(const struct creds *creds, const struct path *p, unsigned oflags,
                  struct file **out)
{
	struct inode *inode = p->d->inode;
	unsigned acc = oflags & LINUX_O_ACCMODE;
	if (oflags & LINUX_O_PATH)
		return vfs_open_opath(p, oflags, out);
	if ((oflags & LINUX_O_DIRECTORY) && !inode_is_dir(inode))
		return -ENOTDIR;
	if (inode_is_symlink(inode))
		return -ELOOP;
	int may = 0;
	if (acc == LINUX_O_RDONLY || acc == LINUX_O_RDWR)
		may |= MAY_READ;
	if (acc == LINUX_O_WRONLY || acc == LINUX_O_RDWR || (oflags & LINUX_O_TRUNC))
		may |= MAY_WRITE;
	if (acc == 3) /* Linux's "ioctl only" mode needs read and write permission */
		may |= MAY_READ | MAY_WRITE;
	if (inode_is_dir(inode) && (may & MAY_WRITE))
		return -EISDIR;
	uint32_t type = inode->mode & LINUX_S_IFMT;
	if ((type == LINUX_S_IFCHR || type == LINUX_S_IFBLK) && (p->mnt->flags & MNT_NODEV))
		return -EACCES;
	int err = vfs_permission(creds, inode, may);
	if (err < 0)
		return err;
	if ((may & MAY_WRITE) && path_rdonly(p) && type != LINUX_S_IFCHR && type != LINUX_S_IFIFO &&
	    type != LINUX_S_IFSOCK && type != LINUX_S_IFBLK)
		return -EROFS;
	unsigned open_flags =
	        oflags & ~(unsigned)(LINUX_O_CREAT | LINUX_O_EXCL | LINUX_O_NOCTTY | LINUX_O_TRUNC);
	/* A FIFO of any file system is the pipe driver's (Linux's init_special_inode). */
	if (type == LINUX_S_IFIFO)
		return opened(vfs_fifo_open(inode, p->mnt, p->d, open_flags, out), out);
	if (!inode->ops->open)
		return -ENXIO;
	if ((oflags & LINUX_O_TRUNC) && type == LINUX_S_IFREG) {
		struct vfs_setattr a = {
			.mask = VFS_ATTR_SIZE | VFS_ATTR_MTIME_NOW | VFS_ATTR_CTIME, .size = 0
		};
		if (!inode->ops->setattr)
			return -EPERM;
		err = inode->ops->setattr(inode, &a);
		if (err < 0)
			return err;
	}
	err = opened(inode->ops->open(inode, p->mnt, p->d, open_flags, out), out);
	/* Linux truncates after the open (handle_truncate): IN_OPEN, then IN_MODIFY. */
	if (err == 0 && (oflags & LINUX_O_TRUNC) && type == LINUX_S_IFREG)
		fsnotify_change(p->d, VFS_ATTR_SIZE | VFS_ATTR_MTIME_NOW | VFS_ATTR_CTIME);
	return err;
}

/* Creates the regular file named nd->last in nd->cur. */
static int open_create(const struct vfs_ctx *c, struct nameidata *nd, uint32_t mode,
                       struct path *out)
{
	struct inode *dir = nd->cur.d->inode;
	if (path_rdonly(&nd->cur))
		return -EROFS;
	int err = vfs_permission(c->creds, dir, MAY_WRITE | MAY_EXEC);
	if (err < 0)
		return err;
	if (!dir->ops->create)
		return -EACCES;
	if (dentry_unlinked(nd->cur.d))
		return -ENOENT;
	struct vfs_newnode nn = { .mode = new_mode(c, LINUX_S_IFREG, mode) };
	new_owner(c, dir, &nn);
	struct inode *inode;
	pthread_rwlock_wrlock(&g_tree_lock);
	err = dir->ops->create(dir, nd->last, &nn, &inode);
	struct dentry *d = NULL;
	if (err == 0) {
		fsnotify_create(dir, nd->last, false);
		d = dcache_add(nd->cur.d, nd->last, inode, true);
	}
	pthread_rwlock_unlock(&g_tree_lock);
	if (err < 0)
		return err;
	if (!d)
		return -ENOMEM;
	*out = (struct path){ mount_get(nd->cur.mnt), d };
	return 0;
}

static int open_tmpfile(const struct vfs_ctx *c, const char *path, unsigned oflags, uint32_t mode,
                        unsigned lookup, struct file **out)
{
	unsigned acc = oflags & LINUX_O_ACCMODE;
	if (acc != LINUX_O_WRONLY && acc != LINUX_O_RDWR)
		return -EINVAL;
	struct path dir;
	int err = vfs_lookup(c, path, lookup | LOOKUP_FOLLOW | LOOKUP_DIRECTORY, &dir);
	if (err < 0)
		return err;
	struct inode *d = dir.d->inode;
	err = vfs_permission(c->creds, d, MAY_WRITE | MAY_EXEC);
	if (err == 0 && path_rdonly(&dir))
		err = -EROFS;
	if (err == 0 && !d->ops->tmpfile)
		err = -EOPNOTSUPP;
	struct inode *inode = NULL;
	if (err == 0) {
		struct vfs_newnode nn = { .mode = new_mode(c, LINUX_S_IFREG, mode) };
		new_owner(c, d, &nn);
		err = d->ops->tmpfile(d, &nn, &inode);
	}
	if (err == 0) {
		/* An unnamed dentry: unhashed from the start, its path shows "/#INO (deleted)". */
		char name[32];
		snprintf(name, sizeof(name), "#%llu", (unsigned long long)inode->ino);
		struct dentry *dent = dcache_add(dir.d, name, inode, true);
		if (!dent) {
			err = -ENOMEM;
		} else {
			dcache_unhash(dent);
			if (!(oflags & LINUX_O_EXCL))
				dent->flags |= DENTRY_LINKABLE;
			err = opened(
			        inode->ops->open(
			                inode, dir.mnt, dent,
			                oflags & ~(unsigned)(LINUX_O_TMPFILE & ~LINUX_O_DIRECTORY) &
			                        ~(unsigned)LINUX_O_DIRECTORY,
			                out),
			        out);
			dentry_put(dent);
		}
	}
	path_put(&dir);
	return err;
}

int vfs_lookup_pathless(const struct vfs_ctx *c, const char *path, unsigned lookup,
                        struct file **out)
{
	if (!path[0] || !(lookup & LOOKUP_FOLLOW))
		return -ENOENT;
	struct nameidata nd;
	int err = nd_init(&nd, c, path, lookup);
	struct path p;
	nd.want_magic_file = true;
	nd.magic_file = NULL;
	if (err == 0)
		err = nd_resolve(&nd, true, false, &p);
	if (err == 0)
		path_put(&p);
	err = nd.magic_file ? 0 : -ENOENT;
	*out = nd.magic_file;
	nd_release(&nd);
	return err;
}

/*
 * A magic link that names an open file without a path (an anonymous pipe)
 * cannot be followed to a path (follow() says ENXIO): opening it opens the
 * file again (file_ops.reopen), as Linux opens a pipe's inode through
 * /proc/PID/fd/N. Returns 0 with *out set, or orig_err when path's last
 * component is not such a link.
 */
static int open_pathless_magic(const struct vfs_ctx *c, const char *path, unsigned lookup,
                               unsigned oflags, struct file **out, int orig_err)
{
	struct file *target;
	if (vfs_lookup_pathless(c, path, lookup | LOOKUP_FOLLOW, &target) < 0)
		return orig_err;
	int err = target->ops->reopen(target, oflags, out);
	file_put(target);
	return err;
}

int vfs_open(const struct vfs_ctx *c, const char *path, unsigned oflags, uint32_t mode,
             unsigned lookup, struct file **out)
{
	*out = NULL;
	if ((oflags & LINUX_O_TMPFILE) == LINUX_O_TMPFILE)
		return open_tmpfile(c, path, oflags, mode, lookup, out);
	if (oflags & LINUX_O_PATH)
		oflags &= LINUX_O_PATH | LINUX_O_DIRECTORY | LINUX_O_NOFOLLOW | LINUX_O_CLOEXEC;
	bool follow = !(oflags & LINUX_O_NOFOLLOW);
	if (!(oflags & LINUX_O_CREAT)) {
		unsigned lf = lookup | (follow ? LOOKUP_FOLLOW : 0) |
		              ((oflags & LINUX_O_DIRECTORY) ? LOOKUP_DIRECTORY : 0);
		struct path p;
		int err = vfs_lookup(c, path, lf, &p);
		if (err == -ENXIO && follow)
			err = open_pathless_magic(c, path, lookup, oflags, out, err);
		if (err < 0 || *out)
			return err;
		err = vfs_open_path(c->creds, &p, oflags, out);
		path_put(&p);
		return err;
	}
	if (!path[0])
		return -ENOENT;
	/* O_CREAT: the last component may not exist; a dangling symlink creates its target. */
	struct nameidata nd;
	int err = nd_init(&nd, c, path, lookup);
	struct path p = { NULL, NULL };
	bool created = false;
	int retries = 0;
	while (err == 0) {
		err = nd_walk_to_last(&nd);
		if (err < 0)
			break;
		if (nd.last_type != LAST_NORM || nd.trailing_slash) {
			err = -EISDIR;
			break;
		}
	relookup:
		err = nd_lookup_last(&nd, &p);
		if (err < 0)
			break;
		if (!p.d->inode) {
			path_put(&p);
			err = open_create(c, &nd, mode, &p);
			if (err == -EEXIST && !(oflags & LINUX_O_EXCL)) {
				/* Created by someone else since the cache said no: open theirs. */
				struct dentry *stale = dcache_lookup(nd.cur.d, nd.last);
				if (stale) {
					if (!stale->inode)
						dcache_unhash(stale);
					dentry_put(stale);
				}
				if (retries++ < 3) {
					err = 0;
					goto relookup;
				}
			}
			created = err == 0;
			break;
		}
		if (oflags & LINUX_O_EXCL) {
			path_put(&p);
			err = -EEXIST;
			break;
		}
		if (inode_is_symlink(p.d->inode)) {
			if (!follow) {
				path_put(&p);
				err = -ELOOP;
				break;
			}
			err = nd_follow(&nd, &p);
			path_put(&p);
			if (err == -ENXIO) {
				/* Maybe a magic link to a pipe: O_CREAT and O_TRUNC do nothing
				 * there. */
				nd_release(&nd);
				return open_pathless_magic(c, path, lookup,
				                           oflags & ~(unsigned)(LINUX_O_CREAT |
				                                                LINUX_O_EXCL |
				                                                LINUX_O_TRUNC),
				                           out, err);
			}
			if (err == 0 && nd_nothing_left(&nd)) {
				/* A magic link: its target is the file. */
				p = nd.cur;
				path_get(&p);
				break;
			}
			continue;
		}
		break;
	}
	nd_release(&nd);
	if (err < 0)
		return err;
	if (created) {
		/* The creator may open what it made, whatever the mode says (Linux: may_open
		 * skips). */
		struct inode *inode = p.d->inode;
		err = opened(inode->ops->open(inode, p.mnt, p.d,
		                              oflags & ~(unsigned)(LINUX_O_CREAT | LINUX_O_EXCL |
		                                                   LINUX_O_NOCTTY | LINUX_O_TRUNC),
		                              out),
		             out);
	} else {
		if (inode_is_dir(p.d->inode))
			err = -EISDIR;
		else
			err = vfs_open_path(c->creds, &p, oflags, out);
	}
	path_put(&p);
	return err;
}
