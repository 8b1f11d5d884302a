/*
 * net_util.h: helpers for the inet socket tests (net_*.c).
 *
 * Every address is on loopback (127.0.0.1, ::1 or ::ffff:127.0.0.1) and every port is
 * chosen by the kernel (bind to port 0, then read it back), so that the tests depend on no
 * host interface and on no fixed port, and run alongside each other.
 *
 * Tests that take a family do so as their first argument, "inet" or "inet6" (net_family_arg),
 * so that one program serves both; meson.build registers it once per family.
 *
 * Blocking calls have no timeout of their own: net_timeout() arms alarm() with a handler
 * that names the test and fails it, so a hang becomes a failure with a message. The handler
 * matters: a test runs as the init of a pid namespace, and Linux drops signals whose action
 * is the default for an init, SIGALRM included.
 */
#ifndef RUNSC_TESTS_SYSCALLS_NET_UTIL_H
#define RUNSC_TESTS_SYSCALLS_NET_UTIL_H

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>

#include "test.h"

/* struct net_addr is a socket address of either family, with its length. */
struct net_addr {
	union {
		struct sockaddr sa;
		struct sockaddr_in in;
		struct sockaddr_in6 in6;
		struct sockaddr_storage ss;
	};
	socklen_t len;
};

static const char *g_net_test_name = "net test";

static void net_alarm_handler(int sig)
{
	static const char msg[] = ": timed out (a blocking call never returned)\n";

	(void)sig;
	/* Best effort: the test fails whether or not the message gets out. */
	if (write(2, g_net_test_name, strlen(g_net_test_name)) > 0)
		(void)!write(2, msg, sizeof(msg) - 1);
	_exit(1);
}

/* net_timeout fails the test, with a message, if it still runs after seconds. */
static inline void net_timeout(const char *name, unsigned seconds)
{
	struct sigaction sa = { .sa_handler = net_alarm_handler };

	g_net_test_name = name;
	CHECK_SYS(sigaction(SIGALRM, &sa, NULL));
	alarm(seconds);
}

/* net_family_arg returns AF_INET or AF_INET6 for argv[1] ("inet" or "inet6"). */
static inline int net_family_arg(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "inet") == 0)
		return AF_INET;
	if (argc >= 2 && strcmp(argv[1], "inet6") == 0)
		return AF_INET6;
	test_fail(__FILE__, __LINE__, "usage: %s inet|inet6", argv[0]);
}

/* net_loopback returns 127.0.0.1 or ::1 with port (host order). */
static inline struct net_addr net_loopback(int family, uint16_t port)
{
	struct net_addr a;

	memset(&a, 0, sizeof(a));
	if (family == AF_INET) {
		a.in.sin_family = AF_INET;
		a.in.sin_port = htons(port);
		a.in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		a.len = sizeof(a.in);
	} else {
		a.in6.sin6_family = AF_INET6;
		a.in6.sin6_port = htons(port);
		a.in6.sin6_addr = in6addr_loopback;
		a.len = sizeof(a.in6);
	}
	return a;
}

/* net_any returns 0.0.0.0 or :: with port (host order). */
static inline struct net_addr net_any(int family, uint16_t port)
{
	struct net_addr a = net_loopback(family, port);

	if (family == AF_INET)
		a.in.sin_addr.s_addr = htonl(INADDR_ANY);
	else
		a.in6.sin6_addr = in6addr_any;
	return a;
}

/* net_parse returns the address text (either family) with port (host order). */
static inline struct net_addr net_parse(const char *text, uint16_t port)
{
	struct net_addr a = net_loopback(AF_INET, port);

	if (inet_pton(AF_INET, text, &a.in.sin_addr) == 1)
		return a;
	a = net_loopback(AF_INET6, port);
	if (inet_pton(AF_INET6, text, &a.in6.sin6_addr) != 1)
		test_fail(__FILE__, __LINE__, "bad address %s", text);
	return a;
}

/* net_port returns a's port in host order. */
static inline uint16_t net_port(const struct net_addr *a)
{
	return ntohs(a->sa.sa_family == AF_INET ? a->in.sin_port : a->in6.sin6_port);
}

/*
 * net_addr_eq tells whether a and b have the same length, family, address and port, and for
 * IPv6 the same flow label and scope id (0 for all the addresses these tests use).
 */
static inline int net_addr_eq(const struct net_addr *a, const struct net_addr *b)
{
	if (a->len != b->len || a->sa.sa_family != b->sa.sa_family || net_port(a) != net_port(b))
		return 0;
	if (a->sa.sa_family == AF_INET)
		return a->in.sin_addr.s_addr == b->in.sin_addr.s_addr;
	return memcmp(&a->in6.sin6_addr, &b->in6.sin6_addr, sizeof(struct in6_addr)) == 0 &&
	       a->in6.sin6_flowinfo == b->in6.sin6_flowinfo &&
	       a->in6.sin6_scope_id == b->in6.sin6_scope_id;
}

