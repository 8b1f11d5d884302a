/*
 * locks: record locks with fcntl, classic (per process) and OFD (per open file description),
 * and flock. With one process, conflicts come from OFD locks on separate open file
 * descriptions of one file, and from flock on them; classic locks of one process never
 * conflict with each other, but do conflict with its OFD locks.
 */
#include <fcntl.h>
#include <sys/file.h>

#include "fs_util.h"

static struct flock range(short type, off_t start, off_t len)
{
	return (struct flock){
		.l_type = type, .l_whence = SEEK_SET, .l_start = start, .l_len = len
	};
}

static long set_lock(long fd, long cmd, short type, off_t start, off_t len)
{
	struct flock fl = range(type, start, len);

	return syscall(SYS_fcntl, fd, cmd, &fl);
}

/* get_lock asks with cmd (F_GETLK or F_OFD_GETLK) whether a write lock would conflict. */
static struct flock get_lock(long fd, long cmd, off_t start, off_t len)
{
	struct flock fl = range(F_WRLCK, start, len);

	fl.l_pid = 0;
	CHECK_SYS(syscall(SYS_fcntl, fd, cmd, &fl));
	return fl;
}

/* check_conflict expects the answer to be a lock of type over [start, start + len). */
#define check_conflict(fl, type, start, len, pid) \
	do {                                      \
		struct flock cc_ = (fl);          \
		CHECK_EQ(cc_.l_type, (type));     \
		CHECK_EQ(cc_.l_whence, SEEK_SET); \
		CHECK_EQ(cc_.l_start, (start));   \
		CHECK_EQ(cc_.l_len, (len));       \
		CHECK_EQ(cc_.l_pid, (pid));       \
	} while (0)

