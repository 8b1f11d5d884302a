/*
 * What inet.c (addresses, options), inet_tcp.c, inet_udp.c and
 * inet_raw.c share.
 * Everything not atomic in struct inet_sock is under the core lock
 * (net_stack_lock), unless noted.
 */
#ifndef SENTRY_NET_INET_IMPL_H
#define SENTRY_NET_INET_IMPL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <lwip/ip_addr.h>

#include "common/abi/linux/inet.h"
#include "sentry/net/socket.h"

/* What a socket is doing, as far as the socket layer cares (lwIP knows the TCP states). */
enum inet_state {
	INET_NEW,        /* not connected (bound or not) */
	INET_LISTEN,     /* TCP listener */
	INET_CONNECTING, /* TCP SYN sent */
	INET_CONNECTED,  /* TCP established (even half-closed); UDP connected */
	INET_DONE,       /* TCP: the connection is over (reset, timed out or closed) */
};

struct dgram;

struct inet_sock {
	struct socket sock;       /* first */
	bool v6;                  /* AF_INET6 */
	pthread_mutex_t rmu, wmu; /* one reader, one writer at a time; taken before the core lock */
	_Atomic uint32_t ready;   /* LINUX_POLL* bits, stored under the core lock */

	enum inet_state state;
	union {
		struct tcp_pcb *tcp;
		struct udp_pcb *udp;
		struct raw_pcb *raw; /* a ping socket's */
		void *any;
	} pcb;              /* NULL once lwIP freed it (a reset) or the socket let it go */
	int err;            /* pending SO_ERROR (a positive errno) */
	bool was_connected; /* TCP: the connection was established once */
	bool fin;           /* TCP: the peer sent FIN */
	bool rd_shut, wr_shut;
	bool v6only, reuseport, broadcast, nodelay, cork, quickack;
	bool recverr;    /* IP_RECVERR or IPV6_RECVERR: kept; the error queue stays empty */
	uint16_t maxseg; /* TCP_MAXSEG: 0, or the most a segment carries */
	/* TCP: a non-blocking connect whose outcome the next connect(2) reports (Linux's
	 * SS_CONNECTING). */
	bool connect_pending;
	/* TCP: a connection its listener closed before accept(2) took it: reset at release. */
	bool reset_on_close;
	/* TCP: the address the application bound, for a new pcb after a failed connect. */
	bool user_bound;
	ip_addr_t bound_ip;
	uint16_t bound_port;
	int tos, ttl;                             /* -1: the default */
	uint32_t keep_idle, keep_intvl, keep_cnt; /* seconds, seconds, probes */

	/* TCP receive ring, made with the first data: written under the core lock, read under rmu.
	 */
	char *ring;
	size_t ring_cap;
	_Atomic size_t ring_head, ring_tail; /* bytes consumed, bytes produced */

	/*
	 * TCP SO_REUSEPORT listeners of one address and port share the
	 * owner's lwIP listener: the owner heads the list of members
	 * (rp_next); a member's rp_owner is the owner; rp_turn, on the
	 * owner, is the member the next connection goes to.
	 */
	struct inet_sock *rp_owner, *rp_next, *rp_turn;

	/* TCP listener: connections accepted by lwIP, not yet by the app. */
	struct inet_sock **acq;
	int acq_len, acq_cap, backlog;

	/* Ping: the echo identifier (the "port"), 0 until bound or first sent. */
	uint16_t ping_id;
	/* Raw: IP_HDRINCL, and the ICMP types ICMP_FILTER and ICMP6_FILTER drop (a bit each). */
	bool hdrincl;
	uint32_t icmp_filter;
	uint32_t icmp6_filter[8];

	/* UDP and ping: the datagrams received, dq_bytes counted against SO_RCVBUF. */
	struct dgram *dq_head, *dq_tail;
	size_t dq_bytes;
};

static inline struct inet_sock *inet_of(struct socket *s)
{
	return (struct inet_sock *)(void *)s;
}

/* Address conversion. addr and len are what the app passed. */
int inet_addr_in(struct inet_sock *sk, const void *addr, size_t len, ip_addr_t *ip, uint16_t *port);
/* Writes ip:port as the socket's family shows it; returns the length. */
size_t inet_addr_out(const struct inet_sock *sk, const ip_addr_t *ip, uint16_t port, void *out);
/* Whether a connect to addr is one to AF_UNSPEC: a datagram socket's disconnect. */
bool inet_addr_unspec(const void *addr, size_t len);
/* Whether ip may be bound: any, a local address, or (UDP) multicast. */
bool inet_addr_local(const ip_addr_t *ip);
/* Whether ip is a link-local IPv6 address given without its interface (Linux: EINVAL). */
bool inet_addr_needs_scope(const ip_addr_t *ip);
/* Linux's "connect or send to any address means this host": 127.0.0.1 or ::1. */
void inet_any_to_loopback(const struct inet_sock *sk, ip_addr_t *ip);
/* The lwIP address type for a pcb of this socket: V4, V6 (v6only) or ANY. */
uint8_t inet_pcb_type(const struct inet_sock *sk);

/*
 * Stores the socket's readiness mask and notifies its waiters of what
 * became true, and of events (that happened again). Core lock held.
 */
