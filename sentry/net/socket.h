/*
 * The sentry's socket layer: one struct socket for every address family
 * (Linux's struct socket + struct sock, gVisor's pkg/sentry/socket).
 *
 * A socket is an open file description (struct file, embedded first) whose
 * file_ops are the generic ones here: read and write are recv and send
 * with no flags, readiness and wait_queue come from the family, fstat
 * shows an S_IFSOCK inode of the sandbox's sockfs ("socket:[INO]" in
 * /proc/PID/fd). Each family fills a const struct socket_ops; the
 * syscalls (syscalls/sys_socket.c) copy arguments in, call the op and copy
 * results out. A NULL op is Linux's sock_no_* (EOPNOTSUPP).
 *
 * Generic SOL_SOCKET options (SO_TYPE, SO_DOMAIN, SO_PROTOCOL, buffer
 * sizes, timeouts, SO_PASSCRED, SO_REUSEADDR, SO_KEEPALIVE, SO_LINGER)
 * live in struct socket and are handled here; the family answers the rest
 * (SO_ERROR, SO_ACCEPTCONN, SO_PEERCRED, its own levels).
 *
 * Families today: AF_UNIX (unix.c); AF_INET and AF_INET6 on the sandbox's
 * own stack (inet.c, inet_tcp.c, inet_udp.c, inet_raw.c), or as host
 * sockets with --network=host
 * (hostinet.c, netmode.h); AF_NETLINK (netlink.c, NETLINK_ROUTE only).
 * The interface ioctls (SIOCGIFCONF, SIOCGIFFLAGS, ...) are answered for
 * every family before the family's own ioctl (iface_ioctl.h), as Linux's
 * sock_ioctl does.
 *
 * References: the socket's file reference (file_get/file_put) keeps the
 * socket open; the last put calls ops->release, after which the family
 * may keep its own object alive for peers that still point at it.
 */
#ifndef SENTRY_NET_SOCKET_H
#define SENTRY_NET_SOCKET_H

#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "common/abi/linux/errno.h"
#include "common/abi/linux/misc.h"
#include "common/abi/linux/time.h"
#include "sentry/kernel/waitqueue.h"
#include "sentry/vfs/file.h"

struct mm;
struct task;

/* ---- The guest ABI (x86-64) ---- */

#define LINUX_AF_UNSPEC  0
#define LINUX_AF_UNIX    1
#define LINUX_AF_INET    2
#define LINUX_AF_INET6   10
#define LINUX_AF_NETLINK 16
#define LINUX_AF_PACKET  17
#define LINUX_AF_MAX     46

#define LINUX_SOCK_STREAM    1
#define LINUX_SOCK_DGRAM     2
#define LINUX_SOCK_RAW       3
#define LINUX_SOCK_RDM       4
#define LINUX_SOCK_SEQPACKET 5
#define LINUX_SOCK_PACKET    10
#define LINUX_SOCK_TYPE_MASK 0xf
#define LINUX_SOCK_NONBLOCK  LINUX_O_NONBLOCK
#define LINUX_SOCK_CLOEXEC   LINUX_O_CLOEXEC

#define LINUX_SOL_SOCKET 1

#define LINUX_SO_REUSEADDR    2
#define LINUX_SO_TYPE         3
#define LINUX_SO_ERROR        4
#define LINUX_SO_SNDBUF       7
#define LINUX_SO_RCVBUF       8
#define LINUX_SO_KEEPALIVE    9
#define LINUX_SO_LINGER       13
#define LINUX_SO_PASSCRED     16
#define LINUX_SO_PEERCRED     17
#define LINUX_SO_RCVTIMEO     20
#define LINUX_SO_SNDTIMEO     21
#define LINUX_SO_ACCEPTCONN   30
#define LINUX_SO_PROTOCOL     38
#define LINUX_SO_DOMAIN       39
#define LINUX_SO_RCVTIMEO_NEW 66
#define LINUX_SO_SNDTIMEO_NEW 67

#define LINUX_SCM_RIGHTS      1
#define LINUX_SCM_CREDENTIALS 2
/* Linux's SCM_MAX_FD: the fds one message may carry. */
#define LINUX_SCM_MAX_FD 253

#define LINUX_MSG_OOB          0x1
#define LINUX_MSG_PEEK         0x2
#define LINUX_MSG_CTRUNC       0x8
#define LINUX_MSG_TRUNC        0x20
#define LINUX_MSG_DONTWAIT     0x40
#define LINUX_MSG_EOR          0x80
#define LINUX_MSG_WAITALL      0x100
#define LINUX_MSG_ERRQUEUE     0x2000
#define LINUX_MSG_NOSIGNAL     0x4000
#define LINUX_MSG_MORE         0x8000
#define LINUX_MSG_CMSG_CLOEXEC 0x40000000

#define LINUX_SHUT_RD   0
#define LINUX_SHUT_WR   1
#define LINUX_SHUT_RDWR 2

