/*
 * The stack's lifetime, lock, loopback link and timers (stack.h).
 */
#include "sentry/net/stack.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include <lwip/etharp.h>
#include <lwip/ethip6.h>
#include <lwip/init.h>
#include <lwip/ip.h>
#include <lwip/ip_addr.h>
#include <lwip/netif.h>
#include <lwip/priv/tcp_priv.h>
#include <lwip/tcp.h>
#include <lwip/tcpip.h>
#include <lwip/timeouts.h>
#include <netif/ethernet.h>

#include "common/log.h"
#include "sentry/net/iface.h"
#include "sentry/net/packet_link.h"
#include "sentry/net/socket.h"

/* Work lwIP asked to run later (tcpip_try_callback): at most this many between two unlocks. */
#define DEFERRED_MAX 64
/* The most packets to local addresses waiting to come back in (LWIP_LOOPBACK_MAX_PBUFS). */
#define LOOP_QUEUE_MAX 1024

static struct {
	pthread_once_t once;
	int start_err;
	atomic_bool running;
	pthread_mutex_t mu; /* the core lock: adaptive (spins a little first), held briefly */
	bool draining;      /* net_stack_unlock is running the deferred work */
	int ndeferred;
	struct {
		tcpip_callback_fn fn;
		void *ctx;
	} deferred[DEFERRED_MAX];
	struct netif lo;
	/* Packets to a local address on their way back in (netif_loop_output), for loop_poll. */
	struct {
		struct netif *netif;
		struct pbuf *p;
	} loop_queue[LOOP_QUEUE_MAX];
	int loop_head, loop_len;
	bool loop_scheduled; /* loop_poll is among the deferred work */
	/* One lwIP interface per link of the table (--network=sandbox). */
	struct eth_link {
		struct netif netif;
		int index; /* in the table (iface.h) */
	} eth[NET_IFACE_MAX];
	int neth;
	/* The timer thread sleeps on cond until timer_due (CLOCK_MONOTONIC ms), or is woken
	 * earlier. */
	pthread_cond_t cond;
	uint64_t timer_due;
} g_stack = {
	.once = PTHREAD_ONCE_INIT,
	.mu = PTHREAD_ADAPTIVE_MUTEX_INITIALIZER_NP,
};

/*
 * lwIP's request to run fn(ctx) on its tcpip thread, which the sandbox
 * does not have: the caller holds the core lock, so the call is queued
 * and net_stack_unlock runs it. This definition takes the place of
 * liblwip's own (the library calls it through its PLT).
 */
err_t tcpip_try_callback(tcpip_callback_fn fn, void *ctx)
{
	if (g_stack.ndeferred == DEFERRED_MAX)
		return ERR_MEM;
	/* The same request twice (a delivery already queued) needs running once. */
	for (int i = 0; i < g_stack.ndeferred; i++) {
		if (g_stack.deferred[i].fn == fn && g_stack.deferred[i].ctx == ctx)
			return ERR_OK;
	}
	g_stack.deferred[g_stack.ndeferred].fn = fn;
	g_stack.deferred[g_stack.ndeferred].ctx = ctx;
	g_stack.ndeferred++;
	return ERR_OK;
}

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void net_stack_lock(void)
{
	pthread_mutex_lock(&g_stack.mu);
}

void net_stack_unlock(void)
{
	/*
	 * Run lwIP's deferred work: loop_poll delivers the packets sent to a
	 * local address, which may send more (ACKs, replies): loop until none
	 * is left.
	 */
	if (!g_stack.draining) {
		g_stack.draining = true;
		while (g_stack.ndeferred) {
			tcpip_callback_fn fn = g_stack.deferred[0].fn;
			void *ctx = g_stack.deferred[0].ctx;
			g_stack.ndeferred--;
			for (int i = 0; i < g_stack.ndeferred; i++)
				g_stack.deferred[i] = g_stack.deferred[i + 1];
			fn(ctx);
		}
		g_stack.draining = false;
	}
	/* Wake the timer thread if lwIP now wants it sooner than planned. */
	uint32_t sleep = sys_timeouts_sleeptime();
	if (sleep != SYS_TIMEOUTS_SLEEPTIME_INFINITE) {
		uint64_t due = now_ms() + sleep;
		if (due < g_stack.timer_due) {
			g_stack.timer_due = due;
			pthread_cond_signal(&g_stack.cond);
		}
	}
	pthread_mutex_unlock(&g_stack.mu);
}

