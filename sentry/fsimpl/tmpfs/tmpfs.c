/*
 * tmpfs: mount options, the superblock and its limits, inode life, and
 * memfd_create(2). See tmpfs.h for the design and tmpfs_impl.h for the
 * locks.
 */
#include "sentry/fsimpl/tmpfs/tmpfs.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/abi/linux/errno.h"
#include "common/abi/linux/stat.h"
#include "common/log.h"
#include "sentry/fsimpl/tmpfs/tmpfs_impl.h"

#define TMPFS_DEFAULT_MODE (LINUX_S_ISVTX | 0777)
/* Linux's BOGO_INODE_SIZE: nr_inodes above ULONG_MAX / this are refused. */
#define TMPFS_BOGO_INODE_SIZE 1024

/* ---- Options (Linux's shmem_parse_one) ---- */

/* Linux's default size (shmem_default_max_blocks): half the RAM, in bytes. */
static uint64_t tmpfs_default_size(void)
{
	return host_ram_bytes() / PAGE_SIZE / 2 * PAGE_SIZE;
}

/* Linux's default nr_inodes on 64-bit (shmem_default_max_inodes): half the RAM's pages. */
static uint64_t tmpfs_default_inodes(void)
{
	return host_ram_bytes() / PAGE_SIZE / 2;
}

/*
 * A number as Linux's memparse reads it: C's bases (0x.., 0..) and an
 * optional k, m, g, t, p or e suffix (either case). *rest is what follows.
 * Returns 0, or -EINVAL when there is no number or it overflows.
 */
static int tmpfs_memparse(const char *s, uint64_t *out, const char **rest)
{
	if (*s < '0' || *s > '9')
		return -EINVAL; /* strtoull would take spaces and signs */
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 0);
	if (errno != 0)
		return -EINVAL;
	int shift = 0;
	switch (*end) {
	case 'E':
	case 'e':
		shift += 10;
		/* fallthrough */
	case 'P':
	case 'p':
		shift += 10;
		/* fallthrough */
	case 'T':
	case 't':
		shift += 10;
		/* fallthrough */
	case 'G':
	case 'g':
		shift += 10;
		/* fallthrough */
	case 'M':
	case 'm':
		shift += 10;
		/* fallthrough */
	case 'K':
	case 'k':
		shift += 10;
		end++;
		break;
	default:
		break;
	}
	if (shift > 0 && v > (UINT64_MAX >> shift))
		return -EINVAL;
	*out = (uint64_t)v << shift;
	*rest = end;
	return 0;
}

/* An unsigned 32-bit number in base (0: C's bases), all of s. */
static int tmpfs_parse_u32(const char *s, int base, uint32_t *out)
{
	if (*s < '0' || *s > '9')
		return -EINVAL;
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, base);
	if (errno != 0 || *end != '\0' || v > UINT32_MAX)
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

/* size=: bytes, rounded up to pages, or a percentage of the RAM. */
static int tmpfs_parse_size(const char *val, uint64_t *out)
{
	uint64_t v;
	const char *rest;
	if (tmpfs_memparse(val, &v, &rest) != 0)
		return -EINVAL;
	if (*rest == '%') {
		/* Linux: pages * percent / 100, in bytes; saturate rather than wrap. */
		unsigned __int128 b = (unsigned __int128)v * host_ram_bytes() / 100;
		v = b > UINT64_MAX ? UINT64_MAX : (uint64_t)b;
		rest++;
	}
	if (*rest != '\0')
		return -EINVAL;
	bool ok;
	uint64_t r = page_round_up(v, &ok);
	*out = ok ? r : UINT64_MAX & PAGE_MASK;
	return 0;
}

