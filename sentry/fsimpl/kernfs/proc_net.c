/*
 * /proc/PID/net (and /proc/net, a symlink to self/net as in Linux): the
 * sandbox's one network namespace, in Linux's formats, from the interface
 * table (sentry/net/iface.h) and the unix sockets (sentry/net/unix.h).
 *
 *   dev       net/core/net-procfs.c dev_seq_show;
 *   if_inet6  net/ipv6/addrconf.c if6_seq_show;
 *   route     net/ipv4/fib_trie.c fib_route_seq_show: table main's IPv4
 *             unicast routes, lines padded to 127 bytes;
 *   unix      net/unix/af_unix.c unix_seq_show, addresses hidden (%pK
 *             with kptr_restrict, as an unprivileged reader sees them).
 *
 * The directory is a table (g_proc_net_files): another file, such as the
 * inet stack's tcp or udp, is one more line there. It is dynamic (listed
 * and looked up through kernfs_dyn_ops) so that the per-task directories
 * in proc_task.c can share it without knowing its size.
 */
#include <stdio.h>
#include <string.h>

#include "common/util.h"
#include "sentry/fsimpl/kernfs/proc_internal.h"
#include "sentry/net/iface.h"
#include "sentry/net/inet.h"
#include "sentry/net/socket.h"
#include "sentry/net/unix.h"

static int net_dev_show(struct kernfs_inode *ki, struct kernfs_buf *b)
{
	(void)ki;
	struct net_iface_info ifs[NET_IFACE_MAX];
	int n = MIN(net_iface_list(ifs, NET_IFACE_MAX), NET_IFACE_MAX);
	kernfs_puts(b,
	            "Inter-|   Receive                                                |  Transmit\n"
	            " face |bytes    packets errs drop fifo frame compressed multicast|bytes"
	            "    packets errs drop fifo colls carrier compressed\n");
	for (int k = 0; k < n; k++) {
		const struct net_iface_stats *s = &ifs[k].stats;
		/* No fifo, frame, compressed, multicast, collision or carrier counts: 0. */
		kernfs_printf(
		        b,
		        "%6s: %7llu %7llu %4llu %4llu %4u %5u %10u %9u %8llu %7llu %4llu %4llu "
		        "%4u %5u %7u %10u\n",
		        ifs[k].name, (unsigned long long)s->rx_bytes,
		        (unsigned long long)s->rx_packets, (unsigned long long)s->rx_errors,
		        (unsigned long long)s->rx_dropped, 0u, 0u, 0u, 0u,
		        (unsigned long long)s->tx_bytes, (unsigned long long)s->tx_packets,
		        (unsigned long long)s->tx_errors, (unsigned long long)s->tx_dropped, 0u, 0u,
		        0u, 0u);
	}
	return 0;
}

/* IPV6_ADDR_LOOPBACK, IPV6_ADDR_LINKLOCAL or global (0): the scope if_inet6 prints. */
static unsigned inet6_scope(uint8_t scope)
{
	if (scope == NET_SCOPE_HOST)
		return 0x10;
	if (scope == NET_SCOPE_LINK)
		return 0x20;
	return 0;
}

static int net_if_inet6_show(struct kernfs_inode *ki, struct kernfs_buf *b)
{
	(void)ki;
	struct net_iface_info ifs[NET_IFACE_MAX];
	int n = MIN(net_iface_list(ifs, NET_IFACE_MAX), NET_IFACE_MAX);
	for (int k = 0; k < n; k++) {
		for (int j = 0; j < ifs[k].naddr && j < NET_IFACE_MAX_ADDR; j++) {
			const struct net_addr *a = &ifs[k].addr[j];
			if (a->family != LINUX_AF_INET6)
				continue;
			for (int i = 0; i < 16; i++)
				kernfs_printf(b, "%02x", a->addr[i]);
			/* Flags: IFA_F_PERMANENT, as netlink reports them. */
			kernfs_printf(b, " %02x %02x %02x %02x %8s\n", ifs[k].index, a->prefixlen,
			              inet6_scope(a->scope), 0x80u, ifs[k].name);
		}
	}
	return 0;
}

/* Linux's fib_flag_trans: RTF_UP, RTF_GATEWAY, RTF_HOST. */
static unsigned route_flags(const struct net_route *r)
{
	unsigned flags = 0x1;
	if (r->has_gw)
		flags |= 0x2;
	if (r->dst_len == 32)
		flags |= 0x4;
	return flags;
}

