/*
 * iface_ioctl: the network's view outside netlink. The SIOCGIF* ioctls on
 * sockets of several families (SIOCGIFCONF with and without a buffer,
 * SIOCGIFNAME, INDEX, FLAGS, MTU, HWADDR, TXQLEN, METRIC; SIOCGIFADDR,
 * NETMASK, BRDADDR on AF_INET only; ENODEV, ENOTTY, EFAULT); glibc's
 * getifaddrs and if_nameindex (which ask netlink) against SIOCGIFCONF;
 * /proc/net: the self/net symlink, dev, if_inet6, route, unix.
 *
 * The host has more interfaces than the sandbox, so the checks are about
 * lo and about agreement between the views. No setter is called: the
 * native run may be root, and a test must not change the host.
 */
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <stdbool.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "test.h"

static char g_text[1 << 16];

static const char *read_file(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		test_fail(__FILE__, __LINE__, "fopen %s: %s", path, strerror(errno));
	size_t n = fread(g_text, 1, sizeof(g_text) - 1, f);
	g_text[n] = '\0';
	fclose(f);
	return g_text;
}

static void ifreq_name(struct ifreq *r, const char *name)
{
	memset(r, 0, sizeof(*r));
	strncpy(r->ifr_name, name, IFNAMSIZ - 1);
}

/* The SIOCGIFCONF entries: how many, and whether lo has 127.0.0.1. */
static int test_ifconf(int fd, struct ifreq *out, int max)
{
	struct ifconf ifc = { .ifc_len = 12345, .ifc_buf = NULL };
	CHECK_SYS(ioctl(fd, SIOCGIFCONF, &ifc));
	int need = ifc.ifc_len;
	CHECK(need > 0);
	CHECK_EQ(need % (int)sizeof(struct ifreq), 0);
	int n = need / (int)sizeof(struct ifreq);
	CHECK(n <= max);
	ifc.ifc_len = max * (int)sizeof(struct ifreq);
	ifc.ifc_req = out;
	CHECK_SYS(ioctl(fd, SIOCGIFCONF, &ifc));
	CHECK_EQ(ifc.ifc_len, need);
	bool lo = false;
	for (int i = 0; i < n; i++) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)&out[i].ifr_addr;
		CHECK_EQ(sin->sin_family, AF_INET);
		if (strcmp(out[i].ifr_name, "lo") == 0 && sin->sin_addr.s_addr == htonl(0x7f000001))
			lo = true;
	}
	CHECK(lo);
	/* Room for one and a half: only whole entries. */
	struct ifreq two[2];
	ifc.ifc_len = (int)(sizeof(struct ifreq) * 3 / 2);
	ifc.ifc_req = two;
	CHECK_SYS(ioctl(fd, SIOCGIFCONF, &ifc));
	CHECK_EQ(ifc.ifc_len, sizeof(struct ifreq));
	/* No room at all. */
	ifc.ifc_len = 0;
	CHECK_SYS(ioctl(fd, SIOCGIFCONF, &ifc));
	CHECK_EQ(ifc.ifc_len, 0);
	CHECK_ERR(ioctl(fd, SIOCGIFCONF, (void *)8), EFAULT);
	return n;
}

