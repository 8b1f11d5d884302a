/*
 * The programs of the --network=host test (hostnet.sh), run natively and
 * in the sandbox, each end of a TCP or UDP exchange on loopback:
 *
 *   hostnet tcp_server [6]      listens on 127.0.0.1 (::1) on a port of its
 *                               own choosing, prints it, echoes one connection
 *                               until EOF, then closes it
 *   hostnet tcp_client PORT [6] connects (non-blocking connect and poll),
 *                               checks options, names, SO_RCVTIMEO, epoll,
 *                               MSG_PEEK and FIONREAD, echoes 1 MiB through the
 *                               server, then gets EPIPE and SIGPIPE (none with
 *                               MSG_NOSIGNAL) once the server has gone
 *   hostnet udp_server [6]      prints its port, echoes two datagrams
 *   hostnet udp_client PORT [6] one datagram with sendto/recvfrom, one on a
 *                               connected socket
 *   hostnet connect_fails PORT  exits 0 when it cannot reach 127.0.0.1:PORT
 *   hostnet blocking [6]        both ends in one process: blocking accept and
 *                               connect, ECONNREFUSED, a signal interrupting a
 *                               blocking recv (EINTR, a restart with SA_RESTART,
 *                               EINTR with SO_RCVTIMEO), SO_SNDTIMEO on a full
 *                               connection, shutdown seen as POLLRDHUP and EOF,
 *                               and IP_RECVERR's error queue for a UDP datagram
 *                               to a closed port
 *   hostnet ping                prints what socket(2) of a ping socket gives, and
 *                               when it is allowed, pings 127.0.0.1 through it
 *
 * Each prints "NAME ok" and exits 0, or says what failed and exits 1.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/errqueue.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define BIG (1 << 20)

static int g_v6;

#define CHECK(cond)                                                                             \
	do {                                                                                    \
		if (!(cond)) {                                                                  \
			fprintf(stderr, "hostnet: %s:%d: %s failed (errno %d: %s)\n", __func__, \
			        __LINE__, #cond, errno, strerror(errno));                       \
			exit(1);                                                                \
		}                                                                               \
	} while (0)

static socklen_t loopback(struct sockaddr_storage *ss, int port)
{
	memset(ss, 0, sizeof(*ss));
	if (g_v6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
		a->sin6_family = AF_INET6;
		a->sin6_addr = in6addr_loopback;
		a->sin6_port = htons((uint16_t)port);
		return sizeof(*a);
	}
	struct sockaddr_in *a = (struct sockaddr_in *)ss;
	a->sin_family = AF_INET;
	a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a->sin_port = htons((uint16_t)port);
	return sizeof(*a);
}

static int port_of(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
	return ntohs(((const struct sockaddr_in *)ss)->sin_port);
}

/* A socket bound to loopback on a port the kernel picks; prints the port. */
static int bound_socket(int type)
{
	int fd = socket(g_v6 ? AF_INET6 : AF_INET, type, 0);
	CHECK(fd >= 0);
	int one = 1;
	CHECK(setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == 0);
	struct sockaddr_storage ss;
	socklen_t len = loopback(&ss, 0);
	CHECK(bind(fd, (struct sockaddr *)&ss, len) == 0);
	return fd;
}

/*
 * Prints fd's port for the script, which starts the client then: only once
 * the socket can take it (a TCP client that came between bind and listen
 * was refused, once in a CI run).
 */
static void announce(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	CHECK(getsockname(fd, (struct sockaddr *)&ss, &len) == 0);
	CHECK(port_of(&ss) != 0);
	printf("%d\n", port_of(&ss));
	fflush(stdout);
}

static int tcp_server(void)
{
	int fd = bound_socket(SOCK_STREAM);
	CHECK(listen(fd, 4) == 0);
	announce(fd);
	int v = 0;
	socklen_t vl = sizeof(v);
	CHECK(getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &v, &vl) == 0 && v == 1);
	struct sockaddr_storage peer;
	socklen_t pl = sizeof(peer);
	int c = accept4(fd, (struct sockaddr *)&peer, &pl, SOCK_CLOEXEC);
	CHECK(c >= 0);
	CHECK(peer.ss_family == (g_v6 ? AF_INET6 : AF_INET));
	static char buf[65536];
	ssize_t n;
	while ((n = read(c, buf, sizeof(buf))) > 0) {
		for (ssize_t off = 0; off < n;) {
			ssize_t w = write(c, buf + off, (size_t)(n - off));
			CHECK(w > 0);
			off += w;
		}
	}
	CHECK(n == 0);
	close(c);
	close(fd);
	fprintf(stderr, "tcp_server ok\n");
	return 0;
}

