/*
 * tmpfs extended attributes, kept in memory as Linux's simple_xattr: the
 * trusted., security. and user. namespaces, whatever the VFS lets
 * through of them (it checks names, sizes and permissions). system.*
 * (POSIX ACLs) is EOPNOTSUPP, as on a kernel without
 * CONFIG_TMPFS_POSIX_ACL: storing ACLs without enforcing them would lie.
 * Each inode has a short list in the order the names were set, under its mu.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/abi/linux/errno.h"
#include "common/abi/linux/stat.h"
#include "sentry/fsimpl/tmpfs/tmpfs_impl.h"

struct tmpfs_xattr {
	struct tmpfs_xattr *next;
	size_t size; /* of the value */
	char *value; /* points into name's allocation, past the name */
	char name[];
};

static bool tmpfs_xattr_supported(const char *name)
{
	return strncmp(name, "user.", 5) == 0 || strncmp(name, "trusted.", 8) == 0 ||
	       strncmp(name, "security.", 9) == 0;
}

/* The link that points at name's entry, or at the list's end. Preconditions: mu held. */
static struct tmpfs_xattr **tmpfs_xattr_find(struct tmpfs_inode *ti, const char *name)
{
	struct tmpfs_xattr **link = &ti->xattrs;
	while (*link && strcmp((*link)->name, name) != 0)
		link = &(*link)->next;
	return link;
}

ssize_t tmpfs_getxattr(struct inode *inode, const char *name, void *buf, size_t size)
{
	struct tmpfs_inode *ti = tmpfs_inode_of(inode);
	ssize_t r;

	if (!tmpfs_xattr_supported(name))
		return -EOPNOTSUPP;
	pthread_mutex_lock(&inode->mu);
	struct tmpfs_xattr *x = *tmpfs_xattr_find(ti, name);
	if (!x) {
		r = -ENODATA;
	} else if (size == 0) {
		r = (ssize_t)x->size; /* the size query */
	} else if (x->size > size) {
		r = -ERANGE;
	} else {
		memcpy(buf, x->value, x->size);
		r = (ssize_t)x->size;
	}
	pthread_mutex_unlock(&inode->mu);
	return r;
}

int tmpfs_setxattr(struct inode *inode, const char *name, const void *value, size_t size, int flags)
{
	struct tmpfs_inode *ti = tmpfs_inode_of(inode);
	int r = 0;

	if (!tmpfs_xattr_supported(name))
		return -EOPNOTSUPP;
	size_t name_len = strlen(name);
	struct tmpfs_xattr *x = malloc(sizeof(*x) + name_len + 1 + size);
	if (!x)
		return -ENOMEM;
	memcpy(x->name, name, name_len + 1);
	x->value = x->name + name_len + 1;
	x->size = size;
	if (size)
		memcpy(x->value, value, size);

	pthread_mutex_lock(&inode->mu);
	struct tmpfs_xattr **link = tmpfs_xattr_find(ti, name);
	struct tmpfs_xattr *old = *link;
	if (old && (flags & LINUX_XATTR_CREATE)) {
		r = -EEXIST;
	} else if (!old && (flags & LINUX_XATTR_REPLACE)) {
		r = -ENODATA;
	} else {
		/* A replaced value keeps its place in the list. */
		x->next = old ? old->next : NULL;
		*link = x;
		tmpfs_touch_locked(ti, false);
		x = old;
	}
	pthread_mutex_unlock(&inode->mu);
	free(x); /* the old value, or the new one refused */
	return r;
}

ssize_t tmpfs_listxattr(struct inode *inode, char *buf, size_t size)
{
	struct tmpfs_inode *ti = tmpfs_inode_of(inode);
	size_t total = 0;
	ssize_t r;

	pthread_mutex_lock(&inode->mu);
	for (struct tmpfs_xattr *x = ti->xattrs; x; x = x->next)
		total += strlen(x->name) + 1;
	if (size == 0) {
		r = (ssize_t)total;
	} else if (total > size) {
		r = -ERANGE;
	} else {
		char *p = buf;
		for (struct tmpfs_xattr *x = ti->xattrs; x; x = x->next) {
			size_t n = strlen(x->name) + 1;
			memcpy(p, x->name, n);
			p += n;
		}
		r = (ssize_t)total;
	}
	pthread_mutex_unlock(&inode->mu);
	return r;
}

int tmpfs_removexattr(struct inode *inode, const char *name)
{
	struct tmpfs_inode *ti = tmpfs_inode_of(inode);

	if (!tmpfs_xattr_supported(name))
		return -EOPNOTSUPP;
	pthread_mutex_lock(&inode->mu);
	struct tmpfs_xattr **link = tmpfs_xattr_find(ti, name);
	struct tmpfs_xattr *x = *link;
	if (x) {
		*link = x->next;
		tmpfs_touch_locked(ti, false);
	}
	pthread_mutex_unlock(&inode->mu);
	if (!x)
		return -ENODATA;
	free(x);
	return 0;
}

void tmpfs_xattrs_free(struct tmpfs_inode *ti)
{
	struct tmpfs_xattr *x = ti->xattrs;
	while (x) {
		struct tmpfs_xattr *next = x->next;
		free(x);
		x = next;
	}
	ti->xattrs = NULL;
}
