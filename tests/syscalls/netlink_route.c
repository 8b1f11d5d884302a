/*
 * netlink_route: NETLINK_ROUTE sockets. Creation errors, bind and port
 * ids, getsockname; the RTM_GETLINK, RTM_GETADDR (AF_INET, AF_INET6) and
 * RTM_GETROUTE dumps (lo, 127.0.0.1/8, ::1, the local route of 127.0.0.1
 * in table 255), a single RTM_GETROUTE (ip route get), RTM_GETRULE (the main table's rule) and
 * RTM_GETNEIGH, each ending with NLMSG_DONE, sequence numbers and port ids echoed; a single
 * RTM_GETLINK by index and by name, with NLM_F_ACK; errors (ENODEV, EOPNOTSUPP) as NLMSG_ERROR with
 * the request; MSG_PEEK and MSG_TRUNC, truncated datagrams; poll, epoll, a blocked recv woken by
 * another process's request, SO_RCVTIMEO; multicast membership; malformed and random requests (no
 * reply, no crash).
 *
 * The host has more interfaces than the sandbox: the checks are about
 * structure and lo, never the whole list. No request that would change
 * the host's table is ever sent (the native run may be root).
 */
#include <linux/fib_rules.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <poll.h>
#include <stdbool.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>

#include "test.h"

#define BUF_SIZE 65536

static char g_buf[BUF_SIZE];
static uint32_t g_seq = 1000;

static int nl_open(int type)
{
	return (int)CHECK_SYS(socket(AF_NETLINK, type | SOCK_CLOEXEC, NETLINK_ROUTE));
}

static uint32_t nl_portid(int fd)
{
	struct sockaddr_nl a;
	socklen_t len = sizeof(a);
	CHECK_SYS(getsockname(fd, (struct sockaddr *)&a, &len));
	CHECK_EQ(len, sizeof(a));
	CHECK_EQ(a.nl_family, AF_NETLINK);
	return a.nl_pid;
}

/* Sends one request with a payload; returns its sequence number. */
static uint32_t nl_send(int fd, uint16_t type, uint16_t flags, const void *payload, size_t len)
{
	char req[512];
	struct nlmsghdr *h = (struct nlmsghdr *)req;
	CHECK(NLMSG_SPACE(len) <= sizeof(req));
	memset(req, 0, sizeof(req));
	h->nlmsg_len = (uint32_t)NLMSG_LENGTH(len);
	h->nlmsg_type = type;
	h->nlmsg_flags = flags;
	h->nlmsg_seq = ++g_seq;
	memcpy(NLMSG_DATA(h), payload, len);
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	CHECK_EQ(sendto(fd, req, h->nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof(kernel)),
	         h->nlmsg_len);
	return h->nlmsg_seq;
}

static uint32_t nl_dump(int fd, uint16_t type, uint8_t family)
{
	struct rtgenmsg g = { .rtgen_family = family };
	/* Room for the largest header the kernel may read (ifinfomsg, rtmsg). */
	char payload[sizeof(struct ifinfomsg)] = { 0 };
	memcpy(payload, &g, sizeof(g));
	return nl_send(fd, type, NLM_F_REQUEST | NLM_F_DUMP, payload, sizeof(payload));
}

typedef void (*msg_fn)(void *arg, struct nlmsghdr *h);

/*
 * Reads a dump's replies to seq until NLMSG_DONE, calling fn on each
 * other message. Checks the headers: seq, port id, NLM_F_MULTI.
 */
static void nl_read_dump(int fd, uint32_t seq, uint32_t portid, uint16_t want_type, msg_fn fn,
                         void *arg)
{
	for (;;) {
		struct sockaddr_nl from;
		struct iovec iov = { g_buf, sizeof(g_buf) };
		struct msghdr mh = { .msg_name = &from,
			             .msg_namelen = sizeof(from),
			             .msg_iov = &iov,
			             .msg_iovlen = 1 };
		ssize_t n = CHECK_SYS(recvmsg(fd, &mh, 0));
		CHECK(n > 0);
		CHECK_EQ(mh.msg_flags & MSG_TRUNC, 0);
		CHECK_EQ(mh.msg_namelen, sizeof(from));
		CHECK_EQ(from.nl_family, AF_NETLINK);
		CHECK_EQ(from.nl_pid, 0);
		size_t len = (size_t)n;
		for (struct nlmsghdr *h = (struct nlmsghdr *)g_buf; NLMSG_OK(h, len);
		     h = NLMSG_NEXT(h, len)) {
			CHECK_EQ(h->nlmsg_seq, seq);
			CHECK_EQ(h->nlmsg_pid, portid);
			CHECK(h->nlmsg_flags & NLM_F_MULTI);
			if (h->nlmsg_type == NLMSG_DONE) {
				CHECK_EQ(h->nlmsg_len, NLMSG_LENGTH(sizeof(int)));
				CHECK_EQ(*(int *)NLMSG_DATA(h), 0);
				CHECK_EQ(len, NLMSG_ALIGN(h->nlmsg_len));
				return;
			}
			CHECK_EQ(h->nlmsg_type, want_type);
			fn(arg, h);
		}
		CHECK_EQ(len, 0);
	}
}

