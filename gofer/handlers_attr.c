/*
 * Attribute handlers: T_SETSTAT, T_STATFS and the xattr calls.
 *
 * Each acts on the held inode: through its O_PATH fd (fchownat and
 * utimensat with AT_EMPTY_PATH, fstatfs), or through its /proc/self/fd
 * magic link for the calls that take no O_PATH fd (chmod, truncate on a
 * reopened fd, the xattr calls). The magic link leads to the inode itself
 * and is never resolved as a path; symlinks are refused where Linux would
 * follow them.
 *
 * Only the "user." xattr namespace is served: trusted.*, security.* and
 * system.* belong to the host (EOPNOTSUPP), and the list leaves them out.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "gofer/handlers.h"

#define XATTR_USER_PREFIX     "user."
#define XATTR_USER_PREFIX_LEN 5

static int setstat_size(struct gofer_server *s, const struct gofer_cfd *c, uint64_t size)
{
	if (c->type == S_IFDIR)
		return -EISDIR;
	if (c->type != S_IFREG)
		return -EINVAL;
	if (size > INT64_MAX)
		return -EFBIG;
	int fd = gofer_reopen(s, c, O_WRONLY);
	if (fd < 0)
		return fd;
	int err = ftruncate(fd, (off_t)size) < 0 ? -errno : 0;
	close(fd);
	return err;
}

static int setstat_mode(struct gofer_server *s, const struct gofer_cfd *c, uint32_t mode)
{
	char name[16];
	if (c->type == S_IFLNK)
		return -EOPNOTSUPP; /* Linux has no mode for a symlink */
	snprintf(name, sizeof(name), "%d", c->fd);
	return fchmodat(s->proc_fd, name, mode & 07777, 0) < 0 ? -errno : 0;
}

static struct timespec setstat_time(uint32_t mask, uint32_t set, uint32_t now, int64_t sec,
                                    uint32_t nsec)
{
	if (mask & now)
		return (struct timespec){ .tv_nsec = UTIME_NOW };
	if (mask & set)
		return (struct timespec){ .tv_sec = sec, .tv_nsec = nsec };
	return (struct timespec){ .tv_nsec = UTIME_OMIT };
}

/*
 * gofer_handle_setstat implements T_SETSTAT: size, then mode, then owner,
 * then times (so the truncation's mtime does not override the one asked
 * for). It stops at the first error; the reply is the stat after.
 */
