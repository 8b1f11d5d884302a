/*
 * Ping and raw sockets on the sandbox's stack (inet.h), over lwIP raw
 * pcbs; their receive side is UDP's datagram queue (inet_udp.c: the
 * inet_dgram_* operations).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <lwip/inet_chksum.h>
#include <lwip/ip.h>
#include <lwip/pbuf.h>
#include <lwip/raw.h>

#include "common/abi/linux/inet.h"
#include "sentry/kernel/task.h"
#include "sentry/net/inet_impl.h"
#include "sentry/net/stack.h"

/* ---- Ping sockets (Linux's net/ipv4/ping.c) ---- */

/*
 * SOCK_DGRAM sockets of IPPROTO_ICMP (or ICMPV6) send ICMP echo requests
 * and receive the replies to their own identifier, which stands for the
 * port (sin_port): the application writes the ICMP header and payload,
 * the sandbox sets the identifier and the checksum. A raw pcb of the
 * protocol sees every ICMP message; the socket takes the echo replies of
 * its identifier (from its peer, if connected), and leaves the rest to the
 * other pcbs and to lwIP (which answers echo requests itself).
 *
 * Linux lets only the groups of net.ipv4.ping_group_range make them (by
 * default nobody); the sandbox's stack allows every user, as gVisor does.
 */

#define ICMP_ECHO_REPLY  0
#define ICMP_ECHO        8
#define ICMP6_ECHO       128
#define ICMP6_ECHO_REPLY 129

static uint16_t g_next_ping_id = 1;
/* The identifiers in use, per family (IPv4, IPv6): a bit each. Core lock. */
static uint64_t g_ping_ids[2][65536 / 64];

/* An identifier no other ping socket of this family has, taken; 0 if none. Core lock held. */
static uint16_t ping_new_id(bool v6)
{
	for (int tries = 0; tries < 65536; tries++) {
		uint16_t id = g_next_ping_id++;
		if (id && !(g_ping_ids[v6][id / 64] & (1ull << (id % 64)))) {
			g_ping_ids[v6][id / 64] |= 1ull << (id % 64);
			return id;
		}
	}
	return 0;
}

/* Takes a chosen identifier: false if another socket has it. Core lock held. */
static bool ping_take_id(bool v6, uint16_t id)
{
	if (g_ping_ids[v6][id / 64] & (1ull << (id % 64)))
		return false;
	g_ping_ids[v6][id / 64] |= 1ull << (id % 64);
	return true;
}

static void ping_put_id(bool v6, uint16_t id)
{
	if (id)
		g_ping_ids[v6][id / 64] &= ~(1ull << (id % 64));
}

void inet_raw_pcb_remove(struct inet_sock *sk)
{
	raw_remove(sk->pcb.raw);
	if (sk->sock.ops == &g_inet_ping_ops)
		ping_put_id(sk->v6, sk->ping_id);
}

static u8_t ping_recv_cb(void *arg, struct raw_pcb *pcb, struct pbuf *p, const ip_addr_t *addr)
{
	struct inet_sock *sk = arg;
	/* p starts at the IP header. */
	uint8_t first;
	if (pbuf_copy_partial(p, &first, 1, 0) != 1)
		return 0;
	size_t hl = sk->v6 ? 40 : (size_t)(first & 0xf) * 4;
	if ((first >> 4) == 4 && sk->v6)
		return 0;
	uint8_t icmp[8];
	if (p->tot_len < hl + sizeof(icmp) ||
	    pbuf_copy_partial(p, icmp, sizeof(icmp), (u16_t)hl) != 8)
		return 0;
	uint16_t id = (uint16_t)(icmp[4] << 8 | icmp[5]);
	if (icmp[0] != (sk->v6 ? ICMP6_ECHO_REPLY : ICMP_ECHO_REPLY) || !sk->ping_id ||
	    id != sk->ping_id)
		return 0;
	if ((pcb->flags & RAW_FLAGS_CONNECTED) && !ip_addr_cmp(&pcb->remote_ip, addr))
		return 0;
	inet_dgram_queue(sk, p, (u16_t)hl, addr, 0); /* Linux's ping_recvmsg: no port */
	pbuf_free(p);
	return 1;
}

/*
 * A ping or raw socket's pcb, for IP protocol proto, receiving through
 * recv. ICMPv6's checksum is lwIP's to compute (with its pseudo-header),
 * as Linux's is.
 */
static int raw_pcb_open(struct inet_sock *sk, u8_t proto, raw_recv_fn recv)
{
	net_stack_lock();
	struct raw_pcb *r = raw_new_ip_type(sk->v6 ? IPADDR_TYPE_V6 : IPADDR_TYPE_V4, proto);
	if (r) {
		sk->pcb.raw = r;
		if (sk->v6 && proto == IP6_NEXTH_ICMP6) {
			r->chksum_reqd = 1;
			r->chksum_offset = 2;
		}
		if (sk->hdrincl)
			r->flags |= RAW_FLAGS_HDRINCL;
		raw_recv(r, recv, sk);
		inet_dgram_update(sk);
	}
	net_stack_unlock();
	return r ? 0 : -ENOBUFS;
}

