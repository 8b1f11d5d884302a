/*
 * Signals: queueing, dequeueing, delivery, waiting, faults.
 *
 * Pending signals. A task and its thread group each have a pending set
 * (a bit per signal). A standard signal (1-31) is pending at most once:
 * its siginfo is in pending_info, and a second one sent while it is
 * pending is dropped (Linux's legacy_queue). A real-time signal
 * (LINUX_SIGRTMIN-64) is queued once per sending, each with its siginfo, in
 * a per-signal FIFO (pending_rt): its bit stays set while the queue is not
 * empty. Every queued siginfo counts against the target process's
 * RLIMIT_SIGPENDING; a real-time signal over the limit fails with EAGAIN
 * unless it came from kill() (then only its siginfo is lost, as in
 * Linux's __send_signal_locked). Departure: Linux counts per user across
 * the system; this counts per process.
 *
 * Order (Linux's next_signal and dequeue_signal): thread-directed
 * signals before process-directed ones; within a set, synchronous
 * signals (SIGSEGV, SIGBUS, SIGILL, SIGTRAP, SIGFPE, SIGSYS) first, then
 * the lowest number, so standard signals before real-time ones.
 *
 * Delivery (task_deliver_signals, Linux's get_signal and handle_signal):
 * before the task returns to the application, every pending unblocked
 * signal is taken in that order. An ignored one is dropped; a handler gets
 * a signal frame (sigframe.c), after which the mask grows by sa_mask and
 * the signal itself (unless SA_NODEFER), SA_RESETHAND restores SIG_DFL and
 * SS_AUTODISARM disarms the alternate stack; more signals may stack more
 * frames on top, as on Linux, so the last one's handler runs first. The
 * syscall the task was in is restarted or fails with EINTR according to
 * the first handler (task_syscall_result, task_run.c); with no handler it
 * is restarted. Default actions: terminate and core end the process; stop
 * is a logged no-op until job control; continue and ignore do nothing.
 *
 * The first process is its pid namespace's init: as Linux's
 * SIGNAL_UNKILLABLE does, it drops every signal it has not asked for (a
 * default action) sent from inside the sandbox, SIGKILL included, but
 * faults still kill it.
 *
 * Lock order: tg->mu > tg->signal_wq.mu. The task's own mask and restart
 * state are its own thread's; the pending sets and queues are under tg->mu.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "common/abi/linux/errno.h"
#include "common/log.h"
#include "sentry/kernel/itimer.h"
#include "sentry/kernel/sigframe.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"

/* The flags rt_sigaction keeps (Linux's UAPI_SA_FLAGS on x86). */
#define UAPI_SA_FLAGS                                                                         \
	(LINUX_SA_NOCLDSTOP | LINUX_SA_NOCLDWAIT | LINUX_SA_SIGINFO | LINUX_SA_ONSTACK |      \
	 LINUX_SA_RESTART | LINUX_SA_NODEFER | LINUX_SA_RESETHAND | LINUX_SA_EXPOSE_TAGBITS | \
	 LINUX_SA_RESTORER)

#define UNBLOCKABLE (linux_sigmask(LINUX_SIGKILL) | linux_sigmask(LINUX_SIGSTOP))

/* Linux's SYNCHRONOUS_MASK: signals from faults, dequeued first. */
#define SYNCHRONOUS_MASK                                              \
	(linux_sigmask(LINUX_SIGSEGV) | linux_sigmask(LINUX_SIGBUS) | \
	 linux_sigmask(LINUX_SIGILL) | linux_sigmask(LINUX_SIGTRAP) | \
	 linux_sigmask(LINUX_SIGFPE) | linux_sigmask(LINUX_SIGSYS))

/*
 * One queued real-time siginfo. A queue is circular and pending_rt[]
 * points at its tail (the newest), whose next is the head (the oldest):
 * appending and taking the oldest are O(1).
 */
struct sigqueue {
	struct sigqueue *next;
	struct linux_siginfo info;
};

enum sig_default {
	SIG_DEFAULT_TERM,
	SIG_DEFAULT_CORE,
	SIG_DEFAULT_STOP,
	SIG_DEFAULT_CONT,
	SIG_DEFAULT_IGNORE,
};

