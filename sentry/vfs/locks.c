/* Advisory file locks: see locks.h. */
#include "sentry/vfs/locks.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

#include "common/list.h"
#include "common/log.h"
#include "sentry/vfs/file.h"
#include "sentry/vfs/vfs.h"

struct file_lock {
	struct list_head link;
	const void *owner;
	int pid;
	bool ofd;
	int type;           /* LINUX_F_RDLCK or LINUX_F_WRLCK */
	int64_t start, end; /* inclusive */
};

/* The lock state of one inode; all of it is protected by inode->mu. */
struct file_locks {
	struct list_head posix; /* POSIX and OFD locks */
	struct list_head flock;
	pthread_cond_t changed; /* broadcast when a lock goes or shrinks */
	int waiters;
};

static struct file_locks *locks_new(void)
{
	struct file_locks *ls = calloc(1, sizeof(*ls));
	if (!ls)
		return NULL;
	list_init(&ls->posix);
	list_init(&ls->flock);
	pthread_cond_init(&ls->changed, NULL);
	return ls;
}

/* Frees the state once no lock and no waiter needs it. Preconditions: inode->mu held. */
static void locks_maybe_free(struct inode *inode)
{
	struct file_locks *ls = inode->locks;
	if (!ls || ls->waiters > 0 || !list_empty(&ls->posix) || !list_empty(&ls->flock))
		return;
	pthread_cond_destroy(&ls->changed);
	free(ls);
	inode->locks = NULL;
}

/* Wakes the waiters after a lock went or shrank. Preconditions: inode->mu held. */
static void locks_wake(struct file_locks *ls)
{
	if (ls->waiters > 0)
		pthread_cond_broadcast(&ls->changed);
}

/* Blocks until the state changes. Preconditions: inode->mu held. */
static void locks_wait(struct inode *inode, struct file_locks *ls)
{
	ls->waiters++;
	pthread_cond_wait(&ls->changed, &inode->mu);
	ls->waiters--;
}

static bool ranges_overlap(int64_t s1, int64_t e1, int64_t s2, int64_t e2)
{
	return s1 <= e2 && s2 <= e1;
}

/* Linux's posix_locks_conflict: another owner, overlapping, one of them a write lock. */
static bool posix_conflicts(const struct file_lock *l, const struct posix_lock *req)
{
	if (l->owner == req->owner)
		return false;
	if (l->type != LINUX_F_WRLCK && req->type != LINUX_F_WRLCK)
		return false;
	return ranges_overlap(l->start, l->end, req->start, req->end);
}

static struct file_lock *posix_find_conflict(struct file_locks *ls, const struct posix_lock *req)
{
	struct file_lock *l;
	list_for_each_entry (l, &ls->posix, link) {
		if (posix_conflicts(l, req))
			return l;
	}
	return NULL;
}

void locks_posix_test(struct inode *inode, struct posix_lock *req)
{
	pthread_mutex_lock(&inode->mu);
	struct file_locks *ls = inode->locks;
	struct file_lock *found = NULL, *l;
	if (ls) {
		list_for_each_entry (l, &ls->posix, link) {
			bool hit = req->type == LINUX_F_UNLCK
			                   ? l->owner == req->owner &&
			                             ranges_overlap(l->start, l->end, req->start,
			                                            req->end)
			                   : posix_conflicts(l, req);
			if (hit) {
				found = l;
				break;
			}
		}
	}
	if (found) {
		req->type = found->type;
		req->start = found->start;
		req->end = found->end;
		req->ofd = found->ofd;
		req->pid = found->ofd ? -1 : found->pid;
	} else {
		req->type = LINUX_F_UNLCK;
	}
	pthread_mutex_unlock(&inode->mu);
}

/*
 * Adds l where Linux keeps it: an owner's locks stay together, in the
 * order of their starts (so F_GETLK reports the lowest conflicting range
 * of the first owner in the list). Preconditions: inode->mu held.
 */
static void posix_insert(struct file_locks *ls, struct file_lock *add)
{
	struct list_head *after = ls->posix.prev; /* a new owner goes last */
	struct file_lock *l;
	list_for_each_entry (l, &ls->posix, link) {
		if (l->owner != add->owner)
			continue;
		if (l->start > add->start) {
			after = l->link.prev;
			break;
		}
		after = &l->link;
	}
	list_add(&add->link, after);
}

/*
 * Linux's posix_lock_inode once no conflict remains: replaces what the
 * owner holds in the request's range. spare is a free record for the far
 * part of a split, taken (set to NULL) when used; add the new lock's
 * record (NULL for F_UNLCK). Returns whether a lock went or shrank.
 * Preconditions: inode->mu held.
 */
static bool posix_apply(struct file_locks *ls, const struct posix_lock *req,
                        struct file_lock **spare, struct file_lock *add)
{
	int64_t start = req->start, end = req->end;
	bool shrank = false;
	struct file_lock *l, *tmp;
	list_for_each_entry_safe (l, tmp, &ls->posix, link) {
		if (l->owner != req->owner)
			continue;
		if (add && l->type == req->type) {
			/* Same type: absorb it when it overlaps or touches the new lock. */
			if (l->end < start - 1 || l->start - 1 > end)
				continue;
			start = MIN(start, l->start);
			end = MAX(end, l->end);
			list_del(&l->link);
			free(l);
			continue;
		}
		/*
		 * Another type, or an unlock: keep the parts outside the request.
		 * (The owner's locks are disjoint, so the merged range above
		 * covers nothing of these beyond the request.)
		 */
		if (!ranges_overlap(l->start, l->end, req->start, req->end))
			continue;
		shrank = true;
		if (l->start < req->start && l->end > req->end) {
			struct file_lock *far = *spare;
			*spare = NULL;
			*far = *l;
			far->start = req->end + 1;
			list_add(&far->link, &l->link);
			l->end = req->start - 1;
		} else if (l->start < req->start) {
			l->end = req->start - 1;
		} else if (l->end > req->end) {
			l->start = req->end + 1;
		} else {
			list_del(&l->link);
			free(l);
		}
	}
	if (add) {
		*add = (struct file_lock){ .owner = req->owner,
			                   .pid = req->pid,
			                   .ofd = req->ofd,
			                   .type = req->type,
			                   .start = start,
			                   .end = end };
		posix_insert(ls, add);
	}
	return shrank;
}

