/*
 * TCP sockets on the sandbox's stack (inet.h); their options and ioctls
 * are inet_tcp_opt.c.
 *
 * In a few lines: socket() makes a tcp_pcb whose callback argument is the
 * socket. lwIP calls back under the core lock: tcp_recv with data (copied
 * into the socket's receive ring, 256 KiB, made with the first data) or
 * with NULL for the peer's FIN; tcp_sent when sent data was acknowledged
 * (room to write); tcp_err when the pcb died (a reset, a timeout), after
 * which lwIP has freed it; tcp_accept on a listener for each new
 * connection, which becomes a socket at once and waits in the listener's
 * queue for accept(2).
 *
 * Flow control: the ring is the receive buffer. lwIP's window (64 KiB at
 * most) is opened as data reaches the ring, as long as a full window still
 * fits behind what is unread (tcp_open_window), so a sender is held back
 * by the reader only when the ring fills. Within the sandbox (lo) the
 * segments are as large as lo allows (tcp_local_mss).
 *
 * Errors follow Linux's tcp_recvmsg/tcp_sendmsg/inet_stream_connect:
 * a reset gives ECONNRESET once (ECONNREFUSED while connecting, EPIPE
 * after the peer's FIN), then EOF on receive and EPIPE (with SIGPIPE
 * unless MSG_NOSIGNAL) on send. A refused connect may be retried with a
 * new pcb (tcp_renew).
 *
 * Ports: lwIP checks conflicts its own way (SO_REUSEADDR lets two
 * listeners share a port); the sandbox checks Linux's rules first
 * (tcp_port_conflict) and then always marks its pcbs SOF_REUSEADDR so
 * lwIP defers to that check. SO_REUSEPORT listeners of one address share
 * one lwIP listener, whose connections go to each in turn.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <lwip/ip.h>
#include <lwip/priv/tcp_priv.h>
#include <lwip/tcp.h>

#include "common/abi/linux/inet.h"
#include "common/abi/linux/signal.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"
#include "sentry/net/inet_impl.h"
#include "sentry/net/stack.h"

/* The receive ring: more than lwIP's window (TCP_WND), so a delivery always fits. */
#define TCP_RING_SIZE (256 * 1024)
/* Loopback's segments: lo's MTU (65535 in lwIP) less the IPv6 and TCP headers with options. */
#define LOOPBACK_MSS (65535 - 40 - 40)
/* The largest piece one tcp_write takes (its length is 16 bits). */
#define TCP_WRITE_CHUNK 32768

/* ---- TCP: state and callbacks ---- */

/* Linux's tcp_poll. */
static uint32_t tcp_mask(struct inet_sock *sk)
{
	if (sk->state == INET_LISTEN)
		return sk->acq_len ? LINUX_POLLIN | LINUX_POLLRDNORM : 0;
	uint32_t m = 0;
	bool done = sk->state == INET_DONE || sk->state == INET_NEW;
	bool rcv_shut = sk->fin || sk->rd_shut || sk->state == INET_DONE;
	bool snd_shut = sk->wr_shut || sk->state == INET_DONE;
	if ((rcv_shut && snd_shut) || done)
		m |= LINUX_POLLHUP;
	if (rcv_shut)
		m |= LINUX_POLLIN | LINUX_POLLRDNORM | LINUX_POLLRDHUP;
	if (sk->state != INET_CONNECTING) {
		if (ring_used(sk))
			m |= LINUX_POLLIN | LINUX_POLLRDNORM;
		if (snd_shut || !sk->pcb.tcp || sk->state != INET_CONNECTED)
			m |= LINUX_POLLOUT | LINUX_POLLWRNORM;
		else if (tcp_sndbuf(sk->pcb.tcp) >= TCP_SND_BUF / 4 &&
		         tcp_sndqueuelen(sk->pcb.tcp) < TCP_SND_QUEUELEN / 2)
			m |= LINUX_POLLOUT | LINUX_POLLWRNORM;
	}
	if (sk->err)
		m |= LINUX_POLLERR;
	return m;
}

static void tcp_update(struct inet_sock *sk)
{
	inet_publish(sk, tcp_mask(sk), 0);
}

/* As tcp_update, after an arrival of events (data, room, a connection). */
static void tcp_event(struct inet_sock *sk, uint32_t events)
{
	inet_publish(sk, tcp_mask(sk), events);
}

/*
 * Opens lwIP's receive window by what the ring can still take: a full
 * window in flight must always fit behind what is unread (ring used +
 * window <= ring size). The window opens as data reaches the ring, not
 * only as the application reads it, so that a sender on loopback (whose
 * ACKs come back on its own thread) keeps going while the reader's thread
 * is still waking up: the ring is the socket's receive buffer, as Linux's
 * is. Core lock held.
 */
