/*
 * runsc-cli/network (--network=sandbox's takeover) on a network namespace
 * made as a CNI plugin would. Needs root and `ip` (iproute2); exits 77
 * (meson's "skipped") otherwise.
 *
 * rnt-c-PID is the container's namespace: lo, a veth end rnaPID (MTU
 * 1400, MAC 02:00:00:00:79:0a, 10.79.N.2/24, fd79::2/64, default routes
 * via 10.79.N.1 and fd79::1, a static 10.80.0.0/16 via 10.79.N.1 metric
 * 7) and, when the dummy module is there, an interface that is down (left
 * to the host). Its peer rnbPID is in rnt-h-PID, "the host side".
 *   - test_scan: runsc_net_scan's description (as runsc_net_describe
 *     prints it) has exactly that: one link with its MTU, MAC and flags,
 *     the addresses (link-local included), the three routes and not the
 *     kernel's own address routes.
 *   - test_take_over: before it, the container namespace's kernel answers
 *     ARP for 10.79.N.2; after it, the addresses are gone (`ip addr`
 *     shows no inet or inet6 line on rnaPID), the kernel answers no more,
 *     and the ARP request arrives on the link's AF_PACKET socket instead,
 *     behind a virtio header (PACKET_VNET_HDR on, receive buffer >= 4
 *     MiB).
 *   - test_host_refused: in pid 1's network namespace, runsc_net_scan
 *     refuses with -EPERM (when the test runs there).
 * Both namespaces are deleted by name at exit or SIGTERM (the veth pair
 * and the dummy go with them).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "tests/unit/netns_fixture.h"

#include "runsc-cli/network.c"

#include <linux/virtio_net.h>

static char g_ns_c[32], g_ns_h[32], g_if_c[16], g_if_h[16], g_if_dummy[16];
static int g_net; /* the third byte of 10.79.N.0/24 */
static int g_orig_ns = -1;
static struct runsc_net g_scan;

static void cleanup(void)
{
	if (g_ns_c[0])
		RUN("ip", "netns", "del", g_ns_c);
	if (g_ns_h[0])
		RUN("ip", "netns", "del", g_ns_h);
	g_ns_c[0] = g_ns_h[0] = '\0';
}

static void on_term(int sig)
{
	cleanup();
	_exit(128 + sig);
}

static int group_setup(void **state)
{
	int pid = (int)getpid();
	g_net = pid % 250 + 1;
	char a4[32], gw4[32];
	snprintf(a4, sizeof(a4), "10.79.%d.2/24", g_net);
	snprintf(gw4, sizeof(gw4), "10.79.%d.1", g_net);
	snprintf(g_ns_c, sizeof(g_ns_c), "rnt-c-%d", pid);
	snprintf(g_ns_h, sizeof(g_ns_h), "rnt-h-%d", pid);
	snprintf(g_if_c, sizeof(g_if_c), "rna%d", pid);
	snprintf(g_if_h, sizeof(g_if_h), "rnb%d", pid);
	snprintf(g_if_dummy, sizeof(g_if_dummy), "rnd%d", pid);
	g_orig_ns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	assert_true(g_orig_ns >= 0);
	assert_int_equal(RUN("ip", "netns", "add", g_ns_c), 0);
	assert_int_equal(RUN("ip", "netns", "add", g_ns_h), 0);
	assert_int_equal(RUN("ip", "link", "add", g_if_c, "mtu", "1400", "address",
	                     "02:00:00:00:79:0a", "netns", g_ns_c, "type", "veth", "peer", "name",
	                     g_if_h, "mtu", "1400", "netns", g_ns_h),
	                 0);
	assert_int_equal(RUN("ip", "-n", g_ns_c, "link", "set", "lo", "up"), 0);
	assert_int_equal(RUN("ip", "-n", g_ns_c, "link", "set", g_if_c, "up"), 0);
	assert_int_equal(RUN("ip", "-n", g_ns_h, "link", "set", g_if_h, "up"), 0);
	assert_int_equal(RUN("ip", "-n", g_ns_c, "addr", "add", a4, "dev", g_if_c), 0);
	assert_int_equal(
	        RUN("ip", "-n", g_ns_c, "-6", "addr", "add", "fd79::2/64", "dev", g_if_c, "nodad"),
	        0);
	assert_int_equal(RUN("ip", "-n", g_ns_c, "route", "add", "default", "via", gw4), 0);
	assert_int_equal(
	        RUN("ip", "-n", g_ns_c, "route", "add", "10.80.0.0/16", "via", gw4, "metric", "7"),
	        0);
	assert_int_equal(RUN("ip", "-n", g_ns_c, "-6", "route", "add", "default", "via", "fd79::1"),
	                 0);
	/* Down: left to the host (when the dummy module exists). */
	RUN("ip", "-n", g_ns_c, "link", "add", g_if_dummy, "type", "dummy");
	/* The kernel's fe80:: address comes a moment after the link is up. */
	for (int t = 0; t < 100; t++) {
		netns_enter(g_ns_c);
		char err[256];
		assert_int_equal(runsc_net_scan(&g_scan, err, sizeof(err)), 0);
		netns_leave(g_orig_ns);
		if (g_scan.nlinks == 1 && g_scan.links[0].info.naddr == 3)
			break;
		poll(NULL, 0, 20);
	}
	return 0;
}

