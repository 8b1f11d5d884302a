/*
 * The route protocol's requests (see netlink.h), answered from the
 * interface table (iface.h) with the messages Linux 6.1 sends:
 *
 *   RTM_GETLINK   dump, or one link by ifi_index or IFLA_IFNAME
 *                 (rtnl_dump_ifinfo, rtnl_getlink, rtnl_fill_ifinfo);
 *   RTM_GETADDR   dump, filtered by ifa_family (inet_dump_ifaddr,
 *                 inet6_dump_ifaddr; AF_UNSPEC or another family: both);
 *   RTM_GETROUTE  dump, filtered by rtm_family (inet_dump_fib,
 *                 inet6_dump_fib): table main before table local, as
 *                 Linux's table hash orders them;
 *   RTM_GETROUTE  single: the lookup of RTA_DST (ip route get);
 *   RTM_GETRULE   dump: the default rules of a new namespace (local,
 *                 main, default; IPv6 without default);
 *   RTM_GETNEIGH  dump: empty (no neighbour is tracked yet).
 *
 * Requests are checked as rtnetlink_rcv_msg does with strict checking
 * off (the default): a type beyond RTM_MAX is EOPNOTSUPP, a message with
 * no payload byte is ignored, a GET without a handler (a single
 * RTM_GETADDR or RTM_GETROUTE, other GET dumps) is EOPNOTSUPP. Anything
 * that would change the table (RTM_NEWADDR, RTM_NEWLINK, RTM_DELROUTE...)
 * fails with EPERM without CAP_NET_ADMIN, as in Linux, and with
 * EOPNOTSUPP with it: the sandbox's table is fixed after boot, and
 * "operation not supported" tells a tool the truth rather than a lie
 * about privileges it has.
 */
#include <string.h>

#include "common/util.h"
#include "sentry/net/iface.h"
#include "sentry/net/netlink.h"

/* Linux's default tx_queue_len for loopback and Ethernet links. */
#define RTNL_TXQLEN 1000

static void put_u32(struct nl_buf *b, uint16_t type, uint32_t v)
{
	nl_attr(b, type, &v, sizeof(v));
}

static void put_u8(struct nl_buf *b, uint16_t type, uint8_t v)
{
	nl_attr(b, type, &v, sizeof(v));
}

static void put_str(struct nl_buf *b, uint16_t type, const char *s)
{
	nl_attr(b, type, s, strlen(s) + 1);
}

static size_t addr_len(uint8_t family)
{
	return family == LINUX_AF_INET ? 4 : 16;
}

/* ---- Links ---- */

/* Linux's rtnl_fill_ifinfo, with the attributes tools read. */
static void fill_link(struct nl_buf *b, const struct net_iface_info *i, uint16_t flags,
                      uint32_t seq, uint32_t portid)
{
	size_t start = nl_msg_begin(b, LINUX_RTM_NEWLINK, flags, seq, portid);
	struct linux_ifinfomsg ifi = {
		.ifi_family = LINUX_AF_UNSPEC,
		.ifi_type = i->type,
		.ifi_index = i->index,
		.ifi_flags = i->flags,
	};
	nl_put(b, &ifi, sizeof(ifi));
	put_str(b, LINUX_IFLA_IFNAME, i->name);
	put_u32(b, LINUX_IFLA_TXQLEN, RTNL_TXQLEN);
	/* Loopback has no carrier to report: Linux says "unknown". */
	uint8_t oper = LINUX_IF_OPER_UNKNOWN;
	if (!(i->flags & NET_IFF_LOOPBACK))
		oper = (i->flags & NET_IFF_UP) && (i->flags & NET_IFF_LOWER_UP)
		               ? LINUX_IF_OPER_UP
		               : LINUX_IF_OPER_DOWN;
	put_u8(b, LINUX_IFLA_OPERSTATE, oper);
	put_u8(b, LINUX_IFLA_LINKMODE, 0);
	put_u32(b, LINUX_IFLA_MTU, i->mtu);
	/* Links send without a queue discipline (veth's and lo's default). */
	put_str(b, LINUX_IFLA_QDISC, "noqueue");
	uint8_t bcast[6];
	memset(bcast, (i->flags & NET_IFF_LOOPBACK) ? 0 : 0xff, sizeof(bcast));
	nl_attr(b, LINUX_IFLA_ADDRESS, i->mac, sizeof(i->mac));
	nl_attr(b, LINUX_IFLA_BROADCAST, bcast, sizeof(bcast));
	/* The counters in rtnl_link_stats64's order: the first eight are all we keep. */
	const struct net_iface_stats *st = &i->stats;
	uint64_t s64[LINUX_RTNL_LINK_STATS64_COUNT] = {
		st->rx_packets, st->tx_packets, st->rx_bytes,   st->tx_bytes,
		st->rx_errors,  st->tx_errors,  st->rx_dropped, st->tx_dropped,
	};
	nl_attr(b, LINUX_IFLA_STATS64, s64, sizeof(s64));
	uint32_t s32[LINUX_RTNL_LINK_STATS_COUNT];
	for (size_t k = 0; k < ARRAY_SIZE(s32); k++)
		s32[k] = (uint32_t)s64[k];
	nl_attr(b, LINUX_IFLA_STATS, s32, sizeof(s32));
	nl_msg_end(b, start);
}

