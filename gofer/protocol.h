/*
 * The gofer protocol: the wire format between the sentry (client) and
 * `runsc gofer` (server), shared by both. gVisor's LISAFS is the reference
 * design; see gofer/README.md for the rules the server enforces.
 *
 * Transport. An AF_UNIX SOCK_SEQPACKET socket: one datagram is one message,
 * so boundaries are kept without framing, and a short or oversized message
 * is visible as such. Host fds travel with SCM_RIGHTS (at most one per
 * message, only in replies).
 *
 * Concurrency. A connection is a "channel": strictly one request, then its
 * reply. The server runs one thread per channel, so a request that blocks
 * (open of a FIFO, connect to a busy socket) stalls only its own channel.
 * T_CHANNEL creates a channel: its reply donates one end of a new
 * socketpair, served by a new thread. The sentry gives each of its threads
 * (or a pool) a channel of its own. Node ids are global to the server:
 * any channel may use an id another channel got.
 *
 * Framing. Every message starts with a 16-byte header, little-endian:
 *
 *	u32 size	the whole message, header included; equals the datagram length
 *	u16 id		enum gofer_msg_id
 *	u16 nfds	fds attached with SCM_RIGHTS (0 or 1; 0 in every request)
 *	u32 tag		chosen by the client, echoed in the reply
 *	u32 reserved	zero
 *
 * then the body of that id: fixed fields in a fixed order (u8/u16/u32/u64,
 * little-endian, no padding), then variable parts:
 *  - a name: u16 length, the bytes, one NUL byte. Non-empty, at most
 *    GOFER_NAME_MAX bytes, no '/' and no NUL, neither "." nor "..". (The
 *    sentry resolves ".." from its own dentry tree: no request ever walks
 *    up.) The trailing NUL lets the decoder hand out C strings that point
 *    into the message.
 *  - an xattr name: the same, 1..GOFER_XATTR_NAME_MAX bytes, any byte but NUL.
 *  - a symlink target: the same, 1..GOFER_PATH_MAX bytes, any byte but NUL.
 *  - a blob (xattr values and lists): u32 length, the bytes.
 *  - a stat record: struct linux_statx, field by field (GOFER_STATX_SIZE).
 * Decoding is strict: every length is checked against the message size,
 * reserved and padding fields must be zero, and nothing may follow the
 * last field. So a message the decoder accepts re-encodes to the same
 * bytes.
 *
 * Each request (T_*) has one reply (R_*, see gofer_reply_id()), or R_ERROR
 * with a Linux errno. Node ids are 64-bit handles for host O_PATH fds the
 * server holds; they are never reused, and T_CLOSE releases them.
 */
#ifndef GOFER_PROTOCOL_H
#define GOFER_PROTOCOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/abi/linux/stat.h"

#define GOFER_HDR_SIZE        16
#define GOFER_MSG_MAX         (128 * 1024)           /* a whole message, header included */
#define GOFER_NAME_MAX        255                    /* NAME_MAX */
#define GOFER_PATH_MAX        4095                   /* a symlink target, without its NUL */
#define GOFER_XATTR_NAME_MAX  255                    /* XATTR_NAME_MAX */
#define GOFER_XATTR_SIZE_MAX  65536                  /* XATTR_SIZE_MAX, XATTR_LIST_MAX */
#define GOFER_WALK_MAX        64                     /* names in one T_WALK */
#define GOFER_CLOSE_MAX       64                     /* ids in one T_CLOSE */
#define GOFER_GETDENTS_MAX    65536                  /* entry bytes in one R_GETDENTS */
#define GOFER_STATX_SIZE      0x90                   /* struct linux_statx on the wire */
#define GOFER_STATFS_SIZE     88                     /* struct linux_statfs on the wire, no spare */
#define GOFER_NODE_SIZE       (8 + GOFER_STATX_SIZE) /* u64 id + stat: one R_WALK entry */
#define GOFER_DIRENT_MIN_SIZE 20 /* u64 ino, u64 off, u8 type, u16 length, NUL */

/*
 * Message ids. The numbers are the wire format: never renumber. R_* are
 * replies; a server refuses them as requests.
 */
