/*
 * net_tcp FAMILY: setting up TCP connections on loopback (127.0.0.1 or ::1).
 *
 * The addresses of an unbound socket, port 0 choosing distinct ephemeral ports, EADDRINUSE
 * for a port in use and EINVAL for a second bind, connect and accept with both ends'
 * getsockname and getpeername agreeing (and accept truncating a short address the way
 * getsockname does), ECONNREFUSED from a port with no listener, a connect to 0.0.0.0 or ::
 * reaching loopback, a blocking accept woken by another process, connections completing up
 * to the listen backlog before any accept, listen binding an unbound socket, the errors of
 * listen, connect, accept, shutdown, send and recv on sockets in the wrong state (and Linux
 * recording a failed shutdown), and SO_REUSEADDR: two bound sockets may share a port but
 * not both listen, and a port whose connection is in TIME_WAIT can be bound again.
 * For inet6, also the dual-stack socket: a v4 client reaching a listener on :: (seen as
 * ::ffff:127.0.0.1), a v6 socket reaching a v4 listener through ::ffff:127.0.0.1, and
 * IPV6_V6ONLY refusing both.
 */
#include <netinet/tcp.h>
#include <sys/wait.h>

#include "net_util.h"

static int g_family;

/* The address family's sockaddr size. */
static socklen_t addr_size(void)
{
	return g_family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
}

/* check_is_loopback checks that a is 127.0.0.1 or ::1 (any port). */
static void check_is_loopback(const struct net_addr *a)
{
	struct net_addr want = net_loopback(g_family, net_port(a));

	CHECK(net_addr_eq(a, &want));
}

static void test_unbound(void)
{
	int fd = (int)CHECK_SYS(socket(g_family, SOCK_STREAM, 0));
	struct net_addr a = net_sockname(fd);
	struct net_addr any = net_any(g_family, 0);

	CHECK_EQ(a.len, addr_size());
	CHECK(net_addr_eq(&a, &any));
	struct net_addr p = { .len = sizeof(p.ss) };
	CHECK_ERR(getpeername(fd, &p.sa, &p.len), ENOTCONN);
	CHECK_SYS(close(fd));
}

static void test_ports(void)
{
	struct net_addr a, b;
	int fa = net_bound(g_family, SOCK_STREAM, &a);
	int fb = net_bound(g_family, SOCK_STREAM, &b);

	check_is_loopback(&a);
	CHECK(net_port(&a) != 0);
	CHECK(net_port(&b) != 0);
	CHECK(net_port(&a) != net_port(&b));

	/* The port is taken, on loopback and on the wildcard address. */
	int fc = (int)CHECK_SYS(socket(g_family, SOCK_STREAM, 0));
	CHECK_ERR(bind(fc, &a.sa, a.len), EADDRINUSE);
	struct net_addr any = net_any(g_family, net_port(&a));
	CHECK_ERR(bind(fc, &any.sa, any.len), EADDRINUSE);
	/* A bound socket cannot be bound again, even to a free port. */
	struct net_addr zero = net_loopback(g_family, 0);
	CHECK_ERR(bind(fa, &zero.sa, zero.len), EINVAL);

	/* Closing frees the port (no connection was made, so nothing lingers). */
	CHECK_SYS(close(fa));
	CHECK_SYS(bind(fc, &a.sa, a.len));
	struct net_addr c = net_sockname(fc);
	CHECK(net_addr_eq(&a, &c));
	CHECK_SYS(close(fb));
	CHECK_SYS(close(fc));
}

