/*
 * A plain driver for fuzz_net_input.c, run as a normal test (and under
 * valgrind: fuzz/net_input_valgrind). It builds valid frames for the
 * stack's interface (ARP, ICMP echo, TCP SYN and data, UDP with a
 * checksum to complete, IPv4 fragments, ICMPv6 echo) and full-size ones
 * (a 1514-byte frame, a 64 KiB TCP GSO frame, a 65535-byte IPv4 UDP
 * datagram): these prove the input path never allocates a PBUF_POOL
 * buffer, whose size Debian's liblwip got wrong (sentry/net/stack.h): an
 * overflow there shows under valgrind or ASan. Then it feeds many
 * mutations of each (bit flips, edge values, truncations, extensions),
 * each in a buffer of exactly its size. At the end the stack must still
 * answer an ARP request: it neither crashed nor stopped. Deterministic:
 * a failure replays.
 *
 * Usage: fuzz_net_driver [MUTATIONS_PER_SEED] [--write-corpus DIR]
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/virtio_net.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int fuzz_net_setup(void);
int fuzz_net_drain(uint8_t *last, size_t room, size_t *last_len);
int net_stack_embryonic(void);

#define VH        sizeof(struct virtio_net_hdr)
#define FRAME_MAX (VH + 14 + 65535)

static const uint8_t our_mac[6] = { 0x02, 0, 0, 0, 0, 0x02 };
static const uint8_t peer_mac[6] = { 0x02, 0, 0, 0, 0, 0x01 };
static const uint8_t our_ip[4] = { 10, 0, 0, 2 }, peer_ip[4] = { 10, 0, 0, 1 };

static uint64_t g_rng = 0x9e3779b97f4a7c15ULL;

static uint64_t rng(void)
{
	g_rng ^= g_rng >> 12;
	g_rng ^= g_rng << 25;
	g_rng ^= g_rng >> 27;
	return g_rng * 2685821657736338717ULL;
}

static uint32_t sum16(const uint8_t *p, size_t len, uint32_t sum)
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
	return (uint16_t)~sum;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* A frame under construction: the virtio header, Ethernet, then the rest. */
struct frame {
	uint8_t b[FRAME_MAX];
	size_t len;
};

static uint8_t *eth(struct frame *f, uint16_t type)
{
	memset(f->b, 0, VH + 14);
	uint8_t *e = f->b + VH;
	memcpy(e, our_mac, 6);
	memcpy(e + 6, peer_mac, 6);
	put16(e + 12, type);
	f->len = VH + 14;
	return e + 14;
}

/* An IPv4 header for payload bytes of proto; returns where the payload goes. */
static uint8_t *ipv4(struct frame *f, uint8_t proto, size_t payload, uint16_t frag)
{
	uint8_t *ip = eth(f, 0x0800);
	memset(ip, 0, 20);
	ip[0] = 0x45;
	put16(ip + 2, (uint16_t)(20 + payload));
	put16(ip + 4, (uint16_t)rng());
	put16(ip + 6, frag);
	ip[8] = 64;
	ip[9] = proto;
	memcpy(ip + 12, peer_ip, 4);
	memcpy(ip + 16, our_ip, 4);
	put16(ip + 10, fold(sum16(ip, 20, 0)));
	f->len += 20 + payload;
	return ip + 20;
}

static uint32_t pseudo4(uint8_t proto, size_t len)
{
	uint32_t s = sum16(peer_ip, 4, 0);
	s = sum16(our_ip, 4, s);
	return s + proto + (uint32_t)len;
}

static void seed_arp(struct frame *f)
{
	uint8_t *a = eth(f, 0x0806);
	memcpy(f->b + VH, "\xff\xff\xff\xff\xff\xff", 6);
	const uint8_t head[8] = { 0, 1, 8, 0, 6, 4, 0, 1 };
	memcpy(a, head, 8);
	memcpy(a + 8, peer_mac, 6);
	memcpy(a + 14, peer_ip, 4);
	memset(a + 18, 0, 6);
	memcpy(a + 24, our_ip, 4);
	f->len += 28;
}

static void seed_ping(struct frame *f, size_t payload)
{
	uint8_t *icmp = ipv4(f, 1, 8 + payload, 0x4000);
	memset(icmp, 0, 8);
	icmp[0] = 8;
	put16(icmp + 4, 0x1234);
	put16(icmp + 6, 1);
	for (size_t i = 0; i < payload; i++)
		icmp[8 + i] = (uint8_t)i;
	put16(icmp + 2, fold(sum16(icmp, 8 + payload, 0)));
}

