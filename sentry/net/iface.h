/*
 * The sandbox's network interfaces, addresses and routes: the one table
 * that netlink (RTM_GETLINK, RTM_GETADDR, RTM_GETROUTE), the SIOCGIF*
 * ioctls and /proc/net read, and that the inet stack configures its links
 * from (Linux's net_device list, in_ifaddr/inet6_ifaddr and FIB, kept as
 * small as the sandbox needs).
 *
 * Every sandbox has "lo" (index 1, 127.0.0.1/8 and ::1/128, with the
 * local routes Linux adds for them). Other interfaces get the next indexes,
 * or given ones (net_iface_add_at). With --network=sandbox, runsc adds
 * the container namespace's interfaces at boot (net_iface_add,
 * net_route_add) before any task runs; the table is not changed
 * afterwards except for counters and flags, so readers get consistent
 * snapshots under a read lock.
 *
 * Addresses are stored in network byte order; an IPv4 address uses the
 * first 4 bytes of addr[].
 */
#ifndef SENTRY_NET_IFACE_H
#define SENTRY_NET_IFACE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#define NET_IFNAMSIZ       16
#define NET_IFACE_MAX      16
#define NET_IFACE_MAX_ADDR 8
#define NET_ROUTE_MAX      64

/* Linux's IFF_* flags (the ones the sandbox's links use). */
#define NET_IFF_UP        0x1
#define NET_IFF_BROADCAST 0x2
#define NET_IFF_LOOPBACK  0x8
#define NET_IFF_RUNNING   0x40
#define NET_IFF_MULTICAST 0x1000
#define NET_IFF_LOWER_UP  0x10000

/* Linux's ARPHRD_* link types. */
#define NET_ARPHRD_ETHER    1
#define NET_ARPHRD_LOOPBACK 772

/* Linux's RT_SCOPE_* (address and route scopes). */
#define NET_SCOPE_UNIVERSE 0
#define NET_SCOPE_LINK     253
#define NET_SCOPE_HOST     254

struct net_addr {
	uint8_t family; /* LINUX_AF_INET or LINUX_AF_INET6 */
	uint8_t prefixlen;
	uint8_t scope; /* NET_SCOPE_* */
	uint8_t addr[16];
};

/* Counters as /proc/net/dev shows them. */
struct net_iface_stats {
	uint64_t rx_bytes, rx_packets, rx_errors, rx_dropped;
	uint64_t tx_bytes, tx_packets, tx_errors, tx_dropped;
};

/* A snapshot of one interface. */
struct net_iface_info {
	int index;
	char name[NET_IFNAMSIZ];
	unsigned flags; /* NET_IFF_* */
	unsigned mtu;
	unsigned short type; /* NET_ARPHRD_* */
	uint8_t mac[6];      /* zero for loopback */
	int naddr;
	struct net_addr addr[NET_IFACE_MAX_ADDR];
	struct net_iface_stats stats;
};

struct net_route {
	uint8_t family; /* LINUX_AF_INET or LINUX_AF_INET6 */
	uint8_t dst_len;
	uint8_t scope;    /* NET_SCOPE_* */
	uint8_t table;    /* 254 (main) or 255 (local) */
	uint8_t type;     /* 1 unicast, 2 local, 3 broadcast (Linux's RTN_*) */
	uint8_t protocol; /* 2 kernel, 3 boot (Linux's RTPROT_*) */
	bool has_gw, has_prefsrc;
	uint8_t dst[16];
	uint8_t gw[16];
	uint8_t prefsrc[16];
	int oif; /* the interface's index */
	uint32_t metric;
};

/* Sets the table up with lo alone. Idempotent; the boot code calls it before anything else. */
void net_iface_init(void);

/*
 * Adds an interface (boot only): name, type, MTU, MAC and flags from
 * info (index and stats ignored). Returns the new index or -errno
 * (-ENOSPC when the table is full, -EEXIST for a taken name).
 */
int net_iface_add(const struct net_iface_info *info);
/*
 * The same, as index info->index (> 1, not taken: -EEXIST): --network=host
 * shows the host's interfaces under the host's indexes, which a
 * sin6_scope_id passes to host sockets unchanged.
 */
int net_iface_add_at(const struct net_iface_info *info);
/* Adds an address to interface index (boot only); -ENODEV, -ENOSPC. */
int net_iface_add_addr(int index, const struct net_addr *a);
/* Adds a route (boot only); -ENOSPC. */
int net_route_add(const struct net_route *r);

/* Snapshots: up to max entries into out; return how many there are in all. */
int net_iface_list(struct net_iface_info *out, int max);
int net_route_list(struct net_route *out, int max);
/* One interface by index or by name: 0, or -ENODEV. */
int net_iface_get(int index, struct net_iface_info *out);
int net_iface_find(const char *name, struct net_iface_info *out);

/* Counters, for the links: one packet of len bytes. */
void net_iface_count_rx(int index, uint64_t len);
void net_iface_count_tx(int index, uint64_t len);
void net_iface_count_drop(int index, bool rx);

#endif /* SENTRY_NET_IFACE_H */
