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
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"
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

void task_wake(struct task *t)
{
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
		}
		ret = 0;
		break;
	}
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