static enum sig_default sig_default_action(int sig)
{
	switch (sig) {
	case LINUX_SIGQUIT:
	case LINUX_SIGILL:
	case LINUX_SIGTRAP:
	case LINUX_SIGABRT:
	case LINUX_SIGBUS:
	case LINUX_SIGFPE:
	case LINUX_SIGSEGV:
	case LINUX_SIGXCPU:
	case LINUX_SIGXFSZ:
	case LINUX_SIGSYS:
		return SIG_DEFAULT_CORE;
	case LINUX_SIGSTOP:
	case LINUX_SIGTSTP:
	case LINUX_SIGTTIN:
	case LINUX_SIGTTOU:
		return SIG_DEFAULT_STOP;
	case LINUX_SIGCONT:
		return SIG_DEFAULT_CONT;
	case LINUX_SIGCHLD:
	case LINUX_SIGURG:
	case LINUX_SIGWINCH:
		return SIG_DEFAULT_IGNORE;
	default:
		return SIG_DEFAULT_TERM;
	}
}

/* Signals no mask, handler or init protection can stop: sig_kernel_only(). */
static bool sig_kernel_only(int sig)
{
	return sig == LINUX_SIGKILL || sig == LINUX_SIGSTOP;
}

static bool sig_is_rt(int sig)
{
	return sig >= LINUX_SIGRTMIN;
}

static linux_sigset_t effective_mask(const struct task *t)
{
	return t->sigmask & ~UNBLOCKABLE;
}

/*
 * Linux's sig_task_ignored(): would the signal be dropped on arrival if
 * it is not blocked? Every sender inside the sandbox is in the init's pid
 * namespace, so the init drops every signal whose action is the default.
 * Preconditions: tg->mu held.
 */
static bool sig_task_ignored(const struct thread_group *tg, int sig)
{
	uint64_t handler = tg->actions[sig].handler;
	if (tg->unkillable && handler == LINUX_SIG_DFL)
		return true;
	if (handler == LINUX_SIG_IGN)
		return true;
	return handler == LINUX_SIG_DFL && sig_default_action(sig) == SIG_DEFAULT_IGNORE;
}

/* ---- Pending sets ---- */

/* The pending set, standard siginfos and real-time queues of t (group: of its process). */
struct pending_ref {
	linux_sigset_t *set;
	struct linux_siginfo *info;
	struct sigqueue **rt;
};

static struct pending_ref pending_of(struct task *t, bool group)
{
	if (group)
		return (struct pending_ref){ &t->tg->pending, t->tg->pending_info,
			                     t->tg->pending_rt };
	return (struct pending_ref){ &t->pending, t->pending_info, t->pending_rt };
}

/* Appends info to real-time queue *q. */
static void rtq_push(struct sigqueue **q, struct sigqueue *e)
{
	if (*q) {
		e->next = (*q)->next;
		(*q)->next = e;
	} else {
		e->next = e;
	}
	*q = e;
}

/* Takes the oldest entry of a non-empty queue. */
static struct sigqueue *rtq_pop(struct sigqueue **q)
{
	struct sigqueue *head = (*q)->next;
	if (head == *q)
		*q = NULL;
	else
		(*q)->next = head->next;
	return head;
}

/*
 * Discards sig from a pending set (its queued siginfos too). Preconditions:
 * tg->mu held.
 */
static void flush_signal(struct thread_group *tg, struct pending_ref p, int sig)
{
	if (!(*p.set & linux_sigmask(sig)))
		return;
	*p.set &= ~linux_sigmask(sig);
	if (!sig_is_rt(sig)) {
		tg->sigqueue_count--;
		return;
	}
	struct sigqueue **q = &p.rt[sig - LINUX_SIGRTMIN];
	while (*q) {
		free(rtq_pop(q));
		tg->sigqueue_count--;
	}
}

/*
 * Adds sig with info to a pending set (Linux's __send_signal_locked after
 * prepare_signal). kill_info: info is kill()'s own (SI_USER), so that a
 * real-time signal over RLIMIT_SIGPENDING is still sent, without its
 * siginfo. Returns 0 or -EAGAIN. Preconditions: tg->mu held.
 */