/* The attribute of type in [rta, rta + len), or NULL. */
static struct rtattr *find_attr(struct rtattr *rta, int len, int type)
{
	for (; RTA_OK(rta, len); rta = RTA_NEXT(rta, len)) {
		if (rta->rta_type == type)
			return rta;
	}
	return NULL;
}

/* ---- Links ---- */

struct link_seen {
	int lo_index;
	unsigned lo_flags;
	unsigned lo_mtu;
	int count;
};

static void check_link(struct nlmsghdr *h, struct link_seen *s)
{
	struct ifinfomsg *ifi = NLMSG_DATA(h);
	CHECK(h->nlmsg_len >= NLMSG_LENGTH(sizeof(*ifi)));
	CHECK(ifi->ifi_index > 0);
	int alen = (int)(h->nlmsg_len - NLMSG_LENGTH(sizeof(*ifi)));
	struct rtattr *name = find_attr(IFLA_RTA(ifi), alen, IFLA_IFNAME);
	CHECK(name != NULL);
	CHECK(find_attr(IFLA_RTA(ifi), alen, IFLA_MTU) != NULL);
	CHECK(find_attr(IFLA_RTA(ifi), alen, IFLA_TXQLEN) != NULL);
	CHECK(find_attr(IFLA_RTA(ifi), alen, IFLA_OPERSTATE) != NULL);
	s->count++;
	if (strcmp(RTA_DATA(name), "lo") == 0) {
		s->lo_index = ifi->ifi_index;
		s->lo_flags = ifi->ifi_flags;
		s->lo_mtu = *(unsigned *)RTA_DATA(find_attr(IFLA_RTA(ifi), alen, IFLA_MTU));
		CHECK_EQ(ifi->ifi_type, 772); /* ARPHRD_LOOPBACK */
		struct rtattr *addr = find_attr(IFLA_RTA(ifi), alen, IFLA_ADDRESS);
		CHECK(addr != NULL);
		CHECK_EQ(RTA_PAYLOAD(addr), 6);
		struct rtattr *st = find_attr(IFLA_RTA(ifi), alen, IFLA_STATS64);
		CHECK(st != NULL);
		CHECK(RTA_PAYLOAD(st) >= 8 * sizeof(uint64_t));
		CHECK(find_attr(IFLA_RTA(ifi), alen, IFLA_STATS) != NULL);
		struct rtattr *q = find_attr(IFLA_RTA(ifi), alen, IFLA_QDISC);
		CHECK(q != NULL);
		CHECK_STREQ(RTA_DATA(q), "noqueue");
	}
}

static void link_cb(void *arg, struct nlmsghdr *h)
{
	check_link(h, arg);
}

static struct link_seen test_link_dump(int fd)
{
	struct link_seen s = { 0 };
	uint32_t seq = nl_dump(fd, RTM_GETLINK, AF_UNSPEC);
	nl_read_dump(fd, seq, nl_portid(fd), RTM_NEWLINK, link_cb, &s);
	CHECK(s.count >= 1);
	CHECK(s.lo_index > 0);
	CHECK((s.lo_flags & (IFF_LOOPBACK | IFF_UP)) == (IFF_LOOPBACK | IFF_UP));
	CHECK_EQ(if_nametoindex("lo"), s.lo_index);
	return s;
}

