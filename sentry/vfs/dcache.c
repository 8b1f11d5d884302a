/*
 * The dentry cache: every dentry with a parent is findable by (parent,
 * name) in one hash table while it is hashed. Dentries nobody uses stay
 * cached on an LRU list, so a repeated walk of a path costs no file
 * system call (for the gofer: no round trip); beyond DCACHE_MAX_UNUSED
 * the oldest unused ones are freed, and with them their inode references
 * (for the gofer: the host fds the gofer holds for them).
 *
 * Lock order: g_dcache_mu is a leaf. It is never held across a file
 * system call or an inode_put: freed dentries are collected under it and
 * released after it is dropped.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "sentry/vfs/fsnotify.h"
#include "sentry/vfs/vfs_internal.h"

#define DCACHE_MAX_UNUSED  16384
#define DCACHE_MIN_BUCKETS 1024

static pthread_mutex_t g_dcache_mu = PTHREAD_MUTEX_INITIALIZER;
/* Protected by g_dcache_mu. */
static struct dentry **g_buckets;
static size_t g_nbuckets;
static size_t g_nhashed;
static struct list_head g_lru = LIST_HEAD_INIT(g_lru);
static size_t g_nunused;

static size_t hash_name(const struct dentry *parent, const char *name)
{
	uint64_t h = 1469598103934665603ULL ^ (uint64_t)(uintptr_t)parent;
	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		h = (h ^ *p) * 1099511628211ULL;
	return (size_t)(h ^ (h >> 29));
}

static void hash_insert_locked(struct dentry *d)
{
	size_t b = hash_name(d->parent, d->name) & (g_nbuckets - 1);
	d->hash_next = g_buckets[b];
	g_buckets[b] = d;
	d->hashed = true;
	g_nhashed++;
}

static void hash_remove_locked(struct dentry *d)
{
	size_t b = hash_name(d->parent, d->name) & (g_nbuckets - 1);
	for (struct dentry **pp = &g_buckets[b]; *pp; pp = &(*pp)->hash_next) {
		if (*pp == d) {
			*pp = d->hash_next;
			break;
		}
	}
	d->hash_next = NULL;
	d->hashed = false;
	g_nhashed--;
}

/* Grows the table to keep chains short; failure to grow only costs speed. */
static void hash_maybe_grow_locked(void)
{
	if (g_nbuckets && g_nhashed < g_nbuckets)
		return;
	size_t n = g_nbuckets ? g_nbuckets * 2 : DCACHE_MIN_BUCKETS;
	struct dentry **nb = calloc(n, sizeof(*nb));
	if (!nb)
		return;
	struct dentry **old = g_buckets;
	size_t oldn = g_nbuckets;
	g_buckets = nb;
	g_nbuckets = n;
	for (size_t i = 0; i < oldn; i++) {
		struct dentry *d = old[i];
		while (d) {
			struct dentry *next = d->hash_next;
			size_t b = hash_name(d->parent, d->name) & (n - 1);
			d->hash_next = nb[b];
			nb[b] = d;
			d = next;
		}
	}
	free(old);
}

static struct dentry *hash_find_locked(struct dentry *parent, const char *name)
{
	if (!g_nbuckets)
		return NULL;
	size_t b = hash_name(parent, name) & (g_nbuckets - 1);
	for (struct dentry *d = g_buckets[b]; d; d = d->hash_next) {
		if (d->parent == parent && strcmp(d->name, name) == 0)
			return d;
	}
	return NULL;
}

static void lru_remove_locked(struct dentry *d)
{
	if (d->on_lru) {
		list_del(&d->lru);
		d->on_lru = false;
		g_nunused--;
	}
}

static struct dentry *dentry_alloc(struct superblock *sb, const char *name, struct inode *inode)
{
	struct dentry *d = calloc(1, sizeof(*d));
	char *copy = strdup(name);
	if (!d || !copy) {
		free(d);
		free(copy);
		return NULL;
	}
	atomic_init(&d->refs, 1);
	d->name = copy;
	d->sb = sb;
	d->inode = inode;
	list_init(&d->lru);
	list_init(&d->children);
	list_init(&d->child_link);
	list_init(&d->sb_link);
	atomic_init(&d->mounted, 0);
	return d;
}

/*
 * Detaches d (refs 0, unhashed, off the LRU) from its parent's and its
 * superblock's lists; dentry_free then drops its parent reference.
 * Preconditions: g_dcache_mu held.
 */
static void dentry_unlink_locked(struct dentry *d)
{
	list_del(&d->child_link);
	list_del(&d->sb_link);
}

static void dentry_free(struct dentry *d)
{
	struct dentry *parent = d->parent;
	fsnotify_dentry_free(d);
	if (d->inode)
		inode_put(d->inode);
	free(d->name);
	free(d);
	if (parent)
		dentry_put(parent);
}

