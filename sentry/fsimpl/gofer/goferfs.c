/*
 * The gofer file system: the superblock, its pool of channels, and the
 * life of inodes. See goferfs.h for the cache mode and goferfs_impl.h for
 * the lock order.
 *
 * The channel the superblock is given (ctl) only mounts and makes new
 * channels; every other request runs on a channel of the pool. So making
 * a channel never waits behind a request that blocks on the host (a FIFO
 * open), and a thread that finds every channel busy gets a new one.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "sentry/fsimpl/gofer/goferfs_impl.h"

static void goferfs_inode_release(struct inode *inode);

static const struct inode_ops g_goferfs_inode_ops = {
	.lookup = goferfs_lookup,
	.walk = goferfs_walk,
	.create = goferfs_create,
	.mkdir = goferfs_mkdir,
	.mknod = goferfs_mknod,
	.symlink = goferfs_symlink,
	.link = goferfs_link,
	.unlink = goferfs_unlink,
	.rmdir = goferfs_rmdir,
	.rename = goferfs_rename,
	/* No tmpfile: the protocol has no unnamed file (the VFS gives EOPNOTSUPP). */
	.readlink = goferfs_readlink,
	.refresh = goferfs_refresh,
	.setattr = goferfs_setattr,
	.open = goferfs_open,
	.getxattr = goferfs_getxattr,
	.setxattr = goferfs_setxattr,
	.listxattr = goferfs_listxattr,
	.removexattr = goferfs_removexattr,
	.release = goferfs_inode_release,
};

/* ---- The pool of channels ---- */

int goferfs_chan_get(struct goferfs_sb *gs, struct gofer_client **out)
{
	int err = -EIO;

	pthread_mutex_lock(&gs->pool_mu);
	for (;;) {
		if (gs->nidle > 0) {
			*out = gs->idle[--gs->nidle];
			pthread_mutex_unlock(&gs->pool_mu);
			return 0;
		}
		if (!gs->full && gs->nchans + gs->making < GOFERFS_CHANNELS_MAX) {
			struct gofer_client *c;
			gs->making++;
			pthread_mutex_unlock(&gs->pool_mu);
			err = gofer_client_channel(gs->ctl, &c);
			pthread_mutex_lock(&gs->pool_mu);
			gs->making--;
			if (err == 0) {
				gs->chans[gs->nchans++] = c;
				pthread_mutex_unlock(&gs->pool_mu);
				*out = c;
				return 0;
			}
			/*
			 * With channels to wait for, make do with them; with
			 * none, fail (and try again on the next call).
			 */
			if (gs->nchans > 0)
				gs->full = true;
			log_debug("goferfs %s: no new channel: %d", gs->source, err);
			pthread_cond_broadcast(&gs->pool_cond);
			continue;
		}
		if (gs->nchans == 0 && gs->making == 0) {
			pthread_mutex_unlock(&gs->pool_mu);
			return err;
		}
		pthread_cond_wait(&gs->pool_cond, &gs->pool_mu);
	}
}

/*
 * Gives c back to the pool. A channel dies only when the gofer breaks the
 * protocol or goes away (killed, say): from then on the files it serves
 * give EIO. With report, the first time, the log says why; closes do not
 * report, since the sandbox's teardown closes nodes after it has stopped
 * the gofer.
 */
static void chan_release(struct goferfs_sb *gs, struct gofer_client *c, bool report)
{
	pthread_mutex_lock(&gs->pool_mu);
	BUG_ON(gs->nidle >= gs->nchans);
	if (report && !gs->gone_logged && gofer_client_dead(c)) {
		gs->gone_logged = true;
		log_error("goferfs %s: the gofer is gone or broken: its files give EIO from now on",
		          gs->source);
	}
	gs->idle[gs->nidle++] = c;
	pthread_cond_signal(&gs->pool_cond);
	pthread_mutex_unlock(&gs->pool_mu);
}

void goferfs_chan_put(struct goferfs_sb *gs, struct gofer_client *c)
{
	chan_release(gs, c, true);
}

/* ---- Inodes ---- */

/* One T_CLOSE of ids (count of them). */
static void close_nodes(struct goferfs_sb *gs, const uint64_t *ids, unsigned count)
{
	struct gofer_client *c;
	int err = goferfs_chan_get(gs, &c);
	if (err == 0) {
		err = gofer_client_close(c, ids, count);
		chan_release(gs, c, false);
	}
	/* A dead gofer released everything already. */
	if (err < 0)
		log_debug("goferfs %s: T_CLOSE of %u nodes: %d", gs->source, count, err);
}

/*
 * Closes a node in a batch: a build released some 70 per run, each a round
 * trip of its own before.
 */
void goferfs_close_node(struct goferfs_sb *gs, uint64_t id)
{
	uint64_t ids[GOFERFS_CLOSE_BATCH];
	pthread_mutex_lock(&gs->close_mu);
	gs->closing[gs->nclosing++] = id;
	unsigned n = gs->nclosing == GOFERFS_CLOSE_BATCH ? gs->nclosing : 0;
	if (n) {
		memcpy(ids, gs->closing, n * sizeof(ids[0]));
		gs->nclosing = 0;
	}
	pthread_mutex_unlock(&gs->close_mu);
	if (n)
		close_nodes(gs, ids, n);
}

