/*
 * epoll instances (Linux's fs/eventpoll.c, followed closely).
 *
 * An instance has an interest list of items keyed by (file, fd), as
 * Linux's are, in a red-black tree, and a ready list. The files it
 * watches come in three kinds:
 *
 *  - sentry files with their own readiness (pipes, sockets, eventfds,
 *    other epoll instances): the item links a waiter into the file's wait
 *    queue whose callback (ep_wake_fn, Linux's ep_poll_callback) puts the
 *    item on the ready list and wakes the instance's waiters;
 *  - host files (poll_host_fd: the sandbox's inherited stdio, timerfds):
 *    the item owns a dup of the host fd, registered in the instance's own
 *    host epoll fd with the item's events and its EPOLLET/EPOLLONESHOT, so
 *    that the host tracks their edges. Whatever the host epoll reports is
 *    moved onto the ready list before each scan (ep_drain_host);
 *  - files with neither (regular files, directories): EPERM, as Linux's
 *    files without a poll method.
 *
 * An instance is itself pollable (readiness, wait_queue, and its host
 * epoll fd as poll_host_fd), so it nests: an epoll watching an epoll has
 * both a waiter on its poll_wait queue and a dup of its host epoll fd in
 * its own host epoll.
 *
 * A scan (ep_send_events, Linux's ep_send_events) takes the ready list
 * whole, asks each item's file for its readiness now, reports those that
 * have events, re-queues the level-triggered ones, disables the one-shot
 * ones, and leaves the edge-triggered ones off until their next wake-up.
 * Wake-ups that come during a scan wait on the overflow list, as Linux's
 * ovflist, and join the ready list when it ends.
 *
 * Lifetimes: items hold no reference to their file. Each item is a
 * file_watch (sentry/vfs/file.h) of its file: the file's last file_put
 * removes it (ep_item_file_released), so closing the last fd of a file
 * takes it off every interest list, as Linux's eventpoll_release. Each
 * item holds a reference to its instance (ep->refs), so an instance lives
 * until its file is released and every item's removal has finished.
 *
 * Locks (Linux's): ep->mtx (the interest list, the items' settings, a
 * scan; held while polling targets, so an outer instance's mtx is taken
 * before an inner one's) > a target's locks and wait queue mu > ep->lock
 * (a leaf: the ready lists, taken by the callbacks under the target's
 * queue mu). g_nested_mu, taken before any ep->mtx, serialises the
 * additions of an epoll to an epoll and their loop check.
 *
 * Not implemented: the limit on wake-up paths (Linux's
 * reverse_path_check, EINVAL when too many epolls watch one file
 * through too many paths) and max_user_watches (ENOSPC). Known gap: an
 * inner instance learns of its host files' edges when it is drained, not
 * when they happen, so with two outer instances watching one inner one
 * that watches host files, an outer edge-triggered item may miss or
 * repeat an edge that the other outer instance's scan consumed.
 */
#include "sentry/fsimpl/anon/anon.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "common/log.h"
#include "common/abi/linux/mman.h"
#include "common/rbtree.h"
#include "sentry/kernel/task.h"
#include "sentry/kernel/waitqueue.h"
#include "sentry/mm/mm.h"
#include "sentry/vfs/file.h"

/* Linux's EP_PRIVATE_BITS: an item with none but these is disabled (one-shot, fired). */
#define EP_PRIVATE_BITS \
	(LINUX_EPOLLWAKEUP | LINUX_EPOLLONESHOT | LINUX_EPOLLET | LINUX_EPOLLEXCLUSIVE)
/* Linux's EP_MAX_NESTS: at most 4 epoll-in-epoll links in a chain. */
#define EP_MAX_NESTS 4

struct eventpoll;

struct epitem {
	struct rb_node rbn; /* in ep->items, by (file, fd); under ep->mtx */
	struct eventpoll *ep;
	struct file *file; /* not a reference: see the header comment */
	int fd;
	struct file_watch watch; /* in file->watches */
	/* Under ep->mtx for writing, and ep->lock too (the callback reads them). */
	uint32_t events;
	uint64_t data;
	/* Under ep->lock. */
	struct list_head rdllink; /* in ep->rdllist or a scan's list; empty when on neither */
	struct list_head ovflink; /* in ep->ovflist; empty when not */
	/* Sentry files: the waiter on the file's queue (wq NULL for host files). */
	struct waitqueue *wq;
	struct waiter w;
	/* Host files and epolls: our dup of the host fd, in ep->host_epfd; else -1. */
	int host_fd;
	struct eventpoll *tep; /* the target, when it is an epoll instance */
};

