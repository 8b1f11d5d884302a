/*
 * Wait queues (see waitqueue.h) and the task's side of waiting:
 * task_block and task_wake (task.h).
 *
 * A task blocks in one host call, ppoll(2), on its own wake eventfd plus
 * whatever host fds its wait also depends on (a host file's readiness).
 * task_wake writes the eventfd; a signal sent to the task does the same
 * (signal.c), so every wait in the sentry is interruptible, and a waiter
 * never needs to know which condition variable its task sleeps on.
 */
#include "sentry/kernel/waitqueue.h"

#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"
#include "sentry/fsimpl/kernfs/proc.h" /* task_current */
#include "sentry/kernel/task.h"

void waitqueue_init(struct waitqueue *q)
{
	pthread_mutex_init(&q->mu, NULL);
	list_init(&q->waiters);
}

void waitqueue_destroy(struct waitqueue *q)
{
	BUG_ON(!list_empty(&q->waiters));
	pthread_mutex_destroy(&q->mu);
}

void waitqueue_add(struct waitqueue *q, struct waiter *w)
{
	pthread_mutex_lock(&q->mu);
	list_add_tail(&w->link, &q->waiters);
	pthread_mutex_unlock(&q->mu);
}

void waitqueue_remove(struct waitqueue *q, struct waiter *w)
{
	pthread_mutex_lock(&q->mu);
	list_del(&w->link);
	pthread_mutex_unlock(&q->mu);
}

int waitqueue_notify_n(struct waitqueue *q, uint32_t events, int n)
{
	int woken = 0;
	bool exclusive_taken = false;
	pthread_mutex_lock(&q->mu);
	struct waiter *w, *tmp;
	list_for_each_entry_safe (w, tmp, &q->waiters, link) {
		if (woken == n)
			break;
		if (!(w->mask & events) || (w->exclusive && exclusive_taken))
			continue;
		w->declined = false;
		w->fn(w, events & w->mask);
		if (w->exclusive && !w->declined)
			exclusive_taken = true;
		woken++;
	}
	pthread_mutex_unlock(&q->mu);
	return woken;
}

void waitqueue_notify(struct waitqueue *q, uint32_t events)
{
	waitqueue_notify_n(q, events, INT32_MAX);
}

static void wake_task_fn(struct waiter *w, uint32_t events)
{
	(void)events;
	task_wake(w->arg);
}

void waiter_init_task(struct waiter *w, struct task *t, uint32_t mask)
{
	waiter_init_fn(w, wake_task_fn, t, mask);
}

void waiter_init_fn(struct waiter *w, waiter_fn fn, void *arg, uint32_t mask)
{
	list_init(&w->link);
	w->mask = mask;
	w->fn = fn;
	w->arg = arg;
	w->exclusive = false;
	w->declined = false;
}

int task_wake_init(struct task *t)
{
	t->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	return t->wake_fd < 0 ? -errno : 0;
}

static uint64_t monotonic_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* An average over about the last 8 samples. */
static uint64_t average(uint64_t avg, uint64_t sample)
{
	return avg - avg / 8 + sample / 8;
}

/* Wake-ups in a row by one task that make it t's partner in a ping-pong. */
#define PARTNER_WAKES 4

/*
 * After a wait of t's that began at start: whether t mostly waits (with
 * some hysteresis, so that a pair moved next to its partner, whose waits
 * get shorter for it, stays there), and the platform's hint. A wake-up by
 * task_wake (woken) names the waker; any other end of a wait (a timeout,
 * a host fd) leaves the hint as it was.
 */
