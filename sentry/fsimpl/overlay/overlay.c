/* The overlay file system: see overlay.h. */
#include "sentry/fsimpl/overlay/overlay.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "sentry/vfs/file.h"

#define OPAQUE_XATTR "trusted.overlay.opaque"
#define COPY_CHUNK   (1024 * 1024)

struct ovl_sb {
	struct superblock base;
	struct superblock *lower_sb, *upper_sb; /* references */
	pthread_mutex_t copy_mu;
	pthread_mutex_t names_mu; /* every ovl_inode's parent and name */
};

struct ovl_inode {
	struct inode base;
	/* Protected by base.mu: upper is set once, by a copy-up. */
	struct inode *upper; /* a reference, or NULL */
	struct inode *lower; /* a reference, or NULL; never changes */
	bool opaque;         /* a directory hiding the lower layer */
	bool changed;        /* a merged directory changed through the overlay (under base.mu) */
	/* Protected by ovl_sb.names_mu: where the inode is, for copy-up. */
	struct ovl_inode *parent; /* a reference; NULL for the root */
	char *name;
};

static const struct inode_ops g_ovl_inode_ops;
static const struct file_ops g_ovl_file_ops;
static const struct file_ops g_ovl_dir_ops;

static struct ovl_sb *to_osb(struct superblock *sb)
{
	return container_of(sb, struct ovl_sb, base);
}

static struct ovl_inode *to_oi(struct inode *i)
{
	return container_of(i, struct ovl_inode, base);
}

/* The layer inode that is the file now: upper if copied up, else lower (a new reference). */
static struct inode *oi_real(struct ovl_inode *oi)
{
	pthread_mutex_lock(&oi->base.mu);
	struct inode *r = oi->upper ? oi->upper : oi->lower;
	inode_get(r);
	pthread_mutex_unlock(&oi->base.mu);
	return r;
}

static struct inode *oi_upper(struct ovl_inode *oi)
{
	pthread_mutex_lock(&oi->base.mu);
	struct inode *u = oi->upper ? inode_get(oi->upper) : NULL;
	pthread_mutex_unlock(&oi->base.mu);
	return u;
}

static bool is_whiteout(struct inode *i)
{
	return (i->mode & LINUX_S_IFMT) == LINUX_S_IFCHR && i->rdev_major == 0 &&
	       i->rdev_minor == 0;
}

static bool upper_is_opaque(struct inode *upper)
{
	char v[2];
	if (!upper->ops->getxattr)
		return false;
	ssize_t n = upper->ops->getxattr(upper, OPAQUE_XATTR, v, sizeof(v));
	return n == 1 && v[0] == 'y';
}

/* A snapshot of a layer inode's attributes. */
struct ovl_attrs {
	uint32_t mode, uid, gid, nlink, rmaj, rmin, blksize;
	int64_t size;
	uint64_t blocks;
	struct linux_statx_timestamp at, mt, ct, bt;
};

static int layer_attrs(struct inode *i, struct ovl_attrs *a)
{
	if (i->ops->refresh) {
		int err = i->ops->refresh(i);
		if (err < 0)
			return err;
	}
	pthread_mutex_lock(&i->mu);
	*a = (struct ovl_attrs){ i->mode,       i->uid,     i->gid,  i->nlink,  i->rdev_major,
		                 i->rdev_minor, i->blksize, i->size, i->blocks, i->atime,
		                 i->mtime,      i->ctime,   i->btime };
	pthread_mutex_unlock(&i->mu);
	return 0;
}

/*
 * Copies the real inode's attributes into the overlay inode. A merged
 * directory shows its lower directory's (the upper one is only a
 * skeleton), and once changed through the overlay, the upper one's mode,
 * owner and times over the lower one's link count and size.
 */
static int ovl_refresh(struct inode *inode)
{
	struct ovl_inode *oi = to_oi(inode);
	pthread_mutex_lock(&inode->mu);
	struct inode *upper = oi->upper ? inode_get(oi->upper) : NULL;
	bool changed = oi->changed;
	pthread_mutex_unlock(&inode->mu);
	struct ovl_attrs a;
	int err;
	if (upper && oi->lower && inode_is_dir(upper)) {
		err = layer_attrs(oi->lower, &a);
		struct ovl_attrs u;
		if (err == 0 && changed && layer_attrs(upper, &u) == 0) {
			a.mode = u.mode;
			a.uid = u.uid;
			a.gid = u.gid;
			a.at = u.at;
			a.mt = u.mt;
			a.ct = u.ct;
		}
	} else {
		err = layer_attrs(upper ? upper : oi->lower, &a);
	}
	if (upper)
		inode_put(upper);
	if (err < 0)
		return err;
	pthread_mutex_lock(&inode->mu);
	inode->mode = a.mode;
	inode->uid = a.uid;
	inode->gid = a.gid;
	inode->nlink = a.nlink;
	inode->rdev_major = a.rmaj;
	inode->rdev_minor = a.rmin;
	inode->blksize = a.blksize;
	inode->size = a.size;
	inode->blocks = a.blocks;
	inode->atime = a.at;
	inode->mtime = a.mt;
	inode->ctime = a.ct;
	inode->btime = a.bt;
	pthread_mutex_unlock(&inode->mu);
	return 0;
}