static volatile sig_atomic_t g_sigpipes;

static void on_sigpipe(int sig)
{
	(void)sig;
	g_sigpipes++;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static unsigned char pattern(size_t i)
{
	return (unsigned char)(i * 7 + i / 251);
}

/* The 1 MiB echo: a child sends, this process receives and checks every byte. */
static void big_echo(int fd)
{
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		static unsigned char out[BIG];
		for (size_t i = 0; i < BIG; i++)
			out[i] = pattern(i);
		for (size_t off = 0; off < BIG;) {
			ssize_t w = send(fd, out + off, BIG - off, 0);
			if (w <= 0)
				_exit(1);
			off += (size_t)w;
		}
		_exit(shutdown(fd, SHUT_WR) == 0 ? 0 : 1);
	}
	static unsigned char in[65536];
	size_t got = 0;
	ssize_t n;
	while ((n = recv(fd, in, sizeof(in), 0)) > 0) {
		for (ssize_t i = 0; i < n; i++)
			CHECK(in[i] == pattern(got + (size_t)i));
		got += (size_t)n;
	}
	CHECK(n == 0);
	CHECK(got == BIG);
	int status;
	CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static int tcp_client(int port)
{
	struct sigaction sa = { .sa_handler = on_sigpipe };
	CHECK(sigaction(SIGPIPE, &sa, NULL) == 0);
	int fd = socket(g_v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_NONBLOCK, IPPROTO_TCP);
	CHECK(fd >= 0);
	int v = 0;
	socklen_t vl = sizeof(v);
	CHECK(getsockopt(fd, SOL_SOCKET, SO_TYPE, &v, &vl) == 0 && v == SOCK_STREAM);
	CHECK(getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &v, &vl) == 0 && v == IPPROTO_TCP);
	CHECK(getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &v, &vl) == 0 &&
	      v == (g_v6 ? AF_INET6 : AF_INET));
	struct sockaddr_storage ss;
	socklen_t len = loopback(&ss, port);
	int r = connect(fd, (struct sockaddr *)&ss, len);
	CHECK(r == 0 || errno == EINPROGRESS);
	struct pollfd p = { .fd = fd, .events = POLLOUT };
	CHECK(poll(&p, 1, 5000) == 1 && (p.revents & POLLOUT));
	CHECK(getsockopt(fd, SOL_SOCKET, SO_ERROR, &v, &vl) == 0 && v == 0);
	CHECK(fcntl(fd, F_SETFL, 0) == 0);
	struct sockaddr_storage peer;
	socklen_t pl = sizeof(peer);
	CHECK(getpeername(fd, (struct sockaddr *)&peer, &pl) == 0 && port_of(&peer) == port);
	CHECK(pl == len);

	int one = 1;
	CHECK(setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) == 0);
	vl = sizeof(v);
	CHECK(getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &v, &vl) == 0 && v == 1);
	struct tcp_info ti;
	socklen_t tl = sizeof(ti);
	CHECK(getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &tl) == 0 && tl >= 100);
	CHECK(ti.tcpi_state == 1 /* TCP_ESTABLISHED */);

	/* SO_RCVTIMEO: nothing comes, so EAGAIN after the timeout. */
	struct timeval tv = { 0, 200000 };
	CHECK(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == 0);
	char c;
	double t0 = now();
	CHECK(recv(fd, &c, 1, 0) == -1 && errno == EAGAIN);
	CHECK(now() - t0 >= 0.15);
	tv.tv_usec = 0;
	CHECK(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == 0);

	/* epoll, edge-triggered: the echo of "hello" makes it readable. */
	int ep = epoll_create1(EPOLL_CLOEXEC);
	CHECK(ep >= 0);
	struct epoll_event ev = { .events = EPOLLIN | EPOLLET | EPOLLRDHUP, .data.fd = fd };
	CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) == 0);
	CHECK(epoll_wait(ep, &ev, 1, 0) == 0);
	CHECK(send(fd, "hello", 5, 0) == 5);
	CHECK(epoll_wait(ep, &ev, 1, 5000) == 1 && ev.data.fd == fd && (ev.events & EPOLLIN));
	/* Edge-triggered: no new edge, no event. */
	CHECK(epoll_wait(ep, &ev, 1, 0) == 0);
	char buf[16];
	int avail = 0;
	for (int i = 0; i < 100 && avail < 5; i++) {
		CHECK(ioctl(fd, FIONREAD, &avail) == 0);
		if (avail < 5)
			usleep(10000);
	}
	CHECK(avail == 5);
	CHECK(recv(fd, buf, sizeof(buf), MSG_PEEK) == 5 && memcmp(buf, "hello", 5) == 0);
	CHECK(recv(fd, buf, sizeof(buf), 0) == 5 && memcmp(buf, "hello", 5) == 0);
	CHECK(recv(fd, buf, sizeof(buf), MSG_DONTWAIT) == -1 && errno == EAGAIN);
	close(ep);

	big_echo(fd);

	/* The server has closed: sends fail with EPIPE (after its RST), with SIGPIPE. */
	int err = 0;
	for (int i = 0; i < 200 && err != EPIPE; i++) {
		if (send(fd, "x", 1, 0) < 0)
			err = errno;
		else
			usleep(10000);
	}
	CHECK(err == EPIPE);
	CHECK(g_sigpipes >= 1);
	int before = g_sigpipes;
	CHECK(send(fd, "x", 1, MSG_NOSIGNAL) == -1 && errno == EPIPE);
	CHECK(g_sigpipes == before);
	close(fd);
	printf("tcp_client ok\n");
	return 0;
}