static int pending_add(struct thread_group *tg, struct pending_ref p, int sig,
                       const struct linux_siginfo *info, bool kill_info)
{
	if (!sig_is_rt(sig)) {
		/* A standard signal already pending is not queued twice. */
		if (*p.set & linux_sigmask(sig))
			return 0;
		*p.set |= linux_sigmask(sig);
		p.info[sig - 1] = *info;
		tg->sigqueue_count++;
		return 0;
	}
	uint64_t limit = tg->rlimits[LINUX_RLIMIT_SIGPENDING].cur;
	struct sigqueue *e = NULL;
	/* A POSIX timer's signal is never refused (Linux preallocates its sigqueue). */
	if (tg->sigqueue_count < limit || info->code == LINUX_SI_TIMER)
		e = malloc(sizeof(*e));
	if (!e) {
		if (!kill_info)
			return -EAGAIN;
		/* The signal is sent, its siginfo lost (dequeued as an empty SI_USER). */
		*p.set |= linux_sigmask(sig);
		return 0;
	}
	e->info = *info;
	rtq_push(&p.rt[sig - LINUX_SIGRTMIN], e);
	tg->sigqueue_count++;
	*p.set |= linux_sigmask(sig);
	return 0;
}

/*
 * Linux's next_signal(): the signal to take first among pending & ~blocked,
 * or 0.
 */
static int next_signal(linux_sigset_t pending, linux_sigset_t blocked)
{
	linux_sigset_t x = pending & ~blocked;
	if (!x)
		return 0;
	if (x & SYNCHRONOUS_MASK)
		x &= SYNCHRONOUS_MASK;
	return __builtin_ctzll(x) + 1;
}

/* Takes sig from a pending set into *out (Linux's collect_signal). Preconditions: tg->mu held. */
static void collect_signal(struct thread_group *tg, struct pending_ref p, int sig,
                           struct linux_siginfo *out)
{
	if (!sig_is_rt(sig)) {
		*out = p.info[sig - 1];
		*p.set &= ~linux_sigmask(sig);
		tg->sigqueue_count--;
		return;
	}
	struct sigqueue **q = &p.rt[sig - LINUX_SIGRTMIN];
	if (!*q) {
		/* Its siginfo was lost to RLIMIT_SIGPENDING. */
		*out = (struct linux_siginfo){ .signo = sig, .code = LINUX_SI_USER };
		*p.set &= ~linux_sigmask(sig);
		return;
	}
	struct sigqueue *e = rtq_pop(q);
	*out = e->info;
	free(e);
	tg->sigqueue_count--;
	if (!*q)
		*p.set &= ~linux_sigmask(sig);
}

/*
 * Takes the next pending signal not in blocked, thread-directed first.
 * Returns it, or 0. Preconditions: tg->mu held.
 */
static int dequeue_signal_locked(struct task *t, linux_sigset_t blocked, struct linux_siginfo *out)
{
	for (int group = 0; group < 2; group++) {
		struct pending_ref p = pending_of(t, group);
		int sig = next_signal(*p.set, blocked);
		if (sig) {
			collect_signal(t->tg, p, sig, out);
			if (out->code == LINUX_SI_TIMER)
				posix_timer_collected_locked(t->tg, out);
			return sig;
		}
	}
	return 0;
}

int task_dequeue_signal(struct task *t, linux_sigset_t wanted, struct linux_siginfo *out)
{
	pthread_mutex_lock(&t->tg->mu);
	int sig = dequeue_signal_locked(t, ~wanted, out);
	pthread_mutex_unlock(&t->tg->mu);
	return sig;
}

struct linux_siginfo *
task_find_queued_locked(struct task *t, bool group, int sig,
                        bool (*match)(const struct linux_siginfo *, const void *), const void *arg)
{
	struct pending_ref p = pending_of(t, group);
	if (!(*p.set & linux_sigmask(sig)))
		return NULL;
	if (!sig_is_rt(sig))
		return match(&p.info[sig - 1], arg) ? &p.info[sig - 1] : NULL;
	struct sigqueue *tail = p.rt[sig - LINUX_SIGRTMIN];
	for (struct sigqueue *e = tail ? tail->next : NULL; e; e = e == tail ? NULL : e->next)
		if (match(&e->info, arg))
			return &e->info;
	return NULL;
}

void thread_group_signals_init(struct thread_group *tg)
{
	waitqueue_init(&tg->signal_wq);
	waitqueue_init(&tg->stop_wq);
}

void thread_group_signals_release(struct thread_group *tg)
{
	for (int sig = 1; sig <= LINUX_NSIG; sig++)
		flush_signal(tg,
		             (struct pending_ref){ &tg->pending, tg->pending_info, tg->pending_rt },
		             sig);
	waitqueue_destroy(&tg->signal_wq);
	waitqueue_destroy(&tg->stop_wq);
}

void task_signals_release(struct task *t)
{
	pthread_mutex_lock(&t->tg->mu);
	for (int sig = 1; sig <= LINUX_NSIG; sig++)
		flush_signal(t->tg, pending_of(t, false), sig);
	pthread_mutex_unlock(&t->tg->mu);
}

