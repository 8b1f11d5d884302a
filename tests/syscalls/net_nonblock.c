/*
 * net_nonblock FAMILY: non-blocking TCP sockets and their readiness on loopback.
 *
 * A non-blocking connect returning EINPROGRESS, then writable with SO_ERROR 0 (a second
 * connect reports the completion with 0, a third EISCONN); to a port with no listener,
 * POLLERR|POLLHUP with SO_ERROR ECONNREFUSED, or ECONNREFUSED from connect again; accept on
 * an empty non-blocking listener failing with EAGAIN, accepted sockets not inheriting
 * O_NONBLOCK, accept4's flags; a full send buffer giving EAGAIN until the peer reads.
 * Readiness with poll and epoll: a fresh socket (POLLOUT|POLLHUP), a listener (POLLIN once a
 * connection waits), data (POLLIN), the peer's shutdown(SHUT_WR) (POLLRDHUP), both sides
 * shut down (POLLHUP), a reset (POLLERR|POLLHUP), select on the same, epoll's
 * edge-triggered reports, and a blocking poll and epoll_wait woken by another process's
 * send.
 */
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/wait.h>

#include "net_util.h"

static int g_family;

#define RD (POLLIN | POLLRDNORM)
#define WR (POLLOUT | POLLWRNORM)

/* All the events poll can report, to see exactly which are ready. */
#define ALL_EVENTS (POLLIN | POLLPRI | POLLOUT | POLLRDNORM | POLLWRNORM | POLLRDHUP)

static void test_connect(void)
{
	struct net_addr la;
	int l = net_listener(g_family, 1, &la);
	int c = (int)CHECK_SYS(socket(g_family, SOCK_STREAM | SOCK_NONBLOCK, 0));

	CHECK_ERR(connect(c, &la.sa, la.len), EINPROGRESS);
	CHECK(net_wait(c, POLLOUT) & POLLOUT);
	CHECK_EQ(net_get_int(c, SOL_SOCKET, SO_ERROR), 0);
	/* The first connect after completion reports it; later ones say it is done. */
	CHECK_SYS(connect(c, &la.sa, la.len));
	CHECK_ERR(connect(c, &la.sa, la.len), EISCONN);
	struct net_addr peer = net_peername(c);
	CHECK(net_addr_eq(&peer, &la));
	int s = (int)CHECK_SYS(accept(l, NULL, NULL));
	CHECK_EQ(send(c, "n", 1, 0), 1);
	char ch;
	CHECK_EQ(recv(s, &ch, 1, 0), 1);
	CHECK_SYS(close(s));
	CHECK_SYS(close(c));
	CHECK_SYS(close(l));

	/* To a port with no listener: the error comes through poll and SO_ERROR... */
	struct net_addr closed;
	int holder = net_closed_port(g_family, &closed);
	c = (int)CHECK_SYS(socket(g_family, SOCK_STREAM | SOCK_NONBLOCK, 0));
	CHECK_ERR(connect(c, &closed.sa, closed.len), EINPROGRESS);
	net_wait_all(c, POLLOUT | POLLERR | POLLHUP);
	CHECK_EQ(net_get_int(c, SOL_SOCKET, SO_ERROR), ECONNREFUSED);
	CHECK_EQ(net_get_int(c, SOL_SOCKET, SO_ERROR), 0);
	CHECK_SYS(close(c));
	/* ...or through connect called again. */
	c = (int)CHECK_SYS(socket(g_family, SOCK_STREAM | SOCK_NONBLOCK, 0));
	CHECK_ERR(connect(c, &closed.sa, closed.len), EINPROGRESS);
	net_wait_all(c, POLLOUT | POLLERR | POLLHUP);
	CHECK_ERR(connect(c, &closed.sa, closed.len), ECONNREFUSED);
	CHECK_SYS(close(c));
	CHECK_SYS(close(holder));
}