#define LINUX_SIOCINQ  0x541B /* FIONREAD */
#define LINUX_SIOCOUTQ 0x5411 /* TIOCOUTQ */

/* Linux's defaults: net.core.wmem_default and rmem_default, wmem_max and rmem_max, somaxconn. */
#define SOCK_WMEM_DEFAULT 212992
#define SOCK_RMEM_DEFAULT 212992
#define SOCK_WMEM_MAX     212992
#define SOCK_RMEM_MAX     212992
#define SOCK_SOMAXCONN    4096
/* SOCK_MIN_SNDBUF and SOCK_MIN_RCVBUF (2 and 1 times TCP_SKB_MIN_TRUESIZE). */
#define SOCK_MIN_SNDBUF 4608
#define SOCK_MIN_RCVBUF 2304

struct linux_msghdr {
	uint64_t name;
	uint32_t namelen;
	uint32_t pad0;
	uint64_t iov;
	uint64_t iovlen;
	uint64_t control;
	uint64_t controllen;
	int32_t flags;
	uint32_t pad1;
};
_Static_assert(sizeof(struct linux_msghdr) == 56, "msghdr layout");

struct linux_cmsghdr {
	uint64_t len;
	int32_t level;
	int32_t type;
};
#define LINUX_CMSG_ALIGN(len) (((len) + sizeof(uint64_t) - 1) & ~(sizeof(uint64_t) - 1))
#define LINUX_CMSG_LEN(len)   (sizeof(struct linux_cmsghdr) + (len))
#define LINUX_CMSG_SPACE(len) (sizeof(struct linux_cmsghdr) + LINUX_CMSG_ALIGN(len))

struct linux_ucred {
	int32_t pid;
	uint32_t uid;
	uint32_t gid;
};

struct linux_linger {
	int32_t onoff;
	int32_t linger;
};

/* struct sockaddr_storage's size: the largest address a call copies in. */
#define LINUX_SOCKADDR_MAX 128

/* ---- Data to send or receive ---- */

/*
 * Where the data of one send or receive is: guest iovecs (sendmsg and
 * friends) or one sentry buffer (read and write through file_ops).
 */
struct net_iter {
	struct mm *mm; /* NULL: kbuf */
	const struct linux_iovec *iov;
	int niov;
	char *kbuf;
	size_t total; /* bytes in all */
	size_t pos;   /* bytes already moved */
	int iov_idx;  /* the iovec that holds pos (guest iovecs) */
	size_t iov_off;
};

void net_iter_init_kbuf(struct net_iter *it, void *buf, size_t len);
/* iov has niov checked entries (the total below Linux's MAX_RW_COUNT). */
void net_iter_init_iov(struct net_iter *it, struct mm *mm, const struct linux_iovec *iov, int niov,
                       size_t total);
static inline size_t net_iter_left(const struct net_iter *it)
{
	return it->total - it->pos;
}
/* Moves n bytes (at most net_iter_left) out of / into the iterator and advances it. -EFAULT. */
int net_iter_copy_from(struct net_iter *it, void *dst, size_t n);
int net_iter_copy_to(struct net_iter *it, const void *src, size_t n);

/*
 * One sendmsg or recvmsg, its buffers in sentry memory (the data stays in
 * the guest, behind the iterator).
 */
struct sock_msg {
	struct net_iter data;
	/* send: the destination (NULL: the connected peer); recv: room for the source. */
	void *name;
	size_t namelen; /* send: its length; recv: the room, set to the source's full length */
	/* send: the control messages; recv: room for them, namelen's rules. */
	void *control;
	size_t controllen; /* recv: set to the bytes used */
	int flags_out;     /* recv: MSG_TRUNC, MSG_CTRUNC, MSG_CMSG_CLOEXEC as asked */
};

/* ---- Sockets ---- */

struct socket;