struct dentry *vfs_dentry_new_root(struct superblock *sb, struct inode *inode)
{
	struct dentry *d = dentry_alloc(sb, "/", inode);
	if (!d) {
		inode_put(inode);
		return NULL;
	}
	pthread_mutex_lock(&g_dcache_mu);
	list_add_tail(&d->sb_link, &sb->dentries);
	pthread_mutex_unlock(&g_dcache_mu);
	return d;
}

struct dentry *dentry_get(struct dentry *d)
{
	int old = atomic_fetch_add(&d->refs, 1);
	BUG_ON(old <= 0);
	return d;
}

/* Frees unused dentries beyond the cap; returns them in a list to free unlocked. */
static void lru_trim_locked(struct list_head *victims)
{
	while (g_nunused > DCACHE_MAX_UNUSED) {
		struct dentry *d = list_entry(g_lru.prev, struct dentry, lru);
		lru_remove_locked(d);
		if (d->hashed)
			hash_remove_locked(d);
		dentry_unlink_locked(d);
		list_add(&d->lru, victims);
	}
}

static void free_victims(struct list_head *victims)
{
	struct dentry *d, *n;
	list_for_each_entry_safe (d, n, victims, lru) {
		list_del(&d->lru);
		dentry_free(d);
	}
}

void dentry_put(struct dentry *d)
{
	int old = atomic_fetch_sub(&d->refs, 1);
	BUG_ON(old <= 0);
	if (old != 1)
		return;
	struct list_head victims;
	list_init(&victims);
	pthread_mutex_lock(&g_dcache_mu);
	if (atomic_load(&d->refs) != 0 || d->on_lru) {
		/* Revived by a lookup, or already cached by a racing put. */
		pthread_mutex_unlock(&g_dcache_mu);
		return;
	}
	if (d->hashed && !(d->flags & DENTRY_NOCACHE)) {
		list_add(&d->lru, &g_lru);
		d->on_lru = true;
		g_nunused++;
		lru_trim_locked(&victims);
		pthread_mutex_unlock(&g_dcache_mu);
		free_victims(&victims);
		return;
	}
	if (d->hashed)
		hash_remove_locked(d);
	dentry_unlink_locked(d);
	pthread_mutex_unlock(&g_dcache_mu);
	dentry_free(d);
}

struct dentry *dcache_lookup(struct dentry *parent, const char *name)
{
	pthread_mutex_lock(&g_dcache_mu);
	struct dentry *d = hash_find_locked(parent, name);
	if (d) {
		if (atomic_fetch_add(&d->refs, 1) == 0)
			lru_remove_locked(d);
	}
	pthread_mutex_unlock(&g_dcache_mu);
	return d;
}

struct dentry *dcache_add(struct dentry *parent, const char *name, struct inode *inode,
                          bool replace)
{
	struct dentry *d = dentry_alloc(parent->sb, name, inode);
	if (!d) {
		if (inode)
			inode_put(inode);
		return NULL;
	}
	struct list_head victims;
	list_init(&victims);
	pthread_mutex_lock(&g_dcache_mu);
	struct dentry *old = hash_find_locked(parent, name);
	if (old && !replace) {
		if (atomic_fetch_add(&old->refs, 1) == 0)
			lru_remove_locked(old);
		pthread_mutex_unlock(&g_dcache_mu);
		d->inode = NULL;
		free(d->name);
		free(d);
		if (inode)
			inode_put(inode);
		return old;
	}
	if (old) {
		hash_remove_locked(old);
		if (atomic_load(&old->refs) == 0) {
			lru_remove_locked(old);
			dentry_unlink_locked(old);
			list_add(&old->lru, &victims);
		}
	}
	d->parent = dentry_get(parent);
	d->flags = parent->flags & DENTRY_NOCACHE;
	if (parent->sb->flags & SB_NOCACHE)
		d->flags |= DENTRY_NOCACHE;
	list_add_tail(&d->child_link, &parent->children);
	list_add_tail(&d->sb_link, &parent->sb->dentries);
	hash_maybe_grow_locked();
	hash_insert_locked(d);
	pthread_mutex_unlock(&g_dcache_mu);
	free_victims(&victims);
	return d;
}

void dcache_unhash(struct dentry *d)
{
	pthread_mutex_lock(&g_dcache_mu);
	if (d->hashed)
		hash_remove_locked(d);
	d->unlinked = true;
	pthread_mutex_unlock(&g_dcache_mu);
}

bool dentry_unlinked(struct dentry *d)
{
	pthread_mutex_lock(&g_dcache_mu);
	bool u = d->unlinked;
	pthread_mutex_unlock(&g_dcache_mu);
	return u;
}

