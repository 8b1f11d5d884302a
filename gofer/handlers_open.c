/*
 * Handlers that open or create: T_OPEN, T_CREATE, T_MKDIR, T_MKNOD,
 * T_SYMLINK and T_LINK.
 *
 * Open reopens the node's O_PATH fd through /proc/self/fd/N (as gVisor's
 * gofer does) rather than openat(parent, name): it works for every node,
 * mount roots included, whose parent the server may not hold, and it opens
 * the very inode the walk found, not whatever the name points to now, so
 * a rename or a symlink swapped in since cannot redirect it. The magic
 * link never resolves a path, and symlinks are refused before it is used
 * (their type is fixed at walk time: an inode's type never changes).
 *
 * Creation calls never follow the last name either: O_CREAT | O_EXCL,
 * mkdirat, mknodat, symlinkat and linkat all fail with EEXIST on a name
 * that exists, a dangling symlink included.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/abi/linux/misc.h"
#include "gofer/handlers.h"

/* Open flags a client may ask for; the server adds O_CLOEXEC | O_NOCTTY. */
#define OPEN_FLAGS_OK                                                                         \
	(LINUX_O_ACCMODE | LINUX_O_APPEND | LINUX_O_NONBLOCK | LINUX_O_DSYNC | LINUX_O_SYNC | \
	 LINUX_O_DIRECT | LINUX_O_NOATIME | LINUX_O_LARGEFILE | LINUX_O_CLOEXEC)

/*
 * gofer_handle_open implements T_OPEN: donates a new host fd for the node.
 * Symlinks fail with ELOOP, sockets with ENXIO (as open(2) does), device
 * nodes with EPERM: the sentry serves its own /dev, never the host's.
 */
int gofer_handle_open(struct gofer_req *rq)
{
	uint32_t flags = rq->t->t_open.flags;
	struct gofer_cfd *c;
	int err;

	if ((flags & ~(OPEN_FLAGS_OK | LINUX_O_TRUNC | LINUX_O_DIRECTORY)) ||
	    (flags & O_ACCMODE) == O_ACCMODE)
		return -EINVAL;
	err = gofer_cfd_get(rq->srv, rq->t->t_open.id, &c);
	if (err < 0)
		return err;
	bool writes = (flags & O_ACCMODE) != O_RDONLY || (flags & O_TRUNC);
	switch (c->type) {
	case S_IFLNK:
		err = -ELOOP;
		break;
	case S_IFSOCK:
		err = -ENXIO;
		break;
	case S_IFCHR:
	case S_IFBLK:
		err = -EPERM;
		break;
	case S_IFDIR:
		if (writes)
			err = -EISDIR;
		break;
	default:
		if (flags & O_DIRECTORY)
			err = -ENOTDIR;
	}
	if (err == 0 && writes)
		err = gofer_check_writable(rq->srv, c);
	if (err == 0) {
		int fd = gofer_reopen(rq->srv, c, (int)flags);
		if (fd < 0)
			err = fd;
		else
			rq->fd = fd;
	}
	gofer_cfd_put(rq->srv, c);
	return err;
}

/* gofer_handle_create implements T_CREATE: creates a regular file and donates it open. */
int gofer_handle_create(struct gofer_req *rq)
{
	struct gofer_server *s = rq->srv;
	typeof(rq->t->t_create) *a = &rq->t->t_create;
	struct gofer_cfd *dir;
	int err;

	if ((a->flags & ~(OPEN_FLAGS_OK | LINUX_O_TRUNC)) || (a->flags & O_ACCMODE) == O_ACCMODE)
		return -EINVAL;
	if ((a->mode & S_IFMT) != 0 && (a->mode & S_IFMT) != S_IFREG)
		return -EINVAL;
	err = gofer_get_dir(s, a->dir, /*write=*/true, &dir);
	if (err < 0)
		return err;
	int fd = openat(dir->fd, a->name,
	                (int)a->flags | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY,
	                a->mode & 07777);
	if (fd < 0) {
		err = -errno;
		goto out_put;
	}
	if ((a->uid != GOFER_ID_KEEP || a->gid != GOFER_ID_KEEP) &&
	    fchown(fd, a->uid, a->gid) < 0) {
		err = -errno;
		goto out_unlink;
	}
	/* The node is the inode just created, whatever its name points to now. */
	struct gofer_cfd tmp = { .fd = fd };
	int path_fd = gofer_reopen(s, &tmp, O_PATH);
	if (path_fd < 0) {
		err = path_fd;
		goto out_unlink;
	}
	err = gofer_cfd_add(s, path_fd, dir->mount, &rq->r->r_node, NULL);
	if (err < 0)
		goto out_unlink;
	rq->fd = fd;
	gofer_cfd_put(s, dir);
	return 0;

out_unlink:
	close(fd);
	unlinkat(dir->fd, a->name, 0);
out_put:
	gofer_cfd_put(s, dir);
	return err;
}

