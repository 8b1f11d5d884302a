/*
 * File system notifications: marks on inodes and the events the VFS
 * hooks report to them (see fsnotify.h).
 *
 * One lock, g_fsnotify_mu, protects every connector and mark (and, in
 * inotify.c, the watch tables): events are rare next to reads and
 * writes, and a hook that finds no mark never takes it. A connector
 * emptied under the lock is queued and freed (with its inode reference)
 * by fsnotify_unlock, after the lock is dropped: the last inode_put of an
 * inode calls its file system.
 */
#include "sentry/vfs/fsnotify.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

#include "common/abi/linux/misc.h"
#include "common/util.h"
#include "sentry/vfs/file.h"
#include "sentry/vfs/vfs.h"

/* The marks of one inode. */
struct fsnotify_conn {
	struct inode *inode;    /* a reference */
	struct list_head marks; /* struct fsnotify_mark.link */
	struct list_head link;  /* in g_conns, then in g_dead_conns */
};

atomic_long g_fsnotify_nmarks;

static pthread_mutex_t g_fsnotify_mu = PTHREAD_MUTEX_INITIALIZER;
/* Protected by g_fsnotify_mu. */
static struct list_head g_conns = LIST_HEAD_INIT(g_conns);
static struct list_head g_dead_conns = LIST_HEAD_INIT(g_dead_conns);

/* Linux's fsnotify_sync_cookie: one per rename, never 0. */
static atomic_uint g_cookie;

void fsnotify_lock(void)
{
	pthread_mutex_lock(&g_fsnotify_mu);
}

void fsnotify_unlock(void)
{
	struct list_head dead;
	list_init(&dead);
	while (!list_empty(&g_dead_conns)) {
		struct fsnotify_conn *c =
		        list_first_entry(&g_dead_conns, struct fsnotify_conn, link);
		list_del(&c->link);
		list_add_tail(&c->link, &dead);
	}
	pthread_mutex_unlock(&g_fsnotify_mu);
	struct fsnotify_conn *c, *n;
	list_for_each_entry_safe (c, n, &dead, link) {
		inode_put(c->inode);
		free(c);
	}
}

static struct fsnotify_conn *conn_of(struct inode *inode)
{
	return atomic_load_explicit(&inode->fsnotify, memory_order_acquire);
}

struct fsnotify_mark *fsnotify_find_mark_locked(struct inode *inode, const void *owner)
{
	struct fsnotify_conn *c = conn_of(inode);
	if (!c)
		return NULL;
	struct fsnotify_mark *m;
	list_for_each_entry (m, &c->marks, link) {
		if (m->owner == owner)
			return m;
	}
	return NULL;
}

int fsnotify_add_mark_locked(struct inode *inode, struct fsnotify_mark *m)
{
	struct fsnotify_conn *c = conn_of(inode);
	if (!c) {
		c = calloc(1, sizeof(*c));
		if (!c)
			return -ENOMEM;
		c->inode = inode_get(inode);
		list_init(&c->marks);
		list_add_tail(&c->link, &g_conns);
		atomic_store_explicit(&inode->fsnotify, c, memory_order_release);
	}
	m->inode = inode;
	list_add_tail(&m->link, &c->marks);
	atomic_fetch_add(&g_fsnotify_nmarks, 1);
	return 0;
}

/* Retires inode's connector once it has no mark left. Preconditions: lock held. */
static void conn_maybe_free_locked(struct inode *inode)
{
	struct fsnotify_conn *c = conn_of(inode);
	if (!c || !list_empty(&c->marks))
		return;
	atomic_store_explicit(&inode->fsnotify, NULL, memory_order_release);
	list_del(&c->link);
	list_add_tail(&c->link, &g_dead_conns);
}

void fsnotify_remove_mark_locked(struct fsnotify_mark *m)
{
	struct inode *inode = m->inode;
	list_del(&m->link);
	m->inode = NULL;
	atomic_fetch_sub(&g_fsnotify_nmarks, 1);
	conn_maybe_free_locked(inode);
}