struct eventpoll {
	struct file base;
	atomic_int refs; /* the file's, and one per item */
	pthread_mutex_t mtx;
	/* Under mtx. */
	struct rb_root items;
	int nitems;
	int host_epfd; /* the host files' readiness */
	pthread_mutex_t lock;
	/* Under lock. */
	struct list_head rdllist;
	struct list_head ovflist;
	bool scanning;              /* wake-ups go to ovflist */
	int nwaiters;               /* tasks in epoll_wait */
	struct waitqueue wq;        /* tasks in epoll_wait */
	struct waitqueue poll_wait; /* poll(2), and epolls watching this one */
	/* The loop check's marks, under g_nested_mu. */
	uint64_t gen;
	int loop_depth;
};

static pthread_mutex_t g_nested_mu = PTHREAD_MUTEX_INITIALIZER;
static uint64_t g_loop_gen; /* under g_nested_mu */

static const struct file_ops g_epoll_ops;

static struct eventpoll *to_ep(struct file *f)
{
	return container_of(f, struct eventpoll, base);
}

bool file_is_epoll(const struct file *f)
{
	return f->ops == &g_epoll_ops;
}

/* Moves all of src to the front of dst, leaving src empty. */
static void list_splice_init_front(struct list_head *src, struct list_head *dst)
{
	if (list_empty(src))
		return;
	struct list_head *first = src->next, *last = src->prev;
	first->prev = dst;
	last->next = dst->next;
	dst->next->prev = last;
	dst->next = first;
	list_init(src);
}

static void ep_put(struct eventpoll *ep)
{
	if (atomic_fetch_sub(&ep->refs, 1) != 1)
		return;
	BUG_ON(!rb_empty(&ep->items));
	close(ep->host_epfd);
	waitqueue_destroy(&ep->wq);
	waitqueue_destroy(&ep->poll_wait);
	pthread_mutex_destroy(&ep->mtx);
	pthread_mutex_destroy(&ep->lock);
	free(ep);
}

/* Wakes the instance's waiters: tasks in epoll_wait, and pollers and outer epolls. */
static void ep_wake(struct eventpoll *ep)
{
	waitqueue_notify(&ep->wq, LINUX_POLLIN);
	waitqueue_notify(&ep->poll_wait, LINUX_POLLIN | LINUX_POLLRDNORM);
}

/*
 * Puts epi on the ready list (or the overflow list during a scan). Returns
 * false when it was there already. Under ep->lock.
 */
static bool ep_queue_locked(struct eventpoll *ep, struct epitem *epi)
{
	if (ep->scanning) {
		if (!list_empty(&epi->ovflink))
			return false;
		list_add_tail(&epi->ovflink, &ep->ovflist);
	} else {
		if (!list_empty(&epi->rdllink))
			return false;
		list_add_tail(&epi->rdllink, &ep->rdllist);
	}
	return true;
}

/*
 * The callback of an item's waiter (Linux's ep_poll_callback), under the
 * watched file's queue mu: queues the item and wakes the instance. For an
 * EPOLLEXCLUSIVE item it takes the wake-up (so that the file's other
 * exclusive waiters are not called) only when a task waits in epoll_wait
 * here and the events are ones the item wants, as Linux.
 */
static void ep_wake_fn(struct waiter *w, uint32_t events)
{
	struct epitem *epi = w->arg;
	struct eventpoll *ep = epi->ep;
	bool wake = false, ewake = false;
	pthread_mutex_lock(&ep->lock);
	uint32_t want = epi->events;
	/* Disabled (a one-shot item that fired), or not an event it wants. */
	if (!(want & ~EP_PRIVATE_BITS) || (events && !(events & want)))
		goto out;
	ep_queue_locked(ep, epi);
	wake = true;
	if (ep->nwaiters && (want & LINUX_EPOLLEXCLUSIVE)) {
		switch (events & (LINUX_EPOLLIN | LINUX_EPOLLOUT)) {
		case LINUX_EPOLLIN:
		case LINUX_EPOLLOUT:
			ewake = (want & events & (LINUX_EPOLLIN | LINUX_EPOLLOUT)) != 0;
			break;
		case 0:
			ewake = true;
			break;
		default:
			break;
		}
	}
out:
	pthread_mutex_unlock(&ep->lock);
	if (wake)
		ep_wake(ep);
	if (!(want & LINUX_EPOLLEXCLUSIVE))
		ewake = true;
	if (!ewake)
		w->declined = true;
}

