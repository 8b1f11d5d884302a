/*
 * The gofer client: a small blocking API over one channel of the gofer
 * protocol (gofer/protocol.h), for the sentry's gofer file system.
 *
 * Each call sends one request and waits for its reply; calls on one client
 * are serialised by its mutex, so give each thread that must not wait for
 * another its own channel (gofer_client_channel). Every call returns 0, a
 * non-negative result (an fd, a length), or -errno: the server's errno, or
 * -EINVAL for arguments the protocol cannot carry (bad names). Once the
 * server is gone or breaks the protocol (end of file, EPIPE, a malformed
 * or unexpected reply), the client is dead and every call, that one
 * included, returns -EIO; it never raises SIGPIPE.
 *
 * Fds the calls return are close-on-exec and belong to the caller.
 */
#ifndef GOFER_CLIENT_H
#define GOFER_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "gofer/protocol.h"

struct gofer_client;

/* Makes a client of the channel sock (consumed, even on failure). 0 or -errno. */
int gofer_client_new(int sock, struct gofer_client **out);
/* Closes the channel and frees the client. */
void gofer_client_free(struct gofer_client *c);
/* True once the server was found gone: every call then returns -EIO. */
bool gofer_client_dead(struct gofer_client *c);

/* Asks for a new channel, served by its own server thread. */
int gofer_client_channel(struct gofer_client *c, struct gofer_client **out);

/* The root of the server's mount index; *out_flags gets GOFER_MOUNT_*. */
int gofer_client_mount(struct gofer_client *c, uint32_t index, struct gofer_node *out_root,
                       uint32_t *out_flags);

/*
 * Walks count names (1..GOFER_WALK_MAX) from directory dir. out_nodes
 * (room for count) gets a node per name walked, *out_count their number,
 * *out_status GOFER_WALK_OK, _SYMLINK (the last node is a symlink, not
 * followed) or _NOENT (names[*out_count] does not exist).
 */
int gofer_client_walk(struct gofer_client *c, uint64_t dir, const char *const *names,
                      uint32_t count, struct gofer_node *out_nodes, uint32_t *out_count,
                      uint32_t *out_status);
int gofer_client_stat(struct gofer_client *c, uint64_t id, struct linux_statx *out);
/* Releases count ids (1..GOFER_CLOSE_MAX). */
int gofer_client_close(struct gofer_client *c, const uint64_t *ids, uint32_t count);

/* Opens node id with LINUX_O_* flags; returns a host fd. */
int gofer_client_open(struct gofer_client *c, uint64_t id, uint32_t flags);
/*
 * Creates regular file name in dir (O_CREAT | O_EXCL implied) and returns
 * it open with flags; *out is its node. uid and gid may be GOFER_ID_KEEP.
 */
int gofer_client_create(struct gofer_client *c, uint64_t dir, const char *name, uint32_t flags,
                        uint32_t mode, uint32_t uid, uint32_t gid, struct gofer_node *out);
int gofer_client_mkdir(struct gofer_client *c, uint64_t dir, const char *name, uint32_t mode,
                       uint32_t uid, uint32_t gid, struct gofer_node *out);
/* mode includes the type: LINUX_S_IFREG, LINUX_S_IFIFO or LINUX_S_IFSOCK. */
int gofer_client_mknod(struct gofer_client *c, uint64_t dir, const char *name, uint32_t mode,
                       uint32_t rdev_major, uint32_t rdev_minor, uint32_t uid, uint32_t gid,
                       struct gofer_node *out);
int gofer_client_symlink(struct gofer_client *c, uint64_t dir, const char *name, const char *target,
                         uint32_t uid, uint32_t gid, struct gofer_node *out);
/* A new name in dir for the inode of node target. */
int gofer_client_link(struct gofer_client *c, uint64_t dir, const char *name, uint64_t target,
                      struct gofer_node *out);
/* flags: 0 or LINUX_AT_REMOVEDIR. */
int gofer_client_unlink(struct gofer_client *c, uint64_t dir, const char *name, uint32_t flags);
/* flags: LINUX_RENAME_NOREPLACE or LINUX_RENAME_EXCHANGE. */
int gofer_client_rename(struct gofer_client *c, uint64_t olddir, const char *oldname,
                        uint64_t newdir, const char *newname, uint32_t flags);

/*
 * Copies the target of symlink id, NUL-terminated, into buf (size bytes,
 * GOFER_PATH_MAX + 1 is enough). Returns its length, or -ENAMETOOLONG if
 * it does not fit.
 */
ssize_t gofer_client_readlink(struct gofer_client *c, uint64_t id, char *buf, size_t size);

/*
 * Reads entries of directory dir from offset (0, or the off of the last
 * entry read) into buf (size bytes, at most GOFER_GETDENTS_MAX used).
 * Returns the bytes of entries, 0 at the end; walk them with
 * gofer_dirent_next().
 */
ssize_t gofer_client_getdents(struct gofer_client *c, uint64_t dir, uint64_t offset, void *buf,
                              size_t size);

/* Attributes for gofer_client_setstat: mask says which fields count. */
struct gofer_setstat {
	uint32_t mask; /* GOFER_SETSTAT_* */
	uint32_t mode, uid, gid;
	uint64_t size;
	int64_t atime_sec, mtime_sec;
	uint32_t atime_nsec, mtime_nsec;
};
/* Changes attributes of node id; *out (may be NULL) gets the stat after. */
int gofer_client_setstat(struct gofer_client *c, uint64_t id, const struct gofer_setstat *attr,
                         struct linux_statx *out);
int gofer_client_statfs(struct gofer_client *c, uint64_t id, struct linux_statfs *out);

/*
 * The xattr calls follow getxattr(2) and friends: size 0 returns the size
 * needed, ERANGE when buf is too small. Only user.* names are served.
 */
ssize_t gofer_client_getxattr(struct gofer_client *c, uint64_t id, const char *name, void *buf,
                              size_t size);
int gofer_client_setxattr(struct gofer_client *c, uint64_t id, const char *name, const void *value,
                          size_t size, uint32_t flags);
ssize_t gofer_client_listxattr(struct gofer_client *c, uint64_t id, char *buf, size_t size);
int gofer_client_removexattr(struct gofer_client *c, uint64_t id, const char *name);

/*
 * Binds a new host unix socket of type (SOCK_STREAM, _DGRAM, _SEQPACKET)
 * at name in dir; returns the socket (not listening), *out the node.
 */
int gofer_client_bind(struct gofer_client *c, uint64_t dir, const char *name, uint32_t type,
                      struct gofer_node *out);
/* Returns a new host socket of type connected to the socket file id. */
int gofer_client_connect(struct gofer_client *c, uint64_t id, uint32_t type);

/*
 * Sends raw bytes as one message and returns the reply: for tests of the
 * server's decoder. *out points into the client's buffer until its next
 * call. Returns 0 or -errno (the reply may be R_ERROR).
 */
int gofer_client_raw(struct gofer_client *c, const void *msg, size_t len, struct gofer_msg *out);

#endif /* GOFER_CLIENT_H */
