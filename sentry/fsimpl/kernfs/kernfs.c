/*
 * kernfs: file systems written as data. See kernfs.h.
 *
 * Lock order: kernfs_file.mu (one open file's snapshot) > whatever the
 * show() callbacks take (proc: kernel.mu) > inode.mu.
 */
#include "sentry/fsimpl/kernfs/kernfs.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/abi/linux/errno.h"
#include "common/log.h"
#include "sentry/vfs/file.h"

/* ---- Buffers ---- */

void kernfs_buf_init(struct kernfs_buf *b)
{
	*b = (struct kernfs_buf){ NULL, 0, 0, 0 };
}

void kernfs_buf_free(struct kernfs_buf *b)
{
	free(b->data);
	kernfs_buf_init(b);
}

/* Makes room for extra more bytes and a NUL. Returns false (err set) when it cannot. */
static bool buf_grow(struct kernfs_buf *b, size_t extra)
{
	if (b->err)
		return false;
	if (b->cap > b->len && extra < b->cap - b->len)
		return true;
	size_t want = b->len + extra + 1;
	if (want <= b->len) {
		b->err = -ENOMEM;
		return false;
	}
	size_t cap = b->cap ? b->cap : 256;
	while (cap < want)
		cap = cap > SIZE_MAX / 2 ? want : cap * 2;
	char *p = realloc(b->data, cap);
	if (!p) {
		b->err = -ENOMEM;
		return false;
	}
	b->data = p;
	b->cap = cap;
	return true;
}

void kernfs_printf(struct kernfs_buf *b, const char *fmt, ...)
{
	if (b->err)
		return;
	size_t room = b->cap - b->len;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(room ? b->data + b->len : NULL, room, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->err = -EINVAL;
		return;
	}
	if ((size_t)n >= room) {
		if (!buf_grow(b, (size_t)n))
			return;
		va_start(ap, fmt);
		vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
	}
	b->len += (size_t)n;
}

void kernfs_write(struct kernfs_buf *b, const void *data, size_t len)
{
	if (!buf_grow(b, len))
		return;
	memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
}

void kernfs_puts(struct kernfs_buf *b, const char *s)
{
	kernfs_write(b, s, strlen(s));
}

char *kernfs_reserve(struct kernfs_buf *b, size_t len)
{
	if (!buf_grow(b, len))
		return NULL;
	return b->data + b->len;
}

void kernfs_commit(struct kernfs_buf *b, size_t n)
{
	BUG_ON(b->err == 0 && b->len + n >= b->cap);
	if (b->err)
		return;
	b->len += n;
	b->data[b->len] = '\0';
}

/* ---- Inodes ---- */

static const struct inode_ops g_kernfs_dir_iops;
static const struct inode_ops g_kernfs_file_iops;
static const struct inode_ops g_kernfs_symlink_iops;
static const struct inode_ops g_kernfs_magiclink_iops;

/*
 * The inode number of name in the directory numbered parent: FNV-1a over
 * both, kept below 2^63 and clear of the root's 1. Stable across lookups,
 * so a file keeps its number however often its inode is remade.
 */
static uint64_t child_ino(uint64_t parent, const char *name)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	for (int i = 0; i < 8; i++) {
		h ^= (parent >> (8 * i)) & 0xff;
		h *= 0x100000001b3ULL;
	}
	for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
		h ^= *p;
		h *= 0x100000001b3ULL;
	}
	h &= INT64_MAX;
	return h <= 1 ? h + 2 : h;
}

static uint32_t kind_type_bits(enum kernfs_kind kind)
{
	switch (kind) {
	case KERNFS_DIR:
		return LINUX_S_IFDIR;
	case KERNFS_FILE:
		return LINUX_S_IFREG;
	default:
		return LINUX_S_IFLNK;
	}
}

static unsigned kind_dtype(enum kernfs_kind kind)
{
	switch (kind) {
	case KERNFS_DIR:
		return LINUX_DT_DIR;
	case KERNFS_FILE:
		return LINUX_DT_REG;
	default:
		return LINUX_DT_LNK;
	}
}

