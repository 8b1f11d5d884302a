/* --network=sandbox on the runtime's side: see network.h. */
#include "runsc-cli/network.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if_arp.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"
#include "sentry/net/socket.h"

#ifndef PACKET_IGNORE_OUTGOING
#define PACKET_IGNORE_OUTGOING 23
#endif

/* A link's receive buffer: a few dozen 64 KiB GSO frames. */
#define LINK_RCVBUF (4 << 20)
/* The IFF_* flags the sandbox's table keeps (the same values as Linux's). */
#define KEPT_FLAGS \
	(NET_IFF_UP | NET_IFF_BROADCAST | NET_IFF_RUNNING | NET_IFF_MULTICAST | NET_IFF_LOWER_UP)

/* ---- rtnetlink ---- */

typedef void (*nl_msg_fn)(struct runsc_net *n, const struct nlmsghdr *h);

/* The attributes of one message after a header of hdr_size bytes, by type (up to max). */
static void nl_attrs(const struct nlmsghdr *h, size_t hdr_size, const struct rtattr **tb, int max)
{
	memset(tb, 0, sizeof(*tb) * (size_t)(max + 1));
	int len = (int)h->nlmsg_len - (int)NLMSG_LENGTH(hdr_size);
	const struct rtattr *a =
	        (const void *)((const char *)NLMSG_DATA(h) + NLMSG_ALIGN(hdr_size));
	for (; len > 0 && RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		if (a->rta_type <= max && !tb[a->rta_type])
			tb[a->rta_type] = a;
	}
}

/*
 * Sends req and reads the answer: each message of a dump to fn, or the
 * acknowledgement of a request. Returns 0 or -errno (the kernel's error).
 */
static int nl_talk(int fd, struct nlmsghdr *req, struct runsc_net *n, nl_msg_fn fn)
{
	static unsigned seq;
	req->nlmsg_seq = ++seq;
	if (send(fd, req, req->nlmsg_len, 0) < 0)
		return -errno;
	char buf[32768] __attribute__((aligned(NLMSG_ALIGNTO)));
	for (;;) {
		ssize_t got = recv(fd, buf, sizeof(buf), 0);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return -errno;
		if (got == 0)
			return -EIO;
		int len = (int)got;
		for (struct nlmsghdr *h = (void *)buf; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
			if (h->nlmsg_seq != req->nlmsg_seq)
				continue;
			if (h->nlmsg_type == NLMSG_DONE)
				return 0;
			if (h->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = NLMSG_DATA(h);
				return e->error;
			}
			if (fn)
				fn(n, h);
		}
	}
}

/* A dump of type (RTM_GETLINK, RTM_GETADDR, RTM_GETROUTE) for every family. */
static int nl_dump(int fd, int type, struct runsc_net *n, nl_msg_fn fn)
{
	struct {
		struct nlmsghdr h;
		struct rtgenmsg g;
	} req = {
		.h = { .nlmsg_len = sizeof(req),
		       .nlmsg_type = (uint16_t)type,
		       .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP },
		.g = { .rtgen_family = AF_UNSPEC },
	};
	return nl_talk(fd, &req.h, n, fn);
}

static struct sandbox_link *link_by_index(struct runsc_net *n, int index)
{
	for (int i = 0; i < n->nlinks; i++) {
		if (n->links[i].info.index == index)
			return &n->links[i];
	}
	return NULL;
}

static void on_link(struct runsc_net *n, const struct nlmsghdr *h)
{
	if (h->nlmsg_type != RTM_NEWLINK)
		return;
	const struct ifinfomsg *ifi = NLMSG_DATA(h);
	const struct rtattr *tb[IFLA_MAX + 1];
	nl_attrs(h, sizeof(*ifi), tb, IFLA_MAX);
	const char *name = tb[IFLA_IFNAME] ? RTA_DATA(tb[IFLA_IFNAME]) : "?";
	if (ifi->ifi_type != ARPHRD_ETHER || !(ifi->ifi_flags & NET_IFF_UP) || !tb[IFLA_ADDRESS] ||
	    RTA_PAYLOAD(tb[IFLA_ADDRESS]) != 6) {
		if (!(ifi->ifi_flags & NET_IFF_LOOPBACK))
			log_debug("network: %s (type %u, flags %#x) left to the host", name,
			          ifi->ifi_type, ifi->ifi_flags);
		return;
	}
	if (n->nlinks == (int)ARRAY_SIZE(n->links)) {
		log_warn("network: %s: the sandbox has room for %zu interfaces: left out", name,
		         ARRAY_SIZE(n->links));
		return;
	}
	struct sandbox_link *l = &n->links[n->nlinks++];
	memset(l, 0, sizeof(*l));
	l->fd = -1;
	l->info.index = ifi->ifi_index;
	snprintf(l->info.name, sizeof(l->info.name), "%s", name);
	l->info.flags = ifi->ifi_flags & KEPT_FLAGS;
	l->info.type = NET_ARPHRD_ETHER;
	l->info.mtu = tb[IFLA_MTU] ? *(const uint32_t *)RTA_DATA(tb[IFLA_MTU]) : 1500;
	memcpy(l->info.mac, RTA_DATA(tb[IFLA_ADDRESS]), 6);
}

