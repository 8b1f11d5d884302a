/*
 * Anonymous event files: epoll instances, eventfds, timerfds and inotify
 * instances (Linux's anon_inode files "[eventpoll]", "[eventfd]",
 * "[timerfd]" and "inotify").
 *
 * None of them is in the VFS (no path, no inode): they are made by their
 * syscalls (syscalls/sys_epoll.c, sys_eventfd.c, sys_timerfd.c), which
 * install them in the fd table. fstat shows Linux's anonymous inode (mode
 * 0600, no file type); lseek is Linux's noop_llseek (returns 0).
 *
 * Readiness, which epoll and poll(2) see:
 *  - an eventfd or an inotify instance is a sentry file: readiness() and
 *    a wait queue;
 *  - a timerfd wraps a host timerfd (the sandbox's clocks are the host's):
 *    its readiness is that host fd's (poll_host_fd);
 *  - an epoll instance has both: a wait queue for the sentry files it
 *    watches, and a host epoll fd holding the host fds it watches.
 */
#ifndef SENTRY_FSIMPL_ANON_ANON_H
#define SENTRY_FSIMPL_ANON_ANON_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "common/abi/linux/time.h"
#include "common/util.h"

struct file;
struct task;

/* ---- epoll (epoll.c) ---- */

/* struct epoll_event of x86-64: packed, 12 bytes. */
struct linux_epoll_event {
	uint32_t events;
	uint64_t data;
} __attribute__((packed));

#define LINUX_EPOLL_CTL_ADD 1
#define LINUX_EPOLL_CTL_DEL 2
#define LINUX_EPOLL_CTL_MOD 3

#define LINUX_EPOLLIN        0x00000001u
#define LINUX_EPOLLOUT       0x00000004u
#define LINUX_EPOLLERR       0x00000008u
#define LINUX_EPOLLHUP       0x00000010u
#define LINUX_EPOLLRDHUP     0x00002000u
#define LINUX_EPOLLEXCLUSIVE (1u << 28)
#define LINUX_EPOLLWAKEUP    (1u << 29)
#define LINUX_EPOLLONESHOT   (1u << 30)
#define LINUX_EPOLLET        (1u << 31)

/* Linux's EP_MAX_EVENTS: the largest maxevents epoll_wait takes. */
#define LINUX_EP_MAX_EVENTS ((int)(0x7fffffff / sizeof(struct linux_epoll_event)))

/* Makes an epoll instance. Returns 0 and a new reference in *out, or -errno. */
int epoll_new(struct file **out);
/* Whether f is an epoll instance. */
bool file_is_epoll(const struct file *f);
/*
 * epoll_ctl(2) on epoll instance epf, after the syscall's own checks
 * (sys_epoll.c: EBADF, EPERM, EINVAL): op on target tf, watched as fd.
 * ev is NULL for EPOLL_CTL_DEL. Returns 0 or -errno (EEXIST, ENOENT,
 * ELOOP, EINVAL, EPERM from the host for host files that cannot be polled).
 */
int epoll_ctl_file(struct file *epf, int op, struct file *tf, int fd,
                   const struct linux_epoll_event *ev);
/*
 * epoll_wait(2) on epf for task t: up to maxevents events written at
 * uevents. deadline: CLOCK_MONOTONIC, absolute; NULL waits forever.
 * nonblock: do not wait at all (timeout 0). Returns the count, -EINTR
 * when a signal interrupted the wait (epoll_wait is never restarted), or
 * -EFAULT.
 */
long epoll_wait_file(struct task *t, struct file *epf, uaddr_t uevents, int maxevents,
                     const struct timespec *deadline, bool nonblock);

/* ---- eventfd (eventfd.c) ---- */

#define LINUX_EFD_SEMAPHORE 1

/*
 * Makes an eventfd with counter initval. flags: LINUX_EFD_SEMAPHORE and
 * LINUX_O_NONBLOCK (the caller checked them). Returns 0 or -errno.
 */
int eventfd_new(uint64_t initval, unsigned flags, struct file **out);

/* ---- timerfd (timerfd.c) ---- */

struct linux_itimerspec {
	struct linux_timespec it_interval;
	struct linux_timespec it_value;
};

#define LINUX_TFD_TIMER_ABSTIME       1
#define LINUX_TFD_TIMER_CANCEL_ON_SET 2

/*
 * Makes a timerfd on clockid (checked by the caller: REALTIME, MONOTONIC,
 * BOOTTIME, or an _ALARM one, which is made on its plain clock: the
 * sandbox cannot wake the machine). flags: LINUX_O_NONBLOCK. Returns 0 or
 * -errno.
 */
int timerfd_new(int clockid, unsigned flags, struct file **out);
/* Whether f is a timerfd. */
bool file_is_timerfd(const struct file *f);
/* timerfd_settime(2) / timerfd_gettime(2) on a timerfd. Return 0 or -errno. */
int timerfd_settime_file(struct file *f, int flags, const struct linux_itimerspec *new_value,
                         struct linux_itimerspec *old_value);
int timerfd_gettime_file(struct file *f, struct linux_itimerspec *cur);

/* ---- inotify (inotify.c) ---- */

struct inode;

/*
 * Makes an inotify instance charged to uid (the caller's euid). flags:
 * LINUX_O_NONBLOCK (checked by the caller). Returns 0 or -errno (EMFILE
 * past max_user_instances).
 */
int inotify_new(uint32_t uid, unsigned flags, struct file **out);
/* Whether f is an inotify instance. */
bool file_is_inotify(const struct file *f);
/*
 * inotify_add_watch(2) on instance f for inode (the caller resolved the
 * path and checked read permission): mask as the caller gave it. Returns
 * the wd or -errno (EEXIST for IN_MASK_CREATE, ENOSPC past
 * max_user_watches).
 */
int inotify_add_watch_file(struct file *f, struct inode *inode, uint32_t mask);
/* inotify_rm_watch(2): 0, or -EINVAL when wd is not a watch of f. */
int inotify_rm_watch_file(struct file *f, int32_t wd);

/* ---- shared (anon.c) ---- */

/* fstat of an anonymous file: Linux's anon inode (mode 0600, no type). */
struct linux_stat;
int anon_stat(struct file *f, struct linux_stat *st);
/* Linux's noop_llseek: the position stays 0. */
int64_t anon_llseek(struct file *f, int64_t off, int whence);

#endif /* SENTRY_FSIMPL_ANON_ANON_H */
