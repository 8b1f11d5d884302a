/*
 * Fuzz target: the sandbox's packet input path. One input is what an
 * interface's AF_PACKET socket gives the sentry: a virtio_net_hdr and an
 * Ethernet frame. It goes through packet_link_input (the header's checks,
 * checksum completion) into the stack (sentry/net/stack.c: a PBUF_RAM copy,
 * lwIP's Ethernet, ARP, IPv4 and IPv6 with reassembly, ICMP, TCP, UDP),
 * exactly as a frame from the link's receiving thread does.
 *
 * The stack is set up once: interface 2 ("eth0", 10.0.0.2/24, fe80::2,
 * default route via 10.0.0.1) whose link is one end of a non-blocking
 * socketpair (what the stack sends there is read and counted), a TCP
 * listener on port 80 that takes connections and discards what they send,
 * and a UDP socket on port 53 that answers every datagram.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <lwip/tcp.h>
#include <lwip/udp.h>

#include "sentry/net/iface.h"
#include "sentry/net/packet_link.h"
#include "sentry/net/socket.h"
#include "sentry/net/stack.h"
#include "tests/unit/sentry/net/link_fixture.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int fuzz_net_setup(void);
/*
 * Reads what the stack sent (each input does). Returns how many frames it
 * sent in all so far; the last one (up to room bytes) into last.
 */
int fuzz_net_drain(uint8_t *last, size_t room, size_t *last_len);

#define FUZZ_IFINDEX 2

static int g_peer = -1;

static err_t discard_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
	(void)arg;
	(void)err;
	if (!p) {
		tcp_arg(pcb, NULL);
		tcp_recv(pcb, NULL);
		if (tcp_close(pcb) != ERR_OK) {
			tcp_abort(pcb);
			return ERR_ABRT;
		}
		return ERR_OK;
	}
	tcp_recved(pcb, p->tot_len);
	pbuf_free(p);
	return ERR_OK;
}

static err_t on_accept(void *arg, struct tcp_pcb *pcb, err_t err)
{
	(void)arg;
	if (err != ERR_OK || !pcb)
		return ERR_VAL;
	tcp_recv(pcb, discard_recv);
	return ERR_OK;
}

static void udp_answer(void *arg, struct udp_pcb *pcb, struct pbuf *p, const ip_addr_t *addr,
                       u16_t port)
{
	(void)arg;
	udp_sendto(pcb, p, addr, port);
	pbuf_free(p);
}

int fuzz_net_setup(void)
{
	static int done;
	if (done)
		return 0;
	done = 1;
	int index = link_fixture_add_eth0(&g_peer);
	if (index != FUZZ_IFINDEX)
		return -1;
	struct net_addr v6 = { .family = LINUX_AF_INET6,
		               .prefixlen = 64,
		               .scope = NET_SCOPE_LINK,
		               .addr = { 0xfe, 0x80 } };
	v6.addr[15] = 2;
	struct net_route def = { .family = LINUX_AF_INET,
		                 .table = 254,
		                 .type = 1,
		                 .protocol = 3,
		                 .has_gw = true,
		                 .gw = { 10, 0, 0, 1 },
		                 .oif = index };
	if (net_iface_add_addr(index, &v6) < 0 || net_route_add(&def) < 0)
		return -1;
	if (net_stack_start() < 0)
		return -1;
	net_stack_lock();
	struct tcp_pcb *t = tcp_new_ip_type(IPADDR_TYPE_ANY);
	int err = -1;
	if (t && tcp_bind(t, IP_ANY_TYPE, 80) == ERR_OK) {
		struct tcp_pcb *l = tcp_listen(t);
		if (l) {
			tcp_accept(l, on_accept);
			err = 0;
		}
	}
	struct udp_pcb *u = udp_new_ip_type(IPADDR_TYPE_ANY);
	if (!u || udp_bind(u, IP_ANY_TYPE, 53) != ERR_OK)
		err = -1;
	else
		udp_recv(u, udp_answer, NULL);
	net_stack_unlock();
	return err;
}

int fuzz_net_drain(uint8_t *last, size_t room, size_t *last_len)
{
	static uint8_t buf[70000];
	static size_t buf_len;
	static int total;
	ssize_t got;
	while ((got = read(g_peer, buf, sizeof(buf))) > 0) {
		total++;
		buf_len = (size_t)got;
	}
	if (last) {
		*last_len = buf_len < room ? buf_len : room;
		memcpy(last, buf, *last_len);
	}
	return total;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (fuzz_net_setup() < 0)
		abort();
	/* A buffer of exactly the input's size: an over-read shows under ASan or valgrind. */
	uint8_t *buf = malloc(size ? size : 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	packet_link_input(FUZZ_IFINDEX, buf, size);
	free(buf);
	fuzz_net_drain(NULL, 0, NULL);
	return 0;
}