static void tcp_open_window(struct inet_sock *sk)
{
	struct tcp_pcb *p = sk->pcb.tcp;
	if (!p || p->state == LISTEN || p->state == CLOSED)
		return;
	size_t cap = sk->ring ? sk->ring_cap : TCP_RING_SIZE;
	size_t used = ring_used(sk);
	if (used + p->rcv_wnd >= cap)
		return;
	size_t room = cap - used - p->rcv_wnd;
	if (room > TCP_WND)
		room = TCP_WND;
	tcp_recved(p, (u16_t)room);
}

static err_t tcp_recv_cb(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
	(void)pcb;
	(void)err;
	struct inet_sock *sk = arg;
	if (!p) {
		sk->fin = true;
		tcp_update(sk);
		return ERR_OK;
	}
	if (!sk->ring) {
		/* Made with the first data: a socket that never receives costs no ring. */
		sk->ring = malloc(TCP_RING_SIZE);
		if (!sk->ring)
			return ERR_MEM; /* lwIP keeps the data and offers it again */
		sk->ring_cap = TCP_RING_SIZE;
	}
	size_t used = ring_used(sk);
	if (p->tot_len > sk->ring_cap - used)
		return ERR_MEM; /* lwIP keeps it and offers it again (cannot happen: ring > window)
		                 */
	size_t tail = atomic_load(&sk->ring_tail);
	for (struct pbuf *q = p; q; q = q->next) {
		size_t off = tail % sk->ring_cap, n = q->len;
		size_t first = n < sk->ring_cap - off ? n : sk->ring_cap - off;
		memcpy(sk->ring + off, q->payload, first);
		memcpy(sk->ring, (char *)q->payload + first, n - first);
		tail += n;
	}
	atomic_store_explicit(&sk->ring_tail, tail, memory_order_release);
	pbuf_free(p);
	tcp_open_window(sk);
	tcp_event(sk, LINUX_POLLIN | LINUX_POLLRDNORM);
	return ERR_OK;
}

static err_t tcp_sent_cb(void *arg, struct tcp_pcb *pcb, u16_t len)
{
	(void)pcb;
	(void)len;
	tcp_event(arg, LINUX_POLLOUT | LINUX_POLLWRNORM);
	return ERR_OK;
}

/* The pcb is gone (lwIP freed it): a reset, a timeout, or the end of a closed connection. */
static void tcp_err_cb(void *arg, err_t err)
{
	struct inet_sock *sk = arg;
	sk->pcb.tcp = NULL;
	/* Linux's tcp_reset: refused while connecting, EPIPE once the peer had closed. */
	if (err == ERR_RST)
		sk->err = sk->state == INET_CONNECTING ? ECONNREFUSED
		          : sk->fin                    ? EPIPE
		                                       : ECONNRESET;
	else if (err == ERR_ABRT)
		sk->err = ETIMEDOUT;
	else if (err != ERR_CLSD)
		sk->err = ECONNABORTED;
	sk->state = INET_DONE;
	tcp_update(sk);
}

/*
 * A connection within the sandbox (its route is lo) gets segments as
 * large as lo allows, as Linux's does (MSS 65,483 on its lo): lwIP's
 * TCP_MSS, 1460 in Debian's build, caps what the handshake agrees on, but
 * both ends are this stack, and lwIP segments by pcb->mss (further capped
 * at half the window). Core lock held.
 */
static void tcp_local_mss(struct tcp_pcb *pcb)
{
	struct netif *n = ip_route(&pcb->local_ip, &pcb->remote_ip);
	if (n && net_stack_is_loopback(n)) {
		pcb->mss = LOOPBACK_MSS;
		/* lwIP's initial window for that MSS (LWIP_TCP_CALC_INITIAL_CWND): two segments. */
		if (pcb->cwnd < 2 * LOOPBACK_MSS)
			pcb->cwnd = 2 * LOOPBACK_MSS;
	}
}

void inet_tcp_apply_maxseg(struct inet_sock *sk)
{
	struct tcp_pcb *p = sk->pcb.tcp;
	if (p && sk->maxseg && sk->state != INET_LISTEN && p->mss > sk->maxseg)
		p->mss = sk->maxseg;
}

static err_t tcp_connected_cb(void *arg, struct tcp_pcb *pcb, err_t err)
{
	(void)err;
	struct inet_sock *sk = arg;
	tcp_local_mss(pcb);
	inet_tcp_apply_maxseg(sk);
	sk->state = INET_CONNECTED;
	sk->was_connected = true;
	tcp_update(sk);
	return ERR_OK;
}