/* A ping or raw socket's bind address, and its port (a ping identifier). */
static int raw_bind_addr(struct inet_sock *sk, const void *addr, size_t len, ip_addr_t *ip,
                         uint16_t *port)
{
	int err = inet_addr_in(sk, addr, len, ip, port);
	if (err < 0)
		return err;
	if (IP_IS_V4(ip) != !sk->v6)
		return -EINVAL; /* no v4-mapped addresses for ICMPv6 */
	if (!inet_addr_local(ip) || inet_addr_needs_scope(ip))
		return -EADDRNOTAVAIL;
	return 0;
}

int inet_ping_open(struct inet_sock *sk)
{
	inet_icmp_errors_start();
	return raw_pcb_open(sk, sk->v6 ? IP6_NEXTH_ICMP6 : IP_PROTO_ICMP, ping_recv_cb);
}

static int inet_ping_bind(struct task *t, struct socket *s, const void *addr, size_t len)
{
	(void)t;
	struct inet_sock *sk = inet_of(s);
	ip_addr_t ip;
	uint16_t id;
	int err = raw_bind_addr(sk, addr, len, &ip, &id);
	if (err < 0)
		return err;
	net_stack_lock();
	if (sk->ping_id)
		err = -EINVAL;
	else if (id && !ping_take_id(sk->v6, id))
		err = -EADDRINUSE;
	else if (raw_bind(sk->pcb.raw, &ip) != ERR_OK)
		err = -EADDRNOTAVAIL;
	else
		sk->ping_id = id ? id : ping_new_id(sk->v6);
	net_stack_unlock();
	return err;
}

static int inet_ping_connect(struct task *t, struct socket *s, const void *addr, size_t len)
{
	(void)t;
	struct inet_sock *sk = inet_of(s);
	net_stack_lock();
	if (inet_addr_unspec(addr, len)) {
		raw_disconnect(sk->pcb.raw);
		sk->state = INET_NEW;
		net_stack_unlock();
		return 0;
	}
	net_stack_unlock();
	ip_addr_t ip;
	uint16_t unused;
	int err = inet_addr_in(sk, addr, len, &ip, &unused);
	if (err < 0)
		return err;
	if (IP_IS_V4(&ip) != !sk->v6)
		return -EAFNOSUPPORT;
	inet_any_to_loopback(sk, &ip);
	net_stack_lock();
	err = raw_connect(sk->pcb.raw, &ip) == ERR_OK ? 0 : -ENETUNREACH;
	if (err == 0) {
		sk->state = INET_CONNECTED;
		if (!sk->ping_id)
			sk->ping_id = ping_new_id(sk->v6);
	}
	net_stack_unlock();
	return err;
}

/*
 * A ping or raw send's destination (*to false: the connected peer's), and
 * its data in a new pbuf of layer with room for the headers below it.
 */
static int raw_send_prepare(struct inet_sock *sk, struct sock_msg *m, pbuf_layer layer, bool *to,
                            ip_addr_t *ip, struct pbuf **out)
{
	uint16_t unused;
	*to = m->name != NULL && m->namelen > 0;
	if (*to) {
		int err = inet_addr_in(sk, m->name, m->namelen, ip, &unused);
		if (err < 0)
			return err;
		if (IP_IS_V4(ip) != !sk->v6)
			return -EAFNOSUPPORT;
		inet_any_to_loopback(sk, ip);
	}
	size_t len = net_iter_left(&m->data);
	struct pbuf *p = pbuf_alloc(layer, (u16_t)len, PBUF_RAM);
	if (!p)
		return -ENOBUFS;
	int err = net_iter_copy_from(&m->data, p->payload, len);
	if (err < 0) {
		pbuf_free(p);
		return err;
	}
	*out = p;
	return 0;
}

/* Sends p on the socket's raw pcb, to ip or the connected peer. Core lock held. */
static int raw_pcb_send(struct inet_sock *sk, struct pbuf *p, bool to, const ip_addr_t *ip)
{
	if (!to && sk->state != INET_CONNECTED)
		return -EDESTADDRREQ;
	if (sk->ttl > 0)
		sk->pcb.raw->ttl = (u8_t)sk->ttl;
	err_t e = to ? raw_sendto(sk->pcb.raw, p, ip) : raw_send(sk->pcb.raw, p);
	return e == ERR_OK ? 0 : e == ERR_RTE ? -ENETUNREACH : e == ERR_VAL ? -EINVAL : -ENOBUFS;
}