/* Notes a change of a merged directory's entries or attributes, and shows it. */
static void ovl_changed(struct inode *inode)
{
	pthread_mutex_lock(&inode->mu);
	to_oi(inode)->changed = true;
	pthread_mutex_unlock(&inode->mu);
	ovl_refresh(inode);
}

/* A new overlay inode for (upper, lower), both consumed (either may be NULL). */
static struct ovl_inode *ovl_inode_new(struct superblock *sb, struct ovl_inode *parent,
                                       const char *name, struct inode *upper, struct inode *lower)
{
	struct ovl_inode *oi = calloc(1, sizeof(*oi));
	char *n = strdup(name);
	if (!oi || !n) {
		free(oi);
		free(n);
		if (upper)
			inode_put(upper);
		if (lower)
			inode_put(lower);
		return NULL;
	}
	struct inode *real = upper ? upper : lower;
	uint64_t ino = lower ? lower->ino : upper->ino;
	inode_init(&oi->base, sb, &g_ovl_inode_ops, ino, real->mode, real->uid, real->gid);
	oi->upper = upper;
	oi->lower = lower;
	oi->name = n;
	oi->parent = parent ? to_oi(inode_get(&parent->base)) : NULL;
	if (upper && inode_is_dir(upper) && lower)
		oi->opaque = false;
	else if (upper && inode_is_dir(upper))
		oi->opaque = upper_is_opaque(upper);
	ovl_refresh(&oi->base);
	return oi;
}

static void ovl_inode_release(struct inode *inode)
{
	struct ovl_inode *oi = to_oi(inode);
	if (oi->upper)
		inode_put(oi->upper);
	if (oi->lower)
		inode_put(oi->lower);
	if (oi->parent)
		inode_put(&oi->parent->base);
	free(oi->name);
	free(oi);
}

/* Looks name up in one layer directory: 0 and a reference, -ENOENT, or -errno. */
static int layer_lookup(struct inode *dir, const char *name, struct inode **out)
{
	if (!dir || !inode_is_dir(dir) || !dir->ops->lookup)
		return -ENOENT;
	return dir->ops->lookup(dir, name, out);
}

static int ovl_lookup(struct inode *dir, const char *name, struct inode **out)
{
	struct ovl_inode *od = to_oi(dir);
	struct inode *udir = oi_upper(od);
	struct inode *upper = NULL, *lower = NULL;
	int err = layer_lookup(udir, name, &upper);
	if (err < 0 && err != -ENOENT)
		goto out;
	if (upper && is_whiteout(upper)) {
		inode_put(upper);
		err = -ENOENT;
		goto out;
	}
	bool look_lower = !od->opaque && od->lower &&
	                  (!upper || (inode_is_dir(upper) && !upper_is_opaque(upper)));
	if (look_lower) {
		err = layer_lookup(od->lower, name, &lower);
		if (err < 0 && err != -ENOENT) {
			if (upper)
				inode_put(upper);
			goto out;
		}
		/* A lower non-directory under an upper directory is hidden by it. */
		if (lower && upper && !inode_is_dir(lower)) {
			inode_put(lower);
			lower = NULL;
		}
	}
	if (!upper && !lower) {
		err = -ENOENT;
		goto out;
	}
	struct ovl_inode *oi = ovl_inode_new(dir->sb, od, name, upper, lower);
	if (!oi) {
		err = -ENOMEM;
		goto out;
	}
	*out = &oi->base;
	err = 0;
out:
	if (udir)
		inode_put(udir);
	return err;
}

/* ---- Copy-up ---- */

static int copy_data(struct inode *lower, struct inode *upper)
{
	struct file *in = NULL, *out = NULL;
	int err = lower->ops->open(lower, NULL, NULL, LINUX_O_RDONLY, &in);
	if (err < 0)
		return err;
	err = upper->ops->open(upper, NULL, NULL, LINUX_O_WRONLY, &out);
	if (err < 0) {
		file_put(in);
		return err;
	}
	char *buf = malloc(COPY_CHUNK);
	if (!buf)
		err = -ENOMEM;
	int64_t off = 0;
	while (err == 0) {
		ssize_t n = in->ops->read(in, buf, COPY_CHUNK, off);
		if (n < 0)
			err = (int)n;
		if (n <= 0)
			break;
		for (ssize_t done = 0; done < n && err == 0;) {
			ssize_t w =
			        out->ops->write(out, buf + done, (size_t)(n - done), off + done);
			if (w < 0)
				err = (int)w;
			else if (w == 0)
				err = -ENOSPC;
			else
				done += w;
		}
		off += n;
	}
	free(buf);
	file_put(in);
	file_put(out);
	return err;
}

static int copy_up_locked(struct ovl_sb *osb, struct ovl_inode *oi, bool data);

/* The upper directory of a parent, copying it up first. A new reference. */
static int upper_dir_of(struct ovl_sb *osb, struct ovl_inode *dir, struct inode **out)
{
	int err = copy_up_locked(osb, dir, true);
	if (err < 0)
		return err;
	*out = oi_upper(dir);
	return *out ? 0 : -EIO;
}