void task_signals_free(struct task *t)
{
	for (int i = 0; i < SIGNAL_NRT; i++)
		while (t->pending_rt[i])
			free(rtq_pop(&t->pending_rt[i]));
}

/* ---- Sending ---- */

/*
 * Will sig, not blocked, kill the process at once (Linux's sig_fatal,
 * without the core-dumping signals, which are delivered as usual)?
 * Preconditions: tg->mu held; init's protection already applied.
 */
static bool sig_fatal_now(const struct thread_group *tg, int sig)
{
	if (sig == LINUX_SIGKILL)
		return true;
	return tg->actions[sig].handler == LINUX_SIG_DFL &&
	       sig_default_action(sig) == SIG_DEFAULT_TERM;
}

/* ---- Job control: group stop and SIGCONT (Linux's do_signal_stop, prepare_signal) ---- */

#define SIG_STOP_MASK                                                  \
	(linux_sigmask(LINUX_SIGSTOP) | linux_sigmask(LINUX_SIGTSTP) | \
	 linux_sigmask(LINUX_SIGTTIN) | linux_sigmask(LINUX_SIGTTOU))

static bool sig_kernel_stop(int sig)
{
	return SIG_STOP_MASK & linux_sigmask(sig);
}

/*
 * What the arrival of sig does before it is queued, whatever its
 * disposition (Linux's prepare_signal): a stop signal discards a pending
 * SIGCONT; SIGCONT discards pending stop signals and ends a group stop,
 * waking the stopped threads (the parent hears of it from the first
 * thread to resume). t is the thread the signal is queued for.
 * Preconditions: tg->mu held.
 */
static void prepare_signal_locked(struct task *t, int sig)
{
	struct thread_group *tg = t->tg;
	struct pending_ref group = pending_of(t, true), thread = pending_of(t, false);
	if (sig_kernel_stop(sig)) {
		flush_signal(tg, group, LINUX_SIGCONT);
		flush_signal(tg, thread, LINUX_SIGCONT);
	} else if (sig == LINUX_SIGCONT) {
		for (int s = 1; s <= LINUX_NSIG; s++) {
			if (sig_kernel_stop(s)) {
				flush_signal(tg, group, s);
				flush_signal(tg, thread, s);
			}
		}
		if (tg->stopping) {
			/* Only a stop that was complete (and told) is reported as continued. */
			tg->cont_to_notify = tg->nr_stopped > 0 && tg->nr_stopped >= tg->live;
			tg->stopping = false;
			waitqueue_notify(&tg->stop_wq, WAIT_EVENTS_ALL);
		}
	}
}

/* Is t's process group orphaned (Linux's is_current_pgrp_orphaned)? Preconditions: k->mu. */
static bool pgrp_orphaned_locked(struct task *t)
{
	int pgid = t->tg->pgid, sid = t->tg->sid;
	struct thread_group *o;
	list_for_each_entry (o, &t->k->tgs, k_link) {
		if (o->zombie || o->pgid != pgid || !o->parent)
			continue;
		if (o->parent->pgid != pgid && o->parent->sid == sid)
			return false;
	}
	return true;
}

/* Tells the parent what the last stop or continue did, if anything. Takes k->mu. */
static void notify_parent_jobctl(struct task *t, bool stopped, int sig)
{
	struct kernel *k = t->k;
	pthread_mutex_lock(&k->mu);
	struct thread_group *tg = t->tg;
	if (stopped) {
		tg->wait_stop_sig = sig;
		tg->wait_continued = false;
	} else {
		tg->wait_stop_sig = 0;
		tg->wait_continued = true;
	}
	tg_notify_parent_stop_locked(tg, stopped, sig);
	pthread_mutex_unlock(&k->mu);
}

/*
 * Takes part in the group stop in progress, if any, and waits until it
 * ends (SIGCONT) or the process is killed (Linux's do_signal_stop). The
 * last thread to stop tells the parent; the first to resume tells it of
 * the continue. Returns true when the thread stopped.
 */
