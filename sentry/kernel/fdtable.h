/*
 * The fd table: a task's file descriptors, each a reference to a file and
 * a close-on-exec flag. Shared by threads created with CLONE_FILES.
 *
 * Lock order: fdtable.mu is a leaf lock; file_put (which may release a
 * file) runs after it is dropped.
 */
#ifndef SENTRY_KERNEL_FDTABLE_H
#define SENTRY_KERNEL_FDTABLE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

struct file;

struct fd_entry {
	struct file *file; /* NULL: the fd is free */
	bool cloexec;
};

struct fdtable {
	atomic_int refs;
	pthread_mutex_t mu;
	/* Protected by mu. */
	struct fd_entry *fds;
	int size;
};

struct fdtable *fdtable_new(void);
struct fdtable *fdtable_get(struct fdtable *fdt);
/* Drops a reference; the last one closes every fd. */
void fdtable_put(struct fdtable *fdt);

/* Returns a new reference to the file at fd, or NULL (EBADF). */
struct file *fdtable_lookup(struct fdtable *fdt, int fd, bool *out_cloexec);

/*
 * Installs file (taking a new reference) at the lowest free fd >= min and
 * below limit. Returns the fd, -EMFILE when none is free below limit.
 */
int fdtable_install(struct fdtable *fdt, struct file *file, int min, bool cloexec, int limit);

/*
 * Installs file (taking a new reference) at fd, closing what was there
 * (dup2/dup3). fd must be below limit (else -EBADF). Returns fd or -errno.
 */
int fdtable_install_at(struct fdtable *fdt, int fd, struct file *file, bool cloexec, int limit);

/* Closes fd. Returns 0 or -EBADF. */
int fdtable_close(struct fdtable *fdt, int fd);

/* Sets fd's close-on-exec flag. Returns 0 or -EBADF. */
int fdtable_set_cloexec(struct fdtable *fdt, int fd, bool cloexec);

#endif /* SENTRY_KERNEL_FDTABLE_H */