static void classic(long fd1, long fd2, long ro, long wo)
{
	/* A process's own locks never conflict: it can lock over them through any fd. */
	CHECK_SYS(set_lock(fd1, F_SETLK, F_WRLCK, 0, 10));
	CHECK_EQ(get_lock(fd2, F_GETLK, 0, 10).l_type, F_UNLCK);
	CHECK_SYS(set_lock(fd2, F_SETLK, F_WRLCK, 5, 10));
	CHECK_SYS(set_lock(fd2, F_SETLKW, F_RDLCK, 0, 20));
	/* Where nothing is locked, F_GETLK says F_UNLCK. */
	CHECK_EQ(get_lock(fd1, F_GETLK, 1000, 10).l_type, F_UNLCK);
	/* But an OFD lock from another description conflicts with them. */
	CHECK_ERR(set_lock(fd2, F_OFD_SETLK, F_WRLCK, 0, 1), EAGAIN);
	check_conflict(get_lock(fd2, F_OFD_GETLK, 0, 100), F_RDLCK, 0, 20, getpid());
	CHECK_SYS(set_lock(fd1, F_SETLK, F_UNLCK, 0, 0));
	CHECK_EQ(get_lock(fd2, F_OFD_GETLK, 0, 100).l_type, F_UNLCK);

	/* The range: l_len 0 runs to the end and beyond, a negative l_len ends at l_start. */
	CHECK_SYS(set_lock(fd1, F_SETLK, F_WRLCK, 200, 0));
	check_conflict(get_lock(fd2, F_OFD_GETLK, 1L << 40, 1), F_WRLCK, 200, 0, getpid());
	CHECK_SYS(set_lock(fd1, F_SETLK, F_UNLCK, 200, 0));
	CHECK_SYS(set_lock(fd1, F_SETLK, F_WRLCK, 110, -10));
	check_conflict(get_lock(fd2, F_OFD_GETLK, 0, 0), F_WRLCK, 100, 10, getpid());
	/* Unlocking the middle splits a lock in two. */
	CHECK_SYS(set_lock(fd1, F_SETLK, F_WRLCK, 100, 100));
	CHECK_SYS(set_lock(fd1, F_SETLK, F_UNLCK, 140, 20));
	check_conflict(get_lock(fd2, F_OFD_GETLK, 100, 50), F_WRLCK, 100, 40, getpid());
	CHECK_EQ(get_lock(fd2, F_OFD_GETLK, 140, 20).l_type, F_UNLCK);
	check_conflict(get_lock(fd2, F_OFD_GETLK, 150, 100), F_WRLCK, 160, 40, getpid());
	/* SEEK_CUR and SEEK_END ranges, reported back relative to the start. */
	CHECK_SYS(set_lock(fd1, F_SETLK, F_UNLCK, 0, 0));
	CHECK_EQ(lseek(fd1, 30, SEEK_SET), 30);
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_CUR, .l_start = 5, .l_len = 5 };
	CHECK_SYS(syscall(SYS_fcntl, fd1, F_SETLK, &fl));
	check_conflict(get_lock(fd2, F_OFD_GETLK, 0, 0), F_WRLCK, 35, 5, getpid());
	fl = (struct flock){ .l_type = F_RDLCK, .l_whence = SEEK_END, .l_start = -10, .l_len = 0 };
	CHECK_SYS(syscall(SYS_fcntl, fd1, F_SETLK, &fl));
	check_conflict(get_lock(fd2, F_OFD_GETLK, 50, 0), F_RDLCK, 90, 0, getpid());
	CHECK_SYS(set_lock(fd1, F_SETLK, F_UNLCK, 0, 0));

	/* Closing any fd of the file drops all the process's locks on it (POSIX). */
	CHECK_SYS(set_lock(fd1, F_SETLK, F_WRLCK, 0, 10));
	long other = CHECK_SYS(open("f", O_RDONLY));
	CHECK_SYS(close(other));
	CHECK_EQ(get_lock(fd2, F_OFD_GETLK, 0, 10).l_type, F_UNLCK);

	/* The lock type needs the matching access mode: EBADF. */
	CHECK_ERR(set_lock(ro, F_SETLK, F_WRLCK, 0, 10), EBADF);
	CHECK_ERR(set_lock(wo, F_SETLK, F_RDLCK, 0, 10), EBADF);
	CHECK_SYS(set_lock(ro, F_SETLK, F_RDLCK, 0, 10));
	CHECK_SYS(set_lock(wo, F_SETLK, F_WRLCK, 20, 10));
	CHECK_SYS(set_lock(ro, F_SETLK, F_UNLCK, 0, 0));
	/* Bad arguments: EINVAL. */
	fl = (struct flock){ .l_type = F_WRLCK, .l_whence = 5, .l_start = 0, .l_len = 1 };
	CHECK_ERR(syscall(SYS_fcntl, fd1, F_SETLK, &fl), EINVAL);
	CHECK_ERR(syscall(SYS_fcntl, fd1, F_GETLK, &fl), EINVAL);
	CHECK_ERR(set_lock(fd1, F_SETLK, 7, 0, 1), EINVAL);
	CHECK_ERR(set_lock(fd1, F_SETLK, F_WRLCK, -1, 1), EINVAL);
	CHECK_ERR(set_lock(fd1, F_SETLK, F_WRLCK, 5, -10), EINVAL);
	CHECK_ERR(syscall(SYS_fcntl, fd1, F_SETLK, NULL), EFAULT);
	CHECK_ERR(syscall(SYS_fcntl, fd1, F_GETLK, test_unmapped_page()), EFAULT);
	CHECK_ERR(set_lock(9999, F_SETLK, F_WRLCK, 0, 1), EBADF);
	long pfd = CHECK_SYS(open("f", O_PATH));
	CHECK_ERR(set_lock(pfd, F_SETLK, F_RDLCK, 0, 1), EBADF);
	CHECK_SYS(close(pfd));
}

