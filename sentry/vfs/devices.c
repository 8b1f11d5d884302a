/*
 * The character device registry: which driver opens a device node, by
 * its (major, minor). Any file system's device node opens through here, so
 * /dev/null is /dev/null wherever a node for 1:3 is. FIFO nodes open
 * through the pipe driver registered here in the same way.
 */
#include <errno.h>
#include <stdatomic.h>

#include "common/log.h"
#include "sentry/vfs/vfs.h"

#define MAX_CHRDEVS 32

struct chrdev {
	uint32_t major, minor;
	chrdev_open_fn open;
};

static pthread_mutex_t g_chrdevs_mu = PTHREAD_MUTEX_INITIALIZER;
static struct chrdev g_chrdevs[MAX_CHRDEVS]; /* protected by g_chrdevs_mu */
static int g_nchrdevs;

void vfs_register_chrdev(uint32_t major, uint32_t minor, chrdev_open_fn open)
{
	pthread_mutex_lock(&g_chrdevs_mu);
	for (int i = 0; i < g_nchrdevs; i++) {
		if (g_chrdevs[i].major == major && g_chrdevs[i].minor == minor) {
			g_chrdevs[i].open = open;
			pthread_mutex_unlock(&g_chrdevs_mu);
			return;
		}
	}
	BUG_ON(g_nchrdevs == MAX_CHRDEVS);
	g_chrdevs[g_nchrdevs++] = (struct chrdev){ major, minor, open };
	pthread_mutex_unlock(&g_chrdevs_mu);
}

int vfs_chrdev_open(struct inode *inode, struct mount *mnt, struct dentry *d, unsigned flags,
                    struct file **out)
{
	pthread_mutex_lock(&inode->mu);
	uint32_t major = inode->rdev_major, minor = inode->rdev_minor;
	pthread_mutex_unlock(&inode->mu);
	chrdev_open_fn open = NULL;
	pthread_mutex_lock(&g_chrdevs_mu);
	for (int i = 0; i < g_nchrdevs; i++) {
		if (g_chrdevs[i].major == major && g_chrdevs[i].minor == minor)
			open = g_chrdevs[i].open;
	}
	pthread_mutex_unlock(&g_chrdevs_mu);
	if (!open) {
		log_info("open of character device %u:%u, which the sandbox does not have", major,
		         minor);
		return -ENXIO;
	}
	return open(inode, mnt, d, flags, out);
}

static _Atomic(fifo_open_fn) g_fifo_open;

void vfs_register_fifo(fifo_open_fn open)
{
	atomic_store(&g_fifo_open, open);
}

int vfs_fifo_open(struct inode *inode, struct mount *mnt, struct dentry *d, unsigned flags,
                  struct file **out)
{
	fifo_open_fn open = atomic_load(&g_fifo_open);
	if (!open)
		return -ENXIO;
	return open(inode, mnt, d, flags, out);
}
