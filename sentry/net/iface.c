/*
 * The sandbox's interface table (iface.h): a fixed array under a
 * read-write lock, with atomic counters beside it so that links count
 * packets without taking the lock.
 */
#include "sentry/net/iface.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>

#include "sentry/net/socket.h"

struct iface_counters {
	_Atomic uint64_t rx_bytes, rx_packets, rx_dropped;
	_Atomic uint64_t tx_bytes, tx_packets, tx_dropped;
};

static struct {
	pthread_rwlock_t lock;
	pthread_once_t once;
	int niface;
	/* In the order added; lo first. Indexes are 1, 2, ... unless given (net_iface_add_at). */
	struct net_iface_info iface[NET_IFACE_MAX];
	struct iface_counters count[NET_IFACE_MAX];
	int nroute;
	struct net_route route[NET_ROUTE_MAX];
} g_ifaces = { .lock = PTHREAD_RWLOCK_INITIALIZER, .once = PTHREAD_ONCE_INIT };

/* The slot of interface index, or -1. Caller holds the lock (or counts: see counters). */
static int slot_of(int index)
{
	for (int i = 0; i < g_ifaces.niface; i++) {
		if (g_ifaces.iface[i].index == index)
			return i;
	}
	return -1;
}

static void add_route_locked(const struct net_route *r)
{
	if (g_ifaces.nroute < NET_ROUTE_MAX)
		g_ifaces.route[g_ifaces.nroute++] = *r;
}

/* The routes Linux adds for a new address: local (table local) and its prefix (table main). */
static void add_address_routes_locked(int index, const struct net_addr *a)
{
	struct net_route r = { .family = a->family, .oif = index, .protocol = 2 };
	size_t alen = a->family == LINUX_AF_INET ? 4 : 16;
	/* The host route to the address itself. */
	r.table = 255;
	r.type = 2;
	r.scope = NET_SCOPE_HOST;
	r.dst_len = (uint8_t)(alen * 8);
	memcpy(r.dst, a->addr, alen);
	r.has_prefsrc = a->family == LINUX_AF_INET;
	memcpy(r.prefsrc, a->addr, alen);
	if (a->family == LINUX_AF_INET && a->prefixlen < 32) {
		/* For IPv4, the whole loopback prefix is local, others get a link route. */
		struct net_route p = r;
		p.dst_len = a->prefixlen;
		memset(p.dst, 0, sizeof(p.dst));
		for (int bit = 0; bit < a->prefixlen; bit++)
			p.dst[bit / 8] |= (uint8_t)(a->addr[bit / 8] & (0x80 >> (bit % 8)));
		if (g_ifaces.iface[slot_of(index)].flags & NET_IFF_LOOPBACK) {
			add_route_locked(&p);
		} else {
			p.table = 254;
			p.type = 1;
			p.scope = NET_SCOPE_LINK;
			add_route_locked(&p);
		}
	}
	add_route_locked(&r);
	if (a->family == LINUX_AF_INET && a->prefixlen < 31) {
		/* fib_add_ifaddr's broadcast route: the prefix's last address, table local. */
		struct net_route b = r;
		b.type = 3;
		b.scope = NET_SCOPE_LINK;
		for (int bit = a->prefixlen; bit < 32; bit++)
			b.dst[bit / 8] |= (uint8_t)(0x80 >> (bit % 8));
		add_route_locked(&b);
	}
	bool loopback = g_ifaces.iface[slot_of(index)].flags & NET_IFF_LOOPBACK;
	if (a->family == LINUX_AF_INET6 && !loopback && a->prefixlen < 128) {
		struct net_route p = { .family = LINUX_AF_INET6, .oif = index, .protocol = 2 };
		p.table = 254;
		p.type = 1;
		p.scope = NET_SCOPE_UNIVERSE;
		p.dst_len = a->prefixlen;
		p.metric = 256;
		for (int bit = 0; bit < a->prefixlen; bit++)
			p.dst[bit / 8] |= (uint8_t)(a->addr[bit / 8] & (0x80 >> (bit % 8)));
		add_route_locked(&p);
	}
	if (a->family == LINUX_AF_INET6 && loopback) {
		/* Linux's "::1 dev lo proto kernel metric 256" in the main table. */
		struct net_route p = r;
		p.table = 254;
		p.type = 1;
		p.scope = NET_SCOPE_UNIVERSE;
		p.has_prefsrc = false;
		p.metric = 256;
		add_route_locked(&p);
	}
}