static void note_wait(struct task *t, uint64_t start, bool woken)
{
	uint64_t now = monotonic_ns();
	t->wait_avg_ns = average(t->wait_avg_ns, now - start);
	t->unblocked_ns = now;
	if (!t->waits_mostly && t->wait_avg_ns > t->run_avg_ns)
		t->waits_mostly = true;
	else if (t->waits_mostly && t->wait_avg_ns < t->run_avg_ns / 2)
		t->waits_mostly = false;
	uint64_t waker = atomic_exchange(&t->waker, 0);
	const struct platform_ops *p = t->k->cfg.platform;
	if (!woken || !p->ctx_hint_cpu || !t->ctx)
		return;
	int tid = waker ? (int)(waker >> 32) : 0;
	if (tid && tid == t->partner_tid) {
		if (t->partner_in_row < PARTNER_WAKES)
			t->partner_in_row++;
	} else {
		t->partner_tid = tid;
		t->partner_in_row = tid ? 1 : 0;
	}
	bool partner = t->waits_mostly && t->partner_in_row >= PARTNER_WAKES;
	p->ctx_hint_cpu(t->ctx, partner ? (int)(waker & 0xffffffff) - 1 : -1);
}

void task_wake(struct task *t)
{
	/*
	 * A waker that mostly waits too may be the other end of a ping-pong:
	 * its CPU is about to idle. One that runs on (a stream's writer)
	 * keeps its CPU busy, and names none. (me is the calling thread's own
	 * task: its fields are this thread's to read.)
	 */
	struct task *me = task_current();
	int cpu = sched_getcpu();
	uint64_t waker = me && me != t && me->waits_mostly && cpu >= 0
	                         ? (uint64_t)(uint32_t)me->tid << 32 | (uint64_t)(cpu + 1)
	                         : 0;
	atomic_store(&t->waker, waker);
	uint64_t one = 1;
	/* EAGAIN: the counter is full, so the task is woken anyway. */
	ssize_t n = write(t->wake_fd, &one, sizeof(one));
	(void)n;
}

int task_block(struct task *t, const struct timespec *deadline, struct pollfd *host, int nhost)
{
	if (task_interrupted(t))
		return -EINTR;
	struct pollfd stack_fds[8];
	struct pollfd *fds = stack_fds;
	if (nhost + 1 > (int)ARRAY_SIZE(stack_fds)) {
		fds = calloc((size_t)nhost + 1, sizeof(*fds));
		if (!fds)
			return -ENOMEM;
	}
	fds[0] = (struct pollfd){ .fd = t->wake_fd, .events = POLLIN };
	if (nhost)
		memcpy(fds + 1, host, (size_t)nhost * sizeof(*fds));
	uint64_t start = monotonic_ns();
	if (t->unblocked_ns)
		t->run_avg_ns = average(t->run_avg_ns, start - t->unblocked_ns);
	bool woken = false;
	int ret;
	for (;;) {
		struct timespec rel, *timeout = NULL;
		if (deadline) {
			struct timespec now;
			clock_gettime(CLOCK_MONOTONIC, &now);
			int64_t ns = (deadline->tv_sec - now.tv_sec) * 1000000000LL +
			             (deadline->tv_nsec - now.tv_nsec);
			if (ns <= 0) {
				ret = -ETIMEDOUT;
				break;
			}
			rel.tv_sec = ns / 1000000000LL;
			rel.tv_nsec = ns % 1000000000LL;
			timeout = &rel;
		}
		int n = ppoll(fds, (nfds_t)nhost + 1, timeout, NULL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = -errno;
			break;
		}
		if (n == 0) {
			ret = -ETIMEDOUT;
			break;
		}
		if (fds[0].revents & POLLIN) {
			uint64_t count;
			ssize_t r = read(t->wake_fd, &count, sizeof(count));
			(void)r;
			woken = true;
		}
		ret = 0;
		break;
	}
	note_wait(t, start, woken);
	if (nhost)
		for (int i = 0; i < nhost; i++)
			host[i].revents = fds[i + 1].revents;
	if (fds != stack_fds)
		free(fds);
	return ret;
}

int task_block_killable(struct task *t)
{
	struct pollfd fd = { .fd = t->wake_fd, .events = POLLIN };
	for (;;) {
		if (task_should_exit(t))
			return -EINTR;
		int n = ppoll(&fd, 1, NULL, NULL);
		if (n < 0 && errno != EINTR)
			return -errno;
		if (n > 0) {
			uint64_t count;
			ssize_t r = read(t->wake_fd, &count, sizeof(count));
			(void)r;
			return 0;
		}
	}
}
