/*
 * Host inet sockets, for --network=host (gVisor's hostinet; see
 * hostinet.h and docs/network.md).
 *
 * Objects. A struct hostinet_sock is a socket (struct socket, with its
 * file) plus one host socket: non-blocking and close-on-exec, opened by
 * the sentry with the application's family, type and (resolved) protocol,
 * owned by the socket and closed by its release. The host socket's state is
 * the whole state: there is no sentry copy of addresses, connections or
 * queues, so every call is one host call on that fd (a few for a blocking
 * one), and the host's errno is returned as it is (it is Linux's).
 *
 * Arguments. Addresses were copied into sentry memory and their length
 * checked (at most sockaddr_storage) by syscalls/sys_socket.c; they go to
 * the host as they are: a host inet socket applies Linux's own checks to
 * them. Data never goes to the host as a guest pointer: a send copies the
 * guest's iovecs into a sentry bounce buffer of at most
 * HOSTINET_BOUNCE_MAX bytes (a stream sends a longer buffer in pieces, a
 * datagram longer than that fails with EMSGSIZE, as a UDP one of that
 * size would), a receive receives into one and copies it out. Socket
 * options pass on an allow-list (opt_allowed); anything else is
 * ENOPROTOOPT, or EOPNOTSUPP as Linux's ip_getsockopt gives it for a level
 * an AF_INET socket does not know (getsockopt_refused). ioctls: SIOCINQ (FIONREAD) and SIOCOUTQ.
 *
 * Control messages are plain values or nothing: a send passes IP_TOS,
 * IP_TTL, IPV6_TCLASS and IPV6_HOPLIMIT on and drops the others (as Linux
 * ignores SCM_RIGHTS on an inet socket); a receive passes IP_RECVERR and
 * IPV6_RECVERR (MSG_ERRQUEUE, ping sockets), IP_TOS, IP_TTL, IPV6_TCLASS
 * and IPV6_HOPLIMIT back, and nothing else (the options that would ask
 * for other ones are not on the allow-list).
 *
 * Blocking. The host fd never blocks; a blocking call that the host
 * answers EAGAIN (EINPROGRESS for connect) waits in task_block with the
 * host fd among its wake-ups, for POLLIN or POLLOUT, then tries again.
 * SO_RCVTIMEO and SO_SNDTIMEO stay in the sentry (socket.c) and give that
 * wait its deadline (EAGAIN at it, EINPROGRESS for connect, as Linux); a
 * signal ends it with ERESTARTSYS, or EINTR with a timeout, unless data
 * already moved (socket.h's socket_wait_error, as unix.c). No wait spins:
 * once the host fd was ready and the call still found nothing (POLLERR
 * of a non-empty error queue, POLLHUP, another thread first), the call's
 * next waits are edge-triggered (wait_host). A blocking connect's result
 * is the host's answer to connecting again, never SO_ERROR (see
 * hostinet_connect).
 *
 * Readiness. The socket's file has no wait queue: its readiness is the
 * host fd's (socket_ops.host_fd, file.h's poll_host_fd), so poll and
 * select poll the host fd and epoll registers a copy of it in its own
 * host epoll, with the application's EPOLLET and EPOLLONESHOT, exactly as
 * for the sandbox's other host files (the inherited stdio, timerfds). The
 * host's poll bits are Linux's, EPOLLRDHUP and EPOLLERR included.
 *
 * SIGPIPE. Every host send has MSG_NOSIGNAL (the sentry never takes a
 * host SIGPIPE); an EPIPE from the host raises SIGPIPE for the calling
 * thread unless the application passed MSG_NOSIGNAL, as Linux does.
 *
 * Host calls. This file makes them itself (it is the family's host
 * boundary, as the host_*.c files are the VFS's); the sentry's seccomp
 * allowlist has the socket calls only in host mode (sentry/boot/confine.c,
 * g_sentry_hostnet_rules).
 *
 * Not done: SOCK_RAW (ESOCKTNOSUPPORT), socket options off the list, other
 * control messages, SO_RCVTIMEO_NEW/SO_SNDTIMEO_NEW (ENOPROTOOPT), MSG_ZEROCOPY
 * (dropped: it would need the error queue's completions), and MSG_WAITALL
 * with MSG_PEEK (returns what is there). A SO_LINGER with a time makes
 * the last close wait on the host, as it waits on Linux, but without
 * being interruptible. Every host socket is an fd of the sentry, so the
 * sandbox's sockets together are bounded by the sentry's own
 * RLIMIT_NOFILE (the host's EMFILE), as tmpfs files are.
 *
 * Locking: none of its own; the host serialises calls on one fd.
 */
