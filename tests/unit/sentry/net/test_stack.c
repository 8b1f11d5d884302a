/*
 * sentry/net/stack.c's loopback link, through lwIP's raw API as the
 * socket layer drives it: packets that come back in share the sender's
 * payload (custom pbufs holding a reference on the sender's pbufs) after
 * a copy of their headers, and memory the sender does not own is copied.
 * The same queue takes a link's traffic to its own address (eth0 here,
 * 10.0.0.2, whose link is one end of a socketpair): an IP packet, as on
 * lo. Each case checks every byte that arrives; the suite also runs this
 * under valgrind (tests/unit/meson.build), which sees a payload used after
 * the sender freed it or a header rewritten in the sender's copy.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <lwip/icmp.h>
#include <lwip/inet_chksum.h>
#include <lwip/ip.h>
#include <lwip/prot/icmp.h>
#include <lwip/raw.h>
#include <lwip/tcp.h>
#include <lwip/udp.h>

#include "sentry/net/socket.h"
#include "sentry/net/stack.h"
#include "tests/unit/sentry/net/link_fixture.h"

/* The byte at offset off of a stream or datagram seeded seed. */
static uint8_t pattern(uint32_t seed, size_t off)
{
	uint32_t x = (uint32_t)off * 2654435761u + seed;
	return (uint8_t)(x >> 24 ^ x >> 11);
}

static uint64_t g_rng = 0x9e3779b97f4a7c15ULL;

static uint32_t rng(void)
{
	g_rng ^= g_rng << 13;
	g_rng ^= g_rng >> 7;
	g_rng ^= g_rng << 17;
	return (uint32_t)g_rng;
}

/* ---- TCP: a stream over lo, written in pieces of random sizes ---- */

#define STREAM_BYTES (6u << 20)

struct stream {
	struct tcp_pcb *client, *server;
	size_t written, received;
	bool mismatch, closed;
	uint8_t chunk[32768];
};

static err_t stream_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
	struct stream *s = arg;
	(void)err;
	if (!p) {
		s->closed = true;
		tcp_arg(pcb, NULL);
		tcp_recv(pcb, NULL);
		tcp_close(pcb);
		s->server = NULL;
		return ERR_OK;
	}
	for (struct pbuf *q = p; q; q = q->next) {
		const uint8_t *b = q->payload;
		for (u16_t i = 0; i < q->len; i++)
			s->mismatch |= b[i] != pattern(1, s->received + i);
		s->received += q->len;
	}
	tcp_recved(pcb, p->tot_len);
	pbuf_free(p);
	return ERR_OK;
}

static err_t stream_accept(void *arg, struct tcp_pcb *pcb, err_t err)
{
	struct stream *s = arg;
	if (err != ERR_OK || !pcb)
		return ERR_VAL;
	s->server = pcb;
	tcp_arg(pcb, s);
	tcp_recv(pcb, stream_recv);
	return ERR_OK;
}

static err_t stream_connected(void *arg, struct tcp_pcb *pcb, err_t err)
{
	(void)arg;
	(void)pcb;
	return err;
}

/* Writes what the send buffer takes, in random pieces (TCP_WRITE_FLAG_COPY, as inet_tcp.c). */
static void stream_write(struct stream *s)
{
	while (s->written < STREAM_BYTES) {
		size_t n = 1 + rng() % sizeof(s->chunk);
		if (n > STREAM_BYTES - s->written)
			n = STREAM_BYTES - s->written;
		if (n > tcp_sndbuf(s->client))
			n = tcp_sndbuf(s->client);
		if (n == 0 || tcp_sndqueuelen(s->client) >= TCP_SND_QUEUELEN - 4)
			break;
		for (size_t i = 0; i < n; i++)
			s->chunk[i] = pattern(1, s->written + i);
		if (tcp_write(s->client, s->chunk, (u16_t)n, TCP_WRITE_FLAG_COPY) != ERR_OK)
			break;
		/* The sender's copy changes once handed over: the receiver must not see it. */
		memset(s->chunk, 0xa5, n);
		s->written += n;
	}
	tcp_output(s->client);
}

