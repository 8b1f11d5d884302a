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
 * time, under the socket's rmu) drains the ring and then tells lwIP to
 * open the window (tcp_recved); a writer (one at a time, under wmu)
 * copies into a bounce buffer and hands it to tcp_write under the lock.
 *
 * An AF_INET6 socket is dual-stack unless IPV6_V6ONLY: lwIP pcbs of
 * IPADDR_TYPE_ANY, with IPv4 peers shown as ::ffff:a.b.c.d.
 */
#ifndef SENTRY_NET_INET_H
#define SENTRY_NET_INET_H

struct socket;
struct task;

int inet_socket_create(struct task *t, int family, int type, int protocol, unsigned fflags,
                       struct socket **out);

#endif /* SENTRY_NET_INET_H */
