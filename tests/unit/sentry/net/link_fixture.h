/*
 * A link for tests of the stack without a network namespace: interface
 * "eth0" (10.0.0.2/24, MAC 02:00:00:00:00:02, MTU 1500) in the interface
 * table, whose AF_PACKET socket is one end of a non-blocking socketpair.
 * What the stack sends on the link is read from the other end, *peer
 * (4 MiB of buffer: a test that never reads it loses nothing it checks).
 * Call before net_stack_start. Used by tests/unit/sentry/net/test_stack
 * and tests/fuzz/fuzz_net_input.
 */
#ifndef TESTS_UNIT_SENTRY_NET_LINK_FIXTURE_H
#define TESTS_UNIT_SENTRY_NET_LINK_FIXTURE_H

#include <sys/socket.h>

#include "sentry/net/iface.h"
#include "sentry/net/packet_link.h"

/* Returns eth0's interface index, or -1. */
static inline int link_fixture_add_eth0(int *peer)
{
	struct net_iface_info eth = {
		.name = "eth0",
		.flags = NET_IFF_UP | NET_IFF_BROADCAST | NET_IFF_RUNNING | NET_IFF_MULTICAST |
		         NET_IFF_LOWER_UP,
		.mtu = 1500,
		.type = NET_ARPHRD_ETHER,
		.mac = { 0x02, 0, 0, 0, 0, 0x02 },
	};
	int index = net_iface_add(&eth);
	struct net_addr v4 = { .family = LINUX_AF_INET, .prefixlen = 24, .addr = { 10, 0, 0, 2 } };
	int sv[2];
	if (index < 0 || net_iface_add_addr(index, &v4) < 0 ||
	    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) < 0)
		return -1;
	int big = 4 << 20;
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
	if (packet_link_register(index, sv[0]) < 0)
		return -1;
	*peer = sv[1];
	return index;
}

#endif /* TESTS_UNIT_SENTRY_NET_LINK_FIXTURE_H */
