/*
 * The interface ioctls (see iface_ioctl.h), as Linux 6.1 answers them on
 * any socket:
 *
 *   SIOCGIFCONF              dev_ifconf: one struct ifreq per IPv4 address
 *                            (name and sockaddr_in); with ifc_buf NULL,
 *                            only the length needed; entries that do not
 *                            fit whole are left out;
 *   SIOCGIFNAME              by ifr_ifindex;
 *   SIOCGIFFLAGS, METRIC, MTU, INDEX, TXQLEN, MAP, HWADDR
 *                            dev_ifsioc_locked and dev_get_mac_address, by
 *                            ifr_name (an alias's ":N" is cut off);
 *   SIOCGIFADDR, NETMASK, BRDADDR, DSTADDR
 *                            devinet_ioctl, on AF_INET sockets only (any
 *                            other family says ENOTTY, as dev_ioctl does);
 *                            a link without an IPv4 address, or an alias
 *                            name, gives EADDRNOTAVAIL.
 *
 * An unknown name is ENODEV. The setters (SIOCSIF*, SIOCADDRT, ...) fail
 * with EPERM: the table is fixed after boot, and Linux says EPERM to a
 * caller without CAP_NET_ADMIN in its namespace, which is what the
 * sandbox's tasks are with respect to its table.
 */
#include "sentry/net/iface_ioctl.h"

#include <string.h>

#include "common/abi/linux/errno.h"
#include "common/abi/linux/netlink.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"
#include "sentry/net/iface.h"
#include "sentry/net/socket.h"

/* Linux's default tx_queue_len. */
#define IFACE_TXQLEN 1000

static bool is_setter(unsigned cmd)
{
	switch (cmd) {
	case LINUX_SIOCADDRT:
	case LINUX_SIOCDELRT:
	case LINUX_SIOCSIFLINK:
	case LINUX_SIOCSIFFLAGS:
	case LINUX_SIOCSIFADDR:
	case LINUX_SIOCSIFDSTADDR:
	case LINUX_SIOCSIFBRDADDR:
	case LINUX_SIOCSIFNETMASK:
	case LINUX_SIOCSIFMETRIC:
	case LINUX_SIOCSIFMTU:
	case LINUX_SIOCSIFNAME:
	case LINUX_SIOCSIFHWADDR:
	case LINUX_SIOCADDMULTI:
	case LINUX_SIOCDELMULTI:
	case LINUX_SIOCSIFPFLAGS:
	case LINUX_SIOCDIFADDR:
	case LINUX_SIOCSIFHWBROADCAST:
	case LINUX_SIOCSIFTXQLEN:
	case LINUX_SIOCSIFMAP:
		return true;
	default:
		return false;
	}
}

static bool is_inet_getter(unsigned cmd)
{
	return cmd == LINUX_SIOCGIFADDR || cmd == LINUX_SIOCGIFNETMASK ||
	       cmd == LINUX_SIOCGIFBRDADDR || cmd == LINUX_SIOCGIFDSTADDR;
}

/* Linux's dev_ifconf and inet_gifconf. */
static long ifconf(struct task *t, uint64_t arg)
{
	struct linux_ifconf ifc;
	int err = mm_copy_in(t->mm, &ifc, arg, sizeof(ifc));
	if (err < 0)
		return err;
	struct net_iface_info ifs[NET_IFACE_MAX];
	int n = MIN(net_iface_list(ifs, NET_IFACE_MAX), NET_IFACE_MAX);
	int32_t total = 0;
	for (int k = 0; k < n; k++) {
		for (int j = 0; j < ifs[k].naddr && j < NET_IFACE_MAX_ADDR; j++) {
			const struct net_addr *a = &ifs[k].addr[j];
			if (a->family != LINUX_AF_INET)
				continue;
			if (!ifc.ifc_buf) {
				total += (int32_t)sizeof(struct linux_ifreq);
				continue;
			}
			if (ifc.ifc_len - total < (int32_t)sizeof(struct linux_ifreq))
				break;
			struct linux_ifreq r;
			memset(&r, 0, sizeof(r));
			memcpy(r.ifr_name, ifs[k].name, NET_IFNAMSIZ);
			struct linux_sockaddr_in sin = { .sin_family = LINUX_AF_INET };
			memcpy(sin.sin_addr, a->addr, 4);
			memcpy(&r.u.ifr_addr, &sin, sizeof(sin));
			err = mm_copy_out(t->mm, ifc.ifc_buf + (uint64_t)total, &r, sizeof(r));
			if (err < 0)
				return err;
			total += (int32_t)sizeof(r);
		}
	}
	return mm_copy_out(t->mm, arg + offsetof(struct linux_ifconf, ifc_len), &total,
	                   sizeof(total));
}

static struct linux_sockaddr inet_sockaddr(const uint8_t addr[4])
{
	struct linux_sockaddr_in sin = { .sin_family = LINUX_AF_INET };
	memcpy(sin.sin_addr, addr, 4);
	struct linux_sockaddr sa;
	memcpy(&sa, &sin, sizeof(sa));
	return sa;
}