static void test_connect_accept(void)
{
	struct net_addr la;
	int l = net_listener(g_family, 4, &la);
	int c = net_connect(&la);

	struct net_addr from = { .len = sizeof(from.ss) };
	int s = (int)CHECK_SYS(accept(l, &from.sa, &from.len));
	CHECK_EQ(from.len, addr_size());

	struct net_addr c_local = net_sockname(c), c_peer = net_peername(c);
	struct net_addr s_local = net_sockname(s), s_peer = net_peername(s);
	check_is_loopback(&c_local);
	CHECK(net_port(&c_local) != 0);
	CHECK(net_port(&c_local) != net_port(&la));
	CHECK(net_addr_eq(&from, &c_local));
	CHECK(net_addr_eq(&s_peer, &c_local));
	CHECK(net_addr_eq(&c_peer, &la));
	CHECK(net_addr_eq(&s_local, &la));
	/* The listener keeps its own address and has no peer. */
	struct net_addr l_local = net_sockname(l);
	CHECK(net_addr_eq(&l_local, &la));
	struct net_addr none = { .len = sizeof(none.ss) };
	CHECK_ERR(getpeername(l, &none.sa, &none.len), ENOTCONN);

	char ch = 0;
	CHECK_EQ(send(c, "a", 1, 0), 1);
	CHECK_EQ(recv(s, &ch, 1, 0), 1);
	CHECK_EQ(ch, 'a');
	CHECK_EQ(send(s, "b", 1, 0), 1);
	CHECK_EQ(recv(c, &ch, 1, 0), 1);
	CHECK_EQ(ch, 'b');

	/* accept without an address, and accept with one too short for it. */
	int c2 = net_connect(&la);
	int s2 = (int)CHECK_SYS(accept(l, NULL, NULL));
	int c3 = net_connect(&la);
	unsigned char buf[sizeof(struct sockaddr_in6) + 4];
	memset(buf, 0xa5, sizeof(buf));
	socklen_t len = 4;
	int s3 = (int)CHECK_SYS(accept(l, (struct sockaddr *)buf, &len));
	CHECK_EQ(len, addr_size()); /* the full size, as getsockname reports it */
	CHECK_EQ(((struct sockaddr *)buf)->sa_family, g_family);
	struct net_addr c3_local = net_sockname(c3);
	CHECK(memcmp(buf + 2, &c3_local.in.sin_port, 2) == 0);
	for (size_t i = 4; i < sizeof(buf); i++)
		CHECK_EQ(buf[i], 0xa5);
	/* getsockname truncates the same way. */
	memset(buf, 0xa5, sizeof(buf));
	len = 4;
	CHECK_SYS(getsockname(c3, (struct sockaddr *)buf, &len));
	CHECK_EQ(len, addr_size());
	CHECK_EQ(buf[4], 0xa5);

	int fds[] = { l, c, s, c2, s2, c3, s3 };
	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
		CHECK_SYS(close(fds[i]));
}

static void test_refused(void)
{
	struct net_addr a;
	int holder = net_closed_port(g_family, &a);
	int c = (int)CHECK_SYS(socket(g_family, SOCK_STREAM, 0));

	CHECK_ERR(connect(c, &a.sa, a.len), ECONNREFUSED);
	/* The socket may try again; it is refused again. */
	CHECK_ERR(connect(c, &a.sa, a.len), ECONNREFUSED);
	CHECK_EQ(net_get_int(c, SOL_SOCKET, SO_ERROR), 0);
	struct net_addr p = { .len = sizeof(p.ss) };
	CHECK_ERR(getpeername(c, &p.sa, &p.len), ENOTCONN);
	CHECK_SYS(close(c));
	CHECK_SYS(close(holder));
}

/*
 * Linux completes connections into the accept queue until it holds more than backlog
 * (so backlog + 1 of them); only the first backlog are asserted here.
 */
