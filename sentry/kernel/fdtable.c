/* The fd table: see fdtable.h. */
#include "sentry/kernel/fdtable.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "sentry/vfs/file.h"
#include "sentry/vfs/locks.h"

/*
 * Drops a closed fd's file: first the table's POSIX locks on its inode
 * (Linux's filp_close -> locks_remove_posix), then the reference.
 * Preconditions: fdt->mu not held.
 */
static void close_file(struct fdtable *fdt, struct file *f)
{
	locks_remove_posix(f->inode, fdt);
	file_put(f);
}

struct fdtable *fdtable_new(void)
{
	struct fdtable *fdt = calloc(1, sizeof(*fdt));
	if (!fdt)
		return NULL;
	atomic_init(&fdt->refs, 1);
	pthread_mutex_init(&fdt->mu, NULL);
	return fdt;
}

struct fdtable *fdtable_get(struct fdtable *fdt)
{
	BUG_ON(atomic_fetch_add(&fdt->refs, 1) <= 0);
	return fdt;
}

void fdtable_put(struct fdtable *fdt)
{
	int old = atomic_fetch_sub(&fdt->refs, 1);
	BUG_ON(old <= 0);
	if (old != 1)
		return;
	for (int i = 0; i < fdt->size; i++) {
		if (fdt->fds[i].file)
			close_file(fdt, fdt->fds[i].file);
	}
	free(fdt->fds);
	pthread_mutex_destroy(&fdt->mu);
	free(fdt);
}

struct fdtable *fdtable_copy(struct fdtable *fdt)
{
	struct fdtable *copy = fdtable_new();
	if (!copy)
		return NULL;
	pthread_mutex_lock(&fdt->mu);
	copy->fds = calloc(fdt->size ? (size_t)fdt->size : 1, sizeof(*copy->fds));
	if (!copy->fds) {
		pthread_mutex_unlock(&fdt->mu);
		fdtable_put(copy);
		return NULL;
	}
	copy->size = fdt->size;
	for (int i = 0; i < fdt->size; i++) {
		if (!fdt->fds[i].file)
			continue;
		copy->fds[i].file = file_get(fdt->fds[i].file);
		copy->fds[i].cloexec = fdt->fds[i].cloexec;
	}
	pthread_mutex_unlock(&fdt->mu);
	return copy;
}

void fdtable_close_on_exec(struct fdtable *fdt)
{
	pthread_mutex_lock(&fdt->mu);
	struct file **closing = calloc(fdt->size ? (size_t)fdt->size : 1, sizeof(*closing));
	int n = 0;
	for (int i = 0; closing && i < fdt->size; i++) {
		if (fdt->fds[i].file && fdt->fds[i].cloexec) {
			closing[n++] = fdt->fds[i].file;
			fdt->fds[i].file = NULL;
			fdt->fds[i].cloexec = false;
		}
	}
	pthread_mutex_unlock(&fdt->mu);
	if (!closing) {
		/* No memory for the list: close them one lookup at a time. */
		for (int i = 0;; i++) {
			pthread_mutex_lock(&fdt->mu);
			if (i >= fdt->size) {
				pthread_mutex_unlock(&fdt->mu);
				return;
			}
			struct file *f = fdt->fds[i].cloexec ? fdt->fds[i].file : NULL;
			if (f) {
				fdt->fds[i].file = NULL;
				fdt->fds[i].cloexec = false;
			}
			pthread_mutex_unlock(&fdt->mu);
			if (f)
				close_file(fdt, f);
		}
	}
	for (int i = 0; i < n; i++)
		close_file(fdt, closing[i]);
	free(closing);
}

struct file *fdtable_lookup(struct fdtable *fdt, int fd, bool *out_cloexec)
{
	struct file *f = NULL;
	pthread_mutex_lock(&fdt->mu);
	if (fd >= 0 && fd < fdt->size && fdt->fds[fd].file) {
		f = file_get(fdt->fds[fd].file);
		if (out_cloexec)
			*out_cloexec = fdt->fds[fd].cloexec;
	}
	pthread_mutex_unlock(&fdt->mu);
	return f;
}

/* Makes room for fd. Preconditions: fdt->mu held. */
static int grow(struct fdtable *fdt, int fd)
{
	if (fd < fdt->size)
		return 0;
	int size = MAX(fdt->size * 2, 64);
	while (size <= fd)
		size *= 2;
	struct fd_entry *fds = realloc(fdt->fds, (size_t)size * sizeof(*fds));
	if (!fds)
		return -ENOMEM;
	memset(fds + fdt->size, 0, (size_t)(size - fdt->size) * sizeof(*fds));
	fdt->fds = fds;
	fdt->size = size;
	return 0;
}

