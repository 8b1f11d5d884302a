/*
 * Advisory file locks, as Linux's fs/locks.c keeps them: POSIX record
 * locks (fcntl F_SETLK), open file description locks (F_OFD_SETLK) and
 * flock(2) locks, per inode in inode->locks.
 *
 * Owners: a POSIX lock belongs to the fd table through which it was taken
 * (Linux's fl_owner = current->files, so the threads of a process share
 * them and a fork child does not inherit them); closing any fd of the
 * inode through that table drops all of them (locks_remove_posix, which
 * fdtable.c calls on every close path). An OFD lock and a flock lock
 * belong to the open file description and go with its last reference
 * (locks_remove_file, from vfs_file_release). POSIX and OFD locks
 * conflict with each other; flock locks only with flock locks.
 *
 * A POSIX or OFD owner's locks never overlap: a new lock replaces what
 * the owner held in its range, splitting older locks, and merges with
 * adjacent or overlapping locks of the same type.
 *
 * Blocking requests (F_SETLKW, flock without LOCK_NB) wait on a condition
 * variable under inode->mu. Not yet: interruption of the wait by a
 * signal (it needs the task loop's interruptible waits), and EDEADLK
 * detection for F_SETLKW.
 *
 * Lock order: inode->mu only; nothing else is taken while it is held.
 */
#ifndef SENTRY_VFS_LOCKS_H
#define SENTRY_VFS_LOCKS_H

#include <stdbool.h>
#include <stdint.h>

struct file;
struct inode;

/* l_type values of struct flock (include/uapi/asm-generic/fcntl.h). */
#define LINUX_F_RDLCK 0
#define LINUX_F_WRLCK 1
#define LINUX_F_UNLCK 2

/* The last byte of a lock that runs to the end of the file (Linux's OFFSET_MAX). */
#define LOCKS_OFFSET_MAX INT64_MAX

/* A POSIX or OFD lock request, and what F_GETLK reports. */
struct posix_lock {
	int type;           /* LINUX_F_RDLCK, _WRLCK or _UNLCK */
	int64_t start, end; /* bytes [start, end], end LOCKS_OFFSET_MAX: to the end */
	const void *owner;  /* the fd table (POSIX) or the struct file (OFD) */
	int pid;            /* the owner's tgid (POSIX), reported by F_GETLK */
	bool ofd;
};

/*
 * F_GETLK: sets *l to the first lock that conflicts with it (pid -1 for
 * an OFD lock), or l->type to F_UNLCK when there is none. A request of
 * type F_UNLCK (F_OFD_GETLK only) reports the owner's own lock in the
 * range instead, as Linux 6.x does.
 */
void locks_posix_test(struct inode *inode, struct posix_lock *l);

/*
 * F_SETLK / F_SETLKW: takes, changes or (F_UNLCK) releases the owner's
 * locks in l's range. With wait, blocks while another owner's lock
 * conflicts. Returns 0, -EAGAIN (a conflict, no wait) or -ENOLCK.
 */
int locks_posix_set(struct inode *inode, const struct posix_lock *l, bool wait);

/*
 * flock(2) for the open file description owner: type F_RDLCK (LOCK_SH),
 * F_WRLCK (LOCK_EX) or F_UNLCK. A change of type drops the old lock
 * before waiting for the new one, as on Linux. Returns 0, -EAGAIN or
 * -ENOLCK.
 */
int locks_flock(struct inode *inode, const void *owner, int type, bool wait);

/* Drops owner's POSIX locks on inode (NULL: nothing): on every close of an fd. */
void locks_remove_posix(struct inode *inode, const void *owner);

/* Drops the OFD and flock locks of f: from vfs_file_release. */
void locks_remove_file(struct file *f);

/* Frees what is left of inode's lock state: for the inode's release. */
void locks_inode_free(struct inode *inode);

#endif /* SENTRY_VFS_LOCKS_H */
