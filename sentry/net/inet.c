/*
 * AF_INET and AF_INET6 sockets (inet.h): creation, addresses, waiting,
 * the options every inet socket shares, and TCP. UDP is inet_udp.c.
 *
 * TCP in a few lines: socket() makes a tcp_pcb whose callback argument
 * is the socket. lwIP calls back under the core lock: tcp_recv with
 * data (copied into the socket's ring, which is bigger than lwIP's
 * 64 KiB window, so it always fits) or with NULL for the peer's FIN;
 * tcp_sent when sent data was acknowledged (room to write); tcp_err
 * when the pcb died (a reset, a timeout), after which lwIP has freed it;
 * tcp_accept on a listener for each new connection, which becomes a
 * socket at once and waits in the listener's queue for accept(2).
 *
 * Errors follow Linux's tcp_recvmsg/tcp_sendmsg/inet_stream_connect:
 * a reset gives ECONNRESET once (ECONNREFUSED while connecting), then
 * EOF on receive and EPIPE (with SIGPIPE unless MSG_NOSIGNAL) on send.
 *
 * Ports: lwIP checks conflicts its own way (SO_REUSEADDR lets two
 * listeners share a port); the sandbox checks Linux's rules first
 * (bind_conflict) and then always marks its pcbs SOF_REUSEADDR so lwIP
 * defers to that check.
 */
#include "sentry/net/inet.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <lwip/ip.h>
#include <lwip/priv/tcp_priv.h>
#include <lwip/tcp.h>
#include <lwip/udp.h>

#include "common/abi/linux/capability.h"
#include "common/abi/linux/signal.h"
#include "common/log.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"
#include "sentry/net/iface.h"
#include "sentry/net/inet_impl.h"
#include "sentry/net/stack.h"

#define LINUX_SOL_TCP 6

#define LINUX_SO_BROADCAST 6
#define LINUX_SO_REUSEPORT 15

#define LINUX_TCP_NODELAY    1
#define LINUX_TCP_MAXSEG     2
#define LINUX_TCP_CORK       3
#define LINUX_TCP_KEEPIDLE   4
#define LINUX_TCP_KEEPINTVL  5
#define LINUX_TCP_KEEPCNT    6
#define LINUX_TCP_INFO       11
#define LINUX_TCP_QUICKACK   12
#define LINUX_TCP_CONGESTION 13
/* Linux's TCP_CA_NAME_MAX. */
#define TCP_CA_NAME_MAX 16

#define LINUX_IP_TOS     1
#define LINUX_IP_TTL     2
#define LINUX_IP_RECVERR 11

#define LINUX_IPV6_UNICAST_HOPS 16
#define LINUX_IPV6_RECVERR      25
#define LINUX_IPV6_V6ONLY       26
#define LINUX_IPV6_TCLASS       67

/* Linux's TCP states (include/net/tcp_states.h), for TCP_INFO. */
enum {
	LINUX_TCP_ESTABLISHED = 1,
	LINUX_TCP_SYN_SENT,
	LINUX_TCP_SYN_RECV,
	LINUX_TCP_FIN_WAIT1,
	LINUX_TCP_FIN_WAIT2,
	LINUX_TCP_TIME_WAIT,
	LINUX_TCP_CLOSE,
	LINUX_TCP_CLOSE_WAIT,
	LINUX_TCP_LAST_ACK,
	LINUX_TCP_LISTEN,
	LINUX_TCP_CLOSING,
};

/* struct tcp_info up to tcpi_total_retrans (the fields every kernel since 2.6 has). */
struct linux_tcp_info {
	uint8_t state, ca_state, retransmits, probes, backoff, options, wscale, flags;
	uint32_t rto, ato, snd_mss, rcv_mss;
	uint32_t unacked, sacked, lost, retrans, fackets;
	uint32_t last_data_sent, last_ack_sent, last_data_recv, last_ack_recv;
	uint32_t pmtu, rcv_ssthresh, rtt, rttvar, snd_ssthresh, snd_cwnd, advmss, reordering;
	uint32_t rcv_rtt, rcv_space, total_retrans;
};
_Static_assert(sizeof(struct linux_tcp_info) == 104, "tcp_info layout");

/* The receive ring: more than lwIP's window (TCP_WND), so a delivery always fits. */
#define TCP_RING_SIZE (256 * 1024)
/* Loopback's segments: lo's MTU (65535 in lwIP) less the IPv6 and TCP headers with options. */
#define LOOPBACK_MSS (65535 - 40 - 40)
/* The largest piece one tcp_write takes (its length is 16 bits). */
#define TCP_WRITE_CHUNK 32768

static const struct socket_ops g_inet_tcp_ops;

/* ---- Addresses ---- */

static bool is_v4_mapped(const uint8_t a[16])
{
	static const uint8_t prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	return memcmp(a, prefix, sizeof(prefix)) == 0;
}

