/*
 * AF_NETLINK sockets (see netlink.h), following Linux's
 * net/netlink/af_netlink.c call by call where the sandbox has the same
 * state.
 *
 * Port ids. bind with nl_pid 0, or the first send or connect, gives the
 * socket the caller's tgid, or when that is taken -4096, -4097, ... (Linux's
 * netlink_autobind). Bound sockets are in one list, g_nl_ports.
 *
 * Requests. A send is one datagram holding any number of requests; each
 * is handled at once (Linux runs rtnetlink_rcv in the sender's context)
 * by rtnetlink.c, and its replies are queued on the sender's socket: one
 * datagram per reply or error. Malformed messages end the walk quietly
 * (netlink_rcv_skb: a header shorter than 16 bytes or longer than what is
 * left); the send still succeeds.
 *
 * Dumps. The whole dump is built when it is asked for (the table is small
 * and fixed) and handed out as Linux's netlink_dump does: one datagram of
 * whole messages at a time, at most max(NLMSG_GOODSIZE, the largest
 * receive buffer seen, capped at 32 KiB) bytes, the next one queued when a
 * receive has drained the queue below half of SO_RCVBUF. A second dump
 * asked for while one is running fails with EBUSY.
 *
 * Receiving. Each recv takes one datagram: a buffer too small for it gets
 * the start, MSG_TRUNC in msg_flags, and the rest is lost; MSG_TRUNC in
 * the flags returns the datagram's full length; MSG_PEEK leaves it queued.
 * Replies beyond SO_RCVBUF are dropped and the next recv fails with
 * ENOBUFS (unless NETLINK_NO_ENOBUFS), as netlink_overrun.
 *
 * Locking. g_nl_mu protects the port list and each socket's portid and
 * bound; nl_sock.mu the rest of a socket's state. Neither is held across
 * a wait queue call; g_nl_mu is never taken under an nl_sock.mu. Guest
 * memory is copied under nl_sock.mu (mm.mu inside it).
 *
 * Not done: unicast between user sockets (a destination port other than
 * the kernel's gives ECONNREFUSED), NETLINK_PKTINFO's control message,
 * extended acks (NETLINK_EXT_ACK is accepted; no error has a message).
 */
#include "sentry/net/netlink.h"

#include <stdlib.h>
#include <string.h>

#include "common/list.h"
#include "common/util.h"
#include "sentry/kernel/creds.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"

/* SKB_WITH_OVERHEAD(PAGE_SIZE) and SKB_WITH_OVERHEAD(32768) of x86-64 Linux 6.1. */
#define NL_GOODSIZE     3776
#define NL_MAX_RECV_LEN 32448
/* What a queued datagram costs beyond its bytes (about an skb's truesize). */
#define NL_SKB_OVERHEAD 576
/* RTNLGRP_MAX: the route protocol's multicast groups. */
#define NL_ROUTE_NGROUPS 35

#define POLL_IN_EVENTS  (LINUX_POLLIN | LINUX_POLLRDNORM)
#define POLL_OUT_EVENTS (LINUX_POLLOUT | LINUX_POLLWRNORM | LINUX_POLLWRBAND)

/* nl_sock.flags: the boolean options. */
#define NLF_PKTINFO         0x1
#define NLF_BROADCAST_ERROR 0x2
#define NLF_NO_ENOBUFS      0x4
#define NLF_LISTEN_ALL_NSID 0x8
#define NLF_CAP_ACK         0x10
#define NLF_EXT_ACK         0x20
#define NLF_STRICT_CHK      0x40

/* A queued datagram (Linux's skb). */
struct nl_skb {
	struct list_head link;
	size_t len;
	char data[];
};

struct nl_sock {
	struct socket sock; /* first */
	/* Protected by g_nl_mu. */
	bool bound;
	uint32_t portid;
	struct list_head port_link; /* in g_nl_ports when bound */
	pthread_mutex_t mu;
	/* Protected by mu. */
	struct list_head rq; /* struct nl_skb */
	size_t rq_charge;    /* bytes plus NL_SKB_OVERHEAD per datagram */
	int err;             /* sk_err: ENOBUFS after an overrun */
	struct nl_buf dump;  /* the running dump's messages; dump_off: what is handed out */
	size_t dump_off;
	bool dumping;
	size_t max_recvmsg_len;
	unsigned flags;  /* NLF_* */
	uint64_t groups; /* bit g-1: group g */
	uint32_t dst_portid, dst_group;
};

