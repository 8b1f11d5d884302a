/*
 * sentry/net/packet_link on a real veth pair and on crafted frames. Needs
 * root and `ip` (iproute2); exits 77 (meson's "skipped") otherwise.
 *
 * Two network namespaces made for the run, rpl-x-PID and rpl-y-PID, joined
 * by a veth pair (plaPID in x with 10.78.0.2/24, plbPID in y with
 * 10.78.0.1/24). The link under test is an AF_PACKET socket with
 * PACKET_VNET_HDR on plaPID, as runsc opens it (without
 * PACKET_IGNORE_OUTGOING, so the link's own skipping of the frames x's
 * kernel sends is tested too):
 *   - test_udp_checksums: datagrams from y's kernel (veth leaves their
 *     checksum to "hardware": a second VNET socket on plaPID sees
 *     NEEDS_CSUM on them) reach rx with a checksum that the test
 *     recomputes over the pseudo-header; odd lengths included.
 *   - test_tcp_gso: an 8 MiB TCP stream from y to a listener in x (x's
 *     kernel answers it; the link only watches): frames longer than the
 *     MTU arrive whole (GSO), with the IP total length matching the frame
 *     and a correct TCP checksum over the whole segment; x's own frames
 *     (PACKET_OUTGOING) never reach rx.
 *   - test_send: a frame given to packet_link_send is read on plbPID by a
 *     plain AF_PACKET socket, byte for byte; the counters saw it.
 *   - test_malformed: on a link over a non-blocking datagram socketpair, crafted
 *     virtio headers and frames: too short, csum_start or csum_offset out
 *     of range, an unknown checksum place, a UDP GSO type are each
 *     dropped and counted; good IPv4 and IPv6 NEEDS_CSUM frames come
 *     through completed.
 *   - test_dead_link: deleting plaPID stops the receiving thread (ENETDOWN)
 *     within 5 s, and a send fails with an error and a counted drop.
 * Everything made is removed at exit (or SIGTERM from meson's timeout):
 * both namespaces by name (which deletes the veth pair) and the reader
 * child by pid.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "tests/unit/netns_fixture.h"

/* The code under test, with its static helpers. */
#include "sentry/net/iface.c"
#include "sentry/net/packet_link.c"

#define MAC_X     "02:00:00:00:78:0a"
#define MAC_Y     "02:00:00:00:78:0b"
#define UDP_PORT  9999
#define TCP_PORT  5000
#define TCP_BYTES (8 << 20)

static char g_ns_x[32], g_ns_y[32], g_if_x[16], g_if_y[16];
static pid_t g_reader = -1;
static int g_orig_ns = -1;
static int g_link = -1; /* the veth link's sandbox index */

/* ---- Set-up and clean-up ---- */

static void cleanup(void)
{
	if (g_reader > 0) {
		kill(g_reader, SIGKILL);
		waitpid(g_reader, NULL, 0);
		g_reader = -1;
	}
	if (g_ns_x[0])
		RUN("ip", "netns", "del", g_ns_x);
	if (g_ns_y[0])
		RUN("ip", "netns", "del", g_ns_y);
	g_ns_x[0] = g_ns_y[0] = '\0';
}

static void on_term(int sig)
{
	cleanup();
	_exit(128 + sig);
}

/* An AF_PACKET socket bound to ifname in the current namespace for proto, with or without VNET. */
static int packet_socket_proto(const char *ifname, bool vnet, uint16_t proto)
{
	int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	int one = 1;
	if (vnet)
		assert_int_equal(setsockopt(fd, SOL_PACKET, PACKET_VNET_HDR, &one, sizeof(one)), 0);
	struct sockaddr_ll sll = { .sll_family = AF_PACKET,
		                   .sll_protocol = htons(proto),
		                   .sll_ifindex = (int)if_nametoindex(ifname) };
	assert_true(sll.sll_ifindex > 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sll, sizeof(sll)), 0);
	return fd;
}

static int packet_socket(const char *ifname, bool vnet)
{
	return packet_socket_proto(ifname, vnet, ETH_P_ALL);
}