static const struct inode_ops *kind_iops(enum kernfs_kind kind)
{
	switch (kind) {
	case KERNFS_DIR:
		return &g_kernfs_dir_iops;
	case KERNFS_FILE:
		return &g_kernfs_file_iops;
	case KERNFS_SYMLINK:
		return &g_kernfs_symlink_iops;
	default:
		return &g_kernfs_magiclink_iops;
	}
}

/* The node's attributes as its attr() callback says: -ENOENT once it is gone. */
static int kernfs_get_attr(struct kernfs_inode *ki, struct kernfs_attr *a)
{
	*a = (struct kernfs_attr){ .mode = ki->node->mode };
	return ki->attr ? ki->attr(ki, a) : 0;
}

/* Is what ki shows still there? */
static int kernfs_check_alive(struct kernfs_inode *ki)
{
	struct kernfs_attr a;
	return kernfs_get_attr(ki, &a);
}

static uint32_t dir_nlink(struct kernfs_inode *ki)
{
	const struct kernfs_node *n = ki->node;
	uint32_t nlink = 2;
	for (size_t i = 0; i < n->nchildren; i++) {
		if (n->children[i].kind == KERNFS_DIR)
			nlink++;
	}
	if (n->dyn && n->dyn->count_subdirs) {
		int extra = n->dyn->count_subdirs(ki);
		if (extra > 0)
			nlink += (uint32_t)extra;
	}
	return nlink;
}

/* Stores a into the inode's fields. */
static void kernfs_apply_attr(struct kernfs_inode *ki, const struct kernfs_attr *a)
{
	uint32_t nlink = ki->node->kind == KERNFS_DIR ? dir_nlink(ki) : 1;
	pthread_mutex_lock(&ki->base.mu);
	ki->base.mode = (ki->base.mode & LINUX_S_IFMT) | (a->mode & LINUX_S_IALLUGO);
	ki->base.uid = a->uid;
	ki->base.gid = a->gid;
	ki->base.size = a->size;
	ki->base.nlink = nlink;
	pthread_mutex_unlock(&ki->base.mu);
}

/* Makes the inode of node (numbered ino, with key) below parent (NULL for the root). */
static int kernfs_inode_new(struct kernfs_sb *ksb, struct kernfs_inode *parent,
                            const struct kernfs_node *node, uint64_t ino, struct kernfs_key key,
                            struct inode **out)
{
	struct kernfs_inode *ki = calloc(1, sizeof(*ki));
	if (!ki)
		return -ENOMEM;
	ki->node = node;
	ki->key = key;
	ki->attr = node->attr ? node->attr : parent ? parent->attr : NULL;
	inode_init(&ki->base, &ksb->base, kind_iops(node->kind), ino,
	           kind_type_bits(node->kind) | node->mode, 0, 0);
	struct kernfs_attr a;
	int err = kernfs_get_attr(ki, &a);
	if (err < 0) {
		inode_put(&ki->base);
		return err;
	}
	kernfs_apply_attr(ki, &a);
	pthread_mutex_lock(&ki->base.mu);
	ki->base.atime = ki->base.mtime = ki->base.ctime = ki->base.btime = ksb->time;
	pthread_mutex_unlock(&ki->base.mu);
	*out = &ki->base;
	return 0;
}

static int kernfs_lookup(struct inode *dir, const char *name, struct inode **out)
{
	struct kernfs_inode *kd = kernfs_inode(dir);
	struct kernfs_sb *ksb = kernfs_inode_sb(kd);
	int err = kernfs_check_alive(kd);
	if (err < 0)
		return err;
	const struct kernfs_node *n = kd->node;
	for (size_t i = 0; i < n->nchildren; i++) {
		if (strcmp(n->children[i].name, name) == 0)
			return kernfs_inode_new(ksb, kd, &n->children[i], child_ino(dir->ino, name),
			                        kd->key, out);
	}
	if (!n->dyn || !n->dyn->lookup)
		return -ENOENT;
	const struct kernfs_node *child = NULL;
	struct kernfs_key key = kd->key;
	err = n->dyn->lookup(kd, name, &child, &key);
	if (err < 0)
		return err;
	return kernfs_inode_new(ksb, kd, child, child_ino(dir->ino, name), key, out);
}

