/*
 * The gofer client: one blocking request at a time over one channel.
 *
 * Each call fills c->t under c->mu, and call() encodes it, sends it, waits
 * for the reply and checks it: the reply id the request expects (or
 * R_ERROR), the same tag, and the fds it should carry. Anything else means
 * the server is gone or broken: the client turns dead and stays so.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/util.h"
#include "gofer/client.h"

struct gofer_client {
	int sock;
	pthread_mutex_t mu;
	bool dead;             /* protected by mu */
	uint32_t tag;          /* of the last request; protected by mu */
	uint8_t *buf;          /* GOFER_MSG_MAX: the request, then the reply; protected by mu */
	struct gofer_msg t, r; /* protected by mu */
};

int gofer_client_new(int sock, struct gofer_client **out)
{
	struct gofer_client *c = calloc(1, sizeof(*c));
	if (!c)
		goto out_close;
	c->buf = malloc(GOFER_MSG_MAX);
	if (!c->buf)
		goto out_free;
	c->sock = sock;
	pthread_mutex_init(&c->mu, NULL);
	*out = c;
	return 0;

out_free:
	free(c);
out_close:
	close(sock);
	return -ENOMEM;
}

void gofer_client_free(struct gofer_client *c)
{
	if (!c)
		return;
	close(c->sock);
	pthread_mutex_destroy(&c->mu);
	free(c->buf);
	free(c);
}

bool gofer_client_dead(struct gofer_client *c)
{
	pthread_mutex_lock(&c->mu);
	bool dead = c->dead;
	pthread_mutex_unlock(&c->mu);
	return dead;
}

/* Marks the client dead. Returns -EIO. Preconditions: c->mu held. */
static int client_kill(struct gofer_client *c)
{
	c->dead = true;
	shutdown(c->sock, SHUT_RDWR);
	return -EIO;
}

static void close_fds(const int *fds, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		close(fds[i]);
}

/*
 * Sends len bytes of c->buf and receives the reply into c->r. Returns the
 * fds received (in fds, room for 2) or -EIO. Preconditions: c->mu held.
 */
static int client_roundtrip(struct gofer_client *c, size_t len, int *fds)
{
	unsigned nfds;
	if (gofer_send(c->sock, c->buf, len, NULL, 0) < 0)
		return client_kill(c);
	ssize_t n = gofer_recv(c->sock, c->buf, GOFER_MSG_MAX, fds, 2, &nfds, GOFER_REPLY_SPIN_US);
	if (n <= 0)
		return client_kill(c);
	if (gofer_decode(c->buf, (size_t)n, &c->r) < 0 || c->r.nfds != nfds) {
		close_fds(fds, nfds);
		return client_kill(c);
	}
	return (int)nfds;
}

/*
 * Sends c->t and waits for its reply in c->r. With out_fd, the reply must
 * carry one fd, stored there; without, none. Returns 0 or -errno.
 * Preconditions: c->mu held.
 */
static int call(struct gofer_client *c, int *out_fd)
{
	int fds[2];

	if (c->dead)
		return -EIO;
	c->t.tag = ++c->tag;
	c->t.nfds = 0;
	ssize_t len = gofer_encode(c->buf, GOFER_MSG_MAX, &c->t);
	if (len < 0)
		return (int)len; /* nothing was sent: the arguments were bad */
	int nfds = client_roundtrip(c, (size_t)len, fds);
	if (nfds < 0)
		return nfds;
	if (c->r.tag != c->tag) {
		close_fds(fds, (unsigned)nfds);
		return client_kill(c);
	}
	if (c->r.id == GOFER_R_ERROR) {
		close_fds(fds, (unsigned)nfds);
		return -(int)c->r.r_error.err;
	}
	if (c->r.id != gofer_reply_id(c->t.id) || nfds != (out_fd ? 1 : 0)) {
		close_fds(fds, (unsigned)nfds);
		return client_kill(c);
	}
	if (out_fd)
		*out_fd = fds[0];
	return 0;
}

/* Starts a request of id: locks c and clears c->t. */
static void begin(struct gofer_client *c, uint16_t id)
{
	pthread_mutex_lock(&c->mu);
	memset(&c->t, 0, sizeof(c->t));
	c->t.id = id;
}