static bool setup_namespaces(void)
{
	int pid = (int)getpid();
	snprintf(g_ns_x, sizeof(g_ns_x), "rpl-x-%d", pid);
	snprintf(g_ns_y, sizeof(g_ns_y), "rpl-y-%d", pid);
	snprintf(g_if_x, sizeof(g_if_x), "pla%d", pid);
	snprintf(g_if_y, sizeof(g_if_y), "plb%d", pid);
	return RUN("ip", "netns", "add", g_ns_x) == 0 && RUN("ip", "netns", "add", g_ns_y) == 0 &&
	       RUN("ip", "link", "add", g_if_x, "address", MAC_X, "netns", g_ns_x, "type", "veth",
	           "peer", "name", g_if_y, "address", MAC_Y, "netns", g_ns_y) == 0 &&
	       RUN("ip", "-n", g_ns_x, "addr", "add", "10.78.0.2/24", "dev", g_if_x) == 0 &&
	       RUN("ip", "-n", g_ns_y, "addr", "add", "10.78.0.1/24", "dev", g_if_y) == 0 &&
	       RUN("ip", "-n", g_ns_x, "link", "set", g_if_x, "up") == 0 &&
	       RUN("ip", "-n", g_ns_y, "link", "set", g_if_y, "up") == 0;
}

/* ---- Checksums, recomputed independently (big-endian words) ---- */

static uint32_t sum_be(const uint8_t *p, size_t len, uint32_t sum)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

static uint16_t fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/*
 * Whether the TCP or UDP checksum of an Ethernet frame with IPv4 or IPv6
 * checks out (the sum over pseudo-header and segment is 0xffff). *l4 gets
 * the protocol, *ip_len_ok whether the IP length matches the frame.
 */
static bool l4_checksum_ok(const uint8_t *f, size_t len, int *l4, bool *ip_len_ok)
{
	uint16_t type = (uint16_t)(f[12] << 8 | f[13]);
	const uint8_t *ip = f + 14;
	uint32_t sum;
	size_t l4len;
	const uint8_t *seg;
	if (type == 0x0800) {
		size_t ihl = (size_t)(ip[0] & 15) * 4;
		size_t tot = (size_t)(ip[2] << 8 | ip[3]);
		*ip_len_ok = tot == len - 14;
		*l4 = ip[9];
		l4len = tot - ihl;
		seg = ip + ihl;
		sum = sum_be(ip + 12, 8, 0) + ip[9] + (uint32_t)l4len;
	} else if (type == 0x86dd) {
		size_t plen = (size_t)(ip[4] << 8 | ip[5]);
		*ip_len_ok = plen == len - 14 - 40;
		*l4 = ip[6];
		l4len = plen;
		seg = ip + 40;
		sum = sum_be(ip + 8, 32, 0) + ip[6] + (uint32_t)l4len;
	} else {
		*l4 = -1;
		return false;
	}
	return fold(sum_be(seg, l4len, sum)) == 0xffff;
}

/* ---- What the receiving thread saw ---- */

static struct {
	pthread_mutex_t mu;
	int udp_ok, udp_bad, tcp_ok, tcp_bad, gso, gso_bad_len, outgoing, max_len;
	int crafted_ok, crafted_bad;
} g_seen = { .mu = PTHREAD_MUTEX_INITIALIZER };

static void on_frame(void *arg, int ifindex, const uint8_t *f, size_t len)
{
	assert_int_equal(ifindex, g_link);
	pthread_mutex_lock(&g_seen.mu);
	if (memcmp(f + 6, "\x02\x00\x00\x00\x78\x0a", 6) == 0)
		g_seen.outgoing++;
	int l4;
	bool len_ok;
	bool ok = l4_checksum_ok(f, len, &l4, &len_ok);
	if (l4 == IPPROTO_UDP)
		ok &&len_ok ? g_seen.udp_ok++ : g_seen.udp_bad++;
	if (l4 == IPPROTO_TCP) {
		ok ? g_seen.tcp_ok++ : g_seen.tcp_bad++;
		if (len > 1514) {
			g_seen.gso++;
			if (!len_ok)
				g_seen.gso_bad_len++;
		}
	}
	if ((int)len > g_seen.max_len)
		g_seen.max_len = (int)len;
	pthread_mutex_unlock(&g_seen.mu);
}