/* Detaches m for fsnotify's own reasons and tells its owner. Preconditions: lock held. */
static void detach_locked(struct fsnotify_mark *m)
{
	list_del(&m->link);
	m->inode = NULL;
	atomic_fetch_sub(&g_fsnotify_nmarks, 1);
	m->ops->detached(m);
}

/*
 * Reports an event to inode's marks that asked for it (IN_UNMOUNT: to
 * all). Preconditions: lock held.
 */
static void send_locked(struct inode *inode, uint32_t mask, uint32_t cookie, const char *name,
                        bool unlinked)
{
	struct fsnotify_conn *c = inode ? conn_of(inode) : NULL;
	if (!c)
		return;
	struct fsnotify_mark *m, *n;
	list_for_each_entry_safe (m, n, &c->marks, link) {
		if (!(m->mask & mask & LINUX_IN_ALL_EVENTS) && !(mask & LINUX_IN_UNMOUNT))
			continue;
		if (m->ops->event(m, mask, cookie, name, unlinked))
			detach_locked(m);
	}
	conn_maybe_free_locked(inode);
}

/* Detaches every mark of inode (deletion, unmount). Preconditions: lock held. */
static void detach_all_locked(struct inode *inode)
{
	struct fsnotify_conn *c = conn_of(inode);
	if (!c)
		return;
	struct fsnotify_mark *m, *n;
	list_for_each_entry_safe (m, n, &c->marks, link)
		detach_locked(m);
	conn_maybe_free_locked(inode);
}

static uint32_t isdir_bit(struct inode *inode)
{
	return inode_is_dir(inode) ? LINUX_IN_ISDIR : 0;
}

static bool watched(struct inode *inode)
{
	return inode && conn_of(inode) != NULL;
}

/*
 * An event on the object of d (inode): to inode's marks, and to the
 * marks of d's parent directory with d's name (Linux's fsnotify_parent).
 * path_event: the event came through an open file (IN_EXCL_UNLINK
 * applies).
 */
static void report_child(struct dentry *d, struct inode *inode, uint32_t mask, bool path_event)
{
	mask |= isdir_bit(inode);
	struct dentry *parent = d ? dentry_parent(d) : NULL;
	struct inode *dir = parent && parent != d ? parent->inode : NULL;
	bool dir_watched = watched(dir);
	if (dir_watched || watched(inode)) {
		char name[LINUX_NAME_MAX + 1];
		if (dir_watched)
			dentry_name(d, name);
		bool unlinked = path_event && d && dentry_unlinked(d);
		fsnotify_lock();
		if (dir_watched)
			send_locked(dir, mask, 0, name, unlinked);
		send_locked(inode, mask, 0, NULL, unlinked);
		fsnotify_unlock();
	}
	if (parent)
		dentry_put(parent);
}

/* An event on inode alone, no parent (Linux's fsnotify_inode). */
static void report_inode(struct inode *inode, uint32_t mask)
{
	if (!watched(inode))
		return;
	fsnotify_lock();
	send_locked(inode, mask | isdir_bit(inode), 0, NULL, false);
	fsnotify_unlock();
}

void fsnotify_file_slow(struct file *f, uint32_t mask)
{
	if (!f->fsnotify || !f->inode || (atomic_load(&f->flags) & LINUX_O_PATH))
		return;
	report_child(f->path.d, f->inode, mask, true);
}

void fsnotify_close_slow(struct file *f)
{
	unsigned flags = atomic_load(&f->flags);
	bool wrote = (flags & LINUX_O_ACCMODE) == LINUX_O_WRONLY ||
	             (flags & LINUX_O_ACCMODE) == LINUX_O_RDWR;
	fsnotify_file_slow(f, wrote ? LINUX_IN_CLOSE_WRITE : LINUX_IN_CLOSE_NOWRITE);
}

void fsnotify_dentry_slow(struct dentry *d, uint32_t mask)
{
	if (d && d->inode)
		report_child(d, d->inode, mask, false);
}