static int group_teardown(void **state)
{
	runsc_net_close(&g_scan);
	cleanup();
	return 0;
}

static void expect_line(const char *text, const char *line)
{
	if (!strstr(text, line)) {
		printf("missing \"%s\" in:\n%s", line, text);
		fail();
	}
}

static void test_scan(void **state)
{
	char text[4096], line[256];
	runsc_net_describe(&g_scan, text, sizeof(text));
	printf("%s", text);
	assert_int_equal(g_scan.nlinks, 1);
	const struct net_iface_info *f = &g_scan.links[0].info;
	assert_string_equal(f->name, g_if_c);
	assert_int_equal(f->mtu, 1400);
	assert_memory_equal(f->mac, "\x02\x00\x00\x00\x79\x0a", 6);
	assert_int_equal(f->type, NET_ARPHRD_ETHER);
	assert_true(f->flags & NET_IFF_UP);
	assert_true(f->flags & NET_IFF_RUNNING);
	assert_int_equal(g_scan.links[0].fd, -1);
	snprintf(line, sizeof(line), "addr %s 10.79.%d.2/24 scope 0\n", g_if_c, g_net);
	expect_line(text, line);
	snprintf(line, sizeof(line), "addr %s fd79::2/64 scope 0\n", g_if_c);
	expect_line(text, line);
	snprintf(line, sizeof(line), "addr %s fe80::ff:fe00:790a/64 scope 253\n", g_if_c);
	expect_line(text, line);
	snprintf(line, sizeof(line), "route inet default via 10.79.%d.1 dev %s metric 0\n", g_net,
	         g_if_c);
	expect_line(text, line);
	snprintf(line, sizeof(line), "route inet 10.80.0.0/16 via 10.79.%d.1 dev %s metric 7\n",
	         g_net, g_if_c);
	expect_line(text, line);
	snprintf(line, sizeof(line), "route inet6 default via fd79::1 dev %s metric 1024\n",
	         g_if_c);
	expect_line(text, line);
	/* The kernel's own routes for the addresses are the sentry's to make. */
	assert_int_equal(g_scan.nroutes, 3);
}

/* An ARP request from the host side's interface for 10.79.N.2. */
static void send_arp_request(int fd)
{
	uint8_t f[42] = { 0xff,
		          0xff,
		          0xff,
		          0xff,
		          0xff,
		          0xff,
		          2,
		          0,
		          0,
		          0,
		          0x79,
		          0x0b,
		          0x08,
		          0x06,
		          0,
		          1,
		          0x08,
		          0,
		          6,
		          4,
		          0,
		          1,
		          2,
		          0,
		          0,
		          0,
		          0x79,
		          0x0b,
		          10,
		          79,
		          (uint8_t)g_net,
		          1,
		          0,
		          0,
		          0,
		          0,
		          0,
		          0,
		          10,
		          79,
		          (uint8_t)g_net,
		          2 };
	assert_int_equal(send(fd, f, sizeof(f), 0), (ssize_t)sizeof(f));
}

/* Whether an ARP reply (not our own request going out) reaches fd within ms. */
static bool arp_reply_within(int fd, int ms)
{
	for (int t = 0; t < ms; t += 50) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		if (poll(&p, 1, 50) <= 0)
			continue;
		uint8_t f[128];
		struct sockaddr_ll from;
		socklen_t flen = sizeof(from);
		ssize_t n = recvfrom(fd, f, sizeof(f), 0, (struct sockaddr *)&from, &flen);
		if (n >= 42 && from.sll_pkttype != PACKET_OUTGOING && f[20] == 0 && f[21] == 2)
			return true;
	}
	return false;
}