/* A TCP segment to port 80: a SYN with options, or data (then as a GSO frame when big). */
static void seed_tcp(struct frame *f, uint8_t flags, size_t payload, bool gso)
{
	size_t hl = flags & 0x02 ? 24 : 20;
	uint8_t *t = ipv4(f, 6, hl + payload, 0x4000);
	memset(t, 0, hl);
	put16(t, 40000);
	put16(t + 2, 80);
	t[4] = 0x11;
	t[12] = (uint8_t)((hl / 4) << 4);
	t[13] = flags;
	put16(t + 14, 65535);
	if (hl == 24) {
		const uint8_t mss[4] = { 2, 4, 0x05, 0xb4 };
		memcpy(t + 20, mss, 4);
	}
	for (size_t i = 0; i < payload; i++)
		t[hl + i] = (uint8_t)rng();
	struct virtio_net_hdr *h = (struct virtio_net_hdr *)f->b;
	if (gso) {
		/* As the host gives a GSO frame: the pseudo-header's sum, to be completed. */
		h->flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
		h->gso_type = VIRTIO_NET_HDR_GSO_TCPV4;
		h->gso_size = 1448;
		h->csum_start = 14 + 20;
		h->csum_offset = 16;
		put16(t + 16, (uint16_t)~fold(pseudo4(6, hl + payload)));
	} else {
		put16(t + 16, fold(sum16(t, hl + payload, pseudo4(6, hl + payload))));
	}
}

/* A UDP datagram to port 53, its checksum left for the sentry to complete. */
static void seed_udp(struct frame *f, size_t payload)
{
	uint8_t *u = ipv4(f, 17, 8 + payload, 0);
	put16(u, 5353);
	put16(u + 2, 53);
	put16(u + 4, (uint16_t)(8 + payload));
	for (size_t i = 0; i < payload; i++)
		u[8 + i] = (uint8_t)rng();
	struct virtio_net_hdr *h = (struct virtio_net_hdr *)f->b;
	h->flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	h->csum_start = 14 + 20;
	h->csum_offset = 6;
	put16(u + 6, (uint16_t)~fold(pseudo4(17, 8 + payload)));
}

/* One fragment of a 2000-byte UDP datagram (its first 8 bytes are the UDP header). */
static void seed_fragment(struct frame *f, int which)
{
	size_t len = which == 0 ? 1480 : 2008 - 1480;
	uint8_t *p = ipv4(f, 17, len, which == 0 ? 0x2000 : 1480 / 8);
	uint8_t *ip = p - 20;
	put16(ip + 4, 0x4242);
	put16(ip + 10, 0);
	put16(ip + 10, fold(sum16(ip, 20, 0)));
	memset(p, 0x5a, len);
	if (which == 0) {
		put16(p, 5353);
		put16(p + 2, 53);
		put16(p + 4, 2008);
		put16(p + 6, 0);
	}
}

static void seed_ping6(struct frame *f)
{
	uint8_t *ip = eth(f, 0x86dd);
	memset(ip, 0, 40);
	ip[0] = 0x60;
	put16(ip + 4, 16);
	ip[6] = 58;
	ip[7] = 255;
	ip[8] = 0xfe;
	ip[9] = 0x80;
	ip[23] = 1;
	ip[24] = 0xfe;
	ip[25] = 0x80;
	ip[39] = 2;
	uint8_t *icmp = ip + 40;
	memset(icmp, 0, 16);
	icmp[0] = 128;
	put16(icmp + 4, 7);
	uint32_t s = sum16(ip + 8, 32, 0) + 16 + 58;
	put16(icmp + 2, fold(sum16(icmp, 16, s)));
	f->len += 40 + 16;
}

static void feed(const uint8_t *data, size_t len)
{
	LLVMFuzzerTestOneInput(data, len);
}

static void mutate_and_feed(const struct frame *seed, int count)
{
	static struct frame m;
	for (int i = 0; i < count; i++) {
		memcpy(m.b, seed->b, seed->len);
		m.len = seed->len;
		int edits = 1 + (int)(rng() % 4);
		for (int e = 0; e < edits; e++) {
			size_t at = rng() % m.len;
			switch (rng() % 6) {
			case 0:
				m.b[at] ^= (uint8_t)(1u << (rng() % 8));
				break;
			case 1: {
				static const uint8_t edge[] = { 0, 1, 0x7f, 0x80, 0xfe, 0xff };
				m.b[at] = edge[rng() % sizeof(edge)];
				break;
			}
			case 2:
				m.b[at] = (uint8_t)rng();
				break;
			case 3:
				m.len = at ? at : 1; /* truncate */
				break;
			case 4: {
				size_t extra = rng() % 64;
				if (m.len + extra <= FRAME_MAX) {
					memset(m.b + m.len, (int)(rng() & 0xff), extra);
					m.len += extra;
				}
				break;
			}
			default:
				/* a 16-bit field to an edge value */
				if (at + 1 < m.len)
					put16(m.b + at,
					      (uint16_t)(rng() & 1 ? 0xffff : rng() % 70));
				break;
			}
		}
		feed(m.b, m.len);
	}
}