int inet_addr_in(struct inet_sock *sk, const void *addr, size_t len, ip_addr_t *ip, uint16_t *port)
{
	uint16_t family;
	if (len < sizeof(family))
		return -EINVAL;
	memcpy(&family, addr, sizeof(family));
	if (!sk->v6) {
		struct linux_sockaddr_in in;
		if (len < sizeof(in))
			return -EINVAL;
		memcpy(&in, addr, sizeof(in));
		if (family != LINUX_AF_INET)
			return -EAFNOSUPPORT;
		uint32_t a;
		memcpy(&a, in.addr, 4);
		ip_addr_set_ip4_u32_val(*ip, a);
		*port = lwip_ntohs(in.port);
		return 0;
	}
	struct linux_sockaddr_in6 in6;
	if (len < LINUX_SIN6_LEN_RFC2133)
		return -EINVAL;
	memset(&in6, 0, sizeof(in6));
	memcpy(&in6, addr, len < sizeof(in6) ? len : sizeof(in6));
	if (family != LINUX_AF_INET6)
		return -EAFNOSUPPORT;
	*port = lwip_ntohs(in6.port);
	if (is_v4_mapped(in6.addr)) {
		/* The callers refuse it on an IPV6_V6ONLY socket, each with Linux's errno. */
		uint32_t a;
		memcpy(&a, in6.addr + 12, 4);
		ip_addr_set_ip4_u32_val(*ip, a);
		return 0;
	}
	IP_SET_TYPE_VAL(*ip, IPADDR_TYPE_V6);
	memcpy(ip_2_ip6(ip)->addr, in6.addr, 16);
	ip6_addr_clear_zone(ip_2_ip6(ip));
	/* A link-local address's interface: lwIP's zone is the interface's index too. */
	if (ip6_addr_has_scope(ip_2_ip6(ip), IP6_UNKNOWN) && len >= sizeof(in6) && in6.scope_id)
		ip6_addr_set_zone(ip_2_ip6(ip), (u8_t)in6.scope_id);
	/* The unspecified address on a dual-stack socket is any address of either family. */
	if (ip6_addr_isany(ip_2_ip6(ip)) && !sk->v6only)
		*ip = *IP_ANY_TYPE;
	return 0;
}

size_t inet_addr_out(const struct inet_sock *sk, const ip_addr_t *ip, uint16_t port, void *out)
{
	if (!sk->v6) {
		struct linux_sockaddr_in in = { .family = LINUX_AF_INET, .port = lwip_htons(port) };
		if (ip && IP_IS_V4(ip))
			memcpy(in.addr, &ip_2_ip4(ip)->addr, 4);
		memcpy(out, &in, sizeof(in));
		return sizeof(in);
	}
	struct linux_sockaddr_in6 in6 = { .family = LINUX_AF_INET6, .port = lwip_htons(port) };
	if (ip && IP_IS_V4(ip) && !IP_IS_ANY_TYPE_VAL(*ip)) {
		in6.addr[10] = in6.addr[11] = 0xff;
		memcpy(in6.addr + 12, &ip_2_ip4(ip)->addr, 4);
		/* Linux shows a dual-stack socket bound to any as ::, not ::ffff:0.0.0.0. */
		if (ip_2_ip4(ip)->addr == 0)
			memset(in6.addr, 0, sizeof(in6.addr));
	} else if (ip && IP_IS_V6(ip)) {
		memcpy(in6.addr, ip_2_ip6(ip)->addr, 16);
	}
	memcpy(out, &in6, sizeof(in6));
	return sizeof(in6);
}

bool inet_addr_local(const ip_addr_t *ip)
{
	if (ip_addr_isany(ip))
		return true;
	if (IP_IS_V4(ip)) {
		/* Linux's local route covers all of 127.0.0.0/8. */
		if (ip4_addr_isloopback(ip_2_ip4(ip)) || ip4_addr_ismulticast(ip_2_ip4(ip)))
			return true;
	} else if (ip6_addr_ismulticast(ip_2_ip6(ip))) {
		return true;
	}
	struct net_iface_info ifs[NET_IFACE_MAX];
	int n = net_iface_list(ifs, NET_IFACE_MAX);
	for (int i = 0; i < n && i < NET_IFACE_MAX; i++) {
		for (int j = 0; j < ifs[i].naddr; j++) {
			const struct net_addr *a = &ifs[i].addr[j];
			if (IP_IS_V4(ip) && a->family == LINUX_AF_INET &&
			    memcmp(a->addr, &ip_2_ip4(ip)->addr, 4) == 0)
				return true;
			if (IP_IS_V6(ip) && a->family == LINUX_AF_INET6 &&
			    memcmp(a->addr, ip_2_ip6(ip)->addr, 16) == 0)
				return true;
		}
	}
	return false;
}

bool inet_addr_needs_scope(const ip_addr_t *ip)
{
	return IP_IS_V6(ip) && ip6_addr_has_scope(ip_2_ip6(ip), IP6_UNKNOWN) &&
	       !ip6_addr_has_zone(ip_2_ip6(ip));
}