#include "sentry/net/hostinet.h"

#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <linux/sockios.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/abi/linux/inet.h"
#include "common/abi/linux/signal.h"
#include "common/log.h"
#include "common/util.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"

/* The guest's MSG_* flags beyond socket.h's (x86-64 Linux; the host's are the same). */
#define LINUX_MSG_DONTROUTE 0x4
#define LINUX_MSG_CONFIRM   0x800

/* The host is x86-64 Linux too: its numbers are the guest's, so they pass as they are. */
_Static_assert(SOL_SOCKET == LINUX_SOL_SOCKET && IPPROTO_TCP == LINUX_IPPROTO_TCP &&
                       IPPROTO_IPV6 == LINUX_IPPROTO_IPV6,
               "host option levels");
_Static_assert(MSG_NOSIGNAL == LINUX_MSG_NOSIGNAL && MSG_DONTWAIT == LINUX_MSG_DONTWAIT &&
                       MSG_PEEK == LINUX_MSG_PEEK && MSG_TRUNC == LINUX_MSG_TRUNC &&
                       MSG_ERRQUEUE == LINUX_MSG_ERRQUEUE && MSG_CTRUNC == LINUX_MSG_CTRUNC,
               "host MSG_* flags");
_Static_assert(sizeof(struct cmsghdr) == sizeof(struct linux_cmsghdr), "host cmsghdr");

/* The most data one host call moves: a stream sends and receives in pieces of this size. */
#define HOSTINET_BOUNCE_MAX (64 * 1024)
/* The control data a host call passes (a few small values, or one extended error). */
#define HOSTINET_CONTROL_MAX 256
/* setsockopt values: at most a struct linger or an int (sys_socket.c reads 16 bytes). */
#define HOSTINET_OPTVAL_MAX 16

/* The MSG_* flags passed to the host; it always gets MSG_DONTWAIT and MSG_NOSIGNAL too. */
#define SEND_FLAGS \
	(LINUX_MSG_OOB | LINUX_MSG_DONTROUTE | LINUX_MSG_EOR | LINUX_MSG_MORE | LINUX_MSG_CONFIRM)
#define RECV_FLAGS (LINUX_MSG_OOB | LINUX_MSG_PEEK | LINUX_MSG_TRUNC | LINUX_MSG_ERRQUEUE)
#define RECV_FLAGS_OUT \
	(LINUX_MSG_TRUNC | LINUX_MSG_CTRUNC | LINUX_MSG_EOR | LINUX_MSG_OOB | LINUX_MSG_ERRQUEUE)

struct hostinet_sock {
	struct socket sock; /* first */
	int fd;             /* the host socket: non-blocking, close-on-exec, owned */
};

static const struct socket_ops g_hostinet_ops;

static struct hostinet_sock *hostinet_of(struct socket *s)
{
	return container_of(s, struct hostinet_sock, sock);
}

/* ---- Creation and release ---- */

/* Linux's inet_create lookup: the protocol a type and protocol name, or -errno. */
static int resolve_protocol(int family, int type, int protocol)
{
	/* Checked first, before the type (IPPROTO_MAX is 263). */
	if (protocol < 0 || protocol >= 263)
		return -EINVAL;
	switch (type) {
	case LINUX_SOCK_STREAM:
		if (protocol == 0 || protocol == LINUX_IPPROTO_TCP)
			return LINUX_IPPROTO_TCP;
		return -EPROTONOSUPPORT;
	case LINUX_SOCK_DGRAM:
		if (protocol == 0 || protocol == LINUX_IPPROTO_UDP)
			return LINUX_IPPROTO_UDP;
		if (family == LINUX_AF_INET && protocol == LINUX_IPPROTO_ICMP)
			return protocol;
		if (family == LINUX_AF_INET6 && protocol == LINUX_IPPROTO_ICMPV6)
			return protocol;
		return -EPROTONOSUPPORT;
	default:
		/* SOCK_RAW too: host mode gives no raw sockets. */
		return -ESOCKTNOSUPPORT;
	}
}

