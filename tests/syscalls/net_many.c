/*
 * net_many FAMILY: TCP under load on loopback (127.0.0.1 or ::1).
 *
 * A 16 MiB transfer in each direction at once over one connection, four threads writing
 * and reading in chunks of random sizes, every byte checked against the sender's stream;
 * then 200 connections open at once through one listener, served by an epoll thread that
 * echoes each, every reply checked, and every close seen by the server as end of file.
 */
#include <pthread.h>
#include <sys/epoll.h>

#include "net_util.h"

static int g_family;

enum {
	transfer_size = 16 << 20,
	max_chunk = 100000,
	conn_count = 200,
};

/* A small deterministic generator: the byte stream and the chunk sizes both come from it. */
static uint64_t rng_next(uint64_t *state)
{
	uint64_t x = *state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*state = x;
	return x;
}

/* struct stream is one direction of the transfer. */
struct stream {
	int fd;
	uint64_t data_seed;  /* the bytes */
	uint64_t chunk_seed; /* the sizes of this side's sends or recvs */
	const char *failure; /* set by a thread that failed, with its errno */
	int err;
};

/* stream_fill writes the next size bytes of the stream's data into buf. */
static void stream_fill(uint64_t *state, unsigned char *buf, size_t size)
{
	for (size_t i = 0; i < size; i++)
		buf[i] = (unsigned char)(rng_next(state) >> 56);
}

static size_t chunk_size(uint64_t *state, size_t left)
{
	size_t n = 1 + (size_t)(rng_next(state) % max_chunk);

	return n < left ? n : left;
}

/*
 * stream_failed records a failure and shuts the connection down both ways, so that the
 * other threads fail too instead of waiting forever for a peer that has stopped.
 */
static void *stream_failed(struct stream *st, const char *what)
{
	st->failure = what;
	st->err = errno;
	shutdown(st->fd, SHUT_RDWR);
	return NULL;
}

static void *writer(void *arg)
{
	struct stream *st = arg;
	unsigned char *buf = test_map(max_chunk, PROT_READ | PROT_WRITE);
	uint64_t data = st->data_seed, chunks = st->chunk_seed;
	size_t left = transfer_size;

	while (left > 0) {
		size_t n = chunk_size(&chunks, left);
		stream_fill(&data, buf, n);
		for (size_t done = 0; done < n;) {
			ssize_t r = send(st->fd, buf + done, n - done, MSG_NOSIGNAL);
			if (r <= 0)
				return stream_failed(st, "send failed");
			done += (size_t)r;
		}
		left -= n;
	}
	/* The reader on the other side sees end of file after the last byte. */
	if (shutdown(st->fd, SHUT_WR) != 0)
		return stream_failed(st, "shutdown failed");
	return NULL;
}

static void *reader(void *arg)
{
	struct stream *st = arg;
	unsigned char *buf = test_map(2 * max_chunk, PROT_READ | PROT_WRITE);
	unsigned char *want = buf + max_chunk;
	uint64_t data = st->data_seed, chunks = st->chunk_seed;
	size_t left = transfer_size;

	while (left > 0) {
		size_t n = chunk_size(&chunks, left);
		ssize_t r = recv(st->fd, buf, n, 0);
		if (r <= 0)
			return stream_failed(st, r == 0 ? "early end of file" : "recv failed");
		stream_fill(&data, want, (size_t)r);
		if (memcmp(buf, want, (size_t)r) != 0)
			return stream_failed(st, "wrong data");
		left -= (size_t)r;
	}
	char ch;
	if (recv(st->fd, &ch, 1, 0) != 0)
		return stream_failed(st, "no end of file after the data");
	return NULL;
}

static void test_transfer(void)
{
	int c, s;

	net_tcp_pair(g_family, &c, &s);
	/* Client to server, and server to client, each with its own sizes on either end. */
	struct stream out_w = { .fd = c, .data_seed = 0x1234567, .chunk_seed = 11 };
	struct stream out_r = { .fd = s, .data_seed = 0x1234567, .chunk_seed = 22 };
	struct stream in_w = { .fd = s, .data_seed = 0x7654321, .chunk_seed = 33 };
	struct stream in_r = { .fd = c, .data_seed = 0x7654321, .chunk_seed = 44 };
	struct stream *all[] = { &out_w, &out_r, &in_w, &in_r };
	void *(*fns[])(void *) = { writer, reader, writer, reader };
	pthread_t th[4];

	for (int i = 0; i < 4; i++)
		CHECK_EQ(pthread_create(&th[i], NULL, fns[i], all[i]), 0);
	for (int i = 0; i < 4; i++)
		CHECK_EQ(pthread_join(th[i], NULL), 0);
	int failed = 0;
	for (int i = 0; i < 4; i++) {
		if (all[i]->failure) {
			fprintf(stderr, "transfer thread %d: %s (errno %s)\n", i, all[i]->failure,
			        test_errname(all[i]->err));
			failed = 1;
		}
	}
	CHECK(!failed);
	CHECK_SYS(close(c));
	CHECK_SYS(close(s));
}

