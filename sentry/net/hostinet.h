/*
 * Host inet sockets for --network=host (gVisor's pkg/sentry/socket/hostinet):
 * AF_INET and AF_INET6 sockets of the application served by host sockets
 * the sentry opens on its behalf. See hostinet.c.
 */
#ifndef SENTRY_NET_HOSTINET_H
#define SENTRY_NET_HOSTINET_H

#include "sentry/net/socket.h"

/*
 * socket(2) of family AF_INET or AF_INET6 in host mode: SOCK_STREAM with
 * protocol 0 or IPPROTO_TCP, SOCK_DGRAM with 0 or IPPROTO_UDP, and the ping
 * sockets (SOCK_DGRAM with IPPROTO_ICMP, or IPPROTO_ICMPV6 for AF_INET6).
 * Anything else fails as Linux's inet_create would (ESOCKTNOSUPPORT,
 * EPROTONOSUPPORT); the host's own refusals (EACCES for a ping socket
 * outside net.ipv4.ping_group_range, EMFILE, ...) come back as they are.
 * Returns 0 and a new reference in *out, or -errno.
 */
int hostinet_socket_create(struct task *t, int family, int type, int protocol, unsigned fflags,
                           struct socket **out);

#endif /* SENTRY_NET_HOSTINET_H */
