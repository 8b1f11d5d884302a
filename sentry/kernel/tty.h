/*
 * Controlling terminals: job control over the terminals the sandbox has
 * (see tty.c).
 */
#ifndef SENTRY_KERNEL_TTY_H
#define SENTRY_KERNEL_TTY_H

#include <stdint.h>

#include "common/util.h"

struct task;
struct thread_group;

struct tty {
	uint64_t rdev;    /* the host terminal's device number */
	struct tty *next; /* in the registry */
	/* Under kernel.mu. */
	int session; /* the session it controls, 0: none */
	int pgrp;    /* its foreground process group */
};

/* tty_ioctl's answer for a request that is not job control: the caller handles it. */
#define TTY_ENOIOCTLCMD 515

/* The terminal object for host device rdev (made on first use); NULL without memory. */
struct tty *tty_for_device(uint64_t rdev);
/*
 * Makes tty the controlling terminal of leader's session, with leader's
 * group in the foreground. Preconditions: kernel.mu held (or no other
 * task yet).
 */
void tty_set_controlling_locked(struct thread_group *leader, struct tty *tty);
/*
 * The job-control ioctls (TIOCGPGRP, TIOCSPGRP, TIOCGSID, TIOCSCTTY,
 * TIOCNOTTY) on tty for t. Returns their result, or -TTY_ENOIOCTLCMD for
 * any other request.
 */
long tty_ioctl(struct task *t, struct tty *tty, unsigned cmd, uaddr_t arg);
/*
 * A read of tty by t: 0 when t may read; else SIGTTIN went to t's
 * (background) group and the read restarts (-ERESTARTSYS), or -EIO.
 */
int tty_check_read(struct task *t, struct tty *tty);
/*
 * A session leader leaves its terminal (TIOCNOTTY, exit): the foreground
 * group gets SIGHUP and SIGCONT and the session loses the terminal.
 * Preconditions: kernel.mu held.
 */
void tty_disassociate_locked(struct thread_group *leader);
/* tg's terminal's foreground group (for /proc/PID/stat's tpgid), or -1. */
int tty_foreground_pgrp_locked(const struct thread_group *tg);

#endif /* SENTRY_KERNEL_TTY_H */