static bool do_group_stop(struct task *t)
{
	struct thread_group *tg = t->tg;
	pthread_mutex_lock(&tg->mu);
	if (!tg->stopping || t->stopped) {
		bool cont = tg->cont_to_notify;
		tg->cont_to_notify = false;
		pthread_mutex_unlock(&tg->mu);
		if (cont)
			notify_parent_jobctl(t, false, LINUX_SIGCONT);
		return false;
	}
	t->stopped = true;
	bool all = ++tg->nr_stopped >= tg->live;
	int sig = tg->stop_sig;
	struct waiter w;
	waiter_init_task(&w, t, WAIT_EVENTS_ALL);
	waitqueue_add(&tg->stop_wq, &w);
	pthread_mutex_unlock(&tg->mu);
	if (all)
		notify_parent_jobctl(t, true, sig);
	for (;;) {
		pthread_mutex_lock(&tg->mu);
		bool still = tg->stopping;
		pthread_mutex_unlock(&tg->mu);
		if (!still || task_block_killable(t) < 0)
			break;
	}
	waitqueue_remove(&tg->stop_wq, &w);
	pthread_mutex_lock(&tg->mu);
	t->stopped = false;
	tg->nr_stopped--;
	bool cont = tg->cont_to_notify && !tg->stopping;
	if (cont)
		tg->cont_to_notify = false;
	pthread_mutex_unlock(&tg->mu);
	if (cont)
		notify_parent_jobctl(t, false, LINUX_SIGCONT);
	return true;
}

/*
 * A stop signal's default action: starts a group stop of t's process and
 * makes its other threads join it. SIGTSTP, SIGTTIN and SIGTTOU do nothing
 * to an orphaned process group (Linux's get_signal).
 */
static void begin_group_stop(struct task *t, int sig)
{
	struct kernel *k = t->k;
	struct thread_group *tg = t->tg;
	pthread_mutex_lock(&k->mu);
	if (sig != LINUX_SIGSTOP && pgrp_orphaned_locked(t)) {
		pthread_mutex_unlock(&k->mu);
		return;
	}
	pthread_mutex_lock(&tg->mu);
	bool start = !tg->stopping;
	if (start) {
		tg->stopping = true;
		tg->stop_sig = sig;
		tg->cont_to_notify = false;
	}
	pthread_mutex_unlock(&tg->mu);
	if (start) {
		struct task *u;
		list_for_each_entry (u, &tg->threads, tg_link) {
			if (u != t)
				task_kick_locked(u);
		}
	}
	pthread_mutex_unlock(&k->mu);
}

/*
 * from_host: the sender is outside the sandbox (runsc kill), as a process
 * of an ancestor pid namespace is: SIGKILL and SIGSTOP reach even init.
 */
static int queue_signal_from(struct task *t, int sig, const struct linux_siginfo *info, bool group,
                             bool from_host)
{
	if (sig < 0 || sig > LINUX_NSIG)
		return -EINVAL;
	if (sig == 0)
		return 0;
	struct thread_group *tg = t->tg;
	struct linux_siginfo si;
	if (info) {
		si = *info;
	} else {
		si = (struct linux_siginfo){ .signo = sig, .code = LINUX_SI_USER };
		si.kill.pid = tg->tgid;
		si.kill.uid = t->creds.ruid;
	}
	pthread_mutex_lock(&tg->mu);
	bool forced = from_host && sig_kernel_only(sig);
	if (forced && sig == LINUX_SIGKILL)
		tg->unkillable = false;
	prepare_signal_locked(t, sig);
	bool blocked = effective_mask(t) & linux_sigmask(sig);
	if (!blocked && !forced && sig_task_ignored(tg, sig)) {
		pthread_mutex_unlock(&tg->mu);
		return 0;
	}
	int err = pending_add(tg, pending_of(t, group), sig, &si, si.code == LINUX_SI_USER);
	if (err == 0 && !blocked && sig_fatal_now(tg, sig) && !tg->exiting) {
		/*
		 * Linux's complete_signal: a signal that will kill the process
		 * (SIGKILL, or a terminating one with the default action) ends it
		 * at once, even while it is stopped; the senders' kick wakes every
		 * thread (tg_signal_kick_locked).
		 */
		__atomic_store_n(&tg->exiting, true, __ATOMIC_RELEASE);
		tg->exit_status = sig;
		waitqueue_notify(&tg->stop_wq, WAIT_EVENTS_ALL);
	}
	pthread_mutex_unlock(&tg->mu);
	if (err < 0)
		return err;
	waitqueue_notify(&tg->signal_wq, LINUX_POLLIN);
	task_wake(t);
	return 0;
}

static int queue_signal(struct task *t, int sig, const struct linux_siginfo *info, bool group)
{
	return queue_signal_from(t, sig, info, group, false);
}

