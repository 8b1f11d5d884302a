/*
 * net_tcp_data FAMILY: data on a connected TCP socket over loopback (127.0.0.1 or ::1).
 *
 * sendmsg, recvmsg, readv and writev with several buffers, sendto's address ignored and
 * recvfrom's left empty; a listener's close resetting the connections in its queue;
 * MSG_PEEK, MSG_DONTWAIT (EAGAIN on an empty socket), FIONREAD/SIOCINQ and SIOCOUTQ (which
 * drops to 0 once the peer has acknowledged everything), MSG_WAITALL gathering several
 * sends from another process and stopping short at end of file; shutdown(SHUT_WR) giving
 * the peer end of file while the other direction still works, and EPIPE with SIGPIPE for a
 * later send; shutdown(SHUT_RD); a close with unread data resetting the connection (the
 * peer sees POLLHUP|POLLERR, then ECONNRESET once, then end of file, then EPIPE with SIGPIPE
 * unless MSG_NOSIGNAL), the same from SO_LINGER with a zero timeout, and SIGPIPE's default
 * action; SO_RCVTIMEO and SO_SNDTIMEO (EAGAIN after the timeout, EDOM for a bad timeval),
 * and a blocked recv interrupted by a signal: EINTR without SA_RESTART, restarted with it,
 * but EINTR again when SO_RCVTIMEO is set (signal(7)).
 */
#include <linux/sockios.h>
#include <netinet/tcp.h>
#include <sys/ioctl.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include "net_util.h"

static int g_family;
static volatile sig_atomic_t g_sigpipes;
static volatile sig_atomic_t g_sigusr1s;

static void on_sigpipe(int sig)
{
	(void)sig;
	g_sigpipes++;
}

static void on_sigusr1(int sig)
{
	(void)sig;
	g_sigusr1s++;
}

static int inq(int fd)
{
	int n = -1;

	CHECK_SYS(ioctl(fd, FIONREAD, &n));
	int m = -1;
	CHECK_SYS(ioctl(fd, SIOCINQ, &m));
	CHECK_EQ(m, n);
	return n;
}

static int outq(int fd)
{
	int n = -1;

	CHECK_SYS(ioctl(fd, SIOCOUTQ, &n));
	return n;
}

static void wait_child(pid_t pid, int want_status)
{
	int st;

	CHECK_EQ(waitpid(pid, &st, 0), pid);
	CHECK_EQ(st, want_status);
}

static void test_peek_dontwait(void)
{
	int c, s;
	char buf[64];

	net_tcp_pair(g_family, &c, &s);
	CHECK_ERR(recv(c, buf, sizeof(buf), MSG_DONTWAIT), EAGAIN);
	CHECK_EQ(inq(c), 0);
	CHECK_EQ(outq(s), 0);

	/* One small send travels as one segment: once readable, all of it is there. */
	CHECK_EQ(send(s, "hello world", 11, 0), 11);
	CHECK(net_wait(c, POLLIN) & POLLIN);
	CHECK_EQ(inq(c), 11);
	CHECK_EQ(recv(c, buf, 5, MSG_PEEK), 5);
	CHECK(memcmp(buf, "hello", 5) == 0);
	CHECK_EQ(recv(c, buf, sizeof(buf), MSG_PEEK), 11);
	CHECK(memcmp(buf, "hello world", 11) == 0);
	CHECK_EQ(inq(c), 11);
	CHECK_EQ(recv(c, buf, 6, MSG_DONTWAIT), 6);
	CHECK(memcmp(buf, "hello ", 6) == 0);
	CHECK_EQ(inq(c), 5);
	CHECK_EQ(recv(c, buf, sizeof(buf), 0), 5);
	CHECK(memcmp(buf, "world", 5) == 0);
	CHECK_EQ(inq(c), 0);
	CHECK_ERR(recv(c, buf, sizeof(buf), MSG_DONTWAIT), EAGAIN);

	/* SIOCOUTQ counts bytes not yet acknowledged; the peer acknowledges them soon. */
	static char big[200000];
	memset(big, 'b', sizeof(big));
	net_set_nonblock(s, 1);
	ssize_t sent = CHECK_SYS(send(s, big, sizeof(big), 0));
	CHECK(sent > 0);
	net_set_nonblock(s, 0);
	CHECK(outq(s) <= sent);
	size_t got = 0;
	while (got < (size_t)sent)
		got += (size_t)CHECK_SYS(recv(c, big, sizeof(big), 0));
	CHECK_EQ(got, sent);
	while (outq(s) != 0)
		usleep(1000); /* net_timeout bounds this */

	/* The ioctls need a connected socket's queues: a listener refuses them. */
	struct net_addr a;
	int l = net_listener(g_family, 1, &a);
	int n;
	CHECK_ERR(ioctl(l, FIONREAD, &n), EINVAL);
	CHECK_ERR(ioctl(l, SIOCOUTQ, &n), EINVAL);
	CHECK_SYS(close(l));
	CHECK_SYS(close(c));
	CHECK_SYS(close(s));
}

