/*
 * Directories of the gofer file system: the inode_ops that look up and
 * change names (each one gofer request), and directory files, whose
 * entries come from T_GETDENTS.
 *
 * A change to a directory marks it stale (and the inode whose link count
 * changed): the next stat asks the gofer for the host's mtime, ctime,
 * size and nlink instead of guessing them (goferfs.h, "cache mode").
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "sentry/fsimpl/gofer/goferfs_impl.h"

/* Entry bytes asked of the gofer per T_GETDENTS. */
#define GOFERFS_GETDENTS_SIZE (16 * 1024)

static uint64_t node_of(struct inode *inode)
{
	return goferfs_inode_of(inode)->node;
}

static void mark_stale(struct inode *inode)
{
	atomic_store(&goferfs_inode_of(inode)->stale, true);
}

/*
 * inode gained a name (link) or lost one (unlink, rmdir, replaced by a
 * rename; a directory then has none left). The link count changes at
 * once, for the VFS's checks (link of an unlinked file); the rest (ctime)
 * comes from the host at the next refresh.
 */
static void link_gained(struct inode *inode)
{
	pthread_mutex_lock(&inode->mu);
	inode->nlink++;
	pthread_mutex_unlock(&inode->mu);
	mark_stale(inode);
}

static void link_lost(struct inode *inode)
{
	pthread_mutex_lock(&inode->mu);
	if (inode_is_dir(inode) || inode->nlink == 0)
		inode->nlink = 0;
	else
		inode->nlink--;
	pthread_mutex_unlock(&inode->mu);
	mark_stale(inode);
}

/*
 * Runs one T_WALK of count names from node dir on a channel of the pool.
 * Returns 0 or -errno.
 */
static int walk_once(struct goferfs_sb *gs, uint64_t dir, const char *const *names, uint32_t count,
                     struct gofer_node *nodes, uint32_t *got, uint32_t *status)
{
	struct gofer_client *c;
	int err = goferfs_chan_get(gs, &c);
	if (err < 0)
		return err;
	err = gofer_client_walk(c, dir, names, count, nodes, got, status);
	goferfs_chan_put(gs, c);
	return err;
}

/*
 * goferfs_walk implements inode_ops.walk: up to GOFER_WALK_MAX names per
 * T_WALK. Besides at a symlink or a missing name, it stops after a
 * non-directory with names left, which the VFS turns into ENOTDIR after
 * its own checks: the gofer would fail the whole request with ENOTDIR, so
 * a request that does is walked again one name at a time to find where.
 */
int goferfs_walk(struct inode *dir, const char *const *names, int count, struct inode **out)
{
	struct goferfs_sb *gs = goferfs_sb_of_inode(dir);
	struct gofer_node nodes[GOFER_WALK_MAX];
	uint64_t cur = node_of(dir);
	bool one_by_one = false;
	int done = 0, err = 0;

	while (done < count) {
		uint32_t want = one_by_one ? 1 : (uint32_t)MIN(count - done, GOFER_WALK_MAX);
		uint32_t got, status;
		err = walk_once(gs, cur, names + done, want, nodes, &got, &status);
		if (err == -ENOTDIR && want > 1) {
			one_by_one = true;
			continue;
		}
		if (err < 0)
			goto out_put;
		for (uint32_t i = 0; i < got; i++) {
			err = goferfs_inode_new(gs, &nodes[i], &out[done]);
			if (err < 0) {
				while (++i < got)
					goferfs_close_node(gs, nodes[i].id);
				goto out_put;
			}
			done++;
		}
		if (status != GOFER_WALK_OK)
			break;
		cur = nodes[got - 1].id;
		if (done < count && !inode_is_dir(out[done - 1]))
			break;
	}
	return done;

out_put:
	for (int i = 0; i < done; i++)
		inode_put(out[i]);
	return err;
}

/* goferfs_lookup implements inode_ops.lookup: a walk of one name. */
int goferfs_lookup(struct inode *dir, const char *name, struct inode **out)
{
	int n = goferfs_walk(dir, &name, 1, out);
	if (n < 0)
		return n;
	return n == 1 ? 0 : -ENOENT;
}

/*
 * goferfs_create implements inode_ops.create: T_CREATE opens the new file
 * O_RDWR, and that fd becomes the inode's read-write fd, so the open that
 * follows needs no round trip.
 */
int goferfs_create(struct inode *dir, const char *name, const struct vfs_newnode *nn,
                   struct inode **out)
{
	struct goferfs_sb *gs = goferfs_sb_of_inode(dir);
	struct gofer_client *c;
	struct gofer_node n;