static int udp_server(void)
{
	int fd = bound_socket(SOCK_DGRAM);
	announce(fd);
	struct timeval tv = { 20, 0 };
	CHECK(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == 0);
	for (int i = 0; i < 2; i++) {
		char buf[2048];
		struct sockaddr_storage from;
		socklen_t fl = sizeof(from);
		ssize_t n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);
		CHECK(n > 0);
		CHECK(sendto(fd, buf, (size_t)n, 0, (struct sockaddr *)&from, fl) == n);
	}
	close(fd);
	fprintf(stderr, "udp_server ok\n");
	return 0;
}

static int udp_client(int port)
{
	int fd = socket(g_v6 ? AF_INET6 : AF_INET, SOCK_DGRAM, 0);
	CHECK(fd >= 0);
	struct timeval tv = { 10, 0 };
	CHECK(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == 0);
	struct sockaddr_storage ss;
	socklen_t len = loopback(&ss, port);
	CHECK(sendto(fd, "datagram one", 12, 0, (struct sockaddr *)&ss, len) == 12);
	struct pollfd p = { .fd = fd, .events = POLLIN };
	CHECK(poll(&p, 1, 10000) == 1 && (p.revents & POLLIN));
	char buf[64];
	struct sockaddr_storage from;
	socklen_t fl = sizeof(from);
	/* A short buffer: the rest of the datagram is dropped, MSG_TRUNC says how long it was. */
	CHECK(recvfrom(fd, buf, 4, MSG_PEEK | MSG_TRUNC, (struct sockaddr *)&from, &fl) == 12);
	CHECK(recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl) == 12);
	CHECK(memcmp(buf, "datagram one", 12) == 0 && port_of(&from) == port && fl == len);
	CHECK(connect(fd, (struct sockaddr *)&ss, len) == 0);
	CHECK(send(fd, "datagram two", 12, 0) == 12);
	struct msghdr mh = { 0 };
	struct iovec iov = { buf, sizeof(buf) };
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	CHECK(recvmsg(fd, &mh, 0) == 12 && memcmp(buf, "datagram two", 12) == 0);
	CHECK(!(mh.msg_flags & MSG_TRUNC));
	close(fd);
	printf("udp_client ok\n");
	return 0;
}

static int connect_fails(int port)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0) {
		printf("connect_fails ok: socket: %s\n", strerror(errno));
		return 0;
	}
	struct sockaddr_storage ss;
	socklen_t len = loopback(&ss, port);
	if (connect(fd, (struct sockaddr *)&ss, len) == 0) {
		printf("connect_fails: connected to the host's server\n");
		return 1;
	}
	printf("connect_fails ok: connect: %s\n", strerror(errno));
	return 0;
}

static int ping(void)
{
	int fd = socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP);
	if (fd < 0) {
		printf("ping socket: %s\n", strerror(errno));
		return 0;
	}
	int v = 0;
	socklen_t vl = sizeof(v);
	CHECK(getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &v, &vl) == 0 && v == IPPROTO_ICMP);
	/* An echo request (type 8); the kernel fills in the id and the checksum. */
	unsigned char req[16] = { 8, 0, 0, 0, 0, 0, 0, 1, 'r', 'u', 'n', 's', 'c' };
	struct sockaddr_storage ss;
	g_v6 = 0;
	socklen_t len = loopback(&ss, 0);
	CHECK(sendto(fd, req, sizeof(req), 0, (struct sockaddr *)&ss, len) == sizeof(req));
	struct pollfd p = { .fd = fd, .events = POLLIN };
	CHECK(poll(&p, 1, 5000) == 1);
	unsigned char rep[64];
	ssize_t n = recv(fd, rep, sizeof(rep), 0);
	CHECK(n == sizeof(req) && rep[0] == 0 /* echo reply */ && memcmp(rep + 8, "runsc", 5) == 0);
	printf("ping socket: ok, 127.0.0.1 answered\n");
	return 0;
}