/* An IPv4 address as Linux's %08X of a __be32 on a little-endian machine. */
static unsigned be32_hex(const uint8_t a[4])
{
	return (unsigned)a[0] | (unsigned)a[1] << 8 | (unsigned)a[2] << 16 | (unsigned)a[3] << 24;
}

static int net_route_show(struct kernfs_inode *ki, struct kernfs_buf *b)
{
	(void)ki;
	struct net_route routes[NET_ROUTE_MAX];
	struct net_iface_info ifs[NET_IFACE_MAX];
	int nr = MIN(net_route_list(routes, NET_ROUTE_MAX), NET_ROUTE_MAX);
	int ni = MIN(net_iface_list(ifs, NET_IFACE_MAX), NET_IFACE_MAX);
	kernfs_printf(b, "%-127s\n",
	              "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU"
	              "\tWindow\tIRTT");
	for (int k = 0; k < nr; k++) {
		const struct net_route *r = &routes[k];
		/* Table main's unicast routes (fib_route_seq_show skips broadcast and multicast).
		 */
		if (r->family != LINUX_AF_INET || r->table != 254 || r->type != 1)
			continue;
		uint8_t mask[4];
		for (int i = 0; i < 4; i++) {
			int bits = r->dst_len - 8 * i;
			mask[i] = bits >= 8 ? 0xff : bits <= 0 ? 0 : (uint8_t)(0xff << (8 - bits));
		}
		const char *name = "*";
		for (int i = 0; i < ni; i++) {
			if (ifs[i].index == r->oif)
				name = ifs[i].name;
		}
		char line[160];
		snprintf(line, sizeof(line), "%s\t%08X\t%08X\t%04X\t0\t0\t%u\t%08X\t0\t0\t0", name,
		         be32_hex(r->dst), r->has_gw ? be32_hex(r->gw) : 0u, route_flags(r),
		         r->metric, be32_hex(mask));
		kernfs_printf(b, "%-127s\n", line);
	}
	return 0;
}

/* Linux's SS_UNCONNECTED, SS_CONNECTING, SS_CONNECTED, SS_DISCONNECTING. */
static unsigned unix_ss(const struct unix_sock_info *i)
{
	if (i->embryo)
		return i->connected ? 2 : 4;
	return i->connected ? 3 : 1;
}

static void net_unix_line(void *arg, const struct unix_sock_info *i)
{
	struct kernfs_buf *b = arg;
	kernfs_printf(b, "0000000000000000: %08X %08X %08X %04X %02X %5llu", (unsigned)i->refs, 0u,
	              i->listening ? 0x10000u : 0u, (unsigned)i->type, unix_ss(i),
	              (unsigned long long)i->ino);
	if (i->addr_len > 2) {
		const char *p = i->addr + 2;
		size_t len = i->addr_len - 2;
		kernfs_puts(b, " ");
		if (p[0]) {
			kernfs_write(b, p, strnlen(p, len));
		} else {
			/* Abstract: '@' for the leading NUL and for every NUL inside. */
			for (size_t k = 0; k < len; k++)
				kernfs_write(b, p[k] ? &p[k] : "@", 1);
		}
	}
	kernfs_puts(b, "\n");
}

static int net_unix_show(struct kernfs_inode *ki, struct kernfs_buf *b)
{
	(void)ki;
	kernfs_puts(b, "Num       RefCount Protocol Flags    Type St Inode Path\n");
	unix_for_each(net_unix_line, b);
	return 0;
}

/* ---- tcp, tcp6, udp, udp6 (Linux's tcp4_seq_show, tcp6_seq_show, udp4_format_sock) ---- */

struct inet_show {
	struct kernfs_buf *b;
	bool tcp, v6;
	int n;
};

/* An address as Linux prints it: each 32-bit word of network-order bytes read as a host integer. */
static void inet_addr_hex(char *out, size_t len, const uint8_t *a, bool v6)
{
	uint32_t w[4];
	memcpy(w, a, v6 ? 16 : 4);
	if (v6)
		snprintf(out, len, "%08X%08X%08X%08X", w[0], w[1], w[2], w[3]);
	else
		snprintf(out, len, "%08X", w[0]);
}