/* The link ioctls every socket answers; returns lo's index. */
static int test_link_ioctls(int fd)
{
	struct ifreq r;
	ifreq_name(&r, "lo");
	CHECK_SYS(ioctl(fd, SIOCGIFINDEX, &r));
	int index = r.ifr_ifindex;
	CHECK(index > 0);
	CHECK_EQ(if_nametoindex("lo"), index);

	ifreq_name(&r, "");
	r.ifr_ifindex = index;
	CHECK_SYS(ioctl(fd, SIOCGIFNAME, &r));
	CHECK_STREQ(r.ifr_name, "lo");
	r.ifr_ifindex = 0x7ffffff0;
	CHECK_ERR(ioctl(fd, SIOCGIFNAME, &r), ENODEV);

	ifreq_name(&r, "lo");
	CHECK_SYS(ioctl(fd, SIOCGIFFLAGS, &r));
	CHECK((r.ifr_flags & (IFF_LOOPBACK | IFF_UP | IFF_RUNNING)) ==
	      (IFF_LOOPBACK | IFF_UP | IFF_RUNNING));
	ifreq_name(&r, "lo");
	CHECK_SYS(ioctl(fd, SIOCGIFMTU, &r));
	CHECK(r.ifr_mtu >= 1280);
	ifreq_name(&r, "lo");
	CHECK_SYS(ioctl(fd, SIOCGIFHWADDR, &r));
	CHECK_EQ(r.ifr_hwaddr.sa_family, ARPHRD_LOOPBACK);
	static const char zero[6];
	CHECK_EQ(memcmp(r.ifr_hwaddr.sa_data, zero, 6), 0);
	ifreq_name(&r, "lo");
	CHECK_SYS(ioctl(fd, SIOCGIFTXQLEN, &r));
	CHECK(r.ifr_qlen >= 0);
	ifreq_name(&r, "lo");
	CHECK_SYS(ioctl(fd, SIOCGIFMETRIC, &r));
	CHECK_EQ(r.ifr_metric, 0);
	/* An alias name is its link's, and comes back as given. */
	ifreq_name(&r, "lo:7");
	CHECK_SYS(ioctl(fd, SIOCGIFINDEX, &r));
	CHECK_EQ(r.ifr_ifindex, index);
	CHECK_STREQ(r.ifr_name, "lo:7");

	ifreq_name(&r, "zz9-no-such");
	CHECK_ERR(ioctl(fd, SIOCGIFFLAGS, &r), ENODEV);
	CHECK_ERR(ioctl(fd, SIOCGIFINDEX, &r), ENODEV);
	CHECK_ERR(ioctl(fd, SIOCGIFINDEX, (void *)8), EFAULT);
	return index;
}

static void test_inet_ioctls(void)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		/* The sandbox's inet sockets may not be there yet (issue 7). */
		CHECK_EQ(errno, EAFNOSUPPORT);
		return;
	}
	struct ifreq r;
	ifreq_name(&r, "lo");
	CHECK_SYS(ioctl(fd, SIOCGIFADDR, &r));
	const struct sockaddr_in *sin = (const struct sockaddr_in *)&r.ifr_addr;
	CHECK_EQ(sin->sin_family, AF_INET);
	CHECK_EQ(sin->sin_addr.s_addr, htonl(0x7f000001));
	ifreq_name(&r, "lo");
	CHECK_SYS(ioctl(fd, SIOCGIFNETMASK, &r));
	CHECK_EQ(sin->sin_addr.s_addr, htonl(0xff000000));
	ifreq_name(&r, "lo");
	CHECK_SYS(ioctl(fd, SIOCGIFBRDADDR, &r));
	CHECK_EQ(sin->sin_addr.s_addr, 0);
	ifreq_name(&r, "lo:9");
	CHECK_ERR(ioctl(fd, SIOCGIFADDR, &r), EADDRNOTAVAIL);
	ifreq_name(&r, "zz9-no-such");
	CHECK_ERR(ioctl(fd, SIOCGIFADDR, &r), ENODEV);
	close(fd);
}

/* getifaddrs and if_nameindex (netlink underneath) against the ioctls. */
static void test_glibc(const struct ifreq *conf, int nconf, int lo_index)
{
	struct ifaddrs *ifa;
	CHECK_SYS(getifaddrs(&ifa));
	int v4 = 0;
	bool lo6 = false;
	for (struct ifaddrs *p = ifa; p; p = p->ifa_next) {
		if (!p->ifa_addr)
			continue;
		if (p->ifa_addr->sa_family == AF_INET) {
			const struct sockaddr_in *sin = (const struct sockaddr_in *)p->ifa_addr;
			bool found = false;
			for (int i = 0; i < nconf; i++) {
				const struct sockaddr_in *c =
				        (const struct sockaddr_in *)&conf[i].ifr_addr;
				if (strcmp(conf[i].ifr_name, p->ifa_name) == 0 &&
				    c->sin_addr.s_addr == sin->sin_addr.s_addr)
					found = true;
			}
			CHECK(found);
			v4++;
			if (sin->sin_addr.s_addr == htonl(0x7f000001)) {
				CHECK_STREQ(p->ifa_name, "lo");
				CHECK(p->ifa_flags & IFF_LOOPBACK);
				CHECK_EQ(((struct sockaddr_in *)p->ifa_netmask)->sin_addr.s_addr,
				         htonl(0xff000000));
			}
		} else if (p->ifa_addr->sa_family == AF_INET6) {
			if (IN6_IS_ADDR_LOOPBACK(
			            &((struct sockaddr_in6 *)p->ifa_addr)->sin6_addr)) {
				CHECK_STREQ(p->ifa_name, "lo");
				lo6 = true;
			}
		}
	}
	CHECK_EQ(v4, nconf);
	CHECK(lo6);
	freeifaddrs(ifa);

	struct if_nameindex *ni = if_nameindex();
	CHECK(ni != NULL);
	bool lo = false;
	for (struct if_nameindex *p = ni; p->if_index; p++) {
		if (strcmp(p->if_name, "lo") == 0) {
			CHECK_EQ(p->if_index, lo_index);
			lo = true;
		}
		CHECK_EQ(if_nametoindex(p->if_name), p->if_index);
	}
	CHECK(lo);
	if_freenameindex(ni);
}