int main(int argc, char **argv)
{
	int per_seed = 2000;
	const char *corpus = NULL;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--write-corpus") == 0 && i + 1 < argc)
			corpus = argv[++i];
		else
			per_seed = atoi(argv[i]);
	}
	if (fuzz_net_setup() < 0) {
		fprintf(stderr, "FAIL: setting the stack up\n");
		return 1;
	}
	static struct frame seeds[12];
	int n = 0;
	seed_arp(&seeds[n++]);
	seed_ping(&seeds[n++], 56);
	seed_ping(&seeds[n++], 1472); /* a full 1514-byte frame */
	seed_tcp(&seeds[n++], 0x02, 0, false);
	seed_tcp(&seeds[n++], 0x18, 100, false);
	seed_tcp(&seeds[n++], 0x18, 65535 - 40, true); /* a 64 KiB GSO frame */
	seed_udp(&seeds[n++], 100);
	seed_udp(&seeds[n++], 65535 - 28); /* the largest IPv4 datagram */
	seed_fragment(&seeds[n++], 0);
	seed_fragment(&seeds[n++], 1);
	seed_ping6(&seeds[n++]);
	if (corpus) {
		mkdir(corpus, 0755);
		for (int i = 0; i < n; i++) {
			char path[4096];
			snprintf(path, sizeof(path), "%s/seed%02d", corpus, i);
			FILE *fp = fopen(path, "wb");
			if (!fp || fwrite(seeds[i].b, 1, seeds[i].len, fp) != seeds[i].len) {
				fprintf(stderr, "FAIL: %s: %s\n", path, strerror(errno));
				return 1;
			}
			fclose(fp);
		}
	}
	/* The valid frames first: each must be taken (the stack answers several). */
	int before = fuzz_net_drain(NULL, 0, NULL);
	for (int i = 0; i < n; i++)
		feed(seeds[i].b, seeds[i].len);
	int sent = fuzz_net_drain(NULL, 0, NULL) - before;
	printf("valid frames: %d in, the stack sent %d\n", n, sent);
	if (sent < 3) {
		/* At least the ARP reply, the echo replies and the SYN's answer. */
		fprintf(stderr, "FAIL: the stack answered %d of the valid frames\n", sent);
		return 1;
	}
	for (int i = 0; i < n; i++)
		mutate_and_feed(&seeds[i], per_seed);
	printf("mutations: %d per seed, %d in all\n", per_seed, per_seed * n);
	/*
	 * A SYN flood from as many source ports: the half-open connections
	 * stay bounded (sentry/net/stack.c: NET_SYN_BACKLOG_MAX).
	 */
	static struct frame syn;
	for (int i = 0; i < 3000; i++) {
		seed_tcp(&syn, 0x02, 0, false);
		uint8_t *t = syn.b + VH + 14 + 20;
		put16(t, (uint16_t)(1024 + i));
		put16(t + 16, 0);
		put16(t + 16, fold(sum16(t, 24, pseudo4(6, 24))));
		feed(syn.b, syn.len);
	}
	int half = net_stack_embryonic();
	printf("SYN flood: 3000 SYNs, %d connections half open\n", half);
	if (half < 100 || half > 1024) {
		fprintf(stderr, "FAIL: %d half-open connections after the flood\n", half);
		return 1;
	}
	/* Still alive: an ARP request gets its reply. */
	static struct frame probe;
	seed_arp(&probe);
	before = fuzz_net_drain(NULL, 0, NULL);
	feed(probe.b, probe.len);
	uint8_t last[128];
	size_t last_len = 0;
	int replies = fuzz_net_drain(last, sizeof(last), &last_len) - before;
	/* The reply: virtio header, Ethernet to the peer, ARP opcode 2. */
	if (replies < 1 || last_len < VH + 14 + 8 || memcmp(last + VH, peer_mac, 6) != 0 ||
	    last[VH + 12] != 0x08 || last[VH + 13] != 0x06 || last[VH + 14 + 7] != 2) {
		fprintf(stderr, "FAIL: no ARP reply after the mutations (%d frames out)\n",
		        replies);
		return 1;
	}
	printf("PASS: the stack still answers ARP\n");
	return 0;
}
