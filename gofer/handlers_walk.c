/*
 * Handlers for the node lifecycle: T_MOUNT (a mount's root), T_CHANNEL,
 * T_CLOSE, T_WALK, T_STAT and T_READLINK.
 *
 * Walk opens each name with openat(parent, name, O_PATH | O_NOFOLLOW),
 * relative to the fd of the node before it. It never follows a symlink:
 * it returns the symlink's own node and stops, and the sentry reads the
 * link and resolves it in its own tree. A directory swapped for a symlink
 * between two walks is then just a symlink; one swapped while the walk
 * holds it stays the directory it opened. Either way the walk stays in
 * the mount.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gofer/handlers.h"

/* gofer_handle_mount implements T_MOUNT: a new node for a mount's root. */
int gofer_handle_mount(struct gofer_req *rq)
{
	struct gofer_server *s = rq->srv;
	uint32_t index = rq->t->t_mount.index;
	struct gofer_node node;

	if (index >= s->nmounts)
		return -ENOENT;
	int fd = fcntl(s->mounts[index].fd, F_DUPFD_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	int err = gofer_cfd_add(s, fd, index, &node, NULL);
	if (err < 0)
		return err;
	rq->r->r_mount.root = node.id;
	rq->r->r_mount.flags = s->mounts[index].readonly ? GOFER_MOUNT_RDONLY : 0;
	rq->r->r_mount.stat = node.stat;
	return 0;
}

/* gofer_handle_channel implements T_CHANNEL: donates one end of a new channel. */
int gofer_handle_channel(struct gofer_req *rq)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	int err = gofer_chan_start(rq->srv, sv[0]);
	if (err < 0) {
		close(sv[1]);
		return err;
	}
	rq->fd = sv[1];
	return 0;
}

/*
 * gofer_handle_close implements T_CLOSE: releases every id it names, and
 * fails with EBADF if one of them was not held (the others are released).
 */
int gofer_handle_close(struct gofer_req *rq)
{
	int ret = 0;
	for (uint32_t i = 0; i < rq->t->t_close.count; i++) {
		int err = gofer_cfd_remove(rq->srv, rq->t->t_close.ids[i]);
		if (err < 0)
			ret = err;
	}
	return ret;
}

/* gofer_handle_walk implements T_WALK. */
int gofer_handle_walk(struct gofer_req *rq)
{
	struct gofer_server *s = rq->srv;
	uint32_t status = GOFER_WALK_OK, count = 0;
	uint64_t ids[GOFER_WALK_MAX];
	struct gofer_cfd *cur;
	int err;

	err = gofer_get_dir(s, rq->t->t_walk.dir, /*write=*/false, &cur);
	if (err < 0)
		return err;
	for (uint32_t i = 0; i < rq->t->t_walk.count; i++) {
		if (cur->type != S_IFDIR) {
			err = -ENOTDIR;
			goto out_unwind;
		}
		int fd = openat(cur->fd, rq->t->t_walk.names[i], O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0 && errno == ENOENT) {
			status = GOFER_WALK_NOENT;
			break;
		}
		if (fd < 0) {
			err = -errno;
			goto out_unwind;
		}
		struct gofer_node node;
		struct gofer_cfd *next;
		err = gofer_cfd_add(s, fd, cur->mount, &node, &next);
		if (err < 0)
			goto out_unwind;
		gofer_cfd_put(s, cur);
		cur = next;
		ids[count] = node.id;
		gofer_node_put(rq->scratch + (size_t)count * GOFER_NODE_SIZE, &node);
		count++;
		if (cur->type == S_IFLNK) {
			status = GOFER_WALK_SYMLINK;
			break;
		}
	}
	gofer_cfd_put(s, cur);
	rq->r->r_walk.status = status;
	rq->r->r_walk.count = count;
	rq->r->r_walk.nodes = rq->scratch;
	return 0;

out_unwind:
	gofer_cfd_put(s, cur);
	for (uint32_t i = 0; i < count; i++)
		gofer_cfd_remove(s, ids[i]);
	return err;
}

/* gofer_handle_stat implements T_STAT. */
int gofer_handle_stat(struct gofer_req *rq)
{
	struct gofer_cfd *c;
	int err = gofer_cfd_get(rq->srv, rq->t->t_node.id, &c);
	if (err < 0)
		return err;
	err = gofer_statx(c->fd, &rq->r->r_stat);
	gofer_cfd_put(rq->srv, c);
	return err;
}

/* gofer_handle_readlink implements T_READLINK: the target, as text, never followed. */
int gofer_handle_readlink(struct gofer_req *rq)
{
	struct gofer_cfd *c;
	int err = gofer_cfd_get(rq->srv, rq->t->t_node.id, &c);
	if (err < 0)
		return err;
	char *buf = (char *)rq->scratch;
	ssize_t n = -EINVAL;
	if (c->type == S_IFLNK) {
		n = readlinkat(c->fd, "", buf, GOFER_PATH_MAX + 1);
		if (n < 0)
			n = -errno;
		else if (n > GOFER_PATH_MAX)
			n = -ENAMETOOLONG;
		else if (n == 0 || memchr(buf, '\0', (size_t)n))
			n = -EIO; /* no Linux file system stores such a target */
	}
	gofer_cfd_put(rq->srv, c);
	if (n < 0)
		return (int)n;
	buf[n] = '\0';
	rq->r->r_readlink.target = buf;
	return 0;
}