static void test_accept(void)
{
	struct net_addr la;
	int l = net_listener(g_family, 4, &la);

	net_set_nonblock(l, 1);
	CHECK_ERR(accept(l, NULL, NULL), EAGAIN);
	CHECK_ERR(accept4(l, NULL, NULL, SOCK_NONBLOCK), EAGAIN);
	CHECK_EQ(net_revents(l, ALL_EVENTS), 0);

	int c1 = net_connect(&la);
	CHECK_EQ(net_wait(l, ALL_EVENTS), RD);
	/* An accepted socket does not inherit the listener's O_NONBLOCK. */
	int s1 = (int)CHECK_SYS(accept(l, NULL, NULL));
	CHECK_EQ(fcntl(s1, F_GETFL) & O_NONBLOCK, 0);
	CHECK_EQ(fcntl(s1, F_GETFD), 0);
	CHECK_ERR(accept(l, NULL, NULL), EAGAIN);
	CHECK_EQ(net_revents(l, ALL_EVENTS), 0);

	int c2 = net_connect(&la);
	CHECK(net_wait(l, POLLIN) & POLLIN);
	int s2 = (int)CHECK_SYS(accept4(l, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC));
	CHECK_EQ(fcntl(s2, F_GETFL) & O_NONBLOCK, O_NONBLOCK);
	CHECK_EQ(fcntl(s2, F_GETFD), FD_CLOEXEC);
	CHECK_ERR(accept4(l, NULL, NULL, 0x40000000), EINVAL);

	int fds[] = { l, c1, s1, c2, s2 };
	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
		CHECK_SYS(close(fds[i]));
}

/* Non-blocking sends fill the buffers until EAGAIN; the peer reading makes room again. */
static void test_full(void)
{
	int c, s;
	static char buf[65536];

	net_tcp_pair(g_family, &c, &s);
	net_set_nonblock(c, 1);
	memset(buf, 'f', sizeof(buf));
	size_t total = 0;
	/* Acknowledgements still coming in may free space after an EAGAIN; go on until poll
	 * says the socket stays unwritable. */
	for (;;) {
		ssize_t n = send(c, buf, sizeof(buf), 0);
		if (n > 0) {
			total += (size_t)n;
			continue;
		}
		CHECK_EQ(n, -1);
		CHECK_EQ(errno, EAGAIN);
		struct pollfd p = { .fd = c, .events = POLLOUT };
		if (CHECK_SYS(poll(&p, 1, 100)) == 0)
			break;
	}
	/* (No send or poll here: a late acknowledgement may free room at any time, and a
	 * byte or two may still fit into the last buffer queued.) */
	CHECK(total > 0);

	size_t got = 0;
	while (got < total) {
		ssize_t n = CHECK_SYS(recv(s, buf, sizeof(buf), 0));
		CHECK(n > 0);
		got += (size_t)n;
	}
	CHECK_EQ(got, total);
	CHECK(net_wait(c, POLLOUT) & POLLOUT);
	CHECK_EQ(send(c, "z", 1, 0), 1);
	CHECK_SYS(close(c));
	CHECK_SYS(close(s));
}

static void test_poll_states(void)
{
	int c, s;
	char buf[16];

	/* A socket that is not connected: writable (it would fail at once) and hung up. */
	int u = (int)CHECK_SYS(socket(g_family, SOCK_STREAM, 0));
	CHECK_EQ(net_revents(u, ALL_EVENTS), WR | POLLHUP);
	CHECK_SYS(close(u));

	net_tcp_pair(g_family, &c, &s);
	CHECK_EQ(net_revents(c, ALL_EVENTS), WR);
	CHECK_EQ(send(s, "d", 1, 0), 1);
	CHECK(net_wait(c, POLLIN) & POLLIN);
	CHECK_EQ(net_revents(c, ALL_EVENTS), RD | WR);
	CHECK_EQ(recv(c, buf, sizeof(buf), 0), 1);
	CHECK_EQ(net_revents(c, ALL_EVENTS), WR);

	/* The peer's SHUT_WR: readable (end of file) and POLLRDHUP, still writable. */
	CHECK_SYS(shutdown(s, SHUT_WR));
	CHECK(net_wait(c, POLLRDHUP) & POLLRDHUP);
	CHECK_EQ(net_revents(c, ALL_EVENTS), RD | WR | POLLRDHUP);
	/* POLLRDHUP is reported only when asked for. */
	CHECK_EQ(net_revents(c, POLLIN | POLLOUT), POLLIN | POLLOUT);
	CHECK_EQ(recv(c, buf, sizeof(buf), 0), 0);
	CHECK_EQ(net_revents(c, ALL_EVENTS), RD | WR | POLLRDHUP);
	/* Both directions shut down: POLLHUP, whatever was asked for. */
	CHECK_SYS(shutdown(c, SHUT_WR));
	CHECK(net_wait(s, POLLRDHUP) & POLLRDHUP);
	CHECK_EQ(net_revents(c, ALL_EVENTS), RD | WR | POLLRDHUP | POLLHUP);
	CHECK_EQ(net_revents(s, ALL_EVENTS), RD | WR | POLLRDHUP | POLLHUP);
	CHECK_EQ(net_revents(s, 0), POLLHUP);
	CHECK_SYS(close(c));
	CHECK_SYS(close(s));

	/* A reset: POLLERR and POLLHUP, whatever was asked for. */
	net_tcp_pair(g_family, &c, &s);
	CHECK_EQ(send(c, "unread", 6, 0), 6);
	CHECK(net_wait(s, POLLIN) & POLLIN);
	CHECK_SYS(close(s));
	net_wait_all(c, POLLIN | POLLHUP | POLLERR);
	CHECK_EQ(net_revents(c, ALL_EVENTS), RD | WR | POLLRDHUP | POLLHUP | POLLERR);
	CHECK_EQ(net_revents(c, 0), POLLHUP | POLLERR);
	/* Once the error is taken, the hang-up stays. */
	CHECK_EQ(net_get_int(c, SOL_SOCKET, SO_ERROR), ECONNRESET);
	CHECK_EQ(net_revents(c, 0), POLLHUP);
	CHECK_SYS(close(c));
}

