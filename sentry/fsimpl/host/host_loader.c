/*
 * The loader's view of a host file, opened by path on the host: what the
 * unit tests hand sentry/loader (execve in the sandbox opens programs
 * through the VFS, sentry/kernel/exec_file.c).
 *
 * It offers no mmap_fd: a mapping references a VFS file (struct file),
 * which a host file is not, so the loader copies its segments instead.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/util.h"
#include "sentry/fsimpl/host/host.h"
#include "sentry/loader/loader.h"

struct host_loader_file {
	struct loader_file base;
	int fd;
};

static ssize_t loader_pread(struct loader_file *lf, void *buf, size_t len, uint64_t off)
{
	struct host_loader_file *h = container_of(lf, struct host_loader_file, base);
	size_t done = 0;
	while (done < len) {
		ssize_t n = pread(h->fd, (char *)buf + done, len - done, (off_t)(off + done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		done += (size_t)n;
	}
	return (ssize_t)done;
}

static int64_t loader_size(struct loader_file *lf)
{
	struct host_loader_file *h = container_of(lf, struct host_loader_file, base);
	struct stat st;
	if (fstat(h->fd, &st) != 0)
		return -errno;
	return st.st_size;
}

static void loader_close(struct loader_file *lf)
{
	struct host_loader_file *h = container_of(lf, struct host_loader_file, base);
	close(h->fd);
	free(h);
}

static const struct loader_file_ops g_host_loader_ops = {
	.pread = loader_pread,
	.size = loader_size,
	.close = loader_close,
};

int host_loader_file_open(const char *path, struct loader_file **out)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	struct stat st;
	int err = fstat(fd, &st) != 0 ? -errno : 0;
	/* execve(2): only regular files with an execute bit, else EACCES. */
	if (err == 0 && (!S_ISREG(st.st_mode) || !(st.st_mode & 0111)))
		err = -EACCES;
	if (err < 0) {
		close(fd);
		return err;
	}
	struct host_loader_file *h = calloc(1, sizeof(*h));
	if (!h) {
		close(fd);
		return -ENOMEM;
	}
	h->base.ops = &g_host_loader_ops;
	h->fd = fd;
	*out = &h->base;
	return 0;
}
