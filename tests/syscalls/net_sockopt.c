/*
 * net_sockopt: socket options and argument errors of AF_INET and AF_INET6 sockets.
 *
 * What a socket says it is (SO_TYPE, SO_DOMAIN, SO_PROTOCOL, SO_ACCEPTCONN before and after
 * listen, none of them settable); boolean options normalised to 0 or 1 (SO_REUSEADDR,
 * SO_REUSEPORT, SO_KEEPALIVE, TCP_NODELAY, TCP_CORK, TCP_QUICKACK); SO_LINGER; SO_RCVBUF
 * and SO_SNDBUF (doubled, with their minimums); TCP_KEEPIDLE, TCP_KEEPINTVL and TCP_KEEPCNT
 * (defaults, round trips, EINVAL out of range); TCP_INFO's state (and its truncation);
 * IP_TTL and IPV6_UNICAST_HOPS (default 64, -1 restoring it), IP_TOS and IPV6_TCLASS (TCP
 * keeping the ECN bits its own), IPV6_V6ONLY; optlen handling (short buffers, negative
 * lengths, IP options taking a single byte); ENOPROTOOPT and EOPNOTSUPP for options that do
 * not exist or belong to another protocol; SO_REUSEPORT letting two listeners share a port.
 * And the errors of socket, bind and connect: EPROTONOSUPPORT, ESOCKTNOSUPPORT,
 * EADDRNOTAVAIL, EINVAL for short addresses, EAFNOSUPPORT for the other family.
 */
#include <netinet/tcp.h>

#include "net_util.h"

static const int g_families[] = { AF_INET, AF_INET6 };

/* The boolean options: set to 7 they read back 1. */
static const struct {
	int type, level, name, dflt;
} g_bools[] = {
	{ SOCK_STREAM, SOL_SOCKET, SO_REUSEADDR, 0 },  { SOCK_STREAM, SOL_SOCKET, SO_REUSEPORT, 0 },
	{ SOCK_STREAM, SOL_SOCKET, SO_KEEPALIVE, 0 },  { SOCK_DGRAM, SOL_SOCKET, SO_REUSEADDR, 0 },
	{ SOCK_DGRAM, SOL_SOCKET, SO_REUSEPORT, 0 },   { SOCK_DGRAM, SOL_SOCKET, SO_BROADCAST, 0 },
	{ SOCK_STREAM, IPPROTO_TCP, TCP_NODELAY, 0 },  { SOCK_STREAM, IPPROTO_TCP, TCP_CORK, 0 },
	{ SOCK_STREAM, IPPROTO_TCP, TCP_QUICKACK, 1 },
};

