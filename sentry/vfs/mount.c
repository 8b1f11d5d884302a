/*
 * Mounts and the mount namespace: which superblock shows where.
 *
 * A mount holds references on its parent mount, its mountpoint dentry,
 * its root dentry and its superblock. The namespace holds one reference
 * on every attached mount. Few mounts exist, so finding the mount on a
 * dentry is a scan of the namespace's list, done only for dentries whose
 * `mounted` count is not zero.
 *
 * Lock order: mount_ns.mu > g_dcache_mu.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "sentry/vfs/vfs_internal.h"

static struct mount *mount_alloc(struct mount_ns *ns, struct superblock *sb, struct dentry *root,
                                 unsigned flags, const char *source)
{
	struct mount *m = calloc(1, sizeof(*m));
	char *src = strdup(source ? source : "none");
	if (!m || !src) {
		free(m);
		free(src);
		return NULL;
	}
	atomic_init(&m->refs, 1);
	m->ns = ns;
	m->root = dentry_get(root);
	superblock_get(sb);
	m->flags = flags;
	m->source = src;
	list_init(&m->ns_link);
	return m;
}

struct mount *mount_get(struct mount *m)
{
	int old = atomic_fetch_add(&m->refs, 1);
	BUG_ON(old <= 0);
	return m;
}

void mount_put(struct mount *m)
{
	int old = atomic_fetch_sub(&m->refs, 1);
	BUG_ON(old <= 0);
	if (old != 1)
		return;
	BUG_ON(m->attached);
	struct superblock *sb = m->root->sb;
	dentry_put(m->root);
	superblock_put(sb);
	free(m->source);
	free(m);
}

int mount_ns_new(struct superblock *sb, unsigned mnt_flags, const char *source,
                 struct mount_ns **out)
{
	struct mount_ns *ns = calloc(1, sizeof(*ns));
	if (!ns)
		return -ENOMEM;
	pthread_mutex_init(&ns->mu, NULL);
	list_init(&ns->mounts);
	ns->next_id = 1;
	struct mount *m = mount_alloc(ns, sb, sb->root, mnt_flags, source);
	if (!m) {
		free(ns);
		return -ENOMEM;
	}
	m->id = ns->next_id++;
	m->attached = true;
	list_add_tail(&m->ns_link, &ns->mounts);
	ns->root = m;
	*out = ns;
	return 0;
}

/* Takes m out of the tree. Returns what the caller must put. Preconditions: ns->mu held. */
static void detach_locked(struct mount *m, struct mount **out_parent, struct dentry **out_mp)
{
	list_del(&m->ns_link);
	m->attached = false;
	*out_parent = m->parent;
	*out_mp = m->mountpoint;
	if (m->mountpoint)
		atomic_fetch_sub(&m->mountpoint->mounted, 1);
	m->parent = NULL;
	m->mountpoint = NULL;
}

void mount_ns_destroy(struct mount_ns *ns)
{
	/* Children first: the list is in mount order, so walk it backwards. */
	for (;;) {
		pthread_mutex_lock(&ns->mu);
		if (list_empty(&ns->mounts)) {
			pthread_mutex_unlock(&ns->mu);
			break;
		}
		struct mount *m = list_entry(ns->mounts.prev, struct mount, ns_link);
		struct mount *parent;
		struct dentry *mp;
		detach_locked(m, &parent, &mp);
		pthread_mutex_unlock(&ns->mu);
		if (mp)
			dentry_put(mp);
		if (parent)
			mount_put(parent);
		mount_put(m);
	}
	pthread_mutex_destroy(&ns->mu);
	free(ns);
}

struct mount *mount_lookup_child(struct mount *m, struct dentry *d)
{
	if (atomic_load(&d->mounted) == 0)
		return NULL;
	struct mount_ns *ns = m->ns;
	struct mount *found = NULL, *c;
	pthread_mutex_lock(&ns->mu);
	/* The last mount on a place hides the earlier ones. */
	list_for_each_entry (c, &ns->mounts, ns_link) {
		if (c->parent == m && c->mountpoint == d)
			found = c;
	}
	if (found)
		mount_get(found);
	pthread_mutex_unlock(&ns->mu);
	return found;
}

