/*
 * --network=sandbox on the runtime's side: the container network
 * namespace's interfaces handed over to the sentry (docs/network.md;
 * gVisor's runsc/sandbox/network.go).
 *
 * `runsc boot` runs in the container's network namespace (runsc create
 * joined linux.namespaces' network path before executing it) and is still
 * privileged. When the namespace has interfaces besides lo, it calls
 * runsc_net_scan, then runsc_net_take_over, and hands the result to the
 * sentry in struct sandbox_config (links, routes), which sandbox_new turns
 * into the sandbox's interface table (sentry/net/iface.h) and packet links
 * (sentry/net/packet_link.h) before any task runs.
 *
 * What is copied, from rtnetlink dumps (RTM_GETLINK, RTM_GETADDR,
 * RTM_GETROUTE):
 *   - each Ethernet interface that is up (not lo, not tunnels such as
 *     sit0: those are left alone, logged at debug level): name, the
 *     namespace's index, MTU, MAC, the IFF_* flags iface.h knows;
 *   - its IPv4 and IPv6 addresses with prefix length and scope, the IPv6
 *     link-local one (fe80::/64) included: it is derived from the MAC the
 *     sandbox keeps, so neighbour discovery on the link sees the same
 *     address before and after;
 *   - the routes of the main table through those interfaces that the
 *     kernel did not make for an address (protocol other than
 *     RTPROT_KERNEL): the default gateway, static routes. The sentry adds
 *     the address routes itself (net_iface_add_addr). Multipath routes are
 *     left out with a warning.
 *
 * Taking over: for each interface, an AF_PACKET SOCK_RAW socket bound to
 * it with ETH_P_ALL, PACKET_VNET_HDR (checksum and GSO offload info per
 * frame), PACKET_IGNORE_OUTGOING and a 4 MiB receive buffer; then every
 * address is deleted from the host side (RTM_DELADDR) so that the host
 * kernel neither answers ARP for them nor resets TCP connections meant for
 * the sandbox, and the interface's IPv6 is disabled (the conf's
 * disable_ipv6 and accept_ra: no SLAAC address comes back after a router
 * advertisement). The sandbox keeps the interface's MAC. The routes go
 * with the addresses. Nothing is put back at the end: the namespace
 * belongs to the container.
 *
 * Refused: the host's own network namespace (the same as pid 1's), so a
 * misconfiguration never takes the host's interfaces away; runsc_net_scan
 * then returns -EPERM.
 */
#ifndef RUNSC_CLI_NETWORK_H
#define RUNSC_CLI_NETWORK_H

#include <stddef.h>

#include "sentry/boot/boot.h"
#include "sentry/net/iface.h"

struct runsc_net {
	int nlinks;
	/* info.index is the namespace's index; fd is -1 until runsc_net_take_over. */
	struct sandbox_link links[NET_IFACE_MAX - 1];
	int nroutes;
	struct net_route routes[NET_ROUTE_MAX]; /* oif: the namespace's index */
};

/*
 * Reads the calling thread's network namespace into out. Returns 0 (out->nlinks
 * 0: nothing to take over), or -errno with a message in err.
 */
int runsc_net_scan(struct runsc_net *out, char *err, size_t errlen);

/*
 * The same reading of the calling thread's namespace, wherever it is:
 * --network=host shows the host's interfaces in the sandbox's table
 * (netlink, the SIOCGIF* ioctls, /proc/net), under the host's indexes,
 * without taking them over.
 */
int runsc_net_read(struct runsc_net *out, char *err, size_t errlen);

/*
 * Opens each link's packet socket, then removes its addresses from the
 * host side, as above. Returns 0, or -errno with a message in err (the
 * sockets opened so far are closed again).
 */
int runsc_net_take_over(struct runsc_net *n, char *err, size_t errlen);

/* Closes the sockets n still holds (after a failure; sandbox_new consumes them otherwise). */
void runsc_net_close(struct runsc_net *n);

/* Prints n as `ip addr` and `ip route` would, one line per item (debug logs, tests). */
void runsc_net_describe(const struct runsc_net *n, char *buf, size_t size);

#endif /* RUNSC_CLI_NETWORK_H */
