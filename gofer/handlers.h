/*
 * Internals of the gofer server, shared by server.c (node table, channels,
 * dispatch) and the handlers_*.c files (one per concern).
 *
 * Lock order: gofer_server.mu is a leaf; no handler holds it across a host
 * call. A handler pins the nodes it uses with gofer_cfd_get(), so a T_CLOSE
 * on another channel never closes an fd under it: the fd is closed when
 * the last reference goes.
 */
#ifndef GOFER_HANDLERS_H
#define GOFER_HANDLERS_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/rbtree.h"
#include "gofer/protocol.h"

struct gofer_mount {
	int fd;        /* O_PATH of the mount's root directory */
	bool readonly; /* every change fails with EROFS */
	char *path;    /* for the log */
};

/*
 * A node: a host O_PATH fd the server holds, named by a 64-bit id. The fd
 * was opened without following a symlink, relative to another node's fd,
 * so it is always inside its mount.
 */
struct gofer_cfd {
	struct rb_node rb; /* in gofer_server.cfds; protected by mu */
	uint64_t id;
	int fd;         /* O_PATH | O_NOFOLLOW */
	uint32_t mount; /* index in gofer_server.mounts */
	uint32_t type;  /* S_IFMT bits: an inode's type never changes */
	unsigned refs;  /* protected by mu */
};

struct gofer_chan;

struct gofer_server {
	struct gofer_mount *mounts;
	uint32_t nmounts;
	int proc_fd; /* /proc/self/fd, to reopen nodes through their magic links */

	pthread_mutex_t mu;
	pthread_cond_t cond;      /* signalled when a channel ends */
	struct rb_root cfds;      /* by id; protected by mu */
	uint64_t next_id;         /* protected by mu; never reused */
	struct gofer_chan *chans; /* every channel not yet joined; protected by mu */
	unsigned live;            /* channels still serving; protected by mu */
};

/* One request being served. */
struct gofer_req {
	struct gofer_server *srv;
	const struct gofer_msg *t; /* the request */
	struct gofer_msg *r;       /* the reply: id preset, the handler fills the body */
	int fd;                    /* donated with the reply, or -1; the server closes it */
	uint8_t *scratch;          /* GOFER_MSG_MAX bytes for the reply's variable parts */
};

typedef int (*gofer_handler_fn)(struct gofer_req *rq);

/* ---- server.c ---- */

/*
 * Finds node id and returns a new reference in *out. Returns 0, or -EBADF
 * for an id the server does not hold.
 */
int gofer_cfd_get(struct gofer_server *s, uint64_t id, struct gofer_cfd **out);
/* Drops a reference; the last one closes the fd. */
void gofer_cfd_put(struct gofer_server *s, struct gofer_cfd *c);
/*
 * Adds fd (an O_PATH fd inside mount; consumed, even on failure) as a new
 * node and describes it in *out. When out_cfd is not NULL it gets a new
 * reference as well. Returns 0 or -errno.
 */
int gofer_cfd_add(struct gofer_server *s, int fd, uint32_t mount, struct gofer_node *out,
                  struct gofer_cfd **out_cfd);
/* Removes node id from the table. Returns 0 or -EBADF. */
int gofer_cfd_remove(struct gofer_server *s, uint64_t id);

/* Starts a thread serving a new channel on sock (consumed). Returns 0 or -errno. */
int gofer_chan_start(struct gofer_server *s, int sock);

/* ---- helpers (server.c) ---- */

/* Fills *out from statx(fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW). 0 or -errno. */
int gofer_statx(int fd, struct linux_statx *out);
/*
 * Opens the inode of c anew with flags (plus O_CLOEXEC | O_NOCTTY) through
 * /proc/self/fd: the magic link leads to the held inode itself, never to a
 * name. The caller has refused symlinks. Returns an fd or -errno.
 */
int gofer_reopen(struct gofer_server *s, const struct gofer_cfd *c, int flags);
/* Writes "/proc/self/fd/N" for fd into buf, for the calls that take only a path. */
void gofer_fd_path(int fd, char *buf, size_t size);
/* -EROFS when c's mount is read-only, else 0. */
int gofer_check_writable(const struct gofer_server *s, const struct gofer_cfd *c);
/*
 * gofer_cfd_get() for a directory: -ENOTDIR for any other node, and -EROFS
 * on a read-only mount when write is true.
 */
int gofer_get_dir(struct gofer_server *s, uint64_t id, bool write, struct gofer_cfd **out);
/*
 * Finishes a node that a request just created at name in dir: opens it
 * O_PATH without following, gives it uid and gid (unless GOFER_ID_KEEP),
 * and adds it to the table. On failure, removes what was created
 * (rmdir when is_dir). Returns 0 or -errno.
 */
int gofer_finish_new(struct gofer_server *s, const struct gofer_cfd *dir, const char *name,
                     uint32_t uid, uint32_t gid, bool is_dir, struct gofer_node *out);

/* ---- handlers_*.c: one per request id ---- */

int gofer_handle_mount(struct gofer_req *rq);
int gofer_handle_channel(struct gofer_req *rq);
int gofer_handle_close(struct gofer_req *rq);
int gofer_handle_walk(struct gofer_req *rq);
int gofer_handle_stat(struct gofer_req *rq);
int gofer_handle_readlink(struct gofer_req *rq);
int gofer_handle_open(struct gofer_req *rq);
int gofer_handle_create(struct gofer_req *rq);
int gofer_handle_mkdir(struct gofer_req *rq);
int gofer_handle_mknod(struct gofer_req *rq);
int gofer_handle_symlink(struct gofer_req *rq);
int gofer_handle_link(struct gofer_req *rq);
int gofer_handle_unlink(struct gofer_req *rq);
int gofer_handle_rename(struct gofer_req *rq);
int gofer_handle_getdents(struct gofer_req *rq);
int gofer_handle_setstat(struct gofer_req *rq);
int gofer_handle_statfs(struct gofer_req *rq);
int gofer_handle_getxattr(struct gofer_req *rq);
int gofer_handle_setxattr(struct gofer_req *rq);
int gofer_handle_listxattr(struct gofer_req *rq);
int gofer_handle_removexattr(struct gofer_req *rq);
int gofer_handle_bind(struct gofer_req *rq);
int gofer_handle_connect(struct gofer_req *rq);

#endif /* GOFER_HANDLERS_H */