/* The host side's ARP socket on its veth end. */
static int host_arp_socket(void)
{
	netns_enter(g_ns_h);
	int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	struct sockaddr_ll sll = { .sll_family = AF_PACKET,
		                   .sll_protocol = htons(ETH_P_ARP),
		                   .sll_ifindex = (int)if_nametoindex(g_if_h) };
	assert_int_equal(bind(fd, (struct sockaddr *)&sll, sizeof(sll)), 0);
	netns_leave(g_orig_ns);
	return fd;
}

/* `ip -n NS addr show dev IF` into buf. */
static void ip_addr_show(char *buf, size_t size)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "ip -n %s addr show dev %s", g_ns_c, g_if_c);
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	size_t n = fread(buf, 1, size - 1, p);
	buf[n] = '\0';
	pclose(p);
}

static void test_take_over(void **state)
{
	int arp = host_arp_socket();
	send_arp_request(arp);
	assert_true(arp_reply_within(arp, 2000)); /* the namespace's kernel answers, so far */

	netns_enter(g_ns_c);
	char err[256] = "";
	int e = runsc_net_take_over(&g_scan, err, sizeof(err));
	netns_leave(g_orig_ns);
	if (e < 0)
		printf("%s\n", err);
	assert_int_equal(e, 0);
	int fd = g_scan.links[0].fd;
	assert_true(fd >= 0);
	int v = 0;
	socklen_t len = sizeof(v);
	assert_int_equal(getsockopt(fd, SOL_PACKET, PACKET_VNET_HDR, &v, &len), 0);
	assert_int_equal(v, 1);
	len = sizeof(v);
	assert_int_equal(getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, &len), 0);
	assert_true(v >= 4 << 20);

	char shown[4096];
	ip_addr_show(shown, sizeof(shown));
	printf("after the takeover:\n%s", shown);
	assert_null(strstr(shown, "inet "));
	assert_null(strstr(shown, "inet6 "));
	struct runsc_net again;
	netns_enter(g_ns_c);
	assert_int_equal(runsc_net_scan(&again, err, sizeof(err)), 0);
	netns_leave(g_orig_ns);
	assert_int_equal(again.nlinks, 1);
	assert_int_equal(again.links[0].info.naddr, 0);
	assert_int_equal(again.nroutes, 0);

	/* The kernel is silent; the request is the link's. */
	send_arp_request(arp);
	assert_false(arp_reply_within(arp, 500));
	close(arp);
	bool seen = false;
	for (int t = 0; t < 40 && !seen; t++) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		if (poll(&p, 1, 50) <= 0)
			continue;
		uint8_t f[sizeof(struct virtio_net_hdr) + 2048];
		ssize_t n = recv(fd, f, sizeof(f), 0);
		const uint8_t *eth = f + sizeof(struct virtio_net_hdr);
		seen = n >= (ssize_t)sizeof(struct virtio_net_hdr) + 42 && eth[12] == 0x08 &&
		       eth[13] == 0x06 && eth[21] == 1 && eth[41] == 2;
	}
	assert_true(seen);
}

static void test_host_refused(void **state)
{
	struct stat self, init;
	if (stat("/proc/self/ns/net", &self) < 0 || stat("/proc/1/ns/net", &init) < 0 ||
	    self.st_ino != init.st_ino || self.st_dev != init.st_dev) {
		printf("not in pid 1's network namespace: nothing to check\n");
		return;
	}
	struct runsc_net n;
	char err[256];
	assert_int_equal(runsc_net_scan(&n, err, sizeof(err)), -EPERM);
	assert_int_equal(n.nlinks, 0);
	printf("%s\n", err);
}

int main(void)
{
	if (geteuid() != 0 || RUN("ip", "-V") != 0 || RUN("ip", "netns", "list") != 0) {
		printf("skipped: needs root and iproute2\n");
		return 77;
	}
	signal(SIGTERM, on_term);
	signal(SIGINT, on_term);
	atexit(cleanup);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scan),
		cmocka_unit_test(test_take_over),
		cmocka_unit_test(test_host_refused),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