/* Makes the upper copy of oi (and of its parents). Preconditions: osb->copy_mu held. */
static int copy_up_locked(struct ovl_sb *osb, struct ovl_inode *oi, bool data)
{
	struct inode *have = oi_upper(oi);
	if (have) {
		inode_put(have);
		return 0;
	}
	pthread_mutex_lock(&osb->names_mu);
	struct ovl_inode *parent = oi->parent ? to_oi(inode_get(&oi->parent->base)) : NULL;
	char name[LINUX_NAME_MAX + 1];
	snprintf(name, sizeof(name), "%s", oi->name);
	pthread_mutex_unlock(&osb->names_mu);
	if (!parent)
		return -EIO; /* the root always has an upper layer */
	struct inode *udir;
	int err = upper_dir_of(osb, parent, &udir);
	inode_put(&parent->base);
	if (err < 0)
		return err;

	struct inode *lower = oi->lower;
	if (lower->ops->refresh)
		lower->ops->refresh(lower);
	pthread_mutex_lock(&lower->mu);
	struct vfs_newnode nn = { .mode = lower->mode,
		                  .uid = lower->uid,
		                  .gid = lower->gid,
		                  .rdev_major = lower->rdev_major,
		                  .rdev_minor = lower->rdev_minor };
	struct vfs_setattr times = { .mask = VFS_ATTR_ATIME | VFS_ATTR_MTIME,
		                     .atime = lower->atime,
		                     .mtime = lower->mtime };
	pthread_mutex_unlock(&lower->mu);

	/* A whiteout may hide the name (the lower entry came back by rename): drop it. */
	struct inode *old = NULL;
	if (layer_lookup(udir, name, &old) == 0) {
		if (is_whiteout(old) && udir->ops->unlink)
			err = udir->ops->unlink(udir, name, old);
		else
			err = -EEXIST;
		inode_put(old);
		if (err < 0)
			goto out_put_udir;
	}

	struct inode *upper = NULL;
	uint32_t type = nn.mode & LINUX_S_IFMT;
	if (type == LINUX_S_IFDIR) {
		err = udir->ops->mkdir(udir, name, &nn, &upper);
	} else if (type == LINUX_S_IFLNK) {
		char *target = malloc(LINUX_PATH_MAX + 1);
		ssize_t n =
		        target ? lower->ops->readlink(lower, target, LINUX_PATH_MAX + 1) : -ENOMEM;
		err = n < 0 ? (int)n : udir->ops->symlink(udir, name, target, &nn, &upper);
		free(target);
	} else if (type == LINUX_S_IFREG) {
		err = udir->ops->create(udir, name, &nn, &upper);
		if (err == 0 && data) {
			err = copy_data(lower, upper);
			if (err < 0) {
				udir->ops->unlink(udir, name, upper);
				inode_put(upper);
				upper = NULL;
			}
		}
	} else {
		err = udir->ops->mknod(udir, name, &nn, &upper);
	}
	if (err < 0)
		goto out_put_udir;
	/* Owner and times as the lower file has them (create used the creator's). */
	struct vfs_setattr own = { .mask = VFS_ATTR_UID | VFS_ATTR_GID | VFS_ATTR_MODE,
		                   .uid = nn.uid,
		                   .gid = nn.gid,
		                   .mode = nn.mode & LINUX_S_IALLUGO };
	if (type != LINUX_S_IFLNK && upper->ops->setattr) {
		upper->ops->setattr(upper, &own);
		upper->ops->setattr(upper, &times);
	}
	pthread_mutex_lock(&oi->base.mu);
	oi->upper = upper;
	pthread_mutex_unlock(&oi->base.mu);
out_put_udir:
	inode_put(udir);
	return err;
}

static int copy_up(struct ovl_inode *oi, bool data)
{
	struct ovl_sb *osb = to_osb(oi->base.sb);
	struct inode *have = oi_upper(oi);
	if (have) {
		inode_put(have);
		return 0;
	}
	pthread_mutex_lock(&osb->copy_mu);
	int err = copy_up_locked(osb, oi, data);
	pthread_mutex_unlock(&osb->copy_mu);
	return err;
}

/* ---- Directory changes ---- */

/*
 * Prepares the upper directory of dir for a new entry name: copies dir up
 * and removes a whiteout of that name. *had_lower says whether something
 * of that name was hidden (so a new directory there must be opaque).
 */
static int prepare_create(struct ovl_inode *dir, const char *name, struct inode **out_udir,
                          bool *had_lower)
{
	int err = copy_up(dir, true);
	if (err < 0)
		return err;
	struct inode *udir = oi_upper(dir);
	*had_lower = false;
	struct inode *old = NULL;
	err = layer_lookup(udir, name, &old);
	if (err == 0) {
		if (is_whiteout(old)) {
			err = udir->ops->unlink(udir, name, old);
			*had_lower = true;
		} else {
			err = -EEXIST;
		}
		inode_put(old);
	} else if (err == -ENOENT) {
		err = 0;
		if (dir->lower && !dir->opaque) {
			struct inode *l = NULL;
			if (layer_lookup(dir->lower, name, &l) == 0) {
				*had_lower = true;
				inode_put(l);
			}
		}
	}
	if (err < 0) {
		inode_put(udir);
		return err;
	}
	*out_udir = udir;
	return 0;
}