static pthread_mutex_t g_nl_mu = PTHREAD_MUTEX_INITIALIZER;
static struct list_head g_nl_ports = { &g_nl_ports, &g_nl_ports };
static int32_t g_nl_rover = -4096;

static const struct socket_ops g_netlink_ops;

static struct nl_sock *nl_of(struct socket *s)
{
	return (struct nl_sock *)(void *)s;
}

/* ---- Building messages ---- */

static char *buf_grow(struct nl_buf *b, size_t n)
{
	if (b->oom)
		return NULL;
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 1024;
		while (cap < b->len + n)
			cap *= 2;
		char *d = realloc(b->data, cap);
		if (!d) {
			b->oom = true;
			return NULL;
		}
		b->data = d;
		b->cap = cap;
	}
	char *p = b->data + b->len;
	b->len += n;
	return p;
}

void nl_buf_free(struct nl_buf *b)
{
	free(b->data);
	*b = (struct nl_buf){ 0 };
}

void nl_put(struct nl_buf *b, const void *data, size_t len)
{
	size_t padded = LINUX_NLMSG_ALIGN(len);
	char *p = buf_grow(b, padded);
	if (!p)
		return;
	memcpy(p, data, len);
	memset(p + len, 0, padded - len);
}

size_t nl_msg_begin(struct nl_buf *b, uint16_t type, uint16_t flags, uint32_t seq, uint32_t portid)
{
	size_t start = b->len;
	struct linux_nlmsghdr h = {
		.nlmsg_len = LINUX_NLMSG_HDRLEN,
		.nlmsg_type = type,
		.nlmsg_flags = flags,
		.nlmsg_seq = seq,
		.nlmsg_pid = portid,
	};
	nl_put(b, &h, sizeof(h));
	return start;
}

void nl_attr(struct nl_buf *b, uint16_t type, const void *data, size_t len)
{
	struct linux_rtattr a = { .rta_len = (uint16_t)(sizeof(a) + len), .rta_type = type };
	nl_put(b, &a, sizeof(a));
	nl_put(b, data, len);
}

void nl_msg_end(struct nl_buf *b, size_t start)
{
	if (b->oom)
		return;
	uint32_t len = (uint32_t)(b->len - start);
	memcpy(b->data + start, &len, sizeof(len));
}

/* ---- The receive queue (under nl.mu) ---- */

/* Queues one datagram; false when it was dropped (overrun). */
static bool queue_locked(struct nl_sock *nl, const void *data, size_t len)
{
	if (nl->rq_charge > (size_t)atomic_load(&nl->sock.rcvbuf)) {
		if (!(nl->flags & NLF_NO_ENOBUFS))
			nl->err = ENOBUFS;
		return false;
	}
	struct nl_skb *skb = malloc(sizeof(*skb) + len);
	if (!skb) {
		nl->err = ENOBUFS;
		return false;
	}
	skb->len = len;
	memcpy(skb->data, data, len);
	list_add_tail(&skb->link, &nl->rq);
	nl->rq_charge += len + NL_SKB_OVERHEAD;
	return true;
}

/* Queues the next datagram of the running dump (Linux's netlink_dump). */
static void dump_next_locked(struct nl_sock *nl)
{
	if (!nl->dumping)
		return;
	size_t room = MAX(nl->max_recvmsg_len, (size_t)NL_GOODSIZE);
	size_t start = nl->dump_off, end = start;
	while (end < nl->dump.len) {
		struct linux_nlmsghdr h;
		memcpy(&h, nl->dump.data + end, sizeof(h));
		size_t mlen = LINUX_NLMSG_ALIGN(h.nlmsg_len);
		if (end > start && end - start + mlen > room)
			break;
		end += mlen;
	}
	/* An overrun here drops the rest, as Linux ends the dump with ENOBUFS. */
	bool queued = queue_locked(nl, nl->dump.data + start, end - start);
	nl->dump_off = end;
	if (!queued || end >= nl->dump.len) {
		nl_buf_free(&nl->dump);
		nl->dumping = false;
		nl->dump_off = 0;
	}
}