static void tcp_attach(struct inet_sock *sk, struct tcp_pcb *pcb)
{
	sk->pcb.tcp = pcb;
	tcp_arg(pcb, sk);
	tcp_recv(pcb, tcp_recv_cb);
	tcp_sent(pcb, tcp_sent_cb);
	tcp_err(pcb, tcp_err_cb);
	ip_set_option(pcb, SOF_REUSEADDR);
}

/* Lets the pcb go: callbacks cleared so that lwIP never calls into a freed socket. */
static void tcp_detach(struct inet_sock *sk, struct tcp_pcb *pcb)
{
	tcp_arg(pcb, NULL);
	/* What the orphan keeps of its socket: whether a new bind may take its port. */
	if (!atomic_load(&sk->sock.reuseaddr))
		ip_reset_option(pcb, SOF_REUSEADDR);
	if (pcb->state != LISTEN) {
		tcp_recv(pcb, NULL);
		tcp_sent(pcb, NULL);
		tcp_err(pcb, NULL);
	} else {
		tcp_accept(pcb, NULL);
	}
}

/* A listener's new connection becomes a socket now; accept(2) takes it from the queue. */
static err_t tcp_accept_cb(void *arg, struct tcp_pcb *newpcb, err_t err)
{
	struct inet_sock *owner = arg;
	if (err != ERR_OK || !newpcb)
		return ERR_VAL;
	/*
	 * The listener that takes it: the pcb's own, or in turn each of its
	 * SO_REUSEPORT group (Linux spreads them by a hash). Linux's
	 * sk_acceptq_is_full: at most backlog + 1 waiting on one listener.
	 */
	struct inet_sock *l = owner->rp_turn ? owner->rp_turn : owner;
	for (struct inet_sock *first = l; l->acq_len > l->backlog;) {
		l = l->rp_next ? l->rp_next : owner;
		if (l == first)
			return ERR_MEM; /* all full: lwIP aborts the connection */
	}
	owner->rp_turn = l->rp_next;
	if (l->acq_len == l->acq_cap) {
		int cap = l->acq_cap ? l->acq_cap * 2 : 8;
		struct inet_sock **q = realloc(l->acq, (size_t)cap * sizeof(*q));
		if (!q)
			return ERR_MEM;
		l->acq = q;
		l->acq_cap = cap;
	}
	struct inet_sock *sk = inet_alloc(NULL, &g_inet_tcp_ops, l->sock.family, l->sock.type,
	                                  l->sock.protocol, 0);
	if (!sk)
		return ERR_MEM;
	sk->sock.uid = l->sock.uid;
	sk->sock.gid = l->sock.gid;
	sk->v6only = l->v6only;
	sk->nodelay = l->nodelay;
	sk->state = INET_CONNECTED;
	sk->was_connected = true;
	atomic_store(&sk->sock.keepalive, atomic_load(&l->sock.keepalive));
	atomic_store(&sk->sock.reuseaddr, atomic_load(&l->sock.reuseaddr));
	tcp_attach(sk, newpcb);
	tcp_local_mss(newpcb);
	sk->maxseg = l->maxseg; /* accepted sockets inherit it, as on Linux */
	inet_tcp_apply_maxseg(sk);
	if (sk->nodelay)
		tcp_nagle_disable(newpcb);
	if (atomic_load(&sk->sock.keepalive))
		ip_set_option(newpcb, SOF_KEEPALIVE);
	tcp_update(sk);
	l->acq[l->acq_len++] = sk;
	tcp_event(l, LINUX_POLLIN | LINUX_POLLRDNORM);
	return ERR_OK;
}

/* ---- Port conflicts (Linux's inet_csk_bind_conflict, simplified) ---- */

static bool tcp_port_conflict(const struct inet_sock *sk, const ip_addr_t *ip, uint16_t port)
{
	struct tcp_pcb *const *lists[] = { &tcp_bound_pcbs,
		                           (struct tcp_pcb *const *)&tcp_listen_pcbs,
		                           &tcp_active_pcbs, &tcp_tw_pcbs };
	bool reuse = atomic_load(&sk->sock.reuseaddr);
	for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
		for (struct tcp_pcb *p = *lists[i]; p; p = p->next) {
			if (p->local_port != port || p == sk->pcb.tcp ||
			    !inet_addrs_overlap(&p->local_ip, ip))
				continue;
			const struct inet_sock *o = p->callback_arg;
			if (!o) {
				/*
				 * A closed socket's connection (TIME_WAIT, FIN_WAIT): SO_REUSEADDR
				 * on both passes (the pcb keeps the closed socket's: tcp_detach).
				 */
				if (reuse && ip_get_option(p, SOF_REUSEADDR))
					continue;
				return true;
			}
			if (sk->reuseport && o->reuseport && o->sock.uid == sk->sock.uid)
				continue;
			if (reuse && atomic_load(&o->sock.reuseaddr) && o->state != INET_LISTEN)
				continue;
			return true;
		}
	}
	return false;
}

