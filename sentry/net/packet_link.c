/*
 * Links over AF_PACKET sockets with PACKET_VNET_HDR: see packet_link.h.
 */
#include "sentry/net/packet_link.h"

#include <errno.h>
#include <linux/if_packet.h>
#include <linux/virtio_net.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "common/log.h"
#include "common/util.h"
#include "sentry/net/iface.h"

/* Frames read per recvmmsg: 8 x 64 KiB per link. */
#define RX_BATCH 8
/* An Ethernet header: the shortest frame worth handing on. */
#define ETH_HLEN_MIN 14
/* Where TCP and UDP keep their checksum, from the start of their header. */
#define TCP_CSUM_OFFSET 16
#define UDP_CSUM_OFFSET 6
/* After an unexpected receive error: wait this long, and give up after this many in a row. */
#define RX_RETRY_MS  10
#define RX_MAX_FAILS 100
/* packet_link_send's limit on pieces (one more for the virtio header). */
#define TX_MAX_IOV 62

struct packet_link {
	/* Set under g_links.mu, once, after fd and ifindex; read without it by senders. */
	_Atomic bool registered;
	bool started;         /* protected by g_links.mu */
	int fd;               /* set once at registration */
	int ifindex;          /* set once at registration */
	_Atomic bool running; /* the receiving thread is in its loop */
	packet_link_rx_fn rx; /* set once at start */
	void *arg;            /* set once at start */
	pthread_t thread;     /* protected by g_links.mu */
};

static struct {
	pthread_mutex_t mu;
	struct packet_link link[NET_IFACE_MAX + 1]; /* by interface index */
} g_links = { .mu = PTHREAD_MUTEX_INITIALIZER };

static struct packet_link *link_of(int ifindex)
{
	return ifindex >= 1 && ifindex <= NET_IFACE_MAX ? &g_links.link[ifindex] : NULL;
}

int packet_link_register(int ifindex, int fd)
{
	struct packet_link *l = link_of(ifindex);
	if (!l || fd < 0)
		return -EINVAL;
	pthread_mutex_lock(&g_links.mu);
	int ret = 0;
	if (l->registered) {
		ret = -EEXIST;
	} else {
		l->ifindex = ifindex;
		l->fd = fd;
		atomic_store(&l->registered, true);
	}
	pthread_mutex_unlock(&g_links.mu);
	return ret;
}

bool packet_link_exists(int ifindex)
{
	struct packet_link *l = link_of(ifindex);
	if (!l)
		return false;
	return atomic_load(&l->registered);
}

bool packet_link_running(int ifindex)
{
	struct packet_link *l = link_of(ifindex);
	return l && atomic_load(&l->running);
}