/* net_sockname returns fd's local address. */
static inline struct net_addr net_sockname(int fd)
{
	struct net_addr a;

	memset(&a, 0, sizeof(a));
	a.len = sizeof(a.ss);
	CHECK_SYS(getsockname(fd, &a.sa, &a.len));
	return a;
}

/* net_peername returns fd's peer address. */
static inline struct net_addr net_peername(int fd)
{
	struct net_addr a;

	memset(&a, 0, sizeof(a));
	a.len = sizeof(a.ss);
	CHECK_SYS(getpeername(fd, &a.sa, &a.len));
	return a;
}

/* net_bound returns a new socket of type bound to loopback port 0; its address in *out. */
static inline int net_bound(int family, int type, struct net_addr *out)
{
	int fd = (int)CHECK_SYS(socket(family, type, 0));
	struct net_addr a = net_loopback(family, 0);

	CHECK_SYS(bind(fd, &a.sa, a.len));
	*out = net_sockname(fd);
	CHECK(net_port(out) != 0);
	return fd;
}

/* net_listener returns a new TCP socket listening on loopback; its address in *out. */
static inline int net_listener(int family, int backlog, struct net_addr *out)
{
	int fd = net_bound(family, SOCK_STREAM, out);

	CHECK_SYS(listen(fd, backlog));
	return fd;
}

/* net_connect returns a new blocking TCP socket connected to a. */
static inline int net_connect(const struct net_addr *a)
{
	int fd = (int)CHECK_SYS(socket(a->sa.sa_family, SOCK_STREAM, 0));

	CHECK_SYS(connect(fd, &a->sa, a->len));
	return fd;
}

/*
 * net_tcp_pair connects two TCP sockets over loopback: *client made the connection, *server
 * is what accept returned. The listener is closed again.
 */
static inline void net_tcp_pair(int family, int *client, int *server)
{
	struct net_addr a;
	int l = net_listener(family, 1, &a);

	*client = net_connect(&a);
	*server = (int)CHECK_SYS(accept(l, NULL, NULL));
	CHECK_SYS(close(l));
}

/*
 * net_closed_port returns a TCP socket bound to a loopback port without listening, and that
 * port's address in *out: while the socket stays open, nothing else can take the port, and
 * a connection to it is refused.
 */
static inline int net_closed_port(int family, struct net_addr *out)
{
	return net_bound(family, SOCK_STREAM, out);
}

/* net_wait blocks (under net_timeout) until fd has one of events; returns revents. */
static inline short net_wait(int fd, short events)
{
	struct pollfd p = { .fd = fd, .events = events };

	CHECK_EQ(poll(&p, 1, -1), 1);
	return p.revents;
}

/*
 * net_wait_all blocks (under net_timeout) until fd has all of events at once; returns
 * revents. Linux changes a socket's state in steps that poll may see half done (a reset
 * sets the error before the hang-up, for instance), so a test that checks several events
 * together waits for them together.
 */
static inline short net_wait_all(int fd, short events)
{
	for (;;) {
		short revents = net_wait(fd, events);
		if ((revents & events) == events)
			return revents;
		usleep(1000);
	}
}

/* net_revents returns fd's ready events among events now, without waiting. */
static inline short net_revents(int fd, short events)
{
	struct pollfd p = { .fd = fd, .events = events };

	CHECK_SYS(poll(&p, 1, 0));
	return p.revents;
}

/* net_set_nonblock turns O_NONBLOCK on or off. */
static inline void net_set_nonblock(int fd, int on)
{
	int fl = (int)CHECK_SYS(fcntl(fd, F_GETFL));

	CHECK_SYS(fcntl(fd, F_SETFL, on ? fl | O_NONBLOCK : fl & ~O_NONBLOCK));
}

/* net_get_int returns an int option, checking that Linux reports its size as 4. */
static inline int net_get_int(int fd, int level, int name)
{
	int v = -12345;
	socklen_t len = sizeof(v);

	CHECK_SYS(getsockopt(fd, level, name, &v, &len));
	CHECK_EQ(len, sizeof(v));
	return v;
}

/* net_set_int sets an int option. */
static inline void net_set_int(int fd, int level, int name, int v)
{
	CHECK_SYS(setsockopt(fd, level, name, &v, sizeof(v)));
}

/* net_send_all sends size bytes, looping over short sends. */
static inline void net_send_all(int fd, const void *buf, size_t size)
{
	const char *p = buf;

	while (size > 0) {
		ssize_t n = CHECK_SYS(send(fd, p, size, MSG_NOSIGNAL));
		CHECK(n > 0);
		p += n;
		size -= (size_t)n;
	}
}

/* net_recv_all receives exactly size bytes; the peer must not close first. */
static inline void net_recv_all(int fd, void *buf, size_t size)
{
	char *p = buf;

	while (size > 0) {
		ssize_t n = CHECK_SYS(recv(fd, p, size, 0));
		if (n == 0)
			test_fail(__FILE__, __LINE__, "EOF with %zu bytes still expected", size);
		p += n;
		size -= (size_t)n;
	}
}

#endif /* RUNSC_TESTS_SYSCALLS_NET_UTIL_H */