static void tcp_stream_over(const ip_addr_t *addr, u8_t type)
{
	struct stream *s = calloc(1, sizeof(*s));
	assert_non_null(s);
	net_stack_lock();
	struct tcp_pcb *l = tcp_new_ip_type(type);
	assert_non_null(l);
	assert_int_equal(tcp_bind(l, addr, 7001), ERR_OK);
	l = tcp_listen(l);
	assert_non_null(l);
	tcp_arg(l, s);
	tcp_accept(l, stream_accept);
	s->client = tcp_new_ip_type(type);
	assert_non_null(s->client);
	tcp_arg(s->client, s);
	assert_int_equal(tcp_connect(s->client, addr, 7001, stream_connected), ERR_OK);
	net_stack_unlock(); /* lo delivers the handshake */
	/*
	 * Until all has arrived, or 30 s: a delayed ACK or a retransmission
	 * comes from the stack's timer thread, which needs the lock.
	 */
	time_t deadline = time(NULL) + 30;
	while (s->received < STREAM_BYTES && time(NULL) < deadline) {
		size_t before = s->received;
		net_stack_lock();
		assert_non_null(s->server);
		stream_write(s);
		net_stack_unlock(); /* lo delivers the data, then the ACKs */
		if (s->received == before)
			usleep(1000);
	}
	assert_false(s->mismatch);
	assert_int_equal(s->received, STREAM_BYTES);
	net_stack_lock();
	tcp_arg(s->client, NULL);
	assert_int_equal(tcp_close(s->client), ERR_OK);
	tcp_close(l);
	net_stack_unlock();
	assert_true(s->closed);
	free(s);
}

static void tcp_stream_v4(void **state)
{
	(void)state;
	ip_addr_t a = IPADDR4_INIT_BYTES(127, 0, 0, 1);
	tcp_stream_over(&a, IPADDR_TYPE_V4);
}

static void tcp_stream_v6(void **state)
{
	(void)state;
	ip_addr_t a = IPADDR6_INIT_HOST(0, 0, 0, 1);
	tcp_stream_over(&a, IPADDR_TYPE_V6);
}

/* ---- UDP: datagrams of every size, from memory the sender owns and from memory it lends ---- */

struct dgrams {
	size_t want_len;
	uint32_t want_seed;
	int got;
	bool mismatch;
};

static void dgram_recv(void *arg, struct udp_pcb *pcb, struct pbuf *p, const ip_addr_t *addr,
                       u16_t port)
{
	(void)pcb;
	(void)addr;
	(void)port;
	struct dgrams *d = arg;
	d->got++;
	d->mismatch |= p->tot_len != d->want_len;
	size_t off = 0;
	for (struct pbuf *q = p; q; q = q->next) {
		const uint8_t *b = q->payload;
		for (u16_t i = 0; i < q->len; i++)
			d->mismatch |= b[i] != pattern(d->want_seed, off + i);
		off += q->len;
	}
	pbuf_free(p);
}

static void udp_sizes_to(const ip_addr_t *to)
{
	static uint8_t lent[65507];
	struct dgrams d = { 0 };
	const ip_addr_t *lo = to;
	net_stack_lock();
	struct udp_pcb *rx = udp_new_ip_type(IPADDR_TYPE_V4), *tx = udp_new_ip_type(IPADDR_TYPE_V4);
	assert_non_null(rx);
	assert_non_null(tx);
	assert_int_equal(udp_bind(rx, lo, 7002), ERR_OK);
	udp_recv(rx, dgram_recv, &d);
	net_stack_unlock();
	static const size_t sizes[] = { 0, 1, 200, 480, 513, 1472, 4000, 32768, 65000, 65507 };
	int sent = 0;
	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		for (int lend = 0; lend < 2; lend++) {
			size_t len = sizes[k];
			d.want_len = len;
			d.want_seed = (uint32_t)(k * 2 + (size_t)lend + 7);
			net_stack_lock();
			struct pbuf *p;
			if (lend) {
				/* PBUF_REF: the caller's memory, which it reuses once udp_sendto
				 * returns. */
				for (size_t i = 0; i < len; i++)
					lent[i] = pattern(d.want_seed, i);
				p = pbuf_alloc(PBUF_TRANSPORT, (u16_t)len, PBUF_REF);
				assert_non_null(p);
				p->payload = lent;
			} else {
				p = pbuf_alloc(PBUF_TRANSPORT, (u16_t)len, PBUF_RAM);
				assert_non_null(p);
				for (size_t i = 0; i < len; i++)
					((uint8_t *)p->payload)[i] = pattern(d.want_seed, i);
			}
			assert_int_equal(udp_sendto(tx, p, lo, 7002), ERR_OK);
			pbuf_free(p);
			memset(lent, 0x5a, len);
			net_stack_unlock(); /* delivered here, after the sender's memory changed */
			sent++;
			assert_int_equal(d.got, sent);
			assert_false(d.mismatch);
		}
	}
	net_stack_lock();
	udp_remove(rx);
	udp_remove(tx);
	net_stack_unlock();
}