static void done(struct nl_buf *b, uint32_t seq, uint32_t portid)
{
	size_t start = nl_msg_begin(b, LINUX_NLMSG_DONE, LINUX_NLM_F_MULTI, seq, portid);
	int32_t err = 0;
	nl_put(b, &err, sizeof(err));
	nl_msg_end(b, start);
}

static void dump_links(const struct rtnl_request *r, struct nl_buf *b)
{
	struct net_iface_info ifs[NET_IFACE_MAX];
	int n = MIN(net_iface_list(ifs, NET_IFACE_MAX), NET_IFACE_MAX);
	for (int k = 0; k < n; k++)
		fill_link(b, &ifs[k], LINUX_NLM_F_MULTI, r->h.nlmsg_seq, r->portid);
}

/*
 * Finds IFLA_IFNAME among the attributes after the ifinfomsg: 1 with the
 * name, 0 without one, -EINVAL for a name longer than IFNAMSIZ - 1 (the
 * attribute policy). Attributes that do not parse end the walk, as
 * nla_parse_deprecated allows trailing bytes.
 */
static int find_ifname(const struct rtnl_request *r, char name[NET_IFNAMSIZ])
{
	size_t off = LINUX_NLMSG_HDRLEN + LINUX_NLMSG_ALIGN(sizeof(struct linux_ifinfomsg));
	while (off + sizeof(struct linux_rtattr) <= r->h.nlmsg_len) {
		struct linux_rtattr a;
		memcpy(&a, r->msg + off, sizeof(a));
		if (a.rta_len < sizeof(a) || a.rta_len > r->h.nlmsg_len - off)
			break;
		size_t plen = a.rta_len - sizeof(a);
		if ((a.rta_type & 0x3fff) == LINUX_IFLA_IFNAME) {
			const char *p = r->msg + off + sizeof(a);
			size_t n = strnlen(p, plen);
			if (n > NET_IFNAMSIZ - 1)
				return -EINVAL;
			memcpy(name, p, n);
			name[n] = '\0';
			return 1;
		}
		off += LINUX_RTA_ALIGN(a.rta_len);
	}
	return 0;
}

/* Linux's rtnl_getlink: by index, else by name. */
static int get_link(const struct rtnl_request *r, struct nl_buf *b)
{
	struct linux_ifinfomsg ifi;
	if (r->h.nlmsg_len < LINUX_NLMSG_HDRLEN + sizeof(ifi))
		return -EINVAL;
	memcpy(&ifi, r->msg + LINUX_NLMSG_HDRLEN, sizeof(ifi));
	char name[NET_IFNAMSIZ];
	int has_name = find_ifname(r, name);
	if (has_name < 0)
		return has_name;
	struct net_iface_info i;
	int err;
	if (ifi.ifi_index > 0)
		err = net_iface_get(ifi.ifi_index, &i);
	else if (has_name)
		err = net_iface_find(name, &i);
	else
		return -EINVAL;
	if (err < 0)
		return err;
	fill_link(b, &i, 0, r->h.nlmsg_seq, r->portid);
	return 0;
}