static void test_backlog(void)
{
	enum { backlog = 5 };
	struct net_addr la;
	int l = net_listener(g_family, backlog, &la);
	int c[backlog];
	struct net_addr c_local[backlog];

	for (int i = 0; i < backlog; i++) {
		c[i] = net_connect(&la);
		c_local[i] = net_sockname(c[i]);
	}
	/* Each is accepted once (in the order the handshakes finished: not asserted). */
	int seen[backlog] = { 0 };
	for (int n = 0; n < backlog; n++) {
		struct net_addr from = { .len = sizeof(from.ss) };
		int s = (int)CHECK_SYS(accept(l, &from.sa, &from.len));
		int i = 0;
		while (i < backlog && !net_addr_eq(&from, &c_local[i]))
			i++;
		CHECK(i < backlog);
		CHECK(!seen[i]);
		seen[i] = 1;
		CHECK_EQ(send(c[i], "x", 1, 0), 1);
		char ch;
		CHECK_EQ(recv(s, &ch, 1, 0), 1);
		CHECK_SYS(close(s));
	}
	for (int i = 0; i < backlog; i++)
		CHECK_SYS(close(c[i]));
	/* listen again on a listener only changes its backlog. */
	CHECK_SYS(listen(l, 1));
	CHECK_SYS(close(l));

	/* listen on an unbound socket binds it to an ephemeral port on the wildcard address. */
	int u = (int)CHECK_SYS(socket(g_family, SOCK_STREAM, 0));
	CHECK_SYS(listen(u, 1));
	struct net_addr ua = net_sockname(u);
	CHECK(net_port(&ua) != 0);
	struct net_addr any = net_any(g_family, net_port(&ua));
	CHECK(net_addr_eq(&ua, &any));
	struct net_addr to = net_loopback(g_family, net_port(&ua));
	int uc = net_connect(&to);
	int us = (int)CHECK_SYS(accept(u, NULL, NULL));
	CHECK_SYS(close(us));
	CHECK_SYS(close(uc));
	CHECK_SYS(close(u));
}

/* Connecting to the wildcard address (0.0.0.0 or ::) reaches the local host (Linux). */
static void test_connect_any(void)
{
	struct net_addr la;
	int l = net_listener(g_family, 1, &la);
	struct net_addr to = net_any(g_family, net_port(&la));
	int c = net_connect(&to);
	struct net_addr peer = net_peername(c);

	CHECK(net_addr_eq(&peer, &la));
	int s = (int)CHECK_SYS(accept(l, NULL, NULL));
	CHECK_SYS(close(s));
	CHECK_SYS(close(c));
	CHECK_SYS(close(l));
}

/* A blocking accept woken by another process's connect. */
static void test_blocking_accept(void)
{
	struct net_addr la;
	int l = net_listener(g_family, 1, &la);

	pid_t pid = CHECK_SYS(fork());
	if (pid == 0) {
		usleep(50000);
		int c = socket(g_family, SOCK_STREAM, 0);
		if (connect(c, &la.sa, la.len) != 0)
			_exit(1);
		_exit(send(c, "k", 1, 0) == 1 ? 0 : 2);
	}
	int s = (int)CHECK_SYS(accept(l, NULL, NULL));
	char ch;
	CHECK_EQ(recv(s, &ch, 1, 0), 1);
	CHECK_EQ(ch, 'k');
	int st;
	CHECK_EQ(waitpid(pid, &st, 0), pid);
	CHECK_EQ(st, 0);
	/* The child's exit closed its end. */
	CHECK_EQ(recv(s, &ch, 1, 0), 0);
	CHECK_SYS(close(s));
	CHECK_SYS(close(l));
}