/* Wraps host fd (consumed) in a new socket. */
static struct hostinet_sock *hostinet_new(struct task *t, int family, int type, int protocol,
                                          int fd, unsigned fflags)
{
	struct hostinet_sock *h = calloc(1, sizeof(*h));
	if (!h) {
		close(fd);
		return NULL;
	}
	socket_init(&h->sock, &g_hostinet_ops, family, type, protocol, fflags,
	            t ? &t->creds : NULL);
	h->fd = fd;
	return h;
}

int hostinet_socket_create(struct task *t, int family, int type, int protocol, unsigned fflags,
                           struct socket **out)
{
	int proto = resolve_protocol(family, type, protocol);
	if (proto < 0)
		return proto;
	int fd = socket(family == LINUX_AF_INET ? AF_INET : AF_INET6,
	                type | SOCK_NONBLOCK | SOCK_CLOEXEC, proto);
	if (fd < 0)
		return -errno;
	struct hostinet_sock *h = hostinet_new(t, family, type, proto, fd, fflags);
	if (!h)
		return -ENOMEM;
	*out = &h->sock;
	return 0;
}

static void hostinet_release(struct socket *s)
{
	struct hostinet_sock *h = hostinet_of(s);
	close(h->fd);
	socket_destroy(&h->sock);
	free(h);
}

static int hostinet_host_fd(struct socket *s)
{
	return hostinet_of(s)->fd;
}

/* ---- Waiting ---- */

/*
 * How a blocking call waits (Linux's sock_rcvtimeo / sock_sndtimeo), as
 * unix.c's. Every wait_init is paired with a wait_done.
 */
struct hostinet_wait {
	bool nonblock;
	bool has_timeout;
	struct timespec ts;
	const struct timespec *deadline;
	bool host_was_ready; /* the last wait ended because the host fd was ready */
	int epfd;            /* the edge-triggered wait (-1: not needed yet) */
};

static void wait_init(struct hostinet_wait *w, struct socket *s, int flags, bool rcv)
{
	int64_t ns = atomic_load(rcv ? &s->rcvtimeo_ns : &s->sndtimeo_ns);
	w->nonblock = socket_nonblock(s, flags) || ns < 0;
	w->has_timeout = ns > 0;
	w->deadline = socket_deadline(ns, &w->ts);
	w->host_was_ready = false;
	w->epfd = -1;
}

static void wait_done(struct hostinet_wait *w)
{
	if (w->epfd >= 0)
		close(w->epfd);
}

/*
 * Waits for the host fd to change towards one of events, after the call
 * found it not ready (EAGAIN). Returns 0 (the caller tries again: a
 * wake-up may be spurious), or what socket_wait_error makes of a signal
 * or the deadline: every wait ends at a signal, as Linux's socket waits.
 *
 * It never spins. The first wait polls the host fd (level-triggered: one
 * ppoll). But poll also reports what the call does not wait for: POLLERR
 * while an error queue is not empty (IP_RECVERR), POLLHUP; and another
 * thread may take what woke us. When a wait ended with the host fd ready
 * and the call still found nothing, the next waits are edge-triggered: a
 * host epoll of this call's own with the fd in EPOLLET, so that only a
 * new wake-up of the host socket ends them. Registering it before the
 * call tries again loses no wake-up; its first report (the state as it
 * is) may be one more spurious wake-up, not a loop.
 */
static int wait_host(struct task *t, struct hostinet_sock *h, short events, struct hostinet_wait *w)
{
	if (w->host_was_ready && w->epfd < 0) {
		w->epfd = epoll_create1(EPOLL_CLOEXEC);
		if (w->epfd < 0)
			return -errno;
		struct epoll_event ev = { .events = (uint32_t)events | EPOLLET };
		if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, h->fd, &ev) != 0)
			return -errno;
	}
	struct pollfd p = w->epfd >= 0 ? (struct pollfd){ .fd = w->epfd, .events = POLLIN }
	                               : (struct pollfd){ .fd = h->fd, .events = events };
	int err = task_block(t, w->deadline, &p, 1);
	if (err < 0)
		return socket_wait_error(err, w->has_timeout);
	w->host_was_ready = p.revents != 0;
	if (w->epfd >= 0 && p.revents) {
		/* Consume the edge, so that the next wait needs a new one. */
		struct epoll_event ev;
		(void)epoll_wait(w->epfd, &ev, 1, 0);
	}
	return 0;
}

/* ---- bind, listen, connect, accept, shutdown, names ---- */