/* ---- TCP operations ---- */

static int err_from_lwip(err_t e)
{
	switch (e) {
	case ERR_OK:
		return 0;
	case ERR_MEM:
	case ERR_BUF:
		return -ENOBUFS;
	case ERR_RTE:
		return -ENETUNREACH;
	case ERR_USE:
		return -EADDRINUSE;
	case ERR_ISCONN:
		return -EISCONN;
	case ERR_ALREADY:
		return -EALREADY;
	case ERR_CONN:
		return -ENOTCONN;
	case ERR_RST:
		return -ECONNRESET;
	case ERR_ABRT:
		return -ECONNABORTED;
	case ERR_VAL:
	case ERR_ARG:
		return -EINVAL;
	default:
		return -EIO;
	}
}

static int tcp_bind_locked(struct task *t, struct inet_sock *sk, const ip_addr_t *ip, uint16_t port)
{
	if (sk->state != INET_NEW || !sk->pcb.tcp || sk->pcb.tcp->local_port)
		return -EINVAL;
	if (sk->v6 && sk->v6only && IP_IS_V4(ip))
		return -EINVAL;
	/* Linux's inet6_bind: a link-local address needs its interface (sin6_scope_id). */
	if (inet_addr_needs_scope(ip))
		return -EINVAL;
	if (!inet_addr_local(ip))
		return -EADDRNOTAVAIL;
	int err = inet_check_port_privilege(t, port);
	if (err < 0)
		return err;
	if (port && tcp_port_conflict(sk, ip, port))
		return -EADDRINUSE;
	err = err_from_lwip(tcp_bind(sk->pcb.tcp, ip, port));
	if (err == 0) {
		sk->user_bound = true;
		sk->bound_ip = *ip;
		sk->bound_port = sk->pcb.tcp->local_port;
	}
	return err;
}

/*
 * After a failed connect, a new pcb (lwIP freed the old one), bound again
 * to what the application bound: the socket can connect again, as Linux's
 * goes back to SS_UNCONNECTED. Core lock held.
 */
static int tcp_renew(struct inet_sock *sk)
{
	struct tcp_pcb *p = tcp_new_ip_type(inet_pcb_type(sk));
	if (!p)
		return -ENOBUFS;
	tcp_attach(sk, p);
	sk->state = INET_NEW;
	sk->fin = sk->rd_shut = sk->wr_shut = false;
	if (sk->nodelay)
		tcp_nagle_disable(p);
	if (sk->user_bound && tcp_bind(p, &sk->bound_ip, sk->bound_port) != ERR_OK)
		sk->user_bound =
		        false; /* the port was taken meanwhile: an ephemeral one, as Linux */
	tcp_update(sk);
	return 0;
}

static int inet_tcp_bind(struct task *t, struct socket *s, const void *addr, size_t len)
{
	struct inet_sock *sk = inet_of(s);
	ip_addr_t ip;
	uint16_t port;
	int err = inet_addr_in(sk, addr, len, &ip, &port);
	if (err < 0) {
		/* Linux's inet_bind takes AF_UNSPEC for INADDR_ANY, for compatibility. */
		struct linux_sockaddr_in in;
		if (err != -EAFNOSUPPORT || sk->v6 || len < sizeof(in))
			return err;
		memcpy(&in, addr, sizeof(in));
		uint32_t a;
		memcpy(&a, in.addr, 4);
		if (in.family != LINUX_AF_UNSPEC || a != 0)
			return err;
		ip_addr_set_ip4_u32_val(ip, 0);
		port = lwip_ntohs(in.port);
	}
	net_stack_lock();
	err = tcp_bind_locked(t, sk, &ip, port);
	net_stack_unlock();
	return err;
}

/*
 * The listener whose lwIP pcb a new SO_REUSEPORT listener of the same
 * user, address and port shares (Linux's reuseport group), or NULL. Core
 * lock held.
 */
static struct inet_sock *reuseport_owner(const struct inet_sock *sk)
{
	const struct tcp_pcb *me = sk->pcb.tcp;
	for (struct tcp_pcb_listen *lp = tcp_listen_pcbs.listen_pcbs; lp; lp = lp->next) {
		struct inet_sock *o = lp->callback_arg;
		if (o && o->reuseport && o->sock.uid == sk->sock.uid &&
		    lp->local_port == me->local_port && ip_addr_cmp(&lp->local_ip, &me->local_ip))
			return o;
	}
	return NULL;
}