/* ---- Addresses ---- */

static void fill_addr(struct nl_buf *b, const struct rtnl_request *r,
                      const struct net_iface_info *i, const struct net_addr *a)
{
	size_t start =
	        nl_msg_begin(b, LINUX_RTM_NEWADDR, LINUX_NLM_F_MULTI, r->h.nlmsg_seq, r->portid);
	struct linux_ifaddrmsg ifa = {
		.ifa_family = a->family,
		.ifa_prefixlen = a->prefixlen,
		.ifa_flags = LINUX_IFA_F_PERMANENT,
		.ifa_scope = a->scope,
		.ifa_index = (uint32_t)i->index,
	};
	nl_put(b, &ifa, sizeof(ifa));
	size_t alen = addr_len(a->family);
	nl_attr(b, LINUX_IFA_ADDRESS, a->addr, alen);
	if (a->family == LINUX_AF_INET) {
		/* inet_fill_ifaddr: local, broadcast (none on loopback), label. */
		nl_attr(b, LINUX_IFA_LOCAL, a->addr, alen);
		if (!(i->flags & NET_IFF_LOOPBACK) && a->prefixlen < 31) {
			uint8_t bc[4];
			for (int k = 0; k < 4; k++) {
				int bits = a->prefixlen - 8 * k;
				uint8_t mask = bits >= 8   ? 0xff
				               : bits <= 0 ? 0
				                           : (uint8_t)(0xff << (8 - bits));
				bc[k] = (uint8_t)(a->addr[k] | ~mask);
			}
			nl_attr(b, LINUX_IFA_BROADCAST, bc, sizeof(bc));
		}
		put_str(b, LINUX_IFA_LABEL, i->name);
	}
	put_u32(b, LINUX_IFA_FLAGS, LINUX_IFA_F_PERMANENT);
	/* Permanent addresses; added at boot (time stamps 0, in hundredths of a second). */
	struct linux_ifa_cacheinfo ci = {
		.ifa_prefered = LINUX_INFINITY_LIFE_TIME,
		.ifa_valid = LINUX_INFINITY_LIFE_TIME,
	};
	nl_attr(b, LINUX_IFA_CACHEINFO, &ci, sizeof(ci));
	nl_msg_end(b, start);
}

static void dump_addrs_of(const struct rtnl_request *r, struct nl_buf *b, uint8_t family)
{
	struct net_iface_info ifs[NET_IFACE_MAX];
	int n = MIN(net_iface_list(ifs, NET_IFACE_MAX), NET_IFACE_MAX);
	for (int k = 0; k < n; k++) {
		for (int j = 0; j < ifs[k].naddr && j < NET_IFACE_MAX_ADDR; j++) {
			if (ifs[k].addr[j].family == family)
				fill_addr(b, r, &ifs[k], &ifs[k].addr[j]);
		}
	}
}

/* ---- Routes ---- */

static void fill_route(struct nl_buf *b, const struct rtnl_request *r, const struct net_route *rt)
{
	size_t start =
	        nl_msg_begin(b, LINUX_RTM_NEWROUTE, LINUX_NLM_F_MULTI, r->h.nlmsg_seq, r->portid);
	struct linux_rtmsg rtm = {
		.rtm_family = rt->family,
		.rtm_dst_len = rt->dst_len,
		.rtm_table = rt->table,
		.rtm_protocol = rt->protocol,
		/* rt6_fill_node: every IPv6 route says RT_SCOPE_UNIVERSE. */
		.rtm_scope = rt->family == LINUX_AF_INET6 ? NET_SCOPE_UNIVERSE : rt->scope,
		.rtm_type = rt->type,
	};
	nl_put(b, &rtm, sizeof(rtm));
	size_t alen = addr_len(rt->family);
	put_u32(b, LINUX_RTA_TABLE, rt->table);
	if (rt->dst_len)
		nl_attr(b, LINUX_RTA_DST, rt->dst, alen);
	if (rt->family == LINUX_AF_INET6 || rt->metric)
		put_u32(b, LINUX_RTA_PRIORITY, rt->metric);
	if (rt->has_prefsrc)
		nl_attr(b, LINUX_RTA_PREFSRC, rt->prefsrc, alen);
	if (rt->has_gw)
		nl_attr(b, LINUX_RTA_GATEWAY, rt->gw, alen);
	put_u32(b, LINUX_RTA_OIF, (uint32_t)rt->oif);
	if (rt->family == LINUX_AF_INET6)
		put_u8(b, LINUX_RTA_PREF, 0); /* ICMPV6_ROUTER_PREF_MEDIUM */
	nl_msg_end(b, start);
}