bool mount_parent(struct mount *m, struct mount **out_parent, struct dentry **out_mp)
{
	struct mount_ns *ns = m->ns;
	pthread_mutex_lock(&ns->mu);
	bool has = m->parent != NULL;
	if (has) {
		*out_parent = mount_get(m->parent);
		*out_mp = dentry_get(m->mountpoint);
	}
	pthread_mutex_unlock(&ns->mu);
	return has;
}

int mount_attach(struct mount *parent, struct dentry *mountpoint, struct superblock *sb,
                 struct dentry *root, unsigned mnt_flags, const char *source)
{
	struct mount_ns *ns = parent->ns;
	struct mount *m = mount_alloc(ns, sb, root, mnt_flags, source);
	if (!m)
		return -ENOMEM;
	pthread_mutex_lock(&ns->mu);
	if (!parent->attached) {
		pthread_mutex_unlock(&ns->mu);
		m->attached = false;
		mount_put(m);
		return -ENOENT;
	}
	m->id = ns->next_id++;
	m->parent = mount_get(parent);
	m->mountpoint = dentry_get(mountpoint);
	atomic_fetch_add(&mountpoint->mounted, 1);
	m->attached = true;
	list_add_tail(&m->ns_link, &ns->mounts);
	pthread_mutex_unlock(&ns->mu);
	return 0;
}

/*
 * umount2(2) of the mount m (a reference held by the caller). Busy: other
 * references than the namespace's, the caller's and its children's, or
 * child mounts (unless MNT_DETACH, which detaches the whole subtree).
 * MNT_EXPIRE marks an unused mount and fails with EAGAIN; a second one
 * unmounts it if it is still unused (any use in between is not tracked).
 */
int mount_umount(struct mount *m, bool detach, bool expire)
{
	struct mount_ns *ns = m->ns;
	pthread_mutex_lock(&ns->mu);
	if (!m->attached || !m->parent) {
		pthread_mutex_unlock(&ns->mu);
		return -EINVAL;
	}
	int children = 0;
	struct mount *c;
	list_for_each_entry (c, &ns->mounts, ns_link) {
		if (c->parent == m)
			children++;
	}
	bool busy = children > 0 || atomic_load(&m->refs) > 2;
	if (expire && (busy || !m->expire_mark)) {
		m->expire_mark = !busy;
		pthread_mutex_unlock(&ns->mu);
		return -EAGAIN;
	}
	if (!detach && busy) {
		pthread_mutex_unlock(&ns->mu);
		return -EBUSY;
	}
	/* Detach m and, for MNT_DETACH, every mount below it (deepest first). */
	struct mount *put_mounts[64];
	struct dentry *put_dentries[64];
	int nput = 0;
	bool again = true;
	while (again && detach) {
		again = false;
		struct mount *n;
		list_for_each_entry_safe (c, n, &ns->mounts, ns_link) {
			bool below = false;
			for (struct mount *p = c->parent; p; p = p->parent) {
				if (p == m) {
					below = true;
					break;
				}
			}
			bool leaf = true;
			struct mount *x;
			list_for_each_entry (x, &ns->mounts, ns_link) {
				if (x->parent == c)
					leaf = false;
			}
			if (below && leaf && nput < 62) {
				struct mount *pp;
				struct dentry *mp;
				detach_locked(c, &pp, &mp);
				put_mounts[nput] = pp;
				put_dentries[nput] = mp;
				nput++;
				put_mounts[nput] = c;
				put_dentries[nput] = NULL;
				nput++;
				again = true;
				break;
			}
		}
	}
	struct mount *pp;
	struct dentry *mp;
	detach_locked(m, &pp, &mp);
	pthread_mutex_unlock(&ns->mu);
	for (int i = 0; i < nput; i++) {
		if (put_dentries[i])
			dentry_put(put_dentries[i]);
		if (put_mounts[i])
			mount_put(put_mounts[i]);
	}
	dentry_put(mp);
	mount_put(pp);
	mount_put(m); /* the namespace's reference */
	return 0;
}

