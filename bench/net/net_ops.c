/*
 * net_ops: the workload of bench/net. Both ends of a loopback connection
 * run in one process tree (a forked child is the other end), so that in the
 * sandbox both are the sandbox's and every packet stays in its own stack.
 * Prints one line: `stream MiB_per_s=X`, `rr us_per_rt=X` or
 * `udp_rr us_per_rt=X`.
 *
 * Usage: net_ops OP N
 *   stream  N MiB over TCP on 127.0.0.1: the child connects and writes them
 *           in 64 KiB write() calls; the parent accepts and reads them in
 *           64 KiB read() calls until EOF, and checks that exactly N MiB came,
 *           in order (the first 8 bytes of each 64 KiB block the child wrote
 *           hold the block's number)
 *   rr      N round trips of 64 bytes over TCP on 127.0.0.1, TCP_NODELAY on
 *           both ends: the parent writes 64 bytes, the child reads all 64 and
 *           writes them back, the parent reads all 64 and checks them
 *   udp_rr  the same with 64-byte UDP datagrams between two connected
 *           sockets on 127.0.0.1
 *
 * The round trips first run N/10 (at least 1) untimed ones. For stream the
 * clock starts when the first read() returns data, so the fork, the
 * connection's set-up and slow start's first window are not in the figure,
 * and the bytes of that first read are not counted.
 *
 * Every socket has SO_RCVTIMEO and SO_SNDTIMEO of STALL_SEC seconds, so that
 * a transfer that stalls is reported (with how far it got) rather than left
 * to hang; a lost UDP datagram is reported the same way. Any failed call, a
 * short or wrong transfer, or a child that does not exit with status 0 makes
 * the program print why on stderr and exit 1, and print no figure.
 *
 * Built -static so that it runs unchanged natively and under `runsc do`.
 * The result is formatted with snprintf and written with write(2); the clock
 * is CLOCK_MONOTONIC (vDSO).
 */
#define BENCH_PROG "net_ops"
#include "bench/bench_ops.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* The size of each write() and read() of stream. */
#define CHUNK (64 * 1024)
/* The size of each request and response of rr and udp_rr. */
#define MSG_SIZE 64
/* How long a read or write may block before the transfer counts as stalled. */
#define STALL_SEC 10

struct net_op {
	const char *name;
	int (*run)(long n);
	int n_is_mib; /* N is a size in MiB, limited to BENCH_MAX_MIB */
};

static char g_buf[CHUNK];

/* bench_fail() for a call that set errno; EAGAIN is the stall timeout. */
static int fail_errno(const char *what)
{
	if (errno == EAGAIN || errno == EWOULDBLOCK)
		return bench_fail("%s: stalled: nothing moved for %d s", what, STALL_SEC);
	return bench_fail("%s: %s", what, strerror(errno));
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* Reads exactly size bytes (EOF before them is an error). */
static int read_full(int fd, void *buf, size_t size, const char *what)
{
	char *p = buf;
	while (size > 0) {
		ssize_t n = read(fd, p, size);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return fail_errno(what);
		if (n == 0)
			return bench_fail("%s: unexpected end of file", what);
		p += n;
		size -= (size_t)n;
	}
	return 0;
}

static int write_full(int fd, const void *buf, size_t size, const char *what)
{
	const char *p = buf;
	while (size > 0) {
		ssize_t n = write(fd, p, size);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return fail_errno(what);
		if (n == 0)
			return bench_fail("%s: wrote nothing", what);
		p += n;
		size -= (size_t)n;
	}
	return 0;
}

/* A socket of type on 127.0.0.1 with the stall timeouts; -1 on error. */
static int loopback_socket(int type)
{
	int fd = socket(AF_INET, type, 0);
	if (fd < 0)
		return fail_errno("socket");
	struct timeval tv = { .tv_sec = STALL_SEC };
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0) {
		fail_errno("setsockopt (SO_RCVTIMEO, SO_SNDTIMEO)");
		close(fd);
		return -1;
	}
	return fd;
}

