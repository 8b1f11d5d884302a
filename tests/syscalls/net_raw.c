/*
 * Raw sockets (SOCK_RAW, root's: CAP_NET_RAW) of ICMP and ICMPv6 on loopback, as busybox's
 * ping uses them.
 *
 * An IPv4 raw socket receives each packet of its protocol with its IP header, an IPv6 one
 * the payload; both see the echo requests going to the local host too (they are local
 * packets), unless ICMP_FILTER or ICMP6_FILTER drops those types. For IPv4 the program
 * computes the ICMP checksum; for ICMPv6 the kernel does. getsockname's port is the
 * protocol. Natively the test runs in a network namespace of its own, with lo up.
 */
#include <net/if.h>
#include <netinet/icmp6.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <sched.h>
#include <sys/ioctl.h>

#include "net_util.h"

#define LINUX_ICMP_FILTER 1 /* <linux/icmp.h>, which conflicts with glibc's headers */

/* Its own network namespace natively (the sandbox refuses and needs none), with lo up. */
static void own_netns(void)
{
	if (unshare(CLONE_NEWNET) != 0)
		return;
	int s = (int)CHECK_SYS(socket(AF_INET, SOCK_DGRAM, 0));
	struct ifreq ifr = { 0 };
	strcpy(ifr.ifr_name, "lo");
	CHECK_SYS(ioctl(s, SIOCGIFFLAGS, &ifr));
	ifr.ifr_flags |= IFF_UP;
	CHECK_SYS(ioctl(s, SIOCSIFFLAGS, &ifr));
	CHECK_SYS(close(s));
}

static uint16_t checksum(const unsigned char *p, size_t len)
{
	uint32_t sum = 0;
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void test_v4(void)
{
	int fd = (int)CHECK_SYS(socket(AF_INET, SOCK_RAW, IPPROTO_ICMP));
	struct net_addr me = net_sockname(fd);
	CHECK_EQ(net_port(&me), IPPROTO_ICMP);
	CHECK_EQ(net_get_int(fd, IPPROTO_IP, IP_HDRINCL), 0);
	/* Only echo replies: the request looped back to this host is filtered out. */
	uint32_t filt = ~(1u << ICMP_ECHOREPLY); /* <linux/icmp.h>'s struct icmp_filter */
	CHECK_SYS(setsockopt(fd, SOL_RAW, LINUX_ICMP_FILTER, &filt, sizeof(filt)));

	unsigned char req[16] = { ICMP_ECHO, 0, 0, 0, 0x12, 0x34, 0, 7, 'r', 'a', 'w', '4' };
	uint16_t sum = checksum(req, sizeof(req));
	req[2] = (unsigned char)(sum >> 8);
	req[3] = (unsigned char)sum;
	struct net_addr to = net_loopback(AF_INET, 0);
	CHECK_EQ(sendto(fd, req, sizeof(req), 0, &to.sa, to.len), (ssize_t)sizeof(req));

	unsigned char buf[128];
	struct net_addr from = { .len = sizeof(from.ss) };
	ssize_t n = CHECK_SYS(recvfrom(fd, buf, sizeof(buf), 0, &from.sa, &from.len));
	/* The IP header comes first. */
	CHECK(n >= 20 + (ssize_t)sizeof(req));
	size_t hl = (size_t)(buf[0] & 0xf) * 4;
	CHECK_EQ(buf[0] >> 4, 4);
	CHECK_EQ(buf[9], IPPROTO_ICMP);
	CHECK_EQ(n, (ssize_t)(hl + sizeof(req)));
	CHECK_EQ(buf[hl], ICMP_ECHOREPLY);
	CHECK_EQ(buf[hl + 4] << 8 | buf[hl + 5], 0x1234);
	CHECK(memcmp(buf + hl + 8, req + 8, sizeof(req) - 8) == 0);
	CHECK_EQ(net_port(&from), 0);
	struct net_addr lo = net_loopback(AF_INET, 0);
	CHECK(net_addr_eq(&from, &lo));
	CHECK_SYS(close(fd));
}

static void test_v6(void)
{
	int fd = (int)CHECK_SYS(socket(AF_INET6, SOCK_RAW, IPPROTO_ICMPV6));
	struct net_addr me = net_sockname(fd);
	CHECK_EQ(net_port(&me), IPPROTO_ICMPV6);
	struct icmp6_filter filt;
	ICMP6_FILTER_SETBLOCKALL(&filt);
	ICMP6_FILTER_SETPASS(ICMP6_ECHO_REPLY, &filt);
	CHECK_SYS(setsockopt(fd, IPPROTO_ICMPV6, ICMP6_FILTER, &filt, sizeof(filt)));

	/* The checksum is the kernel's to fill in. */
	unsigned char req[16] = {
		ICMP6_ECHO_REQUEST, 0, 0, 0, 0x56, 0x78, 0, 9, 'r', 'a', 'w', '6'
	};
	struct net_addr to = net_loopback(AF_INET6, 0);
	CHECK_EQ(sendto(fd, req, sizeof(req), 0, &to.sa, to.len), (ssize_t)sizeof(req));

	unsigned char buf[128];
	struct net_addr from = { .len = sizeof(from.ss) };
	ssize_t n = CHECK_SYS(recvfrom(fd, buf, sizeof(buf), 0, &from.sa, &from.len));
	/* The payload only. */
	CHECK_EQ(n, (ssize_t)sizeof(req));
	CHECK_EQ(buf[0], ICMP6_ECHO_REPLY);
	CHECK_EQ(buf[4] << 8 | buf[5], 0x5678);
	CHECK(memcmp(buf + 8, req + 8, sizeof(req) - 8) == 0);
	struct net_addr lo = net_loopback(AF_INET6, 0);
	CHECK(net_addr_eq(&from, &lo));
	CHECK_SYS(close(fd));
}

int main(void)
{
	net_timeout("net_raw", 30);
	/* A protocol is needed. */
	CHECK_ERR(socket(AF_INET, SOCK_RAW, 0), EPROTONOSUPPORT);
	own_netns();
	test_v4();
	test_v6();
	return 0;
}