struct socket_ops {
	/* addr is in sentry memory, len bytes as the caller gave them (checked <= 128). */
	int (*bind)(struct task *t, struct socket *s, const void *addr, size_t len);
	/* backlog already clamped to [0, SOCK_SOMAXCONN]. */
	int (*listen)(struct task *t, struct socket *s, int backlog);
	/*
	 * Takes a pending connection: a new socket (a new reference) with
	 * file status flags fflags (O_NONBLOCK), in *out.
	 */
	int (*accept)(struct task *t, struct socket *s, unsigned fflags, struct socket **out);
	int (*connect)(struct task *t, struct socket *s, const void *addr, size_t len);
	/* Return the bytes moved or -errno. flags: MSG_*. */
	ssize_t (*sendmsg)(struct task *t, struct socket *s, struct sock_msg *m, int flags);
	ssize_t (*recvmsg)(struct task *t, struct socket *s, struct sock_msg *m, int flags);
	/* how: SHUT_RD, SHUT_WR or SHUT_RDWR (checked). */
	int (*shutdown)(struct socket *s, int how);
	/*
	 * Options the generic layer does not know; *len in: room, out: used.
	 * setsockopt's val holds exactly len bytes (an optlen over 256 is 256).
	 */
	int (*getsockopt)(struct task *t, struct socket *s, int level, int name, void *val,
	                  size_t *len);
	int (*setsockopt)(struct task *t, struct socket *s, int level, int name, const void *val,
	                  size_t len);
	/* The generic layer changed SOL_SOCKET option name (SO_KEEPALIVE) that the family applies.
	 */
	void (*sockopt_changed)(struct socket *s, int name);
	/* getsockname (peer false) and getpeername: the address and its full length. */
	int (*getname)(struct socket *s, bool peer, void *addr, size_t *len);
	uint32_t (*readiness)(struct socket *s, uint32_t mask);
	long (*ioctl)(struct task *t, struct socket *s, unsigned cmd, uint64_t arg);
	/* The last reference to the file went away. */
	void (*release)(struct socket *s);
	/*
	 * A family whose sockets are host sockets (hostinet): the host fd,
	 * borrowed. The socket's file then has no readiness or wait queue of
	 * its own: poll and epoll watch this fd on the host (file.h's
	 * poll_host_fd). NULL for the sentry's own families.
	 */
	int (*host_fd)(struct socket *s);
	/*
	 * The family answers every SOL_SOCKET option itself (a host socket's
	 * buffers, SO_REUSEADDR, SO_LINGER, ... are the host's), except
	 * SO_RCVTIMEO and SO_SNDTIMEO, which the sentry keeps: it does the
	 * waiting.
	 */
	bool own_sol_socket;
};

struct socket {
	struct file file; /* first: a socket is a file */
	const struct socket_ops *ops;
	int family, type, protocol;
	uint64_t ino;
	uint32_t uid, gid;           /* the creator's fsuid and fsgid, for fstat */
	struct waitqueue wq;         /* notified with the poll events that may have become true */
	_Atomic int sndbuf;          /* SO_SNDBUF (bytes) */
	_Atomic int rcvbuf;          /* SO_RCVBUF */
	_Atomic int64_t sndtimeo_ns; /* 0: none */
	_Atomic int64_t rcvtimeo_ns;
	atomic_bool passcred, reuseaddr, keepalive;
	_Atomic int64_t linger; /* onoff << 32 | linger seconds */
};

static inline struct socket *socket_of_file(struct file *f)
{
	return (struct socket *)(void *)f;
}

/* Whether f is a socket. */
bool socket_file_is(const struct file *f);

/*
 * Initialises s (allocated by the family, ops and the family's fields set
 * by it) with one file reference and file status flags fflags.
 */
void socket_init(struct socket *s, const struct socket_ops *ops, int family, int type, int protocol,
                 unsigned fflags, const struct creds *creds);
/* For the family's release: what socket_init set up. */
void socket_destroy(struct socket *s);

/*
 * socket(2) and socketpair(2) below the syscall: type without the
 * SOCK_NONBLOCK and SOCK_CLOEXEC bits, fflags O_NONBLOCK or 0. Return 0 and
 * new references, or -errno (EAFNOSUPPORT for a family not built yet).
 */
int socket_create(struct task *t, int family, int type, int protocol, unsigned fflags,
                  struct socket **out);
int socket_create_pair(struct task *t, int family, int type, int protocol, unsigned fflags,
                       struct socket **out0, struct socket **out1);

/* getsockopt and setsockopt: the generic options here, the rest to the family. */
int socket_getsockopt(struct task *t, struct socket *s, int level, int name, void *val,
                      size_t *len);
int socket_setsockopt(struct task *t, struct socket *s, int level, int name, const void *val,
                      size_t len);

/*
 * The absolute CLOCK_MONOTONIC deadline of a blocking wait with timeout
 * ns (0: none, *out untouched and NULL returned).
 */
const struct timespec *socket_deadline(int64_t ns, struct timespec *out);

/* Whether a call on s with MSG_* flags must not block (O_NONBLOCK or MSG_DONTWAIT). */
static inline bool socket_nonblock(struct socket *s, int flags)
{
	return (atomic_load(&s->file.flags) & LINUX_O_NONBLOCK) || (flags & LINUX_MSG_DONTWAIT);
}

/*
 * What a blocking socket call returns when task_block failed with err:
 * Linux's sock_intr_errno: ERESTARTSYS for a signal without a timeout,
 * EINTR with one; EAGAIN at the deadline.
 */
static inline int socket_wait_error(int err, bool has_timeout)
{
	if (err == -ETIMEDOUT)
		return -EAGAIN;
	if (err == -EINTR)
		return has_timeout ? -EINTR : -LINUX_ERESTARTSYS;
	return err;
}

#endif /* SENTRY_NET_SOCKET_H */