/* What the host epoll watches for an item: its events and modes, as host bits (Linux's). */
static uint32_t host_events(const struct epitem *epi)
{
	uint32_t modes = epi->events & (LINUX_EPOLLET | LINUX_EPOLLONESHOT);
	if (epi->tep)
		return LINUX_EPOLLIN | modes;
	return epi->events & ~(LINUX_EPOLLEXCLUSIVE | LINUX_EPOLLWAKEUP);
}

static int host_ctl(struct eventpoll *ep, int op, struct epitem *epi)
{
	struct epoll_event hev = { .events = host_events(epi), .data.ptr = epi };
	if (epoll_ctl(ep->host_epfd, op, epi->host_fd, op == EPOLL_CTL_DEL ? NULL : &hev) != 0)
		return -errno;
	return 0;
}

/*
 * Moves the items the host epoll reports onto the ready list (under
 * ep->mtx, so the items are alive: their removal unregisters them first).
 * Wakes the waiters when it queued any, since a host edge consumed here
 * is no longer visible on the host fd they block on; but not the outer
 * epolls when one of them is polling this one right now (outer_scan), or
 * it would see the same edge twice.
 *
 * Bounded: the host reports a level-triggered item again on every
 * epoll_wait while it is ready (at the back of its list, after those it
 * has not reported yet), so "until fewer than a full batch" never ends
 * with a full batch of ready items. One round over the interest list
 * (nitems reports) reaches every ready item once.
 */
static void ep_drain_host(struct eventpoll *ep, bool outer_scan)
{
	struct epoll_event hev[64];
	bool queued = false;
	int n, seen = 0;
	do {
		n = epoll_wait(ep->host_epfd, hev, (int)ARRAY_SIZE(hev), 0);
		if (n <= 0)
			break;
		seen += n;
		pthread_mutex_lock(&ep->lock);
		for (int i = 0; i < n; i++) {
			struct epitem *epi = hev[i].data.ptr;
			if ((epi->events & ~EP_PRIVATE_BITS) && ep_queue_locked(ep, epi))
				queued = true;
		}
		pthread_mutex_unlock(&ep->lock);
	} while (n == (int)ARRAY_SIZE(hev) && seen < ep->nitems);
	if (queued && outer_scan)
		waitqueue_notify(&ep->wq, LINUX_POLLIN);
	else if (queued)
		ep_wake(ep);
}

static uint32_t ep_readiness_depth(struct eventpoll *ep, int depth);

/* The item's events that hold now (Linux's ep_item_poll). Under ep->mtx. */
static uint32_t ep_item_poll(struct epitem *epi, int depth)
{
	struct file *f = epi->file;
	uint32_t r = 0;
	if (epi->tep) {
		r = ep_readiness_depth(epi->tep, depth + 1);
	} else {
		if (f->ops->readiness)
			r = f->ops->readiness(f, epi->events | LINUX_POLLERR | LINUX_POLLHUP);
		if (epi->host_fd >= 0) {
			struct pollfd p = { .fd = epi->host_fd,
				            .events = (short)(epi->events & 0xffff) };
			if (poll(&p, 1, 0) > 0)
				r |= (uint16_t)p.revents;
		}
	}
	return r & epi->events;
}

/* A scan's start and end (Linux's ep_start_scan, ep_done_scan). Under ep->mtx. */
static void ep_start_scan(struct eventpoll *ep, struct list_head *txlist)
{
	list_init(txlist);
	pthread_mutex_lock(&ep->lock);
	list_splice_init_front(&ep->rdllist, txlist);
	ep->scanning = true;
	pthread_mutex_unlock(&ep->lock);
}

static void ep_done_scan(struct eventpoll *ep, struct list_head *txlist)
{
	pthread_mutex_lock(&ep->lock);
	ep->scanning = false;
	struct epitem *epi, *tmp;
	list_for_each_entry_safe (epi, tmp, &ep->ovflist, ovflink) {
		list_del(&epi->ovflink);
		if (list_empty(&epi->rdllink))
			list_add_tail(&epi->rdllink, &ep->rdllist);
	}
	/* What the scan did not reach goes back in front. */
	list_splice_init_front(txlist, &ep->rdllist);
	pthread_mutex_unlock(&ep->lock);
}