static int end(struct gofer_client *c, int ret)
{
	pthread_mutex_unlock(&c->mu);
	return ret;
}

/* Calls c->t, whose reply is R_NODE, into *out. Unlocks c. */
static int call_node(struct gofer_client *c, int *out_fd, struct gofer_node *out)
{
	int err = call(c, out_fd);
	if (err == 0)
		*out = c->r.r_node;
	return end(c, err);
}

/* Calls c->t, whose reply carries an fd, and returns it. Unlocks c. */
static int call_fd(struct gofer_client *c)
{
	int fd;
	int err = call(c, &fd);
	return end(c, err < 0 ? err : fd);
}

int gofer_client_channel(struct gofer_client *c, struct gofer_client **out)
{
	begin(c, GOFER_T_CHANNEL);
	int fd = call_fd(c);
	if (fd < 0)
		return fd;
	return gofer_client_new(fd, out);
}

int gofer_client_mount(struct gofer_client *c, uint32_t index, struct gofer_node *out_root,
                       uint32_t *out_flags)
{
	begin(c, GOFER_T_MOUNT);
	c->t.t_mount.index = index;
	int err = call(c, NULL);
	if (err == 0) {
		out_root->id = c->r.r_mount.root;
		out_root->stat = c->r.r_mount.stat;
		*out_flags = c->r.r_mount.flags;
	}
	return end(c, err);
}

int gofer_client_walk(struct gofer_client *c, uint64_t dir, const char *const *names,
                      uint32_t count, struct gofer_node *out_nodes, uint32_t *out_count,
                      uint32_t *out_status)
{
	if (count == 0 || count > GOFER_WALK_MAX)
		return -EINVAL;
	begin(c, GOFER_T_WALK);
	c->t.t_walk.dir = dir;
	c->t.t_walk.count = count;
	memcpy(c->t.t_walk.names, names, count * sizeof(names[0]));
	int err = call(c, NULL);
	if (err < 0)
		return end(c, err);
	uint32_t n = c->r.r_walk.count, status = c->r.r_walk.status;
	/* All names walked, or fewer with a reason: anything else is a broken server. */
	if (n > count || (status == GOFER_WALK_OK && n != count) ||
	    (status == GOFER_WALK_NOENT && n == count))
		return end(c, client_kill(c));
	for (uint32_t i = 0; i < n; i++)
		gofer_node_get(&c->r, i, &out_nodes[i]);
	*out_count = n;
	*out_status = status;
	return end(c, 0);
}

int gofer_client_stat(struct gofer_client *c, uint64_t id, struct linux_statx *out)
{
	begin(c, GOFER_T_STAT);
	c->t.t_node.id = id;
	int err = call(c, NULL);
	if (err == 0)
		*out = c->r.r_stat;
	return end(c, err);
}

int gofer_client_close(struct gofer_client *c, const uint64_t *ids, uint32_t count)
{
	if (count == 0 || count > GOFER_CLOSE_MAX)
		return -EINVAL;
	begin(c, GOFER_T_CLOSE);
	c->t.t_close.count = count;
	memcpy(c->t.t_close.ids, ids, count * sizeof(ids[0]));
	return end(c, call(c, NULL));
}

int gofer_client_open(struct gofer_client *c, uint64_t id, uint32_t flags)
{
	begin(c, GOFER_T_OPEN);
	c->t.t_open.id = id;
	c->t.t_open.flags = flags;
	return call_fd(c);
}

int gofer_client_create(struct gofer_client *c, uint64_t dir, const char *name, uint32_t flags,
                        uint32_t mode, uint32_t uid, uint32_t gid, struct gofer_node *out)
{
	int fd;
	begin(c, GOFER_T_CREATE);
	c->t.t_create.dir = dir;
	c->t.t_create.flags = flags;
	c->t.t_create.mode = mode;
	c->t.t_create.uid = uid;
	c->t.t_create.gid = gid;
	c->t.t_create.name = name;
	int err = call_node(c, &fd, out);
	return err < 0 ? err : fd;
}

int gofer_client_mkdir(struct gofer_client *c, uint64_t dir, const char *name, uint32_t mode,
                       uint32_t uid, uint32_t gid, struct gofer_node *out)
{
	begin(c, GOFER_T_MKDIR);
	c->t.t_mkdir.dir = dir;
	c->t.t_mkdir.mode = mode;
	c->t.t_mkdir.uid = uid;
	c->t.t_mkdir.gid = gid;
	c->t.t_mkdir.name = name;
	return call_node(c, NULL, out);
}