static void net_inet_line(const struct inet_sock_info *i, void *arg)
{
	struct inet_show *sh = arg;
	char l[40], r[40], line[200];
	inet_addr_hex(l, sizeof(l), i->laddr, sh->v6);
	inet_addr_hex(r, sizeof(r), i->raddr, sh->v6);
	int len = snprintf(line, sizeof(line),
	                   "%*d: %s:%04X %s:%04X %02X %08X:%08X 00:00000000 00000000 %5u %8d %llu",
	                   sh->tcp ? 4 : 5, sh->n++, l, i->lport, r, i->rport, i->state, i->txq,
	                   i->rxq, i->uid, 0, (unsigned long long)i->ino);
	if (sh->tcp)
		snprintf(line + len, sizeof(line) - (size_t)len, " %d 0000000000000000",
		         i->ino ? 2 : 3);
	else
		snprintf(line + len, sizeof(line) - (size_t)len, " 2 0000000000000000 0");
	/* tcp and udp pad each line to 149 and 127 characters; the v6 tables do not. */
	if (sh->v6)
		kernfs_printf(sh->b, "%s\n", line);
	else
		kernfs_printf(sh->b, "%-*s\n", sh->tcp ? 149 : 127, line);
}

static int net_inet_show(struct kernfs_buf *b, bool tcp, bool v6)
{
	static const char tcp_head[] = "  sl  local_address rem_address   st tx_queue rx_queue tr "
	                               "tm->when retrnsmt   uid  timeout inode";
	static const char tcp6_head[] =
	        "  sl  local_address                         remote_address   "
	        "                     st tx_queue rx_queue tr tm->when "
	        "retrnsmt   uid  timeout inode";
	static const char udp_head[] = "   sl  local_address rem_address   st tx_queue rx_queue tr "
	                               "tm->when retrnsmt   uid  timeout inode ref pointer drops";
	static const char udp6_head[] =
	        "  sl  local_address                         remote_address   "
	        "                     st tx_queue rx_queue tr tm->when "
	        "retrnsmt   uid  timeout inode ref pointer drops";
	if (tcp && !v6)
		kernfs_printf(b, "%-149s\n", tcp_head);
	else if (!tcp && !v6)
		kernfs_printf(b, "%-127s\n", udp_head);
	else
		kernfs_printf(b, "%s\n", tcp ? tcp6_head : udp6_head);
	struct inet_show sh = { .b = b, .tcp = tcp, .v6 = v6 };
	inet_foreach(tcp, v6, net_inet_line, &sh);
	return 0;
}

static int net_tcp_show(struct kernfs_inode *ki, struct kernfs_buf *b)
{
	(void)ki;
	return net_inet_show(b, true, false);
}

static int net_tcp6_show(struct kernfs_inode *ki, struct kernfs_buf *b)
{
	(void)ki;
	return net_inet_show(b, true, true);
}

static int net_udp_show(struct kernfs_inode *ki, struct kernfs_buf *b)
{
	(void)ki;
	return net_inet_show(b, false, false);
}

static int net_udp6_show(struct kernfs_inode *ki, struct kernfs_buf *b)
{
	(void)ki;
	return net_inet_show(b, false, true);
}

/* The files, in name order. */
static const struct kernfs_node g_proc_net_files[] = {
	KERNFS_FILE_NODE("dev", 0444, net_dev_show),
	KERNFS_FILE_NODE("if_inet6", 0444, net_if_inet6_show),
	KERNFS_FILE_NODE("route", 0444, net_route_show),
	KERNFS_FILE_NODE("tcp", 0444, net_tcp_show),
	KERNFS_FILE_NODE("tcp6", 0444, net_tcp6_show),
	KERNFS_FILE_NODE("udp", 0444, net_udp_show),
	KERNFS_FILE_NODE("udp6", 0444, net_udp6_show),
	KERNFS_FILE_NODE("unix", 0444, net_unix_show),
};

static int proc_net_list(struct kernfs_inode *dir, uint64_t from, kernfs_emit_fn emit, void *arg)
{
	(void)dir;
	for (size_t i = (size_t)from; i < ARRAY_SIZE(g_proc_net_files); i++) {
		if (!emit(arg, g_proc_net_files[i].name, &g_proc_net_files[i], i))
			break;
	}
	return 0;
}

static int proc_net_lookup(struct kernfs_inode *dir, const char *name,
                           const struct kernfs_node **node, struct kernfs_key *key)
{
	(void)dir;
	(void)key;
	for (size_t i = 0; i < ARRAY_SIZE(g_proc_net_files); i++) {
		if (strcmp(g_proc_net_files[i].name, name) == 0) {
			*node = &g_proc_net_files[i];
			return 0;
		}
	}
	return -ENOENT;
}

const struct kernfs_dyn_ops g_proc_net_dyn = {
	.list = proc_net_list,
	.lookup = proc_net_lookup,
};
