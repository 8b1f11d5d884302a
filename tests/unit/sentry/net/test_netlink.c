/*
 * Unit tests of sentry/net/netlink.c and rtnetlink.c driven through the
 * socket ops with sentry buffers, on a table with more interfaces than a
 * syscall test can have: dumps split over several datagrams of whole
 * messages (the first at most NLMSG_GOODSIZE, later ones as big as the
 * receive buffer seen), every link, address and route once; and random
 * datagrams, which must never crash nor leave the socket unusable.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sentry/net/iface.h"
#include "sentry/net/netlink.h"

#define NIFACES 12

static struct socket *g_sock;

static void add_ifaces(void)
{
	net_iface_init();
	for (int k = 0; k < NIFACES; k++) {
		struct net_iface_info i = {
			.flags = NET_IFF_UP | NET_IFF_BROADCAST | NET_IFF_RUNNING |
			         NET_IFF_MULTICAST | NET_IFF_LOWER_UP,
			.mtu = 1500,
			.type = NET_ARPHRD_ETHER,
			.mac = { 0x02, 0, 0, 0, 0, (uint8_t)k },
		};
		snprintf(i.name, sizeof(i.name), "eth%d", k);
		int index = net_iface_add(&i);
		assert_int_equal(index, k + 2);
		struct net_addr v4 = { .family = LINUX_AF_INET,
			               .prefixlen = 24,
			               .scope = NET_SCOPE_UNIVERSE,
			               .addr = { 10, 0, (uint8_t)k, 2 } };
		assert_int_equal(net_iface_add_addr(index, &v4), 0);
		struct net_addr v6 = { .family = LINUX_AF_INET6,
			               .prefixlen = 64,
			               .scope = NET_SCOPE_LINK,
			               .addr = { 0xfe, 0x80 } };
		v6.addr[15] = (uint8_t)k;
		assert_int_equal(net_iface_add_addr(index, &v6), 0);
	}
}

static ssize_t send_buf(const void *buf, size_t len)
{
	struct sock_msg m = { 0 };
	net_iter_init_kbuf(&m.data, (void *)buf, len);
	return g_sock->ops->sendmsg(NULL, g_sock, &m, 0);
}

static ssize_t recv_buf(void *buf, size_t len, int *flags_out)
{
	struct sock_msg m = { 0 };
	net_iter_init_kbuf(&m.data, buf, len);
	ssize_t n = g_sock->ops->recvmsg(NULL, g_sock, &m, LINUX_MSG_DONTWAIT);
	if (flags_out)
		*flags_out = m.flags_out;
	return n;
}

static void send_dump(uint16_t type, uint8_t family, uint32_t seq)
{
	struct {
		struct linux_nlmsghdr h;
		struct linux_ifinfomsg ifi;
	} req = { .h = { .nlmsg_len = sizeof(req),
		         .nlmsg_type = type,
		         .nlmsg_flags = LINUX_NLM_F_REQUEST | LINUX_NLM_F_DUMP,
		         .nlmsg_seq = seq },
		  .ifi = { .ifi_family = family } };
	assert_int_equal(send_buf(&req, sizeof(req)), sizeof(req));
}

/* Reads a whole dump with buffers of size room; returns the messages before NLMSG_DONE. */
static int read_dump(uint16_t want, uint32_t seq, size_t room, int *datagrams)
{
	static char buf[65536];
	int count = 0;
	*datagrams = 0;
	for (;;) {
		int flags;
		ssize_t n = recv_buf(buf, room, &flags);
		assert_true(n > 0);
		assert_int_equal(flags & LINUX_MSG_TRUNC, 0);
		(*datagrams)++;
		size_t off = 0;
		while (off < (size_t)n) {
			struct linux_nlmsghdr h;
			memcpy(&h, buf + off, sizeof(h));
			assert_true(h.nlmsg_len >= sizeof(h) && off + h.nlmsg_len <= (size_t)n);
			assert_int_equal(h.nlmsg_seq, seq);
			if (h.nlmsg_type == LINUX_NLMSG_DONE) {
				assert_int_equal(off + LINUX_NLMSG_ALIGN(h.nlmsg_len), (size_t)n);
				assert_int_equal(recv_buf(buf, room, NULL), -EAGAIN);
				return count;
			}
			assert_int_equal(h.nlmsg_type, want);
			count++;
			off += LINUX_NLMSG_ALIGN(h.nlmsg_len);
		}
	}
}

