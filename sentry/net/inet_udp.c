/*
 * UDP sockets on the sandbox's stack (inet.h). lwIP's udp_recv callback
 * copies each datagram, with its source, into the socket's queue (bounded
 * by SO_RCVBUF; beyond it datagrams are dropped, as Linux does); a send
 * builds one PBUF_RAM pbuf, filled from guest memory outside the core
 * lock, and hands it to udp_sendto.
 *
 * ICMP errors: two raw pcbs (ICMP, ICMPv6) look at every ICMP message
 * the stack receives, without taking it from lwIP; a destination
 * unreachable quoting a datagram of a connected UDP socket sets that
 * socket's error, as Linux's __udp4_lib_err does (ECONNREFUSED for a
 * closed port). Unconnected sockets get nothing (Linux reports those only
 * with IP_RECVERR, whose error queue the sandbox does not keep).
 *
 * The queue and the operations over it are the inet_dgram_* functions,
 * which ping and raw sockets (inet_raw.c) use too.
 *
 * Missing: control messages (IP_PKTINFO, timestamps).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <lwip/inet_chksum.h>
#include <lwip/ip.h>
#include <lwip/netif.h>
#include <lwip/raw.h>
#include <lwip/pbuf.h>
#include <lwip/udp.h>

#include "common/abi/linux/inet.h"
#include "common/abi/linux/signal.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"
#include "sentry/net/inet_impl.h"
#include "sentry/net/stack.h"

/*
 * The largest UDP payloads: Linux's 65507 for IPv4 (65535 less the IPv4
 * and UDP headers). For IPv6 Linux takes 65527 (its payload length does
 * not count the IPv6 header), but lwIP's pbufs hold at most 65535 bytes in
 * all, header included: 65487 here (docs/network.md).
 */
#define UDP4_MAX_PAYLOAD 65507
#define UDP6_MAX_PAYLOAD (65535 - 40 - 8)
/* What a queued datagram costs against SO_RCVBUF beyond its payload (Linux counts skb truesize). */
#define DGRAM_OVERHEAD 256

struct dgram {
	struct dgram *next;
	ip_addr_t src;
	uint16_t port;
	size_t len;
	char data[];
};

/* Linux's datagram_poll. */
static uint32_t udp_mask(struct inet_sock *sk)
{
	uint32_t m = LINUX_POLLOUT | LINUX_POLLWRNORM | LINUX_POLLWRBAND;
	if (sk->dq_head)
		m |= LINUX_POLLIN | LINUX_POLLRDNORM;
	if (sk->rd_shut)
		m |= LINUX_POLLIN | LINUX_POLLRDNORM | LINUX_POLLRDHUP;
	if (sk->rd_shut && sk->wr_shut)
		m |= LINUX_POLLHUP;
	if (sk->err)
		m |= LINUX_POLLERR;
	return m;
}

void inet_dgram_update(struct inet_sock *sk)
{
	inet_publish(sk, udp_mask(sk), 0);
}

/*
 * Queues a copy of the datagram in p from offset (its payload: UDP's, or
 * ICMP's after the IP header) with its source; p stays the caller's.
 * Beyond SO_RCVBUF it is dropped, as Linux does. Core lock held.
 */
void inet_dgram_queue(struct inet_sock *sk, struct pbuf *p, u16_t offset, const ip_addr_t *src,
                      uint16_t port)
{
	size_t len = p->tot_len - offset;
	struct dgram *d = NULL;
	if (sk->dq_bytes + len + DGRAM_OVERHEAD <= (size_t)atomic_load(&sk->sock.rcvbuf))
		d = malloc(sizeof(*d) + len);
	if (!d)
		return;
	d->next = NULL;
	ip_addr_copy(d->src, *src);
	d->port = port;
	d->len = pbuf_copy_partial(p, d->data, (u16_t)len, offset);
	if (sk->dq_tail)
		sk->dq_tail->next = d;
	else
		sk->dq_head = d;
	sk->dq_tail = d;
	sk->dq_bytes += d->len + DGRAM_OVERHEAD;
	inet_publish(sk, udp_mask(sk), LINUX_POLLIN | LINUX_POLLRDNORM);
}