static void test_wrong_state(void)
{
	struct net_addr la;
	int l = net_listener(g_family, 1, &la);
	int c = net_connect(&la);
	int s = (int)CHECK_SYS(accept(l, NULL, NULL));

	/* connect on a listener or a connected socket. */
	CHECK_ERR(connect(l, &la.sa, la.len), EISCONN);
	CHECK_ERR(connect(c, &la.sa, la.len), EISCONN);
	/* listen on a connected socket; accept on a socket that is not listening. */
	CHECK_ERR(listen(c, 1), EINVAL);
	CHECK_ERR(listen(s, 1), EINVAL);
	CHECK_ERR(accept(c, NULL, NULL), EINVAL);
	int u = (int)CHECK_SYS(socket(g_family, SOCK_STREAM, 0));
	CHECK_ERR(accept(u, NULL, NULL), EINVAL);
	/* send and recv on an unconnected socket (MSG_NOSIGNAL: send also raises SIGPIPE). */
	CHECK_ERR(send(u, "x", 1, MSG_NOSIGNAL), EPIPE);
	char ch;
	CHECK_ERR(recv(u, &ch, 1, 0), ENOTCONN);
	CHECK_ERR(send(l, "x", 1, MSG_NOSIGNAL), EPIPE);
	CHECK_ERR(recv(l, &ch, 1, 0), ENOTCONN);
	/* shutdown needs a connection; how must be SHUT_RD, SHUT_WR or SHUT_RDWR. */
	CHECK_ERR(shutdown(c, 3), EINVAL);
	CHECK_ERR(shutdown(c, -1), EINVAL);
	CHECK_ERR(shutdown(u, SHUT_RDWR), ENOTCONN);
	/*
	 * Yet Linux records the shutdown even as it fails (inet_shutdown falls through from
	 * TCP_CLOSE to set sk_shutdown, to wake pollers): recv now reads end of file.
	 */
	CHECK_EQ(recv(u, &ch, 1, 0), 0);

	int fds[] = { l, c, s, u };
	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
		CHECK_SYS(close(fds[i]));
}

/* Two sockets with SO_REUSEADDR may bind one port, but only one of them may listen. */
static void test_reuseaddr_bind(void)
{
	struct net_addr a;
	int x1 = (int)CHECK_SYS(socket(g_family, SOCK_STREAM, 0));
	int x2 = (int)CHECK_SYS(socket(g_family, SOCK_STREAM, 0));
	int x3 = (int)CHECK_SYS(socket(g_family, SOCK_STREAM, 0));

	net_set_int(x1, SOL_SOCKET, SO_REUSEADDR, 1);
	a = net_loopback(g_family, 0);
	CHECK_SYS(bind(x1, &a.sa, a.len));
	a = net_sockname(x1);
	/* Both sockets need the option. */
	CHECK_ERR(bind(x2, &a.sa, a.len), EADDRINUSE);
	net_set_int(x2, SOL_SOCKET, SO_REUSEADDR, 1);
	CHECK_SYS(bind(x2, &a.sa, a.len));
	CHECK_SYS(listen(x1, 1));
	CHECK_ERR(listen(x2, 1), EADDRINUSE);
	/* Not even with the option may a third bind a listener's port. */
	net_set_int(x3, SOL_SOCKET, SO_REUSEADDR, 1);
	CHECK_ERR(bind(x3, &a.sa, a.len), EADDRINUSE);
	CHECK_SYS(close(x1));
	CHECK_SYS(close(x2));
	CHECK_SYS(close(x3));
}

/*
 * The side that closes first keeps its end in TIME_WAIT, holding the port. Here the server
 * shuts down first and reads the client's FIN: by then its connection is in TIME_WAIT (the
 * socket itself reports TCP_CLOSE), so the test does not depend on timing.
 */