	int fd = goferfs_chan_get(gs, &c);
	if (fd < 0)
		return fd;
	fd = gofer_client_create(c, node_of(dir), name, LINUX_O_RDWR, nn->mode & LINUX_S_IALLUGO,
	                         nn->uid, nn->gid, &n);
	goferfs_chan_put(gs, c);
	if (fd < 0)
		return fd;
	mark_stale(dir);
	int err = goferfs_inode_new(gs, &n, out);
	if (err < 0) {
		goferfs_host_close(fd);
		return err;
	}
	atomic_store(&goferfs_inode_of(*out)->rw_fd, fd);
	return 0;
}

/* Makes the inode of a node that a creating request returned (err its result). */
static int finish_new(struct inode *dir, int err, const struct gofer_node *n, struct inode **out)
{
	if (err < 0)
		return err;
	mark_stale(dir);
	return goferfs_inode_new(goferfs_sb_of_inode(dir), n, out);
}

/* goferfs_mkdir implements inode_ops.mkdir. */
int goferfs_mkdir(struct inode *dir, const char *name, const struct vfs_newnode *nn,
                  struct inode **out)
{
	struct goferfs_sb *gs = goferfs_sb_of_inode(dir);
	struct gofer_client *c;
	struct gofer_node n;

	int err = goferfs_chan_get(gs, &c);
	if (err < 0)
		return err;
	err = gofer_client_mkdir(c, node_of(dir), name, nn->mode & LINUX_S_IALLUGO, nn->uid,
	                         nn->gid, &n);
	goferfs_chan_put(gs, c);
	return finish_new(dir, err, &n, out);
}

/*
 * goferfs_mknod implements inode_ops.mknod: regular files, FIFOs and
 * sockets; the gofer refuses device nodes (EPERM).
 */
int goferfs_mknod(struct inode *dir, const char *name, const struct vfs_newnode *nn,
                  struct inode **out)
{
	struct goferfs_sb *gs = goferfs_sb_of_inode(dir);
	struct gofer_client *c;
	struct gofer_node n;

	int err = goferfs_chan_get(gs, &c);
	if (err < 0)
		return err;
	err = gofer_client_mknod(c, node_of(dir), name, nn->mode, nn->rdev_major, nn->rdev_minor,
	                         nn->uid, nn->gid, &n);
	goferfs_chan_put(gs, c);
	return finish_new(dir, err, &n, out);
}

/* goferfs_symlink implements inode_ops.symlink; the new inode knows its target. */
int goferfs_symlink(struct inode *dir, const char *name, const char *target,
                    const struct vfs_newnode *nn, struct inode **out)
{
	struct goferfs_sb *gs = goferfs_sb_of_inode(dir);
	struct gofer_client *c;
	struct gofer_node n;

	int err = goferfs_chan_get(gs, &c);
	if (err < 0)
		return err;
	err = gofer_client_symlink(c, node_of(dir), name, target, nn->uid, nn->gid, &n);
	goferfs_chan_put(gs, c);
	err = finish_new(dir, err, &n, out);
	if (err == 0)
		atomic_store(&goferfs_inode_of(*out)->target,
		             strdup(target)); /* NULL: read later */
	return err;
}

/*
 * goferfs_link implements inode_ops.link. The VFS names target itself, so
 * the node the gofer returns for the new name is released at once.
 */
int goferfs_link(struct inode *dir, const char *name, struct inode *target)
{
	struct goferfs_sb *gs = goferfs_sb_of_inode(dir);
	struct gofer_client *c;
	struct gofer_node n;

	int err = goferfs_chan_get(gs, &c);
	if (err < 0)
		return err;
	err = gofer_client_link(c, node_of(dir), name, node_of(target), &n);
	if (err == 0 && gofer_client_close(c, &n.id, 1) < 0)
		log_debug("goferfs %s: T_CLOSE after link failed", gs->source);
	goferfs_chan_put(gs, c);
	if (err < 0)
		return err;
	mark_stale(dir);
	link_gained(target);
	return 0;
}

/* T_UNLINK of name in dir. */
static int remove_name(struct inode *dir, const char *name, struct inode *victim, uint32_t flags)
{
	struct goferfs_sb *gs = goferfs_sb_of_inode(dir);
	struct gofer_client *c;

	int err = goferfs_chan_get(gs, &c);
	if (err < 0)
		return err;
	err = gofer_client_unlink(c, node_of(dir), name, flags);
	goferfs_chan_put(gs, c);
	if (err < 0)
		return err;
	mark_stale(dir);
	if (victim)
		link_lost(victim);
	return 0;
}

/* goferfs_unlink implements inode_ops.unlink. */
int goferfs_unlink(struct inode *dir, const char *name, struct inode *victim)
{
	return remove_name(dir, name, victim, 0);
}

/* goferfs_rmdir implements inode_ops.rmdir: T_UNLINK with AT_REMOVEDIR. */
int goferfs_rmdir(struct inode *dir, const char *name, struct inode *victim)
{
	return remove_name(dir, name, victim, LINUX_AT_REMOVEDIR);
}