/* Scatter and gather, and the calls that carry an address, which TCP ignores. */
static void test_iov(void)
{
	int c, s;
	char a[3], b[5];

	net_tcp_pair(g_family, &c, &s);
	struct iovec out[3] = { { "ab", 2 }, { "", 0 }, { "cdefgh", 6 } };
	struct msghdr m = { .msg_iov = out, .msg_iovlen = 3 };
	CHECK_EQ(sendmsg(c, &m, 0), 8);
	struct iovec in[2] = { { a, sizeof(a) }, { b, sizeof(b) } };
	m = (struct msghdr){ .msg_iov = in, .msg_iovlen = 2 };
	CHECK_EQ(recvmsg(s, &m, MSG_WAITALL), 8);
	CHECK(memcmp(a, "abc", 3) == 0);
	CHECK(memcmp(b, "defgh", 5) == 0);
	CHECK_EQ(m.msg_flags, 0);
	CHECK_EQ(writev(s, out, 3), 8);
	CHECK_EQ(readv(c, in, 2), 8);
	CHECK(memcmp(b, "defgh", 5) == 0);

	/* sendto's address is ignored on a connected socket; recvfrom names no one. */
	struct net_addr elsewhere = net_loopback(g_family, 9);
	CHECK_EQ(sendto(c, "to", 2, 0, &elsewhere.sa, elsewhere.len), 2);
	struct net_addr from = { .len = sizeof(from.ss) };
	CHECK_EQ(recvfrom(s, a, 2, MSG_WAITALL, &from.sa, &from.len), 2);
	CHECK(memcmp(a, "to", 2) == 0);
	CHECK_EQ(from.len, 0);
	CHECK_SYS(close(c));
	CHECK_SYS(close(s));
}

/* Closing a listener resets the connections still waiting in its queue. */
static void test_listener_close(void)
{
	struct net_addr la;
	int l = net_listener(g_family, 2, &la);
	int c = net_connect(&la);
	char buf[4];

	CHECK_SYS(close(l));
	net_wait_all(c, POLLIN | POLLHUP | POLLERR);
	CHECK_ERR(recv(c, buf, sizeof(buf), 0), ECONNRESET);
	CHECK_SYS(close(c));
}

static void test_waitall(void)
{
	int c, s;
	char buf[16];

	net_tcp_pair(g_family, &c, &s);
	pid_t pid = CHECK_SYS(fork());
	if (pid == 0) {
		static const char *const parts[] = { "abc", "def", "ghi" };
		for (int i = 0; i < 3; i++) {
			usleep(20000);
			if (send(s, parts[i], 3, 0) != 3)
				_exit(1);
		}
		_exit(0);
	}
	CHECK_EQ(recv(c, buf, 9, MSG_WAITALL), 9);
	CHECK(memcmp(buf, "abcdefghi", 9) == 0);
	wait_child(pid, 0);

	/* End of file ends the wait with what has come. */
	CHECK_EQ(send(s, "xyz", 3, 0), 3);
	CHECK_SYS(shutdown(s, SHUT_WR));
	CHECK_EQ(recv(c, buf, sizeof(buf), MSG_WAITALL), 3);
	CHECK(memcmp(buf, "xyz", 3) == 0);
	CHECK_EQ(recv(c, buf, sizeof(buf), MSG_WAITALL), 0);
	CHECK_SYS(close(c));
	CHECK_SYS(close(s));

	/* More than any receive buffer holds: the wait goes on as the buffer drains. */
	enum { big = 4 << 20 };
	static char in[big];
	net_tcp_pair(g_family, &c, &s);
	pid = CHECK_SYS(fork());
	if (pid == 0) {
		static char out[big];
		memset(out, 'w', sizeof(out));
		net_send_all(s, out, sizeof(out));
		_exit(0);
	}
	CHECK_SYS(close(s));
	CHECK_EQ(recv(c, in, sizeof(in), MSG_WAITALL), (ssize_t)sizeof(in));
	CHECK(in[0] == 'w' && in[big - 1] == 'w');
	wait_child(pid, 0);
	CHECK_SYS(close(c));
}