/* Binds fd to 127.0.0.1 on an ephemeral port and stores the address in out_addr. */
static int bind_loopback(int fd, struct sockaddr_in *out_addr)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = 0 };
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t len = sizeof(sin);
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0)
		return fail_errno("bind 127.0.0.1:0");
	if (getsockname(fd, (struct sockaddr *)out_addr, &len) < 0)
		return fail_errno("getsockname");
	return 0;
}

static int set_nodelay(int fd)
{
	int one = 1;
	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) < 0)
		return fail_errno("setsockopt (TCP_NODELAY)");
	return 0;
}

/*
 * A TCP connection on 127.0.0.1: forks a child that connects and runs
 * child(fd, n), then _exits with 0 if it returned 0; the parent accepts,
 * and returns the accepted socket in out_fd and the child's pid in
 * out_pid. Returns 0 or -1.
 */
static int tcp_pair(int (*child)(int fd, long n), long n, int nodelay, int *out_fd, pid_t *out_pid)
{
	struct sockaddr_in addr;
	int lfd = loopback_socket(SOCK_STREAM);
	if (lfd < 0)
		return -1;
	if (bind_loopback(lfd, &addr) < 0)
		goto out_close_listener;
	if (listen(lfd, 1) < 0) {
		fail_errno("listen");
		goto out_close_listener;
	}
	pid_t pid = fork();
	if (pid < 0) {
		fail_errno("fork");
		goto out_close_listener;
	}
	if (pid == 0) {
		close(lfd);
		int fd = loopback_socket(SOCK_STREAM);
		if (fd < 0)
			_exit(1);
		if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
			fail_errno("connect (child)");
			_exit(1);
		}
		if (nodelay && set_nodelay(fd) < 0)
			_exit(1);
		_exit(child(fd, n) < 0 ? 1 : 0);
	}
	int fd;
	do {
		fd = accept(lfd, NULL, NULL);
	} while (fd < 0 && errno == EINTR);
	if (fd < 0) {
		fail_errno("accept");
		goto out_reap;
	}
	if (nodelay && set_nodelay(fd) < 0) {
		close(fd);
		goto out_reap;
	}
	close(lfd);
	*out_fd = fd;
	*out_pid = pid;
	return 0;

out_reap:
	/* The child fails on its own (EOF or the stall timeout). */
	bench_reap(pid, "tcp_pair");
out_close_listener:
	close(lfd);
	return -1;
}

/* stream */

static int stream_send(int fd, long mib)
{
	uint64_t blocks = (uint64_t)mib * (BENCH_MIB / CHUNK);
	for (uint64_t i = 0; i < blocks; i++) {
		memcpy(g_buf, &i, sizeof(i));
		if (write_full(fd, g_buf, CHUNK, "write (stream, child)") < 0)
			return -1;
	}
	if (close(fd) < 0)
		return fail_errno("close (stream, child)");
	return 0;
}

/*
 * Checks the block numbers stamped at every 64 KiB boundary that lies,
 * with its 8 bytes, inside buf, which holds the stream's bytes [at, at + size).
 * A stamp cut by the end of a read is not checked: the others catch loss,
 * duplication and reordering.
 */
static int stream_check(const char *buf, uint64_t at, size_t size)
{
	uint64_t first = (at + CHUNK - 1) / CHUNK * CHUNK;
	for (uint64_t off = first; off + sizeof(uint64_t) <= at + size; off += CHUNK) {
		uint64_t stamp;
		memcpy(&stamp, buf + (off - at), sizeof(stamp));
		if (stamp != off / CHUNK)
			return bench_fail(
			        "stream: byte %llu starts block %llu, expected block %llu",
			        (unsigned long long)off, (unsigned long long)stamp,
			        (unsigned long long)(off / CHUNK));
	}
	return 0;
}