static ssize_t inet_ping_sendmsg(struct task *t, struct socket *s, struct sock_msg *m, int flags)
{
	(void)t;
	(void)flags;
	struct inet_sock *sk = inet_of(s);
	size_t len = net_iter_left(&m->data);
	/* Linux's ping_common_sendmsg: an ICMP header at least, 64 KiB at most. */
	if (len < 8)
		return -EINVAL;
	if (len > 0xffff - 40 - 8)
		return -EMSGSIZE;
	bool to;
	ip_addr_t ip;
	struct pbuf *p;
	int err = raw_send_prepare(sk, m, PBUF_IP, &to, &ip, &p);
	if (err < 0)
		return err;
	uint8_t *icmp = p->payload;
	if (icmp[0] != (sk->v6 ? ICMP6_ECHO : ICMP_ECHO) || icmp[1] != 0) {
		pbuf_free(p);
		return -EINVAL; /* only echo requests */
	}
	net_stack_lock();
	if (to || sk->state == INET_CONNECTED) {
		if (!sk->ping_id)
			sk->ping_id = ping_new_id(sk->v6);
		icmp[4] = (uint8_t)(sk->ping_id >> 8);
		icmp[5] = (uint8_t)sk->ping_id;
		if (!sk->v6) {
			icmp[2] = icmp[3] = 0;
			u16_t sum = inet_chksum(icmp, (u16_t)len);
			memcpy(icmp + 2, &sum, 2);
		}
	}
	err = raw_pcb_send(sk, p, to, &ip);
	net_stack_unlock();
	pbuf_free(p);
	return err < 0 ? err : (ssize_t)len;
}

const struct socket_ops g_inet_ping_ops = {
	.bind = inet_ping_bind,
	.connect = inet_ping_connect,
	.sendmsg = inet_ping_sendmsg,
	.recvmsg = inet_dgram_recvmsg,
	.shutdown = inet_dgram_shutdown,
	.getsockopt = inet_dgram_getsockopt,
	.setsockopt = inet_dgram_setsockopt,
	.getname = inet_dgram_getname,
	.readiness = inet_readiness,
	.ioctl = inet_dgram_ioctl,
	.release = inet_dgram_release,
};

/* ---- Raw sockets (Linux's net/ipv4/raw.c, net/ipv6/raw.c) ---- */

/*
 * SOCK_RAW of an IP protocol, for CAP_NET_RAW only: each receives a copy of
 * every packet of its protocol (IPv4: with its IP header; IPv6: its
 * payload), which lwIP goes on to handle as usual (it answers echo
 * requests itself). Sending: the protocol's header and payload, to which
 * lwIP adds the IP header, unless IP_HDRINCL (or IPPROTO_RAW) says the
 * application wrote it. ICMPv6's checksum is the sandbox's to compute, as
 * Linux's. ICMP_FILTER and ICMP6_FILTER drop the types they name.
 */

/* Whether the raw socket's ICMP filter drops a message of type. */
static bool raw_filtered(const struct inet_sock *sk, uint8_t type)
{
	if (!sk->v6)
		return sk->sock.protocol == LINUX_IPPROTO_ICMP && type < 32 &&
		       (sk->icmp_filter & (1u << type));
	return sk->sock.protocol == LINUX_IPPROTO_ICMPV6 &&
	       (sk->icmp6_filter[type >> 5] & (1u << (type & 31)));
}

static u8_t raw_recv_cb(void *arg, struct raw_pcb *pcb, struct pbuf *p, const ip_addr_t *addr)
{
	(void)pcb;
	struct inet_sock *sk = arg;
	uint8_t first;
	if (pbuf_copy_partial(p, &first, 1, 0) != 1 || (first >> 4) != (sk->v6 ? 6 : 4))
		return 0;
	/* IPv4 raw sockets get the IP header, IPv6 ones the payload (no extension headers). */
	u16_t payload = sk->v6 ? 40 : (u16_t)((first & 0xf) * 4);
	uint8_t type;
	if (pbuf_copy_partial(p, &type, 1, payload) == 1 && raw_filtered(sk, type))
		return 0;
	if (p->tot_len >= payload)
		inet_dgram_queue(sk, p, sk->v6 ? payload : 0, addr, 0);
	return 0; /* a copy: lwIP goes on with the packet */
}

int inet_raw_open(struct inet_sock *sk)
{
	sk->hdrincl = sk->sock.protocol ==
	              LINUX_IPPROTO_RAW; /* IPPROTO_RAW: send-only, headers included */
	return raw_pcb_open(sk, (u8_t)sk->sock.protocol, raw_recv_cb);
}