enum gofer_msg_id {
	GOFER_R_ERROR = 1,        /* u32 errno (1..4095) */
	GOFER_R_OK = 2,           /* empty */
	GOFER_R_FD = 3,           /* empty, one fd */
	GOFER_R_MOUNT = 4,        /* u64 root, u32 flags (GOFER_MOUNT_*), stat */
	GOFER_R_WALK = 5,         /* u32 status (GOFER_WALK_*), u32 count, count x (u64 id, stat) */
	GOFER_R_STAT = 6,         /* stat */
	GOFER_R_NODE = 7,         /* u64 id, stat; one fd after T_CREATE and T_BIND */
	GOFER_R_READLINK = 8,     /* target */
	GOFER_R_GETDENTS = 9,     /* u32 count, u32 size, size bytes of entries (gofer_dirent) */
	GOFER_R_STATFS = 10,      /* statfs record */
	GOFER_R_XATTR = 11,       /* u32 size (of the value or list), blob (empty if asked for 0) */
	GOFER_T_MOUNT = 32,       /* u32 index (of the server's mounts) -> R_MOUNT */
	GOFER_T_CHANNEL = 33,     /* -> R_FD: one end of a new channel */
	GOFER_T_CLOSE = 34,       /* u32 count, count x u64 id -> R_OK */
	GOFER_T_WALK = 35,        /* u64 dir, u32 count, count x name -> R_WALK */
	GOFER_T_STAT = 36,        /* u64 id -> R_STAT */
	GOFER_T_OPEN = 37,        /* u64 id, u32 flags -> R_FD */
	GOFER_T_CREATE = 38,      /* u64 dir, u32 flags, mode, uid, gid, name -> R_NODE + fd */
	GOFER_T_MKDIR = 39,       /* u64 dir, u32 mode, uid, gid, name -> R_NODE */
	GOFER_T_MKNOD = 40,       /* u64 dir, u32 mode, uid, gid, rdev_major, rdev_minor, name */
	GOFER_T_SYMLINK = 41,     /* u64 dir, u32 uid, gid, name, target -> R_NODE */
	GOFER_T_LINK = 42,        /* u64 dir, u64 target, name -> R_NODE */
	GOFER_T_UNLINK = 43,      /* u64 dir, u32 flags, name -> R_OK */
	GOFER_T_RENAME = 44,      /* u64 olddir, u64 newdir, u32 flags, oldname, newname -> R_OK */
	GOFER_T_READLINK = 45,    /* u64 id -> R_READLINK */
	GOFER_T_GETDENTS = 46,    /* u64 dir, u64 offset, u32 size -> R_GETDENTS */
	GOFER_T_SETSTAT = 47,     /* u64 id, u32 mask, mode, uid, gid, u64 size, times -> R_STAT */
	GOFER_T_STATFS = 48,      /* u64 id -> R_STATFS */
	GOFER_T_GETXATTR = 49,    /* u64 id, u32 size, xattr name -> R_XATTR */
	GOFER_T_SETXATTR = 50,    /* u64 id, u32 flags, xattr name, blob -> R_OK */
	GOFER_T_LISTXATTR = 51,   /* u64 id, u32 size -> R_XATTR */
	GOFER_T_REMOVEXATTR = 52, /* u64 id, xattr name -> R_OK */
	GOFER_T_BIND = 53,        /* u64 dir, u32 type, name -> R_NODE + the bound socket */
	GOFER_T_CONNECT = 54,     /* u64 id, u32 type -> R_FD: a connected socket */
	GOFER_MSG_ID_END
};

#define GOFER_MOUNT_RDONLY 0x1

/* R_WALK status. */
#define GOFER_WALK_OK      0 /* every name was walked */
#define GOFER_WALK_SYMLINK 1 /* stopped at a symlink: the last node is it */
#define GOFER_WALK_NOENT   2 /* the name after the last node does not exist */

/* T_SETSTAT mask. */
#define GOFER_SETSTAT_MODE      0x01
#define GOFER_SETSTAT_UID       0x02
#define GOFER_SETSTAT_GID       0x04
#define GOFER_SETSTAT_SIZE      0x08
#define GOFER_SETSTAT_ATIME     0x10 /* set to atime_sec/atime_nsec */
#define GOFER_SETSTAT_MTIME     0x20
#define GOFER_SETSTAT_ATIME_NOW 0x40 /* set to the current time */
#define GOFER_SETSTAT_MTIME_NOW 0x80
#define GOFER_SETSTAT_ALL       0xff