static void test_identity(void)
{
	for (size_t i = 0; i < 2; i++) {
		int family = g_families[i];
		int t = (int)CHECK_SYS(socket(family, SOCK_STREAM, 0));
		int u = (int)CHECK_SYS(socket(family, SOCK_DGRAM, 0));

		CHECK_EQ(net_get_int(t, SOL_SOCKET, SO_TYPE), SOCK_STREAM);
		CHECK_EQ(net_get_int(u, SOL_SOCKET, SO_TYPE), SOCK_DGRAM);
		CHECK_EQ(net_get_int(t, SOL_SOCKET, SO_DOMAIN), family);
		CHECK_EQ(net_get_int(u, SOL_SOCKET, SO_DOMAIN), family);
		CHECK_EQ(net_get_int(t, SOL_SOCKET, SO_PROTOCOL), IPPROTO_TCP);
		CHECK_EQ(net_get_int(u, SOL_SOCKET, SO_PROTOCOL), IPPROTO_UDP);
		CHECK_EQ(net_get_int(t, SOL_SOCKET, SO_ERROR), 0);
		CHECK_EQ(net_get_int(t, SOL_SOCKET, SO_ACCEPTCONN), 0);
		CHECK_EQ(net_get_int(u, SOL_SOCKET, SO_ACCEPTCONN), 0);
		CHECK_SYS(listen(t, 1));
		CHECK_EQ(net_get_int(t, SOL_SOCKET, SO_ACCEPTCONN), 1);
		/* They are read-only. */
		int one = 1;
		CHECK_ERR(setsockopt(t, SOL_SOCKET, SO_TYPE, &one, sizeof(one)), ENOPROTOOPT);
		CHECK_ERR(setsockopt(t, SOL_SOCKET, SO_DOMAIN, &one, sizeof(one)), ENOPROTOOPT);
		CHECK_ERR(setsockopt(t, SOL_SOCKET, SO_PROTOCOL, &one, sizeof(one)), ENOPROTOOPT);
		CHECK_ERR(setsockopt(t, SOL_SOCKET, SO_ACCEPTCONN, &one, sizeof(one)), ENOPROTOOPT);
		CHECK_ERR(setsockopt(t, SOL_SOCKET, SO_ERROR, &one, sizeof(one)), ENOPROTOOPT);
		CHECK_SYS(close(t));
		CHECK_SYS(close(u));

		/* Naming the protocol explicitly is the same as 0. */
		t = (int)CHECK_SYS(socket(family, SOCK_STREAM, IPPROTO_TCP));
		CHECK_EQ(net_get_int(t, SOL_SOCKET, SO_PROTOCOL), IPPROTO_TCP);
		u = (int)CHECK_SYS(socket(family, SOCK_DGRAM | SOCK_NONBLOCK, IPPROTO_UDP));
		CHECK_EQ(net_get_int(u, SOL_SOCKET, SO_TYPE), SOCK_DGRAM);
		CHECK_EQ(fcntl(u, F_GETFL) & O_NONBLOCK, O_NONBLOCK);
		CHECK_SYS(close(t));
		CHECK_SYS(close(u));
	}
}

static void test_bools(void)
{
	for (size_t f = 0; f < 2; f++) {
		for (size_t i = 0; i < sizeof(g_bools) / sizeof(g_bools[0]); i++) {
			int fd = (int)CHECK_SYS(socket(g_families[f], g_bools[i].type, 0));
			int level = g_bools[i].level, name = g_bools[i].name;

			CHECK_EQ(net_get_int(fd, level, name), g_bools[i].dflt);
			net_set_int(fd, level, name, 7);
			CHECK_EQ(net_get_int(fd, level, name), 1);
			net_set_int(fd, level, name, 0);
			CHECK_EQ(net_get_int(fd, level, name), 0);
			net_set_int(fd, level, name, -1);
			CHECK_EQ(net_get_int(fd, level, name), 1);
			CHECK_SYS(close(fd));
		}
	}
}

static void test_linger(void)
{
	int fd = (int)CHECK_SYS(socket(AF_INET, SOCK_STREAM, 0));
	struct linger lg = { .l_onoff = -1, .l_linger = -1 };
	socklen_t len = sizeof(lg);

	CHECK_SYS(getsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, &len));
	CHECK_EQ(len, sizeof(lg));
	CHECK_EQ(lg.l_onoff, 0);
	CHECK_EQ(lg.l_linger, 0);
	/* l_onoff is normalised to 1. */
	lg = (struct linger){ .l_onoff = 3, .l_linger = 7 };
	CHECK_SYS(setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)));
	lg = (struct linger){ 0 };
	len = sizeof(lg);
	CHECK_SYS(getsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, &len));
	CHECK_EQ(lg.l_onoff, 1);
	CHECK_EQ(lg.l_linger, 7);
	/* Turning it off keeps the old time. */
	lg = (struct linger){ .l_onoff = 0, .l_linger = 9 };
	CHECK_SYS(setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)));
	len = sizeof(lg);
	CHECK_SYS(getsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, &len));
	CHECK_EQ(lg.l_onoff, 0);
	CHECK_EQ(lg.l_linger, 7);
	/* A short struct is refused when set, truncated when read. */
	CHECK_ERR(setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(int)), EINVAL);
	lg = (struct linger){ .l_onoff = 5, .l_linger = 5 };
	len = sizeof(int);
	CHECK_SYS(getsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, &len));
	CHECK_EQ(len, sizeof(int));
	CHECK_EQ(lg.l_onoff, 0);
	CHECK_EQ(lg.l_linger, 5);
	CHECK_SYS(close(fd));
}