/* Reads one datagram and checks it is an NLMSG_ERROR for seq with err. */
static void expect_error(int fd, uint32_t seq, int err, uint32_t req_len)
{
	ssize_t n = CHECK_SYS(recv(fd, g_buf, sizeof(g_buf), 0));
	struct nlmsghdr *h = (struct nlmsghdr *)g_buf;
	CHECK(n >= (ssize_t)NLMSG_LENGTH(sizeof(struct nlmsgerr)));
	CHECK_EQ(h->nlmsg_type, NLMSG_ERROR);
	CHECK_EQ(h->nlmsg_seq, seq);
	struct nlmsgerr *e = NLMSG_DATA(h);
	CHECK_EQ(e->error, -err);
	CHECK_EQ(e->msg.nlmsg_seq, seq);
	if (err == 0) {
		CHECK(h->nlmsg_flags & NLM_F_CAPPED);
		CHECK_EQ(h->nlmsg_len, NLMSG_LENGTH(sizeof(struct nlmsgerr)));
	} else {
		/* The whole request comes back (no NETLINK_CAP_ACK). */
		CHECK(h->nlmsg_len >= NLMSG_LENGTH(sizeof(int)) + req_len);
	}
}

static void test_get_link(int fd, const struct link_seen *s)
{
	/* By index, with an ack after the reply. */
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC, .ifi_index = s->lo_index };
	uint32_t seq = nl_send(fd, RTM_GETLINK, NLM_F_REQUEST | NLM_F_ACK, &ifi, sizeof(ifi));
	ssize_t n = CHECK_SYS(recv(fd, g_buf, sizeof(g_buf), 0));
	struct nlmsghdr *h = (struct nlmsghdr *)g_buf;
	CHECK(NLMSG_OK(h, (size_t)n));
	CHECK_EQ(h->nlmsg_type, RTM_NEWLINK);
	CHECK_EQ(h->nlmsg_seq, seq);
	CHECK_EQ(h->nlmsg_flags & NLM_F_MULTI, 0);
	CHECK_EQ(((struct ifinfomsg *)NLMSG_DATA(h))->ifi_index, s->lo_index);
	expect_error(fd, seq, 0, 0);

	/* By name. */
	struct {
		struct ifinfomsg ifi;
		struct rtattr rta;
		char name[4];
	} byname = { .ifi = { .ifi_family = AF_UNSPEC },
		     .rta = { .rta_len = RTA_LENGTH(3), .rta_type = IFLA_IFNAME },
		     .name = "lo" };
	seq = nl_send(fd, RTM_GETLINK, NLM_F_REQUEST, &byname, sizeof(byname));
	n = CHECK_SYS(recv(fd, g_buf, sizeof(g_buf), 0));
	CHECK(NLMSG_OK(h, (size_t)n));
	CHECK_EQ(h->nlmsg_type, RTM_NEWLINK);
	CHECK_EQ(h->nlmsg_seq, seq);
	CHECK_EQ(((struct ifinfomsg *)NLMSG_DATA(h))->ifi_index, s->lo_index);

	/* No such link; then a name that no link has. */
	ifi.ifi_index = 0x7ffffff0;
	seq = nl_send(fd, RTM_GETLINK, NLM_F_REQUEST, &ifi, sizeof(ifi));
	expect_error(fd, seq, ENODEV, sizeof(ifi));
	strcpy(byname.name, "zz9");
	seq = nl_send(fd, RTM_GETLINK, NLM_F_REQUEST, &byname, sizeof(byname));
	expect_error(fd, seq, ENODEV, sizeof(byname));
	/* Neither an index nor a name. */
	ifi.ifi_index = 0;
	seq = nl_send(fd, RTM_GETLINK, NLM_F_REQUEST, &ifi, sizeof(ifi));
	expect_error(fd, seq, EINVAL, sizeof(ifi));
	CHECK_ERR(recv(fd, g_buf, sizeof(g_buf), MSG_DONTWAIT), EAGAIN);
}

/* ---- Addresses ---- */

struct addr_seen {
	int family;
	int lo_index;
	bool v4_lo, v6_lo;
	int count;
};