/* The generic superblock flags mount(2) takes in data too (Linux's vfs_parse_sb_flag). */
static bool tmpfs_generic_flag(const char *key, struct tmpfs_options *out)
{
	static const char *const ignored[] = { "sync",       "async", "dirsync", "lazytime",
		                               "nolazytime", "mand",  "nomand",  "silent" };
	if (strcmp(key, "ro") == 0) {
		out->set |= TMPFS_OPT_RDONLY;
		return true;
	}
	if (strcmp(key, "rw") == 0) {
		out->set &= ~TMPFS_OPT_RDONLY;
		return true;
	}
	for (size_t i = 0; i < ARRAY_SIZE(ignored); i++) {
		if (strcmp(key, ignored[i]) == 0)
			return true;
	}
	return false;
}

/* One key[=val] of the option string. */
static int tmpfs_parse_one(const char *key, const char *val, struct tmpfs_options *out)
{
	const char *rest;
	uint64_t v;

	if (!val) {
		if (strcmp(key, "inode64") == 0) {
			out->set |= TMPFS_OPT_INODE64;
			return 0;
		}
		return tmpfs_generic_flag(key, out) ? 0 : -EINVAL;
	}
	if (strcmp(key, "size") == 0) {
		if (tmpfs_parse_size(val, &out->size) != 0)
			return -EINVAL;
		out->set |= TMPFS_OPT_SIZE;
	} else if (strcmp(key, "nr_blocks") == 0) {
		if (tmpfs_memparse(val, &v, &rest) != 0 || *rest != '\0' ||
		    v > INT64_MAX / PAGE_SIZE)
			return -EINVAL;
		out->size = v * PAGE_SIZE;
		out->set |= TMPFS_OPT_SIZE;
	} else if (strcmp(key, "nr_inodes") == 0) {
		if (tmpfs_memparse(val, &v, &rest) != 0 || *rest != '\0' ||
		    v > UINT64_MAX / TMPFS_BOGO_INODE_SIZE)
			return -EINVAL;
		out->nr_inodes = v;
		out->set |= TMPFS_OPT_NR_INODES;
	} else if (strcmp(key, "mode") == 0) {
		if (tmpfs_parse_u32(val, 8, &out->mode) != 0)
			return -EINVAL;
		out->mode &= LINUX_S_IALLUGO;
		out->set |= TMPFS_OPT_MODE;
	} else if (strcmp(key, "uid") == 0) {
		/* (uid_t)-1 maps to no user in any namespace: Linux refuses it. */
		if (tmpfs_parse_u32(val, 0, &out->uid) != 0 || out->uid == UINT32_MAX)
			return -EINVAL;
		out->set |= TMPFS_OPT_UID;
	} else if (strcmp(key, "gid") == 0) {
		if (tmpfs_parse_u32(val, 0, &out->gid) != 0 || out->gid == UINT32_MAX)
			return -EINVAL;
		out->set |= TMPFS_OPT_GID;
	} else {
		return -EINVAL;
	}
	return 0;
}

int tmpfs_parse_options(const char *data, struct tmpfs_options *out)
{
	*out = (struct tmpfs_options){ 0 };
	if (!data)
		return 0;
	char *copy = strdup(data);
	if (!copy)
		return -ENOMEM;
	int r = 0;
	char *cursor = copy, *opt;
	while (r == 0 && (opt = strsep(&cursor, ",")) != NULL) {
		if (*opt == '\0')
			continue; /* Linux skips empty options */
		char *val = strchr(opt, '=');
		if (val)
			*val++ = '\0';
		r = tmpfs_parse_one(opt, val, out);
		if (r != 0)
			log_debug("tmpfs: bad mount option %s", opt);
	}
	free(copy);
	return r;
}

/* ---- The superblock ---- */

static int tmpfs_statfs(struct superblock *sb, struct linux_statfs *out)
{
	struct tmpfs_sb *ts = tmpfs_sb_of(sb);

	*out = (struct linux_statfs){
		.type = TMPFS_MAGIC,
		.bsize = PAGE_SIZE,
		.frsize = PAGE_SIZE,
		.namelen = LINUX_NAME_MAX,
	};
	/* As shmem_statfs: the counts stay 0 for a limit that is not set. */
	pthread_mutex_lock(&ts->mu);
	if (ts->max_bytes != UINT64_MAX) {
		out->blocks = ts->max_bytes / PAGE_SIZE;
		out->bfree = out->bavail = (ts->max_bytes - ts->used_bytes) / PAGE_SIZE;
	}
	if (ts->max_inodes != UINT64_MAX) {
		out->files = ts->max_inodes;
		out->ffree = ts->max_inodes - ts->used_inodes;
	}
	pthread_mutex_unlock(&ts->mu);
	return 0;
}

