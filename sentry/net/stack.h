/*
 * The sandbox's TCP/IP stack: lwIP's core (Debian's liblwip) driven
 * through its raw callback API by the sentry's own threads.
 *
 * One lock guards all of lwIP (its "core lock"): a task's sentry thread
 * takes it for each socket operation, a link's receiving thread for each
 * frame, and the stack's timer thread for lwIP's timeouts. Nothing in
 * lwIP runs on a thread of its own: there is no tcpip thread. A packet
 * sent to a local address goes to netif_loop_output, and lwIP asks for
 * later work through tcpip_try_callback; stack.c provides both (the
 * library calls them through its PLT), so the packet and its delivery are
 * queued here and run by net_stack_unlock before it releases the lock.
 * A packet sent on loopback is thus received on the sending thread, as
 * Linux's loopback does in its softirq, with no host hop and no thread
 * switch, and a big one shares its payload with the sender (stack.c).
 *
 * Debian's lwIP was built with PBUF_POOL buffers sized by the wrong
 * TCP_MSS (glibc's <netinet/tcp.h> redefines it inside its memp.c): the
 * sandbox never allocates PBUF_POOL pbufs; input frames are PBUF_RAM.
 *
 * Fixed by that build (lwipopts.h): a 64 KiB receive window and send
 * buffer per connection, an MSS of at most 1460 bytes, no SACK, no
 * timestamps; lwIP's delayed ACKs go out on its 250 ms fast timer.
 * docs/network.md says where these hold the sandbox back.
 */
#ifndef SENTRY_NET_STACK_H
#define SENTRY_NET_STACK_H

#include <stdbool.h>

/*
 * Starts the stack once: lwIP's state, lo (127.0.0.1/8, ::1) and the
 * interfaces of the table (iface.h) that have a link, and the timer
 * thread. Returns 0 or -errno. Every inet socket calls it first.
 */
int net_stack_start(void);

/* Whether net_stack_start has run (a sandbox that never made an inet socket has no stack). */
bool net_stack_running(void);

struct netif;
/* Whether n is the stack's loopback interface. */
bool net_stack_is_loopback(const struct netif *n);

/* Connections half open on the links (tests: a SYN flood stays bounded). */
int net_stack_embryonic(void);

/* The core lock. net_stack_unlock first runs what lwIP asked to run later (loopback delivery). */
void net_stack_lock(void);
void net_stack_unlock(void);

#endif /* SENTRY_NET_STACK_H */