static void test_reuseaddr_time_wait(void)
{
	for (int reuse = 0; reuse <= 1; reuse++) {
		int l = (int)CHECK_SYS(socket(g_family, SOCK_STREAM, 0));
		net_set_int(l, SOL_SOCKET, SO_REUSEADDR, reuse);
		struct net_addr la = net_loopback(g_family, 0);
		CHECK_SYS(bind(l, &la.sa, la.len));
		CHECK_SYS(listen(l, 1));
		la = net_sockname(l);
		int c = net_connect(&la);
		int s = (int)CHECK_SYS(accept(l, NULL, NULL));

		char ch;
		CHECK_SYS(shutdown(s, SHUT_WR));
		CHECK_EQ(recv(c, &ch, 1, 0), 0);
		CHECK_SYS(close(c));
		CHECK_EQ(recv(s, &ch, 1, 0), 0);
		struct tcp_info ti;
		socklen_t len = sizeof(ti);
		CHECK_SYS(getsockopt(s, IPPROTO_TCP, TCP_INFO, &ti, &len));
		CHECK_EQ(ti.tcpi_state, TCP_CLOSE);
		CHECK_SYS(close(s));
		CHECK_SYS(close(l));

		/* The TIME_WAIT connection holds the port against a socket without the option. */
		int n = (int)CHECK_SYS(socket(g_family, SOCK_STREAM, 0));
		CHECK_ERR(bind(n, &la.sa, la.len), EADDRINUSE);
		/* With it, the port is free, if the old listener had the option too. */
		net_set_int(n, SOL_SOCKET, SO_REUSEADDR, 1);
		if (!reuse) {
			CHECK_ERR(bind(n, &la.sa, la.len), EADDRINUSE);
		} else {
			CHECK_SYS(bind(n, &la.sa, la.len));
			CHECK_SYS(listen(n, 1));
			int c2 = net_connect(&la);
			int s2 = (int)CHECK_SYS(accept(n, NULL, NULL));
			CHECK_SYS(close(s2));
			CHECK_SYS(close(c2));
		}
		CHECK_SYS(close(n));
	}
}

