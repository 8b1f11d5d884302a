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

#include <lwip/init.h>
#include <lwip/ip.h>
#include <lwip/ip_addr.h>
#include <lwip/netif.h>
#include <lwip/tcpip.h>
#include <lwip/timeouts.h>

#include "common/log.h"
#include "sentry/net/iface.h"

/* Work lwIP asked to run later (tcpip_try_callback): at most this many between two unlocks. */
#define DEFERRED_MAX 64

static struct {
	pthread_once_t once;
	int start_err;
	atomic_bool running;
	pthread_mutex_t mu; /* the core lock */
	bool draining;      /* net_stack_unlock is running the deferred work */
	int ndeferred;
	struct {
		tcpip_callback_fn fn;
		void *ctx;
	} deferred[DEFERRED_MAX];
	struct netif lo;
	/* The timer thread sleeps on cond until timer_due (CLOCK_MONOTONIC ms), or is woken
	 * earlier. */
	pthread_cond_t cond;
	uint64_t timer_due;
} g_stack = {
	.once = PTHREAD_ONCE_INIT,
	.mu = PTHREAD_MUTEX_INITIALIZER,
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
	/* The same request twice (netif_poll of one link) needs running once. */
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
	 * Run lwIP's deferred work: each netif_poll delivers the packets a
	 * link looped back, which may send more (ACKs, replies): loop until
	 * none is left. A link that was refused a deferral (the queue was
	 * full) set reschedule_poll and asks again from its next poll.
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

/* lo sends everything back to itself: lwIP's loopback queue, drained by net_stack_unlock. */
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
	pthread_mutex_unlock(&g_stack.mu);
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

bool net_stack_running(void)
{
	return atomic_load(&g_stack.running);
}

int net_stack_start(void)
{
	pthread_once(&g_stack.once, start_once);
	return g_stack.start_err;
}