/* Waits up to ms for *counter (under g_seen.mu) to reach want. */
static int wait_count(const int *counter, int want, int ms)
{
	int v = 0;
	for (int t = 0; t <= ms; t += 10) {
		pthread_mutex_lock(&g_seen.mu);
		v = *counter;
		pthread_mutex_unlock(&g_seen.mu);
		if (v >= want)
			break;
		poll(NULL, 0, 10);
	}
	return v;
}

/* ---- Tests ---- */

static int g_vnet_probe = -1; /* a second VNET socket on the link, read by the test */
static int g_listener = -1, g_udp_sink = -1;

static int group_setup(void **state)
{
	g_orig_ns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	assert_true(g_orig_ns >= 0);
	assert_true(setup_namespaces());
	netns_enter(g_ns_x);
	int link_fd = packet_socket(g_if_x, true);
	int size = 4 << 20; /* as runsc-cli/network.c sets it */
	assert_int_equal(setsockopt(link_fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)), 0);
	g_vnet_probe = packet_socket(g_if_x, true);
	g_listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(TCP_PORT) };
	inet_pton(AF_INET, "10.78.0.2", &a.sin_addr);
	assert_int_equal(bind(g_listener, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(g_listener, 1), 0);
	g_udp_sink = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	a.sin_port = htons(UDP_PORT);
	assert_int_equal(bind(g_udp_sink, (struct sockaddr *)&a, sizeof(a)), 0);
	netns_leave(g_orig_ns);

	struct net_iface_info info = { .flags = NET_IFF_UP | NET_IFF_RUNNING,
		                       .mtu = 1500,
		                       .type = NET_ARPHRD_ETHER,
		                       .mac = { 2, 0, 0, 0, 0x78, 0x0a } };
	snprintf(info.name, sizeof(info.name), "eth0");
	g_link = net_iface_add(&info);
	assert_int_equal(g_link, 2);
	assert_false(packet_link_exists(g_link));
	assert_int_equal(packet_link_register(g_link, link_fd), 0);
	assert_int_equal(packet_link_register(g_link, link_fd), -EEXIST);
	assert_true(packet_link_exists(g_link));
	assert_int_equal(packet_link_start(g_link, on_frame, NULL), 0);
	assert_int_equal(packet_link_start(g_link, on_frame, NULL), -EBUSY);
	assert_int_equal(packet_link_start(9, on_frame, NULL), -ENODEV);
	assert_true(packet_link_running(g_link));
	return 0;
}

static int group_teardown(void **state)
{
	cleanup();
	return 0;
}

static void test_udp_checksums(void **state)
{
	netns_enter(g_ns_y);
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	netns_leave(g_orig_ns);
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(UDP_PORT) };
	inet_pton(AF_INET, "10.78.0.2", &to.sin_addr);
	char buf[1400];
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (char)(i * 7 + 3);
	static const size_t sizes[] = { 1, 2, 3, 17, 64, 255, 512, 999, 1000, 1371, 1372 };
	for (int round = 0; round < 2; round++) {
		for (size_t i = 0; i < ARRAY_SIZE(sizes); i++)
			assert_int_equal(
			        sendto(s, buf, sizes[i], 0, (struct sockaddr *)&to, sizeof(to)),
			        (ssize_t)sizes[i]);
	}
	close(s);
	int want = 2 * (int)ARRAY_SIZE(sizes);
	assert_int_equal(wait_count(&g_seen.udp_ok, want, 5000), want);
	assert_int_equal(g_seen.udp_bad, 0);

	/* The precondition: the kernel left these checksums to be completed. */
	int needs_csum = 0;
	uint8_t frame[sizeof(struct virtio_net_hdr) + 2048];
	ssize_t got;
	while ((got = recv(g_vnet_probe, frame, sizeof(frame), MSG_DONTWAIT)) > 0) {
		const struct virtio_net_hdr *h = (const void *)frame;
		const uint8_t *f = frame + sizeof(*h);
		if (got > 14 + 20 + 8 && f[12] == 0x08 && f[13] == 0 && f[14 + 9] == IPPROTO_UDP &&
		    (h->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM))
			needs_csum++;
	}
	printf("UDP datagrams with NEEDS_CSUM on the probe socket: %d of %d\n", needs_csum, want);
	assert_true(needs_csum > 0);
}