static int inet_tcp_listen(struct task *t, struct socket *s, int backlog)
{
	(void)t;
	struct inet_sock *sk = inet_of(s);
	int err = 0;
	net_stack_lock();
	if (sk->state == INET_LISTEN) {
		sk->backlog = backlog;
		goto out;
	}
	if (sk->state != INET_NEW || !sk->pcb.tcp) {
		err = -EINVAL;
		goto out;
	}
	if (!sk->pcb.tcp->local_port) {
		/* Linux binds an unbound socket to an ephemeral port of any address. */
		err = err_from_lwip(tcp_bind(sk->pcb.tcp,
		                             sk->v6 && !sk->v6only ? IP_ANY_TYPE
		                             : sk->v6              ? IP6_ADDR_ANY
		                                                   : IP4_ADDR_ANY,
		                             0));
		if (err < 0)
			goto out;
	}
	struct inet_sock *owner = sk->reuseport ? reuseport_owner(sk) : NULL;
	if (owner) {
		/* lwIP has one listener per address and port: this socket shares it. */
		sk->rp_owner = owner;
		sk->rp_next = owner->rp_next;
		owner->rp_next = sk;
		sk->state = INET_LISTEN;
		sk->backlog = backlog;
		tcp_update(sk);
		goto out;
	}
	err_t e = ERR_OK;
	struct tcp_pcb *lpcb = tcp_listen_with_backlog_and_err(sk->pcb.tcp, 255, &e);
	if (!lpcb) {
		err = e == ERR_USE ? -EADDRINUSE : err_from_lwip(e);
		goto out;
	}
	/* The old pcb is freed: the listener is a smaller one. */
	sk->pcb.tcp = lpcb;
	tcp_arg(lpcb, sk);
	tcp_accept(lpcb, tcp_accept_cb);
	sk->state = INET_LISTEN;
	sk->backlog = backlog;
	tcp_update(sk);
out:
	net_stack_unlock();
	return err;
}

static long accept_try(struct inet_sock *sk, void *arg)
{
	if (sk->state != INET_LISTEN)
		return -EINVAL;
	if (!sk->acq_len)
		return -EAGAIN;
	struct inet_sock **out = arg;
	*out = sk->acq[0];
	sk->acq_len--;
	memmove(sk->acq, sk->acq + 1, (size_t)sk->acq_len * sizeof(*sk->acq));
	tcp_update(sk);
	return 0;
}

static int inet_tcp_accept(struct task *t, struct socket *s, unsigned fflags, struct socket **out)
{
	struct inet_sock *sk = inet_of(s), *n = NULL;
	long err = inet_wait(t, sk, 0, true, accept_try, &n);
	if (err < 0)
		return (int)err;
	atomic_store(&n->sock.file.flags, LINUX_O_RDWR | (fflags & LINUX_O_NONBLOCK));
	*out = &n->sock;
	return 0;
}

static long connect_wait_try(struct inet_sock *sk, void *arg)
{
	(void)arg;
	if (sk->state == INET_CONNECTING)
		return -EAGAIN;
	sk->connect_pending = false;
	if (sk->state == INET_CONNECTED)
		return 0;
	int e = sk->err;
	sk->err = 0;
	if (sk->state == INET_DONE && !sk->was_connected)
		tcp_renew(sk);
	tcp_update(sk);
	return e ? -e : -ECONNABORTED;
}

static int inet_tcp_connect(struct task *t, struct socket *s, const void *addr, size_t len)
{
	struct inet_sock *sk = inet_of(s);
	ip_addr_t ip;
	uint16_t port;
	int err = inet_addr_in(sk, addr, len, &ip, &port);
	if (err < 0) {
		if (len >= 2 && *(const uint16_t *)addr == LINUX_AF_UNSPEC)
			return -EOPNOTSUPP; /* no disconnect of a stream socket here */
		return err;
	}
	if (sk->v6 && sk->v6only && IP_IS_V4(&ip))
		return -ENETUNREACH;
	if (inet_addr_needs_scope(&ip))
		return -EINVAL; /* tcp_v6_connect: a link-local peer needs an interface */
	net_stack_lock();
	switch (sk->state) {
	case INET_CONNECTED:
		/* Linux: the first connect after a non-blocking one completed says so. */
		err = sk->connect_pending ? 0 : -EISCONN;
		sk->connect_pending = false;
		break;
	case INET_LISTEN:
		err = -EISCONN;
		break;
	case INET_CONNECTING:
		err = -EALREADY;
		break;
	case INET_DONE:
		if (sk->was_connected) {
			/* Linux: a connection that ended leaves the socket connected
			 * (SS_CONNECTED). */
			err = -EISCONN;
			break;
		}
		/* A non-blocking connect failed: this call reports it, the next one may retry. */
		err = sk->err ? -sk->err : -ECONNABORTED;
		sk->err = 0;
		sk->connect_pending = false;
		tcp_renew(sk);
		break;
	case INET_NEW:
		if (!sk->pcb.tcp) {
			err = -EINVAL;
			break;
		}
		inet_any_to_loopback(sk, &ip);
		if (!sk->pcb.tcp->local_port && IP_IS_ANY_TYPE_VAL(sk->pcb.tcp->local_ip))
			IP_SET_TYPE_VAL(sk->pcb.tcp->local_ip, IP_GET_TYPE(&ip));
		err = err_from_lwip(tcp_connect(sk->pcb.tcp, &ip, port, tcp_connected_cb));
		if (err == 0) {
			sk->state = INET_CONNECTING;
			sk->connect_pending = true;
			tcp_update(sk);
			err = -EINPROGRESS;
		}
		break;
	}
	net_stack_unlock();
	if (err != -EINPROGRESS && err != -EALREADY)
		return err;
	if (socket_nonblock(s, 0))
		return err;
	/* Linux waits for a blocking connect, with SO_SNDTIMEO; then the result. */
	long r = inet_wait(t, sk, 0, false, connect_wait_try, NULL);
	if (r == -EAGAIN)
		return -EINPROGRESS; /* SO_SNDTIMEO passed */
	if (r == -LINUX_ERESTARTSYS)
		return -EINTR; /* Linux: an interrupted connect is not restarted */
	return (int)r;
}