static int hostinet_bind(struct task *t, struct socket *s, const void *addr, size_t len)
{
	(void)t;
	if (bind(hostinet_of(s)->fd, addr, (socklen_t)len) != 0)
		return -errno;
	return 0;
}

static int hostinet_listen(struct task *t, struct socket *s, int backlog)
{
	(void)t;
	if (listen(hostinet_of(s)->fd, backlog) != 0)
		return -errno;
	return 0;
}

/*
 * Linux's __inet_stream_connect: a blocking connect waits for the
 * handshake (SO_SNDTIMEO: EINPROGRESS at the deadline) and returns its
 * result; a restarted one finds EALREADY on the host and waits again.
 *
 * The result is the host's answer to connecting again once the handshake
 * is over, not SO_ERROR: the host socket's connect state (Linux's
 * sock->state) stays SS_CONNECTING after a non-blocking connect until a
 * connect call sees the end. That call gives 0 when connected and the
 * error when not (sock_error), and makes a refused socket SS_UNCONNECTED
 * again, so that the application's next connect really connects again
 * (reading SO_ERROR instead would clear the error and leave the socket
 * SS_CONNECTING: the next connect would be ECONNABORTED).
 */
static int hostinet_connect(struct task *t, struct socket *s, const void *addr, size_t len)
{
	struct hostinet_sock *h = hostinet_of(s);
	if (connect(h->fd, addr, (socklen_t)len) == 0)
		return 0;
	int err = -errno;
	if (err != -EINPROGRESS && err != -EALREADY)
		return err;
	struct hostinet_wait w;
	wait_init(&w, s, 0, /*rcv=*/false);
	if (w.nonblock)
		goto out_wait_done;
	for (;;) {
		err = wait_host(t, h, POLLOUT, &w);
		if (err == -EAGAIN)
			err = -EINPROGRESS;
		if (err < 0)
			break;
		if (connect(h->fd, addr, (socklen_t)len) == 0) {
			err = 0;
			break;
		}
		err = -errno;
		/* Another thread's connect saw the end first: connected, as Linux's waiters. */
		if (err == -EISCONN) {
			err = 0;
			break;
		}
		if (err != -EALREADY && err != -EINPROGRESS)
			break;
		/*
		 * Still in progress although the host fd was ready: an error came
		 * during the handshake (sk_err with the socket still in SYN_SENT).
		 * Report it, as the handshake's result; none: wait again.
		 */
		int soerr = 0;
		socklen_t sl = sizeof(soerr);
		if (w.host_was_ready && getsockopt(h->fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) == 0 &&
		    soerr != 0) {
			err = -soerr;
			break;
		}
	}
out_wait_done:
	wait_done(&w);
	return err;
}

static int hostinet_accept(struct task *t, struct socket *s, unsigned fflags, struct socket **out)
{
	struct hostinet_sock *h = hostinet_of(s);
	struct hostinet_wait w;
	wait_init(&w, s, 0, /*rcv=*/true);
	int fd, err;
	for (;;) {
		fd = accept4(h->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd >= 0)
			break;
		err = -errno;
		if (err != -EAGAIN || w.nonblock)
			goto out_wait_done;
		err = wait_host(t, h, POLLIN, &w);
		if (err < 0)
			goto out_wait_done;
	}
	err = -ENOMEM;
	struct hostinet_sock *n = hostinet_new(t, s->family, s->type, s->protocol, fd, fflags);
	if (n) {
		*out = &n->sock;
		err = 0;
	}
out_wait_done:
	wait_done(&w);
	return err;
}

static int hostinet_shutdown(struct socket *s, int how)
{
	if (shutdown(hostinet_of(s)->fd, how) != 0)
		return -errno;
	return 0;
}

static int hostinet_getname(struct socket *s, bool peer, void *addr, size_t *len)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	int fd = hostinet_of(s)->fd;
	if ((peer ? getpeername(fd, (struct sockaddr *)&ss, &sl)
	          : getsockname(fd, (struct sockaddr *)&ss, &sl)) != 0)
		return -errno;
	memcpy(addr, &ss, MIN((size_t)sl, (size_t)LINUX_SOCKADDR_MAX));
	*len = sl;
	return 0;
}

/* ---- Control messages ---- */

