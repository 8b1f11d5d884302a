/*
 * Controlling terminals and their foreground process groups (Linux's
 * drivers/tty/tty_jobctrl.c), for the terminals the sandbox has: today the
 * host terminal its stdio may be (one struct tty per host device number).
 *
 * The terminal's bytes and modes are the host's; what is the sandbox's is
 * job control: which session a terminal controls, which process group is
 * in the foreground (TIOCGPGRP, TIOCSPGRP), the signals that keep
 * background groups off it (SIGTTIN for a read, SIGTTOU for tcsetpgrp,
 * for changing its modes and, with TOSTOP, for a write), and the signals
 * the terminal itself sends: what its line discipline generates (^C, ^\,
 * ^Z, a new window size) goes to the foreground group, a hangup to the
 * session leader (sentry/boot/sigforward.c brings them from the host).
 * Everything here is under kernel.mu, with each process's tty pointer.
 */
#include "sentry/kernel/tty.h"

#include <errno.h>
#include <stdlib.h>

#include "common/abi/linux/errno.h"
#include "common/abi/linux/misc.h"
#include "common/abi/linux/tty.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"

static pthread_mutex_t g_ttys_mu = PTHREAD_MUTEX_INITIALIZER;
static struct tty *g_ttys;

struct tty *tty_for_device(uint64_t rdev)
{
	pthread_mutex_lock(&g_ttys_mu);
	struct tty *t;
	for (t = g_ttys; t; t = t->next) {
		if (t->rdev == rdev)
			break;
	}
	if (!t) {
		t = calloc(1, sizeof(*t));
		if (t) {
			t->rdev = rdev;
			atomic_init(&t->host_fd, -1);
			t->next = g_ttys;
			g_ttys = t;
		}
	}
	pthread_mutex_unlock(&g_ttys_mu);
	return t;
}

struct tty *tty_controlling(struct task *t)
{
	pthread_mutex_lock(&t->k->mu);
	struct tty *tty = t->tg->tty;
	pthread_mutex_unlock(&t->k->mu);
	return tty;
}

void tty_set_controlling_locked(struct thread_group *leader, struct tty *tty)
{
	tty->session = leader->sid;
	tty->pgrp = leader->pgid;
	leader->tty = tty;
}

/* Does process group pgid exist in session sid? Preconditions: k->mu held. */
static bool pgrp_in_session_locked(struct kernel *k, int pgid, int sid, bool *exists)
{
	*exists = false;
	struct thread_group *o;
	list_for_each_entry (o, &k->tgs, k_link) {
		if (o->zombie || o->pgid != pgid)
			continue;
		*exists = true;
		if (o->sid == sid)
			return true;
	}
	return false;
}

/* Is the process group orphaned (no member has a parent in another group of its session)? */
static bool pgrp_orphaned_locked(struct kernel *k, int pgid, int sid)
{
	struct thread_group *o;
	list_for_each_entry (o, &k->tgs, k_link) {
		if (o->zombie || o->pgid != pgid || !o->parent)
			continue;
		if (o->parent->pgid != pgid && o->parent->sid == sid)
			return false;
	}
	return true;
}

/* Sends sig to every process of group pgid. Preconditions: k->mu held. */
static void signal_pgrp_locked(struct kernel *k, int pgid, int sig)
{
	struct thread_group *o;
	list_for_each_entry (o, &k->tgs, k_link) {
		if (o->zombie || o->pgid != pgid || list_empty(&o->threads))
			continue;
		struct linux_siginfo si = { .signo = sig, .code = LINUX_SI_KERNEL };
		struct task *any = list_first_entry(&o->threads, struct task, tg_link);
		if (task_send_group_signal(any, sig, &si) == 0)
			tg_signal_kick_locked(o, sig);
	}
}

/* Is sig blocked by t or ignored by its process? */
static bool sig_blocked_or_ignored(struct task *t, int sig)
{
	if (t->sigmask & linux_sigmask(sig))
		return true;
	pthread_mutex_lock(&t->tg->mu);
	bool ignored = t->tg->actions[sig].handler == LINUX_SIG_IGN;
	pthread_mutex_unlock(&t->tg->mu);
	return ignored;
}