/*
 * Linux doubles the size asked for (half is bookkeeping, socket(7)) and raises it to a
 * minimum: for SO_RCVBUF one minimal packet (2048 bytes and a struct sk_buff: 2304 here),
 * for SO_SNDBUF two of them. The maximum depends on net.core.[rw]mem_max, so it is not
 * tested.
 */
static void test_bufs(void)
{
	for (size_t f = 0; f < 2; f++) {
		for (int type = SOCK_STREAM; type <= SOCK_DGRAM; type++) {
			int fd = (int)CHECK_SYS(socket(g_families[f], type, 0));

			CHECK(net_get_int(fd, SOL_SOCKET, SO_RCVBUF) > 0);
			CHECK(net_get_int(fd, SOL_SOCKET, SO_SNDBUF) > 0);
			net_set_int(fd, SOL_SOCKET, SO_RCVBUF, 65536);
			CHECK_EQ(net_get_int(fd, SOL_SOCKET, SO_RCVBUF), 131072);
			net_set_int(fd, SOL_SOCKET, SO_SNDBUF, 10000);
			CHECK_EQ(net_get_int(fd, SOL_SOCKET, SO_SNDBUF), 20000);

			net_set_int(fd, SOL_SOCKET, SO_RCVBUF, 1);
			int rcv_min = net_get_int(fd, SOL_SOCKET, SO_RCVBUF);
			net_set_int(fd, SOL_SOCKET, SO_RCVBUF, 0);
			CHECK_EQ(net_get_int(fd, SOL_SOCKET, SO_RCVBUF), rcv_min);
			CHECK(rcv_min > 2048 && rcv_min <= 2048 + 512);
			net_set_int(fd, SOL_SOCKET, SO_SNDBUF, 1);
			CHECK_EQ(net_get_int(fd, SOL_SOCKET, SO_SNDBUF), 2 * rcv_min);
			/* Just above the minimum: doubled again. */
			net_set_int(fd, SOL_SOCKET, SO_RCVBUF, rcv_min);
			CHECK_EQ(net_get_int(fd, SOL_SOCKET, SO_RCVBUF), 2 * rcv_min);

			int v = 4096;
			CHECK_ERR(setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, 2), EINVAL);
			CHECK_SYS(close(fd));
		}
	}
}

static void test_keepalive(void)
{
	static const struct {
		int name, dflt, max;
	} opts[] = {
		/* The defaults are net.ipv4.tcp_keepalive_{time,intvl,probes}. */
		{ TCP_KEEPIDLE, 7200, 32767 },
		{ TCP_KEEPINTVL, 75, 32767 },
		{ TCP_KEEPCNT, 9, 127 },
	};

	for (size_t f = 0; f < 2; f++) {
		int fd = (int)CHECK_SYS(socket(g_families[f], SOCK_STREAM, 0));
		for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
			int name = opts[i].name;
			CHECK_EQ(net_get_int(fd, IPPROTO_TCP, name), opts[i].dflt);
			net_set_int(fd, IPPROTO_TCP, name, 5);
			CHECK_EQ(net_get_int(fd, IPPROTO_TCP, name), 5);
			net_set_int(fd, IPPROTO_TCP, name, opts[i].max);
			CHECK_EQ(net_get_int(fd, IPPROTO_TCP, name), opts[i].max);
			int bad[] = { 0, -1, opts[i].max + 1 };
			for (size_t j = 0; j < 3; j++)
				CHECK_ERR(setsockopt(fd, IPPROTO_TCP, name, &bad[j], sizeof(int)),
				          EINVAL);
			CHECK_EQ(net_get_int(fd, IPPROTO_TCP, name), opts[i].max);
		}
		CHECK_SYS(close(fd));
	}
}

static int tcp_state(int fd)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);

	memset(&ti, 0xff, sizeof(ti));
	CHECK_SYS(getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len));
	CHECK_EQ(len, sizeof(ti)); /* the kernel's is larger: it copies what fits */
	return ti.tcpi_state;
}