static void test_shutdown(void)
{
	int c, s;
	char buf[16];

	/* SHUT_WR: the peer reads end of file; the other direction still works. */
	net_tcp_pair(g_family, &c, &s);
	CHECK_EQ(send(c, "last", 4, 0), 4);
	CHECK_SYS(shutdown(c, SHUT_WR));
	net_recv_all(s, buf, 4);
	CHECK(memcmp(buf, "last", 4) == 0);
	CHECK_EQ(recv(s, buf, sizeof(buf), 0), 0);
	CHECK_EQ(recv(s, buf, sizeof(buf), 0), 0);
	CHECK_EQ(send(s, "back", 4, 0), 4);
	net_recv_all(c, buf, 4);
	CHECK(memcmp(buf, "back", 4) == 0);
	/* Sending after SHUT_WR: EPIPE, and SIGPIPE unless MSG_NOSIGNAL. */
	int before = g_sigpipes;
	CHECK_ERR(send(c, "x", 1, 0), EPIPE);
	CHECK_EQ(g_sigpipes, before + 1);
	CHECK_ERR(send(c, "x", 1, MSG_NOSIGNAL), EPIPE);
	CHECK_ERR(write(c, "x", 1), EPIPE);
	CHECK_EQ(g_sigpipes, before + 2);
	/* A second SHUT_WR is harmless; the peer closing its side gives end of file here. */
	CHECK_SYS(shutdown(c, SHUT_WR));
	CHECK_SYS(shutdown(s, SHUT_WR));
	CHECK_EQ(recv(c, buf, sizeof(buf), 0), 0);
	CHECK_SYS(close(c));
	CHECK_SYS(close(s));

	/* SHUT_RD: reads return end of file at once; this side can still send. */
	net_tcp_pair(g_family, &c, &s);
	CHECK_SYS(shutdown(c, SHUT_RD));
	CHECK_EQ(recv(c, buf, sizeof(buf), 0), 0);
	CHECK_EQ(send(c, "rd", 2, 0), 2);
	net_recv_all(s, buf, 2);
	CHECK(memcmp(buf, "rd", 2) == 0);
	CHECK_SYS(close(c));
	CHECK_SYS(close(s));

	/* SHUT_RDWR: both. */
	net_tcp_pair(g_family, &c, &s);
	CHECK_SYS(shutdown(c, SHUT_RDWR));
	CHECK_EQ(recv(c, buf, sizeof(buf), 0), 0);
	CHECK_ERR(send(c, "x", 1, MSG_NOSIGNAL), EPIPE);
	CHECK_EQ(recv(s, buf, sizeof(buf), 0), 0);
	CHECK_SYS(close(c));
	CHECK_SYS(close(s));
}

/*
 * reset_pair returns a connection whose server end closed with unread data, so that Linux
 * answered with a reset (RFC 2525, tcp_close); *c is the client end, after the reset came.
 */
static void reset_pair(int *c)
{
	int s;

	net_tcp_pair(g_family, c, &s);
	CHECK_EQ(send(*c, "unread", 6, 0), 6);
	CHECK(net_wait(s, POLLIN) & POLLIN);
	CHECK_SYS(close(s));
	net_wait_all(*c, POLLIN | POLLHUP | POLLERR);
}