/* select: which of fd's read, write and except sets are ready now, as bits 1, 2, 4. */
static int select_now(int fd)
{
	fd_set r, w, e;
	struct timeval tv = { 0 };

	FD_ZERO(&r);
	FD_ZERO(&w);
	FD_ZERO(&e);
	FD_SET(fd, &r);
	FD_SET(fd, &w);
	FD_SET(fd, &e);
	CHECK_SYS(select(fd + 1, &r, &w, &e, &tv));
	return (FD_ISSET(fd, &r) ? 1 : 0) | (FD_ISSET(fd, &w) ? 2 : 0) | (FD_ISSET(fd, &e) ? 4 : 0);
}

static void test_select(void)
{
	struct net_addr la;
	int l = net_listener(g_family, 1, &la);

	CHECK_EQ(select_now(l), 0);
	int c = net_connect(&la);
	CHECK(net_wait(l, POLLIN) & POLLIN);
	CHECK_EQ(select_now(l), 1);
	int s = (int)CHECK_SYS(accept(l, NULL, NULL));
	CHECK_EQ(select_now(c), 2);
	CHECK_EQ(send(s, "s", 1, 0), 1);
	CHECK(net_wait(c, POLLIN) & POLLIN);
	CHECK_EQ(select_now(c), 3);
	char ch;
	CHECK_EQ(recv(c, &ch, 1, 0), 1);
	/* End of file is "readable": the read would not block. */
	CHECK_SYS(shutdown(s, SHUT_WR));
	CHECK(net_wait(c, POLLRDHUP) & POLLRDHUP);
	CHECK_EQ(select_now(c), 3);
	CHECK_SYS(close(s));
	CHECK_SYS(close(c));
	CHECK_SYS(close(l));
}

static int ep_wait_now(int ep, struct epoll_event *ev)
{
	return (int)CHECK_SYS(epoll_wait(ep, ev, 1, 0));
}

