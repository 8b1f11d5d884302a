/*
 * Controlling terminals: job control over the terminals the sandbox has
 * (see tty.c).
 */
#ifndef SENTRY_KERNEL_TTY_H
#define SENTRY_KERNEL_TTY_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/util.h"

struct kernel;
struct task;
struct thread_group;

struct tty {
	uint64_t rdev;    /* the host terminal's device number */
	struct tty *next; /* in the registry */
	/*
	 * A host fd of the terminal, for opens of /dev/tty (host_file.c sets
	 * it once, with a compare-and-swap from -1; never closed).
	 */
	_Atomic int host_fd;
	/* Under kernel.mu. */
	int session; /* the session it controls, 0: none */
	int pgrp;    /* its foreground process group */
};

/* tty_ioctl's answer for a request that is not job control: the caller handles it. */
#define TTY_ENOIOCTLCMD 515

/* The terminal object for host device rdev (made on first use); NULL without memory. */
struct tty *tty_for_device(uint64_t rdev);
/* t's controlling terminal (what /dev/tty opens), or NULL. Takes kernel.mu. */
struct tty *tty_controlling(struct task *t);
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
 * Linux's tty_check_change: may t change tty (its modes, a flush, a
 * break, a write with TOSTOP)? 0 when t is not in the background of tty
 * (its controlling terminal), or blocks or ignores SIGTTOU; else SIGTTOU
 * went to t's group and the call restarts (-ERESTARTSYS), or -EIO for an
 * orphaned group.
 */
int tty_check_change(struct task *t, struct tty *tty);
/*
 * Is tty t's controlling terminal with another group in the foreground?
 * (A cheap test before a write looks at TOSTOP; tty_check_change decides.)
 */
bool tty_in_background(struct task *t, struct tty *tty);
/*
 * What the line discipline does for ^C, ^\, ^Z and a new window size
 * (Linux's isig and tty_do_resize): sig, from the kernel, to every process
 * of tty's foreground group. Returns false when tty has no foreground
 * group in a session. Takes kernel.mu.
 */
bool tty_signal_foreground(struct kernel *k, struct tty *tty, int sig);
/*
 * The terminal hung up (Linux's __tty_hangup): the session it controls
 * loses it, and the session leader gets SIGHUP and SIGCONT; the
 * foreground group gets SIGHUP and SIGCONT when that leader exits.
 * Returns false when tty controls no session. Takes kernel.mu.
 */
bool tty_hangup(struct kernel *k, struct tty *tty);
/*
 * A session leader leaves its terminal (TIOCNOTTY; its exit when on_exit):
 * the foreground group gets SIGHUP, and SIGCONT unless on_exit, and the
 * session loses the terminal. A leader whose terminal hung up signals the
 * group that was in the foreground then, when it exits.
 * Preconditions: kernel.mu held.
 */
void tty_disassociate_locked(struct thread_group *leader, bool on_exit);
/* tg's terminal's foreground group (for /proc/PID/stat's tpgid), or -1. */
int tty_foreground_pgrp_locked(const struct thread_group *tg);

#endif /* SENTRY_KERNEL_TTY_H */