/*
 * Linux's __tty_check_change: may t, in the background of its controlling
 * terminal tty, do what sig (SIGTTIN for reads, SIGTTOU for changes)
 * guards? 0: yes; else the signal went to t's process group and the call
 * restarts once it is handled (-ERESTARTSYS), or -EIO for an orphaned
 * group. Preconditions: k->mu held.
 */
static int check_change_locked(struct task *t, struct tty *tty, int sig)
{
	struct thread_group *tg = t->tg;
	if (tg->tty != tty || tty->pgrp == tg->pgid || !tty->pgrp)
		return 0;
	if (sig_blocked_or_ignored(t, sig))
		return sig == LINUX_SIGTTIN ? -EIO : 0;
	if (pgrp_orphaned_locked(t->k, tg->pgid, tg->sid))
		return -EIO;
	signal_pgrp_locked(t->k, tg->pgid, sig);
	return -LINUX_ERESTARTSYS;
}

int tty_check_read(struct task *t, struct tty *tty)
{
	pthread_mutex_lock(&t->k->mu);
	int err = check_change_locked(t, tty, LINUX_SIGTTIN);
	pthread_mutex_unlock(&t->k->mu);
	return err;
}

int tty_check_change(struct task *t, struct tty *tty)
{
	pthread_mutex_lock(&t->k->mu);
	int err = check_change_locked(t, tty, LINUX_SIGTTOU);
	pthread_mutex_unlock(&t->k->mu);
	return err;
}

bool tty_in_background(struct task *t, struct tty *tty)
{
	pthread_mutex_lock(&t->k->mu);
	bool bg = t->tg->tty == tty && tty->pgrp && tty->pgrp != t->tg->pgid;
	pthread_mutex_unlock(&t->k->mu);
	return bg;
}

bool tty_signal_foreground(struct kernel *k, struct tty *tty, int sig)
{
	pthread_mutex_lock(&k->mu);
	int pgrp = tty->session ? tty->pgrp : 0;
	if (pgrp)
		signal_pgrp_locked(k, pgrp, sig);
	pthread_mutex_unlock(&k->mu);
	return pgrp != 0;
}

bool tty_hangup(struct kernel *k, struct tty *tty)
{
	pthread_mutex_lock(&k->mu);
	int sid = tty->session;
	if (!sid) {
		pthread_mutex_unlock(&k->mu);
		return false;
	}
	/*
	 * Linux's tty_signal_session_leader: the session's processes lose the
	 * terminal; its leader gets SIGHUP and SIGCONT, and remembers the
	 * foreground group, which gets SIGHUP when the leader exits.
	 */
	struct thread_group *o;
	list_for_each_entry (o, &k->tgs, k_link) {
		if (o->tty == tty)
			o->tty = NULL;
		if (o->sid != sid || o->tgid != sid || o->zombie || list_empty(&o->threads))
			continue;
		struct linux_siginfo si = { .signo = LINUX_SIGHUP, .code = LINUX_SI_KERNEL };
		struct task *any = list_first_entry(&o->threads, struct task, tg_link);
		if (task_send_group_signal(any, LINUX_SIGHUP, &si) == 0)
			tg_signal_kick_locked(o, LINUX_SIGHUP);
		si.signo = LINUX_SIGCONT;
		if (task_send_group_signal(any, LINUX_SIGCONT, &si) == 0)
			tg_signal_kick_locked(o, LINUX_SIGCONT);
		o->tty_old_pgrp = tty->pgrp;
	}
	tty->session = 0;
	tty->pgrp = 0;
	pthread_mutex_unlock(&k->mu);
	return true;
}