static void test_tcp_gso(void **state)
{
	netns_enter(g_ns_y);
	int c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	netns_leave(g_orig_ns);
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(TCP_PORT) };
	inet_pton(AF_INET, "10.78.0.2", &to.sin_addr);
	assert_int_equal(connect(c, (struct sockaddr *)&to, sizeof(to)), 0);
	int a = accept(g_listener, NULL, NULL);
	assert_true(a >= 0);
	g_reader = fork();
	if (g_reader == 0) {
		close(c); /* the writer's end: its close must be the FIN */
		alarm(30);
		char buf[65536];
		ssize_t n;
		size_t total = 0;
		while ((n = read(a, buf, sizeof(buf))) > 0)
			total += (size_t)n;
		if (n < 0 || total != TCP_BYTES)
			fprintf(stderr, "reader: %zu bytes: %s\n", total,
			        n < 0 ? strerror(errno) : "EOF");
		_exit(n == 0 && total == TCP_BYTES ? 0 : 1);
	}
	assert_true(g_reader > 0);
	close(a);
	static char data[1 << 20];
	memset(data, 'x', sizeof(data));
	for (int i = 0; i < TCP_BYTES / (int)sizeof(data); i++)
		assert_int_equal(write(c, data, sizeof(data)), (ssize_t)sizeof(data));
	close(c);
	int status;
	assert_int_equal(waitpid(g_reader, &status, 0), g_reader);
	g_reader = -1;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		printf("reader status %#x\n", status);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	/* 8 MiB is some 130 segments of 64 KiB: wait for most, then for stragglers. */
	wait_count(&g_seen.tcp_ok, 64, 5000);
	poll(NULL, 0, 200);
	pthread_mutex_lock(&g_seen.mu);
	printf("TCP frames: %d good, %d bad; %d GSO frames (largest %d bytes); %d outgoing\n",
	       g_seen.tcp_ok, g_seen.tcp_bad, g_seen.gso, g_seen.max_len, g_seen.outgoing);
	assert_int_equal(g_seen.tcp_bad, 0);
	assert_true(g_seen.gso > 0);
	assert_int_equal(g_seen.gso_bad_len, 0);
	assert_int_equal(g_seen.outgoing, 0);
	pthread_mutex_unlock(&g_seen.mu);
}

static void test_send(void **state)
{
	/* Only the test's ethertype (the TCP test's frames would fill a socket for all). */
	netns_enter(g_ns_y);
	int peer = packet_socket_proto(g_if_y, false, 0x88b5);
	netns_leave(g_orig_ns);
	struct net_iface_info before;
	assert_int_equal(net_iface_get(g_link, &before), 0);
	uint8_t hdr[14] = {
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0x78, 0x0a, 0x88, 0xb5
	};
	char payload[64];
	snprintf(payload, sizeof(payload), "packet_link_send %d ", (int)getpid());
	struct iovec iov[2] = { { hdr, sizeof(hdr) }, { payload, sizeof(payload) } };
	assert_int_equal(packet_link_send(g_link, iov, 2), 0);
	assert_int_equal(packet_link_send(9, iov, 2), -ENODEV);
	bool found = false;
	for (int t = 0; t < 50 && !found; t++) {
		struct pollfd p = { .fd = peer, .events = POLLIN };
		if (poll(&p, 1, 100) <= 0)
			continue;
		uint8_t f[2048];
		ssize_t n = recv(peer, f, sizeof(f), 0);
		found = n == (ssize_t)(sizeof(hdr) + sizeof(payload)) &&
		        memcmp(f, hdr, sizeof(hdr)) == 0 &&
		        memcmp(f + sizeof(hdr), payload, sizeof(payload)) == 0;
	}
	close(peer);
	assert_true(found);
	struct net_iface_info after;
	assert_int_equal(net_iface_get(g_link, &after), 0);
	assert_int_equal(after.stats.tx_packets, before.stats.tx_packets + 1);
	assert_int_equal(after.stats.tx_bytes,
	                 before.stats.tx_bytes + sizeof(hdr) + sizeof(payload));
	assert_true(after.stats.rx_packets > 0);
}

/* ---- Crafted frames on a socketpair ---- */