/* lwIP's timeouts (TCP retransmission and delayed ACKs, reassembly, ARP, ND) run here. */
static void *timer_thread(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&g_stack.mu);
	for (;;) {
		uint64_t now = now_ms();
		if (now >= g_stack.timer_due) {
			sys_check_timeouts();
			uint32_t sleep = sys_timeouts_sleeptime();
			g_stack.timer_due = sleep == SYS_TIMEOUTS_SLEEPTIME_INFINITE
			                            ? UINT64_MAX
			                            : now_ms() + sleep;
			/* Deliver what the timeouts sent (retransmissions on loopback). */
			net_stack_unlock();
			pthread_mutex_lock(&g_stack.mu);
			continue;
		}
		if (g_stack.timer_due == UINT64_MAX) {
			pthread_cond_wait(&g_stack.cond, &g_stack.mu);
		} else {
			struct timespec ts = { .tv_sec = (time_t)(g_stack.timer_due / 1000),
				               .tv_nsec =
				                       (long)(g_stack.timer_due % 1000) * 1000000 };
			pthread_cond_timedwait(&g_stack.cond, &g_stack.mu, &ts);
		}
	}
	return NULL;
}

/*
 * Packets to a local address (lo's, or a link's own): lwIP hands them to
 * netif_loop_output, which it calls through its PLT, so this definition
 * takes the place of the library's. They wait in a queue that loop_poll
 * drains from net_stack_unlock (a deferred call, as lwIP's own asks for).
 * lwIP's copies each packet whole; this one copies only a big packet's
 * first bytes, the headers, which the receiving side rewrites in place
 * (tcp_input turns the TCP header's fields to host order, icmp_input
 * makes a request its reply), and shares the rest with the sender:
 * custom pbufs that point into the sender's pbufs and hold a reference on
 * them. The sender never changes a payload it has handed to output (TCP
 * keeps it for retransmission and rewrites only its headers). Memory a
 * pbuf does not own (PBUF_REF and PBUF_ROM, which the caller may change
 * or free once output returns) is copied. A loopback stream's data is
 * thus copied twice in the sentry (into the sender's segment, out into
 * the receiver's ring), not three times. Core lock held throughout.
 */
#define LOOP_COPY_WHOLE 512 /* a packet up to this size is copied whole */
#define LOOP_HEADERS    256 /* IP and TCP headers with their options fit in this */

struct loop_share {
	struct pbuf_custom pc;
	struct pbuf *orig; /* the sender's pbuf it points into: one reference */
};

static void loop_share_free(struct pbuf *p)
{
	struct loop_share *s = (struct loop_share *)p;
	pbuf_free(s->orig);
	free(s);
}

/* Whether q's payload lives as long as q: its own memory, or a custom pbuf's. */
static bool pbuf_owns_payload(const struct pbuf *q)
{
	return (q->flags & PBUF_FLAG_IS_CUSTOM) ||
	       pbuf_get_allocsrc(q) != PBUF_TYPE_ALLOC_SRC_MASK_STD_MEMP_PBUF;
}

/* Appends len bytes of q at off to head: shared when q owns them, else copied. */
static bool loop_append(struct pbuf *head, struct pbuf *q, u16_t off, u16_t len)
{
	struct pbuf *piece;
	if (pbuf_owns_payload(q)) {
		struct loop_share *s = malloc(sizeof(*s));
		if (!s)
			return false;
		s->pc.custom_free_function = loop_share_free;
		s->orig = q;
		piece = pbuf_alloced_custom(PBUF_RAW, len, PBUF_REF, &s->pc,
		                            (u8_t *)q->payload + off, len);
		if (!piece) {
			free(s);
			return false;
		}
		pbuf_ref(q);
	} else {
		piece = pbuf_alloc(PBUF_RAW, len, PBUF_RAM);
		if (!piece)
			return false;
		memcpy(piece->payload, (u8_t *)q->payload + off, len);
	}
	pbuf_cat(head, piece);
	return true;
}