static int make_opaque(struct inode *upper)
{
	if (!upper->ops->setxattr)
		return -EOPNOTSUPP;
	return upper->ops->setxattr(upper, OPAQUE_XATTR, "y", 1, 0);
}

enum ovl_create { OVL_REG, OVL_DIR, OVL_NODE, OVL_SYMLINK };

static int create_common(struct inode *dir, const char *name, const struct vfs_newnode *nn,
                         const char *target, enum ovl_create kind, struct inode **out)
{
	struct ovl_inode *od = to_oi(dir);
	struct inode *udir;
	bool had_lower;
	int err = prepare_create(od, name, &udir, &had_lower);
	if (err < 0)
		return err;
	struct inode *upper = NULL;
	switch (kind) {
	case OVL_REG:
		err = udir->ops->create(udir, name, nn, &upper);
		break;
	case OVL_DIR:
		err = udir->ops->mkdir(udir, name, nn, &upper);
		if (err == 0 && had_lower) {
			err = make_opaque(upper);
			if (err < 0) {
				udir->ops->rmdir(udir, name, upper);
				inode_put(upper);
			}
		}
		break;
	case OVL_NODE:
		err = udir->ops->mknod(udir, name, nn, &upper);
		break;
	case OVL_SYMLINK:
		err = udir->ops->symlink(udir, name, target, nn, &upper);
		break;
	}
	inode_put(udir);
	if (err < 0)
		return err;
	struct ovl_inode *oi = ovl_inode_new(dir->sb, od, name, upper, NULL);
	if (!oi)
		return -ENOMEM;
	if (kind == OVL_DIR)
		oi->opaque = true; /* new: nothing below it, whatever the lower layer has */
	ovl_changed(dir);
	*out = &oi->base;
	return 0;
}

static int ovl_create(struct inode *dir, const char *name, const struct vfs_newnode *nn,
                      struct inode **out)
{
	return create_common(dir, name, nn, NULL, OVL_REG, out);
}

static int ovl_mkdir(struct inode *dir, const char *name, const struct vfs_newnode *nn,
                     struct inode **out)
{
	return create_common(dir, name, nn, NULL, OVL_DIR, out);
}

static int ovl_mknod(struct inode *dir, const char *name, const struct vfs_newnode *nn,
                     struct inode **out)
{
	return create_common(dir, name, nn, NULL, OVL_NODE, out);
}

static int ovl_symlink(struct inode *dir, const char *name, const char *target,
                       const struct vfs_newnode *nn, struct inode **out)
{
	return create_common(dir, name, nn, target, OVL_SYMLINK, out);
}

/* Leaves a whiteout for name in the upper directory. */
static int whiteout(struct inode *udir, const char *name)
{
	struct vfs_newnode nn = { .mode = LINUX_S_IFCHR | 0 };
	struct inode *w;
	int err = udir->ops->mknod(udir, name, &nn, &w);
	if (err == 0)
		inode_put(w);
	return err;
}

/* Names in a merged listing, gathered by dir_names(). */
struct name_list {
	char **names;
	unsigned char *types;
	uint64_t *inos;
	size_t count, cap;
};

static void names_free(struct name_list *l)
{
	for (size_t i = 0; i < l->count; i++)
		free(l->names[i]);
	free(l->names);
	free(l->types);
	free(l->inos);
	memset(l, 0, sizeof(*l));
}

static bool names_has(const struct name_list *l, const char *name, size_t len)
{
	for (size_t i = 0; i < l->count; i++) {
		if (strlen(l->names[i]) == len && memcmp(l->names[i], name, len) == 0)
			return true;
	}
	return false;
}

static bool names_add(struct name_list *l, const char *name, size_t len, unsigned type,
                      uint64_t ino)
{
	if (l->count == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 32;
		char **n = realloc(l->names, cap * sizeof(*n));
		if (n)
			l->names = n;
		unsigned char *t = realloc(l->types, cap);
		if (t)
			l->types = t;
		uint64_t *i = realloc(l->inos, cap * sizeof(*i));
		if (i)
			l->inos = i;
		if (!n || !t || !i)
			return false;
		l->cap = cap;
	}
	char *copy = strndup(name, len);
	if (!copy)
		return false;
	l->names[l->count] = copy;
	l->types[l->count] = (unsigned char)type;
	l->inos[l->count] = ino;
	l->count++;
	return true;
}

struct gather_ctx {
	struct dir_ctx ctx;
	struct name_list *out;
	bool failed;
};

static bool gather_emit(struct dir_ctx *ctx, const char *name, size_t len, uint64_t ino,
                        unsigned type)
{
	struct gather_ctx *g = container_of(ctx, struct gather_ctx, ctx);
	if ((len == 1 && name[0] == '.') || (len == 2 && name[0] == '.' && name[1] == '.'))
		return true;
	if (!names_add(g->out, name, len, type, ino))
		g->failed = true;
	return !g->failed;
}

