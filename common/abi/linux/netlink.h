/*
 * Netlink, rtnetlink and the interface ioctls of the guest ABI (x86-64:
 * linux/netlink.h, linux/rtnetlink.h, linux/if_link.h, linux/if_addr.h,
 * linux/if.h, linux/sockios.h). Only what the sandbox answers is here.
 */
#ifndef COMMON_ABI_LINUX_NETLINK_H
#define COMMON_ABI_LINUX_NETLINK_H

#include <stdint.h>

/* ---- Netlink ---- */

#define LINUX_NETLINK_ROUTE 0
#define LINUX_MAX_LINKS     32 /* netlink protocols */

#define LINUX_SOL_NETLINK 270

#define LINUX_NETLINK_ADD_MEMBERSHIP   1
#define LINUX_NETLINK_DROP_MEMBERSHIP  2
#define LINUX_NETLINK_PKTINFO          3
#define LINUX_NETLINK_BROADCAST_ERROR  4
#define LINUX_NETLINK_NO_ENOBUFS       5
#define LINUX_NETLINK_LISTEN_ALL_NSID  8
#define LINUX_NETLINK_LIST_MEMBERSHIPS 9
#define LINUX_NETLINK_CAP_ACK          10
#define LINUX_NETLINK_EXT_ACK          11
#define LINUX_NETLINK_GET_STRICT_CHK   12

struct linux_sockaddr_nl {
	uint16_t nl_family;
	uint16_t nl_pad;
	uint32_t nl_pid;
	uint32_t nl_groups;
};
_Static_assert(sizeof(struct linux_sockaddr_nl) == 12, "sockaddr_nl layout");

struct linux_nlmsghdr {
	uint32_t nlmsg_len;
	uint16_t nlmsg_type;
	uint16_t nlmsg_flags;
	uint32_t nlmsg_seq;
	uint32_t nlmsg_pid;
};
_Static_assert(sizeof(struct linux_nlmsghdr) == 16, "nlmsghdr layout");

#define LINUX_NLMSG_ALIGN(len) (((len) + 3U) & ~3U)
#define LINUX_NLMSG_HDRLEN     ((uint32_t)sizeof(struct linux_nlmsghdr))

#define LINUX_NLM_F_REQUEST 0x1
#define LINUX_NLM_F_MULTI   0x2
#define LINUX_NLM_F_ACK     0x4
#define LINUX_NLM_F_ECHO    0x8
#define LINUX_NLM_F_ROOT    0x100
#define LINUX_NLM_F_MATCH   0x200
#define LINUX_NLM_F_DUMP    (LINUX_NLM_F_ROOT | LINUX_NLM_F_MATCH)
#define LINUX_NLM_F_CAPPED  0x100 /* in an NLMSG_ERROR: the request is not echoed */

#define LINUX_NLMSG_NOOP     0x1
#define LINUX_NLMSG_ERROR    0x2
#define LINUX_NLMSG_DONE     0x3
#define LINUX_NLMSG_MIN_TYPE 0x10

/* ---- rtnetlink ---- */

#define LINUX_RTM_BASE     16
#define LINUX_RTM_NEWLINK  16
#define LINUX_RTM_GETLINK  18
#define LINUX_RTM_NEWADDR  20
#define LINUX_RTM_GETADDR  22
#define LINUX_RTM_NEWROUTE 24
#define LINUX_RTM_GETROUTE 26
#define LINUX_RTM_GETNEIGH 30
#define LINUX_RTM_NEWRULE  32
#define LINUX_RTM_GETRULE  34
#define LINUX_RTM_MAX \
	123 /* Linux 6.1: RTM_GETTUNNEL (122), rounded up to a multiple of 4, less 1 */

struct linux_rtattr {
	uint16_t rta_len;
	uint16_t rta_type;
};
#define LINUX_RTA_ALIGN(len) (((len) + 3U) & ~3U)

struct linux_ifinfomsg {
	uint8_t ifi_family;
	uint8_t ifi_pad;
	uint16_t ifi_type;
	int32_t ifi_index;
	uint32_t ifi_flags;
	uint32_t ifi_change;
};
_Static_assert(sizeof(struct linux_ifinfomsg) == 16, "ifinfomsg layout");

#define LINUX_IFLA_ADDRESS   1
#define LINUX_IFLA_BROADCAST 2
#define LINUX_IFLA_IFNAME    3
#define LINUX_IFLA_MTU       4
#define LINUX_IFLA_QDISC     6
#define LINUX_IFLA_STATS     7
#define LINUX_IFLA_TXQLEN    13
#define LINUX_IFLA_OPERSTATE 16
#define LINUX_IFLA_LINKMODE  17
#define LINUX_IFLA_STATS64   23

#define LINUX_IF_OPER_UNKNOWN 0
#define LINUX_IF_OPER_DOWN    2
#define LINUX_IF_OPER_UP      6

/* struct rtnl_link_stats: 24 counters of 32 bits; rtnl_link_stats64 has 25 of 64. */
#define LINUX_RTNL_LINK_STATS_COUNT   24
#define LINUX_RTNL_LINK_STATS64_COUNT 25

struct linux_ifaddrmsg {
	uint8_t ifa_family;
	uint8_t ifa_prefixlen;
	uint8_t ifa_flags;
	uint8_t ifa_scope;
	uint32_t ifa_index;
};
_Static_assert(sizeof(struct linux_ifaddrmsg) == 8, "ifaddrmsg layout");

#define LINUX_IFA_ADDRESS   1
#define LINUX_IFA_LOCAL     2
#define LINUX_IFA_LABEL     3
#define LINUX_IFA_BROADCAST 4
#define LINUX_IFA_CACHEINFO 6
#define LINUX_IFA_FLAGS     8