static void addr_cb(void *arg, struct nlmsghdr *h)
{
	struct addr_seen *s = arg;
	struct ifaddrmsg *ifa = NLMSG_DATA(h);
	CHECK(h->nlmsg_len >= NLMSG_LENGTH(sizeof(*ifa)));
	if (s->family != AF_UNSPEC)
		CHECK_EQ(ifa->ifa_family, s->family);
	int alen = (int)(h->nlmsg_len - NLMSG_LENGTH(sizeof(*ifa)));
	struct rtattr *addr = find_attr(IFA_RTA(ifa), alen, IFA_ADDRESS);
	CHECK(addr != NULL);
	CHECK(find_attr(IFA_RTA(ifa), alen, IFA_CACHEINFO) != NULL);
	s->count++;
	if (ifa->ifa_family == AF_INET) {
		CHECK_EQ(RTA_PAYLOAD(addr), 4);
		struct rtattr *local = find_attr(IFA_RTA(ifa), alen, IFA_LOCAL);
		CHECK(local != NULL);
		struct rtattr *label = find_attr(IFA_RTA(ifa), alen, IFA_LABEL);
		CHECK(label != NULL);
		const uint8_t lo4[4] = { 127, 0, 0, 1 };
		if (memcmp(RTA_DATA(local), lo4, 4) == 0) {
			CHECK_EQ(ifa->ifa_prefixlen, 8);
			CHECK_EQ(ifa->ifa_index, s->lo_index);
			CHECK_EQ(ifa->ifa_scope, RT_SCOPE_HOST);
			CHECK_STREQ(RTA_DATA(label), "lo");
			s->v4_lo = true;
		}
	} else {
		CHECK_EQ(ifa->ifa_family, AF_INET6);
		CHECK_EQ(RTA_PAYLOAD(addr), 16);
		const uint8_t lo6[16] = { [15] = 1 };
		if (memcmp(RTA_DATA(addr), lo6, 16) == 0) {
			CHECK_EQ(ifa->ifa_prefixlen, 128);
			CHECK_EQ(ifa->ifa_index, s->lo_index);
			s->v6_lo = true;
		}
	}
}

static void test_addr_dumps(int fd, int lo_index)
{
	static const int families[] = { AF_UNSPEC, AF_INET, AF_INET6 };
	for (size_t i = 0; i < sizeof(families) / sizeof(families[0]); i++) {
		struct addr_seen s = { .family = families[i], .lo_index = lo_index };
		uint32_t seq = nl_dump(fd, RTM_GETADDR, (uint8_t)families[i]);
		nl_read_dump(fd, seq, nl_portid(fd), RTM_NEWADDR, addr_cb, &s);
		CHECK_EQ(s.v4_lo, families[i] != AF_INET6);
		CHECK_EQ(s.v6_lo, families[i] != AF_INET);
	}
}

/* ---- Routes ---- */

struct route_seen {
	int family;
	int lo_index;
	bool local_127;
};

static void route_cb(void *arg, struct nlmsghdr *h)
{
	struct route_seen *s = arg;
	struct rtmsg *rtm = NLMSG_DATA(h);
	CHECK(h->nlmsg_len >= NLMSG_LENGTH(sizeof(*rtm)));
	if (s->family != AF_UNSPEC)
		CHECK_EQ(rtm->rtm_family, s->family);
	int alen = (int)(h->nlmsg_len - NLMSG_LENGTH(sizeof(*rtm)));
	struct rtattr *table = find_attr(RTM_RTA(rtm), alen, RTA_TABLE);
	CHECK(table != NULL);
	CHECK_EQ(*(uint32_t *)RTA_DATA(table) & 0xff, rtm->rtm_table);
	struct rtattr *dst = find_attr(RTM_RTA(rtm), alen, RTA_DST);
	struct rtattr *oif = find_attr(RTM_RTA(rtm), alen, RTA_OIF);
	const uint8_t lo4[4] = { 127, 0, 0, 1 };
	if (rtm->rtm_family == AF_INET && rtm->rtm_dst_len == 32 && dst &&
	    memcmp(RTA_DATA(dst), lo4, 4) == 0) {
		CHECK_EQ(rtm->rtm_table, RT_TABLE_LOCAL);
		CHECK_EQ(rtm->rtm_type, RTN_LOCAL);
		CHECK(oif != NULL);
		CHECK_EQ(*(int *)RTA_DATA(oif), s->lo_index);
		s->local_127 = true;
	}
}

static void test_route_dumps(int fd, int lo_index)
{
	static const int families[] = { AF_UNSPEC, AF_INET, AF_INET6 };
	for (size_t i = 0; i < sizeof(families) / sizeof(families[0]); i++) {
		struct route_seen s = { .family = families[i], .lo_index = lo_index };
		uint32_t seq = nl_dump(fd, RTM_GETROUTE, (uint8_t)families[i]);
		nl_read_dump(fd, seq, nl_portid(fd), RTM_NEWROUTE, route_cb, &s);
		CHECK_EQ(s.local_127, families[i] != AF_INET6);
	}
}