static void on_addr(struct runsc_net *n, const struct nlmsghdr *h)
{
	if (h->nlmsg_type != RTM_NEWADDR)
		return;
	const struct ifaddrmsg *ifa = NLMSG_DATA(h);
	struct sandbox_link *l = link_by_index(n, (int)ifa->ifa_index);
	if (!l || (ifa->ifa_family != AF_INET && ifa->ifa_family != AF_INET6))
		return;
	const struct rtattr *tb[IFA_MAX + 1];
	nl_attrs(h, sizeof(*ifa), tb, IFA_MAX);
	/* IPv4's own address is IFA_LOCAL (IFA_ADDRESS is the peer's on point-to-point links). */
	const struct rtattr *a =
	        ifa->ifa_family == AF_INET && tb[IFA_LOCAL] ? tb[IFA_LOCAL] : tb[IFA_ADDRESS];
	size_t alen = ifa->ifa_family == AF_INET ? 4 : 16;
	if (!a || RTA_PAYLOAD(a) != alen)
		return;
	if (l->info.naddr == NET_IFACE_MAX_ADDR) {
		log_warn("network: %s: more than %d addresses: the rest are left out", l->info.name,
		         NET_IFACE_MAX_ADDR);
		return;
	}
	struct net_addr *na = &l->info.addr[l->info.naddr++];
	memset(na, 0, sizeof(*na));
	na->family = ifa->ifa_family == AF_INET ? LINUX_AF_INET : LINUX_AF_INET6;
	na->prefixlen = ifa->ifa_prefixlen;
	na->scope = ifa->ifa_scope;
	memcpy(na->addr, RTA_DATA(a), alen);
}

static void on_route(struct runsc_net *n, const struct nlmsghdr *h)
{
	if (h->nlmsg_type != RTM_NEWROUTE)
		return;
	const struct rtmsg *rt = NLMSG_DATA(h);
	const struct rtattr *tb[RTA_MAX + 1];
	nl_attrs(h, sizeof(*rt), tb, RTA_MAX);
	unsigned table = tb[RTA_TABLE] ? *(const uint32_t *)RTA_DATA(tb[RTA_TABLE]) : rt->rtm_table;
	if ((rt->rtm_family != AF_INET && rt->rtm_family != AF_INET6) || table != RT_TABLE_MAIN ||
	    rt->rtm_type != RTN_UNICAST || rt->rtm_protocol == RTPROT_KERNEL)
		return;
	if (tb[RTA_MULTIPATH]) {
		log_warn("network: a multipath route (table main): left out");
		return;
	}
	int oif = tb[RTA_OIF] ? *(const int *)RTA_DATA(tb[RTA_OIF]) : 0;
	if (!link_by_index(n, oif))
		return;
	if (n->nroutes == (int)ARRAY_SIZE(n->routes)) {
		log_warn("network: more than %zu routes: the rest are left out",
		         ARRAY_SIZE(n->routes));
		return;
	}
	size_t alen = rt->rtm_family == AF_INET ? 4 : 16;
	struct net_route *r = &n->routes[n->nroutes++];
	memset(r, 0, sizeof(*r));
	r->family = rt->rtm_family == AF_INET ? LINUX_AF_INET : LINUX_AF_INET6;
	r->dst_len = rt->rtm_dst_len;
	r->scope = rt->rtm_scope;
	r->table = RT_TABLE_MAIN;
	r->type = RTN_UNICAST;
	r->protocol = rt->rtm_protocol;
	r->oif = oif;
	if (tb[RTA_DST] && RTA_PAYLOAD(tb[RTA_DST]) == alen)
		memcpy(r->dst, RTA_DATA(tb[RTA_DST]), alen);
	if (tb[RTA_GATEWAY] && RTA_PAYLOAD(tb[RTA_GATEWAY]) == alen) {
		r->has_gw = true;
		memcpy(r->gw, RTA_DATA(tb[RTA_GATEWAY]), alen);
	}
	if (tb[RTA_PREFSRC] && RTA_PAYLOAD(tb[RTA_PREFSRC]) == alen) {
		r->has_prefsrc = true;
		memcpy(r->prefsrc, RTA_DATA(tb[RTA_PREFSRC]), alen);
	}
	if (tb[RTA_PRIORITY])
		r->metric = *(const uint32_t *)RTA_DATA(tb[RTA_PRIORITY]);
}