/* ---- TCP data ---- */

struct tcp_send_args {
	struct task *t;
	struct sock_msg *m;
	int flags;
	size_t sent;
	char *buf;
	size_t pending; /* bytes in buf that lwIP has not taken yet */
	bool pipe;
};

/* Sends what it can: a negative errno, -EAGAIN to wait, or 0 when all is sent. */
static long tcp_send_try(struct inet_sock *sk, void *arg)
{
	struct tcp_send_args *a = arg;
	for (;;) {
		if (sk->err) {
			int e = sk->err;
			sk->err = 0;
			tcp_update(sk);
			a->pipe = e == EPIPE;
			return -e;
		}
		if (sk->wr_shut || sk->state == INET_DONE || !sk->pcb.tcp) {
			a->pipe = true;
			return -EPIPE;
		}
		if (sk->state == INET_CONNECTING)
			return -EAGAIN;
		if (sk->state != INET_CONNECTED) {
			a->pipe = true;
			return -EPIPE;
		}
		if (!a->pending) {
			size_t left = net_iter_left(&a->m->data);
			if (!left)
				return 0;
			size_t room = tcp_sndbuf(sk->pcb.tcp);
			if (tcp_sndqueuelen(sk->pcb.tcp) >= TCP_SND_QUEUELEN - 4)
				room = 0;
			if (!room)
				return -EAGAIN;
			size_t n = left < room ? left : room;
			if (n > TCP_WRITE_CHUNK)
				n = TCP_WRITE_CHUNK;
			/* The copy from the guest happens outside the core lock. */
			net_stack_unlock();
			int err = net_iter_copy_from(&a->m->data, a->buf, n);
			net_stack_lock();
			if (err < 0)
				return err;
			a->pending = n;
			continue; /* the connection may have died meanwhile */
		}
		bool more =
		        net_iter_left(&a->m->data) > 0 || (a->flags & LINUX_MSG_MORE) || sk->cork;
		err_t e = tcp_write(sk->pcb.tcp, a->buf, (u16_t)a->pending,
		                    TCP_WRITE_FLAG_COPY | (more ? TCP_WRITE_FLAG_MORE : 0));
		if (e != ERR_OK) {
			/* Out of lwIP's segments: push what is queued and wait for
			 * acknowledgements. */
			tcp_output(sk->pcb.tcp);
			return -EAGAIN;
		}
		a->sent += a->pending;
		a->pending = 0;
		if (!sk->cork && !(a->flags & LINUX_MSG_MORE))
			tcp_output(sk->pcb.tcp);
		tcp_update(sk);
	}
}

static ssize_t inet_tcp_sendmsg(struct task *t, struct socket *s, struct sock_msg *m, int flags)
{
	struct inet_sock *sk = inet_of(s);
	if (flags & LINUX_MSG_OOB)
		return -EOPNOTSUPP;
	char *buf = malloc(TCP_WRITE_CHUNK);
	if (!buf)
		return -ENOMEM;
	struct tcp_send_args a = { .t = t, .m = m, .flags = flags, .buf = buf };
	pthread_mutex_lock(&sk->wmu);
	long ret = inet_wait(t, sk, flags, false, tcp_send_try, &a);
	pthread_mutex_unlock(&sk->wmu);
	free(buf);
	if (a.sent > 0)
		return (ssize_t)a.sent;
	if (ret == -EPIPE && a.pipe && !(flags & LINUX_MSG_NOSIGNAL))
		task_send_thread_signal(t, LINUX_SIGPIPE, NULL);
	return ret;
}