/* Linux's devinet_ioctl getters. */
static int inet_getter(unsigned cmd, bool alias, const struct net_iface_info *i,
                       struct linux_ifreq *r)
{
	const struct net_addr *a = NULL;
	for (int j = 0; j < i->naddr && j < NET_IFACE_MAX_ADDR && !a; j++) {
		if (i->addr[j].family == LINUX_AF_INET)
			a = &i->addr[j];
	}
	/* Aliases ("eth0:1") are labels of their own; the table has none. */
	if (!a || alias)
		return -EADDRNOTAVAIL;
	uint8_t mask[4], v[4];
	for (int k = 0; k < 4; k++) {
		int bits = a->prefixlen - 8 * k;
		mask[k] = bits >= 8 ? 0xff : bits <= 0 ? 0 : (uint8_t)(0xff << (8 - bits));
	}
	switch (cmd) {
	case LINUX_SIOCGIFADDR:
	case LINUX_SIOCGIFDSTADDR: /* the peer: the local address but on point-to-point links */
		memcpy(v, a->addr, 4);
		break;
	case LINUX_SIOCGIFNETMASK:
		memcpy(v, mask, 4);
		break;
	default: /* SIOCGIFBRDADDR: none on loopback (0.0.0.0), as iface.h's addresses carry */
		for (int k = 0; k < 4; k++)
			v[k] = (i->flags & NET_IFF_LOOPBACK) || a->prefixlen >= 31
			               ? 0
			               : (uint8_t)(a->addr[k] | ~mask[k]);
		break;
	}
	memset(&r->u, 0, sizeof(r->u));
	r->u.ifr_addr = inet_sockaddr(v);
	return 0;
}

/* Linux's dev_ifsioc_locked and dev_get_mac_address. */
static void dev_getter(unsigned cmd, const struct net_iface_info *i, struct linux_ifreq *r)
{
	memset(&r->u, 0, sizeof(r->u));
	switch (cmd) {
	case LINUX_SIOCGIFFLAGS:
		/* A short: IFF_LOWER_UP and above do not fit. */
		r->u.ifr_flags = (int16_t)(i->flags & 0xffff);
		break;
	case LINUX_SIOCGIFMETRIC:
		r->u.ifr_ifindex = 0;
		break;
	case LINUX_SIOCGIFMTU:
		r->u.ifr_ifindex = (int32_t)i->mtu;
		break;
	case LINUX_SIOCGIFINDEX:
		r->u.ifr_ifindex = i->index;
		break;
	case LINUX_SIOCGIFTXQLEN:
		r->u.ifr_ifindex = IFACE_TXQLEN;
		break;
	case LINUX_SIOCGIFMAP: /* no hardware resources: all zero */
		break;
	default: /* SIOCGIFHWADDR */
		r->u.ifr_addr.sa_family = i->type;
		memcpy(r->u.ifr_addr.sa_data, i->mac, sizeof(i->mac));
		break;
	}
}

long iface_ioctl(struct task *t, int family, unsigned cmd, uint64_t arg)
{
	if (is_setter(cmd))
		return -EPERM;
	if (cmd == LINUX_SIOCGIFCONF)
		return ifconf(t, arg);
	bool inet = is_inet_getter(cmd);
	if (inet && family != LINUX_AF_INET)
		return -ENOTTY;
	switch (cmd) {
	case LINUX_SIOCGIFNAME:
	case LINUX_SIOCGIFFLAGS:
	case LINUX_SIOCGIFMETRIC:
	case LINUX_SIOCGIFMTU:
	case LINUX_SIOCGIFINDEX:
	case LINUX_SIOCGIFTXQLEN:
	case LINUX_SIOCGIFMAP:
	case LINUX_SIOCGIFHWADDR:
		break;
	default:
		if (!inet)
			return -LINUX_ENOIOCTLCMD;
	}
	struct linux_ifreq r;
	int err = mm_copy_in(t->mm, &r, arg, sizeof(r));
	if (err < 0)
		return err;
	struct net_iface_info i;
	if (cmd == LINUX_SIOCGIFNAME) {
		err = net_iface_get(r.u.ifr_ifindex, &i);
		if (err < 0)
			return err;
		memcpy(r.ifr_name, i.name, NET_IFNAMSIZ);
		return mm_copy_out(t->mm, arg, &r, sizeof(r));
	}
	r.ifr_name[LINUX_IFNAMSIZ - 1] = '\0';
	char name[LINUX_IFNAMSIZ];
	memcpy(name, r.ifr_name, sizeof(name));
	char *colon = strchr(name, ':');
	if (colon)
		*colon = '\0'; /* the ifreq goes back with the name as given */
	err = net_iface_find(name, &i);
	if (err < 0)
		return err;
	if (inet) {
		err = inet_getter(cmd, colon != NULL, &i, &r);
		if (err < 0)
			return err;
	} else {
		dev_getter(cmd, &i, &r);
	}
	return mm_copy_out(t->mm, arg, &r, sizeof(r));
}
