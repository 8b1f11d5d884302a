/*
 * TCP's options and ioctls (inet.h): the IPPROTO_TCP level (TCP_NODELAY,
 * TCP_CORK, keepalive, TCP_INFO, TCP_CONGESTION, ...), the levels every
 * inet socket shares (inet.c), FIONREAD and SIOCOUTQ. What lwIP's pcb
 * cannot do (TCP_MAXSEG, TCP_QUICKACK) is checked as Linux checks it and
 * kept for getsockopt; docs/network.md lists what lwIP fixes.
 */
#include <errno.h>
#include <string.h>

#include <lwip/priv/tcp_priv.h>
#include <lwip/tcp.h>

#include "common/abi/linux/inet.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"
#include "sentry/net/inet_impl.h"
#include "sentry/net/stack.h"

/* Linux's TCP_CA_NAME_MAX. */
#define TCP_CA_NAME_MAX 16

/* struct tcp_info up to tcpi_total_retrans (the fields every kernel since 2.6 has). */
struct linux_tcp_info {
	uint8_t state, ca_state, retransmits, probes, backoff, options, wscale, flags;
	uint32_t rto, ato, snd_mss, rcv_mss;
	uint32_t unacked, sacked, lost, retrans, fackets;
	uint32_t last_data_sent, last_ack_sent, last_data_recv, last_ack_recv;
	uint32_t pmtu, rcv_ssthresh, rtt, rttvar, snd_ssthresh, snd_cwnd, advmss, reordering;
	uint32_t rcv_rtt, rcv_space, total_retrans;
};
_Static_assert(sizeof(struct linux_tcp_info) == 104, "tcp_info layout");

/* The Linux state (include/net/tcp_states.h) of a pcb in lwIP's state. */
uint8_t inet_tcp_linux_state(const struct tcp_pcb *p)
{
	static const uint8_t states[] = {
		[CLOSED] = LINUX_TCP_CLOSE,
		[LISTEN] = LINUX_TCP_LISTEN,
		[SYN_SENT] = LINUX_TCP_SYN_SENT,
		[SYN_RCVD] = LINUX_TCP_SYN_RECV,
		[ESTABLISHED] = LINUX_TCP_ESTABLISHED,
		[FIN_WAIT_1] = LINUX_TCP_FIN_WAIT1,
		[FIN_WAIT_2] = LINUX_TCP_FIN_WAIT2,
		[CLOSE_WAIT] = LINUX_TCP_CLOSE_WAIT,
		[CLOSING] = LINUX_TCP_CLOSING,
		[LAST_ACK] = LINUX_TCP_LAST_ACK,
		[TIME_WAIT] = LINUX_TCP_TIME_WAIT,
	};
	return (size_t)p->state < sizeof(states) ? states[p->state] : LINUX_TCP_CLOSE;
}

/* Linux's tcp_info for what lwIP knows. Core lock held. */
static void tcp_fill_info(struct inet_sock *sk, struct linux_tcp_info *i)
{
	memset(i, 0, sizeof(*i));
	struct tcp_pcb *p = sk->pcb.tcp;
	if (sk->state == INET_LISTEN) {
		i->state = LINUX_TCP_LISTEN;
		return;
	}
	if (!p) {
		i->state = LINUX_TCP_CLOSE;
		return;
	}
	i->state = inet_tcp_linux_state(p);
	/* Linux hands TIME_WAIT to a timewait sock: the socket itself is closed. */
	if (p->state == TIME_WAIT)
		i->state = LINUX_TCP_CLOSE;
	i->retransmits = p->nrtx;
	i->rto = (uint32_t)p->rto * TCP_SLOW_INTERVAL * 1000;
	i->ato = TCP_FAST_INTERVAL * 1000;
	i->snd_mss = p->mss;
	i->rcv_mss = p->mss;
	i->unacked = p->snd_queuelen;
	i->pmtu = 65535;
	i->rcv_ssthresh = p->rcv_wnd;
	/* lwIP's sa and sv are 8 and 4 times the smoothed RTT and its deviation, in 500 ms ticks.
	 */
	i->rtt = (uint32_t)(p->sa >> 3) * TCP_SLOW_INTERVAL * 1000;
	i->rttvar = (uint32_t)(p->sv >> 2) * TCP_SLOW_INTERVAL * 1000;
	i->snd_ssthresh = p->ssthresh / (p->mss ? p->mss : 1);
	i->snd_cwnd = p->cwnd / (p->mss ? p->mss : 1);
	i->advmss = p->mss;
	i->reordering = 3;
	i->rcv_space = TCP_WND;
}