static int op_stream(long mib)
{
	int fd;
	pid_t pid;
	if (tcp_pair(stream_send, mib, /*nodelay=*/0, &fd, &pid) < 0)
		return -1;
	uint64_t total = (uint64_t)mib * BENCH_MIB;
	uint64_t got = 0, first = 0, start = 0;
	int rc = 0;
	for (;;) {
		ssize_t n = read(fd, g_buf, sizeof(g_buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = fail_errno("read (stream)");
			bench_fail("stream: %llu of %llu bytes read when it failed",
			           (unsigned long long)got, (unsigned long long)total);
			break;
		}
		if (n == 0)
			break;
		if (got == 0) {
			start = now_ns();
			first = (uint64_t)n;
		}
		if (stream_check(g_buf, got, (size_t)n) < 0) {
			rc = -1;
			break;
		}
		got += (uint64_t)n;
	}
	uint64_t end = now_ns();
	close(fd);
	if (bench_reap(pid, "stream") < 0 || rc < 0)
		return -1;
	if (got != total)
		return bench_fail("stream: read %llu bytes, the child wrote %llu",
		                  (unsigned long long)got, (unsigned long long)total);
	if (got == first)
		return bench_fail("stream: everything came in the first read(); nothing was timed "
		                  "(use more MiB)");
	if (end == start)
		end = start + 1;
	double moved = (double)(got - first) / BENCH_MIB;
	char line[96];
	snprintf(line, sizeof(line), "stream MiB_per_s=%.1f\n",
	         moved * 1e9 / (double)(end - start));
	bench_write_all(STDOUT_FILENO, line, strlen(line));
	return 0;
}

/* rr and udp_rr */

static long warmup_iters(long iters)
{
	return iters / 10 < 1 ? 1 : iters / 10;
}

/*
 * The echoing end: reads MSG_SIZE bytes (one datagram for UDP) and writes
 * them back, until EOF (TCP) or the given number of round trips (UDP,
 * which has no EOF).
 */
static int echo_loop(int fd, long rounds, int is_udp)
{
	char msg[MSG_SIZE];
	for (long i = 0; !is_udp || i < rounds; i++) {
		if (is_udp) {
			ssize_t n;
			do {
				n = recv(fd, msg, sizeof(msg), 0);
			} while (n < 0 && errno == EINTR);
			if (n < 0)
				return fail_errno("recv (udp_rr, child)");
			if (n != MSG_SIZE)
				return bench_fail("udp_rr: the child got a datagram of %zd bytes",
				                  n);
		} else {
			/* One read() takes the whole request when it came in one
			 * segment, as it does; EOF before it is the end. */
			ssize_t n;
			do {
				n = read(fd, msg, sizeof(msg));
			} while (n < 0 && errno == EINTR);
			if (n == 0)
				return 0;
			if (n < 0)
				return fail_errno("read (rr, child)");
			if (read_full(fd, msg + n, sizeof(msg) - (size_t)n, "read (rr, child)") < 0)
				return -1;
		}
		if (write_full(fd, msg, sizeof(msg),
		               is_udp ? "send (udp_rr, child)" : "write (rr, child)") < 0)
			return -1;
	}
	return 0;
}

static int rr_echo(int fd, long n)
{
	(void)n;
	return echo_loop(fd, 0, /*is_udp=*/0);
}

/* One round trip from the timing end; seq numbers the message. */
static int rr_once(int fd, uint64_t seq, int is_udp)
{
	char msg[MSG_SIZE], back[MSG_SIZE];
	memset(msg, (int)(seq & 0xff), sizeof(msg));
	memcpy(msg, &seq, sizeof(seq));
	const char *op = is_udp ? "udp_rr" : "rr";
	if (write_full(fd, msg, sizeof(msg), op) < 0)
		return -1;
	if (is_udp) {
		ssize_t n;
		do {
			n = recv(fd, back, sizeof(back), 0);
		} while (n < 0 && errno == EINTR);
		if (n < 0)
			return fail_errno("recv (udp_rr)");
		if (n != MSG_SIZE)
			return bench_fail("udp_rr: got a datagram of %zd bytes", n);
	} else if (read_full(fd, back, sizeof(back), "read (rr)") < 0) {
		return -1;
	}
	if (memcmp(msg, back, sizeof(msg)) != 0)
		return bench_fail("%s: round trip %llu came back changed", op,
		                  (unsigned long long)seq);
	return 0;
}

/* Runs the warm-up and the timed round trips on fd and prints the figure. */
static int rr_time(int fd, long iters, int is_udp)
{
	uint64_t seq = 0;
	for (long i = warmup_iters(iters); i > 0; i--) {
		if (rr_once(fd, seq++, is_udp) < 0)
			return -1;
	}
	uint64_t start = now_ns();
	for (long i = 0; i < iters; i++) {
		if (rr_once(fd, seq++, is_udp) < 0)
			return -1;
	}
	uint64_t elapsed = now_ns() - start;
	char line[96];
	snprintf(line, sizeof(line), "%s us_per_rt=%.2f\n", is_udp ? "udp_rr" : "rr",
	         (double)elapsed / 1e3 / (double)iters);
	bench_write_all(STDOUT_FILENO, line, strlen(line));
	return 0;
}

static int op_rr(long iters)
{
	int fd;
	pid_t pid;
	if (tcp_pair(rr_echo, 0, /*nodelay=*/1, &fd, &pid) < 0)
		return -1;
	int rc = rr_time(fd, iters, /*is_udp=*/0);
	/* EOF ends the child, whatever happened. */
	close(fd);
	if (bench_reap(pid, "rr") < 0)
		return -1;
	return rc;
}

static int op_udp_rr(long iters)
{
	struct sockaddr_in a_addr, b_addr;
	int a = loopback_socket(SOCK_DGRAM);
	if (a < 0)
		return -1;
	int b = loopback_socket(SOCK_DGRAM);
	if (b < 0)
		goto out_close_a;
	if (bind_loopback(a, &a_addr) < 0 || bind_loopback(b, &b_addr) < 0)
		goto out_close_b;
	if (connect(a, (struct sockaddr *)&b_addr, sizeof(b_addr)) < 0 ||
	    connect(b, (struct sockaddr *)&a_addr, sizeof(a_addr)) < 0) {
		fail_errno("connect (udp_rr)");
		goto out_close_b;
	}
	pid_t pid = fork();
	if (pid < 0) {
		fail_errno("fork");
		goto out_close_b;
	}
	if (pid == 0) {
		close(a);
		_exit(echo_loop(b, warmup_iters(iters) + iters, /*is_udp=*/1) < 0 ? 1 : 0);
	}
	close(b);
	int rc = rr_time(a, iters, /*is_udp=*/1);
	close(a);
	/* On a failure the child stops at its stall timeout. */
	if (bench_reap(pid, "udp_rr") < 0)
		return -1;
	return rc;

out_close_b:
	close(b);
out_close_a:
	close(a);
	return -1;
}

static const struct net_op g_ops[] = {
	{ .name = "stream", .run = op_stream, .n_is_mib = 1 },
	{ .name = "rr", .run = op_rr },
	{ .name = "udp_rr", .run = op_udp_rr },
};

int main(int argc, char **argv)
{
	const size_t nops = sizeof(g_ops) / sizeof(g_ops[0]);
	int i = argc == 3 ? bench_find_op(g_ops, nops, sizeof(g_ops[0]), argv[1]) : -1;
	long n = i < 0 ? -1 : bench_count(argv[2], g_ops[i].n_is_mib ? BENCH_MAX_MIB : 0);
	if (n < 0)
		return bench_usage("OP N", g_ops, nops, sizeof(g_ops[0]));
	bench_fill(g_buf, sizeof(g_buf));
	return g_ops[i].run(n) < 0 ? 1 : 0;
}