static void test_tcp_info(void)
{
	for (size_t f = 0; f < 2; f++) {
		int family = g_families[f];
		int u = (int)CHECK_SYS(socket(family, SOCK_STREAM, 0));
		CHECK_EQ(tcp_state(u), TCP_CLOSE);
		CHECK_SYS(close(u));

		struct net_addr la;
		int l = net_listener(family, 1, &la);
		CHECK_EQ(tcp_state(l), TCP_LISTEN);
		int c = net_connect(&la);
		int s = (int)CHECK_SYS(accept(l, NULL, NULL));
		CHECK_EQ(tcp_state(c), TCP_ESTABLISHED);
		CHECK_EQ(tcp_state(s), TCP_ESTABLISHED);

		/* A short buffer gets the start of the struct. */
		unsigned char buf[16];
		memset(buf, 0x55, sizeof(buf));
		socklen_t len = 8;
		CHECK_SYS(getsockopt(c, IPPROTO_TCP, TCP_INFO, buf, &len));
		CHECK_EQ(len, 8);
		CHECK_EQ(buf[0], TCP_ESTABLISHED);
		CHECK_EQ(buf[8], 0x55);
		len = 0;
		CHECK_SYS(getsockopt(c, IPPROTO_TCP, TCP_INFO, buf, &len));
		CHECK_EQ(len, 0);

		/* The side that closes first goes to FIN_WAIT2 once its FIN is acknowledged;
		 * the other to CLOSE_WAIT once the FIN came. */
		CHECK_SYS(shutdown(c, SHUT_WR));
		char ch;
		CHECK_EQ(recv(s, &ch, 1, 0), 0);
		CHECK_EQ(tcp_state(s), TCP_CLOSE_WAIT);
		CHECK_SYS(close(c));
		CHECK_SYS(close(s));
		CHECK_SYS(close(l));

		/* Not for UDP. */
		u = (int)CHECK_SYS(socket(family, SOCK_DGRAM, 0));
		len = sizeof(buf);
		CHECK_ERR(getsockopt(u, IPPROTO_TCP, TCP_INFO, buf, &len),
		          family == AF_INET ? EOPNOTSUPP : ENOPROTOOPT);
		CHECK_SYS(close(u));
	}
}