int task_send_group_signal(struct task *t, int sig, const struct linux_siginfo *info)
{
	return queue_signal(t, sig, info, true);
}

int tg_signal_from_host_locked(struct thread_group *tg, int sig)
{
	if (tg->zombie || list_empty(&tg->threads))
		return -ESRCH;
	struct task *target = list_first_entry(&tg->threads, struct task, tg_link);
	/* Linux gives a sender in an ancestor pid namespace si_pid 0. */
	struct linux_siginfo si = { .signo = sig, .code = LINUX_SI_USER };
	int err = queue_signal_from(target, sig, &si, true, true);
	if (err == 0)
		tg_signal_kick_locked(tg, sig);
	return err;
}

int task_send_thread_signal(struct task *t, int sig, const struct linux_siginfo *info)
{
	return queue_signal(t, sig, info, false);
}

/*
 * Linux's force_sig_info_to_task(): a signal the task cannot block or
 * ignore (a fault, or a frame it could not write). sigdfl: the default
 * action is forced too (force_fatal_sig). A default action makes even
 * the init killable.
 */
static void force_sig(struct task *t, const struct linux_siginfo *si, bool sigdfl)
{
	struct thread_group *tg = t->tg;
	int sig = si->signo;
	pthread_mutex_lock(&tg->mu);
	struct linux_sigaction *act = &tg->actions[sig];
	bool blocked = t->sigmask & linux_sigmask(sig);
	if (blocked || act->handler == LINUX_SIG_IGN || sigdfl) {
		act->handler = LINUX_SIG_DFL;
		t->sigmask &= ~linux_sigmask(sig);
	}
	if (act->handler == LINUX_SIG_DFL)
		tg->unkillable = false;
	pending_add(tg, pending_of(t, false), sig, si, /*kill_info=*/false);
	pthread_mutex_unlock(&tg->mu);
}

void task_force_sigsegv(struct task *t)
{
	struct linux_siginfo si = { .signo = LINUX_SIGSEGV, .code = LINUX_SI_KERNEL };
	force_sig(t, &si, /*sigdfl=*/false);
}

void task_handle_fault(struct task *t, const struct platform_fault *f)
{
	if (f->signo == LINUX_SIGSEGV && mm_handle_fault(t->mm, f->addr))
		return;
	struct linux_siginfo si = { .signo = f->signo, .code = f->code };
	si.fault.addr = f->addr;
	t->fault = *f;
	force_sig(t, &si, /*sigdfl=*/false);
	log_debug("task %d: fault signal %d at %#llx", t->tid, f->signo,
	          (unsigned long long)f->addr);
}

/* ---- Dispositions and masks ---- */

void task_set_sigaction(struct task *t, int sig, const struct linux_sigaction *act,
                        struct linux_sigaction *old)
{
	struct thread_group *tg = t->tg;
	pthread_mutex_lock(&tg->mu);
	*old = tg->actions[sig];
	if (act) {
		tg->actions[sig] = *act;
		/* Unknown flags are cleared so that the application can detect them (Linux 5.11).
		 */
		tg->actions[sig].flags &= UAPI_SA_FLAGS;
		tg->actions[sig].mask &= ~UNBLOCKABLE;
		/* POSIX: an action that ignores a pending signal discards it. */
		bool ignores = act->handler == LINUX_SIG_IGN ||
		               (act->handler == LINUX_SIG_DFL &&
		                sig_default_action(sig) == SIG_DEFAULT_IGNORE);
		if (ignores) {
			flush_signal(tg, pending_of(t, true), sig);
			flush_signal(tg, pending_of(t, false), sig);
		}
	}
	pthread_mutex_unlock(&tg->mu);
}

void task_set_sigmask(struct task *t, linux_sigset_t mask)
{
	pthread_mutex_lock(&t->tg->mu);
	t->sigmask = mask & ~UNBLOCKABLE;
	pthread_mutex_unlock(&t->tg->mu);
}

void task_set_temporary_sigmask(struct task *t, linux_sigset_t mask)
{
	t->saved_sigmask = t->sigmask;
	t->restore_sigmask = true;
	task_set_sigmask(t, mask);
}

void task_restore_sigmask_unless(struct task *t, bool interrupted)
{
	if (interrupted || !t->restore_sigmask)
		return;
	t->restore_sigmask = false;
	task_set_sigmask(t, t->saved_sigmask);
}