void inet_publish(struct inet_sock *sk, uint32_t mask, uint32_t events);

/*
 * Runs try (under the core lock) until it does not return -EAGAIN,
 * waiting on the socket between tries for events in mask; the wait
 * follows SO_RCVTIMEO (rcv) or SO_SNDTIMEO and MSG_DONTWAIT.
 */
typedef long (*inet_try_fn)(struct inet_sock *sk, void *arg);
long inet_wait(struct task *t, struct inet_sock *sk, int flags, bool rcv, inet_try_fn try,
               void *arg);

/* Linux's TCP states (include/net/tcp_states.h): TCP_INFO, /proc/net. */
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

/* Bytes in a TCP socket's receive ring, not yet read. */
static inline size_t ring_used(const struct inet_sock *sk)
{
	return atomic_load(&sk->ring_tail) - atomic_load(&sk->ring_head);
}

/* A new socket of family, type and protocol with ops, its pcb not made yet (NULL t: a kernel one).
 */
struct inet_sock *inet_alloc(struct task *t, const struct socket_ops *ops, int family, int type,
                             int protocol, unsigned fflags);
/* The readiness op of every inet socket: the published mask. */
uint32_t inet_readiness(struct socket *s, uint32_t mask);
/* Whether two local addresses overlap for a port's binding (any, or the same address). */
bool inet_addrs_overlap(const ip_addr_t *a, const ip_addr_t *b);
/* Linux's inet_port_requires_bind_service: EACCES for port < 1024 without the capability. */
int inet_check_port_privilege(struct task *t, uint16_t port);
/* An int option's value out (truncated to *len, as Linux) and in (EINVAL if short). */
int inet_put_int(void *val, size_t *len, int v);
int inet_get_int(const void *val, size_t len, int *v);

/* TCP (inet_tcp.c), its options and ioctls (inet_tcp_opt.c). */
extern const struct socket_ops g_inet_tcp_ops;
int inet_tcp_open(struct inet_sock *sk);
struct tcp_pcb;
uint8_t inet_tcp_linux_state(const struct tcp_pcb *p);
int inet_tcp_getsockopt(struct task *t, struct socket *s, int level, int name, void *val,
                        size_t *len);
int inet_tcp_setsockopt(struct task *t, struct socket *s, int level, int name, const void *val,
                        size_t len);
void inet_tcp_sockopt_changed(struct socket *s, int name);
long inet_tcp_ioctl(struct task *t, struct socket *s, unsigned cmd, uint64_t arg);
/* Lowers a connection's MSS to TCP_MAXSEG's value, if set. Core lock held. */
void inet_tcp_apply_maxseg(struct inet_sock *sk);

/* UDP's half (inet_udp.c). */
extern const struct socket_ops g_inet_udp_ops;
int inet_udp_open(struct inet_sock *sk);
/*
 * The datagram side UDP, ping and raw sockets share (inet_udp.c): the
 * queue of received datagrams and the operations over it.
 */
struct pbuf;
/* Queues a copy of p from offset with its source; p stays the caller's. Core lock held. */
void inet_dgram_queue(struct inet_sock *sk, struct pbuf *p, uint16_t offset, const ip_addr_t *src,
                      uint16_t port);
/* Publishes a datagram socket's readiness. Core lock held. */
void inet_dgram_update(struct inet_sock *sk);
ssize_t inet_dgram_recvmsg(struct task *t, struct socket *s, struct sock_msg *m, int flags);
int inet_dgram_shutdown(struct socket *s, int how);
int inet_dgram_getsockopt(struct task *t, struct socket *s, int level, int name, void *val,
                          size_t *len);
int inet_dgram_setsockopt(struct task *t, struct socket *s, int level, int name, const void *val,
                          size_t len);
int inet_dgram_getname(struct socket *s, bool peer, void *addr, size_t *len);
long inet_dgram_ioctl(struct task *t, struct socket *s, unsigned cmd, uint64_t arg);
void inet_dgram_release(struct socket *s);
/* Starts the two raw pcbs that hand ICMP errors to connected UDP sockets (once). */
void inet_icmp_errors_start(void);

/* Ping sockets (inet_raw.c): the datagram side, ICMP echo for sending. */
extern const struct socket_ops g_inet_ping_ops;
int inet_ping_open(struct inet_sock *sk);
/* Raw sockets (SOCK_RAW of an IP protocol): the same, with a copy of each packet. */
extern const struct socket_ops g_inet_raw_ops;
int inet_raw_open(struct inet_sock *sk);
/* Lets a ping or raw socket's pcb go (and a ping socket's identifier). Core lock held. */
void inet_raw_pcb_remove(struct inet_sock *sk);

/* Options every inet socket has (IP_*, IPV6_*, SO_* the family answers). -ENOPROTOOPT if not one.
 */
int inet_common_getsockopt(struct inet_sock *sk, int level, int name, void *val, size_t *len);
int inet_common_setsockopt(struct inet_sock *sk, int level, int name, const void *val, size_t len);

/* The last reference went: common teardown after the protocol's. */
void inet_free(struct inet_sock *sk);

#endif /* SENTRY_NET_INET_IMPL_H */
