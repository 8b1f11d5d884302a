/*
 * Host terminals (host_tty.c): the terminal ioctls of a host file that is
 * a terminal, run on its host fd with the sandbox's job-control checks.
 * Private to sentry/fsimpl/host.
 */
#ifndef SENTRY_FSIMPL_HOST_HOST_TTY_H
#define SENTRY_FSIMPL_HOST_HOST_TTY_H

#include <stdint.h>

struct task;
struct tty;

/*
 * A terminal ioctl (not job control: tty_ioctl has had its turn) on host
 * terminal fd, whose job-control object is tty, for t. Returns the
 * request's result or -errno: ENOTTY for a request the sandbox does not
 * pass, EIO for TIOCSTI.
 */
long host_tty_ioctl(struct task *t, struct tty *tty, int fd, unsigned cmd, uint64_t arg);

/*
 * Before t writes to host terminal fd: with TOSTOP set, a process in the
 * background of its controlling terminal gets SIGTTOU (Linux's
 * n_tty_write). Returns 0 or tty_check_change's error.
 */
int host_tty_check_write(struct task *t, struct tty *tty, int fd);

#endif /* SENTRY_FSIMPL_HOST_HOST_TTY_H */