/* Takes epi off a scan's list. */
static void ep_unqueue(struct eventpoll *ep, struct epitem *epi)
{
	pthread_mutex_lock(&ep->lock);
	list_del(&epi->rdllink);
	pthread_mutex_unlock(&ep->lock);
}

/*
 * The instance's own readiness (Linux's __ep_eventpoll_poll): readable
 * when an item on its ready list has events; items found without any are
 * dropped from the list.
 */
static uint32_t ep_readiness_depth(struct eventpoll *ep, int depth)
{
	struct list_head txlist;
	uint32_t res = 0;
	pthread_mutex_lock(&ep->mtx);
	ep_drain_host(ep, depth > 0);
	ep_start_scan(ep, &txlist);
	struct epitem *epi, *tmp;
	list_for_each_entry_safe (epi, tmp, &txlist, rdllink) {
		if (ep_item_poll(epi, depth)) {
			res = LINUX_POLLIN | LINUX_POLLRDNORM;
			break;
		}
		ep_unqueue(ep, epi);
	}
	ep_done_scan(ep, &txlist);
	pthread_mutex_unlock(&ep->mtx);
	return res;
}

/*
 * Reports up to max ready events into out (Linux's ep_send_events). max 0
 * means the caller's buffer is not writable: -EFAULT when an event is
 * ready (left ready), else 0. Under ep->mtx.
 */
static int ep_send_events(struct eventpoll *ep, struct linux_epoll_event *out, int max)
{
	struct list_head txlist;
	int res = 0;
	ep_drain_host(ep, false);
	ep_start_scan(ep, &txlist);
	struct epitem *epi, *tmp;
	list_for_each_entry_safe (epi, tmp, &txlist, rdllink) {
		if (res >= max && max > 0)
			break;
		ep_unqueue(ep, epi);
		uint32_t revents = ep_item_poll(epi, 0);
		if (!revents) {
			/* A host one-shot that fired spuriously: arm it again. */
			if (epi->host_fd >= 0 && (epi->events & LINUX_EPOLLONESHOT))
				host_ctl(ep, EPOLL_CTL_MOD, epi);
			continue;
		}
		if (max == 0) {
			pthread_mutex_lock(&ep->lock);
			list_add(&epi->rdllink, &txlist);
			pthread_mutex_unlock(&ep->lock);
			res = -EFAULT;
			break;
		}
		out[res++] = (struct linux_epoll_event){ .events = revents, .data = epi->data };
		pthread_mutex_lock(&ep->lock);
		if (epi->events & LINUX_EPOLLONESHOT)
			epi->events &= EP_PRIVATE_BITS;
		else if (!(epi->events & LINUX_EPOLLET))
			list_add_tail(&epi->rdllink, &ep->rdllist);
		pthread_mutex_unlock(&ep->lock);
	}
	ep_done_scan(ep, &txlist);
	return res;
}

/* ---- The interest list ---- */

static int item_cmp(const struct file *f1, int fd1, const struct epitem *epi)
{
	if (f1 != epi->file)
		return (uintptr_t)f1 < (uintptr_t)epi->file ? -1 : 1;
	return fd1 < epi->fd ? -1 : fd1 > epi->fd;
}

static struct epitem *ep_find(struct eventpoll *ep, const struct file *f, int fd)
{
	struct rb_node *n = ep->items.node;
	while (n) {
		struct epitem *epi = rb_entry(n, struct epitem, rbn);
		int c = item_cmp(f, fd, epi);
		if (c == 0)
			return epi;
		n = c < 0 ? n->left : n->right;
	}
	return NULL;
}

static void ep_rb_insert(struct eventpoll *ep, struct epitem *epi)
{
	struct rb_node **link = &ep->items.node, *parent = NULL;
	while (*link) {
		parent = *link;
		int c = item_cmp(epi->file, epi->fd, rb_entry(parent, struct epitem, rbn));
		link = c < 0 ? &parent->left : &parent->right;
	}
	rb_link_node(&epi->rbn, parent, link);
	rb_insert_fixup(&ep->items, &epi->rbn);
}

/*
 * Removes epi (Linux's __ep_remove). Returns false, leaving it, when its
 * file is being released and will remove it itself (unless force: the
 * release path). The caller holds ep->mtx and, on true, drops the item's
 * reference to ep.
 */