void goferfs_apply_statx_locked(struct inode *inode, const struct linux_statx *stx)
{
	inode->mode = (inode->mode & LINUX_S_IFMT) | (stx->mode & ~(uint32_t)LINUX_S_IFMT);
	inode->uid = stx->uid;
	inode->gid = stx->gid;
	inode->nlink = stx->nlink;
	inode->size = (int64_t)stx->size;
	inode->blocks = stx->blocks;
	inode->blksize = stx->blksize ? stx->blksize : 4096;
	inode->atime = stx->atime;
	inode->mtime = stx->mtime;
	inode->ctime = stx->ctime;
	if (stx->mask & LINUX_STATX_BTIME)
		inode->btime = stx->btime;
}

int goferfs_inode_new(struct goferfs_sb *gs, const struct gofer_node *n, struct inode **out)
{
	struct goferfs_inode *gi = calloc(1, sizeof(*gi));
	if (!gi) {
		goferfs_close_node(gs, n->id);
		return -ENOMEM;
	}
	inode_init(&gi->base, &gs->base, &g_goferfs_inode_ops, n->stat.ino, n->stat.mode,
	           n->stat.uid, n->stat.gid);
	gi->node = n->id;
	atomic_init(&gi->stale, false);
	pthread_mutex_init(&gi->fd_mu, NULL);
	atomic_init(&gi->ro_fd, -1);
	atomic_init(&gi->rw_fd, -1);
	atomic_init(&gi->rw_wronly, false);
	atomic_init(&gi->target, NULL);
	/* Not visible to anyone yet: no lock needed. */
	goferfs_apply_statx_locked(&gi->base, &n->stat);
	gi->base.rdev_major = n->stat.rdev_major;
	gi->base.rdev_minor = n->stat.rdev_minor;
	*out = &gi->base;
	return 0;
}

/* Frees the inode: its host fds, its cached target and the gofer's node. */
static void goferfs_inode_release(struct inode *inode)
{
	struct goferfs_inode *gi = goferfs_inode_of(inode);
	int ro = atomic_load(&gi->ro_fd), rw = atomic_load(&gi->rw_fd);

	if (ro >= 0)
		goferfs_host_close(ro);
	if (rw >= 0)
		goferfs_host_close(rw);
	free(atomic_load(&gi->target));
	goferfs_close_node(goferfs_sb_of_inode(inode), gi->node);
	pthread_mutex_destroy(&gi->fd_mu);
	free(gi);
}

/* ---- The superblock ---- */

/*
 * goferfs_statfs implements statfs(2): the host's counts (vfs_statfs puts
 * in the type, the sandbox's fsid and the mount's flags).
 */
static int goferfs_statfs(struct superblock *sb, struct linux_statfs *out)
{
	struct goferfs_sb *gs = goferfs_sb_of(sb);
	struct gofer_client *c;
	int err = goferfs_chan_get(gs, &c);
	if (err < 0)
		return err;
	err = gofer_client_statfs(c, gs->root_node, out);
	goferfs_chan_put(gs, c);
	if (err < 0)
		return err;
	out->type = GOFERFS_MAGIC;
	return 0;
}

/* Frees the superblock: its dentries (and so its inodes), then its channels. */
static void goferfs_sb_release(struct superblock *sb)
{
	struct goferfs_sb *gs = goferfs_sb_of(sb);

	superblock_shutdown(sb); /* copes with no root, after a failed goferfs_new */
	if (gs->nclosing)
		close_nodes(gs, gs->closing, gs->nclosing);
	BUG_ON(gs->nidle != gs->nchans || gs->making != 0);
	for (unsigned i = 0; i < gs->nchans; i++)
		gofer_client_free(gs->chans[i]);
	gofer_client_free(gs->ctl);
	pthread_cond_destroy(&gs->pool_cond);
	pthread_mutex_destroy(&gs->pool_mu);
	pthread_mutex_destroy(&gs->close_mu);
	free(gs->source);
	free(gs);
}

static const struct super_ops g_goferfs_super_ops = {
	.statfs = goferfs_statfs,
	.release = goferfs_sb_release,
};

int goferfs_new(struct gofer_client *client, uint32_t mount_index, const char *source,
                struct superblock **out)
{
	struct gofer_node root;
	uint32_t mount_flags;
	struct inode *inode;

	int err = gofer_client_mount(client, mount_index, &root, &mount_flags);
	if (err < 0)
		goto out_free_client;
	struct goferfs_sb *gs = calloc(1, sizeof(*gs));
	char *src = strdup(source ? source : "?");
	if (!gs || !src) {
		free(gs);
		free(src);
		gofer_client_close(client, &root.id, 1);
		err = -ENOMEM;
		goto out_free_client;
	}
	gs->ctl = client;
	gs->root_node = root.id;
	gs->source = src;
	pthread_mutex_init(&gs->pool_mu, NULL);
	pthread_mutex_init(&gs->close_mu, NULL);
	pthread_cond_init(&gs->pool_cond, NULL);
	superblock_init(&gs->base, &g_goferfs_super_ops, "gofer", GOFERFS_MAGIC,
	                (mount_flags & GOFER_MOUNT_RDONLY) ? SB_RDONLY : 0);

	/* From here on the superblock owns the client: its release frees everything. */
	err = goferfs_inode_new(gs, &root, &inode);
	if (err < 0)
		goto out_put_sb;
	gs->base.root = vfs_dentry_new_root(&gs->base, inode);
	if (!gs->base.root) {
		err = -ENOMEM;
		goto out_put_sb;
	}
	log_debug("goferfs %s: mount %u, root node %llu%s", gs->source, mount_index,
	          (unsigned long long)root.id, (mount_flags & GOFER_MOUNT_RDONLY) ? ", ro" : "");
	*out = &gs->base;
	return 0;

out_put_sb:
	superblock_put(&gs->base);
	return err;
out_free_client:
	gofer_client_free(client);
	return err;
}