int locks_posix_set(struct inode *inode, const struct posix_lock *req, bool wait)
{
	bool unlock = req->type == LINUX_F_UNLCK;
	/* Allocated up front: the new lock, and the far part of a split. */
	struct file_lock *add = unlock ? NULL : malloc(sizeof(*add));
	struct file_lock *spare = malloc(sizeof(*spare));
	int err = 0;
	if ((!unlock && !add) || !spare) {
		err = -ENOLCK;
		goto out_free;
	}
	pthread_mutex_lock(&inode->mu);
	struct file_locks *ls = inode->locks;
	if (!ls) {
		if (unlock)
			goto out_unlock;
		ls = inode->locks = locks_new();
		if (!ls) {
			err = -ENOLCK;
			goto out_unlock;
		}
	}
	while (!unlock && posix_find_conflict(ls, req)) {
		if (!wait) {
			err = -EAGAIN;
			goto out_unlock;
		}
		locks_wait(inode, ls);
	}
	if (posix_apply(ls, req, &spare, add))
		locks_wake(ls);
	add = NULL;
out_unlock:
	locks_maybe_free(inode);
	pthread_mutex_unlock(&inode->mu);
out_free:
	free(add);
	free(spare);
	return err;
}

int locks_flock(struct inode *inode, const void *owner, int type, bool wait)
{
	bool unlock = type == LINUX_F_UNLCK;
	struct file_lock *add = unlock ? NULL : malloc(sizeof(*add));
	if (!unlock && !add)
		return -ENOLCK;
	int err = 0;
	pthread_mutex_lock(&inode->mu);
	struct file_locks *ls = inode->locks;
	if (!ls) {
		if (unlock)
			goto out_unlock;
		ls = inode->locks = locks_new();
		if (!ls) {
			err = -ENOLCK;
			goto out_unlock;
		}
	}
	/* Linux's flock_lock_inode: the file's own lock first. */
	struct file_lock *l, *tmp;
	list_for_each_entry_safe (l, tmp, &ls->flock, link) {
		if (l->owner != owner)
			continue;
		if (l->type == type)
			goto out_unlock; /* already held */
		list_del(&l->link);
		free(l);
		locks_wake(ls);
		break;
	}
	if (unlock)
		goto out_unlock;
	for (;;) {
		bool conflict = false;
		list_for_each_entry (l, &ls->flock, link) {
			if (l->owner != owner &&
			    (l->type == LINUX_F_WRLCK || type == LINUX_F_WRLCK)) {
				conflict = true;
				break;
			}
		}
		if (!conflict)
			break;
		if (!wait) {
			err = -EAGAIN;
			goto out_unlock;
		}
		locks_wait(inode, ls);
	}
	*add = (struct file_lock){ .owner = owner, .type = type, .end = LOCKS_OFFSET_MAX };
	list_add_tail(&add->link, &ls->flock);
	add = NULL;
out_unlock:
	locks_maybe_free(inode);
	pthread_mutex_unlock(&inode->mu);
	free(add);
	return err;
}

/* Drops owner's locks from list; returns whether any went. Preconditions: inode->mu held. */
static bool remove_owned(struct list_head *list, const void *owner)
{
	bool any = false;
	struct file_lock *l, *tmp;
	list_for_each_entry_safe (l, tmp, list, link) {
		if (l->owner == owner) {
			list_del(&l->link);
			free(l);
			any = true;
		}
	}
	return any;
}

void locks_remove_posix(struct inode *inode, const void *owner)
{
	if (!inode)
		return;
	pthread_mutex_lock(&inode->mu);
	struct file_locks *ls = inode->locks;
	if (ls && remove_owned(&ls->posix, owner))
		locks_wake(ls);
	locks_maybe_free(inode);
	pthread_mutex_unlock(&inode->mu);
}

void locks_remove_file(struct file *f)
{
	struct inode *inode = f->inode;
	if (!inode)
		return;
	pthread_mutex_lock(&inode->mu);
	struct file_locks *ls = inode->locks;
	if (ls) {
		bool any = remove_owned(&ls->posix, f);
		any |= remove_owned(&ls->flock, f);
		if (any)
			locks_wake(ls);
	}
	locks_maybe_free(inode);
	pthread_mutex_unlock(&inode->mu);
}

void locks_inode_free(struct inode *inode)
{
	struct file_locks *ls = inode->locks;
	if (!ls)
		return;
	/* No file of the inode is open any more: nobody holds or waits for a lock. */
	BUG_ON(ls->waiters > 0);
	struct file_lock *l, *tmp;
	list_for_each_entry_safe (l, tmp, &ls->posix, link)
		free(l);
	list_for_each_entry_safe (l, tmp, &ls->flock, link)
		free(l);
	pthread_cond_destroy(&ls->changed);
	free(ls);
	inode->locks = NULL;
}