static void tmpfs_sb_release(struct superblock *sb)
{
	struct tmpfs_sb *ts = tmpfs_sb_of(sb);

	/* The tree first, so that the root's dentry holds the last references. */
	if (sb->root && sb->root->inode)
		tmpfs_dir_teardown(tmpfs_inode_of(sb->root->inode));
	superblock_shutdown(sb);
	free(sb->options);
	pthread_mutex_destroy(&ts->mu);
	free(ts);
}

static const struct super_ops tmpfs_super_ops = {
	.statfs = tmpfs_statfs,
	.release = tmpfs_sb_release,
};

/* The options /proc/mounts shows: those that differ from the defaults, as shmem_show_options. */
static char *tmpfs_format_options(const struct tmpfs_options *o, uint64_t size, uint64_t inodes,
                                  uint32_t mode, uint32_t uid, uint32_t gid)
{
	char buf[256];
	size_t n = 0;

	buf[0] = '\0';
	if (size != tmpfs_default_size())
		n += snprintf(buf + n, sizeof(buf) - n, ",size=%" PRIu64 "k", size / 1024);
	if (inodes != tmpfs_default_inodes())
		n += snprintf(buf + n, sizeof(buf) - n, ",nr_inodes=%" PRIu64, inodes);
	if (mode != TMPFS_DEFAULT_MODE)
		n += snprintf(buf + n, sizeof(buf) - n, ",mode=%03o", mode);
	if (uid != 0)
		n += snprintf(buf + n, sizeof(buf) - n, ",uid=%u", uid);
	if (gid != 0)
		n += snprintf(buf + n, sizeof(buf) - n, ",gid=%u", gid);
	if (o->set & TMPFS_OPT_INODE64)
		snprintf(buf + n, sizeof(buf) - n, ",inode64");
	return buf[0] ? strdup(buf + 1) : NULL;
}

int tmpfs_new(const struct tmpfs_options *opts, struct superblock **out)
{
	static const struct tmpfs_options defaults = { 0 };
	const struct tmpfs_options *o = opts ? opts : &defaults;
	uint64_t size = (o->set & TMPFS_OPT_SIZE) ? o->size : tmpfs_default_size();
	uint64_t inodes = (o->set & TMPFS_OPT_NR_INODES) ? o->nr_inodes : tmpfs_default_inodes();
	uint32_t mode = (o->set & TMPFS_OPT_MODE) ? o->mode : TMPFS_DEFAULT_MODE;
	uint32_t uid = (o->set & TMPFS_OPT_UID) ? o->uid : 0;
	uint32_t gid = (o->set & TMPFS_OPT_GID) ? o->gid : 0;
	bool ok;

	size = page_round_up(size, &ok);
	if (!ok)
		size = UINT64_MAX & PAGE_MASK;
	struct tmpfs_sb *ts = calloc(1, sizeof(*ts));
	if (!ts)
		return -ENOMEM;
	pthread_mutex_init(&ts->mu, NULL);
	ts->max_bytes = size == 0 ? UINT64_MAX : size;
	ts->max_inodes = inodes == 0 ? UINT64_MAX : inodes;
	superblock_init(&ts->base, &tmpfs_super_ops, "tmpfs", TMPFS_MAGIC,
	                (o->set & TMPFS_OPT_RDONLY) ? SB_RDONLY : 0);
	/* From here on superblock_put frees ts (tmpfs_sb_release copes with no root). */
	ts->base.options = tmpfs_format_options(o, size, inodes, mode, uid, gid);

	struct vfs_newnode nn = { .mode = LINUX_S_IFDIR | mode, .uid = uid, .gid = gid };
	struct tmpfs_inode *root;
	int r = tmpfs_inode_new(ts, &nn, &root);
	if (r != 0)
		goto out_put_sb;
	ts->base.root = vfs_dentry_new_root(&ts->base, &root->base);
	if (!ts->base.root) {
		r = -ENOMEM;
		goto out_put_sb;
	}
	*out = &ts->base;
	return 0;

out_put_sb:
	superblock_put(&ts->base);
	return r;
}

