/*
 * inotify instances (Linux's fs/notify/inotify/): an anonymous file
 * ("anon_inode:inotify") holding watches and a queue of events.
 *
 * A watch is an fsnotify mark (sentry/vfs/fsnotify.h) on one inode, with
 * its watch descriptor: one watch per instance and inode, so adding a
 * watch on an inode already watched (by any of its names) updates it
 * and returns the same wd. Watch descriptors are allocated cyclically
 * from 1 (Linux's idr_alloc_cyclic): a removed one is not reused soon.
 * The watches of an instance, and the per-user counts behind the
 * max_user_watches (ENOSPC) and max_user_instances (EMFILE) limits, are
 * under the fsnotify lock, as marks are.
 *
 * The queue (under the instance's mu) holds at most
 * max_queued_events (16384) events; the next one becomes a single
 * IN_Q_OVERFLOW (wd -1) at the end of the queue, as an event that cannot
 * be allocated does. An event identical to the last one queued (same wd,
 * mask, cookie-free, same name) is dropped, as Linux's inotify_merge.
 *
 * read(2) returns whole struct inotify_event records, each followed by
 * its name NUL-padded to a multiple of 16 bytes (len counts the padding;
 * 0 without a name); EINVAL when the buffer cannot hold the first one. It
 * waits (interruptible, ERESTARTSYS) while the queue is empty, unless the
 * file is non-blocking (EAGAIN). POLLIN while the queue is not empty;
 * FIONREAD gives the bytes a read would return for the whole queue.
 */
#include "sentry/fsimpl/anon/anon.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "common/abi/linux/errno.h"
#include "common/abi/linux/inotify.h"
#include "sentry/fsimpl/kernfs/proc.h" /* task_current */
#include "sentry/fsimpl/pipe/pipe.h"   /* LINUX_FIONREAD */
#include "sentry/kernel/task.h"
#include "sentry/kernel/waitqueue.h"
#include "sentry/mm/mm.h"
#include "sentry/vfs/file.h"
#include "sentry/vfs/fsnotify.h"

/* One queued event; name is NUL-terminated, name_len its strlen (0: no name). */
struct inotify_item {
	struct list_head link;
	int32_t wd;
	uint32_t mask, cookie;
	uint32_t name_len;
	char name[];
};

/* A user's instances and watches (Linux's ucounts), under the fsnotify lock. Never freed. */
struct inotify_user {
	struct inotify_user *next;
	uint32_t uid;
	int instances;
	long watches;
};

struct inotify {
	struct file base;
	struct inotify_user *user; /* charged for this instance and its watches */
	/* Under the fsnotify lock. */
	struct list_head watches; /* struct inotify_watch.link */
	int32_t next_wd;
	bool wd_wrapped; /* next_wd went round: check that a wd is free before taking it */
	/* Under mu. */
	pthread_mutex_t mu;
	struct list_head queue;        /* struct inotify_item.link */
	size_t qlen;                   /* events queued, the overflow one included */
	size_t bytes;                  /* what reading the whole queue returns (FIONREAD) */
	struct inotify_item *overflow; /* IN_Q_OVERFLOW, queued at most once */
	bool overflow_queued;
	struct waitqueue wq;
};

struct inotify_watch {
	struct fsnotify_mark mark;
	struct inotify *in;
	int32_t wd;
	struct list_head link; /* in in->watches */
};

static struct inotify_user *g_users; /* under the fsnotify lock */

static const struct file_ops g_inotify_ops;

static struct inotify *to_in(struct file *f)
{
	return container_of(f, struct inotify, base);
}

bool file_is_inotify(const struct file *f)
{
	return f->ops == &g_inotify_ops;
}

/* The counts of uid, made on first use; NULL without memory. Preconditions: fsnotify lock. */
static struct inotify_user *user_locked(uint32_t uid)
{
	for (struct inotify_user *u = g_users; u; u = u->next) {
		if (u->uid == uid)
			return u;
	}
	struct inotify_user *u = calloc(1, sizeof(*u));
	if (!u)
		return NULL;
	u->uid = uid;
	u->next = g_users;
	g_users = u;
	return u;
}