static void queue_purge_locked(struct nl_sock *nl)
{
	while (!list_empty(&nl->rq)) {
		struct nl_skb *skb = list_first_entry(&nl->rq, struct nl_skb, link);
		list_del(&skb->link);
		free(skb);
	}
	nl->rq_charge = 0;
}

/* ---- Creation, release, port ids ---- */

int netlink_socket_create(struct task *t, int type, int protocol, unsigned fflags,
                          struct socket **out)
{
	if (type != LINUX_SOCK_RAW && type != LINUX_SOCK_DGRAM)
		return -ESOCKTNOSUPPORT;
	/* Linux: any protocol without a kernel socket (none but ROUTE here) has no module. */
	if (protocol != LINUX_NETLINK_ROUTE)
		return -EPROTONOSUPPORT;
	struct nl_sock *nl = calloc(1, sizeof(*nl));
	if (!nl)
		return -ENOMEM;
	socket_init(&nl->sock, &g_netlink_ops, LINUX_AF_NETLINK, type, protocol, fflags,
	            t ? &t->creds : NULL);
	pthread_mutex_init(&nl->mu, NULL);
	list_init(&nl->rq);
	list_init(&nl->port_link);
	*out = &nl->sock;
	return 0;
}

static void netlink_release(struct socket *s)
{
	struct nl_sock *nl = nl_of(s);
	pthread_mutex_lock(&g_nl_mu);
	if (nl->bound)
		list_del(&nl->port_link);
	pthread_mutex_unlock(&g_nl_mu);
	queue_purge_locked(nl);
	nl_buf_free(&nl->dump);
	pthread_mutex_destroy(&nl->mu);
	socket_destroy(s);
	free(nl);
}

/* Preconditions: g_nl_mu held. */
static bool port_taken_locked(uint32_t portid)
{
	struct nl_sock *o;
	list_for_each_entry (o, &g_nl_ports, port_link) {
		if (o->portid == portid)
			return true;
	}
	return false;
}

/* Preconditions: g_nl_mu held, nl not bound. */
static void bind_port_locked(struct nl_sock *nl, uint32_t portid)
{
	nl->portid = portid;
	nl->bound = true;
	list_add_tail(&nl->port_link, &g_nl_ports);
}

/* Linux's netlink_autobind: the tgid first, then negative ids. Preconditions: g_nl_mu held. */
static void autobind_locked(struct task *t, struct nl_sock *nl)
{
	if (nl->bound)
		return;
	uint32_t portid = t ? (uint32_t)t->tg->tgid : 0;
	while (portid == 0 || port_taken_locked(portid)) {
		portid = (uint32_t)g_nl_rover--;
		if (g_nl_rover > -4096)
			g_nl_rover = -4096; /* wrapped past INT32_MIN */
	}
	bind_port_locked(nl, portid);
}

static uint32_t nl_portid(struct task *t, struct nl_sock *nl)
{
	pthread_mutex_lock(&g_nl_mu);
	autobind_locked(t, nl);
	uint32_t portid = nl->portid;
	pthread_mutex_unlock(&g_nl_mu);
	return portid;
}

static bool net_admin(struct task *t)
{
	return t && creds_capable(&t->creds, LINUX_CAP_NET_ADMIN);
}