static bool ep_remove(struct eventpoll *ep, struct epitem *epi, bool force)
{
	if (!file_watch_remove(epi->file, &epi->watch, force))
		return false;
	/* After this, no callback for epi runs or will run. */
	if (epi->wq)
		waitqueue_remove(epi->wq, &epi->w);
	if (epi->host_fd >= 0) {
		host_ctl(ep, EPOLL_CTL_DEL, epi);
		close(epi->host_fd);
	}
	rb_erase(&ep->items, &epi->rbn);
	ep->nitems--;
	pthread_mutex_lock(&ep->lock);
	list_del(&epi->rdllink);
	list_del(&epi->ovflink);
	pthread_mutex_unlock(&ep->lock);
	free(epi);
	return true;
}

/* The watched file's last reference is gone (Linux's eventpoll_release_file). */
static void ep_item_file_released(struct file_watch *w, struct file *f)
{
	(void)f;
	struct epitem *epi = container_of(w, struct epitem, watch);
	struct eventpoll *ep = epi->ep; /* alive: the item holds a reference */
	pthread_mutex_lock(&ep->mtx);
	ep_remove(ep, epi, true);
	pthread_mutex_unlock(&ep->mtx);
	ep_put(ep);
}

/*
 * How deep the epolls under ep go (Linux's ep_loop_check_proc), or more
 * than EP_MAX_NESTS when inserting_into is among them (a loop). Under
 * g_nested_mu.
 */
static int ep_loop_check_down(struct eventpoll *ep, struct eventpoll *inserting_into, int depth)
{
	if (ep->gen == g_loop_gen)
		return ep->loop_depth;
	int result = 0;
	pthread_mutex_lock(&ep->mtx);
	ep->gen = g_loop_gen;
	for (struct rb_node *n = rb_first(&ep->items); n; n = rb_next(n)) {
		struct epitem *epi = rb_entry(n, struct epitem, rbn);
		if (!epi->tep)
			continue;
		if (epi->tep == inserting_into || depth > EP_MAX_NESTS) {
			result = EP_MAX_NESTS + 1;
		} else {
			int d = ep_loop_check_down(epi->tep, inserting_into, depth + 1) + 1;
			result = MAX(result, d);
		}
		if (result > EP_MAX_NESTS)
			break;
	}
	pthread_mutex_unlock(&ep->mtx);
	ep->loop_depth = result;
	return result;
}

/* How many epolls above ep at most (Linux's ep_get_upwards_depth_proc). Under g_nested_mu. */
static int ep_upwards_depth(struct eventpoll *ep)
{
	if (ep->gen == g_loop_gen)
		return ep->loop_depth;
	int result = 0;
	struct file *f = &ep->base;
	pthread_mutex_lock(&f->watch_mu);
	struct file_watch *w;
	list_for_each_entry (w, &f->watches, link) {
		if (w->release != ep_item_file_released)
			continue;
		struct epitem *epi = container_of(w, struct epitem, watch);
		result = MAX(result, ep_upwards_depth(epi->ep) + 1);
	}
	pthread_mutex_unlock(&f->watch_mu);
	ep->gen = g_loop_gen;
	ep->loop_depth = result;
	return result;
}

/* Would adding epoll `to` to ep make a loop or a chain longer than Linux allows? */
static bool ep_loop_check(struct eventpoll *ep, struct eventpoll *to)
{
	g_loop_gen++;
	int depth = ep_loop_check_down(to, ep, 0);
	if (depth > EP_MAX_NESTS)
		return true;
	int up = ep_upwards_depth(ep);
	return depth + 1 + up > EP_MAX_NESTS;
}