/* A single RTM_GETROUTE: the lookup `ip route get 127.0.0.1` makes. */
static void test_route_get(int fd, int lo_index)
{
	struct {
		struct rtmsg rtm;
		struct rtattr rta;
		uint8_t dst[4];
	} req = { .rtm = { .rtm_family = AF_INET, .rtm_dst_len = 32 },
		  .rta = { .rta_len = RTA_LENGTH(4), .rta_type = RTA_DST },
		  .dst = { 127, 0, 0, 1 } };
	uint32_t seq = nl_send(fd, RTM_GETROUTE, NLM_F_REQUEST, &req, sizeof(req));
	ssize_t n = CHECK_SYS(recv(fd, g_buf, sizeof(g_buf), 0));
	struct nlmsghdr *h = (struct nlmsghdr *)g_buf;
	CHECK(NLMSG_OK(h, (size_t)n));
	CHECK_EQ(h->nlmsg_type, RTM_NEWROUTE);
	CHECK_EQ(h->nlmsg_seq, seq);
	struct rtmsg *rtm = NLMSG_DATA(h);
	CHECK_EQ(rtm->rtm_family, AF_INET);
	CHECK_EQ(rtm->rtm_type, RTN_LOCAL);
	int alen = (int)(h->nlmsg_len - NLMSG_LENGTH(sizeof(*rtm)));
	struct rtattr *oif = find_attr(RTM_RTA(rtm), alen, RTA_OIF);
	CHECK(oif != NULL);
	CHECK_EQ(*(int *)RTA_DATA(oif), lo_index);
	struct rtattr *src = find_attr(RTM_RTA(rtm), alen, RTA_PREFSRC);
	CHECK(src != NULL);
	CHECK_EQ(memcmp(RTA_DATA(src), req.dst, 4), 0);
	/* Without a family: no handler. */
	req.rtm.rtm_family = AF_UNSPEC;
	seq = nl_send(fd, RTM_GETROUTE, NLM_F_REQUEST, &req, sizeof(req));
	expect_error(fd, seq, EOPNOTSUPP, sizeof(req));
}

/* ---- Rules and neighbours ---- */

static void rule_cb(void *arg, struct nlmsghdr *h)
{
	bool *main_seen = arg;
	struct fib_rule_hdr *frh = NLMSG_DATA(h);
	CHECK(h->nlmsg_len >= NLMSG_LENGTH(sizeof(*frh)));
	CHECK_EQ(frh->family, AF_INET);
	int alen = (int)(h->nlmsg_len - NLMSG_LENGTH(sizeof(*frh)));
	struct rtattr *table = find_attr((struct rtattr *)(frh + 1), alen, FRA_TABLE);
	CHECK(table != NULL);
	if (*(uint32_t *)RTA_DATA(table) == RT_TABLE_MAIN && frh->action == FR_ACT_TO_TBL)
		*main_seen = true;
}

static void neigh_cb(void *arg, struct nlmsghdr *h)
{
	(void)arg;
	CHECK(h->nlmsg_len >= NLMSG_LENGTH(sizeof(struct ndmsg)));
}

static void test_rules_neighbours(int fd)
{
	bool main_seen = false;
	uint32_t seq = nl_dump(fd, RTM_GETRULE, AF_INET);
	nl_read_dump(fd, seq, nl_portid(fd), RTM_NEWRULE, rule_cb, &main_seen);
	CHECK(main_seen);
	seq = nl_dump(fd, RTM_GETNEIGH, AF_UNSPEC);
	nl_read_dump(fd, seq, nl_portid(fd), RTM_NEWNEIGH, neigh_cb, NULL);
}

/* ---- Datagrams: peek, truncation, readiness ---- */