static void on_crafted(void *arg, int ifindex, const uint8_t *f, size_t len)
{
	int l4;
	bool len_ok;
	bool ok = l4_checksum_ok(f, len, &l4, &len_ok) && l4 == IPPROTO_UDP && len_ok;
	pthread_mutex_lock(&g_seen.mu);
	ok ? g_seen.crafted_ok++ : g_seen.crafted_bad++;
	pthread_mutex_unlock(&g_seen.mu);
}

/*
 * An Ethernet+IP+UDP frame with 13 bytes of data and the pseudo-header's
 * sum in the checksum field, as a sender that leaves the checksum to the
 * hardware writes it; returns its length and the UDP header's offset.
 */
static size_t udp_frame(uint8_t *f, bool v6, size_t *udp_off)
{
	memset(f, 0, 128);
	memcpy(f, "\x02\x00\x00\x00\x78\x0a\x02\x00\x00\x00\x78\x0b", 12);
	const size_t dlen = 13, ulen = 8 + dlen;
	uint8_t *ip = f + 14, *u;
	uint32_t sum;
	if (!v6) {
		f[12] = 0x08;
		ip[0] = 0x45;
		ip[2] = 0;
		ip[3] = (uint8_t)(20 + ulen);
		ip[8] = 64;
		ip[9] = IPPROTO_UDP;
		memcpy(ip + 12, "\x0a\x4e\x00\x01\x0a\x4e\x00\x02", 8);
		u = ip + 20;
		sum = sum_be(ip + 12, 8, 0) + IPPROTO_UDP + (uint32_t)ulen;
	} else {
		f[12] = 0x86;
		f[13] = 0xdd;
		ip[0] = 0x60;
		ip[5] = (uint8_t)ulen;
		ip[6] = IPPROTO_UDP;
		ip[7] = 64;
		ip[8] = 0xfd;
		ip[23] = 1;
		ip[24] = 0xfd;
		ip[39] = 2;
		u = ip + 40;
		sum = sum_be(ip + 8, 32, 0) + IPPROTO_UDP + (uint32_t)ulen;
	}
	u[1] = 53;
	u[3] = 53;
	u[5] = (uint8_t)ulen;
	for (size_t i = 0; i < dlen; i++)
		u[8 + i] = (uint8_t)(0xa0 + i);
	uint16_t partial = fold(sum);
	u[6] = (uint8_t)(partial >> 8);
	u[7] = (uint8_t)partial;
	*udp_off = (size_t)(u - f);
	return (size_t)(u - f) + ulen;
}

static void send_crafted(int fd, const struct virtio_net_hdr *h, const uint8_t *f, size_t len)
{
	struct iovec iov[2] = { { (void *)h, sizeof(*h) }, { (void *)f, len } };
	struct msghdr m = { .msg_iov = iov, .msg_iovlen = 2 };
	assert_int_equal(sendmsg(fd, &m, 0), (ssize_t)(sizeof(*h) + len));
}

