/*
 * The /dev character devices: see dev.h. Their semantics follow Linux's
 * drivers/char/mem.c (null, zero, full) and random.c.
 */
#include "sentry/fsimpl/kernfs/dev.h"

#include <stdlib.h>
#include <string.h>

#include "common/abi/linux/errno.h"
#include "common/abi/linux/stat.h"
#include "common/host_info.h"
#include "common/log.h"
#include "common/util.h"
#include "sentry/fsimpl/host/host.h"
#include "sentry/fsimpl/kernfs/proc.h" /* task_current */
#include "sentry/kernel/tty.h"
#include "sentry/vfs/file.h"

struct dev_file {
	struct file base;
};

static void dev_release(struct file *f)
{
	vfs_file_release(f);
	free(container_of(f, struct dev_file, base));
}

/* pread and pwrite work on these, as on Linux's character devices. */
static bool dev_seekable(struct file *f)
{
	return true;
}

static int dev_open(const struct file_ops *ops, struct inode *inode, struct mount *mnt,
                    struct dentry *d, unsigned flags, struct file **out)
{
	struct dev_file *df = calloc(1, sizeof(*df));
	if (!df)
		return -ENOMEM;
	vfs_file_init(&df->base, ops, flags, mnt, d, inode);
	*out = &df->base;
	return 0;
}

/* Linux's null_lseek: always 0 (the VFS stores it as the position). */
static int64_t null_llseek(struct file *f, int64_t off, int whence)
{
	return 0;
}

static ssize_t null_read(struct file *f, void *buf, size_t len, int64_t off)
{
	return 0;
}

static ssize_t null_write(struct file *f, const void *buf, size_t len, int64_t off)
{
	return (ssize_t)len;
}

static ssize_t zero_read(struct file *f, void *buf, size_t len, int64_t off)
{
	memset(buf, 0, len);
	return (ssize_t)len;
}

/*
 * Not yet: a private mapping of /dev/zero is anonymous memory and a
 * shared one shared anonymous memory; mmap_fd can only hand over a
 * backing host fd.
 */
static int zero_mmap_fd(struct file *f, bool shared_write, int *out_fd)
{
	return -ENODEV;
}

static ssize_t full_write(struct file *f, const void *buf, size_t len, int64_t off)
{
	return -ENOSPC;
}

static ssize_t random_read(struct file *f, void *buf, size_t len, int64_t off)
{
	host_random_bytes(buf, len);
	return (ssize_t)len;
}

/* noop_llseek: the position does not move (the VFS holds pos_mu). */
static int64_t random_llseek(struct file *f, int64_t off, int whence)
{
	return f->pos;
}

static const struct file_ops g_null_ops = {
	.read = null_read,
	.write = null_write,
	.llseek = null_llseek,
	.release = dev_release,
	.seekable = dev_seekable,
};

static const struct file_ops g_zero_ops = {
	.read = zero_read,
	.write = null_write,
	.llseek = null_llseek,
	.release = dev_release,
	.seekable = dev_seekable,
	.mmap_fd = zero_mmap_fd,
};

static const struct file_ops g_full_ops = {
	.read = zero_read,
	.write = full_write,
	.llseek = null_llseek,
	.release = dev_release,
	.seekable = dev_seekable,
};

static const struct file_ops g_random_ops = {
	.read = random_read,
	.write = null_write,
	.llseek = random_llseek,
	.release = dev_release,
	.seekable = dev_seekable,
};

static int null_open(struct inode *inode, struct mount *mnt, struct dentry *d, unsigned flags,
                     struct file **out)
{
	return dev_open(&g_null_ops, inode, mnt, d, flags, out);
}

static int zero_open(struct inode *inode, struct mount *mnt, struct dentry *d, unsigned flags,
                     struct file **out)
{
	return dev_open(&g_zero_ops, inode, mnt, d, flags, out);
}

static int full_open(struct inode *inode, struct mount *mnt, struct dentry *d, unsigned flags,
                     struct file **out)
{
	return dev_open(&g_full_ops, inode, mnt, d, flags, out);
}

static int random_open(struct inode *inode, struct mount *mnt, struct dentry *d, unsigned flags,
                       struct file **out)
{
	return dev_open(&g_random_ops, inode, mnt, d, flags, out);
}

/*
 * /dev/tty is the caller's controlling terminal (Linux's
 * tty_open_current_tty): ENXIO without one. The sandbox's terminals are
 * host terminals.
 */
static int tty_open(struct inode *inode, struct mount *mnt, struct dentry *d, unsigned flags,
                    struct file **out)
{
	struct task *t = task_current();
	struct tty *tty = t ? tty_controlling(t) : NULL;
	if (!tty)
		return -ENXIO;
	return host_file_open_tty(tty, flags, mnt, d, inode, out);
}

static int console_open(struct inode *inode, struct mount *mnt, struct dentry *d, unsigned flags,
                        struct file **out)
{
	return -ENXIO;
}

static int ptmx_open(struct inode *inode, struct mount *mnt, struct dentry *d, unsigned flags,
                     struct file **out)
{
	log_info("open of /dev/ptmx: pseudo-terminals are not supported yet");
	return -ENODEV;
}

void devices_register_all(void)
{
	vfs_register_chrdev(1, 3, null_open);
	vfs_register_chrdev(1, 5, zero_open);
	vfs_register_chrdev(1, 7, full_open);
	vfs_register_chrdev(1, 8, random_open);
	vfs_register_chrdev(1, 9, random_open);
	vfs_register_chrdev(5, 0, tty_open);
	vfs_register_chrdev(5, 1, console_open);
	vfs_register_chrdev(5, 2, ptmx_open);
}

#define CHR(n, m, maj, min)                                                              \
	{                                                                                \
		.name = (n), .mode = LINUX_S_IFCHR | (m), .major = (maj), .minor = (min) \
	}
#define LNK(n, target)                                                         \
	{                                                                      \
		.name = (n), .mode = LINUX_S_IFLNK | 0777, .symlink = (target) \
	}
#define DIR(n, m)                                        \
	{                                                \
		.name = (n), .mode = LINUX_S_IFDIR | (m) \
	}

const struct dev_node g_dev_nodes[] = {
	CHR("null", 0666, 1, 3),
	CHR("zero", 0666, 1, 5),
	CHR("full", 0666, 1, 7),
	CHR("random", 0666, 1, 8),
	CHR("urandom", 0666, 1, 9),
	CHR("tty", 0666, 5, 0),
	CHR("console", 0600, 5, 1),
	CHR("ptmx", 0666, 5, 2),
	LNK("fd", "/proc/self/fd"),
	LNK("stdin", "/proc/self/fd/0"),
	LNK("stdout", "/proc/self/fd/1"),
	LNK("stderr", "/proc/self/fd/2"),
	DIR("shm", 01777),
	DIR("pts", 0755),
};

const size_t g_dev_nodes_count = ARRAY_SIZE(g_dev_nodes);