static int tmpfs_mount(const char *source, unsigned long flags, const char *data,
                       struct superblock **out)
{
	struct tmpfs_options o;
	int r = tmpfs_parse_options(data, &o);
	if (r != 0)
		return r;
	return tmpfs_new(&o, out);
}

const struct fs_type tmpfs_fs_type = {
	.name = "tmpfs",
	.mount = tmpfs_mount,
};

/* ---- Limits ---- */

uint64_t tmpfs_reserve_bytes(struct tmpfs_sb *ts, uint64_t bytes, bool partial)
{
	uint64_t got = bytes;

	pthread_mutex_lock(&ts->mu);
	if (ts->max_bytes != UINT64_MAX) {
		uint64_t free_bytes = ts->max_bytes - ts->used_bytes;
		if (bytes > free_bytes)
			got = partial ? free_bytes : 0;
	}
	ts->used_bytes += got;
	pthread_mutex_unlock(&ts->mu);
	return got;
}

void tmpfs_unreserve_bytes(struct tmpfs_sb *ts, uint64_t bytes)
{
	pthread_mutex_lock(&ts->mu);
	BUG_ON(bytes > ts->used_bytes);
	ts->used_bytes -= bytes;
	pthread_mutex_unlock(&ts->mu);
}

int tmpfs_reserve_inode(struct tmpfs_sb *ts)
{
	int r = 0;

	pthread_mutex_lock(&ts->mu);
	if (ts->used_inodes >= ts->max_inodes)
		r = -ENOSPC;
	else
		ts->used_inodes++;
	pthread_mutex_unlock(&ts->mu);
	return r;
}

void tmpfs_unreserve_inode(struct tmpfs_sb *ts)
{
	pthread_mutex_lock(&ts->mu);
	BUG_ON(ts->used_inodes == 0);
	ts->used_inodes--;
	pthread_mutex_unlock(&ts->mu);
}

/* ---- Inodes ---- */

static const struct inode_ops *tmpfs_ops_for(uint32_t mode)
{
	switch (mode & LINUX_S_IFMT) {
	case LINUX_S_IFDIR:
		return &tmpfs_dir_inode_ops;
	case LINUX_S_IFREG:
		return &tmpfs_reg_inode_ops;
	case LINUX_S_IFLNK:
		return &tmpfs_symlink_inode_ops;
	default:
		return &tmpfs_special_inode_ops;
	}
}

int tmpfs_inode_new(struct tmpfs_sb *ts, const struct vfs_newnode *nn, struct tmpfs_inode **out)
{
	int r = tmpfs_reserve_inode(ts);
	if (r != 0)
		return r;
	struct tmpfs_inode *ti = calloc(1, sizeof(*ti));
	if (!ti) {
		tmpfs_unreserve_inode(ts);
		return -ENOMEM;
	}
	inode_init(&ti->base, &ts->base, tmpfs_ops_for(nn->mode), /*ino=*/0, nn->mode, nn->uid,
	           nn->gid);
	ti->base.blksize = PAGE_SIZE;
	switch (nn->mode & LINUX_S_IFMT) {
	case LINUX_S_IFDIR:
		tmpfs_dir_init(ti);
		break;
	case LINUX_S_IFREG:
		ti->reg.memfd = -1;
		break;
	case LINUX_S_IFCHR:
	case LINUX_S_IFBLK:
		ti->base.rdev_major = nn->rdev_major;
		ti->base.rdev_minor = nn->rdev_minor;
		break;
	default:
		break;
	}
	*out = ti;
	return 0;
}

