/*
 * The host calls of tmpfs (tmpfs_impl.h): the memfds that hold file data,
 * and the host's RAM size for the default limits. Host errnos come back
 * as -errno; EINTR is retried.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#include "common/abi/linux/errno.h"
#include "sentry/fsimpl/tmpfs/tmpfs_impl.h"

int host_memfd_create(void)
{
	/* The name shows in the sentry's /proc/PID/fd on the host: for debugging only. */
	int fd = memfd_create("runsc-tmpfs", MFD_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

void host_memfd_close(int fd)
{
	/* A close that fails still frees the fd: nothing to retry. */
	close(fd);
}

ssize_t host_memfd_pread(int fd, void *buf, size_t len, int64_t off)
{
	ssize_t n;
	do {
		n = pread(fd, buf, len, off);
	} while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : n;
}

ssize_t host_memfd_pwrite(int fd, const void *buf, size_t len, int64_t off)
{
	size_t done = 0;
	while (done < len) {
		ssize_t n = pwrite(fd, (const char *)buf + done, len - done, off + (int64_t)done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return done > 0 ? (ssize_t)done : -errno;
		if (n == 0)
			break;
		done += (size_t)n;
	}
	return (ssize_t)done;
}

int host_memfd_truncate(int fd, int64_t size)
{
	int r;
	do {
		r = ftruncate(fd, size);
	} while (r < 0 && errno == EINTR);
	return r < 0 ? -errno : 0;
}

int host_memfd_fallocate(int fd, int mode, int64_t off, int64_t len)
{
	int host_mode = 0;
	if (mode & LINUX_FALLOC_FL_KEEP_SIZE)
		host_mode |= FALLOC_FL_KEEP_SIZE;
	if (mode & LINUX_FALLOC_FL_PUNCH_HOLE)
		host_mode |= FALLOC_FL_PUNCH_HOLE;
	int r;
	do {
		r = fallocate(fd, host_mode, off, len);
	} while (r < 0 && errno == EINTR);
	return r < 0 ? -errno : 0;
}

uint64_t host_ram_bytes(void)
{
	struct sysinfo si;
	if (sysinfo(&si) == 0)
		return (uint64_t)si.totalram * si.mem_unit;
	/* sysinfo cannot fail with a valid pointer; a guess keeps the limit finite. */
	return 1ULL << 30;
}