int inet_tcp_getsockopt(struct task *t, struct socket *s, int level, int name, void *val,
                        size_t *len)
{
	(void)t;
	struct inet_sock *sk = inet_of(s);
	int err;
	net_stack_lock();
	if (level == LINUX_SOL_TCP) {
		switch (name) {
		case LINUX_TCP_NODELAY:
			err = inet_put_int(val, len, sk->nodelay);
			break;
		case LINUX_TCP_CORK:
			err = inet_put_int(val, len, sk->cork);
			break;
		case LINUX_TCP_MAXSEG:
			err = inet_put_int(val, len,
			                   sk->pcb.tcp && sk->state != INET_LISTEN
			                           ? sk->pcb.tcp->mss
			                           : TCP_MSS);
			break;
		case LINUX_TCP_KEEPIDLE:
			err = inet_put_int(val, len, (int)sk->keep_idle);
			break;
		case LINUX_TCP_KEEPINTVL:
			err = inet_put_int(val, len, (int)sk->keep_intvl);
			break;
		case LINUX_TCP_KEEPCNT:
			err = inet_put_int(val, len, (int)sk->keep_cnt);
			break;
		case LINUX_TCP_QUICKACK:
			err = inet_put_int(val, len, sk->quickack);
			break;
		case LINUX_TCP_CONGESTION: {
			/* lwIP's congestion control is NewReno's. */
			char ca[TCP_CA_NAME_MAX] = "reno";
			if (*len > sizeof(ca))
				*len = sizeof(ca);
			memcpy(val, ca, *len);
			err = 0;
			break;
		}
		case LINUX_TCP_INFO: {
			struct linux_tcp_info i;
			tcp_fill_info(sk, &i);
			if (*len > sizeof(i))
				*len = sizeof(i);
			memcpy(val, &i, *len);
			err = 0;
			break;
		}
		default:
			err = -ENOPROTOOPT;
		}
	} else {
		err = inet_common_getsockopt(sk, level, name, val, len);
	}
	net_stack_unlock();
	return err;
}

/* Applies the keepalive settings to the pcb. Core lock held. */
static void tcp_apply_keepalive(struct inet_sock *sk)
{
	struct tcp_pcb *p = sk->pcb.tcp;
	if (!p || sk->state == INET_LISTEN)
		return;
	if (atomic_load(&sk->sock.keepalive))
		ip_set_option(p, SOF_KEEPALIVE);
	else
		ip_reset_option(p, SOF_KEEPALIVE);
	p->keep_idle = sk->keep_idle * 1000;
	p->keep_intvl = sk->keep_intvl * 1000;
	p->keep_cnt = sk->keep_cnt;
}