/* The bytes an item takes in a read: the record and the name rounded up (round_event_name_len). */
static size_t item_size(const struct inotify_item *it)
{
	size_t rec = sizeof(struct linux_inotify_event);
	if (!it->name_len)
		return rec;
	return rec + ((size_t)it->name_len + 1 + rec - 1) / rec * rec;
}

/* Linux's event_compare: the same as the last event queued (never after IN_IGNORED). */
static bool same_as_last_locked(struct inotify *in, int32_t wd, uint32_t mask, const char *name,
                                size_t nlen)
{
	if (list_empty(&in->queue))
		return false;
	struct inotify_item *last = list_entry(in->queue.prev, struct inotify_item, link);
	if (last->mask & LINUX_IN_IGNORED)
		return false;
	return last->mask == mask && last->wd == wd && last->name_len == nlen &&
	       (!nlen || strcmp(last->name, name) == 0);
}

/* Queues an event (Linux's fsnotify_add_event with inotify_merge) and wakes the readers. */
static void queue_event(struct inotify *in, int32_t wd, uint32_t mask, uint32_t cookie,
                        const char *name)
{
	size_t nlen = name ? strlen(name) : 0;
	pthread_mutex_lock(&in->mu);
	struct inotify_item *it = NULL;
	if (in->qlen >= LINUX_INOTIFY_MAX_QUEUED_EVENTS) {
		if (in->overflow_queued) {
			pthread_mutex_unlock(&in->mu);
			return;
		}
	} else if (same_as_last_locked(in, wd, mask, name, nlen)) {
		pthread_mutex_unlock(&in->mu);
		return;
	} else {
		it = malloc(sizeof(*it) + nlen + 1);
	}
	if (it) {
		*it = (struct inotify_item){
			.wd = wd, .mask = mask, .cookie = cookie, .name_len = (uint32_t)nlen
		};
		memcpy(it->name, nlen ? name : "", nlen + 1);
	} else if (!in->overflow_queued) {
		/* A full queue, or no memory: the event is lost, and the reader is told. */
		it = in->overflow;
		in->overflow_queued = true;
	} else {
		pthread_mutex_unlock(&in->mu);
		return;
	}
	list_add_tail(&it->link, &in->queue);
	in->qlen++;
	in->bytes += item_size(it);
	pthread_mutex_unlock(&in->mu);
	waitqueue_notify(&in->wq, LINUX_POLLIN | LINUX_POLLRDNORM);
}

/* ---- Watches (marks) ---- */

static struct inotify_watch *to_watch(struct fsnotify_mark *m)
{
	return container_of(m, struct inotify_watch, mark);
}

static bool watch_event(struct fsnotify_mark *m, uint32_t mask, uint32_t cookie, const char *name,
                        bool unlinked)
{
	struct inotify_watch *w = to_watch(m);
	if ((m->mask & LINUX_IN_EXCL_UNLINK) && unlinked)
		return false;
	/* inotify never reported IN_ISDIR with these (inotify_handle_inode_event). */
	if (mask & (LINUX_IN_MOVE_SELF | LINUX_IN_DELETE_SELF))
		mask &= ~LINUX_IN_ISDIR;
	queue_event(w->in, w->wd, mask, cookie, name);
	return (m->mask & LINUX_IN_ONESHOT) != 0;
}

/* The watch is gone: IN_IGNORED, and it is forgotten. Preconditions: fsnotify lock. */
static void watch_free_locked(struct inotify_watch *w)
{
	queue_event(w->in, w->wd, LINUX_IN_IGNORED, 0, NULL);
	list_del(&w->link);
	w->in->user->watches--;
	free(w);
}

static void watch_detached(struct fsnotify_mark *m)
{
	watch_free_locked(to_watch(m));
}

static const struct fsnotify_mark_ops g_watch_ops = {
	.event = watch_event,
	.detached = watch_detached,
};

static struct inotify_watch *find_wd_locked(struct inotify *in, int32_t wd)
{
	struct inotify_watch *w;
	list_for_each_entry (w, &in->watches, link) {
		if (w->wd == wd)
			return w;
	}
	return NULL;
}