/* Every entry of one layer directory ("." and ".." left out). */
static int layer_names(struct inode *dir, struct name_list *out)
{
	struct file *f;
	int err = dir->ops->open(dir, NULL, NULL, LINUX_O_RDONLY | LINUX_O_DIRECTORY, &f);
	if (err < 0)
		return err;
	struct gather_ctx g = { .ctx = { .emit = gather_emit, .pos = 0 }, .out = out };
	/* Iterate until a pass adds nothing: a layer may stop when its batch is done. */
	for (;;) {
		size_t before = out->count;
		int64_t pos = g.ctx.pos;
		err = f->ops->iterate(f, &g.ctx);
		if (err < 0 || g.failed || (out->count == before && g.ctx.pos == pos))
			break;
	}
	file_put(f);
	return g.failed ? -ENOMEM : err;
}

/*
 * The merged entries of an overlay directory: upper ones (whiteouts
 * hidden, and recorded in *whiteouts when not NULL), then lower ones not
 * shadowed by either.
 */
static int merged_names(struct ovl_inode *od, struct name_list *out, struct name_list *whiteouts)
{
	struct inode *udir = oi_upper(od);
	struct name_list upper = { 0 };
	int err = 0;
	if (udir)
		err = layer_names(udir, &upper);
	for (size_t i = 0; err == 0 && i < upper.count; i++) {
		const char *n = upper.names[i];
		bool wh = false;
		if (upper.types[i] == LINUX_DT_CHR) {
			struct inode *ui;
			if (layer_lookup(udir, n, &ui) == 0) {
				wh = is_whiteout(ui);
				inode_put(ui);
			}
		}
		if (wh) {
			if (whiteouts && !names_add(whiteouts, n, strlen(n), 0, 0))
				err = -ENOMEM;
		} else if (!names_add(out, n, strlen(n), upper.types[i], upper.inos[i])) {
			err = -ENOMEM;
		}
	}
	bool opaque = od->opaque || (udir && !od->lower);
	if (err == 0 && od->lower && !opaque) {
		struct name_list lower = { 0 };
		err = layer_names(od->lower, &lower);
		for (size_t i = 0; err == 0 && i < lower.count; i++) {
			const char *n = lower.names[i];
			size_t len = strlen(n);
			if (names_has(&upper, n, len))
				continue;
			if (!names_add(out, n, len, lower.types[i], lower.inos[i]))
				err = -ENOMEM;
		}
		names_free(&lower);
	}
	names_free(&upper);
	if (udir)
		inode_put(udir);
	return err;
}

static int ovl_unlink_common(struct inode *dir, const char *name, struct inode *victim, bool is_dir)
{
	struct ovl_inode *od = to_oi(dir), *ov = to_oi(victim);
	struct name_list whiteouts = { 0 };
	int err = 0;
	if (is_dir) {
		struct name_list entries = { 0 };
		err = merged_names(ov, &entries, &whiteouts);
		if (err == 0 && entries.count > 0)
			err = -ENOTEMPTY;
		names_free(&entries);
		if (err < 0)
			goto out;
	}
	err = copy_up(od, true);
	if (err < 0)
		goto out;
	struct inode *udir = oi_upper(od);
	struct inode *vup = oi_upper(ov);
	if (vup) {
		/* The whiteouts inside go first, or the upper rmdir finds it not empty. */
		for (size_t i = 0; err == 0 && i < whiteouts.count; i++) {
			struct inode *w;
			if (layer_lookup(vup, whiteouts.names[i], &w) == 0) {
				err = vup->ops->unlink(vup, whiteouts.names[i], w);
				inode_put(w);
			}
		}
		if (err == 0)
			err = is_dir ? udir->ops->rmdir(udir, name, vup)
			             : udir->ops->unlink(udir, name, vup);
		inode_put(vup);
	}
	if (err == 0 && ov->lower)
		err = whiteout(udir, name);
	inode_put(udir);
	if (err == 0) {
		ovl_changed(dir);
		pthread_mutex_lock(&victim->mu);
		if (victim->nlink > 0)
			victim->nlink--;
		if (is_dir)
			victim->nlink = 0;
		pthread_mutex_unlock(&victim->mu);
	}
out:
	names_free(&whiteouts);
	return err;
}

static int ovl_unlink(struct inode *dir, const char *name, struct inode *victim)
{
	return ovl_unlink_common(dir, name, victim, false);
}

static int ovl_rmdir(struct inode *dir, const char *name, struct inode *victim)
{
	return ovl_unlink_common(dir, name, victim, true);
}

static int ovl_link(struct inode *dir, const char *name, struct inode *target)
{
	struct ovl_inode *ot = to_oi(target);
	int err = copy_up(ot, true);
	if (err < 0)
		return err;
	struct inode *udir;
	bool had_lower;
	err = prepare_create(to_oi(dir), name, &udir, &had_lower);
	if (err < 0)
		return err;
	struct inode *tup = oi_upper(ot);
	err = udir->ops->link ? udir->ops->link(udir, name, tup) : -EPERM;
	inode_put(tup);
	inode_put(udir);
	if (err == 0) {
		ovl_refresh(target);
		ovl_changed(dir);
	}
	return err;
}