void tmpfs_touch_locked(struct tmpfs_inode *ti, bool mtime)
{
	struct linux_statx_timestamp now = vfs_now();
	ti->base.ctime = now;
	if (mtime)
		ti->base.mtime = now;
}

void tmpfs_inode_release(struct inode *inode)
{
	struct tmpfs_inode *ti = tmpfs_inode_of(inode);
	struct tmpfs_sb *ts = tmpfs_sb_of_inode(ti);

	switch (inode->mode & LINUX_S_IFMT) {
	case LINUX_S_IFDIR:
		/* Only a superblock going away drops a directory that still has entries. */
		if (ti->dir.count > 0)
			tmpfs_dir_teardown(ti);
		break;
	case LINUX_S_IFREG:
		if (ti->reg.memfd >= 0)
			host_memfd_close(ti->reg.memfd);
		if (ti->reg.charged > 0)
			tmpfs_unreserve_bytes(ts, ti->reg.charged);
		break;
	case LINUX_S_IFLNK:
		if (ti->symlink.charged)
			tmpfs_unreserve_bytes(ts, PAGE_SIZE);
		free(ti->symlink.target);
		break;
	default:
		break;
	}
	tmpfs_xattrs_free(ti);
	tmpfs_unreserve_inode(ts);
	free(ti);
}

/* ---- memfd_create(2) ---- */

/* The internal tmpfs of memfds (Linux's shm_mnt): made on first use, never freed. */
static pthread_mutex_t g_memfd_mu = PTHREAD_MUTEX_INITIALIZER;
static struct tmpfs_sb *g_memfd_sb; /* protected by g_memfd_mu */

static int tmpfs_memfd_sb(struct tmpfs_sb **out)
{
	int r = 0;

	pthread_mutex_lock(&g_memfd_mu);
	if (!g_memfd_sb) {
		/* A kernel mount has no limits (shmem_fill_super with SB_KERNMOUNT). */
		struct tmpfs_options o = { .set = TMPFS_OPT_SIZE | TMPFS_OPT_NR_INODES };
		struct superblock *sb;
		r = tmpfs_new(&o, &sb);
		if (r == 0)
			g_memfd_sb = tmpfs_sb_of(sb);
	}
	*out = g_memfd_sb;
	pthread_mutex_unlock(&g_memfd_mu);
	return r;
}

int tmpfs_memfd_create(const char *name, unsigned flags, struct file **out)
{
	const unsigned known = LINUX_MFD_CLOEXEC | LINUX_MFD_ALLOW_SEALING | LINUX_MFD_EXEC |
	                       LINUX_MFD_NOEXEC_SEAL;
	if ((flags & ~known) || strlen(name) > TMPFS_MEMFD_NAME_MAX)
		return -EINVAL;
	if ((flags & LINUX_MFD_EXEC) && (flags & LINUX_MFD_NOEXEC_SEAL))
		return -EINVAL;
	if (flags & (LINUX_MFD_ALLOW_SEALING | LINUX_MFD_NOEXEC_SEAL))
		log_debug("memfd_create(%s): sealing accepted, but seals are not implemented",
		          name);

	struct tmpfs_sb *ts;
	int r = tmpfs_memfd_sb(&ts);
	if (r != 0)
		return r;
	/* memfd_create: 0777, or 0666 with MFD_NOEXEC_SEAL (Linux 6.3). */
	uint32_t perm = (flags & LINUX_MFD_NOEXEC_SEAL) ? 0666 : 0777;
	struct vfs_newnode nn = { .mode = LINUX_S_IFREG | perm };
	struct tmpfs_inode *ti;
	r = tmpfs_inode_new(ts, &nn, &ti);
	if (r != 0)
		return r;
	ti->base.nlink = 0; /* unlinked from the start, as __shmem_file_setup */
	r = tmpfs_open(&ti->base, /*mnt=*/NULL, /*d=*/NULL, LINUX_O_RDWR | LINUX_O_LARGEFILE, out);
	inode_put(&ti->base);
	return r;
}