static void udp_recv_cb(void *arg, struct udp_pcb *pcb, struct pbuf *p, const ip_addr_t *addr,
                        u16_t port)
{
	(void)pcb;
	inet_dgram_queue(arg, p, 0, addr, port);
	pbuf_free(p);
}

/* ---- ICMP errors ---- */

/* Linux's icmp_err_convert (ICMP destination unreachable codes). */
static int icmp4_errno(uint8_t code)
{
	static const int errs[] = { ENETUNREACH,  EHOSTUNREACH, ENOPROTOOPT,  ECONNREFUSED,
		                    EMSGSIZE,     EOPNOTSUPP,   ENETUNREACH,  EHOSTDOWN,
		                    ENONET,       ENETUNREACH,  EHOSTUNREACH, ENETUNREACH,
		                    EHOSTUNREACH, EHOSTUNREACH };
	return code < sizeof(errs) / sizeof(errs[0]) ? errs[code] : EHOSTUNREACH;
}

/* Linux's icmpv6_err_convert. */
static int icmp6_errno(uint8_t code)
{
	static const int errs[] = { ENETUNREACH,  EACCES, EHOSTUNREACH, EHOSTUNREACH,
		                    ECONNREFUSED, EACCES, EACCES };
	return code < sizeof(errs) / sizeof(errs[0]) ? errs[code] : EHOSTUNREACH;
}

/* The connected UDP socket that sent src:sport -> dst:dport gets err. Core lock held. */
static void udp_deliver_error(const ip_addr_t *src, uint16_t sport, const ip_addr_t *dst,
                              uint16_t dport, int err)
{
	for (struct udp_pcb *p = udp_pcbs; p; p = p->next) {
		if (p->local_port != sport || p->remote_port != dport ||
		    !(p->flags & UDP_FLAGS_CONNECTED) || !p->recv_arg)
			continue;
		if (!ip_addr_cmp(&p->remote_ip, dst))
			continue;
		if (!ip_addr_isany(&p->local_ip) && !ip_addr_cmp(&p->local_ip, src))
			continue;
		struct inet_sock *sk = p->recv_arg;
		sk->err = err;
		inet_dgram_update(sk);
	}
}

/* Looks at an ICMP message (p at its IP header) and never takes it. */
static u8_t icmp4_snoop(void *arg, struct raw_pcb *pcb, struct pbuf *p, const ip_addr_t *addr)
{
	(void)arg;
	(void)pcb;
	(void)addr;
	uint8_t b[60 + 8 + 60 + 8];
	u16_t n = pbuf_copy_partial(p, b, sizeof(b), 0);
	if (n < 20)
		return 0;
	size_t ihl = (size_t)(b[0] & 0xf) * 4;
	if (ihl < 20 || n < ihl + 8 + 20)
		return 0;
	const uint8_t *icmp = b + ihl;
	if (icmp[0] != 3) /* destination unreachable */
		return 0;
	const uint8_t *in = icmp + 8;
	size_t iihl = (size_t)(in[0] & 0xf) * 4;
	if ((in[0] >> 4) != 4 || iihl < 20 || n < ihl + 8 + iihl + 4 || in[9] != IP_PROTO_UDP)
		return 0;
	ip_addr_t src, dst;
	uint32_t a;
	memcpy(&a, in + 12, 4);
	ip_addr_set_ip4_u32_val(src, a);
	memcpy(&a, in + 16, 4);
	ip_addr_set_ip4_u32_val(dst, a);
	const uint8_t *udp = in + iihl;
	udp_deliver_error(&src, (uint16_t)(udp[0] << 8 | udp[1]), &dst,
	                  (uint16_t)(udp[2] << 8 | udp[3]), icmp4_errno(icmp[1]));
	return 0;
}

