/*
 * Signals: queueing, default actions, faults.
 *
 * What is here: dispositions (rt_sigaction), masks, the pending sets of
 * the thread and the process with their siginfo, Linux's rules for which
 * signals are dropped on arrival (ignored and not blocked; the pid
 * namespace init's protection, SIGNAL_UNKILLABLE), default actions that
 * end the process, and synchronous faults forced on the task as Linux's
 * force_sig_fault does.
 *
 * What comes with the processes issue: signal frames and handlers (a
 * signal whose disposition is a handler is, until then, logged and given
 * its default action), real-time queues (a pending real-time signal is
 * one bit here, like a standard one), group stop and SIGCONT.
 */
#include <errno.h>
#include <string.h>

#include "common/log.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"

/* The flags rt_sigaction keeps (Linux's UAPI_SA_FLAGS on x86). */
#define UAPI_SA_FLAGS                                                                         \
	(LINUX_SA_NOCLDSTOP | LINUX_SA_NOCLDWAIT | LINUX_SA_SIGINFO | LINUX_SA_ONSTACK |      \
	 LINUX_SA_RESTART | LINUX_SA_NODEFER | LINUX_SA_RESETHAND | LINUX_SA_EXPOSE_TAGBITS | \
	 LINUX_SA_RESTORER)

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

static linux_sigset_t effective_mask(const struct task *t)
{
	return t->sigmask & ~(linux_sigmask(LINUX_SIGKILL) | linux_sigmask(LINUX_SIGSTOP));
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

static int queue_signal(struct task *t, int sig, const struct linux_siginfo *info, bool group)
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
	bool blocked = effective_mask(t) & linux_sigmask(sig);
	if (!blocked && sig_task_ignored(tg, sig)) {
		pthread_mutex_unlock(&tg->mu);
		return 0;
	}
	linux_sigset_t *pending = group ? &tg->pending : &t->pending;
	struct linux_siginfo *infos = group ? tg->pending_info : t->pending_info;
	/* A standard signal already pending is not queued twice. */
	if (!(*pending & linux_sigmask(sig))) {
		*pending |= linux_sigmask(sig);
		infos[sig - 1] = si;
	}
	pthread_mutex_unlock(&tg->mu);
	task_wake(t);
	return 0;
}

int task_send_group_signal(struct task *t, int sig, const struct linux_siginfo *info)
{
	return queue_signal(t, sig, info, true);
}

int task_send_thread_signal(struct task *t, int sig, const struct linux_siginfo *info)
{
	return queue_signal(t, sig, info, false);
}

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
		tg->actions[sig].mask &=
		        ~(linux_sigmask(LINUX_SIGKILL) | linux_sigmask(LINUX_SIGSTOP));
		/* POSIX: an action that ignores a pending signal discards it. */
		bool ignores = act->handler == LINUX_SIG_IGN ||
		               (act->handler == LINUX_SIG_DFL &&
		                sig_default_action(sig) == SIG_DEFAULT_IGNORE);
		if (ignores) {
			tg->pending &= ~linux_sigmask(sig);
			t->pending &= ~linux_sigmask(sig);
		}
	}
	pthread_mutex_unlock(&tg->mu);
}

bool task_interrupted(struct task *t)
{
	struct thread_group *tg = t->tg;
	pthread_mutex_lock(&tg->mu);
	bool ret = tg->exiting || __atomic_load_n(&t->killed, __ATOMIC_ACQUIRE) ||
	           ((t->pending | tg->pending) & ~effective_mask(t));
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

/*
 * Takes the lowest pending unblocked signal, thread-directed first.
 * Returns it, or 0. Preconditions: tg->mu held.
 */
static int dequeue_signal(struct task *t, struct linux_siginfo *out)
{
	linux_sigset_t mask = effective_mask(t);
	linux_sigset_t *sets[2] = { &t->pending, &t->tg->pending };
	struct linux_siginfo *infos[2] = { t->pending_info, t->tg->pending_info };
	for (int i = 0; i < 2; i++) {
		linux_sigset_t ready = *sets[i] & ~mask;
		if (!ready)
			continue;
		int sig = __builtin_ctzll(ready) + 1;
		*sets[i] &= ~linux_sigmask(sig);
		*out = infos[i][sig - 1];
		return sig;
	}
	return 0;
}

void task_deliver_signals(struct task *t)
{
	struct thread_group *tg = t->tg;
	for (;;) {
		struct linux_siginfo info;
		pthread_mutex_lock(&tg->mu);
		int sig = dequeue_signal(t, &info);
		struct linux_sigaction act = sig ? tg->actions[sig] : (struct linux_sigaction){ 0 };
		bool unkillable = tg->unkillable;
		pthread_mutex_unlock(&tg->mu);
		if (!sig)
			return;
		if (act.handler == LINUX_SIG_IGN)
			continue;
		if (act.handler != LINUX_SIG_DFL) {
			log_warn("task %d: signal %d has a handler, but handlers are not run yet; "
			         "taking the default action",
			         t->tid, sig);
		}
		enum sig_default def = sig_default_action(sig);
		if (def == SIG_DEFAULT_IGNORE || def == SIG_DEFAULT_CONT)
			continue;
		/* Linux's get_signal(): an init gets no signal it did not ask for. */
		if (unkillable && !sig_kernel_only(sig) && act.handler == LINUX_SIG_DFL)
			continue;
		if (def == SIG_DEFAULT_STOP) {
			log_warn("task %d: signal %d would stop the process; job control is not "
			         "implemented yet, so it is ignored",
			         t->tid, sig);
			continue;
		}
		log_debug("task %d: killed by signal %d", t->tid, sig);
		task_group_exit(t, sig);
		return;
	}
}

void task_handle_fault(struct task *t, const struct platform_fault *f)
{
	if (f->signo == LINUX_SIGSEGV && mm_handle_fault(t->mm, f->addr))
		return;
	/* Linux's force_sig_info_to_task(): a fault cannot be blocked or ignored. */
	struct thread_group *tg = t->tg;
	pthread_mutex_lock(&tg->mu);
	struct linux_sigaction *act = &tg->actions[f->signo];
	bool blocked = t->sigmask & linux_sigmask(f->signo);
	if (blocked || act->handler == LINUX_SIG_IGN) {
		act->handler = LINUX_SIG_DFL;
		t->sigmask &= ~linux_sigmask(f->signo);
	}
	if (act->handler == LINUX_SIG_DFL)
		tg->unkillable = false;
	struct linux_siginfo si = { .signo = f->signo, .code = f->code };
	si.fault.addr = f->addr;
	t->pending |= linux_sigmask(f->signo);
	t->pending_info[f->signo - 1] = si;
	pthread_mutex_unlock(&tg->mu);
	log_debug("task %d: fault signal %d at %#llx", t->tid, f->signo,
	          (unsigned long long)f->addr);
}