/* The next free watch descriptor, cyclically from 1. Preconditions: fsnotify lock. */
static int32_t alloc_wd_locked(struct inotify *in)
{
	for (;;) {
		int32_t wd = in->next_wd;
		if (in->next_wd == INT32_MAX) {
			in->next_wd = 1;
			in->wd_wrapped = true;
		} else {
			in->next_wd++;
		}
		if (!in->wd_wrapped || !find_wd_locked(in, wd))
			return wd;
	}
}

int inotify_add_watch_file(struct file *f, struct inode *inode, uint32_t arg)
{
	struct inotify *in = to_in(f);
	/* The events, and the flags that stay with the watch (inotify_arg_to_mask). */
	uint32_t mask = arg & (LINUX_IN_ALL_EVENTS | LINUX_IN_ONESHOT | LINUX_IN_EXCL_UNLINK);
	int ret;
	fsnotify_lock();
	struct fsnotify_mark *m = fsnotify_find_mark_locked(inode, in);
	if (m) {
		/* inotify_update_existing_watch */
		if (arg & LINUX_IN_MASK_CREATE) {
			ret = -EEXIST;
		} else {
			m->mask = (arg & LINUX_IN_MASK_ADD) ? (m->mask | mask) : mask;
			ret = to_watch(m)->wd;
		}
	} else if (in->user->watches >= LINUX_INOTIFY_MAX_USER_WATCHES) {
		ret = -ENOSPC;
	} else {
		struct inotify_watch *w = calloc(1, sizeof(*w));
		ret = w ? 0 : -ENOMEM;
		if (w) {
			w->mark = (struct fsnotify_mark){ .ops = &g_watch_ops,
				                          .owner = in,
				                          .mask = mask };
			w->in = in;
			ret = fsnotify_add_mark_locked(inode, &w->mark);
		}
		if (ret == 0) {
			w->wd = alloc_wd_locked(in);
			list_add_tail(&w->link, &in->watches);
			in->user->watches++;
			ret = w->wd;
		} else {
			free(w);
		}
	}
	fsnotify_unlock();
	return ret;
}

int inotify_rm_watch_file(struct file *f, int32_t wd)
{
	struct inotify *in = to_in(f);
	fsnotify_lock();
	struct inotify_watch *w = find_wd_locked(in, wd);
	if (w) {
		fsnotify_remove_mark_locked(&w->mark);
		watch_free_locked(w);
	}
	fsnotify_unlock();
	return w ? 0 : -EINVAL;
}

/* ---- The file ---- */

/*
 * Moves whole events into buf (len bytes). Returns the bytes, -EAGAIN
 * when the queue is empty, -EINVAL when the first event does not fit.
 */
static ssize_t take_events(struct inotify *in, char *buf, size_t len)
{
	size_t done = 0;
	pthread_mutex_lock(&in->mu);
	while (!list_empty(&in->queue)) {
		struct inotify_item *it = list_first_entry(&in->queue, struct inotify_item, link);
		size_t size = item_size(it);
		if (size > len - done)
			break;
		struct linux_inotify_event ev = { .wd = it->wd,
			                          .mask = it->mask,
			                          .cookie = it->cookie,
			                          .len = (uint32_t)(size - sizeof(ev)) };
		memcpy(buf + done, &ev, sizeof(ev));
		memset(buf + done + sizeof(ev), 0, ev.len);
		memcpy(buf + done + sizeof(ev), it->name, it->name_len);
		done += size;
		list_del(&it->link);
		in->qlen--;
		in->bytes -= size;
		if (it == in->overflow)
			in->overflow_queued = false;
		else
			free(it);
	}
	bool empty = list_empty(&in->queue);
	pthread_mutex_unlock(&in->mu);
	if (done)
		return (ssize_t)done;
	return empty ? -EAGAIN : -EINVAL;
}