void inet_any_to_loopback(const struct inet_sock *sk, ip_addr_t *ip)
{
	if (!ip_addr_isany(ip))
		return;
	if (IP_IS_V4(ip) || (IP_IS_ANY_TYPE_VAL(*ip) && !sk->v6)) {
		ip_addr_set_ip4_u32_val(*ip, PP_HTONL(0x7f000001));
	} else {
		/* :: (or a dual-stack socket's any) is ::1. */
		ip_addr_set_zero_ip6(ip);
		ip_2_ip6(ip)->addr[3] = PP_HTONL(1);
	}
}

uint8_t inet_pcb_type(const struct inet_sock *sk)
{
	if (!sk->v6)
		return IPADDR_TYPE_V4;
	return sk->v6only ? IPADDR_TYPE_V6 : IPADDR_TYPE_ANY;
}

/* ---- Readiness and waiting ---- */

void inet_publish(struct inet_sock *sk, uint32_t mask, uint32_t events)
{
	uint32_t old = atomic_exchange(&sk->ready, mask);
	/*
	 * Waiters hear what became true, and what just happened again (more
	 * data, more room): Linux wakes on every arrival, which an
	 * edge-triggered epoll reports as a new event.
	 */
	uint32_t wake = (mask & ~old) | (mask & events);
	if (wake)
		waitqueue_notify(&sk->sock.wq, wake);
}

static uint32_t inet_readiness(struct socket *s, uint32_t mask)
{
	return atomic_load(&inet_of(s)->ready) & (mask | LINUX_POLLERR | LINUX_POLLHUP);
}

long inet_wait(struct task *t, struct inet_sock *sk, int flags, bool rcv, inet_try_fn try,
               void *arg)
{
	int64_t ns = atomic_load(rcv ? &sk->sock.rcvtimeo_ns : &sk->sock.sndtimeo_ns);
	bool nonblock = socket_nonblock(&sk->sock, flags) || ns < 0;
	struct timespec ts;
	const struct timespec *deadline = socket_deadline(ns, &ts);
	struct waiter w;
	bool added = false;
	long ret;
	for (;;) {
		net_stack_lock();
		ret = try(sk, arg);
		net_stack_unlock();
		if (ret != -EAGAIN || nonblock)
			break;
		if (!added) {
			waiter_init_task(&w, t, WAIT_EVENTS_ALL);
			waitqueue_add(&sk->sock.wq, &w);
			added = true;
			continue; /* linked before the next check: no wake-up is lost */
		}
		int err = task_block(t, deadline, NULL, 0);
		if (err < 0) {
			ret = socket_wait_error(err, ns > 0);
			break;
		}
	}
	if (added)
		waitqueue_remove(&sk->sock.wq, &w);
	return ret;
}

/* ---- TCP: state and callbacks ---- */

static size_t ring_used(const struct inet_sock *sk)
{
	return atomic_load(&sk->ring_tail) - atomic_load(&sk->ring_head);
}

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