static void test_reset(void)
{
	int c;
	char buf[16];

	/* recv first: ECONNRESET once, then end of file; send then gets EPIPE. */
	reset_pair(&c);
	CHECK_ERR(recv(c, buf, sizeof(buf), 0), ECONNRESET);
	CHECK_EQ(recv(c, buf, sizeof(buf), 0), 0);
	int before = g_sigpipes;
	CHECK_ERR(send(c, "x", 1, 0), EPIPE);
	CHECK_EQ(g_sigpipes, before + 1);
	CHECK_ERR(send(c, "x", 1, MSG_NOSIGNAL), EPIPE);
	CHECK_EQ(g_sigpipes, before + 1);
	struct tcp_info ti;
	socklen_t len = sizeof(ti);
	CHECK_SYS(getsockopt(c, IPPROTO_TCP, TCP_INFO, &ti, &len));
	CHECK_EQ(ti.tcpi_state, TCP_CLOSE);
	CHECK_SYS(close(c));

	/* send first: the pending error comes out as ECONNRESET, without SIGPIPE. */
	reset_pair(&c);
	before = g_sigpipes;
	CHECK_ERR(send(c, "x", 1, 0), ECONNRESET);
	CHECK_EQ(g_sigpipes, before);
	CHECK_ERR(send(c, "x", 1, 0), EPIPE);
	CHECK_EQ(g_sigpipes, before + 1);
	CHECK_SYS(close(c));

	/* SO_ERROR takes the pending error too. */
	reset_pair(&c);
	CHECK_EQ(net_get_int(c, SOL_SOCKET, SO_ERROR), ECONNRESET);
	CHECK_EQ(net_get_int(c, SOL_SOCKET, SO_ERROR), 0);
	CHECK_EQ(recv(c, buf, sizeof(buf), 0), 0);
	CHECK_SYS(close(c));

	/* SO_LINGER on with a zero timeout: close resets even with nothing unread. */
	int s;
	net_tcp_pair(g_family, &c, &s);
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	CHECK_SYS(setsockopt(s, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)));
	CHECK_SYS(close(s));
	CHECK(net_wait(c, POLLIN) & POLLERR);
	CHECK_ERR(recv(c, buf, sizeof(buf), 0), ECONNRESET);
	CHECK_SYS(close(c));

	/* SIGPIPE's default action kills the sender (in a child: an init ignores it). */
	reset_pair(&c);
	CHECK_ERR(recv(c, buf, sizeof(buf), 0), ECONNRESET);
	pid_t pid = CHECK_SYS(fork());
	if (pid == 0) {
		signal(SIGPIPE, SIG_DFL);
		send(c, "x", 1, 0);
		_exit(0);
	}
	wait_child(pid, SIGPIPE); /* killed by SIGPIPE, no core */
	CHECK_SYS(close(c));
}

static void test_timeouts(void)
{
	int c, s;
	char buf[16];
	struct timeval tv;
	socklen_t len = sizeof(tv);

	net_tcp_pair(g_family, &c, &s);
	CHECK_SYS(getsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, &len));
	CHECK_EQ(len, sizeof(tv));
	CHECK_EQ(tv.tv_sec, 0);
	CHECK_EQ(tv.tv_usec, 0);

	/* Multiples of 100 ms: whole jiffies for any HZ (100, 250, 300, 1000), so they read back
	 * exactly. */
	tv = (struct timeval){ .tv_sec = 1, .tv_usec = 500000 };
	CHECK_SYS(setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)));
	tv = (struct timeval){ 0 };
	len = sizeof(tv);
	CHECK_SYS(getsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &tv, &len));
	CHECK_EQ(tv.tv_sec, 1);
	CHECK_EQ(tv.tv_usec, 500000);
	tv = (struct timeval){ .tv_sec = 0, .tv_usec = 1000000 };
	CHECK_ERR(setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), EDOM);
	CHECK_ERR(setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv) - 1), EINVAL);

	tv = (struct timeval){ .tv_sec = 0, .tv_usec = 100000 };
	CHECK_SYS(setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)));
	tv = (struct timeval){ 0 };
	len = sizeof(tv);
	CHECK_SYS(getsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, &len));
	CHECK_EQ(tv.tv_sec, 0);
	CHECK_EQ(tv.tv_usec, 100000);
	CHECK_ERR(recv(c, buf, sizeof(buf), 0), EAGAIN);
	CHECK_ERR(read(c, buf, sizeof(buf)), EAGAIN);
	/* Data that is there comes at once. */
	CHECK_EQ(send(s, "t", 1, 0), 1);
	CHECK_EQ(recv(c, buf, sizeof(buf), 0), 1);

	/* accept waits for SO_RCVTIMEO too. */
	struct net_addr a;
	int l = net_listener(g_family, 1, &a);
	tv = (struct timeval){ .tv_sec = 0, .tv_usec = 100000 };
	CHECK_SYS(setsockopt(l, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)));
	CHECK_ERR(accept(l, NULL, NULL), EAGAIN);
	CHECK_SYS(close(l));
	CHECK_SYS(close(c));
	CHECK_SYS(close(s));
}