static int ep_insert(struct eventpoll *ep, const struct linux_epoll_event *ev, struct file *tf,
                     int fd)
{
	struct epitem *epi = calloc(1, sizeof(*epi));
	if (!epi)
		return -ENOMEM;
	epi->ep = ep;
	epi->file = tf;
	epi->fd = fd;
	epi->events = ev->events;
	epi->data = ev->data;
	epi->host_fd = -1;
	list_init(&epi->rdllink);
	list_init(&epi->ovflink);
	if (file_is_epoll(tf)) {
		epi->tep = to_ep(tf);
		epi->wq = &epi->tep->poll_wait;
		epi->host_fd = fcntl(epi->tep->host_epfd, F_DUPFD_CLOEXEC, 0);
	} else {
		if (tf->ops->readiness && tf->ops->wait_queue)
			epi->wq = tf->ops->wait_queue(tf);
		if (tf->ops->poll_host_fd)
			epi->host_fd = fcntl(tf->ops->poll_host_fd(tf), F_DUPFD_CLOEXEC, 0);
	}
	if ((epi->tep || tf->ops->poll_host_fd) && epi->host_fd < 0) {
		int err = -errno;
		free(epi);
		return err;
	}
	if (epi->host_fd >= 0) {
		/* The host says whether it can be polled: EPERM for a regular file, as Linux. */
		int err = host_ctl(ep, EPOLL_CTL_ADD, epi);
		if (err < 0) {
			close(epi->host_fd);
			free(epi);
			return err;
		}
	}
	ep_rb_insert(ep, epi);
	ep->nitems++;
	atomic_fetch_add(&ep->refs, 1);
	epi->watch.release = ep_item_file_released;
	file_watch_add(tf, &epi->watch);
	if (epi->wq) {
		waiter_init_fn(&epi->w, ep_wake_fn, epi, WAIT_EVENTS_ALL);
		epi->w.exclusive = (epi->events & LINUX_EPOLLEXCLUSIVE) != 0;
		waitqueue_add(epi->wq, &epi->w);
	}
	/* Ready already: on the ready list now (host files: the host epoll reports them). */
	if (epi->wq && ep_item_poll(epi, 1)) {
		pthread_mutex_lock(&ep->lock);
		ep_queue_locked(ep, epi);
		pthread_mutex_unlock(&ep->lock);
		ep_wake(ep);
	}
	return 0;
}

static int ep_modify(struct eventpoll *ep, struct epitem *epi, const struct linux_epoll_event *ev)
{
	pthread_mutex_lock(&ep->lock);
	epi->events = ev->events;
	epi->data = ev->data;
	pthread_mutex_unlock(&ep->lock);
	if (epi->host_fd >= 0) {
		int err = host_ctl(ep, EPOLL_CTL_MOD, epi);
		if (err < 0)
			return err;
	}
	if (epi->wq && ep_item_poll(epi, 1)) {
		pthread_mutex_lock(&ep->lock);
		ep_queue_locked(ep, epi);
		pthread_mutex_unlock(&ep->lock);
		ep_wake(ep);
	}
	return 0;
}

int epoll_ctl_file(struct file *epf, int op, struct file *tf, int fd,
                   const struct linux_epoll_event *ev)
{
	struct eventpoll *ep = to_ep(epf);
	struct linux_epoll_event e = ev ? *ev : (struct linux_epoll_event){ 0 };
	/* Adding an epoll: check for loops and depth first, with the graph held still. */
	bool nested = op == LINUX_EPOLL_CTL_ADD && file_is_epoll(tf);
	if (nested) {
		pthread_mutex_lock(&g_nested_mu);
		if (ep_loop_check(ep, to_ep(tf))) {
			pthread_mutex_unlock(&g_nested_mu);
			return -ELOOP;
		}
	}
	pthread_mutex_lock(&ep->mtx);
	struct epitem *epi = ep_find(ep, tf, fd);
	int err = -EINVAL;
	switch (op) {
	case LINUX_EPOLL_CTL_ADD:
		if (epi) {
			err = -EEXIST;
			break;
		}
		e.events |= LINUX_EPOLLERR | LINUX_EPOLLHUP;
		err = ep_insert(ep, &e, tf, fd);
		break;
	case LINUX_EPOLL_CTL_DEL:
		if (!epi) {
			err = -ENOENT;
			break;
		}
		/* The caller holds a reference to tf: the item is not dying. */
		if (ep_remove(ep, epi, false))
			ep_put(ep); /* not the last: the caller's file holds one */
		err = 0;
		break;
	case LINUX_EPOLL_CTL_MOD:
		if (!epi) {
			err = -ENOENT;
			break;
		}
		/* An exclusive item cannot be modified. */
		if (epi->events & LINUX_EPOLLEXCLUSIVE)
			break;
		e.events |= LINUX_EPOLLERR | LINUX_EPOLLHUP;
		err = ep_modify(ep, epi, &e);
		break;
	}
	pthread_mutex_unlock(&ep->mtx);
	if (nested)
		pthread_mutex_unlock(&g_nested_mu);
	return err;
}

