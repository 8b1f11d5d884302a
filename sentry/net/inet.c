/*
 * AF_INET and AF_INET6 sockets (inet.h): creation, addresses, waiting,
 * readiness, the options every inet socket shares, and the listing of
 * endpoints for /proc/net. The protocols are inet_tcp.c (TCP), inet_udp.c
 * (UDP) and inet_raw.c (ping and raw sockets).
 */
#include "sentry/net/inet.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <lwip/ip.h>
#include <lwip/priv/tcp_priv.h>
#include <lwip/tcp.h>
#include <lwip/udp.h>

#include "common/abi/linux/inet.h"
#include "common/abi/linux/capability.h"
#include "sentry/kernel/task.h"
#include "sentry/net/iface.h"
#include "sentry/net/inet_impl.h"
#include "sentry/net/stack.h"

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

bool inet_addr_unspec(const void *addr, size_t len)
{
	uint16_t family;
	if (len < sizeof(family))
		return false;
	memcpy(&family, addr, sizeof(family));
	return family == LINUX_AF_UNSPEC;
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

uint32_t inet_readiness(struct socket *s, uint32_t mask)
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

struct inet_sock *inet_alloc(struct task *t, const struct socket_ops *ops, int family, int type,
                             int protocol, unsigned fflags)
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

bool inet_addrs_overlap(const ip_addr_t *a, const ip_addr_t *b)
{
	if (IP_IS_ANY_TYPE_VAL(*a) || IP_IS_ANY_TYPE_VAL(*b))
		return true;
	if (IP_GET_TYPE(a) != IP_GET_TYPE(b))
		return false;
	return ip_addr_isany(a) || ip_addr_isany(b) || ip_addr_cmp(a, b);
}

/* Linux's inet_port_requires_bind_service. */
int inet_check_port_privilege(struct task *t, uint16_t port)
{
	if (port && port < 1024 && t && !creds_capable(&t->creds, LINUX_CAP_NET_BIND_SERVICE))
		return -EACCES;
	return 0;
}

/* ---- Options ---- */

int inet_put_int(void *val, size_t *len, int v)
{
	if (*len > sizeof(int))
		*len = sizeof(int);
	memcpy(val, &v, *len);
	return 0;
}

int inet_get_int(const void *val, size_t len, int *v)
{
	if (len < sizeof(int))
		return -EINVAL;
	memcpy(v, val, sizeof(int));
	return 0;
}

/*
 * The local port the socket is bound to (0: none): a ping socket's
 * identifier; a raw socket has none. Core lock held.
 */
static uint16_t bound_port(const struct inet_sock *sk)
{
	if (!sk->pcb.any)
		return 0;
	if (sk->sock.ops == &g_inet_tcp_ops)
		return sk->pcb.tcp->local_port;
	if (sk->sock.ops == &g_inet_udp_ops)
		return sk->pcb.udp->local_port;
	return sk->ping_id;
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
			return inet_put_int(val, len, e);
		}
		case LINUX_SO_REUSEPORT:
			return inet_put_int(val, len, sk->reuseport);
		case LINUX_SO_BROADCAST:
			return inet_put_int(val, len, sk->broadcast);
		case LINUX_SO_ACCEPTCONN:
			return inet_put_int(val, len, sk->state == INET_LISTEN);
		default:
			return -ENOPROTOOPT;
		}
	}
	if (level == LINUX_IPPROTO_IP) {
		switch (name) {
		case LINUX_IP_TOS:
			return inet_put_int(val, len, sk->tos < 0 ? 0 : sk->tos);
		case LINUX_IP_TTL:
			return inet_put_int(val, len, sk->ttl < 0 ? 64 : sk->ttl);
		case LINUX_IP_RECVERR:
			return inet_put_int(val, len, sk->recverr);
		default:
			return -ENOPROTOOPT;
		}
	}
	if (level == LINUX_IPPROTO_IPV6) {
		if (!sk->v6)
			return -EOPNOTSUPP; /* ip_getsockopt: not its level */
		switch (name) {
		case LINUX_IPV6_V6ONLY:
			return inet_put_int(val, len, sk->v6only);
		case LINUX_IPV6_RECVERR:
			return inet_put_int(val, len, sk->recverr);
		case LINUX_IPV6_UNICAST_HOPS:
			return inet_put_int(val, len, sk->ttl < 0 ? 64 : sk->ttl);
		case LINUX_IPV6_TCLASS:
			return inet_put_int(val, len, sk->tos < 0 ? 0 : sk->tos);
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
			if ((err = inet_get_int(val, len, &v)) < 0)
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
			/* Kept; the error queue stays empty (MSG_ERRQUEUE: EAGAIN),
			 * docs/network.md. */
			if ((err = inet_get_int(val, len, &v)) < 0)
				return err;
			sk->recverr = v != 0;
			return 0;
		default:
			return -ENOPROTOOPT;
		}
	}
	if (level == LINUX_IPPROTO_IPV6) {
		if (!sk->v6)
			return -ENOPROTOOPT;
		if ((err = inet_get_int(val, len, &v)) < 0)
			return err;
		switch (name) {
		case LINUX_IPV6_V6ONLY:
			/* Linux: only before the socket is bound. */
			if (bound_port(sk))
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
			sk->recverr = v != 0;
			return 0;
		default:
			return -ENOPROTOOPT;
		}
	}
	return -ENOPROTOOPT;
}

void inet_free(struct inet_sock *sk)
{
	pthread_mutex_destroy(&sk->rmu);
	pthread_mutex_destroy(&sk->wmu);
	socket_destroy(&sk->sock);
	free(sk);
}

/* ---- Creation ---- */

/* Linux's inet_create for SOCK_RAW: a protocol, and CAP_NET_RAW. */
static int inet_raw_create(struct task *t, int family, int protocol, unsigned fflags,
                           struct socket **out)
{
	if (protocol == 0)
		return -EPROTONOSUPPORT;
	if (t && !creds_capable(&t->creds, LINUX_CAP_NET_RAW))
		return -EPERM;
	int err = net_stack_start();
	if (err < 0)
		return err;
	struct inet_sock *sk =
	        inet_alloc(t, &g_inet_raw_ops, family, LINUX_SOCK_RAW, protocol, fflags);
	if (!sk)
		return -ENOMEM;
	err = inet_raw_open(sk);
	if (err < 0) {
		file_put(&sk->sock.file);
		return err;
	}
	*out = &sk->sock;
	return 0;
}

int inet_socket_create(struct task *t, int family, int type, int protocol, unsigned fflags,
                       struct socket **out)
{
	bool stream = type == LINUX_SOCK_STREAM;
	/* Linux's inet_create: IPPROTO_MAX is 263. */
	if (protocol < 0 || protocol >= 263)
		return -EINVAL;
	if (type == LINUX_SOCK_RAW)
		return inet_raw_create(t, family, protocol, fflags, out);
	if (!stream && type != LINUX_SOCK_DGRAM)
		return -ESOCKTNOSUPPORT;
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
	if (stream)
		err = inet_tcp_open(sk);
	else if (ping)
		err = inet_ping_open(sk);
	else
		err = inet_udp_open(sk);
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
	struct inet_sock_info i = {
		.lport = p->local_port,
		.rport = p->state == LISTEN ? 0 : p->remote_port,
		.state = inet_tcp_linux_state(p),
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