static u8_t icmp6_snoop(void *arg, struct raw_pcb *pcb, struct pbuf *p, const ip_addr_t *addr)
{
	(void)arg;
	(void)pcb;
	(void)addr;
	uint8_t b[40 + 8 + 40 + 8];
	u16_t n = pbuf_copy_partial(p, b, sizeof(b), 0);
	if (n < sizeof(b) || (b[0] >> 4) != 6 || b[6] != IP6_NEXTH_ICMP6)
		return 0;
	const uint8_t *icmp = b + 40;
	if (icmp[0] != 1) /* destination unreachable */
		return 0;
	const uint8_t *in = icmp + 8;
	if ((in[0] >> 4) != 6 || in[6] != IP6_NEXTH_UDP)
		return 0;
	ip_addr_t src, dst;
	IP_SET_TYPE_VAL(src, IPADDR_TYPE_V6);
	IP_SET_TYPE_VAL(dst, IPADDR_TYPE_V6);
	memcpy(ip_2_ip6(&src)->addr, in + 8, 16);
	memcpy(ip_2_ip6(&dst)->addr, in + 24, 16);
	ip6_addr_clear_zone(ip_2_ip6(&src));
	ip6_addr_clear_zone(ip_2_ip6(&dst));
	const uint8_t *udp = in + 40;
	udp_deliver_error(&src, (uint16_t)(udp[0] << 8 | udp[1]), &dst,
	                  (uint16_t)(udp[2] << 8 | udp[3]), icmp6_errno(icmp[1]));
	return 0;
}

static void icmp_snoop_init(void)
{
	net_stack_lock();
	struct raw_pcb *r4 = raw_new_ip_type(IPADDR_TYPE_V4, IP_PROTO_ICMP);
	if (r4)
		raw_recv(r4, icmp4_snoop, NULL);
	struct raw_pcb *r6 = raw_new_ip_type(IPADDR_TYPE_V6, IP6_NEXTH_ICMP6);
	if (r6)
		raw_recv(r6, icmp6_snoop, NULL);
	net_stack_unlock();
}

void inet_icmp_errors_start(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, icmp_snoop_init);
}

int inet_udp_open(struct inet_sock *sk)
{
	inet_icmp_errors_start();
	net_stack_lock();
	struct udp_pcb *p = udp_new_ip_type(inet_pcb_type(sk));
	if (p) {
		sk->pcb.udp = p;
		ip_set_option(p, SOF_REUSEADDR);
		udp_recv(p, udp_recv_cb, sk);
		inet_dgram_update(sk);
	}
	net_stack_unlock();
	return p ? 0 : -ENOBUFS;
}

/* Linux's udp_lib_lport_inuse: both SO_REUSEADDR, or both SO_REUSEPORT by one user. */
static bool udp_port_conflict(const struct inet_sock *sk, const ip_addr_t *ip, uint16_t port)
{
	for (struct udp_pcb *p = udp_pcbs; p; p = p->next) {
		if (p == sk->pcb.udp || p->local_port != port ||
		    !inet_addrs_overlap(&p->local_ip, ip))
			continue;
		const struct inet_sock *o = p->recv_arg;
		if (o && atomic_load(&o->sock.reuseaddr) && atomic_load(&sk->sock.reuseaddr))
			continue;
		if (o && o->reuseport && sk->reuseport && o->sock.uid == sk->sock.uid)
			continue;
		return true;
	}
	return false;
}

static int udp_err(err_t e)
{
	switch (e) {
	case ERR_OK:
		return 0;
	case ERR_RTE:
		return -ENETUNREACH;
	case ERR_USE:
		return -EADDRINUSE;
	case ERR_VAL:
	case ERR_ARG:
		return -EINVAL;
	default:
		return -ENOBUFS;
	}
}

static int inet_udp_bind(struct task *t, struct socket *s, const void *addr, size_t len)
{
	struct inet_sock *sk = inet_of(s);
	ip_addr_t ip;
	uint16_t port;
	int err = inet_addr_in(sk, addr, len, &ip, &port);
	if (err < 0)
		return err;
	net_stack_lock();
	if (sk->pcb.udp->local_port || (sk->v6 && sk->v6only && IP_IS_V4(&ip)) ||
	    inet_addr_needs_scope(&ip))
		err = -EINVAL;
	else if (!inet_addr_local(&ip))
		err = -EADDRNOTAVAIL;
	else if (inet_check_port_privilege(t, port) < 0)
		err = -EACCES;
	else if (port && udp_port_conflict(sk, &ip, port))
		err = -EADDRINUSE;
	else
		err = udp_err(udp_bind(sk->pcb.udp, &ip, port));
	if (err == 0) {
		sk->user_bound = true;
		sk->bound_ip = ip;
	}
	net_stack_unlock();
	return err;
}