/* Whether the calling thread is in the host's network namespace (pid 1's). */
static bool in_host_netns(void)
{
	struct stat self, init;
	return stat("/proc/self/ns/net", &self) == 0 && stat("/proc/1/ns/net", &init) == 0 &&
	       self.st_dev == init.st_dev && self.st_ino == init.st_ino;
}

int runsc_net_scan(struct runsc_net *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof(*out));
	if (in_host_netns()) {
		snprintf(err, errlen,
		         "--network=sandbox: this is the host's network namespace: "
		         "its interfaces are not taken over");
		return -EPERM;
	}
	return runsc_net_read(out, err, errlen);
}

int runsc_net_read(struct runsc_net *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof(*out));
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0) {
		snprintf(err, errlen, "network: netlink socket: %s", strerror(errno));
		return -errno;
	}
	const char *what = "links";
	int e = nl_dump(fd, RTM_GETLINK, out, on_link);
	if (e == 0 && out->nlinks) {
		what = "addresses";
		e = nl_dump(fd, RTM_GETADDR, out, on_addr);
	}
	if (e == 0 && out->nlinks) {
		what = "routes";
		e = nl_dump(fd, RTM_GETROUTE, out, on_route);
	}
	close(fd);
	if (e < 0) {
		snprintf(err, errlen, "network: reading the namespace's %s: %s", what,
		         strerror(-e));
		memset(out, 0, sizeof(*out));
	}
	return e;
}

/* ---- Taking over ---- */

/* The interface's AF_PACKET socket, as network.h describes it, or -errno. */
static int open_packet_socket(const struct sandbox_link *l)
{
	/* Protocol 0 until bound: no frame of another interface is queued meanwhile. */
	int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	int one = 1, size = LINK_RCVBUF;
	if (setsockopt(fd, SOL_PACKET, PACKET_VNET_HDR, &one, sizeof(one)) < 0)
		goto out_close;
	/* Frames the host kernel sends on the link are not the sandbox's (Linux 4.20). */
	if (setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one)) < 0)
		log_debug("network: PACKET_IGNORE_OUTGOING: %s (the link skips them itself)",
		          strerror(errno));
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0 &&
	    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size)) < 0)
		goto out_close;
	struct sockaddr_ll sll = {
		.sll_family = AF_PACKET,
		.sll_protocol = htons(ETH_P_ALL),
		.sll_ifindex = l->info.index,
	};
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0)
		goto out_close;
	return fd;
out_close:;
	int e = -errno;
	close(fd);
	return e;
}

/* RTM_DELADDR of one address; one already gone is not an error. */
static int delete_address(int nl, int index, const struct net_addr *a)
{
	size_t alen = a->family == LINUX_AF_INET ? 4 : 16;
	struct {
		struct nlmsghdr h;
		struct ifaddrmsg ifa;
		char attrs[2 * RTA_SPACE(16)];
	} req = {
		.h = { .nlmsg_type = RTM_DELADDR, .nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK },
		.ifa = { .ifa_family = a->family == LINUX_AF_INET ? AF_INET : AF_INET6,
		         .ifa_prefixlen = a->prefixlen,
		         .ifa_index = (unsigned)index },
	};
	size_t len = NLMSG_LENGTH(sizeof(req.ifa));
	static const unsigned short types[] = { IFA_LOCAL, IFA_ADDRESS };
	for (size_t i = 0; i < ARRAY_SIZE(types); i++) {
		struct rtattr *rta = (void *)((char *)&req + NLMSG_ALIGN(len));
		rta->rta_type = types[i];
		rta->rta_len = (unsigned short)RTA_LENGTH(alen);
		memcpy(RTA_DATA(rta), a->addr, alen);
		len = NLMSG_ALIGN(len) + RTA_SPACE(alen);
	}
	req.h.nlmsg_len = (uint32_t)len;
	int e = nl_talk(nl, &req.h, NULL, NULL);
	return e == -EADDRNOTAVAIL ? 0 : e;
}