static int ovl_rename(struct inode *olddir, const char *oldname, struct inode *newdir,
                      const char *newname, unsigned flags, struct inode *src, struct inode *dst)
{
	struct ovl_inode *ood = to_oi(olddir), *ond = to_oi(newdir);
	struct ovl_inode *os = to_oi(src), *odst = dst ? to_oi(dst) : NULL;
	struct ovl_sb *osb = to_osb(olddir->sb);
	/* A directory with lower entries would need all of them copied: EXDEV, as Linux. */
	if (inode_is_dir(src) && os->lower)
		return -EXDEV;
	if ((flags & LINUX_RENAME_EXCHANGE) && odst && odst->lower)
		return -EXDEV;
	if (dst && inode_is_dir(dst) && !(flags & LINUX_RENAME_EXCHANGE)) {
		struct name_list entries = { 0 };
		int err = merged_names(odst, &entries, NULL);
		size_t n = entries.count;
		names_free(&entries);
		if (err < 0)
			return err;
		if (n > 0)
			return -ENOTEMPTY;
	}
	int err = copy_up(os, true);
	if (err == 0 && odst)
		err = copy_up(odst, true);
	if (err == 0)
		err = copy_up(ood, true);
	if (err == 0)
		err = copy_up(ond, true);
	if (err < 0)
		return err;
	struct inode *uold = oi_upper(ood), *unew = oi_upper(ond);
	/* A whiteout under the new name goes; a hidden lower entry there makes a new dir opaque. */
	bool new_had_lower = false;
	struct inode *w = NULL;
	if (!dst && layer_lookup(unew, newname, &w) == 0) {
		if (is_whiteout(w))
			err = unew->ops->unlink(unew, newname, w);
		new_had_lower = true;
		inode_put(w);
	}
	if (err == 0)
		err = uold->ops->rename(uold, oldname, unew, newname, flags, os->upper,
		                        odst ? odst->upper : NULL);
	if (err == 0 && dst && inode_is_dir(dst) && odst->lower && !(flags & LINUX_RENAME_EXCHANGE))
		new_had_lower = true;
	if (err == 0 && new_had_lower && inode_is_dir(src)) {
		make_opaque(os->upper);
		os->opaque = true;
	}
	/* The old name showed a lower entry: hide it now that the upper one moved away. */
	if (err == 0 && os->lower && !(flags & LINUX_RENAME_EXCHANGE))
		err = whiteout(uold, oldname);
	if (err == 0) {
		pthread_mutex_lock(&osb->names_mu);
		char *n1 = strdup(newname), *n2 = odst ? strdup(oldname) : NULL;
		if (n1) {
			free(os->name);
			os->name = n1;
		}
		if (os->parent != ond) {
			struct ovl_inode *oldp = os->parent;
			os->parent = to_oi(inode_get(newdir));
			if (odst && (flags & LINUX_RENAME_EXCHANGE)) {
				struct ovl_inode *dp = odst->parent;
				odst->parent = oldp;
				oldp = dp;
			}
			pthread_mutex_unlock(&osb->names_mu);
			inode_put(&oldp->base);
			pthread_mutex_lock(&osb->names_mu);
		}
		if (n2 && (flags & LINUX_RENAME_EXCHANGE)) {
			free(odst->name);
			odst->name = n2;
		} else {
			free(n2);
		}
		pthread_mutex_unlock(&osb->names_mu);
		ovl_changed(olddir);
		ovl_changed(newdir);
		if (dst && !(flags & LINUX_RENAME_EXCHANGE))
			ovl_refresh(dst);
	}
	inode_put(uold);
	inode_put(unew);
	return err;
}

static int ovl_tmpfile(struct inode *dir, const struct vfs_newnode *nn, struct inode **out)
{
	struct ovl_inode *od = to_oi(dir);
	int err = copy_up(od, true);
	if (err < 0)
		return err;
	struct inode *udir = oi_upper(od);
	struct inode *upper;
	err = udir->ops->tmpfile ? udir->ops->tmpfile(udir, nn, &upper) : -EOPNOTSUPP;
	inode_put(udir);
	if (err < 0)
		return err;
	struct ovl_inode *oi = ovl_inode_new(dir->sb, od, "#tmpfile", upper, NULL);
	if (!oi)
		return -ENOMEM;
	*out = &oi->base;
	return 0;
}

static ssize_t ovl_readlink(struct inode *inode, char *buf, size_t size)
{
	struct inode *real = oi_real(to_oi(inode));
	ssize_t n = real->ops->readlink ? real->ops->readlink(real, buf, size) : -EINVAL;
	inode_put(real);
	return n;
}

static int ovl_setattr(struct inode *inode, const struct vfs_setattr *attr)
{
	struct ovl_inode *oi = to_oi(inode);
	/* Truncating to zero needs none of the old data. */
	bool data = !(attr->mask & VFS_ATTR_SIZE) || attr->size != 0;
	int err = copy_up(oi, data);
	if (err < 0)
		return err;
	struct inode *upper = oi_upper(oi);
	err = upper->ops->setattr ? upper->ops->setattr(upper, attr) : -EPERM;
	inode_put(upper);
	if (err == 0)
		ovl_changed(inode);
	return err;
}