static void test_peek_trunc(int fd)
{
	uint32_t seq = nl_dump(fd, RTM_GETLINK, AF_UNSPEC);
	struct pollfd p = { .fd = fd, .events = POLLIN };
	CHECK_EQ(poll(&p, 1, 5000), 1);
	CHECK(p.revents & POLLIN);
	/* MSG_PEEK | MSG_TRUNC: the whole datagram's length, and it stays. */
	ssize_t full = CHECK_SYS(recv(fd, g_buf, 16, MSG_PEEK | MSG_TRUNC));
	CHECK(full > 16);
	ssize_t again = CHECK_SYS(recv(fd, g_buf, sizeof(g_buf), MSG_PEEK));
	CHECK_EQ(again, full);
	CHECK_EQ(((struct nlmsghdr *)g_buf)->nlmsg_seq, seq);
	/* A small buffer: the start, MSG_TRUNC, and the rest of the datagram is gone. */
	char small[20];
	struct iovec iov = { small, sizeof(small) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	CHECK_EQ(recvmsg(fd, &mh, 0), sizeof(small));
	CHECK(mh.msg_flags & MSG_TRUNC);
	CHECK_EQ(memcmp(small, g_buf, sizeof(small)), 0);
	/* The dump goes on (or is done): drain it. */
	for (;;) {
		ssize_t n = recv(fd, g_buf, sizeof(g_buf), MSG_DONTWAIT);
		if (n < 0) {
			CHECK_EQ(errno, EAGAIN);
			break;
		}
		struct nlmsghdr *h = (struct nlmsghdr *)g_buf;
		CHECK_EQ(h->nlmsg_seq, seq);
		size_t len = (size_t)n;
		bool done = false;
		for (; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len))
			done |= h->nlmsg_type == NLMSG_DONE;
		if (done)
			break;
	}
	CHECK_ERR(recv(fd, g_buf, sizeof(g_buf), MSG_DONTWAIT), EAGAIN);
	p.revents = 0;
	CHECK_EQ(poll(&p, 1, 0), 0);
	/* read(2) is a recv too. */
	seq = nl_dump(fd, RTM_GETADDR, AF_INET);
	ssize_t n = CHECK_SYS(read(fd, g_buf, sizeof(g_buf)));
	CHECK(n >= (ssize_t)NLMSG_HDRLEN);
	CHECK_EQ(((struct nlmsghdr *)g_buf)->nlmsg_seq, seq);
	while (recv(fd, g_buf, sizeof(g_buf), MSG_DONTWAIT) > 0)
		;
	/* A blocking recv with nothing to come ends at SO_RCVTIMEO. */
	struct timeval tv = { 0, 50000 };
	CHECK_SYS(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)));
	CHECK_ERR(recv(fd, g_buf, sizeof(g_buf), 0), EAGAIN);
	tv.tv_usec = 0;
	CHECK_SYS(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)));
}

/* A blocked recv is woken by a reply that another process's request queued; epoll sees it. */
static void test_wakeup(int fd)
{
	int ep = (int)CHECK_SYS(epoll_create1(EPOLL_CLOEXEC));
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };
	CHECK_SYS(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev));
	CHECK_EQ(epoll_wait(ep, &ev, 1, 0), 0);
	pid_t child = (pid_t)CHECK_SYS(fork());
	if (child == 0) {
		usleep(100000);
		struct rtgenmsg g = { AF_UNSPEC };
		g_seq = 4242;
		nl_send(fd, NLMSG_NOOP, NLM_F_REQUEST | NLM_F_ACK, &g, sizeof(g));
		_exit(0);
	}
	CHECK_EQ(epoll_wait(ep, &ev, 1, 5000), 1);
	CHECK(ev.events & EPOLLIN);
	expect_error(fd, 4243, 0, 0);
	int status;
	CHECK_EQ(waitpid(child, &status, 0), child);
	CHECK_EQ(status, 0);
	/* Blocked in recv this time. */
	child = (pid_t)CHECK_SYS(fork());
	if (child == 0) {
		usleep(100000);
		struct rtgenmsg g = { AF_UNSPEC };
		g_seq = 4300;
		nl_send(fd, NLMSG_NOOP, NLM_F_REQUEST | NLM_F_ACK, &g, sizeof(g));
		_exit(0);
	}
	expect_error(fd, 4301, 0, 0);
	CHECK_EQ(waitpid(child, &status, 0), child);
	CHECK_EQ(status, 0);
	CHECK_EQ(epoll_wait(ep, &ev, 1, 0), 0);
	close(ep);
}

/* Replies beyond SO_RCVBUF are dropped and the next recv says ENOBUFS, once. */
static void test_overrun(void)
{
	int fd = nl_open(SOCK_RAW);
	int v = 1;
	CHECK_SYS(setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v)));
	struct rtgenmsg g = { AF_UNSPEC };
	for (int i = 0; i < 64; i++)
		nl_send(fd, NLMSG_NOOP, NLM_F_REQUEST | NLM_F_ACK, &g, sizeof(g));
	CHECK_ERR(recv(fd, g_buf, sizeof(g_buf), MSG_DONTWAIT), ENOBUFS);
	int got = 0;
	while (recv(fd, g_buf, sizeof(g_buf), MSG_DONTWAIT) > 0)
		got++;
	CHECK_EQ(errno, EAGAIN);
	CHECK(got >= 1 && got < 64);
	close(fd);
}

/* ---- Errors and bad input ---- */