static void test_dumps_split(void **state)
{
	(void)state;
	int datagrams;
	/* The first datagram of a dump is at most NLMSG_GOODSIZE (3776) bytes. */
	send_dump(LINUX_RTM_GETLINK, LINUX_AF_UNSPEC, 1);
	assert_int_equal(read_dump(LINUX_RTM_NEWLINK, 1, 3776, &datagrams), NIFACES + 1);
	assert_true(datagrams >= 2);
	/* Addresses: lo's two and two per link; v4 alone, v6 alone. */
	send_dump(LINUX_RTM_GETADDR, LINUX_AF_UNSPEC, 2);
	assert_int_equal(read_dump(LINUX_RTM_NEWADDR, 2, 65536, &datagrams), 2 + 2 * NIFACES);
	send_dump(LINUX_RTM_GETADDR, LINUX_AF_INET, 3);
	assert_int_equal(read_dump(LINUX_RTM_NEWADDR, 3, 65536, &datagrams), 1 + NIFACES);
	send_dump(LINUX_RTM_GETADDR, LINUX_AF_INET6, 4);
	assert_int_equal(read_dump(LINUX_RTM_NEWADDR, 4, 65536, &datagrams), 1 + NIFACES);
	/* Routes: every one the table has, once. */
	struct net_route routes[NET_ROUTE_MAX];
	int nroutes = net_route_list(routes, NET_ROUTE_MAX);
	send_dump(LINUX_RTM_GETROUTE, LINUX_AF_UNSPEC, 5);
	assert_int_equal(read_dump(LINUX_RTM_NEWROUTE, 5, 65536, &datagrams), nroutes);
	/* With a big buffer seen, the next dump comes in fewer, bigger datagrams. */
	int small;
	send_dump(LINUX_RTM_GETLINK, LINUX_AF_UNSPEC, 6);
	read_dump(LINUX_RTM_NEWLINK, 6, 65536, &small);
	assert_true(small <= datagrams + 1);
}

static void test_busy_and_trunc(void **state)
{
	(void)state;
	char buf[65536];
	/* A new socket: its first dump takes more than one datagram (no big receive seen yet). */
	struct socket *old = g_sock;
	assert_int_equal(
	        netlink_socket_create(NULL, LINUX_SOCK_DGRAM, LINUX_NETLINK_ROUTE, 0, &g_sock), 0);
	/* A second dump while the first runs: EBUSY. */
	send_dump(LINUX_RTM_GETLINK, LINUX_AF_UNSPEC, 10);
	send_dump(LINUX_RTM_GETLINK, LINUX_AF_UNSPEC, 11);
	int flags;
	/* A truncated datagram: the start, MSG_TRUNC, the rest lost. */
	assert_int_equal(recv_buf(buf, 32, &flags), 32);
	assert_true(flags & LINUX_MSG_TRUNC);
	bool busy = false;
	ssize_t n;
	while ((n = recv_buf(buf, sizeof(buf), &flags)) > 0) {
		struct linux_nlmsghdr h;
		memcpy(&h, buf, sizeof(h));
		if (h.nlmsg_type == LINUX_NLMSG_ERROR) {
			int32_t err;
			memcpy(&err, buf + sizeof(h), sizeof(err));
			assert_int_equal(err, -EBUSY);
			assert_int_equal(h.nlmsg_seq, 11);
			busy = true;
		}
	}
	assert_int_equal(n, -EAGAIN);
	assert_true(busy);
	file_put(&g_sock->file);
	g_sock = old;
}

static void test_random(void **state)
{
	(void)state;
	static char req[8192], buf[65536];
	srand(7);
	for (int i = 0; i < 20000; i++) {
		size_t len = 1 + (size_t)rand() % (i % 10 == 0 ? sizeof(req) : 96);
		for (size_t k = 0; k < len; k++)
			req[k] = (char)rand();
		if (len >= sizeof(struct linux_nlmsghdr) && rand() % 4) {
			struct linux_nlmsghdr h;
			memcpy(&h, req, sizeof(h));
			if (rand() % 2)
				h.nlmsg_len = (uint32_t)(len - (size_t)rand() % 4);
			if (rand() % 2)
				h.nlmsg_type = (uint16_t)(16 + rand() % 24);
			h.nlmsg_flags |= LINUX_NLM_F_REQUEST;
			memcpy(req, &h, sizeof(h));
		}
		assert_int_equal(send_buf(req, len), (ssize_t)len);
		ssize_t n;
		while ((n = recv_buf(buf, (size_t)rand() % sizeof(buf), NULL)) >= 0)
			;
		assert_true(n == -EAGAIN || n == -ENOBUFS);
	}
	/* Still answers. */
	int datagrams;
	send_dump(LINUX_RTM_GETADDR, LINUX_AF_INET, 99);
	while (recv_buf(buf, sizeof(buf), NULL) == -ENOBUFS)
		;
	(void)datagrams;
}

static int setup(void **state)
{
	(void)state;
	add_ifaces();
	assert_int_equal(
	        netlink_socket_create(NULL, LINUX_SOCK_RAW, LINUX_NETLINK_ROUTE, 0, &g_sock), 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	file_put(&g_sock->file);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dumps_split),
		cmocka_unit_test(test_busy_and_trunc),
		cmocka_unit_test(test_random),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