/* Appends to buf as snprintf would, tracking the total length. */
static void append(char *buf, size_t size, size_t *len, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));
static void append(char *buf, size_t size, size_t *len, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(*len < size ? buf + *len : NULL, *len < size ? size - *len : 0, fmt, ap);
	va_end(ap);
	if (n > 0)
		*len += (size_t)n;
}

/* Writes s escaping space, tab, newline and backslash as /proc/mounts does. */
static void append_escaped(char *buf, size_t size, size_t *len, const char *s)
{
	for (; *s; s++) {
		if (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\\')
			append(buf, size, len, "\\%03o", (unsigned char)*s);
		else
			append(buf, size, len, "%c", *s);
	}
}

size_t mount_ns_format(struct mount_ns *ns, const struct mount *root_mnt,
                       const struct dentry *root_d, bool mountinfo, char *buf, size_t size)
{
	size_t len = 0;
	char path[LINUX_PATH_MAX];
	pthread_mutex_lock(&ns->mu);
	int nmounts = 0;
	struct mount *m;
	list_for_each_entry (m, &ns->mounts, ns_link)
		nmounts++;
	struct mount **ms = calloc((size_t)nmounts, sizeof(*ms));
	int i = 0;
	if (ms) {
		list_for_each_entry (m, &ns->mounts, ns_link)
			ms[i++] = mount_get(m);
	}
	pthread_mutex_unlock(&ns->mu);
	if (!ms)
		return 0;
	struct path root = { (struct mount *)root_mnt, (struct dentry *)root_d };
	for (i = 0; i < nmounts; i++) {
		m = ms[i];
		struct path p = { m, m->root };
		bool reachable;
		ssize_t n = vfs_path_string(&p, &root, path, sizeof(path), &reachable);
		if (n < 0 || !reachable)
			continue;
		const char *ro =
		        (m->flags & MNT_RDONLY) || (m->root->sb->flags & SB_RDONLY) ? "ro" : "rw";
		char opts[64];
		snprintf(opts, sizeof(opts), "%s%s%s%s%s", ro,
		         m->flags & MNT_NOSUID ? ",nosuid" : "",
		         m->flags & MNT_NODEV ? ",nodev" : "",
		         m->flags & MNT_NOEXEC ? ",noexec" : "",
		         m->flags & MNT_NOATIME ? ",noatime" : ",relatime");
		const char *sbopts = m->root->sb->options;
		if (mountinfo) {
			struct mount *parent;
			struct dentry *mp;
			int parent_id = m->id;
			if (mount_parent(m, &parent, &mp)) {
				parent_id = parent->id;
				dentry_put(mp);
				mount_put(parent);
			}
			/* The mount's root within its file system (a bind mount shows a
			 * subdirectory). */
			char rootpath[LINUX_PATH_MAX];
			if (dentry_path_raw(m->root, rootpath, sizeof(rootpath)) < 0)
				snprintf(rootpath, sizeof(rootpath), "/");
			append(buf, size, &len, "%d %d 0:%u ", m->id, parent_id, m->root->sb->dev);
			append_escaped(buf, size, &len, rootpath);
			append(buf, size, &len, " ");
			append_escaped(buf, size, &len, path);
			append(buf, size, &len, " %s - %s ", opts, m->root->sb->fs_name);
			append_escaped(buf, size, &len, m->source);
			append(buf, size, &len, " %s%s%s\n", ro, sbopts ? "," : "",
			       sbopts ? sbopts : "");
		} else {
			append_escaped(buf, size, &len, m->source);
			append(buf, size, &len, " ");
			append_escaped(buf, size, &len, path);
			append(buf, size, &len, " %s %s%s%s 0 0\n", m->root->sb->fs_name, opts,
			       sbopts ? "," : "", sbopts ? sbopts : "");
		}
	}
	for (i = 0; i < nmounts; i++)
		mount_put(ms[i]);
	free(ms);
	return len;
}