static void test_errors(int fd)
{
	/* A type beyond RTM_MAX. */
	struct rtgenmsg g = { AF_UNSPEC };
	uint32_t seq = nl_send(fd, 1000, NLM_F_REQUEST, &g, sizeof(g));
	expect_error(fd, seq, EOPNOTSUPP, sizeof(g));
	/* Not a request, or a control message: acked only when asked. */
	seq = nl_send(fd, RTM_GETLINK, 0, &g, sizeof(g));
	CHECK_ERR(recv(fd, g_buf, sizeof(g_buf), MSG_DONTWAIT), EAGAIN);
	seq = nl_send(fd, NLMSG_NOOP, NLM_F_REQUEST | NLM_F_ACK, &g, sizeof(g));
	expect_error(fd, seq, 0, 0);
	/* A request with no payload byte is ignored (acked if asked). */
	seq = nl_send(fd, RTM_GETLINK, NLM_F_REQUEST | NLM_F_DUMP, NULL, 0);
	CHECK_ERR(recv(fd, g_buf, sizeof(g_buf), MSG_DONTWAIT), EAGAIN);

	/* Headers too short or too long end the datagram quietly; the send succeeds. */
	struct nlmsghdr h = { .nlmsg_len = 8,
		              .nlmsg_type = RTM_GETLINK,
		              .nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK };
	CHECK_EQ(send(fd, &h, sizeof(h), 0), sizeof(h));
	h.nlmsg_len = 4096;
	CHECK_EQ(send(fd, &h, sizeof(h), 0), sizeof(h));
	CHECK_EQ(send(fd, &h, 7, 0), 7);
	CHECK_ERR(send(fd, &h, 0, 0), ENODATA);
	CHECK_ERR(recv(fd, g_buf, sizeof(g_buf), MSG_DONTWAIT), EAGAIN);

	/* Two requests in one datagram: two answers, in order. */
	char two[64] = { 0 };
	struct nlmsghdr *a = (struct nlmsghdr *)two, *b = (struct nlmsghdr *)(two + 20);
	*a = (struct nlmsghdr){ .nlmsg_len = 17,
		                .nlmsg_type = NLMSG_NOOP,
		                .nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK,
		                .nlmsg_seq = 7 };
	*b = (struct nlmsghdr){ .nlmsg_len = 17,
		                .nlmsg_type = NLMSG_NOOP,
		                .nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK,
		                .nlmsg_seq = 8 };
	CHECK_EQ(send(fd, two, 37, 0), 37);
	expect_error(fd, 7, 0, 0);
	expect_error(fd, 8, 0, 0);

	/* Random requests: GET types and control types only (the native run may be root). */
	static const uint16_t types[] = { RTM_GETLINK, RTM_GETADDR, RTM_GETROUTE, NLMSG_NOOP,
		                          NLMSG_DONE,  NLMSG_ERROR, 5000 };
	srand(42);
	for (int i = 0; i < 300; i++) {
		char req[256];
		for (size_t k = 0; k < sizeof(req); k++)
			req[k] = (char)rand();
		size_t len = (size_t)rand() % sizeof(req);
		struct nlmsghdr *r = (struct nlmsghdr *)req;
		if (len >= sizeof(*r)) {
			r->nlmsg_type = types[rand() % 7];
			r->nlmsg_flags &= NLM_F_REQUEST | NLM_F_ACK | NLM_F_DUMP;
			if (rand() % 2)
				r->nlmsg_len = (uint32_t)(len - (size_t)rand() % 8);
		}
		if (len == 0)
			continue;
		CHECK_EQ(send(fd, req, len, 0), (ssize_t)len);
		while (recv(fd, g_buf, sizeof(g_buf), MSG_DONTWAIT) > 0)
			;
	}
}

/* ---- Sockets: creation, names, options ---- */