struct tcp_recv_args {
	struct sock_msg *m;
	int flags;
	size_t got; /* bytes this call already returned (MSG_WAITALL) */
};

/* Whether a receive can return now: data, or a reason why none will come. */
static long tcp_recv_try(struct inet_sock *sk, void *arg)
{
	struct tcp_recv_args *a = arg;
	if (sk->state == INET_LISTEN)
		return -ENOTCONN;
	if (ring_used(sk))
		return 1;
	/* MSG_WAITALL with some data already: EOF or an error ends it, the error kept for later. */
	if (a->got && (sk->fin || sk->err || sk->rd_shut || sk->state == INET_DONE))
		return 0;
	if (sk->fin)
		return 0;
	if (sk->err) {
		int e = sk->err;
		sk->err = 0;
		tcp_update(sk);
		return -e;
	}
	if (sk->rd_shut)
		return 0;
	if (sk->state == INET_DONE)
		return sk->was_connected ? 0 : -ENOTCONN;
	if (sk->state == INET_NEW)
		return -ENOTCONN;
	return -EAGAIN;
}

/* Copies up to n bytes from the ring at offset off (past the head) into the iterator. */
static int ring_copy_out(struct inet_sock *sk, size_t off, size_t n, struct net_iter *it)
{
	size_t head = atomic_load(&sk->ring_head) + off;
	while (n) {
		size_t at = head % sk->ring_cap;
		size_t piece = n < sk->ring_cap - at ? n : sk->ring_cap - at;
		int err = net_iter_copy_to(it, sk->ring + at, piece);
		if (err < 0)
			return err;
		head += piece;
		n -= piece;
	}
	return 0;
}

/* The reader consumed n bytes: lwIP may open the window by as much. */
static void ring_consume(struct inet_sock *sk, size_t n)
{
	atomic_fetch_add_explicit(&sk->ring_head, n, memory_order_release);
	net_stack_lock();
	tcp_open_window(sk);
	tcp_update(sk);
	net_stack_unlock();
}

static ssize_t inet_tcp_recvmsg(struct task *t, struct socket *s, struct sock_msg *m, int flags)
{
	struct inet_sock *sk = inet_of(s);
	if (flags & LINUX_MSG_OOB)
		return -EINVAL; /* no urgent data, ever */
	if (flags & LINUX_MSG_ERRQUEUE)
		return -EAGAIN; /* the error queue is always empty */
	size_t total = net_iter_left(&m->data);
	if (total == 0 && !(flags & LINUX_MSG_TRUNC))
		return 0;
	struct tcp_recv_args a = { .m = m, .flags = flags };
	if (flags & LINUX_MSG_PEEK)
		a.flags &= ~LINUX_MSG_WAITALL;
	pthread_mutex_lock(&sk->rmu);
	size_t got = 0;
	long ret;
	for (;;) {
		a.got = got;
		ret = inet_wait(t, sk, flags, true, tcp_recv_try, &a);
		if (ret <= 0)
			break;
		size_t n = ring_used(sk);
		if (n > total - got)
			n = total - got;
		if (!(flags & LINUX_MSG_TRUNC)) {
			int err = ring_copy_out(sk, 0, n, &m->data);
			if (err < 0) {
				ret = err;
				break;
			}
		}
		got += n;
		if (!(flags & LINUX_MSG_PEEK))
			ring_consume(sk, n);
		if (got == total || (flags & LINUX_MSG_PEEK) || !(flags & LINUX_MSG_WAITALL))
			break;
	}
	pthread_mutex_unlock(&sk->rmu);
	/* Data, even if MSG_WAITALL was interrupted or cut short, is what the call returns. */
	if (got || ret >= 0)
		return (ssize_t)got;
	return ret;
}

static int inet_tcp_shutdown(struct socket *s, int how)
{
	struct inet_sock *sk = inet_of(s);
	int err = 0;
	net_stack_lock();
	if (sk->state == INET_LISTEN) {
		/* Linux: shutting a listener down stops it (reads return at once). */
		sk->rd_shut = true;
		tcp_update(sk);
		goto out;
	}
	bool rd = how == LINUX_SHUT_RD || how == LINUX_SHUT_RDWR;
	bool wr = how == LINUX_SHUT_WR || how == LINUX_SHUT_RDWR;
	if (sk->state != INET_CONNECTED && sk->state != INET_CONNECTING) {
		/* Linux's inet_shutdown records it even so (a later recv returns 0). */
		sk->rd_shut |= rd;
		sk->wr_shut |= wr;
		tcp_update(sk);
		err = -ENOTCONN;
		goto out;
	}
	if (rd)
		sk->rd_shut = true;
	if (wr && !sk->wr_shut && sk->pcb.tcp) {
		sk->wr_shut = true;
		/* Only the FIN: lwIP's shut_rx would drop what is queued to be read. */
		tcp_shutdown(sk->pcb.tcp, 0, 1);
	}
	tcp_update(sk);
out:
	net_stack_unlock();
	return err;
}