/* Linux's netlink_bind. */
static int netlink_bind(struct task *t, struct socket *s, const void *addr, size_t len)
{
	struct nl_sock *nl = nl_of(s);
	struct linux_sockaddr_nl a;
	if (len < sizeof(a))
		return -EINVAL;
	memcpy(&a, addr, sizeof(a));
	if (a.nl_family != LINUX_AF_NETLINK)
		return -EINVAL;
	int err = 0;
	pthread_mutex_lock(&g_nl_mu);
	if (nl->bound) {
		if (a.nl_pid != nl->portid)
			err = -EINVAL;
	} else if (a.nl_pid) {
		if (port_taken_locked(a.nl_pid))
			err = -EADDRINUSE;
		else
			bind_port_locked(nl, a.nl_pid);
	} else {
		autobind_locked(t, nl);
	}
	pthread_mutex_unlock(&g_nl_mu);
	if (err < 0)
		return err;
	/* The route protocol lets anyone listen (NL_CFG_F_NONROOT_RECV): groups are kept. */
	pthread_mutex_lock(&nl->mu);
	nl->groups = (nl->groups & ~(uint64_t)0xffffffff) | a.nl_groups;
	pthread_mutex_unlock(&nl->mu);
	return 0;
}

/* Linux's netlink_connect. */
static int netlink_connect(struct task *t, struct socket *s, const void *addr, size_t len)
{
	struct nl_sock *nl = nl_of(s);
	struct linux_sockaddr_nl a = { 0 };
	if (len < sizeof(a.nl_family))
		return -EINVAL;
	memcpy(&a.nl_family, addr, sizeof(a.nl_family));
	if (a.nl_family == LINUX_AF_UNSPEC) {
		pthread_mutex_lock(&nl->mu);
		nl->dst_portid = nl->dst_group = 0;
		pthread_mutex_unlock(&nl->mu);
		return 0;
	}
	if (a.nl_family != LINUX_AF_NETLINK || len < sizeof(a))
		return -EINVAL;
	memcpy(&a, addr, sizeof(a));
	/* Sending to anything but the kernel needs NL_CFG_F_NONROOT_SEND, which route lacks. */
	if ((a.nl_pid || a.nl_groups) && !net_admin(t))
		return -EPERM;
	nl_portid(t, nl);
	pthread_mutex_lock(&nl->mu);
	nl->dst_portid = a.nl_pid;
	nl->dst_group = a.nl_groups;
	pthread_mutex_unlock(&nl->mu);
	return 0;
}

static int netlink_getname(struct socket *s, bool peer, void *addr, size_t *len)
{
	struct nl_sock *nl = nl_of(s);
	struct linux_sockaddr_nl a = { .nl_family = LINUX_AF_NETLINK };
	if (peer) {
		pthread_mutex_lock(&nl->mu);
		a.nl_pid = nl->dst_portid;
		a.nl_groups = nl->dst_group;
		pthread_mutex_unlock(&nl->mu);
	} else {
		pthread_mutex_lock(&g_nl_mu);
		a.nl_pid = nl->portid;
		pthread_mutex_unlock(&g_nl_mu);
		pthread_mutex_lock(&nl->mu);
		a.nl_groups = (uint32_t)nl->groups;
		pthread_mutex_unlock(&nl->mu);
	}
	memcpy(addr, &a, sizeof(a));
	*len = sizeof(a);
	return 0;
}

/* ---- Requests ---- */

/* Linux's netlink_ack: NLMSG_ERROR with err and the request (its header only, or all of it). */
static void ack_locked(struct nl_sock *nl, const char *req, const struct linux_nlmsghdr *h, int err,
                       uint32_t portid)
{
	bool whole = err && !(nl->flags & NLF_CAP_ACK);
	struct nl_buf b = { 0 };
	size_t start = nl_msg_begin(&b, LINUX_NLMSG_ERROR, whole ? 0 : LINUX_NLM_F_CAPPED,
	                            h->nlmsg_seq, portid);
	int32_t e = err;
	nl_put(&b, &e, sizeof(e));
	nl_put(&b, req, whole ? h->nlmsg_len : sizeof(*h));
	nl_msg_end(&b, start);
	if (b.oom)
		nl->err = ENOBUFS;
	else
		queue_locked(nl, b.data, b.len);
	nl_buf_free(&b);
}