static int inet_udp_connect(struct task *t, struct socket *s, const void *addr, size_t len)
{
	(void)t;
	struct inet_sock *sk = inet_of(s);
	if (inet_addr_unspec(addr, len)) {
		/* Dissolves the association (Linux's udp_disconnect). */
		net_stack_lock();
		struct udp_pcb *p = sk->pcb.udp;
		udp_disconnect(p);
		sk->state = INET_NEW;
		/* Linux's __udp_disconnect keeps only what bind set: the rest goes back to any. */
		if (!sk->user_bound) {
			struct udp_pcb *n = udp_new_ip_type(inet_pcb_type(sk));
			if (n) {
				ip_set_option(n, SOF_REUSEADDR);
				udp_recv(n, udp_recv_cb, sk);
				udp_remove(p);
				sk->pcb.udp = n;
			}
		} else {
			ip_addr_copy(p->local_ip, sk->bound_ip);
		}
		inet_dgram_update(sk);
		net_stack_unlock();
		return 0;
	}
	ip_addr_t ip;
	uint16_t port;
	int err = inet_addr_in(sk, addr, len, &ip, &port);
	if (err < 0)
		return err;
	if (sk->v6 && sk->v6only && IP_IS_V4(&ip))
		return -ENETUNREACH;
	inet_any_to_loopback(sk, &ip);
	net_stack_lock();
	err = udp_err(udp_connect(sk->pcb.udp, &ip, port));
	if (err == 0) {
		sk->state = INET_CONNECTED;
		/* Linux's ip4_datagram_connect: an unbound address becomes the route's source. */
		struct udp_pcb *p = sk->pcb.udp;
		if (ip_addr_isany(&p->local_ip)) {
			struct netif *n = ip_route(&p->local_ip, &ip);
			const ip_addr_t *src = n ? ip_netif_get_local_ip(n, &ip) : NULL;
			if (src)
				ip_addr_copy(p->local_ip, *src);
		}
	}
	inet_dgram_update(sk);
	net_stack_unlock();
	return err;
}

/*
 * A datagram's destination. Linux's udpv6_sendmsg also takes an AF_INET
 * address on an AF_INET6 socket, as if v4-mapped.
 */
static int udp_dest_in(struct inet_sock *sk, const void *addr, size_t len, ip_addr_t *ip,
                       uint16_t *port)
{
	struct linux_sockaddr_in in;
	if (sk->v6 && len >= sizeof(in) && *(const uint16_t *)addr == LINUX_AF_INET) {
		memcpy(&in, addr, sizeof(in));
		uint32_t a;
		memcpy(&a, in.addr, 4);
		ip_addr_set_ip4_u32_val(*ip, a);
		*port = lwip_ntohs(in.port);
		return 0;
	}
	return inet_addr_in(sk, addr, len, ip, port);
}

