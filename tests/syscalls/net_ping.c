/*
 * ICMP echo ("ping") sockets: SOCK_DGRAM of IPPROTO_ICMP and IPPROTO_ICMPV6 on loopback.
 *
 * The socket sends what the program writes, an ICMP echo request, with its own identifier
 * (the socket's "port") and checksum, and receives the replies to that identifier, ICMP
 * header and payload, from the address that answered (port 0).
 *
 * Natively, Linux lets only the groups of net.ipv4.ping_group_range make them, by default
 * nobody: the test first moves into a network namespace of its own (root only), where it
 * opens the range and brings lo up without touching the host's. In the sandbox that
 * unshare is refused and not needed: the sandbox's stack lets every user make them.
 */
#include <net/if.h>
#include <netinet/icmp6.h>
#include <netinet/ip_icmp.h>
#include <sched.h>
#include <sys/ioctl.h>

#include "net_util.h"

/* Its own network namespace (natively), with ping sockets allowed and lo up. */
static void own_netns(void)
{
	if (unshare(CLONE_NEWNET) != 0)
		return; /* the sandbox: ping sockets are everyone's there */
	int fd = open("/proc/sys/net/ipv4/ping_group_range", O_WRONLY);
	CHECK(fd >= 0);
	static const char range[] = "0 2147483647";
	CHECK_EQ(write(fd, range, sizeof(range) - 1), (ssize_t)(sizeof(range) - 1));
	CHECK_SYS(close(fd));
	int s = (int)CHECK_SYS(socket(AF_INET, SOCK_DGRAM, 0));
	struct ifreq ifr = { 0 };
	strcpy(ifr.ifr_name, "lo");
	CHECK_SYS(ioctl(s, SIOCGIFFLAGS, &ifr));
	ifr.ifr_flags |= IFF_UP;
	CHECK_SYS(ioctl(s, SIOCSIFFLAGS, &ifr));
	CHECK_SYS(close(s));
}

/* An echo request of seq with payload "ping <seq>": its type is the family's. */
static size_t echo_request(int family, uint16_t seq, unsigned char *buf)
{
	memset(buf, 0, 8);
	buf[0] = family == AF_INET ? ICMP_ECHO : ICMP6_ECHO_REQUEST;
	buf[6] = (unsigned char)(seq >> 8);
	buf[7] = (unsigned char)seq;
	int n = snprintf((char *)buf + 8, 32, "ping %u", seq);
	return 8 + (size_t)n;
}

/* Receives the reply to seq on fd; checks its type, identifier, payload and source. */
static void expect_reply(int fd, int family, uint16_t id, uint16_t seq, const unsigned char *req,
                         size_t len)
{
	unsigned char buf[128];
	struct net_addr from = { .len = sizeof(from.ss) };
	ssize_t got = CHECK_SYS(recvfrom(fd, buf, sizeof(buf), 0, &from.sa, &from.len));
	CHECK_EQ(got, (ssize_t)len);
	CHECK_EQ(buf[0], family == AF_INET ? ICMP_ECHOREPLY : ICMP6_ECHO_REPLY);
	CHECK_EQ(buf[1], 0);
	CHECK_EQ(buf[4] << 8 | buf[5], id);
	CHECK_EQ(buf[6] << 8 | buf[7], seq);
	CHECK(memcmp(buf + 8, req + 8, len - 8) == 0);
	struct net_addr lo = net_loopback(family, 0);
	CHECK(net_addr_eq(&from, &lo));
}

static void test_family(int family)
{
	int proto = family == AF_INET ? IPPROTO_ICMP : IPPROTO_ICMPV6;
	int fd = (int)CHECK_SYS(socket(family, SOCK_DGRAM, proto));
	CHECK_EQ(net_get_int(fd, SOL_SOCKET, SO_PROTOCOL), proto);
	struct net_addr to = net_loopback(family, 0);
	unsigned char req[64];

	/* Unbound: the first send picks an identifier, which getsockname shows as the port. */
	size_t len = echo_request(family, 1, req);
	CHECK_EQ(sendto(fd, req, len, 0, &to.sa, to.len), (ssize_t)len);
	struct net_addr bound = net_sockname(fd);
	uint16_t id = net_port(&bound);
	CHECK(id != 0);
	expect_reply(fd, family, id, 1, req, len);

	/* Only echo requests, and at least a header. */
	req[0] = family == AF_INET ? ICMP_ECHOREPLY : ICMP6_ECHO_REPLY;
	CHECK_ERR(sendto(fd, req, len, 0, &to.sa, to.len), EINVAL);
	CHECK_ERR(sendto(fd, req, 4, 0, &to.sa, to.len), EINVAL);
	/* No destination. */
	len = echo_request(family, 2, req);
	CHECK_ERR(send(fd, req, len, 0), EDESTADDRREQ);
	CHECK_SYS(close(fd));

	/* Bound to a chosen identifier; connected: send and recv. */
	fd = (int)CHECK_SYS(socket(family, SOCK_DGRAM, proto));
	struct net_addr me = net_loopback(family, 4242);
	CHECK_SYS(bind(fd, &me.sa, me.len));
	bound = net_sockname(fd);
	CHECK_EQ(net_port(&bound), 4242);
	CHECK_SYS(connect(fd, &to.sa, to.len));
	for (uint16_t seq = 10; seq < 13; seq++) {
		len = echo_request(family, seq, req);
		CHECK_EQ(send(fd, req, len, 0), (ssize_t)len);
		expect_reply(fd, family, 4242, seq, req, len);
	}
	CHECK_SYS(close(fd));
}

int main(void)
{
	net_timeout("net_ping", 30);
	own_netns();
	test_family(AF_INET);
	test_family(AF_INET6);
	return 0;
}