static void ofd(long fd1, long fd2, long ro)
{
	/* A write lock on one description conflicts with any lock from another. */
	CHECK_SYS(set_lock(fd1, F_OFD_SETLK, F_WRLCK, 0, 10));
	check_conflict(get_lock(fd2, F_OFD_GETLK, 5, 10), F_WRLCK, 0, 10, -1);
	CHECK_ERR(set_lock(fd2, F_OFD_SETLK, F_WRLCK, 5, 10), EAGAIN);
	CHECK_ERR(set_lock(fd2, F_OFD_SETLK, F_RDLCK, 9, 1), EAGAIN);
	/* Classic locks see it too, with l_pid -1. */
	CHECK_ERR(set_lock(fd2, F_SETLK, F_RDLCK, 0, 1), EAGAIN);
	check_conflict(get_lock(fd2, F_GETLK, 0, 0), F_WRLCK, 0, 10, -1);
	/* A range next to it is free; the description's own lock is no conflict. */
	CHECK_SYS(set_lock(fd2, F_OFD_SETLK, F_WRLCK, 10, 10));
	CHECK_EQ(get_lock(fd1, F_OFD_GETLK, 0, 10).l_type, F_UNLCK);
	/* A dup shares the description, and so the lock. */
	long dup = CHECK_SYS(syscall(SYS_dup, fd1));
	CHECK_SYS(set_lock(dup, F_OFD_SETLK, F_WRLCK, 0, 5));
	CHECK_EQ(get_lock(dup, F_OFD_GETLK, 0, 10).l_type, F_UNLCK);
	/* Adjacent locks of one owner merge. */
	CHECK_SYS(set_lock(fd1, F_OFD_SETLK, F_WRLCK, 20, 10));
	check_conflict(get_lock(fd2, F_OFD_GETLK, 25, 1), F_WRLCK, 20, 10, -1);
	CHECK_SYS(set_lock(fd1, F_OFD_SETLK, F_WRLCK, 30, 10));
	check_conflict(get_lock(fd2, F_OFD_GETLK, 25, 1), F_WRLCK, 20, 20, -1);
	/* Closing a dup keeps the lock; closing the description's last fd releases it. */
	CHECK_SYS(close(dup));
	CHECK_ERR(set_lock(fd2, F_OFD_SETLK, F_WRLCK, 0, 1), EAGAIN);
	CHECK_SYS(set_lock(fd1, F_OFD_SETLK, F_UNLCK, 0, 0));
	CHECK_SYS(set_lock(fd2, F_OFD_SETLK, F_UNLCK, 0, 0));

	/* Read locks share; a write lock waits for all other readers. */
	CHECK_SYS(set_lock(fd1, F_OFD_SETLK, F_RDLCK, 50, 10));
	CHECK_SYS(set_lock(fd2, F_OFD_SETLK, F_RDLCK, 50, 10));
	CHECK_SYS(set_lock(ro, F_OFD_SETLKW, F_RDLCK, 55, 10));
	CHECK_ERR(set_lock(fd2, F_OFD_SETLK, F_WRLCK, 50, 10), EAGAIN);
	check_conflict(get_lock(fd2, F_OFD_GETLK, 50, 10), F_RDLCK, 50, 10, -1);
	CHECK_SYS(set_lock(fd1, F_OFD_SETLK, F_UNLCK, 50, 10));
	CHECK_SYS(set_lock(ro, F_OFD_SETLK, F_UNLCK, 0, 0));
	CHECK_SYS(set_lock(fd2, F_OFD_SETLKW, F_WRLCK, 50, 10));
	CHECK_SYS(set_lock(fd2, F_OFD_SETLK, F_UNLCK, 0, 0));
	/* A separately opened description of the file releases its locks on close. */
	long fd3 = CHECK_SYS(open("f", O_RDWR));
	CHECK_SYS(set_lock(fd3, F_OFD_SETLK, F_WRLCK, 0, 0));
	CHECK_ERR(set_lock(fd1, F_OFD_SETLK, F_RDLCK, 1000, 1), EAGAIN);
	CHECK_SYS(close(fd3));
	CHECK_EQ(get_lock(fd1, F_OFD_GETLK, 0, 0).l_type, F_UNLCK);

	/* OFD locks want l_pid 0. */
	struct flock fl = range(F_WRLCK, 0, 1);
	fl.l_pid = getpid();
	CHECK_ERR(syscall(SYS_fcntl, fd1, F_OFD_SETLK, &fl), EINVAL);
	CHECK_ERR(syscall(SYS_fcntl, fd1, F_OFD_GETLK, &fl), EINVAL);
	fl.l_whence = 5;
	fl.l_pid = 0;
	CHECK_ERR(syscall(SYS_fcntl, fd1, F_OFD_SETLK, &fl), EINVAL);
	CHECK_ERR(set_lock(ro, F_OFD_SETLK, F_WRLCK, 0, 1), EBADF);
}

