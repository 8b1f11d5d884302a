/*
 * poll(2).
 *
 * Every file the sandbox has today is a host file, whose readiness is its
 * host fd's, so a poll is one host poll over those fds, with the
 * application's timeout, on the task's sentry thread. Files without a host
 * fd are always ready, as Linux's files without a poll method are. When
 * the sentry has files of its own (pipes, sockets, eventfds), they wait on
 * sentry wait queues, and this becomes the general mechanism.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <time.h>

#include "sentry/kernel/fdtable.h"
#include "sentry/kernel/task.h"
#include "sentry/kernel/waitqueue.h"
#include "sentry/mm/mm.h"
#include "sentry/vfs/file.h"
#include "syscalls/syscalls.h"

struct linux_pollfd {
	int32_t fd;
	int16_t events;
	int16_t revents;
};

/* Linux's DEFAULT_POLLMASK: what a file without a poll method reports. */
#define DEFAULT_POLLMASK (LINUX_POLLIN | LINUX_POLLOUT | LINUX_POLLRDNORM | LINUX_POLLWRNORM)

/* sys_poll implements poll(2). */
long sys_poll(struct task *t, const struct sys_args *a)
{
	uaddr_t ufds = a->a[0];
	uint64_t nfds = (uint32_t)a->a[1];
	int timeout = (int)a->a[2];
	if (nfds > (uint64_t)task_nofile_limit(t))
		return -EINVAL;
	struct linux_pollfd *fds = calloc(nfds ? nfds : 1, sizeof(*fds));
	struct pollfd *host = calloc(nfds ? nfds : 1, sizeof(*host));
	struct file **files = calloc(nfds ? nfds : 1, sizeof(*files));
	long ret = -ENOMEM;
	if (!fds || !host || !files)
		goto out_free;
	ret = mm_copy_in(t->mm, fds, ufds, nfds * sizeof(*fds));
	if (ret < 0)
		goto out_free;

	/* Entries with no host fd are decided here; the others by the host poll. */
	long ready = 0;
	for (uint64_t i = 0; i < nfds; i++) {
		fds[i].revents = 0;
		host[i].fd = -1;
		if (fds[i].fd < 0)
			continue;
		files[i] = fdtable_lookup(t->fdt, fds[i].fd, NULL);
		if (!files[i]) {
			fds[i].revents = LINUX_POLLNVAL;
		} else if (files[i]->ops->poll_host_fd) {
			host[i].fd = files[i]->ops->poll_host_fd(files[i]);
			host[i].events = fds[i].events;
			continue;
		} else {
			fds[i].revents = (int16_t)(DEFAULT_POLLMASK &
			                           (fds[i].events | LINUX_POLLERR | LINUX_POLLHUP));
		}
		if (fds[i].revents)
			ready++;
	}
	/* Something is ready already: look at the host fds without waiting. */
	int n;
	do {
		n = poll(host, (nfds_t)nfds, ready ? 0 : timeout);
	} while (n < 0 && errno == EINTR && !ready && timeout < 0);
	if (n < 0 && errno != EINTR) {
		ret = -errno;
		goto out_put;
	}
	for (uint64_t i = 0; n > 0 && i < nfds; i++) {
		if (host[i].fd >= 0 && host[i].revents) {
			fds[i].revents = host[i].revents;
			ready++;
		}
	}
	ret = mm_copy_out(t->mm, ufds, fds, nfds * sizeof(*fds));
	if (ret == 0)
		ret = ready;
out_put:
	for (uint64_t i = 0; i < nfds; i++) {
		if (files[i])
			file_put(files[i]);
	}
out_free:
	free(files);
	free(host);
	free(fds);
	return ret;
}