bool task_interrupted(struct task *t)
{
	struct thread_group *tg = t->tg;
	pthread_mutex_lock(&tg->mu);
	linux_sigset_t wake = ~effective_mask(t) | t->sigwait_set;
	bool ret = tg->exiting || __atomic_load_n(&t->killed, __ATOMIC_ACQUIRE) ||
	           ((t->pending | tg->pending) & wake) || (tg->stopping && !t->stopped);
	pthread_mutex_unlock(&tg->mu);
	return ret;
}

linux_sigset_t task_pending_signals(struct task *t)
{
	pthread_mutex_lock(&t->tg->mu);
	linux_sigset_t set = t->pending | t->tg->pending;
	pthread_mutex_unlock(&t->tg->mu);
	return set;
}

/* ---- The alternate stack ---- */

bool task_on_sig_stack_raw(const struct task *t, uint64_t sp)
{
	return sp > t->sas_sp && sp - t->sas_sp <= t->sas_size;
}

bool task_on_sig_stack(const struct task *t, uint64_t sp)
{
	/* Linux's on_sig_stack(): with SS_AUTODISARM one is never "on" it. */
	if (t->sas_flags & LINUX_SS_AUTODISARM)
		return false;
	return task_on_sig_stack_raw(t, sp);
}

int task_sas_ss_flags(const struct task *t, uint64_t sp)
{
	if (!t->sas_size)
		return LINUX_SS_DISABLE;
	return task_on_sig_stack(t, sp) ? LINUX_SS_ONSTACK : 0;
}

int task_sigaltstack(struct task *t, const struct linux_stack *ss, struct linux_stack *old,
                     uint64_t sp, uint64_t min_size)
{
	if (old) {
		*old = (struct linux_stack){
			.ss_sp = t->sas_sp,
			.ss_size = t->sas_size,
			.ss_flags = task_sas_ss_flags(t, sp) |
			            (int32_t)(t->sas_flags & LINUX_SS_AUTODISARM),
		};
	}
	if (!ss)
		return 0;
	if (task_on_sig_stack(t, sp))
		return -EPERM;
	uint32_t flags = (uint32_t)ss->ss_flags;
	uint32_t mode = flags & ~LINUX_SS_AUTODISARM;
	if (mode != LINUX_SS_DISABLE && mode != LINUX_SS_ONSTACK && mode != 0)
		return -EINVAL;
	uint64_t ss_sp = ss->ss_sp, ss_size = ss->ss_size;
	if (mode == LINUX_SS_DISABLE) {
		ss_sp = 0;
		ss_size = 0;
	} else if (ss_size < min_size) {
		return -ENOMEM;
	}
	t->sas_sp = ss_sp;
	t->sas_size = ss_size;
	t->sas_flags = flags;
	return 0;
}

/* ---- Delivery ---- */

/*
 * Runs act's handler for sig (Linux's handle_signal): the restart
 * decision for an interrupted syscall, the frame, then the new mask.
 */
static void handle_signal(struct task *t, int sig, const struct linux_siginfo *info,
                          const struct linux_sigaction *act)
{
	task_syscall_result(t, act);
	linux_sigset_t saved = t->restore_sigmask ? t->saved_sigmask : t->sigmask;
	if (sigframe_setup(t, sig, info, act, saved) < 0) {
		/* Linux's force_sigsegv(). */
		log_debug("task %d: cannot write the frame for signal %d", t->tid, sig);
		struct linux_siginfo si = { .signo = LINUX_SIGSEGV, .code = LINUX_SI_KERNEL };
		force_sig(t, &si, /*sigdfl=*/sig == LINUX_SIGSEGV);
		return;
	}
	/* Linux's signal_delivered(). */
	t->restore_sigmask = false;
	linux_sigset_t mask = t->sigmask | act->mask;
	if (!(act->flags & LINUX_SA_NODEFER))
		mask |= linux_sigmask(sig);
	task_set_sigmask(t, mask);
	if (t->sas_flags & LINUX_SS_AUTODISARM) {
		t->sas_sp = 0;
		t->sas_size = 0;
		t->sas_flags = LINUX_SS_DISABLE;
	}
}