static void flocks(long fd1, long fd2, long ro)
{
	/* An exclusive lock keeps other descriptions out, exclusive or shared. */
	CHECK_SYS(flock(fd1, LOCK_EX | LOCK_NB));
	CHECK_ERR(flock(fd2, LOCK_EX | LOCK_NB), EWOULDBLOCK);
	CHECK_ERR(flock(fd2, LOCK_SH | LOCK_NB), EWOULDBLOCK);
	/* The holder's description may lock again, through a dup too. */
	long dup = CHECK_SYS(syscall(SYS_dup, fd1));
	CHECK_SYS(flock(dup, LOCK_EX | LOCK_NB));
	CHECK_SYS(flock(fd1, LOCK_EX));
	/* flock and fcntl locks do not see each other. */
	CHECK_SYS(set_lock(fd2, F_OFD_SETLK, F_WRLCK, 0, 0));
	CHECK_SYS(set_lock(fd2, F_OFD_SETLK, F_UNLCK, 0, 0));
	/* LOCK_UN releases it. */
	CHECK_SYS(flock(fd1, LOCK_UN));
	CHECK_SYS(flock(fd2, LOCK_EX | LOCK_NB));
	CHECK_ERR(flock(fd1, LOCK_SH | LOCK_NB), EWOULDBLOCK);
	CHECK_SYS(flock(fd2, LOCK_UN));
	CHECK_SYS(flock(fd2, LOCK_UN));

	/* Shared locks share; converting one to exclusive waits for the others. */
	CHECK_SYS(flock(fd1, LOCK_SH | LOCK_NB));
	CHECK_SYS(flock(fd2, LOCK_SH | LOCK_NB));
	CHECK_SYS(flock(ro, LOCK_SH | LOCK_NB));
	CHECK_ERR(flock(fd2, LOCK_EX | LOCK_NB), EWOULDBLOCK);
	CHECK_SYS(flock(fd1, LOCK_UN));
	CHECK_SYS(flock(ro, LOCK_UN));
	CHECK_SYS(flock(fd2, LOCK_EX | LOCK_NB));
	/* The access mode does not matter: a read-only fd may lock exclusively. */
	CHECK_SYS(flock(fd2, LOCK_UN));
	CHECK_SYS(flock(ro, LOCK_EX | LOCK_NB));
	CHECK_ERR(flock(fd1, LOCK_SH | LOCK_NB), EWOULDBLOCK);
	CHECK_SYS(flock(ro, LOCK_UN));

	/* The lock goes with the last fd of its description. */
	CHECK_SYS(flock(dup, LOCK_EX | LOCK_NB));
	CHECK_SYS(close(dup));
	CHECK_ERR(flock(fd2, LOCK_EX | LOCK_NB), EWOULDBLOCK);
	CHECK_SYS(flock(fd1, LOCK_UN));
	long fd3 = CHECK_SYS(open("f", O_RDONLY));
	CHECK_SYS(flock(fd3, LOCK_SH | LOCK_NB));
	CHECK_ERR(flock(fd2, LOCK_EX | LOCK_NB), EWOULDBLOCK);
	CHECK_SYS(close(fd3));
	CHECK_SYS(flock(fd2, LOCK_EX | LOCK_NB));
	CHECK_SYS(flock(fd2, LOCK_UN));

	/* Errors. */
	CHECK_ERR(flock(fd1, 0), EINVAL);
	CHECK_ERR(flock(fd1, LOCK_NB), EINVAL);
	CHECK_ERR(flock(fd1, 3), EINVAL);
	CHECK_ERR(flock(9999, LOCK_EX), EBADF);
	long pfd = CHECK_SYS(open("f", O_PATH));
	CHECK_ERR(flock(pfd, LOCK_EX | LOCK_NB), EBADF);
	CHECK_SYS(close(pfd));
}

int main(void)
{
	fs_scratch_enter();
	char data[101];
	memset(data, 'x', sizeof(data) - 1);
	data[sizeof(data) - 1] = '\0';
	fs_write_file("f", data);

	long fd1 = CHECK_SYS(open("f", O_RDWR));
	long fd2 = CHECK_SYS(open("f", O_RDWR));
	long ro = CHECK_SYS(open("f", O_RDONLY));
	long wo = CHECK_SYS(open("f", O_WRONLY));
	classic(fd1, fd2, ro, wo);
	ofd(fd1, fd2, ro);
	flocks(fd1, fd2, ro);
	CHECK_SYS(close(wo));
	CHECK_SYS(close(ro));
	CHECK_SYS(close(fd2));
	CHECK_SYS(close(fd1));
	fs_scratch_leave();
	return 0;
}