static int inet_raw_bind(struct task *t, struct socket *s, const void *addr, size_t len)
{
	(void)t;
	struct inet_sock *sk = inet_of(s);
	ip_addr_t ip;
	uint16_t unused;
	int err = raw_bind_addr(sk, addr, len, &ip, &unused);
	if (err < 0)
		return err;
	net_stack_lock();
	err = raw_bind(sk->pcb.raw, &ip) == ERR_OK ? 0 : -EADDRNOTAVAIL;
	net_stack_unlock();
	return err;
}

static ssize_t inet_raw_sendmsg(struct task *t, struct socket *s, struct sock_msg *m, int flags)
{
	(void)t;
	(void)flags;
	struct inet_sock *sk = inet_of(s);
	size_t len = net_iter_left(&m->data);
	if (len > 0xffff - (sk->hdrincl ? 0 : 40))
		return -EMSGSIZE;
	if (sk->hdrincl && len < 20)
		return -EINVAL;
	bool to;
	ip_addr_t ip;
	struct pbuf *p;
	int err = raw_send_prepare(sk, m, sk->hdrincl ? PBUF_LINK : PBUF_IP, &to, &ip, &p);
	if (err < 0)
		return err;
	net_stack_lock();
	err = raw_pcb_send(sk, p, to, &ip);
	net_stack_unlock();
	pbuf_free(p);
	return err < 0 ? err : (ssize_t)len;
}

static int inet_raw_getsockopt(struct task *t, struct socket *s, int level, int name, void *val,
                               size_t *len)
{
	(void)t;
	struct inet_sock *sk = inet_of(s);
	int err;
	net_stack_lock();
	if (level == LINUX_IPPROTO_IP && name == LINUX_IP_HDRINCL && !sk->v6) {
		err = inet_put_int(val, len, sk->hdrincl);
	} else if (level == LINUX_SOL_RAW && name == LINUX_ICMP_FILTER && !sk->v6) {
		if (sk->sock.protocol != LINUX_IPPROTO_ICMP) {
			err = -EOPNOTSUPP;
		} else {
			if (*len > sizeof(sk->icmp_filter))
				*len = sizeof(sk->icmp_filter);
			memcpy(val, &sk->icmp_filter, *len);
			err = 0;
		}
	} else if (level == LINUX_IPPROTO_ICMPV6 && name == LINUX_ICMP6_FILTER && sk->v6) {
		if (*len > sizeof(sk->icmp6_filter))
			*len = sizeof(sk->icmp6_filter);
		memcpy(val, sk->icmp6_filter, *len);
		err = 0;
	} else {
		err = inet_common_getsockopt(sk, level, name, val, len);
	}
	net_stack_unlock();
	return err;
}

static int inet_raw_setsockopt(struct task *t, struct socket *s, int level, int name,
                               const void *val, size_t len)
{
	(void)t;
	struct inet_sock *sk = inet_of(s);
	int err = 0, v;
	net_stack_lock();
	if (level == LINUX_IPPROTO_IP && name == LINUX_IP_HDRINCL && !sk->v6) {
		if ((err = inet_get_int(val, len, &v)) == 0 &&
		    sk->sock.protocol != LINUX_IPPROTO_RAW) {
			sk->hdrincl = v != 0;
			if (sk->hdrincl)
				sk->pcb.raw->flags |= RAW_FLAGS_HDRINCL;
			else
				sk->pcb.raw->flags &= (u8_t)~RAW_FLAGS_HDRINCL;
		}
	} else if (level == LINUX_SOL_RAW && name == LINUX_ICMP_FILTER && !sk->v6) {
		if (sk->sock.protocol != LINUX_IPPROTO_ICMP)
			err = -EOPNOTSUPP;
		else if (len < sizeof(sk->icmp_filter))
			err = -EINVAL;
		else
			memcpy(&sk->icmp_filter, val, sizeof(sk->icmp_filter));
	} else if (level == LINUX_IPPROTO_ICMPV6 && name == LINUX_ICMP6_FILTER && sk->v6) {
		/* Linux takes a shorter filter (the rest passes) and at most its size. */
		memset(sk->icmp6_filter, 0, sizeof(sk->icmp6_filter));
		memcpy(sk->icmp6_filter, val,
		       len < sizeof(sk->icmp6_filter) ? len : sizeof(sk->icmp6_filter));
	} else {
		err = inet_common_setsockopt(sk, level, name, val, len);
	}
	net_stack_unlock();
	return err;
}

const struct socket_ops g_inet_raw_ops = {
	.bind = inet_raw_bind,
	.connect = inet_ping_connect,
	.sendmsg = inet_raw_sendmsg,
	.recvmsg = inet_dgram_recvmsg,
	.shutdown = inet_dgram_shutdown,
	.getsockopt = inet_raw_getsockopt,
	.setsockopt = inet_raw_setsockopt,
	.getname = inet_dgram_getname,
	.readiness = inet_readiness,
	.ioctl = inet_dgram_ioctl,
	.release = inet_dgram_release,
};