int gofer_client_mknod(struct gofer_client *c, uint64_t dir, const char *name, uint32_t mode,
                       uint32_t rdev_major, uint32_t rdev_minor, uint32_t uid, uint32_t gid,
                       struct gofer_node *out)
{
	begin(c, GOFER_T_MKNOD);
	c->t.t_mknod.dir = dir;
	c->t.t_mknod.mode = mode;
	c->t.t_mknod.rdev_major = rdev_major;
	c->t.t_mknod.rdev_minor = rdev_minor;
	c->t.t_mknod.uid = uid;
	c->t.t_mknod.gid = gid;
	c->t.t_mknod.name = name;
	return call_node(c, NULL, out);
}

int gofer_client_symlink(struct gofer_client *c, uint64_t dir, const char *name, const char *target,
                         uint32_t uid, uint32_t gid, struct gofer_node *out)
{
	begin(c, GOFER_T_SYMLINK);
	c->t.t_symlink.dir = dir;
	c->t.t_symlink.uid = uid;
	c->t.t_symlink.gid = gid;
	c->t.t_symlink.name = name;
	c->t.t_symlink.target = target;
	return call_node(c, NULL, out);
}

int gofer_client_link(struct gofer_client *c, uint64_t dir, const char *name, uint64_t target,
                      struct gofer_node *out)
{
	begin(c, GOFER_T_LINK);
	c->t.t_link.dir = dir;
	c->t.t_link.target = target;
	c->t.t_link.name = name;
	return call_node(c, NULL, out);
}

int gofer_client_unlink(struct gofer_client *c, uint64_t dir, const char *name, uint32_t flags)
{
	begin(c, GOFER_T_UNLINK);
	c->t.t_unlink.dir = dir;
	c->t.t_unlink.flags = flags;
	c->t.t_unlink.name = name;
	return end(c, call(c, NULL));
}

int gofer_client_rename(struct gofer_client *c, uint64_t olddir, const char *oldname,
                        uint64_t newdir, const char *newname, uint32_t flags)
{
	begin(c, GOFER_T_RENAME);
	c->t.t_rename.olddir = olddir;
	c->t.t_rename.newdir = newdir;
	c->t.t_rename.flags = flags;
	c->t.t_rename.oldname = oldname;
	c->t.t_rename.newname = newname;
	return end(c, call(c, NULL));
}

ssize_t gofer_client_readlink(struct gofer_client *c, uint64_t id, char *buf, size_t size)
{
	begin(c, GOFER_T_READLINK);
	c->t.t_node.id = id;
	int err = call(c, NULL);
	if (err < 0)
		return end(c, err);
	size_t len = strlen(c->r.r_readlink.target);
	if (len + 1 > size)
		return end(c, -ENAMETOOLONG);
	memcpy(buf, c->r.r_readlink.target, len + 1);
	return end(c, (int)len);
}

ssize_t gofer_client_getdents(struct gofer_client *c, uint64_t dir, uint64_t offset, void *buf,
                              size_t size)
{
	uint32_t want = (uint32_t)MIN(size, (size_t)GOFER_GETDENTS_MAX);
	begin(c, GOFER_T_GETDENTS);
	c->t.t_getdents.dir = dir;
	c->t.t_getdents.offset = offset;
	c->t.t_getdents.size = want;
	int err = call(c, NULL);
	if (err < 0)
		return end(c, err);
	if (c->r.r_getdents.size > want)
		return end(c, client_kill(c));
	memcpy(buf, c->r.r_getdents.data, c->r.r_getdents.size);
	return end(c, (int)c->r.r_getdents.size);
}

int gofer_client_setstat(struct gofer_client *c, uint64_t id, const struct gofer_setstat *attr,
                         struct linux_statx *out)
{
	begin(c, GOFER_T_SETSTAT);
	c->t.t_setstat.id = id;
	c->t.t_setstat.mask = attr->mask;
	c->t.t_setstat.mode = attr->mode;
	c->t.t_setstat.uid = attr->uid;
	c->t.t_setstat.gid = attr->gid;
	c->t.t_setstat.size = attr->size;
	c->t.t_setstat.atime_sec = attr->atime_sec;
	c->t.t_setstat.atime_nsec = attr->atime_nsec;
	c->t.t_setstat.mtime_sec = attr->mtime_sec;
	c->t.t_setstat.mtime_nsec = attr->mtime_nsec;
	int err = call(c, NULL);
	if (err == 0 && out)
		*out = c->r.r_stat;
	return end(c, err);
}