/* uid and gid of a new node: leave the gofer's own. */
#define GOFER_ID_KEEP 0xffffffffU

struct gofer_hdr {
	uint32_t size;
	uint16_t id;
	uint16_t nfds;
	uint32_t tag;
	uint32_t reserved;
};

/* A node as walk, create and friends return it. */
struct gofer_node {
	uint64_t id;
	struct linux_statx stat;
};

/* One directory entry of R_GETDENTS (u64 ino, u64 off, u8 type, name). */
struct gofer_dirent {
	uint64_t ino;
	uint64_t off; /* where the next entry starts: T_GETDENTS offset to resume */
	uint8_t type; /* LINUX_DT_* */
	const char *name;
};

/*
 * A decoded (or to be encoded) message. Strings and byte ranges point into
 * the buffer it was decoded from and live as long as that buffer.
 */
struct gofer_msg {
	uint16_t id;
	uint16_t nfds;
	uint32_t tag;
	union {
		struct {
			uint32_t err; /* positive Linux errno */
		} r_error;
		struct {
			uint64_t root;
			uint32_t flags;
			struct linux_statx stat;
		} r_mount;
		struct {
			uint32_t status;
			uint32_t count;
			const uint8_t *nodes; /* count x GOFER_NODE_SIZE: gofer_node_get/put */
		} r_walk;
		struct linux_statx r_stat;
		struct gofer_node r_node;
		struct {
			const char *target;
		} r_readlink;
		struct {
			uint32_t count;
			uint32_t size;
			const uint8_t *data; /* count entries: gofer_dirent_next/put */
		} r_getdents;
		struct linux_statfs r_statfs;
		struct {
			uint32_t size;      /* of the whole value or list */
			uint32_t data_size; /* 0 (a size query) or size */
			const void *data;
		} r_xattr;
		struct {
			uint32_t index;
		} t_mount;
		struct {
			uint32_t count;
			uint64_t ids[GOFER_CLOSE_MAX];
		} t_close;
		struct {
			uint64_t dir;
			uint32_t count;
			const char *names[GOFER_WALK_MAX];
		} t_walk;
		struct {
			uint64_t id;
		} t_node; /* T_STAT, T_READLINK, T_STATFS */
		struct {
			uint64_t id;
			uint32_t flags; /* LINUX_O_* */
		} t_open;
		struct {
			uint64_t dir;
			uint32_t flags, mode, uid, gid;
			const char *name;
		} t_create;
		struct {
			uint64_t dir;
			uint32_t mode, uid, gid;
			const char *name;
		} t_mkdir;
		struct {
			uint64_t dir;
			uint32_t mode, uid, gid, rdev_major, rdev_minor;
			const char *name;
		} t_mknod;
		struct {
			uint64_t dir;
			uint32_t uid, gid;
			const char *name;
			const char *target;
		} t_symlink;
		struct {
			uint64_t dir;
			uint64_t target;
			const char *name;
		} t_link;
		struct {
			uint64_t dir;
			uint32_t flags; /* 0 or LINUX_AT_REMOVEDIR */
			const char *name;
		} t_unlink;
		struct {
			uint64_t olddir, newdir;
			uint32_t flags; /* LINUX_RENAME_* */
			const char *oldname, *newname;
		} t_rename;
		struct {
			uint64_t dir;
			uint64_t offset; /* 0, or the off of the last entry received */
			uint32_t size;   /* most entry bytes wanted */
		} t_getdents;
		struct {
			uint64_t id;
			uint32_t mask; /* GOFER_SETSTAT_* */
			uint32_t mode, uid, gid;
			uint64_t size;
			int64_t atime_sec;
			uint32_t atime_nsec;
			int64_t mtime_sec;
			uint32_t mtime_nsec;
		} t_setstat;
		struct {
			uint64_t id;
			uint32_t size;
			const char *name;
		} t_getxattr;
		struct {
			uint64_t id;
			uint32_t flags; /* LINUX_XATTR_CREATE, LINUX_XATTR_REPLACE */
			const char *name;
			uint32_t value_size;
			const void *value;
		} t_setxattr;
		struct {
			uint64_t id;
			uint32_t size;
		} t_listxattr;
		struct {
			uint64_t id;
			const char *name;
		} t_removexattr;
		struct {
			uint64_t dir;
			uint32_t type; /* SOCK_STREAM, SOCK_DGRAM or SOCK_SEQPACKET */
			const char *name;
		} t_bind;
		struct {
			uint64_t id;
			uint32_t type;
		} t_connect;
	};
};

