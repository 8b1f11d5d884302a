/*
 * Host terminals: the ioctls that read or change a terminal's modes,
 * window size and queues run on the host fd (see host_tty.h).
 *
 * The sandbox's terminal is a host terminal (the pty `runsc create` gives
 * the sentry, or the one `runsc do` inherits), so its line discipline,
 * echo, modes and window size are the host kernel's: the sentry passes
 * each request it knows on to the host fd, with the argument copied in
 * from guest memory before the call or copied out after it. The host is
 * x86-64 Linux, so its request numbers and structures are the guest's
 * (the kernel's 36-byte struct termios, termios2, termio, winsize): a
 * request goes to the host with its own number and the sentry's copy of
 * its argument, never a guest pointer. Requests not in the table below
 * are ENOTTY, so nothing the sentry has not looked at reaches the host.
 *
 * What stays the sandbox's is job control (sentry/kernel/tty.c): before a
 * request that changes the terminal (set modes, flush, flow control,
 * break) a process in the background of its controlling terminal gets
 * SIGTTOU, as Linux's tty_check_change, and so does a write with TOSTOP
 * set. Requests that wait for output to drain (TCSETSW, TCSETSF, TCSBRK,
 * TCSBRKP) wait here, interruptibly, by polling the output queue (always
 * empty on a pseudo-terminal, which has none), so the host call does not
 * block on it. (A break on a real serial line, which a pseudo-terminal
 * ignores, still holds the task's thread in the host call for its length:
 * 0.25 s, or TCSBRKP's tenths of a second.)
 *
 * TIOCSTI (push a byte into the terminal's input) always fails with EIO,
 * as on Linux 6.2+ with dev.tty.legacy_tiocsti=0 for a caller without
 * CAP_SYS_ADMIN: the terminal may be shared with the host (the shell that
 * ran `runsc do`), and a byte pushed there would be read by the host's
 * processes once the sandbox is gone. A capability inside the sandbox is
 * not the host's, so there is no exception for it.
 *
 * Not passed: line disciplines (TIOCGETD/TIOCSETD), modem lines, serial
 * settings, TIOCCONS, TIOCVHANGUP, the locked termios, packet mode and
 * the master's requests (the sandbox has only the slave side).
 */
#include "sentry/fsimpl/host/host_tty.h"

#include <errno.h>
#include <sys/ioctl.h>
#include <time.h>

#include "common/abi/linux/errno.h"
#include "common/abi/linux/tty.h"
#include "sentry/kernel/task.h"
#include "sentry/kernel/tty.h"
#include "sentry/mm/mm.h"

enum tty_arg {
	TTY_ARG_NONE,  /* no argument */
	TTY_ARG_VALUE, /* the argument itself (TCFLSH's queue, TCSBRK's flag) */
	TTY_ARG_OUT,   /* the host fills size bytes, copied out to the pointer */
	TTY_ARG_IN,    /* size bytes copied in from the pointer, for the host */
};

enum tty_drain {
	TTY_DRAIN_NONE,
	TTY_DRAIN_RESTART, /* set_termios's wait: a signal restarts the call */
	TTY_DRAIN_EINTR,   /* tty_ioctl's break handling: a signal is EINTR */
};

struct tty_request {
	unsigned cmd;  /* the guest's request, which is the host's */
	uint8_t arg;   /* enum tty_arg */
	uint8_t size;  /* bytes copied for TTY_ARG_OUT and TTY_ARG_IN */
	bool change;   /* changes the terminal: tty_check_change first */
	uint8_t drain; /* enum tty_drain: wait until the output is sent first */
};

#define TERMIOS  sizeof(struct linux_termios)
#define TERMIOS2 sizeof(struct linux_termios2)
#define TERMIO   sizeof(struct linux_termio)
#define WINSIZE  sizeof(struct linux_winsize)
#define INT      sizeof(int32_t)

/*
 * Linux's tty_ioctl, n_tty_ioctl and tty_mode_ioctl, for the requests the
 * sandbox has: the request, its argument and the argument's size, whether
 * it is a change (SIGTTOU from the background), and its wait for output.
 */