/* signaller forks a child that sends SIGUSR1 to the caller count times, 20 ms apart. */
static pid_t signaller(int count)
{
	pid_t parent = getpid();
	pid_t pid = CHECK_SYS(fork());

	if (pid == 0) {
		for (int i = 0; i < count; i++) {
			usleep(20000);
			if (kill(parent, SIGUSR1) != 0)
				_exit(1);
		}
		_exit(0);
	}
	return pid;
}

static void test_eintr(void)
{
	int c, s;
	char buf[16];
	struct sigaction sa = { .sa_handler = on_sigusr1 };

	net_tcp_pair(g_family, &c, &s);

	/* No SA_RESTART: the blocked recv fails with EINTR. The child keeps signalling, so
	 * one signal at least comes while recv blocks. */
	CHECK_SYS(sigaction(SIGUSR1, &sa, NULL));
	g_sigusr1s = 0;
	pid_t pid = signaller(1000);
	CHECK_ERR(recv(c, buf, sizeof(buf), 0), EINTR);
	CHECK(g_sigusr1s >= 1);
	CHECK_SYS(kill(pid, SIGKILL));
	wait_child(pid, SIGKILL);

	/* SA_RESTART: the recv goes on through the signals and returns the data after them. */
	sa.sa_flags = SA_RESTART;
	CHECK_SYS(sigaction(SIGUSR1, &sa, NULL));
	g_sigusr1s = 0;
	pid = CHECK_SYS(fork());
	if (pid == 0) {
		for (int i = 0; i < 5; i++) {
			usleep(20000);
			kill(getppid(), SIGUSR1);
		}
		usleep(20000);
		_exit(send(s, "r", 1, 0) == 1 ? 0 : 1);
	}
	CHECK_EQ(recv(c, buf, sizeof(buf), 0), 1);
	CHECK_EQ(buf[0], 'r');
	CHECK(g_sigusr1s >= 1);
	wait_child(pid, 0);

	/* SA_RESTART, but SO_RCVTIMEO set: not restarted (signal(7)). */
	struct timeval tv = { .tv_sec = 20 };
	CHECK_SYS(setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)));
	g_sigusr1s = 0;
	pid = signaller(1000);
	CHECK_ERR(recv(c, buf, sizeof(buf), 0), EINTR);
	CHECK_SYS(kill(pid, SIGKILL));
	wait_child(pid, SIGKILL);

	sa.sa_handler = SIG_DFL;
	CHECK_SYS(sigaction(SIGUSR1, &sa, NULL));
	CHECK_SYS(close(c));
	CHECK_SYS(close(s));
}

int main(int argc, char **argv)
{
	g_family = net_family_arg(argc, argv);
	net_timeout("net_tcp_data", 40);
	struct sigaction sa = { .sa_handler = on_sigpipe };
	CHECK_SYS(sigaction(SIGPIPE, &sa, NULL));
	test_peek_dontwait();
	test_iov();
	test_listener_close();
	test_waitall();
	test_shutdown();
	test_reset();
	test_timeouts();
	test_eintr();
	return 0;
}
