/*
 * The fd table: a task's file descriptors, each a reference to a file and
 * a close-on-exec flag. Shared by threads created with CLONE_FILES.
 *
 * The table is also the owner of the POSIX record locks taken through it
 * (Linux's fl_owner = current->files): every path that closes an fd
 * (close, dup2 over it, close_range, the last fdtable_put) drops the
 * table's locks on the file's inode (locks_remove_posix, locks.h).
 *
 * Lock order: fdtable.mu is a leaf lock; file_put (which may release a
 * file) and the lock release run after it is dropped.
 */
#ifndef SENTRY_KERNEL_FDTABLE_H
#define SENTRY_KERNEL_FDTABLE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

struct file;

struct fd_entry {
	struct file *file; /* NULL: the fd is free, or reserved */
	bool cloexec;
	bool reserved; /* taken by fdtable_reserve, no file yet */
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
/*
 * A copy for fork(2) (and unshare(CLONE_FILES)): the same open files, each
 * with a new reference, and the same close-on-exec flags; fds reserved by
 * an open in progress are not copied. Returns NULL without memory.
 */
struct fdtable *fdtable_copy(struct fdtable *fdt);
/* Closes every close-on-exec fd (execve). */
void fdtable_close_on_exec(struct fdtable *fdt);

/* Returns a new reference to the file at fd, or NULL (EBADF). */
struct file *fdtable_lookup(struct fdtable *fdt, int fd, bool *out_cloexec);

/*
 * Installs file (taking a new reference) at the lowest free fd >= min and
 * below limit. Returns the fd, -EMFILE when none is free below limit.
 */
int fdtable_install(struct fdtable *fdt, struct file *file, int min, bool cloexec, int limit);

/*
 * Installs file (taking a new reference) at fd, closing what was there
 * (dup2/dup3). fd must be below limit (else -EBADF). Returns fd, or
 * -EBUSY when fd is reserved by an open in progress (as Linux's dup2).
 */
int fdtable_install_at(struct fdtable *fdt, int fd, struct file *file, bool cloexec, int limit);

/* Closes fd. Returns 0 or -EBADF. */
int fdtable_close(struct fdtable *fdt, int fd);

/*
 * close_range(2): closes the open fds in [first, last], or with cloexec
 * only sets their close-on-exec flag.
 */
void fdtable_close_range(struct fdtable *fdt, unsigned first, unsigned last, bool cloexec);

/*
 * Reserves the lowest free fd below limit for a file about to be
 * created (Linux's get_unused_fd_flags), so that open(2) fails with
 * EMFILE before it creates anything. A reserved fd is not open: lookups
 * and close see no file there, and installs skip it. Returns the fd or
 * -EMFILE.
 */
int fdtable_reserve(struct fdtable *fdt, int limit);
/* Installs file (taking a new reference) at fd, which fdtable_reserve returned. */
void fdtable_install_reserved(struct fdtable *fdt, int fd, struct file *file, bool cloexec);
/* Gives back a reserved fd that no file was installed at. */
void fdtable_unreserve(struct fdtable *fdt, int fd);

/* Sets fd's close-on-exec flag. Returns 0 or -EBADF. */
int fdtable_set_cloexec(struct fdtable *fdt, int fd, bool cloexec);

#endif /* SENTRY_KERNEL_FDTABLE_H */