/* inet6 only: a dual-stack socket meets v4 through ::ffff:127.0.0.1. */
static void test_v4_mapped(void)
{
	struct net_addr mapped_lo = net_parse("::ffff:127.0.0.1", 0);

	CHECK_EQ(mapped_lo.sa.sa_family, AF_INET6);
	/* A listener on :: (IPV6_V6ONLY off, the default) accepts a v4 client. */
	int l = (int)CHECK_SYS(socket(AF_INET6, SOCK_STREAM, 0));
	CHECK_EQ(net_get_int(l, IPPROTO_IPV6, IPV6_V6ONLY), 0);
	struct net_addr any = net_any(AF_INET6, 0);
	CHECK_SYS(bind(l, &any.sa, any.len));
	CHECK_SYS(listen(l, 1));
	struct net_addr la = net_sockname(l);
	uint16_t port = net_port(&la);
	/* The port is taken for v4 too. */
	int x = (int)CHECK_SYS(socket(AF_INET, SOCK_STREAM, 0));
	struct net_addr lo4 = net_loopback(AF_INET, port);
	CHECK_ERR(bind(x, &lo4.sa, lo4.len), EADDRINUSE);
	CHECK_SYS(close(x));

	int c4 = net_connect(&lo4);
	struct net_addr from = { .len = sizeof(from.ss) };
	int s = (int)CHECK_SYS(accept(l, &from.sa, &from.len));
	struct net_addr c4_local = net_sockname(c4);
	struct net_addr want = net_parse("::ffff:127.0.0.1", net_port(&c4_local));
	CHECK(net_addr_eq(&from, &want));
	struct net_addr s_local = net_sockname(s);
	want = net_parse("::ffff:127.0.0.1", port);
	CHECK(net_addr_eq(&s_local, &want));
	CHECK_EQ(send(c4, "4", 1, 0), 1);
	char ch;
	CHECK_EQ(recv(s, &ch, 1, 0), 1);
	CHECK_EQ(ch, '4');
	CHECK_SYS(close(s));
	CHECK_SYS(close(c4));
	CHECK_SYS(close(l));

	/* A v6 socket reaches a v4 listener through ::ffff:127.0.0.1. */
	struct net_addr l4a;
	int l4 = net_listener(AF_INET, 1, &l4a);
	struct net_addr to = net_parse("::ffff:127.0.0.1", net_port(&l4a));
	int c6 = net_connect(&to);
	struct net_addr c6_local = net_sockname(c6);
	want = net_parse("::ffff:127.0.0.1", net_port(&c6_local));
	CHECK(net_addr_eq(&c6_local, &want));
	from = (struct net_addr){ .len = sizeof(from.ss) };
	s = (int)CHECK_SYS(accept(l4, &from.sa, &from.len));
	want = net_loopback(AF_INET, net_port(&c6_local));
	CHECK(net_addr_eq(&from, &want));
	CHECK_EQ(send(s, "6", 1, 0), 1);
	CHECK_EQ(recv(c6, &ch, 1, 0), 1);
	CHECK_EQ(ch, '6');
	CHECK_SYS(close(s));
	CHECK_SYS(close(c6));

	/* IPV6_V6ONLY: no connecting to, nor binding, a v4-mapped address. */
	int o = (int)CHECK_SYS(socket(AF_INET6, SOCK_STREAM, 0));
	net_set_int(o, IPPROTO_IPV6, IPV6_V6ONLY, 1);
	CHECK_EQ(net_get_int(o, IPPROTO_IPV6, IPV6_V6ONLY), 1);
	CHECK_ERR(connect(o, &to.sa, to.len), ENETUNREACH);
	CHECK_ERR(bind(o, &mapped_lo.sa, mapped_lo.len), EINVAL);
	CHECK_SYS(close(o));
	CHECK_SYS(close(l4));

	/*
	 * A v6-only socket on :: leaves the v4 port alone: it binds the port of a v4 socket
	 * (which a dual-stack one may not), and v4 clients are refused.
	 */
	int holder;
	for (int tries = 0;; tries++) {
		holder = net_closed_port(AF_INET, &lo4); /* not listening: refuses connections */
		port = net_port(&lo4);
		any = net_any(AF_INET6, port);
		int d = (int)CHECK_SYS(socket(AF_INET6, SOCK_STREAM, 0));
		CHECK_ERR(bind(d, &any.sa, any.len), EADDRINUSE);
		CHECK_SYS(close(d));
		l = (int)CHECK_SYS(socket(AF_INET6, SOCK_STREAM, 0));
		net_set_int(l, IPPROTO_IPV6, IPV6_V6ONLY, 1);
		if (bind(l, &any.sa, any.len) == 0)
			break;
		/* Another process may have the port for IPv6 (on ::1, say): try another. */
		CHECK_EQ(errno, EADDRINUSE);
		CHECK(tries < 20);
		CHECK_SYS(close(l));
		CHECK_SYS(close(holder));
	}
	CHECK_SYS(listen(l, 1));
	int c = (int)CHECK_SYS(socket(AF_INET, SOCK_STREAM, 0));
	CHECK_ERR(connect(c, &lo4.sa, lo4.len), ECONNREFUSED);
	CHECK_SYS(close(c));
	/* ::1 still reaches it. */
	struct net_addr lo6 = net_loopback(AF_INET6, port);
	c = net_connect(&lo6);
	s = (int)CHECK_SYS(accept(l, NULL, NULL));
	CHECK_SYS(close(s));
	CHECK_SYS(close(c));
	/* IPV6_V6ONLY can no longer change once the socket is bound. */
	CHECK_ERR(setsockopt(l, IPPROTO_IPV6, IPV6_V6ONLY, &(int){ 0 }, sizeof(int)), EINVAL);
	CHECK_SYS(close(holder));
	CHECK_SYS(close(l));
}

int main(int argc, char **argv)
{
	g_family = net_family_arg(argc, argv);
	net_timeout("net_tcp", 30);
	test_unbound();
	test_ports();
	test_connect_accept();
	test_refused();
	test_connect_any();
	test_blocking_accept();
	test_backlog();
	test_wrong_state();
	test_reuseaddr_bind();
	test_reuseaddr_time_wait();
	if (g_family == AF_INET6)
		test_v4_mapped();
	return 0;
}