static void test_ip_opts(void)
{
	int t = (int)CHECK_SYS(socket(AF_INET, SOCK_STREAM, 0));
	int u = (int)CHECK_SYS(socket(AF_INET, SOCK_DGRAM, 0));

	/* IP_TTL: net.ipv4.ip_default_ttl (64) until set; -1 brings the default back. */
	CHECK_EQ(net_get_int(t, IPPROTO_IP, IP_TTL), 64);
	net_set_int(t, IPPROTO_IP, IP_TTL, 200);
	CHECK_EQ(net_get_int(t, IPPROTO_IP, IP_TTL), 200);
	net_set_int(t, IPPROTO_IP, IP_TTL, -1);
	CHECK_EQ(net_get_int(t, IPPROTO_IP, IP_TTL), 64);
	int bad[] = { 0, 256, -2 };
	for (size_t i = 0; i < 3; i++)
		CHECK_ERR(setsockopt(t, IPPROTO_IP, IP_TTL, &bad[i], sizeof(int)), EINVAL);
	net_set_int(t, IPPROTO_IP, IP_TTL, 255);
	CHECK_EQ(net_get_int(t, IPPROTO_IP, IP_TTL), 255);

	/* IP_TOS: TCP keeps the two ECN bits for itself; UDP takes all eight. */
	CHECK_EQ(net_get_int(t, IPPROTO_IP, IP_TOS), 0);
	net_set_int(t, IPPROTO_IP, IP_TOS, 0x10);
	CHECK_EQ(net_get_int(t, IPPROTO_IP, IP_TOS), 0x10);
	net_set_int(t, IPPROTO_IP, IP_TOS, 0xff);
	CHECK_EQ(net_get_int(t, IPPROTO_IP, IP_TOS), 0xfc);
	CHECK_EQ(net_get_int(u, IPPROTO_IP, IP_TOS), 0);
	net_set_int(u, IPPROTO_IP, IP_TOS, 0xff);
	CHECK_EQ(net_get_int(u, IPPROTO_IP, IP_TOS), 0xff);

	/* IP options take a single byte too, read and written. */
	unsigned char ch = 77;
	CHECK_SYS(setsockopt(t, IPPROTO_IP, IP_TTL, &ch, 1));
	CHECK_EQ(net_get_int(t, IPPROTO_IP, IP_TTL), 77);
	ch = 0;
	socklen_t len = 1;
	CHECK_SYS(getsockopt(t, IPPROTO_IP, IP_TTL, &ch, &len));
	CHECK_EQ(len, 1);
	CHECK_EQ(ch, 77);
	/* A larger buffer: an int's worth. */
	long long ll = -1;
	len = sizeof(ll);
	CHECK_SYS(getsockopt(t, IPPROTO_IP, IP_TTL, &ll, &len));
	CHECK_EQ(len, sizeof(int));
	CHECK_EQ(ll & 0xffffffff, 77);
	CHECK_SYS(close(t));
	CHECK_SYS(close(u));

	/* The IPv6 counterparts. */
	t = (int)CHECK_SYS(socket(AF_INET6, SOCK_STREAM, 0));
	u = (int)CHECK_SYS(socket(AF_INET6, SOCK_DGRAM, 0));
	CHECK_EQ(net_get_int(t, IPPROTO_IPV6, IPV6_UNICAST_HOPS), 64);
	net_set_int(t, IPPROTO_IPV6, IPV6_UNICAST_HOPS, 200);
	CHECK_EQ(net_get_int(t, IPPROTO_IPV6, IPV6_UNICAST_HOPS), 200);
	net_set_int(t, IPPROTO_IPV6, IPV6_UNICAST_HOPS, -1);
	CHECK_EQ(net_get_int(t, IPPROTO_IPV6, IPV6_UNICAST_HOPS), 64);
	int bad6[] = { 256, -2 };
	for (size_t i = 0; i < 2; i++)
		CHECK_ERR(setsockopt(t, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &bad6[i], sizeof(int)),
		          EINVAL);
	CHECK_EQ(net_get_int(t, IPPROTO_IPV6, IPV6_TCLASS), 0);
	net_set_int(t, IPPROTO_IPV6, IPV6_TCLASS, 0xff);
	CHECK_EQ(net_get_int(t, IPPROTO_IPV6, IPV6_TCLASS), 0xfc);
	net_set_int(u, IPPROTO_IPV6, IPV6_TCLASS, 0xff);
	CHECK_EQ(net_get_int(u, IPPROTO_IPV6, IPV6_TCLASS), 0xff);
	net_set_int(u, IPPROTO_IPV6, IPV6_TCLASS, -1); /* the default */
	CHECK_EQ(net_get_int(u, IPPROTO_IPV6, IPV6_TCLASS), 0);
	int big = 256;
	CHECK_ERR(setsockopt(u, IPPROTO_IPV6, IPV6_TCLASS, &big, sizeof(big)), EINVAL);

	/* IPV6_V6ONLY: off by default (net.ipv6.bindv6only), settable until bound. */
	CHECK_EQ(net_get_int(u, IPPROTO_IPV6, IPV6_V6ONLY), 0);
	net_set_int(u, IPPROTO_IPV6, IPV6_V6ONLY, 3);
	CHECK_EQ(net_get_int(u, IPPROTO_IPV6, IPV6_V6ONLY), 1);
	net_set_int(u, IPPROTO_IPV6, IPV6_V6ONLY, 0);
	CHECK_EQ(net_get_int(u, IPPROTO_IPV6, IPV6_V6ONLY), 0);
	struct net_addr a = net_loopback(AF_INET6, 0);
	CHECK_SYS(bind(u, &a.sa, a.len));
	int one = 1;
	CHECK_ERR(setsockopt(u, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)), EINVAL);
	/* An IPv6 socket answers the IPv4 options too (for its v4-mapped traffic). */
	CHECK_EQ(net_get_int(t, IPPROTO_IP, IP_TTL), 64);
	CHECK_SYS(close(t));
	CHECK_SYS(close(u));

	/* An IPv4 socket has no IPv6 options. */
	t = (int)CHECK_SYS(socket(AF_INET, SOCK_STREAM, 0));
	len = sizeof(int);
	int v;
	CHECK_ERR(getsockopt(t, IPPROTO_IPV6, IPV6_V6ONLY, &v, &len), EOPNOTSUPP);
	CHECK_ERR(setsockopt(t, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)), ENOPROTOOPT);
	CHECK_SYS(close(t));
}