/* The control messages that are plain values, safe to pass either way. */
static bool cmsg_allowed(int level, int type, bool recv)
{
	if (level == LINUX_IPPROTO_IP)
		return type == LINUX_IP_TOS || type == LINUX_IP_TTL ||
		       (recv && type == LINUX_IP_RECVERR);
	if (level == LINUX_IPPROTO_IPV6)
		return type == LINUX_IPV6_TCLASS || type == LINUX_IPV6_HOPLIMIT ||
		       (recv && type == LINUX_IPV6_RECVERR);
	return false;
}

/*
 * Copies the allowed control messages of the guest's send buffer (in
 * sentry memory) into out (HOSTINET_CONTROL_MAX bytes); drops the others.
 * Returns the bytes used, or -EINVAL for a malformed buffer (Linux's
 * __sock_cmsg_send checks).
 */
static long send_control(const struct sock_msg *m, char *out)
{
	const char *c = m->control;
	size_t used = 0, off = 0;
	while (c && off + sizeof(struct linux_cmsghdr) <= m->controllen) {
		struct linux_cmsghdr hdr;
		memcpy(&hdr, c + off, sizeof(hdr));
		if (hdr.len < sizeof(hdr) || hdr.len > m->controllen - off)
			return -EINVAL;
		size_t space = LINUX_CMSG_ALIGN(hdr.len);
		if (cmsg_allowed(hdr.level, hdr.type, /*recv=*/false) &&
		    used + space <= HOSTINET_CONTROL_MAX) {
			memset(out + used, 0, space);
			memcpy(out + used, c + off, hdr.len);
			used += space;
		}
		off += space;
	}
	return (long)used;
}

/* Copies the allowed control messages the host gave (hm) to m's room; MSG_CTRUNC if short. */
static void recv_control(struct msghdr *hm, struct sock_msg *m)
{
	size_t used = 0;
	char *out = m->control;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(hm); c; c = CMSG_NXTHDR(hm, c)) {
		if (!cmsg_allowed(c->cmsg_level, c->cmsg_type, /*recv=*/true))
			continue;
		if (used + c->cmsg_len > m->controllen) {
			m->flags_out |= LINUX_MSG_CTRUNC;
			break;
		}
		memcpy(out + used, c, c->cmsg_len);
		used += MIN(LINUX_CMSG_ALIGN(c->cmsg_len), m->controllen - used);
	}
	m->controllen = used;
}

/* ---- Data ---- */

static ssize_t hostinet_sendmsg(struct task *t, struct socket *s, struct sock_msg *m, int flags)
{
	struct hostinet_sock *h = hostinet_of(s);
	bool stream = s->type == LINUX_SOCK_STREAM;
	size_t total = net_iter_left(&m->data);
	if (!stream && total > HOSTINET_BOUNCE_MAX)
		return -EMSGSIZE;
	char control[HOSTINET_CONTROL_MAX];
	long clen = send_control(m, control);
	if (clen < 0)
		return clen;
	size_t cap = MIN(total, (size_t)HOSTINET_BOUNCE_MAX);
	char *buf = malloc(cap ? cap : 1);
	if (!buf)
		return -ENOBUFS;
	struct hostinet_wait w;
	wait_init(&w, s, flags, /*rcv=*/false);
	int hflags = (flags & SEND_FLAGS) | MSG_DONTWAIT | MSG_NOSIGNAL;
	size_t sent = 0;         /* bytes the host took */
	size_t have = 0, at = 0; /* buf[at, have): copied in, not sent yet */
	long err = 0;
	for (;;) {
		if (at == have) {
			have = MIN(cap, net_iter_left(&m->data));
			at = 0;
			err = net_iter_copy_from(&m->data, buf, have);
			if (err < 0)
				break;
		}
		struct iovec iov = { buf + at, have - at };
		struct msghdr hm = {
			.msg_name = m->name,
			.msg_namelen = (socklen_t)m->namelen,
			.msg_iov = &iov,
			.msg_iovlen = 1,
			.msg_control = clen ? control : NULL,
			.msg_controllen = (size_t)clen,
		};
		ssize_t n = sendmsg(h->fd, &hm, hflags);
		if (n >= 0) {
			err = 0;
			clen = 0; /* with the first piece only */
			sent += (size_t)n;
			at += (size_t)n;
			if (!stream || (at == have && net_iter_left(&m->data) == 0))
				break;
			continue;
		}
		err = -errno;
		if (err == -EINTR)
			continue;
		if (err != -EAGAIN || w.nonblock)
			break;
		err = wait_host(t, h, POLLOUT, &w);
		if (err < 0)
			break;
	}
	wait_done(&w);
	free(buf);
	if (sent > 0 && stream)
		return (ssize_t)sent;
	if (err == -EPIPE && !(flags & LINUX_MSG_NOSIGNAL))
		task_send_thread_signal(t, LINUX_SIGPIPE, NULL);
	return err < 0 ? err : (ssize_t)sent;
}