static const struct tty_request g_requests[] = {
	{ LINUX_TCGETS, TTY_ARG_OUT, TERMIOS, false, TTY_DRAIN_NONE },
	{ LINUX_TCSETS, TTY_ARG_IN, TERMIOS, true, TTY_DRAIN_NONE },
	{ LINUX_TCSETSW, TTY_ARG_IN, TERMIOS, true, TTY_DRAIN_RESTART },
	{ LINUX_TCSETSF, TTY_ARG_IN, TERMIOS, true, TTY_DRAIN_RESTART },
	{ LINUX_TCGETS2, TTY_ARG_OUT, TERMIOS2, false, TTY_DRAIN_NONE },
	{ LINUX_TCSETS2, TTY_ARG_IN, TERMIOS2, true, TTY_DRAIN_NONE },
	{ LINUX_TCSETSW2, TTY_ARG_IN, TERMIOS2, true, TTY_DRAIN_RESTART },
	{ LINUX_TCSETSF2, TTY_ARG_IN, TERMIOS2, true, TTY_DRAIN_RESTART },
	{ LINUX_TCGETA, TTY_ARG_OUT, TERMIO, false, TTY_DRAIN_NONE },
	{ LINUX_TCSETA, TTY_ARG_IN, TERMIO, true, TTY_DRAIN_NONE },
	{ LINUX_TCSETAW, TTY_ARG_IN, TERMIO, true, TTY_DRAIN_RESTART },
	{ LINUX_TCSETAF, TTY_ARG_IN, TERMIO, true, TTY_DRAIN_RESTART },
	{ LINUX_TIOCGWINSZ, TTY_ARG_OUT, WINSIZE, false, TTY_DRAIN_NONE },
	/* A new size is no change in Linux's sense: no SIGTTOU (tiocswinsz). */
	{ LINUX_TIOCSWINSZ, TTY_ARG_IN, WINSIZE, false, TTY_DRAIN_NONE },
	{ LINUX_TIOCINQ, TTY_ARG_OUT, INT, false, TTY_DRAIN_NONE },
	{ LINUX_TIOCOUTQ, TTY_ARG_OUT, INT, false, TTY_DRAIN_NONE },
	{ LINUX_TIOCGEXCL, TTY_ARG_OUT, INT, false, TTY_DRAIN_NONE },
	{ LINUX_TCFLSH, TTY_ARG_VALUE, 0, true, TTY_DRAIN_NONE },
	{ LINUX_TCXONC, TTY_ARG_VALUE, 0, true, TTY_DRAIN_NONE },
	{ LINUX_TCSBRK, TTY_ARG_VALUE, 0, true, TTY_DRAIN_EINTR },
	{ LINUX_TCSBRKP, TTY_ARG_VALUE, 0, true, TTY_DRAIN_EINTR },
	{ LINUX_TIOCEXCL, TTY_ARG_NONE, 0, false, TTY_DRAIN_NONE },
	{ LINUX_TIOCNXCL, TTY_ARG_NONE, 0, false, TTY_DRAIN_NONE },
};

/* How often a drain looks at the output queue again. */
#define DRAIN_POLL_NS 10000000

/*
 * Linux's tty_wait_until_sent, interruptibly: waits until fd's output
 * queue is empty. Returns 0, or -EINTR when a signal came first.
 */
static int drain(struct task *t, int fd)
{
	for (;;) {
		int queued = 0;
		if (ioctl(fd, TIOCOUTQ, &queued) != 0 || queued <= 0)
			return 0;
		struct timespec deadline;
		clock_gettime(CLOCK_MONOTONIC, &deadline);
		deadline.tv_nsec += DRAIN_POLL_NS;
		if (deadline.tv_nsec >= 1000000000L) {
			deadline.tv_sec++;
			deadline.tv_nsec -= 1000000000L;
		}
		if (task_block(t, &deadline, NULL, 0) == -EINTR)
			return -EINTR;
	}
}

long host_tty_ioctl(struct task *t, struct tty *tty, int fd, unsigned cmd, uint64_t arg)
{
	if (cmd == LINUX_TIOCSTI)
		return -EIO;
	const struct tty_request *r = NULL;
	for (size_t i = 0; i < ARRAY_SIZE(g_requests); i++) {
		if (g_requests[i].cmd == cmd) {
			r = &g_requests[i];
			break;
		}
	}
	if (!r)
		return -ENOTTY;
	if (r->change) {
		int err = tty_check_change(t, tty);
		if (err < 0)
			return err;
	}
	_Alignas(8) unsigned char buf[TERMIOS2] = { 0 }; /* the largest argument */
	if (r->arg == TTY_ARG_IN && mm_copy_in(t->mm, buf, arg, r->size) < 0)
		return -EFAULT;
	if (r->drain != TTY_DRAIN_NONE && drain(t, fd) < 0)
		return r->drain == TTY_DRAIN_RESTART ? -LINUX_ERESTARTSYS : -EINTR;
	int ret;
	do {
		if (r->arg == TTY_ARG_VALUE)
			ret = ioctl(fd, cmd, (unsigned long)arg);
		else if (r->arg == TTY_ARG_NONE)
			ret = ioctl(fd, cmd);
		else
			ret = ioctl(fd, cmd, buf);
	} while (ret < 0 && errno == EINTR);
	if (ret < 0)
		return -errno;
	if (r->arg == TTY_ARG_OUT)
		return mm_copy_out(t->mm, arg, buf, r->size);
	return 0;
}

int host_tty_check_write(struct task *t, struct tty *tty, int fd)
{
	/* Linux's n_tty_write: with TOSTOP, a background write is a change. */
	if (!tty_in_background(t, tty))
		return 0;
	struct linux_termios tio;
	if (ioctl(fd, TCGETS, &tio) != 0 || !(tio.c_lflag & LINUX_TOSTOP))
		return 0;
	return tty_check_change(t, tty);
}