/* gofer_handle_mkdir implements T_MKDIR. */
int gofer_handle_mkdir(struct gofer_req *rq)
{
	typeof(rq->t->t_mkdir) *a = &rq->t->t_mkdir;
	struct gofer_cfd *dir;
	int err = gofer_get_dir(rq->srv, a->dir, /*write=*/true, &dir);
	if (err < 0)
		return err;
	if (mkdirat(dir->fd, a->name, a->mode & 07777) < 0)
		err = -errno;
	else
		err = gofer_finish_new(rq->srv, dir, a->name, a->uid, a->gid, /*is_dir=*/true,
		                       &rq->r->r_node);
	gofer_cfd_put(rq->srv, dir);
	return err;
}

/*
 * gofer_handle_mknod implements T_MKNOD for regular files, FIFOs and
 * sockets. Device nodes fail with EPERM: devices are the sentry's.
 */
int gofer_handle_mknod(struct gofer_req *rq)
{
	typeof(rq->t->t_mknod) *a = &rq->t->t_mknod;
	uint32_t type = a->mode & S_IFMT;
	struct gofer_cfd *dir;

	if (type == S_IFCHR || type == S_IFBLK)
		return -EPERM;
	if (type != 0 && type != S_IFREG && type != S_IFIFO && type != S_IFSOCK)
		return -EINVAL;
	int err = gofer_get_dir(rq->srv, a->dir, /*write=*/true, &dir);
	if (err < 0)
		return err;
	if (mknodat(dir->fd, a->name, (type ? type : S_IFREG) | (a->mode & 07777), 0) < 0)
		err = -errno;
	else
		err = gofer_finish_new(rq->srv, dir, a->name, a->uid, a->gid, /*is_dir=*/false,
		                       &rq->r->r_node);
	gofer_cfd_put(rq->srv, dir);
	return err;
}

/* gofer_handle_symlink implements T_SYMLINK: the target is stored, never resolved. */
int gofer_handle_symlink(struct gofer_req *rq)
{
	typeof(rq->t->t_symlink) *a = &rq->t->t_symlink;
	struct gofer_cfd *dir;
	int err = gofer_get_dir(rq->srv, a->dir, /*write=*/true, &dir);
	if (err < 0)
		return err;
	if (symlinkat(a->target, dir->fd, a->name) < 0)
		err = -errno;
	else
		err = gofer_finish_new(rq->srv, dir, a->name, a->uid, a->gid, /*is_dir=*/false,
		                       &rq->r->r_node);
	gofer_cfd_put(rq->srv, dir);
	return err;
}

/*
 * gofer_handle_link implements T_LINK: a new name in dir for the inode of
 * node target, in the same mount (EXDEV otherwise). linkat() follows the
 * /proc/self/fd magic link to the held inode itself (for a symlink, the
 * symlink: the kernel does not resolve its target), and needs no
 * CAP_DAC_READ_SEARCH, unlike AT_EMPTY_PATH.
 */
int gofer_handle_link(struct gofer_req *rq)
{
	struct gofer_server *s = rq->srv;
	typeof(rq->t->t_link) *a = &rq->t->t_link;
	struct gofer_cfd *dir, *target;
	char name[16];
	int err;

	err = gofer_get_dir(s, a->dir, /*write=*/true, &dir);
	if (err < 0)
		return err;
	err = gofer_cfd_get(s, a->target, &target);
	if (err < 0)
		goto out_put_dir;
	if (target->type == S_IFDIR)
		err = -EPERM;
	else if (target->mount != dir->mount)
		err = -EXDEV;
	if (err < 0)
		goto out_put_target;
	snprintf(name, sizeof(name), "%d", target->fd);
	if (linkat(s->proc_fd, name, dir->fd, a->name, AT_SYMLINK_FOLLOW) < 0)
		err = -errno;
	else
		err = gofer_finish_new(s, dir, a->name, GOFER_ID_KEEP, GOFER_ID_KEEP,
		                       /*is_dir=*/false, &rq->r->r_node);
out_put_target:
	gofer_cfd_put(s, target);
out_put_dir:
	gofer_cfd_put(s, dir);
	return err;
}