int gofer_client_statfs(struct gofer_client *c, uint64_t id, struct linux_statfs *out)
{
	begin(c, GOFER_T_STATFS);
	c->t.t_node.id = id;
	int err = call(c, NULL);
	if (err == 0)
		*out = c->r.r_statfs;
	return end(c, err);
}

/* Copies an R_XATTR reply out for a request of size bytes. Unlocks c. */
static ssize_t xattr_reply(struct gofer_client *c, int err, void *buf, size_t size)
{
	if (err < 0)
		return end(c, err);
	if (size == 0)
		return end(c, (int)c->r.r_xattr.size);
	if (c->r.r_xattr.data_size != c->r.r_xattr.size || c->r.r_xattr.size > size)
		return end(c, client_kill(c));
	memcpy(buf, c->r.r_xattr.data, c->r.r_xattr.size);
	return end(c, (int)c->r.r_xattr.size);
}

ssize_t gofer_client_getxattr(struct gofer_client *c, uint64_t id, const char *name, void *buf,
                              size_t size)
{
	size = MIN(size, (size_t)GOFER_XATTR_SIZE_MAX);
	begin(c, GOFER_T_GETXATTR);
	c->t.t_getxattr.id = id;
	c->t.t_getxattr.size = (uint32_t)size;
	c->t.t_getxattr.name = name;
	return xattr_reply(c, call(c, NULL), buf, size);
}

int gofer_client_setxattr(struct gofer_client *c, uint64_t id, const char *name, const void *value,
                          size_t size, uint32_t flags)
{
	if (size > GOFER_XATTR_SIZE_MAX)
		return -E2BIG;
	begin(c, GOFER_T_SETXATTR);
	c->t.t_setxattr.id = id;
	c->t.t_setxattr.flags = flags;
	c->t.t_setxattr.name = name;
	c->t.t_setxattr.value = value;
	c->t.t_setxattr.value_size = (uint32_t)size;
	return end(c, call(c, NULL));
}

ssize_t gofer_client_listxattr(struct gofer_client *c, uint64_t id, char *buf, size_t size)
{
	size = MIN(size, (size_t)GOFER_XATTR_SIZE_MAX);
	begin(c, GOFER_T_LISTXATTR);
	c->t.t_listxattr.id = id;
	c->t.t_listxattr.size = (uint32_t)size;
	return xattr_reply(c, call(c, NULL), buf, size);
}

int gofer_client_removexattr(struct gofer_client *c, uint64_t id, const char *name)
{
	begin(c, GOFER_T_REMOVEXATTR);
	c->t.t_removexattr.id = id;
	c->t.t_removexattr.name = name;
	return end(c, call(c, NULL));
}

int gofer_client_bind(struct gofer_client *c, uint64_t dir, const char *name, uint32_t type,
                      struct gofer_node *out)
{
	int fd;
	begin(c, GOFER_T_BIND);
	c->t.t_bind.dir = dir;
	c->t.t_bind.type = type;
	c->t.t_bind.name = name;
	int err = call_node(c, &fd, out);
	return err < 0 ? err : fd;
}

int gofer_client_connect(struct gofer_client *c, uint64_t id, uint32_t type)
{
	begin(c, GOFER_T_CONNECT);
	c->t.t_connect.id = id;
	c->t.t_connect.type = type;
	return call_fd(c);
}

int gofer_client_raw(struct gofer_client *c, const void *msg, size_t len, struct gofer_msg *out)
{
	int fds[2];
	if (len > GOFER_MSG_MAX)
		return -EMSGSIZE;
	pthread_mutex_lock(&c->mu);
	if (c->dead)
		return end(c, -EIO);
	memcpy(c->buf, msg, len);
	int nfds = client_roundtrip(c, len, fds);
	if (nfds < 0)
		return end(c, nfds);
	close_fds(fds, (unsigned)nfds);
	*out = c->r;
	return end(c, 0);
}