static ssize_t kernfs_readlink(struct inode *inode, char *buf, size_t size)
{
	struct kernfs_inode *ki = kernfs_inode(inode);
	int err = kernfs_check_alive(ki);
	if (err < 0)
		return err;
	struct kernfs_buf b;
	kernfs_buf_init(&b);
	err = ki->node->readlink(ki, &b);
	if (err == 0)
		err = b.err;
	ssize_t ret = err;
	if (err == 0 && b.len >= size)
		ret = -ENAMETOOLONG;
	else if (err == 0) {
		if (b.len)
			memcpy(buf, b.data, b.len);
		buf[b.len] = '\0';
		ret = (ssize_t)b.len;
	}
	kernfs_buf_free(&b);
	return ret;
}

static int kernfs_follow(struct inode *inode, struct mount **out_mnt, struct dentry **out_d)
{
	struct kernfs_inode *ki = kernfs_inode(inode);
	int err = kernfs_check_alive(ki);
	if (err < 0)
		return err;
	return ki->node->follow(ki, out_mnt, out_d);
}

static int kernfs_follow_file(struct inode *inode, struct file **out)
{
	struct kernfs_inode *ki = kernfs_inode(inode);
	if (!ki->node->follow_file)
		return -ENOENT;
	int err = kernfs_check_alive(ki);
	if (err < 0)
		return err;
	return ki->node->follow_file(ki, out);
}

static int kernfs_refresh(struct inode *inode)
{
	struct kernfs_inode *ki = kernfs_inode(inode);
	struct kernfs_attr a;
	int err = kernfs_get_attr(ki, &a);
	if (err < 0)
		return err;
	kernfs_apply_attr(ki, &a);
	return 0;
}

/*
 * Linux's proc_setattr and proc_sys_setattr: no chmod or chown; a
 * truncate (O_TRUNC of `echo 1 > file`) and times are accepted and
 * change nothing.
 */
static int kernfs_setattr(struct inode *inode, const struct vfs_setattr *attr)
{
	if (attr->mask & (VFS_ATTR_MODE | VFS_ATTR_UID | VFS_ATTR_GID))
		return -EPERM;
	return 0;
}

static void kernfs_inode_release(struct inode *inode)
{
	free(kernfs_inode(inode));
}

/* ---- Open files ---- */

struct kernfs_file {
	struct file base;
	pthread_mutex_t mu;
	/* Protected by mu. */
	struct kernfs_buf snap; /* the content as show() wrote it */
	bool served;            /* a read has used snap since it was made */
};

static struct kernfs_file *to_kernfs_file(struct file *f)
{
	return container_of(f, struct kernfs_file, base);
}

/* Replaces snap with freshly generated content. Returns 0 or -errno (snap unchanged). */
static int kernfs_generate(struct kernfs_inode *ki, struct kernfs_buf *snap)
{
	struct kernfs_buf b;
	kernfs_buf_init(&b);
	int err = ki->node->show(ki, &b);
	if (err == 0)
		err = b.err;
	if (err < 0) {
		kernfs_buf_free(&b);
		return err;
	}
	kernfs_buf_free(snap);
	*snap = b;
	return 0;
}

static ssize_t kernfs_file_read(struct file *f, void *buf, size_t len, int64_t off)
{
	struct kernfs_file *kf = to_kernfs_file(f);
	struct kernfs_inode *ki = kernfs_inode(f->inode);
	if (!ki->node->show || off < 0)
		return -EINVAL;
	pthread_mutex_lock(&kf->mu);
	/* seq_file starts over when a read begins again at 0: fresh content. */
	if (off == 0 && kf->served) {
		int err = kernfs_generate(ki, &kf->snap);
		if (err < 0) {
			pthread_mutex_unlock(&kf->mu);
			return err;
		}
	}
	kf->served = true;
	size_t n = 0;
	if ((uint64_t)off < kf->snap.len) {
		n = MIN(len, kf->snap.len - (size_t)off);
		memcpy(buf, kf->snap.data + off, n);
	}
	pthread_mutex_unlock(&kf->mu);
	return (ssize_t)n;
}