static void test_optlen(void)
{
	int t = (int)CHECK_SYS(socket(AF_INET, SOCK_STREAM, 0));
	unsigned char buf[8];
	socklen_t len;

	/* Integer options copy what fits and report that length. */
	memset(buf, 0xee, sizeof(buf));
	len = 2;
	CHECK_SYS(getsockopt(t, SOL_SOCKET, SO_TYPE, buf, &len));
	CHECK_EQ(len, 2);
	CHECK_EQ(buf[0], SOCK_STREAM);
	CHECK_EQ(buf[1], 0);
	CHECK_EQ(buf[2], 0xee);
	len = 0;
	CHECK_SYS(getsockopt(t, SOL_SOCKET, SO_TYPE, buf, &len));
	CHECK_EQ(len, 0);
	net_set_int(t, IPPROTO_TCP, TCP_NODELAY, 1);
	memset(buf, 0xee, sizeof(buf));
	len = 1;
	CHECK_SYS(getsockopt(t, IPPROTO_TCP, TCP_NODELAY, buf, &len));
	CHECK_EQ(len, 1);
	CHECK_EQ(buf[0], 1);
	CHECK_EQ(buf[1], 0xee);
	/* A larger buffer: an int's worth. */
	len = sizeof(buf);
	CHECK_SYS(getsockopt(t, SOL_SOCKET, SO_TYPE, buf, &len));
	CHECK_EQ(len, sizeof(int));
	/* A negative length is refused. */
	int v;
	len = (socklen_t)-1;
	CHECK_ERR(getsockopt(t, SOL_SOCKET, SO_TYPE, &v, &len), EINVAL);
	len = (socklen_t)-1;
	CHECK_ERR(getsockopt(t, IPPROTO_TCP, TCP_NODELAY, &v, &len), EINVAL);
	/* Setting an int option needs a whole int. */
	v = 1;
	CHECK_ERR(setsockopt(t, SOL_SOCKET, SO_KEEPALIVE, &v, 2), EINVAL);
	CHECK_ERR(setsockopt(t, IPPROTO_TCP, TCP_NODELAY, &v, 2), EINVAL);
	CHECK_ERR(setsockopt(t, SOL_SOCKET, SO_KEEPALIVE, &v, 0), EINVAL);
	CHECK_SYS(close(t));
}