/* struct echo_server accepts connections and echoes them until conn_count have closed. */
struct echo_server {
	int listener;
	int accepted, closed;
	const char *failure;
};

static void *echo_main(void *arg)
{
	struct echo_server *srv = arg;
	int ep = epoll_create1(0);
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = srv->listener };

	if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, srv->listener, &ev) != 0) {
		srv->failure = "epoll set-up";
		return NULL;
	}
	while (srv->closed < conn_count) {
		struct epoll_event evs[32];
		int n = epoll_wait(ep, evs, 32, -1);
		if (n < 0) {
			srv->failure = "epoll_wait";
			return NULL;
		}
		for (int i = 0; i < n; i++) {
			int fd = evs[i].data.fd;
			if (fd == srv->listener) {
				int s = accept4(srv->listener, NULL, NULL, SOCK_NONBLOCK);
				if (s < 0) {
					if (errno == EAGAIN)
						continue;
					srv->failure = "accept";
					return NULL;
				}
				ev = (struct epoll_event){ .events = EPOLLIN, .data.fd = s };
				if (epoll_ctl(ep, EPOLL_CTL_ADD, s, &ev) != 0) {
					srv->failure = "epoll_ctl";
					return NULL;
				}
				srv->accepted++;
				continue;
			}
			char buf[256];
			ssize_t r = recv(fd, buf, sizeof(buf), 0);
			if (r < 0 && errno == EAGAIN)
				continue;
			if (r <= 0) {
				if (r < 0) {
					srv->failure = "recv";
					return NULL;
				}
				/* End of file: closing also takes it off the interest list. */
				close(fd);
				srv->closed++;
				continue;
			}
			/* Small replies always fit in the socket buffer. */
			if (send(fd, buf, (size_t)r, MSG_NOSIGNAL) != r) {
				srv->failure = "send";
				return NULL;
			}
		}
	}
	close(ep);
	return NULL;
}

static void test_many(void)
{
	struct net_addr la;
	struct echo_server srv = { .listener = net_listener(g_family, conn_count, &la) };
	static int c[conn_count];
	pthread_t th;

	net_set_nonblock(srv.listener, 1);
	CHECK_EQ(pthread_create(&th, NULL, echo_main, &srv), 0);
	for (int i = 0; i < conn_count; i++)
		c[i] = net_connect(&la);
	/* Every connection is open at once; each gets its own message back. */
	for (int i = 0; i < conn_count; i++) {
		char msg[16];
		int n = snprintf(msg, sizeof(msg), "conn %05d", i);
		net_send_all(c[i], msg, (size_t)n);
	}
	for (int i = conn_count - 1; i >= 0; i--) {
		char want[16], got[16];
		int n = snprintf(want, sizeof(want), "conn %05d", i);
		net_recv_all(c[i], got, (size_t)n);
		CHECK(memcmp(got, want, (size_t)n) == 0);
	}
	/* All local ports differ. */
	static uint16_t ports[conn_count];
	for (int i = 0; i < conn_count; i++) {
		struct net_addr a = net_sockname(c[i]);
		ports[i] = net_port(&a);
		for (int j = 0; j < i; j++)
			CHECK(ports[j] != ports[i]);
	}
	for (int i = 0; i < conn_count; i++)
		CHECK_SYS(close(c[i]));
	CHECK_EQ(pthread_join(th, NULL), 0);
	if (srv.failure)
		test_fail(__FILE__, __LINE__, "echo server: %s", srv.failure);
	CHECK_EQ(srv.accepted, conn_count);
	CHECK_EQ(srv.closed, conn_count);
	CHECK_SYS(close(srv.listener));
}

int main(int argc, char **argv)
{
	g_family = net_family_arg(argc, argv);
	net_timeout("net_many", 50);
	test_transfer();
	test_many();
	return 0;
}
