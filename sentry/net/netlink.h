/*
 * AF_NETLINK: NETLINK_ROUTE sockets answered from the interface table
 * (iface.h), in two files: netlink.c is the socket (Linux's
 * net/netlink/af_netlink.c: port ids, the receive queue, dumps handed
 * out one datagram at a time) and rtnetlink.c the requests (Linux's
 * net/core/rtnetlink.c, devinet.c, addrconf.c, fib_frontend.c: the
 * RTM_GETLINK, RTM_GETADDR and RTM_GETROUTE dumps and a single
 * RTM_GETLINK).
 *
 * Only NETLINK_ROUTE exists; socket(AF_NETLINK, ..., other) fails with
 * EPROTONOSUPPORT, as Linux does for a protocol with no kernel socket.
 * Multicast groups are accepted and never notified: the table does not
 * change after boot.
 */
#ifndef SENTRY_NET_NETLINK_H
#define SENTRY_NET_NETLINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/abi/linux/netlink.h"
#include "sentry/net/socket.h"

/* socket(AF_NETLINK, type, protocol): a new reference in *out, or -errno. */
int netlink_socket_create(struct task *t, int type, int protocol, unsigned fflags,
                          struct socket **out);

/* ---- Between netlink.c and rtnetlink.c ---- */

/* Messages being built: a growable buffer; a failed allocation sticks (oom). */
struct nl_buf {
	char *data;
	size_t len, cap;
	bool oom;
};

void nl_buf_free(struct nl_buf *b);
/* Starts a message with this header; returns its offset for nl_msg_end. */
size_t nl_msg_begin(struct nl_buf *b, uint16_t type, uint16_t flags, uint32_t seq, uint32_t portid);
/* Appends len bytes, then zeroes up to the next 4-byte boundary. */
void nl_put(struct nl_buf *b, const void *data, size_t len);
/* Appends one attribute (struct rtattr and its payload). */
void nl_attr(struct nl_buf *b, uint16_t type, const void *data, size_t len);
/* Sets the length of the message started at start. */
void nl_msg_end(struct nl_buf *b, size_t start);

/* One request to the route protocol. */
struct rtnl_request {
	const char *msg; /* the whole message, h.nlmsg_len bytes (checked) */
	struct linux_nlmsghdr h;
	uint32_t portid; /* the requester's port id: the replies' nlmsg_pid */
	bool net_admin;  /* the requester has CAP_NET_ADMIN */
	uint32_t uid;    /* the requester's uid (RTA_UID of a route lookup) */
};

/* rtnl_handle's result when out holds a dump (every message, NLMSG_DONE last). */
#define RTNL_DUMP 1

/*
 * Answers r: 0 with out holding one reply datagram (or nothing), RTNL_DUMP,
 * or -errno for an NLMSG_ERROR.
 */
int rtnl_handle(const struct rtnl_request *r, struct nl_buf *out);

#endif /* SENTRY_NET_NETLINK_H */
