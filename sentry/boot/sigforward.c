/*
 * Host signals into the sandbox: see sigforward.h.
 *
 * One host thread waits on a signalfd for the forwarded signals, which
 * every sentry thread blocks (they inherit the mask of the thread that
 * called sigforward_start), and on an eventfd that sigforward_stop writes.
 * For each signal it reads the host's siginfo: si_code SI_KERNEL is the
 * host kernel's own sending (a terminal's line discipline, a hangup),
 * anything else a process's (kill, sigqueue, tgkill). The signal numbers
 * are the host's, which on x86-64 Linux are the guest's.
 *
 * The sandbox side is the kernel's: tty_signal_foreground and tty_hangup
 * (sentry/kernel/tty.c) for the terminal's signals, and
 * task_send_group_signal to the init process for the others, all under
 * kernel.mu.
 */
#include "sentry/boot/sigforward.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "common/log.h"
#include "sentry/fsimpl/host/host.h"
#include "sentry/kernel/task.h"
#include "sentry/kernel/tty.h"

/* The forwarder: one per sentry process, as signals are per process. */
static struct {
	struct kernel *k;
	/* The sandbox's terminal when it is the sentry's controlling terminal, else NULL. */
	struct tty *tty;
	/* sigforward_start made console_fd the sentry's controlling terminal. */
	bool took_terminal;
	int sigfd;
	int stopfd;
	pthread_t thread;
	bool running;
} g_fwd = { .sigfd = -1, .stopfd = -1 };

/* Adds sig to set unless the sentry inherited it ignored. */
static void add_unless_ignored(sigset_t *set, int sig)
{
	struct sigaction old;
	if (sigaction(sig, NULL, &old) == 0 && old.sa_handler == SIG_IGN)
		return;
	sigaddset(set, sig);
}

/*
 * The signals forwarded (see sigforward.h for those that are not, and
 * why), less those the sentry was started with ignored: blocked, they
 * would be queued after all (Linux never drops a blocked signal).
 */
static void forwarded_set(sigset_t *set)
{
	static const int sigs[] = {
		SIGHUP,  SIGINT,  SIGQUIT, SIGUSR1,   SIGUSR2, SIGALRM,  SIGTERM, SIGSTKFLT,
		SIGCONT, SIGTSTP, SIGURG,  SIGVTALRM, SIGPROF, SIGWINCH, SIGIO,   SIGPWR,
	};
	sigemptyset(set);
	for (size_t i = 0; i < ARRAY_SIZE(sigs); i++)
		add_unless_ignored(set, sigs[i]);
	/* From glibc's SIGRTMIN: the two below it are glibc's own (thread cancellation, setxid). */
	for (int sig = SIGRTMIN; sig <= SIGRTMAX; sig++)
		add_unless_ignored(set, sig);
}

/*
 * Makes the host terminal fd the sentry's controlling terminal, unless it
 * already is. Returns true when it is.
 */
static bool take_terminal(int fd)
{
	pid_t sid;
	if (ioctl(fd, TIOCGSID, &sid) == 0 && sid == getsid(0))
		return true; /* `runsc do` at a shell: its terminal already */
	/* A session leader keeps its session; anyone else starts one (not a group leader). */
	if (getsid(0) != getpid() && setsid() < 0) {
		log_info("the sandbox's terminal stays outside the sentry's session (setsid: %s): "
		         "^C typed there does not reach the sandbox",
		         strerror(errno));
		return false;
	}
	if (ioctl(fd, TIOCSCTTY, 0) != 0) {
		log_warn("the sandbox's terminal cannot be the sentry's controlling terminal "
		         "(TIOCSCTTY: %s): ^C typed there does not reach the sandbox",
		         strerror(errno));
		return false;
	}
	return true;
}

/* Sends si to the init process, if it still runs. */
static void signal_init(struct kernel *k, const struct linux_siginfo *si)
{
	pthread_mutex_lock(&k->mu);
	struct thread_group *init = kernel_find_tg_locked(k, 1);
	if (init && !init->zombie && !list_empty(&init->threads)) {
		struct task *any = list_first_entry(&init->threads, struct task, tg_link);
		if (task_send_group_signal(any, si->signo, si) == 0)
			tg_signal_kick_locked(init, si->signo);
	}
	pthread_mutex_unlock(&k->mu);
}