long tty_ioctl(struct task *t, struct tty *tty, unsigned cmd, uaddr_t arg)
{
	struct kernel *k = t->k;
	struct thread_group *tg = t->tg;
	long ret = 0;
	switch (cmd) {
	case LINUX_TIOCGPGRP:
	case LINUX_TIOCGSID: {
		pthread_mutex_lock(&k->mu);
		bool mine = tg->tty == tty;
		int32_t v = cmd == LINUX_TIOCGPGRP ? tty->pgrp : tty->session;
		pthread_mutex_unlock(&k->mu);
		if (!mine)
			return -ENOTTY;
		return mm_copy_out(t->mm, arg, &v, sizeof(v));
	}
	case LINUX_TIOCSPGRP: {
		int32_t pgrp;
		if (mm_copy_in(t->mm, &pgrp, arg, sizeof(pgrp)) < 0)
			return -EFAULT;
		pthread_mutex_lock(&k->mu);
		bool exists;
		if (tg->tty != tty || tty->session != tg->sid)
			ret = -ENOTTY;
		else if ((ret = check_change_locked(t, tty, LINUX_SIGTTOU)) != 0)
			;
		else if (pgrp < 0)
			ret = -EINVAL;
		else if (!pgrp_in_session_locked(k, pgrp, tg->sid, &exists))
			ret = exists ? -EPERM : -ESRCH;
		else
			tty->pgrp = pgrp;
		pthread_mutex_unlock(&k->mu);
		return ret;
	}
	case LINUX_TIOCSCTTY:
		pthread_mutex_lock(&k->mu);
		if (tg->sid != tg->tgid || tg->tty) {
			/* Only a session leader without a terminal may take one. */
			ret = tg->tty == tty ? 0 : -EPERM;
		} else if (tty->session && tty->session != tg->sid && arg != 1) {
			ret = -EPERM; /* another session's; stealing needs arg 1 and root */
		} else if (tty->session && tty->session != tg->sid && t->creds.euid != 0) {
			ret = -EPERM;
		} else {
			/* A stolen terminal leaves its old session's processes. */
			struct thread_group *o;
			list_for_each_entry (o, &k->tgs, k_link) {
				if (o->tty == tty)
					o->tty = NULL;
			}
			tty_set_controlling_locked(tg, tty);
		}
		pthread_mutex_unlock(&k->mu);
		return ret;
	case LINUX_TIOCNOTTY:
		pthread_mutex_lock(&k->mu);
		if (tg->tty != tty) {
			ret = -ENOTTY;
		} else if (tg->sid == tg->tgid) {
			tty_disassociate_locked(tg, /*on_exit=*/false);
		} else {
			tg->tty = NULL;
		}
		pthread_mutex_unlock(&k->mu);
		return ret;
	default:
		return -TTY_ENOIOCTLCMD;
	}
}

void tty_disassociate_locked(struct thread_group *leader, bool on_exit)
{
	struct kernel *k = leader->k;
	struct tty *tty = leader->tty;
	int old_pgrp = leader->tty_old_pgrp;
	leader->tty_old_pgrp = 0;
	if (!tty || tty->session != leader->sid) {
		/* Its terminal hung up: the group that was in the foreground then is told now. */
		if (on_exit && old_pgrp) {
			signal_pgrp_locked(k, old_pgrp, LINUX_SIGHUP);
			signal_pgrp_locked(k, old_pgrp, LINUX_SIGCONT);
		}
		return;
	}
	/*
	 * Linux's disassociate_ctty for a pseudo-terminal (what the host gives
	 * us): the foreground group gets SIGHUP, and SIGCONT too unless the
	 * leader is exiting.
	 */
	if (tty->pgrp) {
		signal_pgrp_locked(k, tty->pgrp, LINUX_SIGHUP);
		if (!on_exit)
			signal_pgrp_locked(k, tty->pgrp, LINUX_SIGCONT);
	}
	struct thread_group *o;
	list_for_each_entry (o, &k->tgs, k_link) {
		if (o->sid == leader->sid)
			o->tty = NULL;
	}
	tty->session = 0;
	tty->pgrp = 0;
}

int tty_foreground_pgrp_locked(const struct thread_group *tg)
{
	return tg->tty ? tg->tty->pgrp : -1;
}