static ssize_t inet_udp_sendmsg(struct task *t, struct socket *s, struct sock_msg *m, int flags)
{
	struct inet_sock *sk = inet_of(s);
	ip_addr_t ip;
	uint16_t port = 0;
	bool to = m->name != NULL && m->namelen > 0;
	if (to) {
		int err = udp_dest_in(sk, m->name, m->namelen, &ip, &port);
		if (err < 0)
			return err;
		if (sk->v6 && sk->v6only && IP_IS_V4(&ip))
			return -ENETUNREACH;
		if (port == 0)
			return -EINVAL;
		inet_any_to_loopback(sk, &ip);
		if (IP_IS_V4(&ip) && ip_2_ip4(&ip)->addr == IPADDR_BROADCAST && !sk->broadcast)
			return -EACCES;
	}
	if (flags & LINUX_MSG_OOB)
		return -EOPNOTSUPP;
	size_t len = net_iter_left(&m->data);
	if (len > (sk->v6 ? UDP6_MAX_PAYLOAD : UDP4_MAX_PAYLOAD))
		return -EMSGSIZE;
	/* The datagram is built outside the core lock: a PBUF_RAM pbuf is one malloc'd piece. */
	struct pbuf *p = pbuf_alloc(PBUF_TRANSPORT, (u16_t)len, PBUF_RAM);
	if (!p)
		return -ENOBUFS;
	int err = net_iter_copy_from(&m->data, p->payload, len);
	if (err < 0) {
		pbuf_free(p);
		return err;
	}
	bool pipe = false;
	net_stack_lock();
	if (sk->wr_shut) {
		err = -EPIPE;
		pipe = true;
	} else if (sk->err && !to) {
		err = -sk->err;
		sk->err = 0;
	} else if (!to && sk->state != INET_CONNECTED) {
		err = -EDESTADDRREQ;
	} else {
		struct udp_pcb *pcb = sk->pcb.udp;
		if (sk->ttl > 0)
			pcb->ttl = (u8_t)sk->ttl;
		if (sk->tos >= 0)
			pcb->tos = (u8_t)sk->tos;
		err = udp_err(to ? udp_sendto(pcb, p, &ip, port) : udp_send(pcb, p));
	}
	inet_dgram_update(sk);
	net_stack_unlock();
	pbuf_free(p);
	if (err == -EPIPE && pipe && !(flags & LINUX_MSG_NOSIGNAL))
		task_send_thread_signal(t, LINUX_SIGPIPE, NULL);
	return err < 0 ? err : (ssize_t)len;
}

static long udp_recv_try(struct inet_sock *sk, void *arg)
{
	(void)arg;
	if (sk->dq_head)
		return 1;
	if (sk->err) {
		int e = sk->err;
		sk->err = 0;
		inet_dgram_update(sk);
		return -e;
	}
	if (sk->rd_shut)
		return 0;
	return -EAGAIN;
}

ssize_t inet_dgram_recvmsg(struct task *t, struct socket *s, struct sock_msg *m, int flags)
{
	struct inet_sock *sk = inet_of(s);
	if (flags & LINUX_MSG_OOB)
		return -EOPNOTSUPP;
	if (flags & LINUX_MSG_ERRQUEUE)
		return -EAGAIN; /* the error queue is always empty (IP_RECVERR is kept, not served)
		                 */
	pthread_mutex_lock(&sk->rmu);
	long ret = inet_wait(t, sk, flags, true, udp_recv_try, NULL);
	if (ret <= 0)
		goto out;
	/* Only readers take datagrams off the queue, and this is the only reader now. */
	struct dgram *d = sk->dq_head;
	size_t room = net_iter_left(&m->data);
	size_t n = d->len < room ? d->len : room;
	int err = net_iter_copy_to(&m->data, d->data, n);
	if (err < 0) {
		ret = err;
		goto out;
	}
	if (d->len > room)
		m->flags_out |= LINUX_MSG_TRUNC;
	/* The source into m->name (LINUX_SOCKADDR_MAX bytes of room), its length into namelen. */
	if (m->name)
		m->namelen = inet_addr_out(sk, &d->src, d->port, m->name);
	ret = (flags & LINUX_MSG_TRUNC) ? (long)d->len : (long)n;
	if (!(flags & LINUX_MSG_PEEK)) {
		net_stack_lock();
		sk->dq_head = d->next;
		if (!sk->dq_head)
			sk->dq_tail = NULL;
		sk->dq_bytes -= d->len + DGRAM_OVERHEAD;
		inet_dgram_update(sk);
		net_stack_unlock();
		free(d);
	}
out:
	pthread_mutex_unlock(&sk->rmu);
	return ret;
}