static void test_malformed(void **state)
{
	struct net_iface_info info = { .flags = NET_IFF_UP, .mtu = 1500, .type = NET_ARPHRD_ETHER };
	snprintf(info.name, sizeof(info.name), "crafted0");
	int idx = net_iface_add(&info);
	assert_true(idx > 0);
	int sp[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sp), 0);
	/* Non-blocking: the link waits in poll instead (nothing here must depend on it). */
	assert_int_equal(fcntl(sp[0], F_SETFL, O_NONBLOCK), 0);
	assert_int_equal(packet_link_register(idx, sp[0]), 0);
	assert_int_equal(packet_link_start(idx, on_crafted, NULL), 0);
	poll(NULL, 0, 50); /* the thread is waiting before the first frame */

	uint8_t f[128];
	size_t uoff;
	size_t len = udp_frame(f, false, &uoff);
	struct virtio_net_hdr good = { .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
		                       .csum_start = (uint16_t)uoff,
		                       .csum_offset = 6 };
	int drops = 0;
	/* Shorter than a virtio header. */
	assert_int_equal(send(sp[1], "abcde", 5, 0), 5);
	drops++;
	/* No Ethernet header. */
	send_crafted(sp[1], &good, f, 10);
	drops++;
	/* csum_start past the end, and csum_offset past the end. */
	struct virtio_net_hdr h = good;
	h.csum_start = (uint16_t)len;
	send_crafted(sp[1], &h, f, len);
	drops++;
	h = good;
	h.csum_start = (uint16_t)(len - 7);
	send_crafted(sp[1], &h, f, len);
	drops++;
	/* A checksum at a place neither TCP nor UDP keeps it. */
	h = good;
	h.csum_offset = 8;
	send_crafted(sp[1], &h, f, len);
	drops++;
	/* UDP GSO (VIRTIO_NET_HDR_GSO_UDP), and an unknown type. */
	h = good;
	h.gso_type = VIRTIO_NET_HDR_GSO_UDP;
	send_crafted(sp[1], &h, f, len);
	drops++;
	h.gso_type = 0x42;
	send_crafted(sp[1], &h, f, len);
	drops++;
	/* Good ones: IPv4 and IPv6 with the checksum to complete; one already complete. */
	send_crafted(sp[1], &good, f, len);
	uint8_t f6[128];
	size_t uoff6, len6 = udp_frame(f6, true, &uoff6);
	h = good;
	h.csum_start = (uint16_t)uoff6;
	send_crafted(sp[1], &h, f6, len6);
	h = (struct virtio_net_hdr){ 0 };
	uint8_t done[128];
	memcpy(done, f, len);
	/* The pseudo-header's sum is in the field already: summing the segment completes it. */
	uint16_t c = (uint16_t)~fold(sum_be(done + uoff, len - uoff, 0));
	done[uoff + 6] = (uint8_t)(c >> 8);
	done[uoff + 7] = (uint8_t)c;
	send_crafted(sp[1], &h, done, len);

	assert_int_equal(wait_count(&g_seen.crafted_ok, 3, 5000), 3);
	assert_int_equal(g_seen.crafted_bad, 0);
	struct net_iface_info st;
	assert_int_equal(net_iface_get(idx, &st), 0);
	assert_int_equal(st.stats.rx_dropped, (uint64_t)drops);
	assert_int_equal(st.stats.rx_packets, 3);
	/* Too many pieces for one send. */
	struct iovec many[63];
	for (int i = 0; i < 63; i++)
		many[i] = (struct iovec){ f, 1 };
	assert_int_equal(packet_link_send(idx, many, 63), -EINVAL);
}

/* fix_frame's arithmetic alone, on a checksum that folds to 0 (sent as 0xffff). */
static void test_fix_frame_zero(void **state)
{
	uint8_t f[64] = { 0 };
	struct virtio_net_hdr h = { .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
		                    .csum_start = 20,
		                    .csum_offset = 6 };
	/* Words that sum to 0xffff: their complement, the checksum, is 0. */
	f[20] = 0xff;
	f[21] = 0xff;
	assert_int_equal(fix_frame(&h, f, 30), 30);
	assert_int_equal(f[26], 0xff);
	assert_int_equal(f[27], 0xff);
}

static void test_dead_link(void **state)
{
	assert_true(packet_link_running(g_link));
	assert_int_equal(RUN("ip", "-n", g_ns_x, "link", "del", g_if_x), 0);
	for (int t = 0; t < 500 && packet_link_running(g_link); t++)
		poll(NULL, 0, 10);
	assert_false(packet_link_running(g_link));
	struct net_iface_info before, after;
	assert_int_equal(net_iface_get(g_link, &before), 0);
	uint8_t frame[60] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	struct iovec iov = { frame, sizeof(frame) };
	int e = packet_link_send(g_link, &iov, 1);
	printf("a send on the deleted link: %s\n", strerror(-e));
	assert_true(e < 0);
	assert_int_equal(net_iface_get(g_link, &after), 0);
	assert_int_equal(after.stats.tx_dropped, before.stats.tx_dropped + 1);
}

int main(void)
{
	if (geteuid() != 0 || RUN("ip", "-V") != 0 || RUN("ip", "netns", "list") != 0) {
		printf("skipped: needs root and iproute2\n");
		return 77;
	}
	signal(SIGTERM, on_term);
	signal(SIGINT, on_term);
	signal(SIGPIPE, SIG_IGN);
	atexit(cleanup);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_udp_checksums),  cmocka_unit_test(test_tcp_gso),
		cmocka_unit_test(test_send),           cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_fix_frame_zero), cmocka_unit_test(test_dead_link),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