static void test_proc_net(int lo_index)
{
	char link[64];
	ssize_t n = CHECK_SYS(readlink("/proc/net", link, sizeof(link) - 1));
	link[n] = '\0';
	CHECK_STREQ(link, "self/net");

	const char *dev = read_file("/proc/net/dev");
	CHECK(strncmp(dev, "Inter-|   Receive", 17) == 0);
	CHECK(strstr(dev, "\n    lo: ") != NULL);

	char want[80];
	snprintf(want, sizeof(want), "00000000000000000000000000000001 %02x 80 10 80       lo\n",
	         lo_index);
	const char *v6 = read_file("/proc/net/if_inet6");
	CHECK(strstr(v6, want) != NULL);

	const char *route = read_file("/proc/net/route");
	CHECK(strncmp(route, "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask",
	              50) == 0);
	/* Every line is padded to 127 bytes. */
	for (const char *p = route; *p; p = strchr(p, '\n') + 1)
		CHECK_EQ(strchr(p, '\n') - p, 127);

	/* A unix socket bound to a path shows up with its inode. */
	int u = (int)CHECK_SYS(socket(AF_UNIX, SOCK_STREAM, 0));
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	snprintf(a.sun_path, sizeof(a.sun_path), "/tmp/iface_ioctl.%d.sock", (int)getpid());
	unlink(a.sun_path);
	CHECK_SYS(bind(u, (struct sockaddr *)&a, sizeof(a)));
	CHECK_SYS(listen(u, 1));
	const char *unx = read_file("/proc/net/unix");
	CHECK(strncmp(unx, "Num       RefCount Protocol Flags    Type St Inode Path\n", 56) == 0);
	const char *line = strstr(unx, a.sun_path);
	CHECK(line != NULL);
	while (line > unx && line[-1] != '\n')
		line--;
	/* "...: 00000002 00000000 00010000 0001 01 12345 /tmp/..." */
	CHECK(strstr(line, " 00000000 00010000 0001 01 ") != NULL);
	CHECK_SYS(unlink(a.sun_path));
	close(u);
	/* The same files through /proc/self/net. */
	CHECK(strstr(read_file("/proc/self/net/dev"), "\n    lo: ") != NULL);
}

int main(void)
{
	struct ifreq conf[64];
	int un = (int)CHECK_SYS(socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
	int nl = (int)CHECK_SYS(socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, 0));
	int nconf = test_ifconf(un, conf, 64);
	CHECK_EQ(test_ifconf(nl, conf, 64), nconf);
	int lo = test_link_ioctls(un);
	CHECK_EQ(test_link_ioctls(nl), lo);
	/* The inet address ioctls are AF_INET's (devinet_ioctl): ENOTTY on other sockets. */
	struct ifreq r;
	ifreq_name(&r, "lo");
	CHECK_ERR(ioctl(un, SIOCGIFADDR, &r), ENOTTY);
	CHECK_ERR(ioctl(nl, SIOCGIFNETMASK, &r), ENOTTY);
	/* Still the family's own ioctls. */
	int q;
	CHECK_SYS(ioctl(un, FIONREAD, &q));
	CHECK_ERR(ioctl(nl, FIONREAD, &q), ENOTTY);
	test_inet_ioctls();
	test_glibc(conf, nconf, lo);
	test_proc_net(lo);
	close(nl);
	close(un);
	return 0;
}
