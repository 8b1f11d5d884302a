/*
 * The guest ABI of the inet families (x86-64 Linux): protocol numbers,
 * socket addresses and the option numbers of SOL_SOCKET, IPPROTO_IP,
 * IPPROTO_IPV6, TCP and raw sockets that the sandbox's stack
 * (sentry/net/inet*.c) and host sockets (sentry/net/hostinet.c) answer.
 */
#ifndef COMMON_ABI_LINUX_INET_H
#define COMMON_ABI_LINUX_INET_H

#include <stdint.h>

#define LINUX_IPPROTO_IP     0
#define LINUX_IPPROTO_ICMP   1
#define LINUX_IPPROTO_TCP    6
#define LINUX_IPPROTO_UDP    17
#define LINUX_IPPROTO_IPV6   41
#define LINUX_IPPROTO_ICMPV6 58
#define LINUX_IPPROTO_RAW    255
/* Levels named by their protocol. */
#define LINUX_SOL_TCP 6
#define LINUX_SOL_RAW 255

struct linux_sockaddr_in {
	uint16_t family;
	uint16_t port; /* network order */
	uint8_t addr[4];
	uint8_t zero[8];
};

struct linux_sockaddr_in6 {
	uint16_t family;
	uint16_t port;
	uint32_t flowinfo;
	uint8_t addr[16];
	uint32_t scope_id;
};

/* Linux's SIN6_LEN_RFC2133: the shortest sockaddr_in6 bind and connect take. */
#define LINUX_SIN6_LEN_RFC2133 24

/* SOL_SOCKET options beyond socket.h's. */
#define LINUX_SO_BROADCAST 6
#define LINUX_SO_OOBINLINE 10
#define LINUX_SO_REUSEPORT 15

#define LINUX_TCP_NODELAY      1
#define LINUX_TCP_MAXSEG       2
#define LINUX_TCP_CORK         3
#define LINUX_TCP_KEEPIDLE     4
#define LINUX_TCP_KEEPINTVL    5
#define LINUX_TCP_KEEPCNT      6
#define LINUX_TCP_INFO         11
#define LINUX_TCP_QUICKACK     12
#define LINUX_TCP_CONGESTION   13
#define LINUX_TCP_USER_TIMEOUT 18

#define LINUX_IP_TOS          1
#define LINUX_IP_TTL          2
#define LINUX_IP_HDRINCL      3
#define LINUX_IP_MTU_DISCOVER 10
#define LINUX_IP_RECVERR      11

#define LINUX_IPV6_UNICAST_HOPS 16
#define LINUX_IPV6_RECVERR      25
#define LINUX_IPV6_V6ONLY       26
#define LINUX_IPV6_HOPLIMIT     52
#define LINUX_IPV6_TCLASS       67

/* Raw sockets: SOL_RAW's ICMP_FILTER, IPPROTO_ICMPV6's ICMP6_FILTER. */
#define LINUX_ICMP_FILTER  1
#define LINUX_ICMP6_FILTER 1

#endif /* COMMON_ABI_LINUX_INET_H */