/* True for the ids of requests the protocol defines. */
bool gofer_is_request(uint16_t id);
/* The reply id of a request id, or 0 for anything else. */
uint16_t gofer_reply_id(uint16_t id);
/* "T_WALK" and the like, or "?" for an unknown id. */
const char *gofer_msg_name(uint16_t id);

/* Returns 0 if name is a valid file name for the protocol, or -EINVAL. */
int gofer_name_check(const char *name, size_t len);

/*
 * Encodes m into buf (size bytes). Returns the message size, -EINVAL for a
 * field the decoder would refuse (bad name, count, nfds, unknown id), or
 * -EMSGSIZE if it does not fit in size or in GOFER_MSG_MAX.
 */
ssize_t gofer_encode(void *buf, size_t size, const struct gofer_msg *m);

/*
 * Decodes the message of len bytes at buf into *out, whose strings and
 * byte ranges then point into buf. Returns 0, -EINVAL for a malformed
 * message, or -ENOSYS for a well-formed header with an unknown id.
 */
int gofer_decode(const void *buf, size_t len, struct gofer_msg *out);

/* Reads the header of a message of len bytes. Returns 0 or -EINVAL. */
int gofer_decode_hdr(const void *buf, size_t len, struct gofer_hdr *out);

/* Writes node n (GOFER_NODE_SIZE bytes) at dst, for R_WALK. */
void gofer_node_put(uint8_t *dst, const struct gofer_node *n);
/* Reads the i-th node of a decoded R_WALK. */
void gofer_node_get(const struct gofer_msg *m, uint32_t i, struct gofer_node *out);

/*
 * Writes one directory entry at dst (at most avail bytes) for R_GETDENTS.
 * Returns its size, -ENOSPC if it does not fit, -EINVAL for a bad name.
 */
int gofer_dirent_put(uint8_t *dst, size_t avail, const struct gofer_dirent *d);
/*
 * Reads the entry at *pos of the size bytes of entries at data (already
 * validated by gofer_decode) and advances *pos. Returns 1, or 0 at the end.
 */
int gofer_dirent_next(const uint8_t *data, size_t size, size_t *pos, struct gofer_dirent *out);

/* ---- transport.c ---- */

/*
 * Sends one message with nfds (0 or 1) fds on sock, never raising SIGPIPE.
 * Returns 0 or -errno (-EPIPE when the peer is gone).
 */
int gofer_send(int sock, const void *buf, size_t len, const int *fds, unsigned nfds);

/*
 * Receives one message into buf (size bytes, GOFER_MSG_MAX is enough).
 * Received fds (close-on-exec) go to fds[], at most max_fds, their number
 * to *out_nfds; more are closed. Returns the length, 0 at end of file,
 * -EMSGSIZE for a message longer than size (its fds closed), or -errno.
 * With spin_us, it polls that long before it sleeps.
 */
ssize_t gofer_recv(int sock, void *buf, size_t size, int *fds, unsigned max_fds, unsigned *out_nfds,
                   unsigned spin_us);

/*
 * How long the client polls for the reply it awaits before it sleeps in
 * recvmsg (gofer_recv's spin_us). A sleeping client is woken by the
 * gofer's send on whichever CPU it slept: across CPUs that costs 30-60 us
 * here, against a few for most requests. A first lookup in a fresh
 * sandbox went from 69 to 41 us. The server does not poll for its next
 * request: its spinning took the CPUs from the application (a parallel
 * build ran slower), and an idle sandbox must use no CPU.
 */
#define GOFER_REPLY_SPIN_US 50

#endif /* GOFER_PROTOCOL_H */
