/*
 * Wait queues: how everything that blocks in the sentry waits (gVisor's
 * waiter.Queue, Linux's wait_queue_head).
 *
 * An object a task can wait for (a pipe, a futex, a child's exit, a
 * socket) has a struct waitqueue. A waiting task links a struct waiter
 * into it, re-checks its condition, and blocks in task_block() until a
 * notification wakes it, a signal interrupts it, or its deadline passes:
 *
 *	struct waiter w;
 *	waiter_init_task(&w, t, LINUX_POLLIN);
 *	waitqueue_add(&obj->wq, &w);
 *	while ((ret = try_the_operation()) == -EAGAIN) {
 *		int err = task_block(t, deadline, NULL, 0);
 *		if (err < 0) {
 *			ret = err == -EINTR ? -LINUX_ERESTARTSYS : err;
 *			break;
 *		}
 *	}
 *	waitqueue_remove(&obj->wq, &w);
 *
 * Linking before the check means no wake-up between the check and the
 * block is lost. Wake-ups may be spurious: always re-check.
 *
 * Events are poll(2) bits (LINUX_POLLIN, ...); a notifier passes the
 * events that happened, and a waiter is called only for events in its
 * mask. Other waiters (epoll's) run their own callback instead of waking
 * a task.
 *
 * Locking: q->mu is a leaf for waiters of tasks; a callback runs under it
 * and must not block or take a lock that is held while notifying (epoll's
 * callback takes its instance's lock, which is never held around a
 * notification of one of its own files).
 */
#ifndef SENTRY_KERNEL_WAITQUEUE_H
#define SENTRY_KERNEL_WAITQUEUE_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/list.h"

struct task;

/* poll(2) events, as Linux numbers them. */
#define LINUX_POLLIN     0x0001
#define LINUX_POLLPRI    0x0002
#define LINUX_POLLOUT    0x0004
#define LINUX_POLLERR    0x0008
#define LINUX_POLLHUP    0x0010
#define LINUX_POLLNVAL   0x0020
#define LINUX_POLLRDNORM 0x0040
#define LINUX_POLLRDBAND 0x0080
#define LINUX_POLLWRNORM 0x0100
#define LINUX_POLLWRBAND 0x0200
#define LINUX_POLLMSG    0x0400
#define LINUX_POLLRDHUP  0x2000
/* Every event: a waiter for anything. */
#define WAIT_EVENTS_ALL 0xffffffffu

struct waiter;
typedef void (*waiter_fn)(struct waiter *w, uint32_t events);

struct waiter {
	struct list_head link; /* in the queue, under its mu */
	uint32_t mask;         /* the events this waiter wants */
	waiter_fn fn;          /* called under the queue's mu */
	void *arg;             /* for fn: the task, for waiter_init_task */
	/*
	 * Exclusive waiters (epoll's EPOLLEXCLUSIVE items, Linux's
	 * add_wait_queue_exclusive): a notification calls every other
	 * waiter, but exclusive ones only until one of them takes it. An
	 * exclusive waiter's fn declines (lets the next one have it) by
	 * setting declined. waiter_init_* make a waiter non-exclusive.
	 */
	bool exclusive;
	bool declined;
};

struct waitqueue {
	pthread_mutex_t mu;
	struct list_head waiters;
};

void waitqueue_init(struct waitqueue *q);
/* Preconditions: no waiter left. */
void waitqueue_destroy(struct waitqueue *q);

void waitqueue_add(struct waitqueue *q, struct waiter *w);
void waitqueue_remove(struct waitqueue *q, struct waiter *w);
/*
 * Calls every waiter whose mask has one of events (exclusive waiters: until
 * one takes it).
 */
void waitqueue_notify(struct waitqueue *q, uint32_t events);
/* Calls at most n waiters whose mask has one of events (futex wake); returns how many. */
int waitqueue_notify_n(struct waitqueue *q, uint32_t events, int n);

/* A waiter that wakes task t (task_wake) on events in mask. */
void waiter_init_task(struct waiter *w, struct task *t, uint32_t mask);
/* A waiter that runs fn(w, events) on events in mask. */
void waiter_init_fn(struct waiter *w, waiter_fn fn, void *arg, uint32_t mask);

#endif /* SENTRY_KERNEL_WAITQUEUE_H */