static int inet_getname(struct socket *s, bool peer, void *addr, size_t *len)
{
	struct inet_sock *sk = inet_of(s);
	int err = 0;
	net_stack_lock();
	struct tcp_pcb *p = sk->pcb.tcp;
	if (peer && (sk->state != INET_CONNECTED || !p))
		err = -ENOTCONN;
	else if (!p)
		*len = inet_addr_out(sk, NULL, 0, addr);
	else if (peer)
		*len = inet_addr_out(sk, &p->remote_ip, p->remote_port, addr);
	else
		*len = inet_addr_out(sk, &p->local_ip, p->local_port, addr);
	net_stack_unlock();
	return err;
}

/*
 * A listener of a SO_REUSEPORT group goes: a member unlinks itself; the
 * owner hands the lwIP listener to the next member, keeping what that
 * member's own (merely bound) pcb was for. Core lock held.
 */
static void reuseport_leave(struct inet_sock *sk)
{
	if (sk->rp_owner) {
		struct inet_sock **pp = &sk->rp_owner->rp_next;
		while (*pp != sk)
			pp = &(*pp)->rp_next;
		*pp = sk->rp_next;
		if (sk->rp_owner->rp_turn == sk)
			sk->rp_owner->rp_turn = NULL;
		return;
	}
	struct inet_sock *heir = sk->rp_next;
	if (sk->state != INET_LISTEN || !heir)
		return;
	struct tcp_pcb *own = heir->pcb.tcp;
	heir->pcb.tcp = sk->pcb.tcp;
	sk->pcb.tcp = NULL;
	tcp_arg(heir->pcb.tcp, heir);
	if (own) {
		tcp_detach(heir, own);
		tcp_close(own);
	}
	heir->rp_owner = NULL;
	heir->rp_turn = NULL;
	for (struct inet_sock *m = heir->rp_next; m; m = m->rp_next)
		m->rp_owner = heir;
}

static void inet_tcp_release(struct socket *s)
{
	struct inet_sock *sk = inet_of(s);
	struct inet_sock **acq = NULL;
	int nacq = 0;
	net_stack_lock();
	reuseport_leave(sk);
	struct tcp_pcb *p = sk->pcb.tcp;
	sk->pcb.tcp = NULL;
	if (p) {
		tcp_detach(sk, p);
		int64_t linger = atomic_load(&s->linger);
		bool abort_now =
		        ((linger >> 32) && (linger & 0xffffffff) == 0) || sk->reset_on_close;
		if (sk->state == INET_LISTEN) {
			tcp_close(p);
		} else if (abort_now || ring_used(sk)) {
			/* Linux: unread data (or SO_LINGER 0) resets the connection. */
			tcp_abort(p);
		} else if (tcp_close(p) != ERR_OK) {
			tcp_abort(p);
		}
	}
	acq = sk->acq;
	nacq = sk->acq_len;
	/* Linux's inet_csk_listen_stop: connections nobody accepted are reset. */
	for (int i = 0; i < nacq; i++)
		acq[i]->reset_on_close = true;
	sk->acq = NULL;
	sk->acq_len = 0;
	net_stack_unlock();
	for (int i = 0; i < nacq; i++)
		file_put(&acq[i]->sock.file);
	free(acq);
	free(sk->ring);
	inet_free(sk);
}

const struct socket_ops g_inet_tcp_ops = {
	.bind = inet_tcp_bind,
	.listen = inet_tcp_listen,
	.accept = inet_tcp_accept,
	.connect = inet_tcp_connect,
	.sendmsg = inet_tcp_sendmsg,
	.recvmsg = inet_tcp_recvmsg,
	.shutdown = inet_tcp_shutdown,
	.getsockopt = inet_tcp_getsockopt,
	.setsockopt = inet_tcp_setsockopt,
	.sockopt_changed = inet_tcp_sockopt_changed,
	.getname = inet_getname,
	.readiness = inet_readiness,
	.ioctl = inet_tcp_ioctl,
	.release = inet_tcp_release,
};

int inet_tcp_open(struct inet_sock *sk)
{
	net_stack_lock();
	struct tcp_pcb *p = tcp_new_ip_type(inet_pcb_type(sk));
	if (p) {
		tcp_attach(sk, p);
		tcp_update(sk);
	}
	net_stack_unlock();
	return p ? 0 : -ENOBUFS;
}