int inet_tcp_setsockopt(struct task *t, struct socket *s, int level, int name, const void *val,
                        size_t len)
{
	(void)t;
	struct inet_sock *sk = inet_of(s);
	int v = 0, err = 0;
	if (level == LINUX_SOL_TCP) {
		if (name == LINUX_TCP_INFO)
			return -ENOPROTOOPT;
		if (name == LINUX_TCP_CONGESTION) {
			/* Only the algorithm the stack has; Linux says ENOENT for one it lacks. */
			char want[TCP_CA_NAME_MAX] = { 0 };
			memcpy(want, val, len < sizeof(want) - 1 ? len : sizeof(want) - 1);
			return strcmp(want, "reno") == 0 ? 0 : -ENOENT;
		}
		if ((err = inet_get_int(val, len, &v)) < 0)
			return err;
	}
	net_stack_lock();
	if (level != LINUX_SOL_TCP) {
		err = inet_common_setsockopt(sk, level, name, val, len);
		if (err == 0 && sk->pcb.tcp && sk->state != INET_LISTEN) {
			if (sk->tos >= 0)
				sk->pcb.tcp->tos = (u8_t)sk->tos;
			if (sk->ttl > 0)
				sk->pcb.tcp->ttl = (u8_t)sk->ttl;
		}
		goto out;
	}
	switch (name) {
	case LINUX_TCP_NODELAY:
		sk->nodelay = v != 0;
		if (sk->pcb.tcp && sk->state != INET_LISTEN) {
			if (sk->nodelay) {
				tcp_nagle_disable(sk->pcb.tcp);
				tcp_output(sk->pcb.tcp);
			} else {
				tcp_nagle_enable(sk->pcb.tcp);
			}
		}
		break;
	case LINUX_TCP_CORK:
		sk->cork = v != 0;
		/* Uncorking sends what was held back. */
		if (!sk->cork && sk->pcb.tcp && sk->state == INET_CONNECTED)
			tcp_output(sk->pcb.tcp);
		break;
	case LINUX_TCP_MAXSEG:
		/* Linux: 0 or 88..65535 (TCP_MIN_MSS..MAX_TCP_WINDOW); it can only lower the MSS.
		 */
		if (v != 0 && (v < 88 || v > 65535)) {
			err = -EINVAL;
			break;
		}
		sk->maxseg = (uint16_t)v;
		inet_tcp_apply_maxseg(sk);
		break;
	case LINUX_TCP_KEEPIDLE:
	case LINUX_TCP_KEEPINTVL:
		/* Linux: 1..MAX_TCP_KEEPIDLE (32767 s). */
		if (v < 1 || v > 32767) {
			err = -EINVAL;
			break;
		}
		if (name == LINUX_TCP_KEEPIDLE)
			sk->keep_idle = (uint32_t)v;
		else
			sk->keep_intvl = (uint32_t)v;
		tcp_apply_keepalive(sk);
		break;
	case LINUX_TCP_KEEPCNT:
		if (v < 1 || v > 127) {
			err = -EINVAL;
			break;
		}
		sk->keep_cnt = (uint32_t)v;
		tcp_apply_keepalive(sk);
		break;
	case LINUX_TCP_QUICKACK:
		/* Kept for getsockopt: lwIP acknowledges every second segment, or on its timer. */
		sk->quickack = v != 0;
		break;
	default:
		err = -ENOPROTOOPT;
	}
out:
	net_stack_unlock();
	return err;
}

/* A generic SOL_SOCKET option changed (socket.h's sockopt_changed). */
void inet_tcp_sockopt_changed(struct socket *s, int name)
{
	if (name != LINUX_SO_KEEPALIVE)
		return;
	net_stack_lock();
	tcp_apply_keepalive(inet_of(s));
	net_stack_unlock();
}

long inet_tcp_ioctl(struct task *t, struct socket *s, unsigned cmd, uint64_t arg)
{
	struct inet_sock *sk = inet_of(s);
	int v;
	net_stack_lock();
	if (cmd == LINUX_SIOCINQ) {
		v = sk->state == INET_LISTEN ? -1 : (int)ring_used(sk);
	} else if (cmd == LINUX_SIOCOUTQ) {
		/* Bytes not yet acknowledged: what lwIP holds of its send buffer. */
		v = sk->state == INET_LISTEN                ? -1
		    : sk->pcb.tcp && sk->state != INET_DONE ? TCP_SND_BUF - tcp_sndbuf(sk->pcb.tcp)
		                                            : 0;
	} else {
		net_stack_unlock();
		return -ENOTTY;
	}
	net_stack_unlock();
	if (v < 0)
		return -EINVAL;
	return mm_copy_out(t->mm, arg, &v, sizeof(v));
}