void task_deliver_signals(struct task *t)
{
	struct thread_group *tg = t->tg;
	/* A group stop another thread began, or a continue to report. */
	do_group_stop(t);
	if (task_should_exit(t))
		return;
	for (;;) {
		struct linux_siginfo info;
		pthread_mutex_lock(&tg->mu);
		int sig = dequeue_signal_locked(t, effective_mask(t), &info);
		struct linux_sigaction act = sig ? tg->actions[sig] : (struct linux_sigaction){ 0 };
		bool handler = act.handler != LINUX_SIG_DFL && act.handler != LINUX_SIG_IGN;
		if (handler && (act.flags & LINUX_SA_RESETHAND))
			tg->actions[sig].handler = LINUX_SIG_DFL;
		bool unkillable = tg->unkillable;
		pthread_mutex_unlock(&tg->mu);
		if (!sig)
			break;
		if (act.handler == LINUX_SIG_IGN)
			continue;
		if (handler) {
			handle_signal(t, sig, &info, &act);
			continue;
		}
		enum sig_default def = sig_default_action(sig);
		if (def == SIG_DEFAULT_IGNORE || def == SIG_DEFAULT_CONT)
			continue;
		/* Linux's get_signal(): an init gets no signal it did not ask for. */
		if (unkillable && !sig_kernel_only(sig))
			continue;
		if (def == SIG_DEFAULT_STOP) {
			begin_group_stop(t, sig);
			do_group_stop(t);
			if (task_should_exit(t))
				return;
			continue;
		}
		log_debug("task %d: killed by signal %d", t->tid, sig);
		task_group_exit(t, sig);
		return;
	}
	/* No (more) handler: a syscall still undecided restarts; the saved mask comes back. */
	task_syscall_result(t, NULL);
	task_restore_sigmask_unless(t, false);
}

/* ---- Waiting for signals ---- */

long task_sigsuspend(struct task *t, linux_sigset_t mask)
{
	task_set_temporary_sigmask(t, mask);
	while (task_block(t, NULL, NULL, 0) == 0)
		;
	/* The handler runs with the temporary mask saved in its frame; then it comes back. */
	return -LINUX_ERESTARTNOHAND;
}

long task_pause(struct task *t)
{
	while (task_block(t, NULL, NULL, 0) == 0)
		;
	return -LINUX_ERESTARTNOHAND;
}

long task_sigtimedwait(struct task *t, linux_sigset_t set, const struct timespec *deadline,
                       bool poll_only, struct linux_siginfo *out)
{
	struct thread_group *tg = t->tg;
	set &= ~UNBLOCKABLE;
	pthread_mutex_lock(&tg->mu);
	t->sigwait_set = set;
	pthread_mutex_unlock(&tg->mu);
	long ret = 0;
	int err = 0;
	for (;;) {
		int sig = task_dequeue_signal(t, set, out);
		if (sig) {
			ret = sig;
			break;
		}
		if (err) {
			/* Interrupted by another signal: EINTR, not a restart (as Linux). */
			ret = err == -EINTR ? -EINTR : err == -ETIMEDOUT ? -EAGAIN : err;
			break;
		}
		err = poll_only ? -ETIMEDOUT : task_block(t, deadline, NULL, 0);
	}
	pthread_mutex_lock(&tg->mu);
	t->sigwait_set = 0;
	pthread_mutex_unlock(&tg->mu);
	return ret;
}

/* ---- siginfo layouts ---- */

enum siginfo_layout siginfo_layout(int sig, int code)
{
	/* Linux's sig_sicodes: how many codes each signal defines, and their layout. */
	static const struct {
		int limit;
		enum siginfo_layout layout;
	} sicodes[] = {
		[LINUX_SIGILL] = { 11, SIL_FAULT },  [LINUX_SIGFPE] = { 15, SIL_FAULT },
		[LINUX_SIGSEGV] = { 10, SIL_FAULT }, [LINUX_SIGBUS] = { 5, SIL_FAULT },
		[LINUX_SIGTRAP] = { 6, SIL_FAULT },  [LINUX_SIGCHLD] = { 6, SIL_CHLD },
		[LINUX_SIGIO] = { 6, SIL_POLL },     [LINUX_SIGSYS] = { 2, SIL_SYS },
	};
	const int nsigpoll = 6;
	if (code > LINUX_SI_USER && code < LINUX_SI_KERNEL) {
		if (sig < (int)ARRAY_SIZE(sicodes) && sicodes[sig].limit &&
		    code <= sicodes[sig].limit)
			return sicodes[sig].layout;
		return code <= nsigpoll ? SIL_POLL : SIL_KILL;
	}
	if (code == LINUX_SI_TIMER)
		return SIL_TIMER;
	if (code == LINUX_SI_SIGIO)
		return SIL_POLL;
	if (code < 0)
		return SIL_RT;
	return SIL_KILL;
}