static void test_socket(void)
{
	CHECK_ERR(socket(AF_NETLINK, SOCK_STREAM, NETLINK_ROUTE), ESOCKTNOSUPPORT);
	CHECK_ERR(socket(AF_NETLINK, SOCK_RAW, 32), EPROTONOSUPPORT);
	CHECK_ERR(socket(AF_NETLINK, SOCK_RAW, -1), EPROTONOSUPPORT);
	int sv[2];
	CHECK_ERR(socketpair(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE, sv), EOPNOTSUPP);

	int fd = nl_open(SOCK_RAW);
	int v;
	socklen_t len = sizeof(v);
	CHECK_SYS(getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &v, &len));
	CHECK_EQ(v, AF_NETLINK);
	CHECK_SYS(getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &v, &len));
	CHECK_EQ(v, NETLINK_ROUTE);
	CHECK_SYS(getsockopt(fd, SOL_SOCKET, SO_TYPE, &v, &len));
	CHECK_EQ(v, SOCK_RAW);
	CHECK_EQ(nl_portid(fd), 0);

	/* Bind with nl_pid 0: the kernel picks one; binding again to another is EINVAL. */
	struct sockaddr_nl a = { .nl_family = AF_NETLINK };
	CHECK_ERR(bind(fd, (struct sockaddr *)&a, sizeof(a) - 1), EINVAL);
	a.nl_family = AF_UNIX;
	CHECK_ERR(bind(fd, (struct sockaddr *)&a, sizeof(a)), EINVAL);
	a.nl_family = AF_NETLINK;
	CHECK_SYS(bind(fd, (struct sockaddr *)&a, sizeof(a)));
	uint32_t port = nl_portid(fd);
	/* The tgid, unless another socket of the namespace has it (the host's, natively). */
	CHECK(port == (uint32_t)getpid() || (int32_t)port <= -4096);
	a.nl_pid = port;
	CHECK_SYS(bind(fd, (struct sockaddr *)&a, sizeof(a)));
	a.nl_pid = port + 1;
	CHECK_ERR(bind(fd, (struct sockaddr *)&a, sizeof(a)), EINVAL);

	/* A second socket cannot take the port; autobound on its first send, it gets another. */
	int fd2 = nl_open(SOCK_DGRAM);
	a.nl_pid = port;
	CHECK_ERR(bind(fd2, (struct sockaddr *)&a, sizeof(a)), EADDRINUSE);
	struct rtgenmsg g = { AF_UNSPEC };
	uint32_t seq = nl_send(fd2, NLMSG_NOOP, NLM_F_REQUEST | NLM_F_ACK, &g, sizeof(g));
	uint32_t port2 = nl_portid(fd2);
	CHECK((int32_t)port2 <= -4096);
	expect_error(fd2, seq, 0, 0);

	/* Multicast groups: accepted, listed, never notified. */
	int grp = RTNLGRP_LINK;
	CHECK_SYS(setsockopt(fd2, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &grp, sizeof(grp)));
	grp = 0;
	CHECK_ERR(setsockopt(fd2, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &grp, sizeof(grp)), EINVAL);
	uint32_t groups[2] = { 0, 0 };
	len = sizeof(groups);
	CHECK_SYS(getsockopt(fd2, SOL_NETLINK, NETLINK_LIST_MEMBERSHIPS, groups, &len));
	CHECK_EQ(groups[0], 1u << (RTNLGRP_LINK - 1));
	v = 1;
	CHECK_SYS(setsockopt(fd2, SOL_NETLINK, NETLINK_NO_ENOBUFS, &v, sizeof(v)));
	v = 0;
	len = sizeof(v);
	CHECK_SYS(getsockopt(fd2, SOL_NETLINK, NETLINK_NO_ENOBUFS, &v, &len));
	CHECK_EQ(v, 1);
	CHECK_ERR(getsockopt(fd2, SOL_NETLINK, 9999, &v, &len), ENOPROTOOPT);

	/* Bind with groups: getsockname shows them. */
	int fd3 = nl_open(SOCK_RAW);
	struct sockaddr_nl b = { .nl_family = AF_NETLINK,
		                 .nl_groups = RTMGRP_LINK | RTMGRP_IPV4_IFADDR };
	CHECK_SYS(bind(fd3, (struct sockaddr *)&b, sizeof(b)));
	len = sizeof(b);
	CHECK_SYS(getsockname(fd3, (struct sockaddr *)&b, &len));
	CHECK_EQ(b.nl_groups, RTMGRP_LINK | RTMGRP_IPV4_IFADDR);
	CHECK_ERR(recv(fd3, g_buf, sizeof(g_buf), MSG_DONTWAIT), EAGAIN);
	/* getpeername: the kernel (0), never ENOTCONN. */
	CHECK_SYS(getpeername(fd3, (struct sockaddr *)&b, &len));
	CHECK_EQ(b.nl_pid, 0);
	CHECK_ERR(listen(fd3, 1), EOPNOTSUPP);
	close(fd3);
	close(fd2);
	close(fd);
}

int main(void)
{
	test_socket();
	int fd = nl_open(SOCK_RAW);
	struct link_seen s = test_link_dump(fd);
	test_get_link(fd, &s);
	test_addr_dumps(fd, s.lo_index);
	test_route_dumps(fd, s.lo_index);
	test_route_get(fd, s.lo_index);
	test_rules_neighbours(fd);
	test_peek_trunc(fd);
	test_wakeup(fd);
	test_overrun();
	test_errors(fd);
	/* The same dumps on a SOCK_DGRAM socket. */
	int dg = nl_open(SOCK_DGRAM);
	test_addr_dumps(dg, s.lo_index);
	close(dg);
	close(fd);
	return 0;
}