static int add_addr_locked(int index, const struct net_addr *a)
{
	int slot = slot_of(index);
	if (slot < 0)
		return -ENODEV;
	if (a->family != LINUX_AF_INET && a->family != LINUX_AF_INET6)
		return -EAFNOSUPPORT;
	if (a->prefixlen > (a->family == LINUX_AF_INET ? 32 : 128))
		return -EINVAL;
	struct net_iface_info *i = &g_ifaces.iface[slot];
	if (i->naddr == NET_IFACE_MAX_ADDR)
		return -ENOSPC;
	i->addr[i->naddr++] = *a;
	add_address_routes_locked(index, a);
	return 0;
}

static void init_once(void)
{
	pthread_rwlock_wrlock(&g_ifaces.lock);
	struct net_iface_info *lo = &g_ifaces.iface[0];
	memset(lo, 0, sizeof(*lo));
	lo->index = 1;
	strcpy(lo->name, "lo");
	lo->flags = NET_IFF_UP | NET_IFF_LOOPBACK | NET_IFF_RUNNING | NET_IFF_LOWER_UP;
	lo->mtu = 65536;
	lo->type = NET_ARPHRD_LOOPBACK;
	g_ifaces.niface = 1;
	struct net_addr v4 = { .family = LINUX_AF_INET,
		               .prefixlen = 8,
		               .scope = NET_SCOPE_HOST,
		               .addr = { 127, 0, 0, 1 } };
	struct net_addr v6 = { .family = LINUX_AF_INET6,
		               .prefixlen = 128,
		               .scope = NET_SCOPE_HOST };
	v6.addr[15] = 1;
	add_addr_locked(1, &v4);
	add_addr_locked(1, &v6);
	pthread_rwlock_unlock(&g_ifaces.lock);
}

void net_iface_init(void)
{
	pthread_once(&g_ifaces.once, init_once);
}

/* Adds info as index (0: the next after the largest). Returns the index or -errno. */
static int add_iface(const struct net_iface_info *info, int index)
{
	net_iface_init();
	pthread_rwlock_wrlock(&g_ifaces.lock);
	int ret;
	if (g_ifaces.niface == NET_IFACE_MAX) {
		ret = -ENOSPC;
		goto out;
	}
	int largest = 0;
	for (int i = 0; i < g_ifaces.niface; i++) {
		if (strncmp(g_ifaces.iface[i].name, info->name, NET_IFNAMSIZ) == 0 ||
		    g_ifaces.iface[i].index == index) {
			ret = -EEXIST;
			goto out;
		}
		if (g_ifaces.iface[i].index > largest)
			largest = g_ifaces.iface[i].index;
	}
	struct net_iface_info *n = &g_ifaces.iface[g_ifaces.niface++];
	*n = *info;
	n->name[NET_IFNAMSIZ - 1] = '\0';
	n->naddr = 0;
	memset(&n->stats, 0, sizeof(n->stats));
	n->index = index ? index : largest + 1;
	ret = n->index;
out:
	pthread_rwlock_unlock(&g_ifaces.lock);
	return ret;
}

int net_iface_add(const struct net_iface_info *info)
{
	return add_iface(info, 0);
}

int net_iface_add_at(const struct net_iface_info *info)
{
	if (info->index <= 1)
		return -EINVAL; /* 1 is lo's */
	return add_iface(info, info->index);
}

int net_iface_add_addr(int index, const struct net_addr *a)
{
	net_iface_init();
	pthread_rwlock_wrlock(&g_ifaces.lock);
	int ret = add_addr_locked(index, a);
	pthread_rwlock_unlock(&g_ifaces.lock);
	return ret;
}