int fdtable_install(struct fdtable *fdt, struct file *file, int min, bool cloexec, int limit)
{
	pthread_mutex_lock(&fdt->mu);
	int fd = min;
	while (fd < fdt->size && (fdt->fds[fd].file || fdt->fds[fd].reserved))
		fd++;
	int ret = -EMFILE;
	if (fd < limit) {
		ret = grow(fdt, fd);
		if (ret == 0) {
			fdt->fds[fd].file = file_get(file);
			fdt->fds[fd].cloexec = cloexec;
			ret = fd;
		}
	}
	pthread_mutex_unlock(&fdt->mu);
	return ret;
}

int fdtable_install_at(struct fdtable *fdt, int fd, struct file *file, bool cloexec, int limit)
{
	if (fd < 0 || fd >= limit)
		return -EBADF;
	pthread_mutex_lock(&fdt->mu);
	int err = grow(fdt, fd);
	struct file *old = NULL;
	if (err == 0 && fdt->fds[fd].reserved)
		err = -EBUSY;
	if (err == 0) {
		old = fdt->fds[fd].file;
		fdt->fds[fd].file = file_get(file);
		fdt->fds[fd].cloexec = cloexec;
	}
	pthread_mutex_unlock(&fdt->mu);
	if (old)
		close_file(fdt, old);
	return err < 0 ? err : fd;
}

int fdtable_close(struct fdtable *fdt, int fd)
{
	struct file *old = NULL;
	pthread_mutex_lock(&fdt->mu);
	if (fd >= 0 && fd < fdt->size) {
		old = fdt->fds[fd].file;
		fdt->fds[fd].file = NULL;
		fdt->fds[fd].cloexec = false;
	}
	pthread_mutex_unlock(&fdt->mu);
	if (!old)
		return -EBADF;
	close_file(fdt, old);
	return 0;
}

void fdtable_close_range(struct fdtable *fdt, unsigned first, unsigned last, bool cloexec)
{
	/* One fd at a time: the files are put with the lock dropped. */
	for (unsigned fd = first; fd <= last; fd++) {
		struct file *old = NULL;
		pthread_mutex_lock(&fdt->mu);
		if (fd >= (unsigned)fdt->size) {
			pthread_mutex_unlock(&fdt->mu);
			break;
		}
		if (cloexec) {
			if (fdt->fds[fd].file)
				fdt->fds[fd].cloexec = true;
		} else {
			old = fdt->fds[fd].file;
			fdt->fds[fd].file = NULL;
			fdt->fds[fd].cloexec = false;
		}
		pthread_mutex_unlock(&fdt->mu);
		if (old)
			close_file(fdt, old);
		if (fd == last)
			break; /* last may be UINT_MAX */
	}
}

int fdtable_reserve(struct fdtable *fdt, int limit)
{
	pthread_mutex_lock(&fdt->mu);
	int fd = 0;
	while (fd < fdt->size && (fdt->fds[fd].file || fdt->fds[fd].reserved))
		fd++;
	int ret = -EMFILE;
	if (fd < limit) {
		ret = grow(fdt, fd);
		if (ret == 0) {
			fdt->fds[fd].reserved = true;
			ret = fd;
		}
	}
	pthread_mutex_unlock(&fdt->mu);
	return ret;
}

void fdtable_install_reserved(struct fdtable *fdt, int fd, struct file *file, bool cloexec)
{
	pthread_mutex_lock(&fdt->mu);
	BUG_ON(fd < 0 || fd >= fdt->size || !fdt->fds[fd].reserved || fdt->fds[fd].file);
	fdt->fds[fd].reserved = false;
	fdt->fds[fd].file = file_get(file);
	fdt->fds[fd].cloexec = cloexec;
	pthread_mutex_unlock(&fdt->mu);
}

void fdtable_unreserve(struct fdtable *fdt, int fd)
{
	pthread_mutex_lock(&fdt->mu);
	BUG_ON(fd < 0 || fd >= fdt->size || !fdt->fds[fd].reserved);
	fdt->fds[fd].reserved = false;
	pthread_mutex_unlock(&fdt->mu);
}

int fdtable_set_cloexec(struct fdtable *fdt, int fd, bool cloexec)
{
	int err = -EBADF;
	pthread_mutex_lock(&fdt->mu);
	if (fd >= 0 && fd < fdt->size && fdt->fds[fd].file) {
		fdt->fds[fd].cloexec = cloexec;
		err = 0;
	}
	pthread_mutex_unlock(&fdt->mu);
	return err;
}