static ssize_t inotify_read(struct file *f, void *buf, size_t len, int64_t off)
{
	(void)off;
	struct inotify *in = to_in(f);
	ssize_t ret = take_events(in, buf, len);
	struct task *t = task_current();
	if (ret != -EAGAIN || (atomic_load(&f->flags) & LINUX_O_NONBLOCK) || !t)
		return ret;
	struct waiter w;
	waiter_init_task(&w, t, LINUX_POLLIN);
	waitqueue_add(&in->wq, &w);
	for (;;) {
		ret = take_events(in, buf, len);
		if (ret != -EAGAIN)
			break;
		int err = task_block(t, NULL, NULL, 0);
		if (err < 0) {
			ret = err == -EINTR ? -LINUX_ERESTARTSYS : err;
			break;
		}
	}
	waitqueue_remove(&in->wq, &w);
	return ret;
}

static long inotify_ioctl(struct task *t, struct file *f, unsigned cmd, uint64_t arg)
{
	if (cmd != LINUX_FIONREAD)
		return -ENOTTY; /* INOTIFY_IOC_SETNEXTWD is for checkpoint/restore: not here */
	struct inotify *in = to_in(f);
	pthread_mutex_lock(&in->mu);
	int32_t n = (int32_t)MIN(in->bytes, (size_t)INT32_MAX);
	pthread_mutex_unlock(&in->mu);
	return mm_copy_out(t->mm, arg, &n, sizeof(n));
}

static uint32_t inotify_readiness(struct file *f, uint32_t mask)
{
	struct inotify *in = to_in(f);
	pthread_mutex_lock(&in->mu);
	bool ready = !list_empty(&in->queue);
	pthread_mutex_unlock(&in->mu);
	return ready ? (LINUX_POLLIN | LINUX_POLLRDNORM) & mask : 0;
}

static struct waitqueue *inotify_wait_queue(struct file *f)
{
	return &to_in(f)->wq;
}

static void inotify_release(struct file *f)
{
	struct inotify *in = to_in(f);
	fsnotify_lock();
	struct inotify_watch *w, *n;
	list_for_each_entry_safe (w, n, &in->watches, link) {
		fsnotify_remove_mark_locked(&w->mark);
		in->user->watches--;
		free(w);
	}
	in->user->instances--;
	fsnotify_unlock();
	struct inotify_item *it, *nit;
	list_for_each_entry_safe (it, nit, &in->queue, link) {
		if (it != in->overflow)
			free(it);
	}
	free(in->overflow);
	waitqueue_destroy(&in->wq);
	pthread_mutex_destroy(&in->mu);
	free(in);
}

static const struct file_ops g_inotify_ops = {
	.anon_name = "inotify",
	.read = inotify_read,
	.llseek = anon_llseek,
	.stat = anon_stat,
	.ioctl = inotify_ioctl,
	.release = inotify_release,
	.readiness = inotify_readiness,
	.wait_queue = inotify_wait_queue,
};

int inotify_new(uint32_t uid, unsigned flags, struct file **out)
{
	struct inotify *in = calloc(1, sizeof(*in));
	struct inotify_item *overflow = calloc(1, sizeof(*overflow) + 1);
	if (!in || !overflow) {
		free(in);
		free(overflow);
		return -ENOMEM;
	}
	fsnotify_lock();
	struct inotify_user *u = user_locked(uid);
	int err = !u ? -ENOMEM : u->instances >= LINUX_INOTIFY_MAX_USER_INSTANCES ? -EMFILE : 0;
	if (err == 0)
		u->instances++;
	fsnotify_unlock();
	if (err < 0) {
		free(in);
		free(overflow);
		return err;
	}
	in->user = u;
	list_init(&in->watches);
	in->next_wd = 1;
	pthread_mutex_init(&in->mu, NULL);
	list_init(&in->queue);
	overflow->wd = -1;
	overflow->mask = LINUX_IN_Q_OVERFLOW;
	in->overflow = overflow;
	waitqueue_init(&in->wq);
	file_init(&in->base, &g_inotify_ops, LINUX_O_RDONLY | (flags & LINUX_O_NONBLOCK));
	*out = &in->base;
	return 0;
}