static ssize_t ovl_getxattr(struct inode *inode, const char *name, void *buf, size_t size)
{
	if (strncmp(name, "trusted.overlay.", 16) == 0)
		return -ENODATA;
	struct inode *real = oi_real(to_oi(inode));
	ssize_t n = real->ops->getxattr ? real->ops->getxattr(real, name, buf, size) : -ENODATA;
	inode_put(real);
	return n;
}

static int ovl_setxattr(struct inode *inode, const char *name, const void *value, size_t size,
                        int flags)
{
	if (strncmp(name, "trusted.overlay.", 16) == 0)
		return -EPERM;
	struct ovl_inode *oi = to_oi(inode);
	int err = copy_up(oi, true);
	if (err < 0)
		return err;
	struct inode *upper = oi_upper(oi);
	err = upper->ops->setxattr ? upper->ops->setxattr(upper, name, value, size, flags)
	                           : -EOPNOTSUPP;
	inode_put(upper);
	return err;
}

static ssize_t ovl_listxattr(struct inode *inode, char *buf, size_t size)
{
	struct inode *real = oi_real(to_oi(inode));
	char *tmp = malloc(LINUX_XATTR_LIST_MAX);
	ssize_t n = !tmp                   ? -ENOMEM
	            : real->ops->listxattr ? real->ops->listxattr(real, tmp, LINUX_XATTR_LIST_MAX)
	                                   : 0;
	inode_put(real);
	if (n < 0) {
		free(tmp);
		return n;
	}
	/* Leave out the overlay's own attributes. */
	size_t len = 0;
	for (ssize_t i = 0; i < n;) {
		size_t l = strlen(tmp + i) + 1;
		if (strncmp(tmp + i, "trusted.overlay.", 16) != 0) {
			if (size && len + l > size) {
				free(tmp);
				return -ERANGE;
			}
			if (size)
				memcpy(buf + len, tmp + i, l);
			len += l;
		}
		i += (ssize_t)l;
	}
	free(tmp);
	return (ssize_t)len;
}

static int ovl_removexattr(struct inode *inode, const char *name)
{
	if (strncmp(name, "trusted.overlay.", 16) == 0)
		return -ENODATA;
	struct ovl_inode *oi = to_oi(inode);
	int err = copy_up(oi, true);
	if (err < 0)
		return err;
	struct inode *upper = oi_upper(oi);
	err = upper->ops->removexattr ? upper->ops->removexattr(upper, name) : -EOPNOTSUPP;
	inode_put(upper);
	return err;
}

/* ---- Files: a wrapper around the real layer's file ---- */

struct ovl_file {
	struct file base;
	struct file *real;
	/* Directories: the merged listing, made at the first read. */
	struct name_list names;
	bool listed;
};

static struct ovl_file *to_of(struct file *f)
{
	return container_of(f, struct ovl_file, base);
}

static int ovl_open(struct inode *inode, struct mount *mnt, struct dentry *d, unsigned flags,
                    struct file **out)
{
	struct ovl_inode *oi = to_oi(inode);
	unsigned acc = flags & LINUX_O_ACCMODE;
	int err;
	if (inode_is_reg(inode) && acc != LINUX_O_RDONLY) {
		err = copy_up(oi, true);
		if (err < 0)
			return err;
	}
	struct ovl_file *of = calloc(1, sizeof(*of));
	if (!of)
		return -ENOMEM;
	if (inode_is_dir(inode)) {
		vfs_file_init(&of->base, &g_ovl_dir_ops, flags, mnt, d, inode);
		*out = &of->base;
		return 0;
	}
	uint32_t type = inode->mode & LINUX_S_IFMT;
	if (type == LINUX_S_IFCHR) {
		free(of);
		return vfs_chrdev_open(inode, mnt, d, flags, out);
	}
	struct inode *real = oi_real(oi);
	err = real->ops->open ? real->ops->open(real, mnt, d, flags, &of->real) : -ENXIO;
	inode_put(real);
	if (err < 0) {
		free(of);
		return err;
	}
	vfs_file_init(&of->base, &g_ovl_file_ops, flags, mnt, d, inode);
	*out = &of->base;
	return 0;
}

static void ovl_file_release(struct file *f)
{
	struct ovl_file *of = to_of(f);
	if (of->real)
		file_put(of->real);
	names_free(&of->names);
	vfs_file_release(f);
	free(of);
}

static ssize_t ovl_read(struct file *f, void *buf, size_t len, int64_t off)
{
	struct file *r = to_of(f)->real;
	return r->ops->read(r, buf, len, off);
}

static ssize_t ovl_write(struct file *f, const void *buf, size_t len, int64_t off)
{
	struct file *r = to_of(f)->real;
	atomic_store(&r->flags, atomic_load(&f->flags));
	ssize_t n = r->ops->write(r, buf, len, off);
	if (n > 0)
		ovl_refresh(f->inode);
	return n;
}

static int ovl_fsync(struct file *f, bool datasync)
{
	struct file *r = to_of(f)->real;
	return r->ops->fsync ? r->ops->fsync(r, datasync) : 0;
}