/* The packet to deliver for p: NULL when out of memory. */
static struct pbuf *loop_packet(struct pbuf *p)
{
	u16_t head_len = p->tot_len <= LOOP_COPY_WHOLE ? p->tot_len : LOOP_HEADERS;
	/* Room for a link header in front, as lwIP's copy has (icmp_input's reply uses it). */
	struct pbuf *r = pbuf_alloc(PBUF_LINK, head_len, PBUF_RAM);
	if (!r)
		return NULL;
	pbuf_copy_partial(p, r->payload, head_len, 0);
	u16_t skip = head_len;
	for (struct pbuf *q = p; q && r->tot_len < p->tot_len; q = q->next) {
		if (skip >= q->len) {
			skip = (u16_t)(skip - q->len);
			continue;
		}
		if (!loop_append(r, q, skip, (u16_t)(q->len - skip))) {
			pbuf_free(r);
			return NULL;
		}
		skip = 0;
	}
	return r;
}

/* Delivers the queued packets, and those their delivery sends. Linux counts them on lo. */
static void loop_poll(void *arg)
{
	(void)arg;
	while (g_stack.loop_len) {
		struct netif *n = g_stack.loop_queue[g_stack.loop_head].netif;
		struct pbuf *p = g_stack.loop_queue[g_stack.loop_head].p;
		g_stack.loop_head = (g_stack.loop_head + 1) % LOOP_QUEUE_MAX;
		g_stack.loop_len--;
		net_iface_count_tx(1, p->tot_len);
		net_iface_count_rx(1, p->tot_len);
		/* An IP packet, whatever the link (its input wants frames), as in netif_poll. */
		if (ip_input(p, n) != ERR_OK)
			pbuf_free(p);
	}
	g_stack.loop_scheduled = false;
}

err_t netif_loop_output(struct netif *netif, struct pbuf *p)
{
	if (g_stack.loop_len == LOOP_QUEUE_MAX)
		return ERR_MEM;
	if (!g_stack.loop_scheduled) {
		if (tcpip_try_callback(loop_poll, NULL) != ERR_OK)
			return ERR_MEM;
		g_stack.loop_scheduled = true;
	}
	struct pbuf *r = loop_packet(p);
	if (!r)
		return ERR_MEM;
	int tail = (g_stack.loop_head + g_stack.loop_len) % LOOP_QUEUE_MAX;
	g_stack.loop_queue[tail].netif = netif;
	g_stack.loop_queue[tail].p = r;
	g_stack.loop_len++;
	return ERR_OK;
}

/* lo sends everything back to itself (lwIP sends traffic to 127/8 and ::1 there directly). */
static err_t lo_output4(struct netif *n, struct pbuf *p, const ip4_addr_t *dst)
{
	(void)dst;
	return netif_loop_output(n, p);
}

static err_t lo_output6(struct netif *n, struct pbuf *p, const ip6_addr_t *dst)
{
	(void)dst;
	return netif_loop_output(n, p);
}

static err_t lo_init(struct netif *n)
{
	n->name[0] = 'l';
	n->name[1] = 'o';
	n->output = lo_output4;
	n->output_ip6 = lo_output6;
	/* netif.mtu is 16 bits: Linux's lo has 65536. */
	n->mtu = 65535;
	n->mtu6 = 65535;
	n->flags = NETIF_FLAG_LINK_UP;
	return ERR_OK;
}

/* ---- Ethernet links (packet_link.h) ---- */

/*
 * The most half-open connections the links take (Linux's
 * tcp_max_syn_backlog): lwIP has no SYN cookies and keeps a pcb for each
 * SYN until it times out, so a flood past this is dropped.
 */
#define NET_SYN_BACKLOG_MAX 1024

/* The shortest Ethernet frame, without its FCS. */
#define ETH_MIN_FRAME 60

/* A frame out: the pbuf chain as one sendmsg on the link's AF_PACKET socket. Core lock held. */
static err_t eth_linkoutput(struct netif *n, struct pbuf *p)
{
	struct eth_link *l = n->state;
	struct iovec iov[32];
	int niov = 0;
	for (struct pbuf *q = p; q; q = q->next) {
		if (niov == 32)
			return ERR_BUF;
		iov[niov].iov_base = q->payload;
		iov[niov].iov_len = q->len;
		niov++;
	}
	return packet_link_send(l->index, iov, niov) == 0 ? ERR_OK : ERR_IF;
}

/*
 * Whether an Ethernet frame is a TCP SYN without ACK (a connection
 * request), over IPv4 or IPv6 without extension headers.
 */