int gofer_handle_setstat(struct gofer_req *rq)
{
	typeof(rq->t->t_setstat) *a = &rq->t->t_setstat;
	struct gofer_cfd *c;
	int err;

	if (a->mask & ~(uint32_t)GOFER_SETSTAT_ALL)
		return -EINVAL;
	if (((a->mask & GOFER_SETSTAT_ATIME) && a->atime_nsec >= 1000000000U) ||
	    ((a->mask & GOFER_SETSTAT_MTIME) && a->mtime_nsec >= 1000000000U))
		return -EINVAL;
	err = gofer_cfd_get(rq->srv, a->id, &c);
	if (err < 0)
		return err;
	if (a->mask)
		err = gofer_check_writable(rq->srv, c);
	if (err == 0 && (a->mask & GOFER_SETSTAT_SIZE))
		err = setstat_size(rq->srv, c, a->size);
	if (err == 0 && (a->mask & GOFER_SETSTAT_MODE))
		err = setstat_mode(rq->srv, c, a->mode);
	if (err == 0 && (a->mask & (GOFER_SETSTAT_UID | GOFER_SETSTAT_GID))) {
		uid_t uid = a->mask & GOFER_SETSTAT_UID ? a->uid : (uid_t)-1;
		gid_t gid = a->mask & GOFER_SETSTAT_GID ? a->gid : (gid_t)-1;
		if (fchownat(c->fd, "", uid, gid, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0)
			err = -errno;
	}
	uint32_t times = GOFER_SETSTAT_ATIME | GOFER_SETSTAT_MTIME | GOFER_SETSTAT_ATIME_NOW |
	                 GOFER_SETSTAT_MTIME_NOW;
	if (err == 0 && (a->mask & times)) {
		struct timespec ts[2] = {
			setstat_time(a->mask, GOFER_SETSTAT_ATIME, GOFER_SETSTAT_ATIME_NOW,
			             a->atime_sec, a->atime_nsec),
			setstat_time(a->mask, GOFER_SETSTAT_MTIME, GOFER_SETSTAT_MTIME_NOW,
			             a->mtime_sec, a->mtime_nsec),
		};
		if (utimensat(c->fd, "", ts, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0)
			err = -errno;
	}
	if (err == 0)
		err = gofer_statx(c->fd, &rq->r->r_stat);
	gofer_cfd_put(rq->srv, c);
	return err;
}

/* gofer_handle_statfs implements T_STATFS. */
int gofer_handle_statfs(struct gofer_req *rq)
{
	struct gofer_cfd *c;
	struct statfs st;
	int err = gofer_cfd_get(rq->srv, rq->t->t_node.id, &c);
	if (err < 0)
		return err;
	if (fstatfs(c->fd, &st) < 0)
		err = -errno;
	gofer_cfd_put(rq->srv, c);
	if (err < 0)
		return err;
	struct linux_statfs *out = &rq->r->r_statfs;
	memset(out, 0, sizeof(*out));
	out->type = st.f_type;
	out->bsize = st.f_bsize;
	out->blocks = st.f_blocks;
	out->bfree = st.f_bfree;
	out->bavail = st.f_bavail;
	out->files = st.f_files;
	out->ffree = st.f_ffree;
	memcpy(out->fsid, &st.f_fsid, sizeof(out->fsid));
	out->namelen = st.f_namelen;
	out->frsize = st.f_frsize;
	out->flags = st.f_flags;
	return 0;
}

static bool xattr_name_ok(const char *name)
{
	return strncmp(name, XATTR_USER_PREFIX, XATTR_USER_PREFIX_LEN) == 0 &&
	       name[XATTR_USER_PREFIX_LEN] != '\0';
}

/*
 * Pins node id for an xattr call and writes its magic-link path into path.
 * Returns 0, or -errno (as Linux answers for user.* on a symlink: ENODATA
 * when reading, EPERM when writing).
 */
static int xattr_node(struct gofer_req *rq, uint64_t id, bool write, struct gofer_cfd **out,
                      char *path, size_t size)
{
	struct gofer_cfd *c;
	int err = gofer_cfd_get(rq->srv, id, &c);
	if (err < 0)
		return err;
	if (write)
		err = gofer_check_writable(rq->srv, c);
	if (err == 0 && c->type == S_IFLNK)
		err = write ? -EPERM : -ENODATA;
	if (err < 0) {
		gofer_cfd_put(rq->srv, c);
		return err;
	}
	gofer_fd_path(c->fd, path, size);
	*out = c;
	return 0;
}

/* gofer_handle_getxattr implements T_GETXATTR; size 0 asks for the value's size. */
int gofer_handle_getxattr(struct gofer_req *rq)
{
	typeof(rq->t->t_getxattr) *a = &rq->t->t_getxattr;
	struct gofer_cfd *c;
	char path[40];

	if (!xattr_name_ok(a->name))
		return -EOPNOTSUPP;
	int err = xattr_node(rq, a->id, /*write=*/false, &c, path, sizeof(path));
	if (err < 0)
		return err;
	size_t size = a->size < GOFER_XATTR_SIZE_MAX ? a->size : GOFER_XATTR_SIZE_MAX;
	ssize_t n = getxattr(path, a->name, size ? rq->scratch : NULL, size);
	gofer_cfd_put(rq->srv, c);
	if (n < 0)
		return -errno;
	rq->r->r_xattr.size = (uint32_t)n;
	rq->r->r_xattr.data_size = size ? (uint32_t)n : 0;
	rq->r->r_xattr.data = rq->scratch;
	return 0;
}

/* gofer_handle_setxattr implements T_SETXATTR. */
int gofer_handle_setxattr(struct gofer_req *rq)
{
	typeof(rq->t->t_setxattr) *a = &rq->t->t_setxattr;
	struct gofer_cfd *c;
	char path[40];

	if (a->flags & ~(uint32_t)(LINUX_XATTR_CREATE | LINUX_XATTR_REPLACE))
		return -EINVAL;
	if (!xattr_name_ok(a->name))
		return -EOPNOTSUPP;
	int err = xattr_node(rq, a->id, /*write=*/true, &c, path, sizeof(path));
	if (err < 0)
		return err;
	if (setxattr(path, a->name, a->value, a->value_size, (int)a->flags) < 0)
		err = -errno;
	gofer_cfd_put(rq->srv, c);
	return err;
}

/*
 * gofer_handle_listxattr implements T_LISTXATTR: the user.* names, each
 * with its NUL; size 0 asks for the list's size; ERANGE if it does not fit.
 */
int gofer_handle_listxattr(struct gofer_req *rq)
{
	typeof(rq->t->t_listxattr) *a = &rq->t->t_listxattr;
	struct gofer_cfd *c;
	char path[40];
	char *all;

	int err = gofer_cfd_get(rq->srv, a->id, &c);
	if (err < 0)
		return err;
	ssize_t n = 0;
	all = malloc(GOFER_XATTR_SIZE_MAX);
	if (!all)
		n = -ENOMEM;
	else if (c->type != S_IFLNK) {
		gofer_fd_path(c->fd, path, sizeof(path));
		n = listxattr(path, all, GOFER_XATTR_SIZE_MAX);
		if (n < 0)
			n = -errno;
	}
	gofer_cfd_put(rq->srv, c);

	uint32_t used = 0;
	for (ssize_t pos = 0; pos < n;) {
		size_t len = strnlen(all + pos, (size_t)(n - pos)) + 1;
		if (xattr_name_ok(all + pos)) {
			memcpy(rq->scratch + used, all + pos, len);
			used += (uint32_t)len;
		}
		pos += (ssize_t)len;
	}
	free(all);
	if (n < 0)
		return (int)n;
	if (a->size && used > a->size)
		return -ERANGE;
	rq->r->r_xattr.size = used;
	rq->r->r_xattr.data_size = a->size ? used : 0;
	rq->r->r_xattr.data = rq->scratch;
	return 0;
}

/* gofer_handle_removexattr implements T_REMOVEXATTR. */
int gofer_handle_removexattr(struct gofer_req *rq)
{
	typeof(rq->t->t_removexattr) *a = &rq->t->t_removexattr;
	struct gofer_cfd *c;
	char path[40];

	if (!xattr_name_ok(a->name))
		return -EOPNOTSUPP;
	int err = xattr_node(rq, a->id, /*write=*/true, &c, path, sizeof(path));
	if (err < 0)
		return err;
	if (removexattr(path, a->name) < 0)
		err = -errno;
	gofer_cfd_put(rq->srv, c);
	return err;
}