void dcache_move(struct dentry *d, struct dentry *newparent, const char *newname)
{
	char *copy = strdup(newname);
	struct list_head victims;
	list_init(&victims);
	pthread_mutex_lock(&g_dcache_mu);
	struct dentry *victim = hash_find_locked(newparent, newname);
	if (victim && victim != d) {
		hash_remove_locked(victim);
		victim->unlinked = true;
		if (atomic_load(&victim->refs) == 0) {
			lru_remove_locked(victim);
			dentry_unlink_locked(victim);
			list_add(&victim->lru, &victims);
		}
	}
	bool was_hashed = d->hashed;
	if (was_hashed)
		hash_remove_locked(d);
	struct dentry *oldparent = d->parent;
	if (!copy) {
		/* Without memory for the name, forget d: the next walk asks the fs. */
		d->unlinked = false;
		pthread_mutex_unlock(&g_dcache_mu);
		free_victims(&victims);
		return;
	}
	free(d->name);
	d->name = copy;
	if (oldparent != newparent) {
		d->parent = dentry_get(newparent);
		list_del(&d->child_link);
		list_add_tail(&d->child_link, &newparent->children);
	}
	hash_maybe_grow_locked();
	hash_insert_locked(d);
	pthread_mutex_unlock(&g_dcache_mu);
	if (oldparent != newparent)
		dentry_put(oldparent);
	free_victims(&victims);
}

void dcache_exchange(struct dentry *a, struct dentry *b)
{
	pthread_mutex_lock(&g_dcache_mu);
	if (a->hashed)
		hash_remove_locked(a);
	if (b->hashed)
		hash_remove_locked(b);
	struct dentry *pa = a->parent, *pb = b->parent;
	char *na = a->name;
	a->name = b->name;
	b->name = na;
	a->parent = pb;
	b->parent = pa;
	list_del(&a->child_link);
	list_del(&b->child_link);
	list_add_tail(&a->child_link, &pb->children);
	list_add_tail(&b->child_link, &pa->children);
	hash_insert_locked(a);
	hash_insert_locked(b);
	pthread_mutex_unlock(&g_dcache_mu);
}

bool dentry_is_ancestor(struct dentry *anc, struct dentry *d)
{
	pthread_mutex_lock(&g_dcache_mu);
	bool found = false;
	for (struct dentry *p = d; p; p = p->parent) {
		if (p == anc) {
			found = true;
			break;
		}
	}
	pthread_mutex_unlock(&g_dcache_mu);
	return found;
}

struct dentry *dentry_parent(struct dentry *d)
{
	pthread_mutex_lock(&g_dcache_mu);
	struct dentry *p = d->parent ? d->parent : d;
	atomic_fetch_add(&p->refs, 1);
	pthread_mutex_unlock(&g_dcache_mu);
	return p;
}

void dentry_name(struct dentry *d, char *buf)
{
	pthread_mutex_lock(&g_dcache_mu);
	size_t n = strlen(d->name);
	if (n > LINUX_NAME_MAX)
		n = LINUX_NAME_MAX;
	memcpy(buf, d->name, n);
	buf[n] = '\0';
	pthread_mutex_unlock(&g_dcache_mu);
}

/* Unhashes the unused subtree below dir; collects freeable dentries. */
static void prune_locked(struct dentry *dir, struct list_head *victims)
{
	struct dentry *c, *n;
	list_for_each_entry_safe (c, n, &dir->children, child_link) {
		prune_locked(c, victims);
		if (atomic_load(&c->refs) == 0 && list_empty(&c->children)) {
			lru_remove_locked(c);
			if (c->hashed)
				hash_remove_locked(c);
			dentry_unlink_locked(c);
			list_add(&c->lru, victims);
		}
	}
}

void dentry_prune_children(struct dentry *dir)
{
	struct list_head victims;
	list_init(&victims);
	pthread_mutex_lock(&g_dcache_mu);
	prune_locked(dir, &victims);
	pthread_mutex_unlock(&g_dcache_mu);
	/* Freeing a child drops its parent's reference, which may free the parent too. */
	free_victims(&victims);
}

void superblock_shutdown(struct superblock *sb)
{
	struct dentry *root = sb->root;
	sb->root = NULL;
	if (!root)
		return;
	struct list_head victims;
	list_init(&victims);
	pthread_mutex_lock(&g_dcache_mu);
	/*
	 * Nothing of sb may stay cached: unhash everything, free what is
	 * unused now (dentries with children are in use by them), and let the
	 * rest be freed as the children go.
	 */
	struct dentry *d, *n;
	list_for_each_entry_safe (d, n, &sb->dentries, sb_link) {
		d->flags |= DENTRY_NOCACHE;
		if (d->hashed)
			hash_remove_locked(d);
		if (atomic_load(&d->refs) == 0) {
			lru_remove_locked(d);
			dentry_unlink_locked(d);
			list_add(&d->lru, &victims);
		}
	}
	pthread_mutex_unlock(&g_dcache_mu);
	free_victims(&victims);
	dentry_put(root);
}