static bool is_syn(const uint8_t *f, size_t len)
{
	size_t l4;
	if (len >= 14 + 20 && f[12] == 0x08 && f[13] == 0x00 && (f[14] >> 4) == 4 && f[23] == 6)
		l4 = 14 + (size_t)(f[14] & 0xf) * 4;
	else if (len >= 14 + 40 && f[12] == 0x86 && f[13] == 0xdd && f[20] == 6)
		l4 = 14 + 40;
	else
		return false;
	return len >= l4 + 14 && (f[l4 + 13] & 0x12) == 0x02;
}

/* Connections half open (SYN_RCVD): what a SYN flood makes. Core lock held. */
static int embryonic_count(void)
{
	int n = 0;
	for (struct tcp_pcb *p = tcp_active_pcbs; p; p = p->next)
		n += p->state == SYN_RCVD;
	return n;
}

int net_stack_embryonic(void)
{
	net_stack_lock();
	int n = embryonic_count();
	net_stack_unlock();
	return n;
}

/*
 * A frame in, on the link's receiving thread: copied into a PBUF_RAM pbuf
 * (never PBUF_POOL, whose size Debian's build got wrong) and given to
 * lwIP's Ethernet input under the core lock.
 */
static void eth_rx(void *arg, int ifindex, const uint8_t *frame, size_t len)
{
	struct eth_link *l = arg;
	if (len < 14 || len > 0xffff) {
		net_iface_count_drop(ifindex, true);
		return;
	}
	/*
	 * Padded with zeros to Ethernet's minimum of 60 bytes, as a NIC
	 * delivers frames: lwIP 2.1's etharp_input reads a whole ARP header
	 * without checking the frame holds one (found by fuzz/net_input).
	 */
	size_t size = len < ETH_MIN_FRAME ? ETH_MIN_FRAME : len;
	struct pbuf *p = pbuf_alloc(PBUF_RAW, (u16_t)size, PBUF_RAM);
	if (!p) {
		net_iface_count_drop(ifindex, true);
		return;
	}
	memcpy(p->payload, frame, len);
	memset((char *)p->payload + len, 0, size - len);
	net_stack_lock();
	if (is_syn(frame, len) && embryonic_count() >= NET_SYN_BACKLOG_MAX) {
		/* A SYN flood: lwIP keeps a pcb for each until it times out. */
		pbuf_free(p);
		net_iface_count_drop(ifindex, true);
	} else if (l->netif.input(p, &l->netif) != ERR_OK) {
		pbuf_free(p);
	}
	net_stack_unlock();
}

static err_t eth_init(struct netif *n)
{
	struct eth_link *l = n->state;
	struct net_iface_info info;
	if (net_iface_get(l->index, &info) < 0)
		return ERR_IF;
	n->name[0] = 'e';
	n->name[1] = 't';
	n->hwaddr_len = 6;
	memcpy(n->hwaddr, info.mac, 6);
	n->mtu = info.mtu > 0xffff ? 0xffff : (u16_t)info.mtu;
	n->mtu6 = n->mtu;
	n->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET |
	           NETIF_FLAG_IGMP | NETIF_FLAG_MLD6 | NETIF_FLAG_LINK_UP;
	n->output = etharp_output;
	n->output_ip6 = ethip6_output;
	n->linkoutput = eth_linkoutput;
	return ERR_OK;
}

/* The IPv4 gateway of the table's default route through index, if any. */
static bool default_gateway(int index, ip4_addr_t *gw)
{
	struct net_route r[NET_ROUTE_MAX];
	int n = net_route_list(r, NET_ROUTE_MAX);
	for (int i = 0; i < n && i < NET_ROUTE_MAX; i++) {
		if (r[i].family == LINUX_AF_INET && r[i].dst_len == 0 && r[i].has_gw &&
		    r[i].oif == index) {
			memcpy(&gw->addr, r[i].gw, 4);
			return true;
		}
	}
	return false;
}

/*
 * Makes an lwIP interface for each interface of the table that has a
 * packet link, with its first IPv4 address (lwIP has one per interface),
 * its IPv6 addresses (already valid: no duplicate detection, no
 * autoconfiguration) and the default route's gateway. Core lock held.
 */