static ssize_t hostinet_recvmsg(struct task *t, struct socket *s, struct sock_msg *m, int flags)
{
	struct hostinet_sock *h = hostinet_of(s);
	bool stream = s->type == LINUX_SOCK_STREAM;
	size_t total = net_iter_left(&m->data);
	size_t cap = MIN(total, (size_t)HOSTINET_BOUNCE_MAX);
	char *buf = malloc(cap ? cap : 1);
	if (!buf)
		return -ENOBUFS;
	struct hostinet_wait w;
	wait_init(&w, s, flags, /*rcv=*/true);
	/* Linux never waits for the error queue or urgent data. */
	if (flags & (LINUX_MSG_ERRQUEUE | LINUX_MSG_OOB))
		w.nonblock = true;
	bool waitall = stream && (flags & LINUX_MSG_WAITALL) && !(flags & LINUX_MSG_PEEK);
	int hflags = (flags & RECV_FLAGS) | MSG_DONTWAIT;
	size_t got = 0;
	bool first = true;
	long err = 0;
	ssize_t ret = 0;
	for (;;) {
		size_t want = MIN(cap, total - got);
		struct sockaddr_storage from;
		char control[HOSTINET_CONTROL_MAX];
		struct iovec iov = { buf, want };
		struct msghdr hm = {
			.msg_name = &from,
			.msg_namelen = sizeof(from),
			.msg_iov = &iov,
			.msg_iovlen = 1,
			.msg_control = m->control && first ? control : NULL,
			.msg_controllen = m->control && first ? sizeof(control) : 0,
		};
		ssize_t n = recvmsg(h->fd, &hm, hflags);
		if (n >= 0) {
			err = net_iter_copy_to(&m->data, buf, MIN((size_t)n, want));
			if (err < 0)
				break;
			if (first) {
				first = false;
				if (m->name) {
					memcpy(m->name, &from,
					       MIN((size_t)hm.msg_namelen,
					           (size_t)LINUX_SOCKADDR_MAX));
					m->namelen = hm.msg_namelen;
				}
				m->flags_out |= hm.msg_flags & RECV_FLAGS_OUT;
				if (m->control)
					recv_control(&hm, m);
			}
			if (!stream) {
				ret = n; /* with MSG_TRUNC: the datagram's whole length */
				break;
			}
			got += (size_t)n;
			if (n == 0 || !waitall || got == total)
				break;
			continue;
		}
		err = -errno;
		if (err == -EINTR)
			continue;
		if (err != -EAGAIN || w.nonblock)
			break;
		err = wait_host(t, h, POLLIN, &w);
		if (err < 0)
			break;
	}
	wait_done(&w);
	free(buf);
	if (stream && got > 0)
		return (ssize_t)got;
	if (err < 0) {
		if (first && m->control)
			m->controllen = 0;
		return err;
	}
	return stream ? 0 : ret;
}

/* ---- Options, ioctls, readiness ---- */

/* The options that pass to the host (both ways: the host refuses what is read-only). */
static bool opt_allowed(int level, int name)
{
	switch (level) {
	case LINUX_SOL_SOCKET:
		switch (name) {
		case LINUX_SO_REUSEADDR:
		case LINUX_SO_REUSEPORT:
		case LINUX_SO_KEEPALIVE:
		case LINUX_SO_LINGER:
		case LINUX_SO_RCVBUF:
		case LINUX_SO_SNDBUF:
		case LINUX_SO_BROADCAST:
		case LINUX_SO_OOBINLINE:
		case LINUX_SO_ERROR:
		case LINUX_SO_TYPE:
		case LINUX_SO_DOMAIN:
		case LINUX_SO_PROTOCOL:
		case LINUX_SO_ACCEPTCONN:
			return true;
		default:
			return false;
		}
	case LINUX_IPPROTO_TCP:
		switch (name) {
		case LINUX_TCP_NODELAY:
		case LINUX_TCP_MAXSEG:
		case LINUX_TCP_CORK:
		case LINUX_TCP_KEEPIDLE:
		case LINUX_TCP_KEEPINTVL:
		case LINUX_TCP_KEEPCNT:
		case LINUX_TCP_INFO:
		case LINUX_TCP_QUICKACK:
		case LINUX_TCP_USER_TIMEOUT:
			return true;
		default:
			return false;
		}
	case LINUX_IPPROTO_IP:
		return name == LINUX_IP_TOS || name == LINUX_IP_TTL || name == LINUX_IP_RECVERR ||
		       name == LINUX_IP_MTU_DISCOVER;
	case LINUX_IPPROTO_IPV6:
		return name == LINUX_IPV6_V6ONLY || name == LINUX_IPV6_TCLASS ||
		       name == LINUX_IPV6_UNICAST_HOPS || name == LINUX_IPV6_RECVERR;
	default:
		return false;
	}
}