static volatile sig_atomic_t g_alarms;

static void on_alarm(int sig)
{
	(void)sig;
	g_alarms++;
}

/* SIGALRM in ms milliseconds, with a handler that has SA_RESTART or not. */
static void alarm_in(int ms, bool restart)
{
	struct sigaction sa = { .sa_handler = on_alarm, .sa_flags = restart ? SA_RESTART : 0 };
	CHECK(sigaction(SIGALRM, &sa, NULL) == 0);
	struct itimerval it = { .it_value = { 0, ms * 1000 } };
	CHECK(setitimer(ITIMER_REAL, &it, NULL) == 0);
}

/* A child that sends "late" on fd after ms milliseconds, then exits. */
static pid_t send_later(int fd, int ms)
{
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		usleep((useconds_t)ms * 1000);
		_exit(send(fd, "late", 4, 0) == 4 ? 0 : 1);
	}
	return pid;
}

static void reap(pid_t pid)
{
	int status;
	CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/*
 * IP_RECVERR: a datagram to a closed port comes back as an ICMP error on the error queue,
 * with its control message (the one kind a receive passes back).
 */
static void udp_errqueue(void)
{
	int fd = socket(g_v6 ? AF_INET6 : AF_INET, SOCK_DGRAM, 0);
	CHECK(fd >= 0);
	int one = 1;
	if (g_v6)
		CHECK(setsockopt(fd, IPPROTO_IPV6, IPV6_RECVERR, &one, sizeof(one)) == 0);
	else
		CHECK(setsockopt(fd, IPPROTO_IP, IP_RECVERR, &one, sizeof(one)) == 0);
	/* A port nobody has: bind one, note it, close it. */
	int d = socket(g_v6 ? AF_INET6 : AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_storage ss;
	socklen_t len = loopback(&ss, 0);
	CHECK(bind(d, (struct sockaddr *)&ss, len) == 0);
	CHECK(getsockname(d, (struct sockaddr *)&ss, &len) == 0);
	close(d);
	CHECK(sendto(fd, "x", 1, 0, (struct sockaddr *)&ss, len) == 1);
	struct pollfd p = { .fd = fd, .events = 0 };
	CHECK(poll(&p, 1, 5000) == 1 && (p.revents & POLLERR));
	char data[16], control[512];
	struct iovec iov = { data, sizeof(data) };
	struct msghdr mh = { .msg_iov = &iov,
		             .msg_iovlen = 1,
		             .msg_control = control,
		             .msg_controllen = sizeof(control) };
	CHECK(recvmsg(fd, &mh, MSG_ERRQUEUE) >= 0);
	CHECK(mh.msg_flags & MSG_ERRQUEUE);
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
	CHECK(c != NULL);
	CHECK(g_v6 ? (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_RECVERR)
	           : (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_RECVERR));
	struct sock_extended_err ee;
	memcpy(&ee, CMSG_DATA(c), sizeof(ee));
	CHECK(ee.ee_errno == ECONNREFUSED);
	CHECK(ee.ee_origin == (g_v6 ? SO_EE_ORIGIN_ICMP6 : SO_EE_ORIGIN_ICMP));
	/* The queue is empty now, and Linux never waits for it. */
	CHECK(recvmsg(fd, &mh, MSG_ERRQUEUE) == -1 && errno == EAGAIN);
	close(fd);
}

static int blocking(void)
{
	udp_errqueue();

	int l = socket(g_v6 ? AF_INET6 : AF_INET, SOCK_STREAM, 0);
	CHECK(l >= 0);
	struct sockaddr_storage ss;
	socklen_t len = loopback(&ss, 0);
	CHECK(bind(l, (struct sockaddr *)&ss, len) == 0);
	CHECK(getsockname(l, (struct sockaddr *)&ss, &len) == 0);
	CHECK(listen(l, 8) == 0);

	/* Nobody listens on the port after closing: ECONNREFUSED. */
	int d = socket(g_v6 ? AF_INET6 : AF_INET, SOCK_STREAM, 0);
	struct sockaddr_storage dead;
	socklen_t dl = loopback(&dead, 0);
	CHECK(bind(d, (struct sockaddr *)&dead, dl) == 0);
	CHECK(getsockname(d, (struct sockaddr *)&dead, &dl) == 0);
	close(d);
	d = socket(g_v6 ? AF_INET6 : AF_INET, SOCK_STREAM, 0);
	CHECK(connect(d, (struct sockaddr *)&dead, dl) == -1 && errno == ECONNREFUSED);
	close(d);

	/* A blocking accept, answered by a child's connect later. */
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		usleep(200000);
		int c = socket(g_v6 ? AF_INET6 : AF_INET, SOCK_STREAM, 0);
		_exit(c >= 0 && connect(c, (struct sockaddr *)&ss, len) == 0 ? 0 : 1);
	}
	struct pollfd p = { .fd = l, .events = POLLIN };
	CHECK(poll(&p, 1, 0) == 0);
	int a = accept(l, NULL, NULL);
	CHECK(a >= 0);
	reap(pid);
	close(a);

	int c = socket(g_v6 ? AF_INET6 : AF_INET, SOCK_STREAM, 0);
	CHECK(c >= 0);
	CHECK(connect(c, (struct sockaddr *)&ss, len) == 0);
	a = accept(l, NULL, NULL);
	CHECK(a >= 0);
	char buf[16];

	/* A signal without SA_RESTART ends a blocking recv with EINTR. */
	alarm_in(100, false);
	CHECK(recv(c, buf, sizeof(buf), 0) == -1 && errno == EINTR && g_alarms == 1);
	/* With SA_RESTART the recv goes on, and gets what comes later. */
	pid = send_later(a, 300);
	alarm_in(100, true);
	CHECK(recv(c, buf, sizeof(buf), 0) == 4 && memcmp(buf, "late", 4) == 0 && g_alarms == 2);
	reap(pid);
	/* With SO_RCVTIMEO, Linux does not restart it: EINTR. */
	struct timeval tv = { 5, 0 };
	CHECK(setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == 0);
	alarm_in(100, true);
	CHECK(recv(c, buf, sizeof(buf), 0) == -1 && errno == EINTR && g_alarms == 3);
	tv.tv_sec = 0;
	CHECK(setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == 0);

	/* SO_SNDTIMEO: the peer reads nothing, so a big send stops part-way, then EAGAIN. */
	tv.tv_usec = 200000;
	CHECK(setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) == 0);
	static char big[8 << 20];
	ssize_t n = send(c, big, sizeof(big), 0);
	CHECK(n > 0 && n < (ssize_t)sizeof(big));
	/* The peer's window may still grow a little: send until nothing more goes. */
	double t0 = 0;
	for (int i = 0; i < 50 && n > 0; i++) {
		t0 = now();
		n = send(c, big, sizeof(big), 0);
	}
	CHECK(n == -1 && errno == EAGAIN);
	CHECK(now() - t0 >= 0.15);
	int outq = 0;
	CHECK(ioctl(c, TIOCOUTQ, &outq) == 0 && outq > 0);

	/* shutdown(SHUT_WR): the peer sees POLLRDHUP, then reads everything and EOF. */
	CHECK(shutdown(c, SHUT_WR) == 0);
	p = (struct pollfd){ .fd = a, .events = POLLIN | POLLRDHUP };
	CHECK(poll(&p, 1, 5000) == 1 && (p.revents & POLLIN));
	size_t total = 0;
	while ((n = recv(a, big, sizeof(big), 0)) > 0)
		total += (size_t)n;
	CHECK(n == 0 && total > 0);
	CHECK(poll(&p, 1, 0) == 1 && (p.revents & POLLRDHUP));
	close(a);
	close(c);
	close(l);
	printf("blocking ok\n");
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	const char *cmd = argv[1];
	int port = argc > 2 ? atoi(argv[2]) : 0;
	g_v6 = argc > 1 && strcmp(argv[argc - 1], "6") == 0;
	if (strcmp(cmd, "tcp_server") == 0)
		return tcp_server();
	if (strcmp(cmd, "tcp_client") == 0)
		return tcp_client(port);
	if (strcmp(cmd, "udp_server") == 0)
		return udp_server();
	if (strcmp(cmd, "udp_client") == 0)
		return udp_client(port);
	if (strcmp(cmd, "connect_fails") == 0)
		return connect_fails(port);
	if (strcmp(cmd, "ping") == 0)
		return ping();
	if (strcmp(cmd, "blocking") == 0)
		return blocking();
	return 2;
}