/* Handles one request, queueing its replies. Preconditions: nl.mu held. */
static void request_locked(struct nl_sock *nl, const struct rtnl_request *r)
{
	const struct linux_nlmsghdr *h = &r->h;
	int err = 0;
	/* Only requests go to the kernel; control messages are just acked. */
	if (!(h->nlmsg_flags & LINUX_NLM_F_REQUEST) || h->nlmsg_type < LINUX_NLMSG_MIN_TYPE)
		goto ack;
	struct nl_buf out = { 0 };
	int ret = rtnl_handle(r, &out);
	if (ret == RTNL_DUMP && nl->dumping)
		ret = -EBUSY;
	if (ret >= 0 && out.oom)
		ret = -ENOBUFS;
	if (ret == RTNL_DUMP) {
		nl->dump = out;
		nl->dump_off = 0;
		nl->dumping = true;
		dump_next_locked(nl);
		return; /* a dump is not acked */
	}
	if (ret == 0 && out.len > 0)
		queue_locked(nl, out.data, out.len);
	nl_buf_free(&out);
	err = ret;
ack:
	if ((h->nlmsg_flags & LINUX_NLM_F_ACK) || err)
		ack_locked(nl, r->msg, h, err, r->portid);
}

/* Linux's netlink_rcv_skb: every well-formed message of a datagram, in order. */
static void receive_locked(struct nl_sock *nl, struct task *t, const char *buf, size_t len,
                           uint32_t portid)
{
	size_t off = 0;
	while (len - off >= LINUX_NLMSG_HDRLEN) {
		struct rtnl_request r = { .msg = buf + off,
			                  .portid = portid,
			                  .net_admin = net_admin(t),
			                  .uid = t ? t->creds.euid : 0 };
		memcpy(&r.h, buf + off, sizeof(r.h));
		if (r.h.nlmsg_len < LINUX_NLMSG_HDRLEN || r.h.nlmsg_len > len - off)
			return;
		request_locked(nl, &r);
		size_t msglen = LINUX_NLMSG_ALIGN((size_t)r.h.nlmsg_len);
		off += MIN(msglen, len - off);
	}
}

/* Linux's netlink_sendmsg. */
static ssize_t netlink_sendmsg(struct task *t, struct socket *s, struct sock_msg *m, int flags)
{
	struct nl_sock *nl = nl_of(s);
	if (flags & LINUX_MSG_OOB)
		return -EOPNOTSUPP;
	uint32_t dst_portid, dst_group;
	if (m->name) {
		struct linux_sockaddr_nl a;
		if (m->namelen < sizeof(a))
			return -EINVAL;
		memcpy(&a, m->name, sizeof(a));
		if (a.nl_family != LINUX_AF_NETLINK)
			return -EINVAL;
		dst_portid = a.nl_pid;
		dst_group = a.nl_groups;
		if ((dst_portid || dst_group) && !net_admin(t))
			return -EPERM;
	} else {
		pthread_mutex_lock(&nl->mu);
		dst_portid = nl->dst_portid;
		dst_group = nl->dst_group;
		pthread_mutex_unlock(&nl->mu);
	}
	uint32_t portid = nl_portid(t, nl);
	size_t len = net_iter_left(&m->data);
	if (len > (size_t)atomic_load(&s->sndbuf) - 32)
		return -EMSGSIZE;
	/* An empty datagram: ENODATA, as the reference host's Linux (6.18) says. */
	if (len == 0)
		return -ENODATA;
	/* Only the kernel is reachable: a group has no other listener, a user port is not served.
	 */
	if (dst_portid)
		return -ECONNREFUSED;
	if (dst_group)
		return (ssize_t)len;
	char *buf = malloc(len ? len : 1);
	if (!buf)
		return -ENOBUFS;
	int err = net_iter_copy_from(&m->data, buf, len);
	if (err < 0) {
		free(buf);
		return err;
	}
	pthread_mutex_lock(&nl->mu);
	receive_locked(nl, t, buf, len, portid);
	bool notify = !list_empty(&nl->rq);
	bool error = nl->err != 0;
	pthread_mutex_unlock(&nl->mu);
	free(buf);
	if (notify || error)
		waitqueue_notify(&s->wq, POLL_IN_EVENTS | (error ? LINUX_POLLERR : 0));
	return (ssize_t)len;
}

/* ---- Receiving ---- */