/*
 * goferfs_rename implements inode_ops.rename: T_RENAME with the flags (the
 * host checks that a replaced directory is empty). A replaced dst loses a
 * link; src's ctime changes on the host.
 */
int goferfs_rename(struct inode *olddir, const char *oldname, struct inode *newdir,
                   const char *newname, unsigned flags, struct inode *src, struct inode *dst)
{
	struct goferfs_sb *gs = goferfs_sb_of_inode(olddir);
	struct gofer_client *c;

	int err = goferfs_chan_get(gs, &c);
	if (err < 0)
		return err;
	err = gofer_client_rename(c, node_of(olddir), oldname, node_of(newdir), newname, flags);
	goferfs_chan_put(gs, c);
	if (err < 0)
		return err;
	mark_stale(olddir);
	mark_stale(newdir);
	mark_stale(src);
	if (dst && (flags & LINUX_RENAME_EXCHANGE))
		mark_stale(dst);
	else if (dst)
		link_lost(dst);
	return 0;
}

/* ---- Directory files ---- */

/*
 * An open directory. f->pos counts entries: 0 is ".", 1 is "..", 2 the
 * first host entry; host_off is the host's cookie for entry next_pos, so
 * reading on needs no count, and a seek anywhere else reads from the
 * start and skips (telldir/seekdir positions stay valid while the
 * directory does not change, as on Linux).
 */
struct goferfs_dir_file {
	struct file base;
	/* Protected by base.pos_mu (vfs_iterate holds it). */
	uint64_t host_off;
	int64_t next_pos;
};

static struct goferfs_dir_file *to_dir_file(struct file *f)
{
	return container_of(f, struct goferfs_dir_file, base);
}

static bool is_dot_or_dotdot(const char *name)
{
	return name[0] == '.' && (name[1] == '\0' || (name[1] == '.' && name[2] == '\0'));
}

/*
 * Emits the entries of one T_GETDENTS reply (size bytes at buf). Returns
 * false when the caller's buffer is full.
 */
static bool emit_entries(struct goferfs_dir_file *df, struct dir_ctx *ctx, const uint8_t *buf,
                         size_t size)
{
	struct gofer_dirent e;
	size_t pos = 0;

	while (gofer_dirent_next(buf, size, &pos, &e)) {
		if (is_dot_or_dotdot(e.name)) {
			/* The gofer leaves them out; ours came from vfs_dir_emit_dots. */
			df->host_off = e.off;
			continue;
		}
		if (df->next_pos >= ctx->pos &&
		    !ctx->emit(ctx, e.name, strlen(e.name), e.ino, e.type))
			return false;
		df->host_off = e.off;
		df->next_pos++;
		if (df->next_pos > ctx->pos)
			ctx->pos = df->next_pos;
	}
	return true;
}

/* goferfs_dir_iterate implements file_ops.iterate from the host's entries. */
static int goferfs_dir_iterate(struct file *f, struct dir_ctx *ctx)
{
	struct goferfs_dir_file *df = to_dir_file(f);
	struct goferfs_sb *gs = goferfs_sb_of_inode(f->inode);
	uint64_t node = node_of(f->inode);
	struct gofer_client *c;
	int err = 0;

	if (!vfs_dir_emit_dots(f, ctx))
		return 0;
	if (ctx->pos < df->next_pos) {
		/* A seek back: count from the start again. */
		df->host_off = 0;
		df->next_pos = 2;
	}
	uint8_t *buf = malloc(GOFERFS_GETDENTS_SIZE);
	if (!buf)
		return -ENOMEM;
	for (;;) {
		err = goferfs_chan_get(gs, &c);
		if (err < 0)
			break;
		ssize_t n =
		        gofer_client_getdents(c, node, df->host_off, buf, GOFERFS_GETDENTS_SIZE);
		goferfs_chan_put(gs, c);
		if (n <= 0) {
			err = (int)n;
			break;
		}
		if (!emit_entries(df, ctx, buf, (size_t)n))
			break;
	}
	free(buf);
	return err;
}

static void goferfs_dir_release(struct file *f)
{
	vfs_file_release(f);
	free(to_dir_file(f));
}

static const struct file_ops g_goferfs_dir_file_ops = {
	.iterate = goferfs_dir_iterate,
	.release = goferfs_dir_release,
};

/* Directory files need no host fd: T_GETDENTS reopens the directory on the host. */
int goferfs_dir_open(struct inode *inode, struct mount *mnt, struct dentry *d, unsigned flags,
                     struct file **out)
{
	struct goferfs_dir_file *df = calloc(1, sizeof(*df));
	if (!df)
		return -ENOMEM;
	vfs_file_init(&df->base, &g_goferfs_dir_file_ops, flags, mnt, d, inode);
	df->host_off = 0;
	df->next_pos = 2;
	*out = &df->base;
	return 0;
}