static void test_unknown(void)
{
	int v = 1;
	socklen_t len;

	for (size_t f = 0; f < 2; f++) {
		int family = g_families[f];
		int t = (int)CHECK_SYS(socket(family, SOCK_STREAM, 0));
		int u = (int)CHECK_SYS(socket(family, SOCK_DGRAM, 0));
		int ip_level = family == AF_INET ? IPPROTO_IP : IPPROTO_IPV6;

		int fds[] = { t, u };
		for (size_t i = 0; i < 2; i++) {
			len = sizeof(v);
			CHECK_ERR(getsockopt(fds[i], SOL_SOCKET, 9999, &v, &len), ENOPROTOOPT);
			CHECK_ERR(setsockopt(fds[i], SOL_SOCKET, 9999, &v, sizeof(v)), ENOPROTOOPT);
			len = sizeof(v);
			CHECK_ERR(getsockopt(fds[i], ip_level, 9999, &v, &len), ENOPROTOOPT);
			CHECK_ERR(setsockopt(fds[i], ip_level, 9999, &v, sizeof(v)), ENOPROTOOPT);
			/* A level nobody knows: IPv4 says EOPNOTSUPP on get, IPv6 ENOPROTOOPT. */
			len = sizeof(v);
			CHECK_ERR(getsockopt(fds[i], 12345, 1, &v, &len),
			          family == AF_INET ? EOPNOTSUPP : ENOPROTOOPT);
			CHECK_ERR(setsockopt(fds[i], 12345, 1, &v, sizeof(v)), ENOPROTOOPT);
		}
		len = sizeof(v);
		CHECK_ERR(getsockopt(t, IPPROTO_TCP, 9999, &v, &len), ENOPROTOOPT);
		CHECK_ERR(setsockopt(t, IPPROTO_TCP, 9999, &v, sizeof(v)), ENOPROTOOPT);
		/* TCP_INFO is read-only. */
		CHECK_ERR(setsockopt(t, IPPROTO_TCP, TCP_INFO, &v, sizeof(v)), ENOPROTOOPT);
		/* TCP options on a UDP socket: the get falls to the IP layer, which does not
		 * know the level (EOPNOTSUPP for IPv4, ENOPROTOOPT for IPv6); the set fails
		 * with ENOPROTOOPT. */
		len = sizeof(v);
		CHECK_ERR(getsockopt(u, IPPROTO_TCP, TCP_NODELAY, &v, &len),
		          family == AF_INET ? EOPNOTSUPP : ENOPROTOOPT);
		CHECK_ERR(setsockopt(u, IPPROTO_TCP, TCP_NODELAY, &v, sizeof(v)), ENOPROTOOPT);
		CHECK_SYS(close(t));
		CHECK_SYS(close(u));
	}
}

/* SO_REUSEPORT: sockets that all set it may bind and listen on one port. */
static void test_reuseport(void)
{
	for (size_t f = 0; f < 2; f++) {
		int family = g_families[f];
		for (int type = SOCK_STREAM; type <= SOCK_DGRAM; type++) {
			int a = (int)CHECK_SYS(socket(family, type, 0));
			int b = (int)CHECK_SYS(socket(family, type, 0));
			int c = (int)CHECK_SYS(socket(family, type, 0));
			net_set_int(a, SOL_SOCKET, SO_REUSEPORT, 1);
			net_set_int(b, SOL_SOCKET, SO_REUSEPORT, 1);
			struct net_addr addr = net_loopback(family, 0);
			CHECK_SYS(bind(a, &addr.sa, addr.len));
			addr = net_sockname(a);
			CHECK_SYS(bind(b, &addr.sa, addr.len));
			CHECK_ERR(bind(c, &addr.sa, addr.len), EADDRINUSE);
			if (type == SOCK_STREAM) {
				CHECK_SYS(listen(a, 1));
				CHECK_SYS(listen(b, 1));
				int conn = net_connect(&addr);
				struct pollfd p[2] = { { .fd = a, .events = POLLIN },
					               { .fd = b, .events = POLLIN } };
				CHECK_EQ(poll(p, 2, -1), 1); /* one of them has it */
				CHECK_SYS(close(conn));
			}
			CHECK_SYS(close(a));
			CHECK_SYS(close(b));
			CHECK_SYS(close(c));
		}
	}
}

static void test_socket_errors(void)
{
	CHECK_ERR(socket(AF_INET, SOCK_STREAM, IPPROTO_UDP), EPROTONOSUPPORT);
	CHECK_ERR(socket(AF_INET, SOCK_DGRAM, IPPROTO_TCP), EPROTONOSUPPORT);
	CHECK_ERR(socket(AF_INET6, SOCK_STREAM, IPPROTO_UDP), EPROTONOSUPPORT);
	CHECK_ERR(socket(AF_INET6, SOCK_DGRAM, IPPROTO_TCP), EPROTONOSUPPORT);
	CHECK_ERR(socket(AF_INET, SOCK_STREAM, 255), EPROTONOSUPPORT);
	CHECK_ERR(socket(AF_INET, SOCK_STREAM, -1), EINVAL);
	CHECK_ERR(socket(AF_INET, SOCK_SEQPACKET, 0), ESOCKTNOSUPPORT);
	CHECK_ERR(socket(AF_INET6, SOCK_SEQPACKET, 0), ESOCKTNOSUPPORT);
	CHECK_ERR(socket(AF_INET, 99, 0), EINVAL);
	CHECK_ERR(socket(AF_INET, SOCK_STREAM | 0x40000000, 0), EINVAL);
}