struct recv_args {
	struct nl_sock *nl;
	struct sock_msg *m;
	int flags;
	bool queued; /* the dump's next datagram was queued: tell the other waiters */
};

/* One attempt (Linux's netlink_recvmsg). Preconditions: nl.mu held. */
static long recv_try_locked(struct recv_args *a)
{
	struct nl_sock *nl = a->nl;
	if (nl->err) {
		int err = nl->err;
		nl->err = 0;
		return -err;
	}
	if (list_empty(&nl->rq))
		return -EAGAIN;
	struct nl_skb *skb = list_first_entry(&nl->rq, struct nl_skb, link);
	size_t room = net_iter_left(&a->m->data);
	size_t copied = MIN(room, skb->len);
	if (copied < skb->len)
		a->m->flags_out |= LINUX_MSG_TRUNC;
	int err = net_iter_copy_to(&a->m->data, skb->data, copied);
	if (a->m->name) {
		struct linux_sockaddr_nl from = { .nl_family = LINUX_AF_NETLINK };
		memcpy(a->m->name, &from, sizeof(from));
	}
	a->m->namelen = sizeof(struct linux_sockaddr_nl);
	nl->max_recvmsg_len = MIN(MAX(nl->max_recvmsg_len, room), (size_t)NL_MAX_RECV_LEN);
	long ret = (a->flags & LINUX_MSG_TRUNC) ? (long)skb->len : (long)copied;
	if (!(a->flags & LINUX_MSG_PEEK)) {
		list_del(&skb->link);
		nl->rq_charge -= skb->len + NL_SKB_OVERHEAD;
		free(skb);
		if (nl->dumping && nl->rq_charge <= (size_t)atomic_load(&nl->sock.rcvbuf) / 2) {
			dump_next_locked(nl);
			a->queued = !list_empty(&nl->rq);
		}
	}
	return err < 0 ? err : ret;
}

static ssize_t netlink_recvmsg(struct task *t, struct socket *s, struct sock_msg *m, int flags)
{
	struct nl_sock *nl = nl_of(s);
	if (flags & LINUX_MSG_OOB)
		return -EOPNOTSUPP;
	m->namelen = 0;
	m->flags_out = flags & LINUX_MSG_CMSG_CLOEXEC;
	m->controllen = 0;
	int64_t ns = atomic_load(&s->rcvtimeo_ns);
	bool nonblock = socket_nonblock(s, flags) || ns < 0;
	struct timespec ts;
	const struct timespec *deadline = socket_deadline(ns, &ts);
	struct recv_args a = { .nl = nl, .m = m, .flags = flags };
	struct waiter w;
	bool added = false;
	long ret;
	for (;;) {
		pthread_mutex_lock(&nl->mu);
		ret = recv_try_locked(&a);
		pthread_mutex_unlock(&nl->mu);
		if (ret != -EAGAIN || nonblock)
			break;
		if (!added) {
			/* Linked before the next check: no wake-up is lost. */
			waiter_init_task(&w, t, POLL_IN_EVENTS | LINUX_POLLERR);
			waitqueue_add(&s->wq, &w);
			added = true;
			continue;
		}
		int err = task_block(t, deadline, NULL, 0);
		if (err < 0) {
			ret = socket_wait_error(err, ns > 0);
			break;
		}
	}
	if (added)
		waitqueue_remove(&s->wq, &w);
	if (a.queued)
		waitqueue_notify(&s->wq, POLL_IN_EVENTS);
	return ret;
}

static uint32_t netlink_readiness(struct socket *s, uint32_t mask)
{
	(void)mask;
	struct nl_sock *nl = nl_of(s);
	uint32_t ev = POLL_OUT_EVENTS;
	pthread_mutex_lock(&nl->mu);
	if (!list_empty(&nl->rq))
		ev |= POLL_IN_EVENTS;
	if (nl->err)
		ev |= LINUX_POLLERR;
	pthread_mutex_unlock(&nl->mu);
	return ev;
}

/* ---- Options (Linux's netlink_setsockopt and netlink_getsockopt) ---- */