static void dump_routes_of(const struct rtnl_request *r, struct nl_buf *b, uint8_t family)
{
	struct net_route routes[NET_ROUTE_MAX];
	int n = MIN(net_route_list(routes, NET_ROUTE_MAX), NET_ROUTE_MAX);
	static const uint8_t tables[] = { LINUX_RT_TABLE_MAIN, LINUX_RT_TABLE_LOCAL };
	for (size_t t = 0; t < ARRAY_SIZE(tables); t++) {
		for (int k = 0; k < n; k++) {
			if (routes[k].family == family && routes[k].table == tables[t])
				fill_route(b, r, &routes[k]);
		}
	}
	/* Routes of other tables (none at boot today) last. */
	for (int k = 0; k < n; k++) {
		if (routes[k].family == family && routes[k].table != LINUX_RT_TABLE_MAIN &&
		    routes[k].table != LINUX_RT_TABLE_LOCAL)
			fill_route(b, r, &routes[k]);
	}
}

/* ---- Route lookups ---- */

/* Whether the first dst_len bits of a and b agree. */
static bool prefix_match(const uint8_t *a, const uint8_t *b, int dst_len)
{
	for (int bit = 0; bit < dst_len; bit++) {
		uint8_t m = (uint8_t)(0x80 >> (bit % 8));
		if ((a[bit / 8] & m) != (b[bit / 8] & m))
			return false;
	}
	return true;
}

/*
 * The route a packet to dst takes: the longest match of table local, else
 * of table main (the default rules' order). Returns false when none does.
 */
static bool lookup_route(uint8_t family, const uint8_t *dst, struct net_route *out)
{
	struct net_route routes[NET_ROUTE_MAX];
	int n = MIN(net_route_list(routes, NET_ROUTE_MAX), NET_ROUTE_MAX);
	static const uint8_t tables[] = { LINUX_RT_TABLE_LOCAL, LINUX_RT_TABLE_MAIN };
	for (size_t t = 0; t < ARRAY_SIZE(tables); t++) {
		int best = -1;
		for (int k = 0; k < n; k++) {
			const struct net_route *rt = &routes[k];
			if (rt->family != family || rt->table != tables[t] ||
			    !prefix_match(rt->dst, dst, rt->dst_len))
				continue;
			if (best < 0 || rt->dst_len > routes[best].dst_len)
				best = k;
		}
		if (best >= 0) {
			*out = routes[best];
			return true;
		}
	}
	return false;
}

/* The source address for a route without one: the first of the family on its link. */
static bool link_source(uint8_t family, int oif, uint8_t *out)
{
	struct net_iface_info i;
	if (net_iface_get(oif, &i) < 0)
		return false;
	for (int j = 0; j < i.naddr && j < NET_IFACE_MAX_ADDR; j++) {
		if (i.addr[j].family == family) {
			memcpy(out, i.addr[j].addr, addr_len(family));
			return true;
		}
	}
	return false;
}

/*
 * Linux's inet_rtm_getroute (rt_fill_info of a cloned route) and
 * inet6_rtm_getroute (rt6_fill_node): `ip route get`. Only RTA_DST is
 * read (no source, input interface, mark or RTM_F_FIB_MATCH).
 */