static void test_bind_errors(void)
{
	/* Addresses on no interface (documentation prefixes; lo has only 127/8 and ::1). */
	int t = (int)CHECK_SYS(socket(AF_INET, SOCK_STREAM, 0));
	struct net_addr a = net_parse("203.0.113.1", 0);
	CHECK_ERR(bind(t, &a.sa, a.len), EADDRNOTAVAIL);
	/* Short, and the other family's address: the size is checked first. */
	a = net_loopback(AF_INET, 0);
	CHECK_ERR(bind(t, &a.sa, sizeof(struct sockaddr_in) - 1), EINVAL);
	CHECK_ERR(connect(t, &a.sa, sizeof(struct sockaddr_in) - 1), EINVAL);
	struct net_addr a6 = net_loopback(AF_INET6, 0);
	CHECK_ERR(bind(t, &a6.sa, a6.len), EAFNOSUPPORT);
	CHECK_ERR(connect(t, &a6.sa, a6.len), EAFNOSUPPORT);
	/* AF_UNSPEC with INADDR_ANY is taken as AF_INET (an old compatibility rule). */
	struct sockaddr_in unspec = { .sin_family = AF_UNSPEC };
	CHECK_SYS(bind(t, (struct sockaddr *)&unspec, sizeof(unspec)));
	struct net_addr got = net_sockname(t);
	CHECK_EQ(got.sa.sa_family, AF_INET);
	CHECK(net_port(&got) != 0);
	CHECK_SYS(close(t));
	int u = (int)CHECK_SYS(socket(AF_INET, SOCK_DGRAM, 0));
	CHECK_ERR(bind(u, &a6.sa, a6.len), EAFNOSUPPORT);
	CHECK_ERR(connect(u, &a6.sa, a6.len), EAFNOSUPPORT);
	a = net_parse("203.0.113.1", 0);
	CHECK_ERR(bind(u, &a.sa, a.len), EADDRNOTAVAIL);
	CHECK_SYS(close(u));

	t = (int)CHECK_SYS(socket(AF_INET6, SOCK_STREAM, 0));
	a6 = net_parse("2001:db8::1", 0);
	CHECK_ERR(bind(t, &a6.sa, a6.len), EADDRNOTAVAIL);
	/* A link-local address needs a scope id. */
	a6 = net_parse("fe80::1", 0);
	CHECK_ERR(bind(t, &a6.sa, a6.len), EINVAL);
	/* A sockaddr_in is too short for an AF_INET6 socket; a long one of the wrong
	 * family is refused for the family. */
	a = net_loopback(AF_INET, 0);
	CHECK_ERR(bind(t, &a.sa, a.len), EINVAL);
	CHECK_ERR(connect(t, &a.sa, a.len), EINVAL);
	a6 = net_loopback(AF_INET6, 0);
	a6.in6.sin6_family = AF_INET;
	CHECK_ERR(bind(t, &a6.sa, a6.len), EAFNOSUPPORT);
	/* 24 bytes (RFC 2133's sockaddr_in6, without sin6_scope_id) is enough. */
	a6 = net_loopback(AF_INET6, 0);
	CHECK_ERR(bind(t, &a6.sa, 23), EINVAL);
	CHECK_SYS(bind(t, &a6.sa, 24));
	got = net_sockname(t);
	CHECK(net_port(&got) != 0);
	CHECK_SYS(close(t));
}

int main(void)
{
	net_timeout("net_sockopt", 30);
	test_identity();
	test_bools();
	test_linger();
	test_bufs();
	test_keepalive();
	test_tcp_info();
	test_ip_opts();
	test_optlen();
	test_unknown();
	test_reuseport();
	test_socket_errors();
	test_bind_errors();
	return 0;
}