static ssize_t kernfs_file_write(struct file *f, const void *buf, size_t len, int64_t off)
{
	struct kernfs_inode *ki = kernfs_inode(f->inode);
	if (!ki->node->write)
		return (ki->node->flags & KERNFS_WRITE_EINVAL) ? -EINVAL : -EIO;
	int err = kernfs_check_alive(ki);
	if (err < 0)
		return err == -ENOENT ? -ESRCH : err;
	return ki->node->write(ki, buf, len, off);
}

int64_t kernfs_file_llseek(struct file *f, int64_t off, int whence)
{
	if (whence != 0 && whence != 1) /* SEEK_SET, SEEK_CUR */
		return -EINVAL;
	return vfs_generic_llseek(f, off, whence);
}

static bool kernfs_file_seekable(struct file *f)
{
	return true;
}

static void kernfs_file_release(struct file *f)
{
	struct kernfs_file *kf = to_kernfs_file(f);
	vfs_file_release(f);
	kernfs_buf_free(&kf->snap);
	pthread_mutex_destroy(&kf->mu);
	free(kf);
}

static const struct file_ops g_kernfs_file_fops = {
	.read = kernfs_file_read,
	.write = kernfs_file_write,
	.llseek = kernfs_file_llseek,
	.release = kernfs_file_release,
	.seekable = kernfs_file_seekable,
};

/* ---- Directories ---- */

struct kernfs_dir_file {
	struct file base;
};

struct dyn_emit_arg {
	struct dir_ctx *ctx;
	uint64_t dir_ino;
	int64_t base; /* ctx->pos of cookie 0 */
};

static bool dyn_emit(void *arg, const char *name, const struct kernfs_node *node, uint64_t cookie)
{
	struct dyn_emit_arg *ea = arg;
	if (!ea->ctx->emit(ea->ctx, name, strlen(name), child_ino(ea->dir_ino, name),
	                   kind_dtype(node->kind)))
		return false;
	ea->ctx->pos = ea->base + (int64_t)cookie + 1;
	return true;
}

/*
 * Positions: 0 and 1 are the dots, 2 + i the static child i, and
 * 2 + nchildren + cookie the dynamic child with that cookie.
 */
static int kernfs_dir_iterate(struct file *f, struct dir_ctx *ctx)
{
	struct kernfs_inode *ki = kernfs_inode(f->inode);
	const struct kernfs_node *n = ki->node;
	int err = kernfs_check_alive(ki);
	if (err < 0)
		return err;
	if (!vfs_dir_emit_dots(f, ctx))
		return 0;
	for (size_t i = (size_t)ctx->pos - 2; i < n->nchildren; i++) {
		const struct kernfs_node *c = &n->children[i];
		if (!ctx->emit(ctx, c->name, strlen(c->name), child_ino(ki->base.ino, c->name),
		               kind_dtype(c->kind)))
			return 0;
		ctx->pos = (int64_t)(2 + i + 1);
	}
	if (!n->dyn || !n->dyn->list)
		return 0;
	struct dyn_emit_arg ea = { ctx, ki->base.ino, (int64_t)(2 + n->nchildren) };
	return n->dyn->list(ki, (uint64_t)(ctx->pos - ea.base), dyn_emit, &ea);
}

static void kernfs_dir_release(struct file *f)
{
	vfs_file_release(f);
	free(container_of(f, struct kernfs_dir_file, base));
}

static const struct file_ops g_kernfs_dir_fops = {
	.iterate = kernfs_dir_iterate,
	.release = kernfs_dir_release,
};