static int ovl_mmap_fd(struct file *f, bool shared_write, int *out_fd)
{
	struct file *r = to_of(f)->real;
	return r->ops->mmap_fd ? r->ops->mmap_fd(r, shared_write, out_fd) : -ENODEV;
}

static int ovl_fallocate(struct file *f, int mode, int64_t off, int64_t len)
{
	struct file *r = to_of(f)->real;
	int err = r->ops->fallocate ? r->ops->fallocate(r, mode, off, len) : -EOPNOTSUPP;
	if (err == 0)
		ovl_refresh(f->inode);
	return err;
}

static bool ovl_seekable(struct file *f)
{
	struct file *r = to_of(f)->real;
	return r->ops->seekable ? r->ops->seekable(r) : false;
}

static int ovl_poll_host_fd(struct file *f)
{
	struct file *r = to_of(f)->real;
	return r->ops->poll_host_fd ? r->ops->poll_host_fd(r) : -1;
}

static int ovl_iterate(struct file *f, struct dir_ctx *ctx)
{
	struct ovl_file *of = to_of(f);
	if (!vfs_dir_emit_dots(f, ctx))
		return 0;
	if (!of->listed || ctx->pos == 2) {
		/* A rewind re-reads the directory, as a new getdents would on Linux. */
		names_free(&of->names);
		int err = merged_names(to_oi(f->inode), &of->names, NULL);
		if (err < 0)
			return err;
		of->listed = true;
	}
	while (ctx->pos >= 2 && (size_t)(ctx->pos - 2) < of->names.count) {
		size_t i = (size_t)(ctx->pos - 2);
		const char *n = of->names.names[i];
		if (!ctx->emit(ctx, n, strlen(n), of->names.inos[i], of->names.types[i]))
			return 0;
		ctx->pos++;
	}
	return 0;
}

static const struct file_ops g_ovl_file_ops = {
	.read = ovl_read,
	.write = ovl_write,
	.release = ovl_file_release,
	.seekable = ovl_seekable,
	.poll_host_fd = ovl_poll_host_fd,
	.fsync = ovl_fsync,
	.mmap_fd = ovl_mmap_fd,
	.fallocate = ovl_fallocate,
};

static const struct file_ops g_ovl_dir_ops = {
	.release = ovl_file_release,
	.iterate = ovl_iterate,
};

static const struct inode_ops g_ovl_inode_ops = {
	.lookup = ovl_lookup,
	.create = ovl_create,
	.mkdir = ovl_mkdir,
	.mknod = ovl_mknod,
	.symlink = ovl_symlink,
	.link = ovl_link,
	.unlink = ovl_unlink,
	.rmdir = ovl_rmdir,
	.rename = ovl_rename,
	.tmpfile = ovl_tmpfile,
	.readlink = ovl_readlink,
	.refresh = ovl_refresh,
	.setattr = ovl_setattr,
	.open = ovl_open,
	.getxattr = ovl_getxattr,
	.setxattr = ovl_setxattr,
	.listxattr = ovl_listxattr,
	.removexattr = ovl_removexattr,
	.release = ovl_inode_release,
};

/* ---- The superblock ---- */

static int ovl_statfs(struct superblock *sb, struct linux_statfs *out)
{
	struct superblock *upper = to_osb(sb)->upper_sb;
	int err = upper->ops->statfs ? upper->ops->statfs(upper, out) : 0;
	out->namelen = LINUX_NAME_MAX;
	return err;
}

static void ovl_sb_release(struct superblock *sb)
{
	struct ovl_sb *osb = to_osb(sb);
	superblock_shutdown(sb);
	superblock_put(osb->lower_sb);
	superblock_put(osb->upper_sb);
	pthread_mutex_destroy(&osb->copy_mu);
	pthread_mutex_destroy(&osb->names_mu);
	free(sb->options);
	free(osb);
}

static const struct super_ops g_ovl_super_ops = {
	.statfs = ovl_statfs,
	.release = ovl_sb_release,
};

int overlay_new(struct superblock *lower, struct superblock *upper, struct superblock **out)
{
	struct ovl_sb *osb = calloc(1, sizeof(*osb));
	if (!osb)
		return -ENOMEM;
	superblock_init(&osb->base, &g_ovl_super_ops, "overlay", OVERLAYFS_MAGIC, 0);
	osb->lower_sb = superblock_get(lower);
	osb->upper_sb = superblock_get(upper);
	pthread_mutex_init(&osb->copy_mu, NULL);
	pthread_mutex_init(&osb->names_mu, NULL);
	osb->base.options = strdup("lowerdir=/,upperdir=tmpfs");
	struct ovl_inode *root = ovl_inode_new(&osb->base, NULL, "/", inode_get(upper->root->inode),
	                                       inode_get(lower->root->inode));
	if (!root) {
		superblock_put(&osb->base);
		return -ENOMEM;
	}
	osb->base.root = vfs_dentry_new_root(&osb->base, &root->base);
	if (!osb->base.root) {
		superblock_put(&osb->base);
		return -ENOMEM;
	}
	*out = &osb->base;
	return 0;
}