static void udp_sizes(void **state)
{
	(void)state;
	ip_addr_t lo = IPADDR4_INIT_BYTES(127, 0, 0, 1);
	udp_sizes_to(&lo);
}

/* ---- A link's traffic to its own address ---- */

static void udp_to_own_link_address(void **state)
{
	(void)state;
	/* Whole whatever their size, as on lo: lwIP loops a packet back before fragmenting. */
	ip_addr_t own = IPADDR4_INIT_BYTES(10, 0, 0, 2);
	udp_sizes_to(&own);
}

static void tcp_to_own_link_address(void **state)
{
	(void)state;
	ip_addr_t own = IPADDR4_INIT_BYTES(10, 0, 0, 2);
	tcp_stream_over(&own, IPADDR_TYPE_V4);
}

/* ---- ICMP: lwIP answers a big echo request in place, in the header lo copied ---- */

struct echo {
	u16_t payload_len;
	int replies;
	bool mismatch;
};

static u8_t echo_raw_recv(void *arg, struct raw_pcb *pcb, struct pbuf *p, const ip_addr_t *addr)
{
	(void)pcb;
	(void)addr;
	struct echo *e = arg;
	u16_t hlen = (u16_t)(IPH_HL_BYTES((struct ip_hdr *)p->payload));
	struct icmp_echo_hdr h;
	if (pbuf_copy_partial(p, &h, sizeof(h), hlen) != sizeof(h) || h.type != ICMP_ER)
		return 0; /* the request: lwIP's icmp_input answers it */
	e->replies++;
	e->mismatch |= p->tot_len != hlen + sizeof(h) + e->payload_len;
	for (u16_t i = 0; i < e->payload_len; i++) {
		uint8_t b = pbuf_get_at(p, (u16_t)(hlen + sizeof(h) + i));
		e->mismatch |= b != pattern(3, i);
	}
	pbuf_free(p);
	return 1;
}

static void icmp_echo(void **state)
{
	(void)state;
	struct echo e = { .payload_len = 3000 };
	ip_addr_t lo = IPADDR4_INIT_BYTES(127, 0, 0, 1);
	net_stack_lock();
	struct raw_pcb *r = raw_new(IP_PROTO_ICMP);
	assert_non_null(r);
	raw_recv(r, echo_raw_recv, &e);
	struct pbuf *p = pbuf_alloc(PBUF_IP, (u16_t)(sizeof(struct icmp_echo_hdr) + e.payload_len),
	                            PBUF_RAM);
	assert_non_null(p);
	struct icmp_echo_hdr *h = p->payload;
	memset(h, 0, sizeof(*h));
	h->type = ICMP_ECHO;
	h->id = 0x1234;
	h->seqno = 1;
	for (u16_t i = 0; i < e.payload_len; i++)
		((uint8_t *)(h + 1))[i] = pattern(3, i);
	h->chksum = inet_chksum(p->payload, p->len);
	assert_int_equal(raw_sendto(r, p, &lo), ERR_OK);
	pbuf_free(p);
	net_stack_unlock();
	assert_int_equal(e.replies, 1);
	assert_false(e.mismatch);
	net_stack_lock();
	raw_remove(r);
	net_stack_unlock();
}

static int setup(void **state)
{
	(void)state;
	int peer;
	if (link_fixture_add_eth0(&peer) < 0)
		return -1;
	return net_stack_start();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(tcp_stream_v4),
		cmocka_unit_test(tcp_stream_v6),
		cmocka_unit_test(udp_sizes),
		cmocka_unit_test(udp_to_own_link_address),
		cmocka_unit_test(tcp_to_own_link_address),
		cmocka_unit_test(icmp_echo),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