long epoll_wait_file(struct task *t, struct file *epf, uaddr_t uevents, int maxevents,
                     const struct timespec *deadline, bool nonblock)
{
	struct eventpoll *ep = to_ep(epf);
	uint64_t bytes = (uint64_t)maxevents * sizeof(struct linux_epoll_event);
	/* Events are written only where the caller can take them; none: EFAULT when ready. */
	int max = (int)(mm_access_prefix(t->mm, uevents, bytes, LINUX_PROT_WRITE) /
	                sizeof(struct linux_epoll_event));
	struct waiter w;
	waiter_init_task(&w, t, WAIT_EVENTS_ALL);
	waitqueue_add(&ep->wq, &w);
	pthread_mutex_lock(&ep->lock);
	ep->nwaiters++;
	pthread_mutex_unlock(&ep->lock);
	struct linux_epoll_event *buf = NULL;
	long res;
	int err = 0;
	for (;;) {
		pthread_mutex_lock(&ep->mtx);
		int want = MIN(max, ep->nitems);
		res = 0;
		if (want > 0 || max == 0) {
			free(buf);
			buf = want > 0 ? calloc((size_t)want, sizeof(*buf)) : NULL;
			res = want > 0 && !buf ? -ENOMEM : ep_send_events(ep, buf, want);
		}
		pthread_mutex_unlock(&ep->mtx);
		if (res > 0 && mm_copy_out(t->mm, uevents, buf, (size_t)res * sizeof(*buf)) < 0)
			res = -EFAULT;
		if (res != 0 || nonblock)
			break;
		if (err == -ETIMEDOUT || err == -EINTR) {
			res = err == -EINTR ? -EINTR : 0;
			break;
		}
		if (err < 0) {
			res = err;
			break;
		}
		struct pollfd hp = { .fd = ep->host_epfd, .events = POLLIN };
		err = task_block(t, deadline, &hp, 1);
	}
	free(buf);
	pthread_mutex_lock(&ep->lock);
	ep->nwaiters--;
	pthread_mutex_unlock(&ep->lock);
	waitqueue_remove(&ep->wq, &w);
	return res;
}

/* ---- The epoll file ---- */

static uint32_t ep_readiness(struct file *f, uint32_t mask)
{
	return ep_readiness_depth(to_ep(f), 0) & (mask | LINUX_POLLERR | LINUX_POLLHUP);
}

static struct waitqueue *ep_wait_queue(struct file *f)
{
	return &to_ep(f)->poll_wait;
}

static int ep_poll_host_fd(struct file *f)
{
	return to_ep(f)->host_epfd;
}

/* The epoll file's last reference (Linux's ep_clear_and_put). */
static void ep_release(struct file *f)
{
	struct eventpoll *ep = to_ep(f);
	int dropped = 0;
	pthread_mutex_lock(&ep->mtx);
	struct rb_node *n = rb_first(&ep->items);
	while (n) {
		struct rb_node *next = rb_next(n);
		/* A dying item's file is removing it: that path drops its reference. */
		if (ep_remove(ep, rb_entry(n, struct epitem, rbn), false))
			dropped++;
		n = next;
	}
	pthread_mutex_unlock(&ep->mtx);
	atomic_fetch_sub(&ep->refs, dropped);
	ep_put(ep);
}

static const struct file_ops g_epoll_ops = {
	.anon_name = "[eventpoll]",
	.llseek = anon_llseek,
	.stat = anon_stat,
	.release = ep_release,
	.poll_host_fd = ep_poll_host_fd,
	.readiness = ep_readiness,
	.wait_queue = ep_wait_queue,
};

int epoll_new(struct file **out)
{
	struct eventpoll *ep = calloc(1, sizeof(*ep));
	if (!ep)
		return -ENOMEM;
	ep->host_epfd = epoll_create1(EPOLL_CLOEXEC);
	if (ep->host_epfd < 0) {
		int err = -errno;
		free(ep);
		return err;
	}
	atomic_init(&ep->refs, 1);
	pthread_mutex_init(&ep->mtx, NULL);
	pthread_mutex_init(&ep->lock, NULL);
	ep->items = RB_ROOT;
	list_init(&ep->rdllist);
	list_init(&ep->ovflist);
	waitqueue_init(&ep->wq);
	waitqueue_init(&ep->poll_wait);
	file_init(&ep->base, &g_epoll_ops, LINUX_O_RDWR);
	*out = &ep->base;
	return 0;
}