static int get_route(const struct rtnl_request *r, struct nl_buf *b)
{
	struct linux_rtmsg req;
	if (r->h.nlmsg_len < LINUX_NLMSG_HDRLEN + sizeof(req))
		return -EINVAL;
	memcpy(&req, r->msg + LINUX_NLMSG_HDRLEN, sizeof(req));
	uint8_t family = req.rtm_family;
	if (family != LINUX_AF_INET && family != LINUX_AF_INET6)
		return -EOPNOTSUPP; /* no handler for the family, as rtnetlink_rcv_msg */
	size_t alen = addr_len(family);
	uint8_t dst[16] = { 0 };
	size_t off = LINUX_NLMSG_HDRLEN + LINUX_NLMSG_ALIGN(sizeof(req));
	while (off + sizeof(struct linux_rtattr) <= r->h.nlmsg_len) {
		struct linux_rtattr a;
		memcpy(&a, r->msg + off, sizeof(a));
		if (a.rta_len < sizeof(a) || a.rta_len > r->h.nlmsg_len - off)
			break;
		if ((a.rta_type & 0x3fff) == LINUX_RTA_DST) {
			if (a.rta_len - sizeof(a) < alen)
				return -EINVAL;
			memcpy(dst, r->msg + off + sizeof(a), alen);
		}
		off += LINUX_RTA_ALIGN(a.rta_len);
	}
	struct net_route rt;
	if (!lookup_route(family, dst, &rt))
		return -ENETUNREACH;
	uint8_t src[16];
	bool has_src = rt.has_prefsrc;
	if (has_src)
		memcpy(src, rt.prefsrc, alen);
	else
		has_src = link_source(family, rt.oif, src);
	size_t start = nl_msg_begin(b, LINUX_RTM_NEWROUTE, 0, r->h.nlmsg_seq, r->portid);
	struct linux_rtmsg rtm = {
		.rtm_family = family,
		.rtm_dst_len = (uint8_t)(alen * 8),
		.rtm_type = rt.type,
	};
	if (family == LINUX_AF_INET) {
		/* A cloned route of table main, "cache <local>" for a local one. */
		rtm.rtm_table = LINUX_RT_TABLE_MAIN;
		rtm.rtm_flags = LINUX_RTM_F_CLONED | (rt.type == 2 ? LINUX_RTCF_LOCAL : 0);
	} else {
		/* The FIB entry itself, with the lookup's source (::) as RTA_SRC. */
		rtm.rtm_src_len = 128;
		rtm.rtm_table = rt.table;
		rtm.rtm_protocol = rt.protocol;
	}
	nl_put(b, &rtm, sizeof(rtm));
	put_u32(b, LINUX_RTA_TABLE, rtm.rtm_table);
	nl_attr(b, LINUX_RTA_DST, dst, alen);
	if (family == LINUX_AF_INET6) {
		static const uint8_t any[16];
		nl_attr(b, LINUX_RTA_SRC, any, alen);
	}
	put_u32(b, LINUX_RTA_OIF, (uint32_t)rt.oif);
	if (has_src)
		nl_attr(b, LINUX_RTA_PREFSRC, src, alen);
	if (rt.has_gw)
		nl_attr(b, LINUX_RTA_GATEWAY, rt.gw, alen);
	if (family == LINUX_AF_INET) {
		put_u32(b, LINUX_RTA_UID, r->uid);
	} else {
		put_u32(b, LINUX_RTA_PRIORITY, rt.metric);
		put_u8(b, LINUX_RTA_PREF, 0);
	}
	nl_msg_end(b, start);
	return 0;
}

/* ---- Rules and neighbours ---- */

/* The rules Linux starts every namespace with (fib_default_rules_init, fib6_rules_net_init). */
static const struct {
	uint8_t family;
	uint32_t pref;
	uint8_t table;
} g_default_rules[] = {
	{ LINUX_AF_INET, 0, LINUX_RT_TABLE_LOCAL },
	{ LINUX_AF_INET, 32766, LINUX_RT_TABLE_MAIN },
	{ LINUX_AF_INET, 32767, LINUX_RT_TABLE_DEFAULT },
	{ LINUX_AF_INET6, 0, LINUX_RT_TABLE_LOCAL },
	{ LINUX_AF_INET6, 32766, LINUX_RT_TABLE_MAIN },
};