static err_t tcp_connected_cb(void *arg, struct tcp_pcb *pcb, err_t err)
{
	(void)err;
	struct inet_sock *sk = arg;
	tcp_local_mss(pcb);
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

static struct inet_sock *inet_alloc(struct task *t, const struct socket_ops *ops, int family,
                                    int type, int protocol, unsigned fflags)
{
	struct inet_sock *sk = calloc(1, sizeof(*sk));
	if (!sk)
		return NULL;
	socket_init(&sk->sock, ops, family, type, protocol, fflags, t ? &t->creds : NULL);
	sk->v6 = family == LINUX_AF_INET6;
	pthread_mutex_init(&sk->rmu, NULL);
	pthread_mutex_init(&sk->wmu, NULL);
	sk->tos = -1;
	sk->ttl = -1;
	sk->quickack = true;
	sk->keep_idle = 7200;
	sk->keep_intvl = 75;
	sk->keep_cnt = 9;
	return sk;
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

static bool addrs_overlap(const ip_addr_t *a, const ip_addr_t *b)
{
	if (IP_IS_ANY_TYPE_VAL(*a) || IP_IS_ANY_TYPE_VAL(*b))
		return true;
	if (IP_GET_TYPE(a) != IP_GET_TYPE(b))
		return false;
	return ip_addr_isany(a) || ip_addr_isany(b) || ip_addr_cmp(a, b);
}

static bool tcp_port_conflict(const struct inet_sock *sk, const ip_addr_t *ip, uint16_t port)
{
	struct tcp_pcb *const *lists[] = { &tcp_bound_pcbs,
		                           (struct tcp_pcb *const *)&tcp_listen_pcbs,
		                           &tcp_active_pcbs, &tcp_tw_pcbs };
	bool reuse = atomic_load(&sk->sock.reuseaddr);
	for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
		for (struct tcp_pcb *p = *lists[i]; p; p = p->next) {
			if (p->local_port != port || p == sk->pcb.tcp ||
			    !addrs_overlap(&p->local_ip, ip))
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

/* Linux's inet_port_requires_bind_service. */
static int check_port_privilege(struct task *t, uint16_t port)
{
	if (port && port < 1024 && t && !creds_capable(&t->creds, LINUX_CAP_NET_BIND_SERVICE))
		return -EACCES;
	return 0;
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
	int err = check_port_privilege(t, port);
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
	size_t want;
};

/* Whether a receive can return now: data, or a reason why none will come. */
static long tcp_recv_try(struct inet_sock *sk, void *arg)
{
	struct tcp_recv_args *a = arg;
	if (sk->state == INET_LISTEN)
		return -ENOTCONN;
	size_t used = ring_used(sk);
	if (used >= a->want || (used && !(a->flags & LINUX_MSG_WAITALL)))
		return 1;
	if (used && (sk->fin || sk->err || sk->rd_shut || sk->state == INET_DONE))
		return 1; /* WAITALL ends early at EOF or an error */
	if (used)
		return -EAGAIN;
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
	size_t total = net_iter_left(&m->data);
	if (total == 0 && !(flags & LINUX_MSG_TRUNC))
		return 0;
	struct tcp_recv_args a = { .m = m, .flags = flags, .want = total ? total : 1 };
	if (flags & LINUX_MSG_PEEK)
		a.flags &= ~LINUX_MSG_WAITALL;
	pthread_mutex_lock(&sk->rmu);
	size_t got = 0;
	long ret;
	for (;;) {
		a.want = total - got ? total - got : 1;
		ret = inet_wait(t, sk, got ? flags | LINUX_MSG_DONTWAIT : flags, true, tcp_recv_try,
		                &a);
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
	if (got)
		return (ssize_t)got;
	/* MSG_WAITALL interrupted after some data returns that data (above). */
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

/* ---- Options ---- */

static int put_int(void *val, size_t *len, int v)
{
	if (*len > sizeof(int))
		*len = sizeof(int);
	memcpy(val, &v, *len);
	return 0;
}

static int get_int(const void *val, size_t len, int *v)
{
	if (len < sizeof(int))
		return -EINVAL;
	memcpy(v, val, sizeof(int));
	return 0;
}

/* The IP-level and socket-level options both protocols answer the same way. Core lock held. */
int inet_common_getsockopt(struct inet_sock *sk, int level, int name, void *val, size_t *len)
{
	if (level == LINUX_SOL_SOCKET) {
		switch (name) {
		case LINUX_SO_ERROR: {
			int e = sk->err;
			sk->err = 0;
			inet_publish(sk, atomic_load(&sk->ready) & ~LINUX_POLLERR, 0);
			return put_int(val, len, e);
		}
		case LINUX_SO_REUSEPORT:
			return put_int(val, len, sk->reuseport);
		case LINUX_SO_BROADCAST:
			return put_int(val, len, sk->broadcast);
		case LINUX_SO_ACCEPTCONN:
			return put_int(val, len, sk->state == INET_LISTEN);
		default:
			return -ENOPROTOOPT;
		}
	}
	if (level == LINUX_IPPROTO_IP) {
		switch (name) {
		case LINUX_IP_TOS:
			return put_int(val, len, sk->tos < 0 ? 0 : sk->tos);
		case LINUX_IP_TTL:
			return put_int(val, len, sk->ttl < 0 ? 64 : sk->ttl);
		case LINUX_IP_RECVERR:
			return put_int(val, len, 0);
		default:
			return -ENOPROTOOPT;
		}
	}
	if (level == LINUX_IPPROTO_IPV6) {
		if (!sk->v6)
			return -EOPNOTSUPP; /* ip_getsockopt: not its level */
		switch (name) {
		case LINUX_IPV6_V6ONLY:
			return put_int(val, len, sk->v6only);
		case LINUX_IPV6_UNICAST_HOPS:
			return put_int(val, len, sk->ttl < 0 ? 64 : sk->ttl);
		case LINUX_IPV6_TCLASS:
			return put_int(val, len, sk->tos < 0 ? 0 : sk->tos);
		default:
			return -ENOPROTOOPT;
		}
	}
	/*
	 * A level the socket does not have: Linux's ip_getsockopt says
	 * EOPNOTSUPP, ipv6_getsockopt ENOPROTOOPT (TCP_INFO on a UDP socket).
	 */
	return sk->v6 ? -ENOPROTOOPT : -EOPNOTSUPP;
}

int inet_common_setsockopt(struct inet_sock *sk, int level, int name, const void *val, size_t len)
{
	int v, err;
	if (level == LINUX_SOL_SOCKET) {
		switch (name) {
		case LINUX_SO_REUSEPORT:
		case LINUX_SO_BROADCAST:
			if ((err = get_int(val, len, &v)) < 0)
				return err;
			if (name == LINUX_SO_REUSEPORT)
				sk->reuseport = v != 0;
			else
				sk->broadcast = v != 0;
			return 0;
		default:
			return -ENOPROTOOPT;
		}
	}
	if (level == LINUX_IPPROTO_IP) {
		switch (name) {
		case LINUX_IP_TOS:
		case LINUX_IP_TTL:
			/* Linux takes a byte for both (do_ip_setsockopt), or an int. */
			if (len >= sizeof(int))
				memcpy(&v, val, sizeof(int));
			else if (len >= 1)
				v = *(const uint8_t *)val;
			else
				return -EINVAL;
			if (name == LINUX_IP_TTL) {
				if (v == -1)
					v = -1;
				else if (v < 1 || v > 255)
					return -EINVAL;
				sk->ttl = v;
			} else if (sk->sock.type == LINUX_SOCK_STREAM) {
				/* Linux: TCP keeps the two ECN bits for itself. */
				sk->tos = v & 0xfc;
			} else {
				sk->tos = v & 0xff;
			}
			return 0;
		case LINUX_IP_RECVERR:
			if ((err = get_int(val, len, &v)) < 0)
				return err;
			return 0; /* accepted: no error queue is kept */
		default:
			return -ENOPROTOOPT;
		}
	}
	if (level == LINUX_IPPROTO_IPV6) {
		if (!sk->v6)
			return -ENOPROTOOPT;
		if ((err = get_int(val, len, &v)) < 0)
			return err;
		switch (name) {
		case LINUX_IPV6_V6ONLY:
			/* Linux: only before the socket is bound. */
			if (sk->pcb.any && inet_bound_port(sk))
				return -EINVAL;
			sk->v6only = v != 0;
			if (sk->pcb.any) {
				/* The pcb now takes only IPv6 (or both again). */
				struct ip_pcb *ip = sk->pcb.any;
				IP_SET_TYPE_VAL(ip->local_ip, inet_pcb_type(sk));
				IP_SET_TYPE_VAL(ip->remote_ip, inet_pcb_type(sk));
			}
			return 0;
		case LINUX_IPV6_UNICAST_HOPS:
			if (v < -1 || v > 255)
				return -EINVAL;
			sk->ttl = v;
			return 0;
		case LINUX_IPV6_TCLASS:
			if (v < -1 || v > 255)
				return -EINVAL;
			/* As IP_TOS: TCP keeps the ECN bits. */
			sk->tos = v < 0 ? -1 : sk->sock.type == LINUX_SOCK_STREAM ? v & 0xfc : v;
			return 0;
		case LINUX_IPV6_RECVERR:
			return 0;
		default:
			return -ENOPROTOOPT;
		}
	}
	return -ENOPROTOOPT;
}

uint16_t inet_bound_port(const struct inet_sock *sk)
{
	if (!sk->pcb.any)
		return 0;
	return sk->sock.type == LINUX_SOCK_STREAM ? sk->pcb.tcp->local_port
	                                          : sk->pcb.udp->local_port;
}

/* Linux's tcp_info for what lwIP knows. Core lock held. */
static void tcp_fill_info(struct inet_sock *sk, struct linux_tcp_info *i)
{
	memset(i, 0, sizeof(*i));
	struct tcp_pcb *p = sk->pcb.tcp;
	if (sk->state == INET_LISTEN) {
		i->state = LINUX_TCP_LISTEN;
		return;
	}
	if (!p) {
		i->state = LINUX_TCP_CLOSE;
		return;
	}
	static const uint8_t states[] = {
		[CLOSED] = LINUX_TCP_CLOSE,
		[LISTEN] = LINUX_TCP_LISTEN,
		[SYN_SENT] = LINUX_TCP_SYN_SENT,
		[SYN_RCVD] = LINUX_TCP_SYN_RECV,
		[ESTABLISHED] = LINUX_TCP_ESTABLISHED,
		[FIN_WAIT_1] = LINUX_TCP_FIN_WAIT1,
		[FIN_WAIT_2] = LINUX_TCP_FIN_WAIT2,
		[CLOSE_WAIT] = LINUX_TCP_CLOSE_WAIT,
		[CLOSING] = LINUX_TCP_CLOSING,
		[LAST_ACK] = LINUX_TCP_LAST_ACK,
		[TIME_WAIT] = LINUX_TCP_TIME_WAIT,
	};
	i->state = p->state < sizeof(states) ? states[p->state] : LINUX_TCP_CLOSE;
	/* Linux hands TIME_WAIT to a timewait sock: the socket itself is closed. */
	if (p->state == TIME_WAIT)
		i->state = LINUX_TCP_CLOSE;
	i->retransmits = p->nrtx;
	i->rto = (uint32_t)p->rto * TCP_SLOW_INTERVAL * 1000;
	i->ato = TCP_FAST_INTERVAL * 1000;
	i->snd_mss = p->mss;
	i->rcv_mss = p->mss;
	i->unacked = p->snd_queuelen;
	i->pmtu = 65535;
	i->rcv_ssthresh = p->rcv_wnd;
	/* lwIP's sa and sv are 8 and 4 times the smoothed RTT and its deviation, in 500 ms ticks.
	 */
	i->rtt = (uint32_t)(p->sa >> 3) * TCP_SLOW_INTERVAL * 1000;
	i->rttvar = (uint32_t)(p->sv >> 2) * TCP_SLOW_INTERVAL * 1000;
	i->snd_ssthresh = p->ssthresh / (p->mss ? p->mss : 1);
	i->snd_cwnd = p->cwnd / (p->mss ? p->mss : 1);
	i->advmss = p->mss;
	i->reordering = 3;
	i->rcv_space = TCP_WND;
}

static int inet_tcp_getsockopt(struct task *t, struct socket *s, int level, int name, void *val,
                               size_t *len)
{
	(void)t;
	struct inet_sock *sk = inet_of(s);
	int err;
	net_stack_lock();
	if (level == LINUX_SOL_TCP) {
		switch (name) {
		case LINUX_TCP_NODELAY:
			err = put_int(val, len, sk->nodelay);
			break;
		case LINUX_TCP_CORK:
			err = put_int(val, len, sk->cork);
			break;
		case LINUX_TCP_MAXSEG:
			err = put_int(val, len,
			              sk->pcb.tcp && sk->state != INET_LISTEN ? sk->pcb.tcp->mss
			                                                      : TCP_MSS);
			break;
		case LINUX_TCP_KEEPIDLE:
			err = put_int(val, len, (int)sk->keep_idle);
			break;
		case LINUX_TCP_KEEPINTVL:
			err = put_int(val, len, (int)sk->keep_intvl);
			break;
		case LINUX_TCP_KEEPCNT:
			err = put_int(val, len, (int)sk->keep_cnt);
			break;
		case LINUX_TCP_QUICKACK:
			err = put_int(val, len, sk->quickack);
			break;
		case LINUX_TCP_CONGESTION: {
			/* lwIP's congestion control is NewReno's. */
			char ca[TCP_CA_NAME_MAX] = "reno";
			if (*len > sizeof(ca))
				*len = sizeof(ca);
			memcpy(val, ca, *len);
			err = 0;
			break;
		}
		case LINUX_TCP_INFO: {
			struct linux_tcp_info i;
			tcp_fill_info(sk, &i);
			if (*len > sizeof(i))
				*len = sizeof(i);
			memcpy(val, &i, *len);
			err = 0;
			break;
		}
		default:
			err = -ENOPROTOOPT;
		}
	} else {
		err = inet_common_getsockopt(sk, level, name, val, len);
	}
	net_stack_unlock();
	return err;
}

/* Applies the keepalive settings to the pcb. Core lock held. */
static void tcp_apply_keepalive(struct inet_sock *sk)
{
	struct tcp_pcb *p = sk->pcb.tcp;
	if (!p || sk->state == INET_LISTEN)
		return;
	if (atomic_load(&sk->sock.keepalive))
		ip_set_option(p, SOF_KEEPALIVE);
	else
		ip_reset_option(p, SOF_KEEPALIVE);
	p->keep_idle = sk->keep_idle * 1000;
	p->keep_intvl = sk->keep_intvl * 1000;
	p->keep_cnt = sk->keep_cnt;
}

static int inet_tcp_setsockopt(struct task *t, struct socket *s, int level, int name,
                               const void *val, size_t len)
{
	(void)t;
	struct inet_sock *sk = inet_of(s);
	int v = 0, err = 0;
	if (level == LINUX_SOL_TCP) {
		if (name == LINUX_TCP_INFO)
			return -ENOPROTOOPT;
		if (name == LINUX_TCP_CONGESTION) {
			/* Only the algorithm the stack has; Linux says ENOENT for one it lacks. */
			char want[TCP_CA_NAME_MAX] = { 0 };
			memcpy(want, val, len < sizeof(want) - 1 ? len : sizeof(want) - 1);
			return strcmp(want, "reno") == 0 ? 0 : -ENOENT;
		}
		if ((err = get_int(val, len, &v)) < 0)
			return err;
	}
	net_stack_lock();
	if (level != LINUX_SOL_TCP) {
		err = inet_common_setsockopt(sk, level, name, val, len);
		if (err == 0 && sk->pcb.tcp && sk->state != INET_LISTEN) {
			if (sk->tos >= 0)
				sk->pcb.tcp->tos = (u8_t)sk->tos;
			if (sk->ttl > 0)
				sk->pcb.tcp->ttl = (u8_t)sk->ttl;
		}
		goto out;
	}
	switch (name) {
	case LINUX_TCP_NODELAY:
		sk->nodelay = v != 0;
		if (sk->pcb.tcp && sk->state != INET_LISTEN) {
			if (sk->nodelay) {
				tcp_nagle_disable(sk->pcb.tcp);
				tcp_output(sk->pcb.tcp);
			} else {
				tcp_nagle_enable(sk->pcb.tcp);
			}
		}
		break;
	case LINUX_TCP_CORK:
		sk->cork = v != 0;
		/* Uncorking sends what was held back. */
		if (!sk->cork && sk->pcb.tcp && sk->state == INET_CONNECTED)
			tcp_output(sk->pcb.tcp);
		break;
	case LINUX_TCP_MAXSEG:
		/* Linux: 0 or 88..65535 (TCP_MIN_MSS..MAX_TCP_WINDOW); lwIP's MSS is fixed. */
		if (v != 0 && (v < 88 || v > 65535))
			err = -EINVAL;
		break;
	case LINUX_TCP_KEEPIDLE:
	case LINUX_TCP_KEEPINTVL:
		/* Linux: 1..MAX_TCP_KEEPIDLE (32767 s). */
		if (v < 1 || v > 32767) {
			err = -EINVAL;
			break;
		}
		if (name == LINUX_TCP_KEEPIDLE)
			sk->keep_idle = (uint32_t)v;
		else
			sk->keep_intvl = (uint32_t)v;
		tcp_apply_keepalive(sk);
		break;
	case LINUX_TCP_KEEPCNT:
		if (v < 1 || v > 127) {
			err = -EINVAL;
			break;
		}
		sk->keep_cnt = (uint32_t)v;
		tcp_apply_keepalive(sk);
		break;
	case LINUX_TCP_QUICKACK:
		/* Kept for getsockopt: lwIP acknowledges every second segment, or on its timer. */
		sk->quickack = v != 0;
		break;
	default:
		err = -ENOPROTOOPT;
	}
out:
	net_stack_unlock();
	return err;
}

/* A generic SOL_SOCKET option changed (socket.h's sockopt_changed). */
static void inet_tcp_sockopt_changed(struct socket *s, int name)
{
	if (name != LINUX_SO_KEEPALIVE)
		return;
	net_stack_lock();
	tcp_apply_keepalive(inet_of(s));
	net_stack_unlock();
}

static long inet_tcp_ioctl(struct task *t, struct socket *s, unsigned cmd, uint64_t arg)
{
	struct inet_sock *sk = inet_of(s);
	int v;
	net_stack_lock();
	if (cmd == LINUX_SIOCINQ) {
		v = sk->state == INET_LISTEN ? -1 : (int)ring_used(sk);
	} else if (cmd == LINUX_SIOCOUTQ) {
		/* Bytes not yet acknowledged: what lwIP holds of its send buffer. */
		v = sk->state == INET_LISTEN                ? -1
		    : sk->pcb.tcp && sk->state != INET_DONE ? TCP_SND_BUF - tcp_sndbuf(sk->pcb.tcp)
		                                            : 0;
	} else {
		net_stack_unlock();
		return -ENOTTY;
	}
	net_stack_unlock();
	if (v < 0)
		return -EINVAL;
	return mm_copy_out(t->mm, arg, &v, sizeof(v));
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

void inet_free(struct inet_sock *sk)
{
	pthread_mutex_destroy(&sk->rmu);
	pthread_mutex_destroy(&sk->wmu);
	socket_destroy(&sk->sock);
	free(sk);
}

static const struct socket_ops g_inet_tcp_ops = {
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

/* ---- Creation ---- */

int inet_socket_create(struct task *t, int family, int type, int protocol, unsigned fflags,
                       struct socket **out)
{
	bool stream = type == LINUX_SOCK_STREAM;
	/* Linux's inet_create: IPPROTO_MAX is 263. */
	if (protocol < 0 || protocol >= 263)
		return -EINVAL;
	if (!stream && type != LINUX_SOCK_DGRAM)
		return type == LINUX_SOCK_RAW ? -EPERM : -ESOCKTNOSUPPORT;
	if (stream && protocol != 0 && protocol != LINUX_IPPROTO_TCP)
		return -EPROTONOSUPPORT;
	/* ICMP echo ("ping") sockets: SOCK_DGRAM of IPPROTO_ICMP or IPPROTO_ICMPV6. */
	int ping_proto = family == LINUX_AF_INET6 ? LINUX_IPPROTO_ICMPV6 : LINUX_IPPROTO_ICMP;
	bool ping = !stream && protocol == ping_proto;
	if (!stream && protocol != 0 && protocol != LINUX_IPPROTO_UDP && !ping)
		return -EPROTONOSUPPORT;
	int err = net_stack_start();
	if (err < 0)
		return err;
	const struct socket_ops *ops = stream ? &g_inet_tcp_ops
	                               : ping ? &g_inet_ping_ops
	                                      : &g_inet_udp_ops;
	int proto = stream ? LINUX_IPPROTO_TCP : ping ? ping_proto : LINUX_IPPROTO_UDP;
	struct inet_sock *sk = inet_alloc(t, ops, family, type, proto, fflags);
	if (!sk)
		return -ENOMEM;
	if (stream) {
		net_stack_lock();
		struct tcp_pcb *p = tcp_new_ip_type(inet_pcb_type(sk));
		if (p) {
			tcp_attach(sk, p);
			tcp_update(sk);
		}
		net_stack_unlock();
		if (!p)
			err = -ENOBUFS;
	} else if (ping) {
		err = inet_ping_open(sk);
	} else {
		err = inet_udp_open(sk);
	}
	if (err < 0) {
		file_put(&sk->sock.file);
		return err;
	}
	*out = &sk->sock;
	return 0;
}

/* ---- /proc/net ---- */

/* addr as the table shows it: 4 bytes, or 16 with IPv4 mapped. */
static void info_addr(uint8_t out[16], const ip_addr_t *ip, bool v6)
{
	memset(out, 0, 16);
	if (IP_IS_V4(ip)) {
		uint32_t a = ip_2_ip4(ip)->addr;
		if (!v6) {
			memcpy(out, &a, 4);
		} else if (a != 0) {
			out[10] = out[11] = 0xff;
			memcpy(out + 12, &a, 4);
		}
	} else {
		memcpy(out, ip_2_ip6(ip)->addr, 16);
	}
}

/* Which table a pcb belongs to: its socket's family, or for an orphan its address type. */
static bool pcb_in_table(const struct inet_sock *sk, const ip_addr_t *local, bool v6)
{
	if (sk)
		return sk->v6 == v6;
	return (IP_IS_V6(local) && !IP_IS_ANY_TYPE_VAL(*local)) == v6;
}

static void visit_tcp(struct tcp_pcb *p, bool v6, inet_visit_fn fn, void *arg)
{
	const struct inet_sock *sk = p->callback_arg;
	if (!pcb_in_table(sk, &p->local_ip, v6))
		return;
	static const uint8_t states[] = {
		[CLOSED] = LINUX_TCP_CLOSE,
		[LISTEN] = LINUX_TCP_LISTEN,
		[SYN_SENT] = LINUX_TCP_SYN_SENT,
		[SYN_RCVD] = LINUX_TCP_SYN_RECV,
		[ESTABLISHED] = LINUX_TCP_ESTABLISHED,
		[FIN_WAIT_1] = LINUX_TCP_FIN_WAIT1,
		[FIN_WAIT_2] = LINUX_TCP_FIN_WAIT2,
		[CLOSE_WAIT] = LINUX_TCP_CLOSE_WAIT,
		[CLOSING] = LINUX_TCP_CLOSING,
		[LAST_ACK] = LINUX_TCP_LAST_ACK,
		[TIME_WAIT] = LINUX_TCP_TIME_WAIT,
	};
	struct inet_sock_info i = {
		.lport = p->local_port,
		.rport = p->state == LISTEN ? 0 : p->remote_port,
		.state = p->state < sizeof(states) ? states[p->state] : LINUX_TCP_CLOSE,
	};
	info_addr(i.laddr, &p->local_ip, v6);
	if (p->state != LISTEN)
		info_addr(i.raddr, &p->remote_ip, v6);
	if (sk) {
		i.uid = sk->sock.uid;
		i.ino = sk->sock.ino;
		if (p->state != LISTEN) {
			i.rxq = (uint32_t)ring_used(sk);
			i.txq = TCP_SND_BUF - tcp_sndbuf(p);
		} else {
			i.rxq = (uint32_t)sk->acq_len;
			i.txq = (uint32_t)sk->backlog;
		}
	}
	fn(&i, arg);
}

void inet_foreach(bool tcp, bool v6, inet_visit_fn fn, void *arg)
{
	if (!net_stack_running())
		return;
	net_stack_lock();
	if (tcp) {
		for (struct tcp_pcb_listen *l = tcp_listen_pcbs.listen_pcbs; l; l = l->next)
			visit_tcp((struct tcp_pcb *)(void *)l, v6, fn, arg);
		struct tcp_pcb *lists[] = { tcp_bound_pcbs, tcp_active_pcbs, tcp_tw_pcbs };
		for (size_t k = 0; k < sizeof(lists) / sizeof(lists[0]); k++) {
			for (struct tcp_pcb *p = lists[k]; p; p = p->next)
				visit_tcp(p, v6, fn, arg);
		}
	} else {
		for (struct udp_pcb *p = udp_pcbs; p; p = p->next) {
			const struct inet_sock *sk = p->recv_arg;
			if (!sk || !p->local_port || !pcb_in_table(sk, &p->local_ip, v6))
				continue;
			bool conn = p->flags & UDP_FLAGS_CONNECTED;
			struct inet_sock_info i = {
				.lport = p->local_port,
				.rport = conn ? p->remote_port : 0,
				.state = conn ? LINUX_TCP_ESTABLISHED : LINUX_TCP_CLOSE,
				.rxq = (uint32_t)sk->dq_bytes,
				.uid = sk->sock.uid,
				.ino = sk->sock.ino,
			};
			info_addr(i.laddr, &p->local_ip, v6);
			if (conn)
				info_addr(i.raddr, &p->remote_ip, v6);
			fn(&i, arg);
		}
	}
	net_stack_unlock();
}