int inet_dgram_shutdown(struct socket *s, int how)
{
	struct inet_sock *sk = inet_of(s);
	net_stack_lock();
	if (how == LINUX_SHUT_RD || how == LINUX_SHUT_RDWR)
		sk->rd_shut = true;
	if (how == LINUX_SHUT_WR || how == LINUX_SHUT_RDWR)
		sk->wr_shut = true;
	/* Linux marks even an unconnected socket shut (waking pollers), then says ENOTCONN. */
	int err = sk->state == INET_CONNECTED ? 0 : -ENOTCONN;
	inet_dgram_update(sk);
	net_stack_unlock();
	return err;
}

int inet_dgram_getsockopt(struct task *t, struct socket *s, int level, int name, void *val,
                          size_t *len)
{
	(void)t;
	net_stack_lock();
	int err = inet_common_getsockopt(inet_of(s), level, name, val, len);
	net_stack_unlock();
	return err;
}

int inet_dgram_setsockopt(struct task *t, struct socket *s, int level, int name, const void *val,
                          size_t len)
{
	(void)t;
	net_stack_lock();
	int err = inet_common_setsockopt(inet_of(s), level, name, val, len);
	net_stack_unlock();
	return err;
}

long inet_dgram_ioctl(struct task *t, struct socket *s, unsigned cmd, uint64_t arg)
{
	struct inet_sock *sk = inet_of(s);
	int v;
	if (cmd == LINUX_SIOCINQ) {
		/* Linux: the size of the next datagram. */
		net_stack_lock();
		v = sk->dq_head ? (int)sk->dq_head->len : 0;
		net_stack_unlock();
	} else if (cmd == LINUX_SIOCOUTQ) {
		v = 0; /* sent at once */
	} else {
		return -ENOTTY;
	}
	return mm_copy_out(t->mm, arg, &v, sizeof(v));
}

/*
 * getsockname and getpeername of UDP, ping and raw sockets (a ping
 * socket's port is its identifier, a raw one's its protocol).
 */
int inet_dgram_getname(struct socket *s, bool peer, void *addr, size_t *len)
{
	struct inet_sock *sk = inet_of(s);
	bool ping = s->ops == &g_inet_ping_ops, raw = s->ops == &g_inet_raw_ops;
	int err = 0;
	net_stack_lock();
	/* udp_pcb and raw_pcb both start with IP_PCB. */
	const struct ip_pcb *ip = sk->pcb.any;
	if (peer && sk->state != INET_CONNECTED)
		err = -ENOTCONN;
	else if (peer)
		*len = inet_addr_out(sk, &ip->remote_ip, ping || raw ? 0 : sk->pcb.udp->remote_port,
		                     addr);
	else if (raw) /* Linux's inet_sport of a raw socket is its protocol */
		*len = inet_addr_out(sk, &ip->local_ip, (uint16_t)s->protocol, addr);
	else
		*len = inet_addr_out(sk, &ip->local_ip,
		                     ping ? sk->ping_id : sk->pcb.udp->local_port, addr);
	net_stack_unlock();
	return err;
}

void inet_dgram_release(struct socket *s)
{
	struct inet_sock *sk = inet_of(s);
	net_stack_lock();
	if (sk->pcb.any && s->ops != &g_inet_udp_ops)
		inet_raw_pcb_remove(sk);
	else if (sk->pcb.udp)
		udp_remove(sk->pcb.udp);
	sk->pcb.any = NULL;
	struct dgram *d = sk->dq_head;
	sk->dq_head = sk->dq_tail = NULL;
	net_stack_unlock();
	while (d) {
		struct dgram *next = d->next;
		free(d);
		d = next;
	}
	inet_free(sk);
}

const struct socket_ops g_inet_udp_ops = {
	.bind = inet_udp_bind,
	.connect = inet_udp_connect,
	.sendmsg = inet_udp_sendmsg,
	.recvmsg = inet_dgram_recvmsg,
	.shutdown = inet_dgram_shutdown,
	.getsockopt = inet_dgram_getsockopt,
	.setsockopt = inet_dgram_setsockopt,
	.getname = inet_dgram_getname,
	.readiness = inet_readiness,
	.ioctl = inet_dgram_ioctl,
	.release = inet_dgram_release,
};