int net_route_add(const struct net_route *r)
{
	net_iface_init();
	pthread_rwlock_wrlock(&g_ifaces.lock);
	int ret = g_ifaces.nroute < NET_ROUTE_MAX ? 0 : -ENOSPC;
	if (ret == 0)
		add_route_locked(r);
	pthread_rwlock_unlock(&g_ifaces.lock);
	return ret;
}

/* Copies interface i with its current counters. Caller holds the lock. */
static void snapshot_locked(int i, struct net_iface_info *out)
{
	*out = g_ifaces.iface[i];
	const struct iface_counters *c = &g_ifaces.count[i];
	out->stats.rx_bytes = atomic_load(&c->rx_bytes);
	out->stats.rx_packets = atomic_load(&c->rx_packets);
	out->stats.rx_dropped = atomic_load(&c->rx_dropped);
	out->stats.tx_bytes = atomic_load(&c->tx_bytes);
	out->stats.tx_packets = atomic_load(&c->tx_packets);
	out->stats.tx_dropped = atomic_load(&c->tx_dropped);
}

int net_iface_list(struct net_iface_info *out, int max)
{
	net_iface_init();
	pthread_rwlock_rdlock(&g_ifaces.lock);
	int n = g_ifaces.niface;
	for (int i = 0; i < n && i < max; i++)
		snapshot_locked(i, &out[i]);
	pthread_rwlock_unlock(&g_ifaces.lock);
	return n;
}

int net_route_list(struct net_route *out, int max)
{
	net_iface_init();
	pthread_rwlock_rdlock(&g_ifaces.lock);
	int n = g_ifaces.nroute;
	for (int i = 0; i < n && i < max; i++)
		out[i] = g_ifaces.route[i];
	pthread_rwlock_unlock(&g_ifaces.lock);
	return n;
}

int net_iface_get(int index, struct net_iface_info *out)
{
	net_iface_init();
	pthread_rwlock_rdlock(&g_ifaces.lock);
	int ret = -ENODEV;
	int slot = slot_of(index);
	if (slot >= 0) {
		snapshot_locked(slot, out);
		ret = 0;
	}
	pthread_rwlock_unlock(&g_ifaces.lock);
	return ret;
}

int net_iface_find(const char *name, struct net_iface_info *out)
{
	net_iface_init();
	pthread_rwlock_rdlock(&g_ifaces.lock);
	int ret = -ENODEV;
	for (int i = 0; i < g_ifaces.niface; i++) {
		if (strncmp(g_ifaces.iface[i].name, name, NET_IFNAMSIZ) == 0) {
			snapshot_locked(i, out);
			ret = 0;
			break;
		}
	}
	pthread_rwlock_unlock(&g_ifaces.lock);
	return ret;
}

static struct iface_counters *counters(int index)
{
	/* Interfaces are only added at boot, before any link counts: no lock needed. */
	int slot = slot_of(index);
	return slot < 0 ? NULL : &g_ifaces.count[slot];
}

void net_iface_count_rx(int index, uint64_t len)
{
	struct iface_counters *c = counters(index);
	if (c) {
		atomic_fetch_add_explicit(&c->rx_packets, 1, memory_order_relaxed);
		atomic_fetch_add_explicit(&c->rx_bytes, len, memory_order_relaxed);
	}
}

void net_iface_count_tx(int index, uint64_t len)
{
	struct iface_counters *c = counters(index);
	if (c) {
		atomic_fetch_add_explicit(&c->tx_packets, 1, memory_order_relaxed);
		atomic_fetch_add_explicit(&c->tx_bytes, len, memory_order_relaxed);
	}
}

void net_iface_count_drop(int index, bool rx)
{
	struct iface_counters *c = counters(index);
	if (c)
		atomic_fetch_add_explicit(rx ? &c->rx_dropped : &c->tx_dropped, 1,
		                          memory_order_relaxed);
}
