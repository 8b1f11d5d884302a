/*
 * The hooks through which the VMA tree (sentry/mm) holds the VFS files it
 * maps: references, the path, device and inode that /proc/PID/maps
 * shows for a file mapping, and the identity shared futexes are keyed by.
 */
#include "sentry/kernel/task.h"
#include "sentry/mm/vma.h"
#include "sentry/vfs/file.h"

static void mm_file_get(void *file)
{
	file_get(file);
}

static void mm_file_put(void *file)
{
	file_put(file);
}

static void mm_file_describe(void *file, char *buf, size_t size, uint32_t *dev, uint64_t *ino)
{
	struct file *f = file;
	buf[0] = '\0';
	*dev = 0;
	*ino = 0;
	if (f->inode) {
		*dev = f->inode->sb->dev;
		*ino = f->inode->ino;
	}
	if (!f->path.d)
		return;
	/* The path from the root of the mount tree the file is in. */
	struct mount *m = mount_get(f->path.mnt);
	struct mount_ns *ns = m->ns;
	mount_put(m);
	pthread_mutex_lock(&ns->mu);
	struct path root = { mount_get(ns->root), dentry_get(ns->root->root) };
	pthread_mutex_unlock(&ns->mu);
	if (vfs_path_string(&f->path, &root, buf, size, NULL) < 0)
		buf[0] = '\0';
	path_put(&root);
}

/* The inode backs the pages: (device, inode number); the file itself when it has none. */
static void mm_file_identity(void *file, uint64_t *id1, uint64_t *id2)
{
	struct file *f = file;
	if (f->inode) {
		*id1 = f->inode->sb->dev;
		*id2 = f->inode->ino;
	} else {
		*id1 = UINT64_MAX;
		*id2 = (uint64_t)(uintptr_t)f;
	}
}

static const struct vma_file_hooks g_mm_file_hooks = {
	.get = mm_file_get,
	.put = mm_file_put,
	.describe = mm_file_describe,
	.identity = mm_file_identity,
};

void kernel_init_mm_files(void)
{
	vma_set_file_hooks(&g_mm_file_hooks);
}