/* Linux's fsnotify_change: which events a setattr makes. */
void fsnotify_change_slow(struct dentry *d, unsigned a)
{
	uint32_t mask = 0;
	if (a & (VFS_ATTR_UID | VFS_ATTR_GID | VFS_ATTR_MODE))
		mask |= LINUX_IN_ATTRIB;
	if (a & VFS_ATTR_SIZE)
		mask |= LINUX_IN_MODIFY;
	bool atime = a & (VFS_ATTR_ATIME | VFS_ATTR_ATIME_NOW);
	bool mtime = a & (VFS_ATTR_MTIME | VFS_ATTR_MTIME_NOW);
	if (atime && mtime)
		mask |= LINUX_IN_ATTRIB; /* both times: a utimes call */
	else if (atime)
		mask |= LINUX_IN_ACCESS;
	else if (mtime)
		mask |= LINUX_IN_MODIFY;
	if (mask)
		fsnotify_dentry_slow(d, mask);
}

void fsnotify_name_slow(struct inode *dir, uint32_t mask, const char *name)
{
	if (!watched(dir))
		return;
	fsnotify_lock();
	send_locked(dir, mask, 0, name, false);
	fsnotify_unlock();
}

void fsnotify_link_count_slow(struct inode *inode)
{
	report_inode(inode, LINUX_IN_ATTRIB);
}

/* Linux's fsnotify_link: the inode's link count, then the new name. */
void fsnotify_link_slow(struct inode *dir, const char *name, struct inode *target)
{
	report_inode(target, LINUX_IN_ATTRIB);
	fsnotify_name_slow(dir, LINUX_IN_CREATE, name);
}

/* Linux's fsnotify_move. */
void fsnotify_move_slow(struct inode *olddir, const char *oldname, struct inode *newdir,
                        const char *newname, struct inode *moved, struct inode *target)
{
	uint32_t cookie = atomic_fetch_add(&g_cookie, 1) + 1;
	if (cookie == 0)
		cookie = atomic_fetch_add(&g_cookie, 1) + 1;
	uint32_t isdir = isdir_bit(moved);
	fsnotify_lock();
	send_locked(olddir, LINUX_IN_MOVED_FROM | isdir, cookie, oldname, false);
	send_locked(newdir, LINUX_IN_MOVED_TO | isdir, cookie, newname, false);
	fsnotify_unlock();
	if (target)
		report_inode(target, LINUX_IN_ATTRIB);
	report_inode(moved, LINUX_IN_MOVE_SELF);
}

/*
 * Linux's dentry_unlink_inode: a dentry that was removed from its
 * directory lets go of an inode with no name left: IN_DELETE_SELF, and
 * every mark goes (IN_IGNORED).
 */
void fsnotify_dentry_free_slow(struct dentry *d)
{
	struct inode *inode = d->inode;
	if (!inode || !d->unlinked || !watched(inode))
		return;
	/*
	 * nlink is read without inode.mu, which dentry_put's callers may
	 * hold: a name can only come back by linkat(2) of an O_TMPFILE file.
	 */
	if (__atomic_load_n(&inode->nlink, __ATOMIC_RELAXED) != 0)
		return;
	fsnotify_lock();
	send_locked(inode, LINUX_IN_DELETE_SELF | isdir_bit(inode), 0, NULL, false);
	detach_all_locked(inode);
	fsnotify_unlock();
}

/* Linux's fsnotify_sb_delete: IN_UNMOUNT, then IN_IGNORED, for each watched inode of sb. */
void fsnotify_sb_delete_slow(struct superblock *sb)
{
	fsnotify_lock();
	struct fsnotify_conn *c, *n;
	list_for_each_entry_safe (c, n, &g_conns, link) {
		struct inode *inode = c->inode;
		if (inode->sb != sb)
			continue;
		send_locked(inode, LINUX_IN_UNMOUNT | isdir_bit(inode), 0, NULL, false);
		detach_all_locked(inode);
	}
	fsnotify_unlock();
}