static void test_epoll(void)
{
	int c, s;
	char buf[16];
	struct epoll_event ev;
	int ep = (int)CHECK_SYS(epoll_create1(EPOLL_CLOEXEC));

	/* A listener: EPOLLIN once a connection waits. */
	struct net_addr la;
	int l = net_listener(g_family, 2, &la);
	ev = (struct epoll_event){ .events = EPOLLIN, .data.u64 = 1 };
	CHECK_SYS(epoll_ctl(ep, EPOLL_CTL_ADD, l, &ev));
	CHECK_EQ(ep_wait_now(ep, &ev), 0);
	c = net_connect(&la);
	CHECK_EQ(epoll_wait(ep, &ev, 1, -1), 1);
	CHECK_EQ(ev.events, EPOLLIN);
	CHECK_EQ(ev.data.u64, 1);
	s = (int)CHECK_SYS(accept(l, NULL, NULL));
	CHECK_EQ(ep_wait_now(ep, &ev), 0);
	CHECK_SYS(epoll_ctl(ep, EPOLL_CTL_DEL, l, NULL));
	CHECK_SYS(close(l));

	/* Level-triggered: data, then the peer's SHUT_WR as EPOLLRDHUP. */
	ev = (struct epoll_event){ .events = EPOLLIN | EPOLLOUT | EPOLLRDHUP, .data.u64 = 2 };
	CHECK_SYS(epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev));
	CHECK_EQ(ep_wait_now(ep, &ev), 1);
	CHECK_EQ(ev.events, EPOLLOUT);
	CHECK_EQ(send(s, "e", 1, 0), 1);
	CHECK(net_wait(c, POLLIN) & POLLIN);
	CHECK_EQ(ep_wait_now(ep, &ev), 1);
	CHECK_EQ(ev.events, EPOLLIN | EPOLLOUT);
	CHECK_EQ(recv(c, buf, sizeof(buf), 0), 1);
	CHECK_SYS(shutdown(s, SHUT_WR));
	CHECK(net_wait(c, POLLRDHUP) & POLLRDHUP);
	CHECK_EQ(ep_wait_now(ep, &ev), 1);
	CHECK_EQ(ev.events, EPOLLIN | EPOLLOUT | EPOLLRDHUP);
	CHECK_EQ(ev.data.u64, 2);
	CHECK_SYS(epoll_ctl(ep, EPOLL_CTL_DEL, c, NULL));
	CHECK_SYS(close(c));
	CHECK_SYS(close(s));

	/* Edge-triggered: one report per arrival. */
	net_tcp_pair(g_family, &c, &s);
	ev = (struct epoll_event){ .events = EPOLLIN | EPOLLET, .data.u64 = 3 };
	CHECK_SYS(epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev));
	CHECK_EQ(ep_wait_now(ep, &ev), 0);
	CHECK_EQ(send(s, "1", 1, 0), 1);
	CHECK_EQ(epoll_wait(ep, &ev, 1, -1), 1);
	CHECK_EQ(ev.events, EPOLLIN);
	CHECK_EQ(ep_wait_now(ep, &ev), 0);
	CHECK_EQ(send(s, "2", 1, 0), 1);
	CHECK_EQ(epoll_wait(ep, &ev, 1, -1), 1);
	CHECK_EQ(ev.events, EPOLLIN);
	CHECK_EQ(recv(c, buf, sizeof(buf), 0), 2);
	CHECK_EQ(ep_wait_now(ep, &ev), 0);

	/* A reset: EPOLLERR and EPOLLHUP although not asked for. */
	CHECK_EQ(send(c, "unread", 6, 0), 6);
	CHECK(net_wait(s, POLLIN) & POLLIN);
	CHECK_SYS(close(s));
	net_wait_all(c, POLLIN | POLLHUP | POLLERR);
	CHECK_EQ(epoll_wait(ep, &ev, 1, -1), 1);
	CHECK_EQ(ev.events & (EPOLLERR | EPOLLHUP), EPOLLERR | EPOLLHUP);
	CHECK_SYS(close(c));
	CHECK_SYS(close(ep));
}

/* A blocking poll and epoll_wait woken by a send from another process. */
static void test_wakeup(void)
{
	int c, s;
	char buf[16];
	int ep = (int)CHECK_SYS(epoll_create1(0));

	net_tcp_pair(g_family, &c, &s);
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 4 };
	CHECK_SYS(epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev));
	for (int round = 0; round < 2; round++) {
		pid_t pid = CHECK_SYS(fork());
		if (pid == 0) {
			usleep(50000);
			_exit(send(s, "w", 1, 0) == 1 ? 0 : 1);
		}
		if (round == 0) {
			CHECK_EQ(net_wait(c, POLLIN), POLLIN);
		} else {
			CHECK_EQ(epoll_wait(ep, &ev, 1, -1), 1);
			CHECK_EQ(ev.data.u64, 4);
		}
		CHECK_EQ(recv(c, buf, sizeof(buf), 0), 1);
		int st;
		CHECK_EQ(waitpid(pid, &st, 0), pid);
		CHECK_EQ(st, 0);
	}
	CHECK_SYS(close(ep));
	CHECK_SYS(close(c));
	CHECK_SYS(close(s));
}

int main(int argc, char **argv)
{
	g_family = net_family_arg(argc, argv);
	net_timeout("net_nonblock", 40);
	test_connect();
	test_accept();
	test_full();
	test_poll_states();
	test_select();
	test_epoll();
	test_wakeup();
	return 0;
}