static void add_eth_links(void)
{
	struct net_iface_info ifs[NET_IFACE_MAX];
	int n = net_iface_list(ifs, NET_IFACE_MAX);
	for (int i = 0; i < n && i < NET_IFACE_MAX; i++) {
		if (!packet_link_exists(ifs[i].index))
			continue;
		struct eth_link *l = &g_stack.eth[g_stack.neth];
		l->index = ifs[i].index;
		ip4_addr_t a, mask, gw;
		ip4_addr_set_zero(&a);
		ip4_addr_set_zero(&mask);
		ip4_addr_set_zero(&gw);
		for (int j = 0; j < ifs[i].naddr; j++) {
			const struct net_addr *na = &ifs[i].addr[j];
			if (na->family != LINUX_AF_INET)
				continue;
			memcpy(&a.addr, na->addr, 4);
			mask.addr =
			        na->prefixlen ? lwip_htonl(0xffffffffu << (32 - na->prefixlen)) : 0;
			break;
		}
		bool has_gw = default_gateway(l->index, &gw);
		if (!netif_add(&l->netif, &a, &mask, &gw, l, eth_init, ethernet_input)) {
			log_warn("network stack: interface %s: lwIP refused it", ifs[i].name);
			continue;
		}
		netif_set_ip6_autoconfig_enabled(&l->netif, 0);
		for (int j = 0; j < ifs[i].naddr; j++) {
			const struct net_addr *na = &ifs[i].addr[j];
			if (na->family != LINUX_AF_INET6)
				continue;
			ip6_addr_t v6;
			memcpy(v6.addr, na->addr, 16);
			ip6_addr_clear_zone(&v6);
			ip6_addr_assign_zone(&v6, IP6_UNICAST, &l->netif);
			s8_t idx;
			if (netif_add_ip6_address(&l->netif, &v6, &idx) == ERR_OK && idx >= 0)
				netif_ip6_addr_set_state(&l->netif, idx, IP6_ADDR_PREFERRED);
		}
		netif_set_up(&l->netif);
		if (has_gw)
			netif_set_default(&l->netif);
		g_stack.neth++;
	}
}

/* Starts each link's receiving thread, once lwIP knows its interface. */
static void start_eth_links(void)
{
	for (int i = 0; i < g_stack.neth; i++) {
		struct eth_link *l = &g_stack.eth[i];
		int err = packet_link_start(l->index, eth_rx, l);
		if (err < 0)
			log_warn("network stack: link %d does not receive: %s", l->index,
			         strerror(-err));
	}
}

static void start_once(void)
{
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&g_stack.cond, &ca);
	pthread_condattr_destroy(&ca);
	g_stack.timer_due = UINT64_MAX;

	/* lwIP's LWIP_RAND is rand(): initial sequence numbers and ephemeral ports. */
	unsigned seed;
	if (getrandom(&seed, sizeof(seed), 0) != sizeof(seed))
		seed = (unsigned)now_ms();
	srand(seed);

	net_iface_init();
	pthread_mutex_lock(&g_stack.mu);
	lwip_init();
	ip4_addr_t a, mask, gw;
	IP4_ADDR(&a, 127, 0, 0, 1);
	IP4_ADDR(&mask, 255, 0, 0, 0);
	ip4_addr_set_zero(&gw);
	if (!netif_add(&g_stack.lo, &a, &mask, &gw, NULL, lo_init, ip_input)) {
		pthread_mutex_unlock(&g_stack.mu);
		g_stack.start_err = -ENOMEM;
		return;
	}
	netif_set_ip6_autoconfig_enabled(&g_stack.lo, 0);
	ip6_addr_t v6;
	IP6_ADDR(&v6, 0, 0, 0, PP_HTONL(1));
	ip6_addr_assign_zone(&v6, IP6_UNICAST, &g_stack.lo);
	s8_t idx;
	netif_add_ip6_address(&g_stack.lo, &v6, &idx);
	if (idx >= 0)
		netif_ip6_addr_set_state(&g_stack.lo, idx, IP6_ADDR_PREFERRED);
	netif_set_default(&g_stack.lo);
	netif_set_up(&g_stack.lo);
	add_eth_links();
	pthread_mutex_unlock(&g_stack.mu);
	start_eth_links();
	atomic_store(&g_stack.running, true);

	pthread_t th;
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	int err = pthread_create(&th, &attr, timer_thread, NULL);
	pthread_attr_destroy(&attr);
	if (err) {
		log_warn("network stack: no timer thread: %s", strerror(err));
		g_stack.start_err = -err;
	}
}

bool net_stack_is_loopback(const struct netif *n)
{
	return n == &g_stack.lo;
}

bool net_stack_running(void)
{
	return atomic_load(&g_stack.running);
}

int net_stack_start(void)
{
	pthread_once(&g_stack.once, start_once);
	return g_stack.start_err;
}