static unsigned option_flag(int name)
{
	switch (name) {
	case LINUX_NETLINK_PKTINFO:
		return NLF_PKTINFO;
	case LINUX_NETLINK_BROADCAST_ERROR:
		return NLF_BROADCAST_ERROR;
	case LINUX_NETLINK_NO_ENOBUFS:
		return NLF_NO_ENOBUFS;
	case LINUX_NETLINK_LISTEN_ALL_NSID:
		return NLF_LISTEN_ALL_NSID;
	case LINUX_NETLINK_CAP_ACK:
		return NLF_CAP_ACK;
	case LINUX_NETLINK_EXT_ACK:
		return NLF_EXT_ACK;
	case LINUX_NETLINK_GET_STRICT_CHK:
		return NLF_STRICT_CHK;
	default:
		return 0;
	}
}

static int netlink_setsockopt(struct task *t, struct socket *s, int level, int name,
                              const void *val, size_t len)
{
	struct nl_sock *nl = nl_of(s);
	if (level != LINUX_SOL_NETLINK)
		return -ENOPROTOOPT;
	int v = 0;
	if (len >= sizeof(v))
		memcpy(&v, val, sizeof(v));
	if (name == LINUX_NETLINK_ADD_MEMBERSHIP || name == LINUX_NETLINK_DROP_MEMBERSHIP) {
		if (v <= 0 || v > NL_ROUTE_NGROUPS)
			return -EINVAL;
		nl_portid(t, nl);
		uint64_t bit = (uint64_t)1 << (v - 1);
		pthread_mutex_lock(&nl->mu);
		if (name == LINUX_NETLINK_ADD_MEMBERSHIP)
			nl->groups |= bit;
		else
			nl->groups &= ~bit;
		pthread_mutex_unlock(&nl->mu);
		return 0;
	}
	unsigned flag = option_flag(name);
	if (!flag)
		return -ENOPROTOOPT;
	/* Listening to every namespace needs CAP_NET_BROADCAST in Linux; there is one here. */
	pthread_mutex_lock(&nl->mu);
	if (v)
		nl->flags |= flag;
	else
		nl->flags &= ~flag;
	pthread_mutex_unlock(&nl->mu);
	return 0;
}

static int netlink_getsockopt(struct task *t, struct socket *s, int level, int name, void *val,
                              size_t *len)
{
	(void)t;
	struct nl_sock *nl = nl_of(s);
	if (level == LINUX_SOL_SOCKET) {
		int v = 0;
		if (name == LINUX_SO_ERROR) {
			pthread_mutex_lock(&nl->mu);
			v = nl->err;
			nl->err = 0;
			pthread_mutex_unlock(&nl->mu);
		} else if (name != LINUX_SO_ACCEPTCONN) {
			return -ENOPROTOOPT;
		}
		*len = MIN(*len, sizeof(v));
		memcpy(val, &v, *len);
		return 0;
	}
	if (level != LINUX_SOL_NETLINK)
		return -ENOPROTOOPT;
	if (*len < sizeof(int))
		return -EINVAL;
	pthread_mutex_lock(&nl->mu);
	unsigned flags = nl->flags;
	uint64_t groups = nl->groups;
	pthread_mutex_unlock(&nl->mu);
	if (name == LINUX_NETLINK_LIST_MEMBERSHIPS) {
		/* The groups as 32-bit words, as many as fit; *len says how many there are. */
		size_t need = 8;
		memcpy(val, &groups, MIN(*len, need) & ~(size_t)3);
		*len = need;
		return 0;
	}
	unsigned flag = option_flag(name);
	if (!flag)
		return -ENOPROTOOPT;
	int v = (flags & flag) != 0;
	memcpy(val, &v, sizeof(v));
	*len = sizeof(v);
	return 0;
}

static const struct socket_ops g_netlink_ops = {
	.bind = netlink_bind,
	.connect = netlink_connect,
	.sendmsg = netlink_sendmsg,
	.recvmsg = netlink_recvmsg,
	.getsockopt = netlink_getsockopt,
	.setsockopt = netlink_setsockopt,
	.getname = netlink_getname,
	.readiness = netlink_readiness,
	.release = netlink_release,
};