/* The ones' complement sum of len bytes at p, folded to 16 bits, in memory order (RFC 1071). */
static uint16_t csum_partial(const uint8_t *p, size_t len)
{
	uint64_t sum = 0;
	for (; len >= 4; p += 4, len -= 4) {
		uint32_t w;
		memcpy(&w, p, 4);
		sum += w;
	}
	if (len >= 2) {
		uint16_t w;
		memcpy(&w, p, 2);
		sum += w;
		p += 2;
		len -= 2;
	}
	if (len) {
		uint16_t w = 0;
		memcpy(&w, p, 1);
		sum += w;
	}
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/*
 * Checks one received frame against its virtio header and completes its
 * checksum. Returns the frame's length, or -1 for a frame to drop.
 */
static long fix_frame(const struct virtio_net_hdr *h, uint8_t *frame, size_t len)
{
	if (len < ETH_HLEN_MIN)
		return -1;
	switch (h->gso_type & ~VIRTIO_NET_HDR_GSO_ECN) {
	case VIRTIO_NET_HDR_GSO_NONE:
		break;
	case VIRTIO_NET_HDR_GSO_TCPV4:
	case VIRTIO_NET_HDR_GSO_TCPV6:
		/* Whole: the stack takes segments longer than its MSS. */
		break;
	default:
		return -1;
	}
	if (h->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) {
		size_t start = h->csum_start, off = h->csum_offset;
		if (off != TCP_CSUM_OFFSET && off != UDP_CSUM_OFFSET)
			return -1;
		if (start < ETH_HLEN_MIN || start + off + 2 > len)
			return -1;
		/* The field holds the pseudo-header's sum: sum it with the rest, as
		 * skb_checksum_help. */
		uint16_t c = (uint16_t)~csum_partial(frame + start, len - start);
		if (c == 0)
			c = 0xffff;
		memcpy(frame + start + off, &c, 2);
	}
	return (long)len;
}

/* Whether a receive error means the socket will never give a frame again. */
static bool rx_error_is_fatal(int err)
{
	return err == EBADF || err == ENETDOWN || err == ENODEV || err == ENXIO || err == ENOTSOCK;
}

void packet_link_input(int ifindex, uint8_t *buf, size_t len)
{
	struct packet_link *l = link_of(ifindex);
	if (!l || !l->rx)
		return;
	struct virtio_net_hdr h;
	long flen = -1;
	if (len >= sizeof(h)) {
		memcpy(&h, buf, sizeof(h));
		flen = fix_frame(&h, buf + sizeof(h), len - sizeof(h));
	}
	if (flen < 0) {
		net_iface_count_drop(ifindex, /*rx=*/true);
		return;
	}
	net_iface_count_rx(ifindex, (uint64_t)flen);
	l->rx(l->arg, ifindex, buf + sizeof(h), (size_t)flen);
}

static void *rx_thread(void *arg)
{
	struct packet_link *l = arg;
	int fd = l->fd;
	const size_t slot_size = sizeof(struct virtio_net_hdr) + PACKET_LINK_FRAME_MAX;
	uint8_t *bufs = malloc(slot_size * RX_BATCH);
	if (!bufs) {
		log_error("link %d: no memory for its receive buffers: receiving stops",
		          l->ifindex);
		atomic_store(&l->running, false);
		return NULL;
	}
	struct mmsghdr msgs[RX_BATCH];
	struct iovec iov[RX_BATCH];
	struct sockaddr_ll from[RX_BATCH];
	int fails = 0;
	for (;;) {
		memset(msgs, 0, sizeof(msgs));
		for (int i = 0; i < RX_BATCH; i++) {
			iov[i] = (struct iovec){ bufs + (size_t)i * slot_size, slot_size };
			msgs[i].msg_hdr.msg_iov = &iov[i];
			msgs[i].msg_hdr.msg_iovlen = 1;
			msgs[i].msg_hdr.msg_name = &from[i];
			msgs[i].msg_hdr.msg_namelen = sizeof(from[i]);
		}
		int n = recvmmsg(fd, msgs, RX_BATCH, MSG_WAITFORONE, NULL);
		if (n < 0) {
			int err = errno;
			if (err == EINTR)
				continue;
			if (err == EAGAIN) {
				/* A non-blocking fd: wait for it rather than spin. */
				struct pollfd pfd = { .fd = fd, .events = POLLIN };
				poll(&pfd, 1, -1);
				continue;
			}
			if (rx_error_is_fatal(err) || ++fails >= RX_MAX_FAILS) {
				log_warn("link %d: recvmmsg: %s: receiving stops", l->ifindex,
				         strerror(err));
				break;
			}
			net_iface_count_drop(l->ifindex, /*rx=*/true);
			poll(NULL, 0, RX_RETRY_MS);
			continue;
		}
		fails = 0;
		for (int i = 0; i < n; i++) {
			uint8_t *slot = iov[i].iov_base;
			size_t got = msgs[i].msg_len;
			/* Linux gives the address up to sll_addr's MAC (18 bytes, not 20 on all).
			 */
			if (msgs[i].msg_hdr.msg_namelen >
			            offsetof(struct sockaddr_ll, sll_pkttype) &&
			    from[i].sll_pkttype == PACKET_OUTGOING)
				continue;
			if (msgs[i].msg_hdr.msg_flags & MSG_TRUNC) {
				net_iface_count_drop(l->ifindex, /*rx=*/true);
				continue;
			}
			packet_link_input(l->ifindex, slot, got);
		}
	}
	free(bufs);
	atomic_store(&l->running, false);
	return NULL;
}

int packet_link_start(int ifindex, packet_link_rx_fn rx, void *arg)
{
	struct packet_link *l = link_of(ifindex);
	if (!l || !rx)
		return l ? -EINVAL : -ENODEV;
	pthread_mutex_lock(&g_links.mu);
	int ret = 0;
	if (!l->registered) {
		ret = -ENODEV;
		goto out_unlock;
	}
	if (l->started) {
		ret = -EBUSY;
		goto out_unlock;
	}
	l->rx = rx;
	l->arg = arg;
	atomic_store(&l->running, true);
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	ret = -pthread_create(&l->thread, &attr, rx_thread, l);
	pthread_attr_destroy(&attr);
	if (ret < 0)
		atomic_store(&l->running, false);
	else
		l->started = true;
out_unlock:
	pthread_mutex_unlock(&g_links.mu);
	return ret;
}

int packet_link_send(int ifindex, const struct iovec *iov, int niov)
{
	struct packet_link *l = link_of(ifindex);
	if (!l || !atomic_load(&l->registered))
		return -ENODEV;
	int fd = l->fd;
	if (niov < 0 || niov > TX_MAX_IOV)
		return -EINVAL;
	struct virtio_net_hdr h = { .gso_type = VIRTIO_NET_HDR_GSO_NONE };
	struct iovec v[TX_MAX_IOV + 1];
	v[0] = (struct iovec){ &h, sizeof(h) };
	size_t len = 0;
	for (int i = 0; i < niov; i++) {
		v[i + 1] = iov[i];
		len += iov[i].iov_len;
	}
	struct msghdr m = { .msg_iov = v, .msg_iovlen = (size_t)niov + 1 };
	ssize_t w;
	while ((w = sendmsg(fd, &m, MSG_NOSIGNAL | MSG_DONTWAIT)) < 0 && errno == EINTR)
		;
	if (w < 0) {
		int err = errno;
		net_iface_count_drop(ifindex, /*rx=*/false);
		return -err;
	}
	net_iface_count_tx(ifindex, len);
	return 0;
}
