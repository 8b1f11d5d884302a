/*
 * The sentry's side of a container interface taken over with an AF_PACKET
 * socket (--network=sandbox; docs/network.md): gVisor's fdbased link
 * endpoint with its PACKET_VNET_HDR handling, reduced to what the inet
 * stack needs.
 *
 * `runsc boot`, still privileged and in the container's network
 * namespace, opens an AF_PACKET SOCK_RAW socket bound to each interface
 * (ETH_P_ALL, PACKET_VNET_HDR, PACKET_IGNORE_OUTGOING: runsc-cli/network.h)
 * and the boot code registers it here under the interface's sandbox index
 * (iface.h) before any task runs. The inet stack then starts each link it
 * drives with packet_link_start and sends with packet_link_send.
 *
 * Receiving: one pthread per started link reads batches with recvmmsg.
 * Each frame comes with a struct virtio_net_hdr, which is stripped:
 *   - VIRTIO_NET_HDR_F_NEEDS_CSUM (the peer left the checksum to the
 *     hardware: veth and tap do): the ones' complement sum from csum_start
 *     to the end of the frame is stored at csum_start + csum_offset, as
 *     Linux's skb_checksum_help does (0 becomes 0xffff). Only TCP and UDP
 *     checksums (csum_offset 16 and 6, over IPv4 or IPv6) are accepted.
 *   - GSO super-frames (VIRTIO_NET_HDR_GSO_TCPV4, _TCPV6, with or without
 *     the ECN bit) are passed on whole, as one frame longer than the MTU,
 *     with the IP total length (IPv6 payload length) as the kernel gave it
 *     and the checksum completed over the whole segment: the stack takes
 *     segments bigger than its MSS. Other GSO types (UDP) are dropped.
 *   - Frames shorter than an Ethernet header, truncated ones, a csum_start
 *     or csum_offset outside the frame, are dropped.
 * Drops are counted with net_iface_count_drop, good frames with
 * net_iface_count_rx, before rx is called. Frames the host kernel sent
 * itself (PACKET_OUTGOING) are ignored without counting.
 * A dead socket (EBADF, ENETDOWN, ENODEV, ENXIO: the interface was
 * removed or went down) ends the thread with one log line; other errors
 * are retried after 10 ms, and 100 in a row end it as well.
 *
 * Sending: packet_link_send prepends a zeroed virtio_net_hdr (no
 * checksum or segmentation offload: the stack completes every frame) and
 * writes the frame with one sendmsg; it may block while the socket's send
 * buffer is full. Any thread may send, concurrently with the receiver.
 *
 * Host calls: recvmmsg and sendmsg on the registered fds (and poll: as a
 * 10 ms sleep after an error, or to wait on an fd someone made
 * non-blocking), all in the sentry's seccomp allowlist
 * (sentry/boot/confine.c). This file talks to the host, like the host_*.c
 * files: it keeps the name the inet stack was written against.
 *
 * Lock order: g_links.mu only (never held across a host call or rx).
 */
#ifndef SENTRY_NET_PACKET_LINK_H
#define SENTRY_NET_PACKET_LINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

/* The largest frame a link receives: a 64 KiB GSO segment and its Ethernet/VLAN header. */
#define PACKET_LINK_FRAME_MAX (65536 + 64)

/*
 * Called on the link's own receiving thread for each frame: an Ethernet
 * frame with complete checksums and no virtio header; the callee copies
 * what it keeps (frame is reused once rx returns).
 */
typedef void (*packet_link_rx_fn)(void *arg, int ifindex, const uint8_t *frame, size_t len);

/*
 * Boot: fd is the AF_PACKET socket runsc opened for interface ifindex
 * (the sandbox's index), with PACKET_VNET_HDR set; the link owns it from
 * here on (it is never closed: a sandbox's links live as long as it).
 * Returns 0, -EINVAL (bad index or fd), -EEXIST or -ENOSPC.
 */
int packet_link_register(int ifindex, int fd);

/* Whether interface ifindex has a registered link. */
bool packet_link_exists(int ifindex);

/*
 * Starts the link's receiving thread, which calls rx(arg, ifindex, ...)
 * for each good frame. Returns 0, -ENODEV (no such link), -EBUSY (already
 * started) or -errno from pthread_create.
 */
int packet_link_start(int ifindex, packet_link_rx_fn rx, void *arg);

/*
 * Sends one Ethernet frame, gathered from iov[0..niov) (at most 62
 * pieces), prepending a zeroed virtio_net_hdr. It never blocks (the
 * stack's lock is held): a full socket drops the frame, as a full device
 * queue does, and TCP retransmits. Returns 0, or -errno
 * (-ENODEV: no such link; -EINVAL: too many pieces; -EMSGSIZE, -ENOBUFS,
 * -ENETDOWN from the host: counted as a transmit drop).
 */
int packet_link_send(int ifindex, const struct iovec *iov, int niov);

/*
 * One received buffer of a started link (its receiving thread's per-frame
 * step, and the fuzz target's entry, tests/fuzz/fuzz_net_input.c): the
 * virtio_net_hdr and the frame behind it, checked and completed, then
 * given to rx; a bad one is counted as a drop. buf is modified.
 */
void packet_link_input(int ifindex, uint8_t *buf, size_t len);

/* Whether the link's receiving thread is running (tests, diagnostics). */
bool packet_link_running(int ifindex);

#endif /* SENTRY_NET_PACKET_LINK_H */