/*
 * The errno of a getsockopt that is not on the list, as the host would
 * give it (Linux's call chain): SOL_SOCKET and the socket's own protocol
 * level (TCP's, UDP's) answer ENOPROTOOPT for a name they do not know;
 * every other level falls to the IP layer, whose ip_getsockopt says
 * EOPNOTSUPP for a level other than SOL_IP and ipv6_getsockopt
 * ENOPROTOOPT for any level. (setsockopt is ENOPROTOOPT on every path.)
 */
static int getsockopt_refused(const struct socket *s, int level)
{
	if (s->family == LINUX_AF_INET6 || level == LINUX_SOL_SOCKET || level == LINUX_IPPROTO_IP)
		return -ENOPROTOOPT;
	/* Ping sockets have no level of their own: ping_prot's getsockopt is ip_getsockopt. */
	if ((s->protocol == LINUX_IPPROTO_TCP || s->protocol == LINUX_IPPROTO_UDP) &&
	    level == s->protocol)
		return -ENOPROTOOPT;
	return -EOPNOTSUPP;
}

static int hostinet_getsockopt(struct task *t, struct socket *s, int level, int name, void *val,
                               size_t *len)
{
	(void)t;
	if (!opt_allowed(level, name))
		return getsockopt_refused(s, level);
	socklen_t hl = (socklen_t)*len;
	if (getsockopt(hostinet_of(s)->fd, level, name, val, &hl) != 0)
		return -errno;
	*len = MIN((size_t)hl, *len);
	return 0;
}

static int hostinet_setsockopt(struct task *t, struct socket *s, int level, int name,
                               const void *val, size_t len)
{
	(void)t;
	if (!opt_allowed(level, name))
		return -ENOPROTOOPT;
	/* val holds the first HOSTINET_OPTVAL_MAX bytes; no allowed option reads more. */
	socklen_t hl = (socklen_t)MIN(len, (size_t)HOSTINET_OPTVAL_MAX);
	if (setsockopt(hostinet_of(s)->fd, level, name, val, hl) != 0)
		return -errno;
	return 0;
}

static long hostinet_ioctl(struct task *t, struct socket *s, unsigned cmd, uint64_t arg)
{
	if (cmd != LINUX_SIOCINQ && cmd != LINUX_SIOCOUTQ)
		return -ENOTTY;
	int v = 0;
	if (ioctl(hostinet_of(s)->fd, cmd == LINUX_SIOCINQ ? SIOCINQ : SIOCOUTQ, &v) != 0)
		return -errno;
	int32_t out = v;
	return mm_copy_out(t->mm, arg, &out, sizeof(out));
}

/* The host's answer now (its poll bits are Linux's); the file's poll uses the fd directly. */
static uint32_t hostinet_readiness(struct socket *s, uint32_t mask)
{
	struct pollfd p = { .fd = hostinet_of(s)->fd, .events = (short)(mask & 0xffff) };
	if (poll(&p, 1, 0) <= 0)
		return 0;
	return (uint16_t)p.revents;
}

static const struct socket_ops g_hostinet_ops = {
	.bind = hostinet_bind,
	.listen = hostinet_listen,
	.accept = hostinet_accept,
	.connect = hostinet_connect,
	.sendmsg = hostinet_sendmsg,
	.recvmsg = hostinet_recvmsg,
	.shutdown = hostinet_shutdown,
	.getsockopt = hostinet_getsockopt,
	.setsockopt = hostinet_setsockopt,
	.getname = hostinet_getname,
	.readiness = hostinet_readiness,
	.ioctl = hostinet_ioctl,
	.release = hostinet_release,
	.host_fd = hostinet_host_fd,
	.own_sol_socket = true,
};