/* Linux's fib_nl_fill_rule for a default rule: "from all lookup TABLE". */
static void dump_rules_of(const struct rtnl_request *r, struct nl_buf *b, uint8_t family)
{
	for (size_t k = 0; k < ARRAY_SIZE(g_default_rules); k++) {
		if (g_default_rules[k].family != family)
			continue;
		size_t start = nl_msg_begin(b, LINUX_RTM_NEWRULE, LINUX_NLM_F_MULTI, r->h.nlmsg_seq,
		                            r->portid);
		struct linux_fib_rule_hdr frh = {
			.family = family,
			.table = g_default_rules[k].table,
			.action = LINUX_FR_ACT_TO_TBL,
		};
		nl_put(b, &frh, sizeof(frh));
		put_u32(b, LINUX_FRA_TABLE, g_default_rules[k].table);
		put_u32(b, LINUX_FRA_SUPPRESS_PREFIXLEN, 0xffffffff);
		put_u8(b, LINUX_FRA_PROTOCOL, 2); /* RTPROT_KERNEL */
		if (g_default_rules[k].pref)
			put_u32(b, LINUX_FRA_PRIORITY, g_default_rules[k].pref);
		nl_msg_end(b, start);
	}
}

/* The neighbour tables (ARP, NDISC) are empty: loopback needs none; links fill them later. */
static void dump_neighbours_of(const struct rtnl_request *r, struct nl_buf *b, uint8_t family)
{
	(void)r;
	(void)b;
	(void)family;
}

/* ---- Dispatch ---- */

typedef void (*dump_family_fn)(const struct rtnl_request *r, struct nl_buf *b, uint8_t family);

/* AF_INET or AF_INET6 alone; any other family is rtnl_dump_all: every family in order. */
static void dump_families(const struct rtnl_request *r, struct nl_buf *b, uint8_t family,
                          dump_family_fn fn)
{
	if (family != LINUX_AF_INET6)
		fn(r, b, LINUX_AF_INET);
	if (family != LINUX_AF_INET)
		fn(r, b, LINUX_AF_INET6);
}

int rtnl_handle(const struct rtnl_request *r, struct nl_buf *out)
{
	uint16_t type = r->h.nlmsg_type;
	if (type > LINUX_RTM_MAX)
		return -EOPNOTSUPP;
	/* Every message has at least a family byte (struct rtgenmsg); shorter ones are ignored. */
	if (r->h.nlmsg_len < LINUX_NLMSG_HDRLEN + 1)
		return 0;
	uint8_t family = (uint8_t)r->msg[LINUX_NLMSG_HDRLEN];
	int kind = (type - LINUX_RTM_BASE) & 3; /* NEW, DEL, GET, SET */
	if (kind != 2)
		return r->net_admin ? -EOPNOTSUPP : -EPERM;
	if (r->h.nlmsg_flags & LINUX_NLM_F_DUMP) {
		switch (type) {
		case LINUX_RTM_GETLINK:
			dump_links(r, out);
			break;
		case LINUX_RTM_GETADDR:
			dump_families(r, out, family, dump_addrs_of);
			break;
		case LINUX_RTM_GETROUTE:
			dump_families(r, out, family, dump_routes_of);
			break;
		case LINUX_RTM_GETRULE:
			dump_families(r, out, family, dump_rules_of);
			break;
		case LINUX_RTM_GETNEIGH:
			dump_families(r, out, family, dump_neighbours_of);
			break;
		default:
			return -EOPNOTSUPP;
		}
		done(out, r->h.nlmsg_seq, r->portid);
		return RTNL_DUMP;
	}
	if (type == LINUX_RTM_GETLINK)
		return get_link(r, out);
	if (type == LINUX_RTM_GETROUTE)
		return get_route(r, out);
	return -EOPNOTSUPP;
}