/* Delivers one host signal to the sandbox. */
static void forward(const struct signalfd_siginfo *hs)
{
	int sig = (int)hs->ssi_signo;
	struct tty *tty = __atomic_load_n(&g_fwd.tty, __ATOMIC_ACQUIRE);
	if (hs->ssi_code == SI_KERNEL && tty) {
		switch (sig) {
		case SIGINT:
		case SIGQUIT:
		case SIGTSTP:
		case SIGWINCH:
			if (tty_signal_foreground(g_fwd.k, tty, sig))
				return;
			break; /* no foreground group: to init */
		case SIGHUP:
			if (tty_hangup(g_fwd.k, tty))
				return;
			break;
		default:
			break;
		}
	}
	/* A hangup's or a session's end: tty_hangup has sent the sandbox's own. */
	if (hs->ssi_code == SI_KERNEL && sig == SIGCONT)
		return;
	struct linux_siginfo si = { .signo = sig, .code = LINUX_SI_KERNEL };
	if (hs->ssi_code == SI_USER || hs->ssi_code == SI_QUEUE || hs->ssi_code == SI_TKILL) {
		/* From a process outside the sandbox's pid namespace: si_pid is 0 (Linux's). */
		si.code = hs->ssi_code == SI_QUEUE ? LINUX_SI_QUEUE : LINUX_SI_USER;
		si.kill.pid = 0;
		si.kill.uid = hs->ssi_uid;
		if (hs->ssi_code == SI_QUEUE)
			si.raw[1] = hs->ssi_ptr; /* si_value, after si_pid and si_uid */
	}
	signal_init(g_fwd.k, &si);
}

static void *forward_thread(void *arg)
{
	(void)arg;
	struct pollfd p[2] = {
		{ .fd = g_fwd.sigfd, .events = POLLIN },
		{ .fd = g_fwd.stopfd, .events = POLLIN },
	};
	for (;;) {
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			log_error("signal forwarding: poll: %s", strerror(errno));
			return NULL;
		}
		if (p[1].revents)
			return NULL;
		struct signalfd_siginfo hs;
		if (read(g_fwd.sigfd, &hs, sizeof(hs)) == (ssize_t)sizeof(hs))
			forward(&hs);
	}
}

int sigforward_start(struct kernel *k, int console_fd)
{
	BUG_ON(g_fwd.running);
	sigset_t set;
	forwarded_set(&set);
	/* Blocked first: the terminal's ^C must not end the sentry once it is taken. */
	int err = -pthread_sigmask(SIG_BLOCK, &set, NULL);
	if (err < 0)
		return err;
	g_fwd.k = k;
	g_fwd.took_terminal = console_fd >= 0 && isatty(console_fd) && take_terminal(console_fd);
	g_fwd.sigfd = signalfd(-1, &set, SFD_CLOEXEC);
	g_fwd.stopfd = eventfd(0, EFD_CLOEXEC);
	if (g_fwd.sigfd < 0 || g_fwd.stopfd < 0) {
		err = -errno;
		goto out_close;
	}
	err = -pthread_create(&g_fwd.thread, NULL, forward_thread, NULL);
	if (err < 0)
		goto out_close;
	g_fwd.running = true;
	return 0;
out_close:
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	if (g_fwd.sigfd >= 0)
		close(g_fwd.sigfd);
	if (g_fwd.stopfd >= 0)
		close(g_fwd.stopfd);
	g_fwd.sigfd = g_fwd.stopfd = -1;
	return err;
}

void sigforward_set_terminal(struct file *console)
{
	struct tty *tty = console ? host_file_tty(console) : NULL;
	if (!g_fwd.running || !g_fwd.took_terminal || !tty)
		return;
	__atomic_store_n(&g_fwd.tty, tty, __ATOMIC_RELEASE);
}

void sigforward_stop(void)
{
	if (!g_fwd.running)
		return;
	uint64_t one = 1;
	ssize_t n = write(g_fwd.stopfd, &one, sizeof(one));
	(void)n;
	pthread_join(g_fwd.thread, NULL);
	close(g_fwd.sigfd);
	close(g_fwd.stopfd);
	g_fwd.sigfd = g_fwd.stopfd = -1;
	g_fwd.running = false;
	g_fwd.k = NULL;
	g_fwd.tty = NULL;
	g_fwd.took_terminal = false;
}
