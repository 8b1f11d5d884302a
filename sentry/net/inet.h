/*
 * AF_INET and AF_INET6 sockets on the sandbox's own stack (stack.h):
 * TCP (SOCK_STREAM) and UDP (SOCK_DGRAM) with Linux's semantics, over
 * lwIP's raw API.
 *
 * The model (inet.c): each socket owns one lwIP pcb; lwIP's callbacks,
 * which run under the core lock, move what arrives into the socket
 * (a byte ring for TCP, a datagram queue for UDP), set its pending
 * error, and publish its poll readiness in an atomic word before
 * notifying its wait queue. Readiness is therefore read without any
 * lock (epoll asks for it under its own lock). Data is copied between
 * guest memory and the socket outside the core lock: a reader (one at a
 * time, under the socket's rmu) drains the ring; a writer (one at a time,
 * under wmu) copies into a bounce buffer and hands it to tcp_write under
 * the lock. inet.c has what the protocols share; inet_tcp.c is TCP,
 * inet_udp.c UDP (and the datagram queue ping and raw sockets share),
 * inet_raw.c ping and raw sockets.
 *
 * An AF_INET6 socket is dual-stack unless IPV6_V6ONLY: lwIP pcbs of
 * IPADDR_TYPE_ANY, with IPv4 peers shown as ::ffff:a.b.c.d.
 */
#ifndef SENTRY_NET_INET_H
#define SENTRY_NET_INET_H

#include <stdbool.h>
#include <stdint.h>

struct socket;
struct task;

int inet_socket_create(struct task *t, int family, int type, int protocol, unsigned fflags,
                       struct socket **out);

/* One socket or connection as /proc/net/{tcp,tcp6,udp,udp6} show it. */
struct inet_sock_info {
	uint8_t laddr[16], raddr[16]; /* network order: 4 bytes (tcp, udp) or 16 (tcp6, udp6) */
	uint16_t lport, rport;
	int state; /* Linux's TCP_* state (UDP: 7 unconnected, 1 connected) */
	uint32_t txq, rxq;
	uint32_t uid;
	uint64_t ino; /* 0 for a connection whose socket is closed (TIME_WAIT) */
};
typedef void (*inet_visit_fn)(const struct inet_sock_info *i, void *arg);

/*
 * Calls fn for each TCP (tcp true) or UDP endpoint of the table v6 or not
 * (AF_INET6 sockets, whose IPv4 addresses are shown mapped), under the
 * core lock: fn must not block or call into the stack.
 */
void inet_foreach(bool tcp, bool v6, inet_visit_fn fn, void *arg);

#endif /* SENTRY_NET_INET_H */