/* Writes value to the interface's IPv6 conf file (best effort: IPv6 may be off). */
static void set_ipv6_conf(const char *ifname, const char *file, const char *value)
{
	char path[128];
	snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/%s", ifname, file);
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, value, strlen(value)) < 0)
		log_debug("network: %s: %s", path, strerror(errno));
	if (fd >= 0)
		close(fd);
}

int runsc_net_take_over(struct runsc_net *n, char *err, size_t errlen)
{
	for (int i = 0; i < n->nlinks; i++) {
		struct sandbox_link *l = &n->links[i];
		l->fd = open_packet_socket(l);
		if (l->fd < 0) {
			int e = l->fd;
			l->fd = -1;
			snprintf(err, errlen, "network: %s: AF_PACKET socket: %s", l->info.name,
			         strerror(-e));
			runsc_net_close(n);
			return e;
		}
	}
	int nl = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (nl < 0) {
		int e = -errno;
		snprintf(err, errlen, "network: netlink socket: %s", strerror(-e));
		runsc_net_close(n);
		return e;
	}
	for (int i = 0; i < n->nlinks; i++) {
		struct sandbox_link *l = &n->links[i];
		for (int a = 0; a < l->info.naddr; a++) {
			int e = delete_address(nl, l->info.index, &l->info.addr[a]);
			if (e < 0) {
				char text[INET6_ADDRSTRLEN] = "?";
				inet_ntop(l->info.addr[a].family == LINUX_AF_INET ? AF_INET
				                                                  : AF_INET6,
				          l->info.addr[a].addr, text, sizeof(text));
				snprintf(err, errlen,
				         "network: %s: removing %s/%u from the host: %s",
				         l->info.name, text, l->info.addr[a].prefixlen,
				         strerror(-e));
				close(nl);
				runsc_net_close(n);
				return e;
			}
		}
		set_ipv6_conf(l->info.name, "accept_ra", "0");
		set_ipv6_conf(l->info.name, "disable_ipv6", "1");
	}
	close(nl);
	return 0;
}

void runsc_net_close(struct runsc_net *n)
{
	for (int i = 0; i < n->nlinks; i++) {
		if (n->links[i].fd >= 0)
			close(n->links[i].fd);
		n->links[i].fd = -1;
	}
}

/* ---- Description ---- */

static const char *addr_text(uint8_t family, const uint8_t *addr, char *buf, size_t size)
{
	return inet_ntop(family == LINUX_AF_INET ? AF_INET : AF_INET6, addr, buf, (socklen_t)size);
}

void runsc_net_describe(const struct runsc_net *n, char *buf, size_t size)
{
	size_t off = 0;
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];
	buf[0] = '\0';
#define OUT(...)                                                                     \
	do {                                                                         \
		if (off < size)                                                      \
			off += (size_t)snprintf(buf + off, size - off, __VA_ARGS__); \
	} while (0)
	for (int i = 0; i < n->nlinks; i++) {
		const struct net_iface_info *f = &n->links[i].info;
		const uint8_t *m = f->mac;
		OUT("link %s index %d mtu %u mac %02x:%02x:%02x:%02x:%02x:%02x flags %#x\n",
		    f->name, f->index, f->mtu, m[0], m[1], m[2], m[3], m[4], m[5], f->flags);
		for (int j = 0; j < f->naddr; j++)
			OUT("addr %s %s/%u scope %u\n", f->name,
			    addr_text(f->addr[j].family, f->addr[j].addr, a, sizeof(a)),
			    f->addr[j].prefixlen, f->addr[j].scope);
	}
	for (int i = 0; i < n->nroutes; i++) {
		const struct net_route *r = &n->routes[i];
		const struct sandbox_link *l = NULL;
		for (int j = 0; j < n->nlinks && !l; j++)
			l = n->links[j].info.index == r->oif ? &n->links[j] : NULL;
		if (r->dst_len == 0)
			OUT("route %s default", r->family == LINUX_AF_INET ? "inet" : "inet6");
		else
			OUT("route %s %s/%u", r->family == LINUX_AF_INET ? "inet" : "inet6",
			    addr_text(r->family, r->dst, a, sizeof(a)), r->dst_len);
		if (r->has_gw)
			OUT(" via %s", addr_text(r->family, r->gw, b, sizeof(b)));
		OUT(" dev %s metric %u\n", l ? l->info.name : "?", r->metric);
	}
#undef OUT
}