#define LINUX_IFA_F_PERMANENT 0x80

struct linux_ifa_cacheinfo {
	uint32_t ifa_prefered;
	uint32_t ifa_valid;
	uint32_t cstamp; /* hundredths of seconds since boot */
	uint32_t tstamp;
};
#define LINUX_INFINITY_LIFE_TIME 0xFFFFFFFFU

struct linux_rtmsg {
	uint8_t rtm_family;
	uint8_t rtm_dst_len;
	uint8_t rtm_src_len;
	uint8_t rtm_tos;
	uint8_t rtm_table;
	uint8_t rtm_protocol;
	uint8_t rtm_scope;
	uint8_t rtm_type;
	uint32_t rtm_flags;
};
_Static_assert(sizeof(struct linux_rtmsg) == 12, "rtmsg layout");

#define LINUX_RTA_DST      1
#define LINUX_RTA_OIF      4
#define LINUX_RTA_GATEWAY  5
#define LINUX_RTA_PRIORITY 6
#define LINUX_RTA_PREFSRC  7
#define LINUX_RTA_TABLE    15
#define LINUX_RTA_PREF     20
#define LINUX_RTA_SRC      2
#define LINUX_RTA_UID      25

#define LINUX_RTM_F_CLONED 0x200
#define LINUX_RTCF_LOCAL   0x80000000U /* in a cloned IPv4 route's rtm_flags */

#define LINUX_RT_TABLE_MAIN  254
#define LINUX_RT_TABLE_LOCAL 255

/* Policy routing rules (linux/fib_rules.h): struct fib_rule_hdr and its attributes. */
struct linux_fib_rule_hdr {
	uint8_t family;
	uint8_t dst_len;
	uint8_t src_len;
	uint8_t tos;
	uint8_t table;
	uint8_t res1;
	uint8_t res2;
	uint8_t action;
	uint32_t flags;
};
_Static_assert(sizeof(struct linux_fib_rule_hdr) == 12, "fib_rule_hdr layout");

#define LINUX_FRA_PRIORITY           6
#define LINUX_FRA_SUPPRESS_PREFIXLEN 14
#define LINUX_FRA_TABLE              15
#define LINUX_FRA_PROTOCOL           21
#define LINUX_FR_ACT_TO_TBL          1
#define LINUX_RT_TABLE_DEFAULT       253

/* ---- Interface ioctls (sockios.h) ---- */

#define LINUX_SIOCADDRT          0x890B
#define LINUX_SIOCDELRT          0x890C
#define LINUX_SIOCGIFNAME        0x8910
#define LINUX_SIOCSIFLINK        0x8911
#define LINUX_SIOCGIFCONF        0x8912
#define LINUX_SIOCGIFFLAGS       0x8913
#define LINUX_SIOCSIFFLAGS       0x8914
#define LINUX_SIOCGIFADDR        0x8915
#define LINUX_SIOCSIFADDR        0x8916
#define LINUX_SIOCGIFDSTADDR     0x8917
#define LINUX_SIOCSIFDSTADDR     0x8918
#define LINUX_SIOCGIFBRDADDR     0x8919
#define LINUX_SIOCSIFBRDADDR     0x891a
#define LINUX_SIOCGIFNETMASK     0x891b
#define LINUX_SIOCSIFNETMASK     0x891c
#define LINUX_SIOCGIFMETRIC      0x891d
#define LINUX_SIOCSIFMETRIC      0x891e
#define LINUX_SIOCGIFMTU         0x8921
#define LINUX_SIOCSIFMTU         0x8922
#define LINUX_SIOCSIFNAME        0x8923
#define LINUX_SIOCSIFHWADDR      0x8924
#define LINUX_SIOCGIFHWADDR      0x8927
#define LINUX_SIOCADDMULTI       0x8931
#define LINUX_SIOCDELMULTI       0x8932
#define LINUX_SIOCGIFINDEX       0x8933
#define LINUX_SIOCSIFPFLAGS      0x8934
#define LINUX_SIOCDIFADDR        0x8936
#define LINUX_SIOCSIFHWBROADCAST 0x8937
#define LINUX_SIOCSIFTXQLEN      0x8943
#define LINUX_SIOCGIFTXQLEN      0x8942
#define LINUX_SIOCGIFMAP         0x8970
#define LINUX_SIOCSIFMAP         0x8971

#define LINUX_IFNAMSIZ 16

struct linux_sockaddr {
	uint16_t sa_family;
	char sa_data[14];
};

struct linux_sockaddr_in {
	uint16_t sin_family;
	uint16_t sin_port;
	uint8_t sin_addr[4];
	uint8_t sin_zero[8];
};

struct linux_ifmap {
	uint64_t mem_start;
	uint64_t mem_end;
	uint16_t base_addr;
	uint8_t irq;
	uint8_t dma;
	uint8_t port;
};

/* struct ifreq: the name, then one of these (24 bytes: ifmap is the largest). */
struct linux_ifreq {
	char ifr_name[LINUX_IFNAMSIZ];
	union {
		struct linux_sockaddr ifr_addr; /* also dstaddr, broadaddr, netmask, hwaddr */
		int16_t ifr_flags;
		int32_t ifr_ifindex; /* also metric, mtu, qlen */
		struct linux_ifmap ifr_map;
		char ifr_newname[LINUX_IFNAMSIZ];
		uint64_t ifr_data;
	} u;
};
_Static_assert(sizeof(struct linux_ifreq) == 40, "ifreq layout");

struct linux_ifconf {
	int32_t ifc_len;
	uint32_t pad;
	uint64_t ifc_buf; /* a guest pointer */
};
_Static_assert(sizeof(struct linux_ifconf) == 16, "ifconf layout");

#endif /* COMMON_ABI_LINUX_NETLINK_H */