static int kernfs_open(struct inode *inode, struct mount *mnt, struct dentry *d, unsigned flags,
                       struct file **out)
{
	struct kernfs_inode *ki = kernfs_inode(inode);
	const struct kernfs_node *n = ki->node;
	int err = kernfs_check_alive(ki);
	if (err < 0)
		return err;
	if (n->kind == KERNFS_DIR) {
		struct kernfs_dir_file *df = calloc(1, sizeof(*df));
		if (!df)
			return -ENOMEM;
		vfs_file_init(&df->base, &g_kernfs_dir_fops, flags, mnt, d, inode);
		*out = &df->base;
		return 0;
	}
	if (n->kind != KERNFS_FILE)
		return -ELOOP;
	unsigned acc = flags & LINUX_O_ACCMODE;
	bool readable = acc == LINUX_O_RDONLY || acc == LINUX_O_RDWR;
	bool writable = acc == LINUX_O_WRONLY || acc == LINUX_O_RDWR;
	if (writable && !n->write && (n->flags & KERNFS_NOWRITE_EACCES))
		return -EACCES;
	struct kernfs_file *kf = calloc(1, sizeof(*kf));
	if (!kf)
		return -ENOMEM;
	pthread_mutex_init(&kf->mu, NULL);
	kernfs_buf_init(&kf->snap);
	if (readable && n->show) {
		err = kernfs_generate(ki, &kf->snap);
		if (err < 0) {
			pthread_mutex_destroy(&kf->mu);
			free(kf);
			return err;
		}
	}
	vfs_file_init(&kf->base, &g_kernfs_file_fops, flags, mnt, d, inode);
	*out = &kf->base;
	return 0;
}

static const struct inode_ops g_kernfs_dir_iops = {
	.lookup = kernfs_lookup,
	.refresh = kernfs_refresh,
	.setattr = kernfs_setattr,
	.open = kernfs_open,
	.release = kernfs_inode_release,
};

static const struct inode_ops g_kernfs_file_iops = {
	.refresh = kernfs_refresh,
	.setattr = kernfs_setattr,
	.open = kernfs_open,
	.release = kernfs_inode_release,
};

static const struct inode_ops g_kernfs_symlink_iops = {
	.readlink = kernfs_readlink,
	.refresh = kernfs_refresh,
	.setattr = kernfs_setattr,
	.release = kernfs_inode_release,
};

static const struct inode_ops g_kernfs_magiclink_iops = {
	.readlink = kernfs_readlink,
	.follow = kernfs_follow,
	.follow_file = kernfs_follow_file,
	.refresh = kernfs_refresh,
	.setattr = kernfs_setattr,
	.release = kernfs_inode_release,
};

/* ---- Superblocks ---- */

static void kernfs_sb_release(struct superblock *sb)
{
	superblock_shutdown(sb);
	free(kernfs_sb(sb));
}

static const struct super_ops g_kernfs_super_ops = {
	.release = kernfs_sb_release,
};

int kernfs_sb_new(const char *fs_name, int64_t magic, const struct kernfs_node *root,
                  struct linux_statx_timestamp time, void *priv, unsigned flags,
                  struct superblock **out)
{
	BUG_ON(root->kind != KERNFS_DIR);
	struct kernfs_sb *ksb = calloc(1, sizeof(*ksb));
	if (!ksb)
		return -ENOMEM;
	superblock_init(&ksb->base, &g_kernfs_super_ops, fs_name, magic, 0);
	ksb->root_node = root;
	ksb->time = time;
	ksb->priv = priv;
	struct inode *inode;
	int err = kernfs_inode_new(ksb, NULL, root, /*ino=*/1, (struct kernfs_key){ { 0, 0 } },
	                           &inode);
	if (err < 0) {
		superblock_put(&ksb->base);
		return err;
	}
	ksb->base.root = vfs_dentry_new_root(&ksb->base, inode);
	if (!ksb->base.root) {
		superblock_put(&ksb->base);
		return -ENOMEM;
	}
	/* Not yet visible to anyone: no g_dcache_mu needed. Children inherit it. */
	if (flags & KERNFS_SB_NOCACHE)
		ksb->base.root->flags |= DENTRY_NOCACHE;
	*out = &ksb->base;
	return 0;
}
