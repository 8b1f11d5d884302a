/*
 * Exit and wait: Linux's do_exit, exit_notify, release_task and do_wait.
 *
 * A thread that exits leaves the task tree at once; its process stays as
 * long as it has live threads. When the last one goes the process becomes
 * a zombie: its children go to the nearest living subreaper ancestor or to
 * init, and its parent gets its exit signal (SIGCHLD with CLD_EXITED,
 * CLD_KILLED or CLD_DUMPED) and a notification on child_wq, which wait4
 * and waitid wait on. A parent that ignores SIGCHLD (SIG_IGN or
 * SA_NOCLDWAIT) never sees zombies: they are reaped at once.
 *
 * When init exits the sandbox ends: every other process is killed
 * (Linux's zap_pid_ns_processes), and kernel_wait_init returns once the
 * last task is gone.
 *
 * Everything here that touches the tree holds k->mu.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/abi/linux/errno.h"
#include "common/abi/linux/sched.h"
#include "common/abi/linux/time.h"
#include "common/log.h"
#include "sentry/kernel/fdtable.h"
#include "sentry/kernel/futex.h"
#include "sentry/kernel/itimer.h"
#include "sentry/kernel/task.h"
#include "sentry/kernel/tty.h"
#include "sentry/mm/mm.h"
#include "sentry/vfs/vfs.h"

static uint64_t thread_cpu_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* Ends a vfork parent's wait. Preconditions: k->mu held. */
static void vfork_release_locked(struct task *t)
{
	struct task *parent = t->vfork_parent;
	if (!parent)
		return;
	parent->vfork_child = NULL;
	task_wake(parent);
	t->vfork_parent = NULL;
}

void task_mm_release(struct task *t)
{
	struct mm *mm = t->mm;
	futex_exit_robust_list(t); /* while the address space is still there */
	t->robust_list = 0;
	t->robust_list_len = 0;
	pthread_mutex_lock(&t->k->mu);
	vfork_release_locked(t);
	pthread_mutex_unlock(&t->k->mu);
	/*
	 * CLONE_CHILD_CLEARTID: zero the word and wake a waiter, but only if
	 * another task still uses the memory (pthread_join's wait).
	 */
	if (t->clear_child_tid) {
		if (atomic_load(&mm->users) > 1) {
			uint32_t zero = 0;
			if (mm_copy_out(mm, t->clear_child_tid, &zero, sizeof(zero)) == 0)
				futex_wake_addr(t, t->clear_child_tid, 1);
		}
		t->clear_child_tid = 0;
	}
}

void task_vfork_wait(struct task *t)
{
	struct kernel *k = t->k;
	pthread_mutex_lock(&k->mu);
	while (t->vfork_child) {
		pthread_mutex_unlock(&k->mu);
		int err = task_block_killable(t);
		pthread_mutex_lock(&k->mu);
		if (err < 0 && t->vfork_child) {
			/* Killed while waiting: the child lives on without us. */
			t->vfork_child->vfork_parent = NULL;
			t->vfork_child = NULL;
		}
	}
	pthread_mutex_unlock(&k->mu);
}

/* SIGCHLD's siginfo fields (the sigchld member of Linux's union). */
struct sigchld_fields {
	int32_t pid;
	uint32_t uid;
	int32_t status;
	int32_t pad;
	int64_t utime, stime; /* clock ticks */
};

static int64_t ns_to_ticks(uint64_t ns)
{
	return (int64_t)(ns / (1000000000ULL / 100)); /* USER_HZ = 100 */
}

/* si_code and si_status of a wait status, as Linux's wait_task_zombie. */
static void status_to_code(int status, int *code, int *si_status)
{
	if ((status & 0x7f) == 0) {
		*code = LINUX_CLD_EXITED;
		*si_status = (status >> 8) & 0xff;
	} else {
		*code = (status & 0x80) ? LINUX_CLD_DUMPED : LINUX_CLD_KILLED;
		*si_status = status & 0x7f;
	}
}

static void fill_sigchld(struct linux_siginfo *si, struct thread_group *child, int code, int status)
{
	memset(si, 0, sizeof(*si));
	si->signo = LINUX_SIGCHLD;
	si->code = code;
	struct sigchld_fields fl = {
		.pid = child->tgid,
		.uid = child->uid,
		.status = status,
		.utime = ns_to_ticks(child->dead_utime_ns),
		.stime = ns_to_ticks(child->dead_stime_ns),
	};
	memcpy(si->raw, &fl, sizeof(fl));
}

/* Does the parent want no zombies (SIGCHLD ignored, or SA_NOCLDWAIT)? */
static bool parent_autoreaps(struct thread_group *parent)
{
	pthread_mutex_lock(&parent->mu);
	const struct linux_sigaction *act = &parent->actions[LINUX_SIGCHLD];
	bool ret = act->handler == LINUX_SIG_IGN || (act->flags & LINUX_SA_NOCLDWAIT);
	pthread_mutex_unlock(&parent->mu);
	return ret;
}

/* Frees a reaped process. Preconditions: k->mu held; tg is a zombie. */
static void release_tg_locked(struct thread_group *tg)
{
	struct thread_group *parent = tg->parent;
	if (parent) {
		pthread_mutex_lock(&parent->mu);
		parent->child_utime_ns += tg->dead_utime_ns + tg->child_utime_ns;
		parent->child_stime_ns += tg->dead_stime_ns + tg->child_stime_ns;
		pthread_mutex_unlock(&parent->mu);
	}
	list_del(&tg->sibling);
	list_del(&tg->k_link);
	tg->parent = NULL;
	tg_put(tg);
}

/*
 * Sends sig with a SIGCHLD siginfo to tg's parent, to one of its threads
 * that does not block it. Preconditions: k->mu held.
 */
static void signal_parent_locked(struct thread_group *tg, int sig, int code, int status)
{
	struct thread_group *parent = tg->parent;
	if (!sig || list_empty(&parent->threads))
		return;
	struct linux_siginfo si;
	fill_sigchld(&si, tg, code, status);
	struct task *any = list_first_entry(&parent->threads, struct task, tg_link);
	task_send_group_signal(any, sig, &si);
	tg_signal_kick_locked(parent, sig);
}

/*
 * Reports tg's exit to its parent (exit_notify): its exit signal and a
 * wake-up of the parent's waiters, or, when the parent wants no zombies,
 * the release of tg. Preconditions: k->mu held; tg is a zombie with a
 * parent.
 */
static void notify_exit_locked(struct thread_group *tg)
{
	struct thread_group *parent = tg->parent;
	bool autoreap = tg->exit_signal == LINUX_SIGCHLD && parent_autoreaps(parent);
	if (!autoreap) {
		int code, status;
		status_to_code(tg->exit_status, &code, &status);
		signal_parent_locked(tg, tg->exit_signal, code, status);
	}
	waitqueue_notify(&parent->child_wq, WAIT_EVENTS_ALL);
	if (autoreap)
		release_tg_locked(tg);
}

void tg_notify_parent_stop_locked(struct thread_group *tg, bool stopped, int sig)
{
	struct thread_group *parent = tg->parent;
	if (!parent)
		return;
	pthread_mutex_lock(&parent->mu);
	bool nocldstop = parent->actions[LINUX_SIGCHLD].flags & LINUX_SA_NOCLDSTOP;
	pthread_mutex_unlock(&parent->mu);
	if (!nocldstop)
		signal_parent_locked(tg, LINUX_SIGCHLD,
		                     stopped ? LINUX_CLD_STOPPED : LINUX_CLD_CONTINUED,
		                     stopped ? sig : LINUX_SIGCONT);
	waitqueue_notify(&parent->child_wq, WAIT_EVENTS_ALL);
}

/* Where tg's children go when it exits: Linux's find_new_reaper. Preconditions: k->mu. */
static struct thread_group *find_reaper_locked(struct kernel *k, struct thread_group *tg)
{
	for (struct thread_group *a = tg->parent; a; a = a->parent) {
		if (a->subreaper && !a->zombie)
			return a;
	}
	struct thread_group *init = kernel_find_tg_locked(k, 1);
	return init && init != tg && !init->zombie ? init : NULL;
}

/* The process's last thread exited. Preconditions: k->mu held. */
static void tg_exit_locked(struct kernel *k, struct thread_group *tg)
{
	__atomic_store_n(&tg->zombie, true, __ATOMIC_RELEASE);
	if (tg->sid == tg->tgid)
		tty_disassociate_locked(tg, /*on_exit=*/true);
	waitqueue_notify(&tg->exit_wq, LINUX_POLLIN | LINUX_POLLRDNORM);
	/* Its children go to a reaper; zombies among them are reported there. */
	struct thread_group *reaper = find_reaper_locked(k, tg);
	struct thread_group *c, *tmp;
	list_for_each_entry_safe (c, tmp, &tg->children, sibling) {
		list_del(&c->sibling);
		c->parent = reaper;
		/* PR_SET_PDEATHSIG: the children's threads that asked are told. */
		struct task *u;
		list_for_each_entry (u, &c->threads, tg_link) {
			if (u->pdeath_signal) {
				struct linux_siginfo si = { .signo = u->pdeath_signal,
					                    .code = LINUX_SI_USER };
				si.kill.pid = tg->tgid;
				task_send_thread_signal(u, u->pdeath_signal, &si);
				task_kick_locked(u);
			}
		}
		if (reaper) {
			list_add_tail(&c->sibling, &reaper->children);
			if (c->zombie)
				notify_exit_locked(c);
		} else {
			list_init(&c->sibling);
			if (c->zombie)
				release_tg_locked(c);
		}
	}
	if (tg->tgid == 1) {
		/* init: the sandbox ends; everything else is killed. */
		k->init_exited = true;
		k->init_status = tg->exit_status;
		struct thread_group *o;
		list_for_each_entry (o, &k->tgs, k_link) {
			if (o != tg && !o->zombie)
				tg_kill_locked(o, LINUX_SIGKILL);
		}
	}
	if (tg->parent)
		notify_exit_locked(tg);
	else
		release_tg_locked(tg);
}

void task_exit(struct task *t)
{
	struct kernel *k = t->k;
	struct thread_group *tg = t->tg;
	const struct platform_ops *p = k->cfg.platform;
	/*
	 * Another thread may end the process, and its parent reap it, while
	 * this one is still tearing down: hold the group until the end.
	 */
	atomic_fetch_add(&tg->refs, 1);
	/*
	 * Without a group exit, the process's status is the exit(2) status of
	 * the thread that ends it (Linux's group_dead in do_exit), decided
	 * before CLONE_CHILD_CLEARTID lets a joiner go on and exit in turn.
	 */
	pthread_mutex_lock(&tg->mu);
	if (--tg->live == 0 && !tg->exiting)
		tg->exit_status = t->exit_code;
	pthread_mutex_unlock(&tg->mu);
	if (t->mm)
		task_mm_release(t);
	uint64_t utime = (t->ctx ? p->ctx_cpu_time_ns(t->ctx) : 0) + t->exec_utime_ns;
	uint64_t stime = thread_cpu_ns();
	/* Counted before the thread leaves, so that whoever reaps the process sees it. */
	pthread_mutex_lock(&tg->mu);
	tg->uid = t->creds.ruid;
	tg->dead_utime_ns += utime;
	tg->dead_stime_ns += stime;
	pthread_mutex_unlock(&tg->mu);

	pthread_mutex_lock(&k->mu);
	struct platform_ctx *ctx = t->ctx;
	t->ctx = NULL; /* nobody interrupts it any more */
	list_del(&t->k_link);
	list_del(&t->tg_link);
	bool last = --tg->nr_threads == 0;
	if (tg->exec_waiter && tg->nr_threads == 1)
		task_wake(tg->exec_waiter);
	pthread_mutex_unlock(&k->mu);

	if (ctx)
		p->ctx_destroy(ctx);
	if (t->mm)
		mm_put(t->mm);
	t->mm = NULL;
	if (t->fdt)
		fdtable_put(t->fdt);
	t->fdt = NULL;
	if (t->fs)
		fs_context_put(t->fs);
	t->fs = NULL;

	task_signals_release(t); /* its queued thread-directed siginfos */

	/* The interval timers go with the last thread (itimer.c's lock is above kernel.mu). */
	if (last)
		kernel_timers_exit(tg);
	pthread_mutex_lock(&k->mu);
	if (last)
		tg_exit_locked(k, tg);
	/* Counted until here, so that the sandbox ends only when every stub is killed. */
	k->ntasks--;
	pthread_cond_broadcast(&k->cond);
	pthread_mutex_unlock(&k->mu);
	tg_put(tg);
	task_free(t);
}

/* What one wait call looks for. */
struct wait_req {
	int idtype; /* LINUX_P_ALL, P_PID, P_PGID */
	int id;
	int options;
};

/* What it found. */
struct wait_result {
	int pid;
	int status; /* wait4's */
	int code;   /* waitid's si_code */
	int si_status;
	uint32_t uid;
	uint64_t utime_ns, stime_ns; /* for the rusage */
};

static bool wait_matches(const struct wait_req *w, const struct thread_group *c)
{
	switch (w->idtype) {
	case LINUX_P_PID:
		if (c->tgid != w->id)
			return false;
		break;
	case LINUX_P_PGID:
		if (c->pgid != w->id)
			return false;
		break;
	default:
		break;
	}
	/* Linux's eligible_child: "clone" children (exit signal not SIGCHLD) need __WCLONE. */
	if (w->options & LINUX___WALL)
		return true;
	bool clone_child = c->exit_signal != LINUX_SIGCHLD;
	return clone_child == !!(w->options & LINUX___WCLONE);
}

/*
 * Looks at t's children once. Returns 1 with *res filled when one was
 * reported, 0 when some match but none is ready, -ECHILD when none
 * matches. Preconditions: k->mu held.
 */
static int wait_scan_locked(struct task *t, const struct wait_req *w, struct wait_result *res)
{
	bool any = false;
	struct thread_group *c, *tmp;
	list_for_each_entry_safe (c, tmp, &t->tg->children, sibling) {
		if (!wait_matches(w, c))
			continue;
		any = true;
		memset(res, 0, sizeof(*res));
		res->pid = c->tgid;
		res->uid = c->uid;
		if (c->zombie && (w->options & LINUX_WEXITED)) {
			res->status = c->exit_status;
			status_to_code(c->exit_status, &res->code, &res->si_status);
			res->utime_ns = c->dead_utime_ns + c->child_utime_ns;
			res->stime_ns = c->dead_stime_ns + c->child_stime_ns;
			if (!(w->options & LINUX_WNOWAIT))
				release_tg_locked(c);
			return 1;
		}
		if (c->wait_stop_sig && !c->zombie && (w->options & LINUX_WSTOPPED)) {
			res->status = (c->wait_stop_sig << 8) | 0x7f;
			res->code = LINUX_CLD_STOPPED;
			res->si_status = c->wait_stop_sig;
			if (!(w->options & LINUX_WNOWAIT))
				c->wait_stop_sig = 0;
			return 1;
		}
		if (c->wait_continued && !c->zombie && (w->options & LINUX_WCONTINUED)) {
			res->status = 0xffff;
			res->code = LINUX_CLD_CONTINUED;
			res->si_status = LINUX_SIGCONT;
			if (!(w->options & LINUX_WNOWAIT))
				c->wait_continued = false;
			return 1;
		}
	}
	return any ? 0 : -ECHILD;
}

/* Returns 1 with *res, 0 (WNOHANG and nothing ready), or -errno. */
static int do_wait(struct task *t, const struct wait_req *w, struct wait_result *res)
{
	struct kernel *k = t->k;
	struct waiter wt;
	waiter_init_task(&wt, t, WAIT_EVENTS_ALL);
	pthread_mutex_lock(&k->mu);
	waitqueue_add(&t->tg->child_wq, &wt);
	int ret;
	for (;;) {
		ret = wait_scan_locked(t, w, res);
		if (ret != 0 || (w->options & LINUX_WNOHANG))
			break;
		pthread_mutex_unlock(&k->mu);
		int err = task_block(t, NULL, NULL, 0);
		pthread_mutex_lock(&k->mu);
		if (err < 0) {
			ret = -LINUX_ERESTARTSYS;
			break;
		}
	}
	waitqueue_remove(&t->tg->child_wq, &wt);
	pthread_mutex_unlock(&k->mu);
	return ret;
}

/* struct rusage, as wait4 and getrusage fill it. */
struct linux_rusage {
	struct linux_timeval utime, stime;
	int64_t rest[14];
};

static int put_rusage(struct task *t, uaddr_t addr, uint64_t utime_ns, uint64_t stime_ns)
{
	struct linux_rusage ru;
	memset(&ru, 0, sizeof(ru));
	ru.utime.tv_sec = (int64_t)(utime_ns / 1000000000ULL);
	ru.utime.tv_usec = (int64_t)(utime_ns % 1000000000ULL / 1000);
	ru.stime.tv_sec = (int64_t)(stime_ns / 1000000000ULL);
	ru.stime.tv_usec = (int64_t)(stime_ns % 1000000000ULL / 1000);
	return mm_copy_out(t->mm, addr, &ru, sizeof(ru));
}

long task_wait4(struct task *t, int pid, uaddr_t status_addr, int options, uaddr_t rusage)
{
	if (options & ~(LINUX_WNOHANG | LINUX_WUNTRACED | LINUX_WCONTINUED | LINUX___WNOTHREAD |
	                LINUX___WCLONE | LINUX___WALL))
		return -EINVAL;
	/* pid INT_MIN would be -INT_MIN: Linux refuses it. */
	if (pid == INT32_MIN)
		return -ESRCH;
	struct wait_req w = { .options = options | LINUX_WEXITED };
	if (pid < -1) {
		w.idtype = LINUX_P_PGID;
		w.id = -pid;
	} else if (pid == -1) {
		w.idtype = LINUX_P_ALL;
	} else if (pid == 0) {
		w.idtype = LINUX_P_PGID;
		pthread_mutex_lock(&t->k->mu);
		w.id = t->tg->pgid;
		pthread_mutex_unlock(&t->k->mu);
	} else {
		w.idtype = LINUX_P_PID;
		w.id = pid;
	}
	struct wait_result res;
	int ret = do_wait(t, &w, &res);
	if (ret <= 0)
		return ret;
	if (status_addr) {
		int32_t st = res.status;
		if (mm_copy_out(t->mm, status_addr, &st, sizeof(st)) < 0)
			return -EFAULT;
	}
	if (rusage && put_rusage(t, rusage, res.utime_ns, res.stime_ns) < 0)
		return -EFAULT;
	return res.pid;
}

long task_waitid(struct task *t, int idtype, int id, uaddr_t infop, int options, uaddr_t rusage)
{
	if (options & ~(LINUX_WNOHANG | LINUX_WNOWAIT | LINUX_WEXITED | LINUX_WSTOPPED |
	                LINUX_WCONTINUED | LINUX___WNOTHREAD | LINUX___WCLONE | LINUX___WALL))
		return -EINVAL;
	if (!(options & (LINUX_WEXITED | LINUX_WSTOPPED | LINUX_WCONTINUED)))
		return -EINVAL;
	struct wait_req w = { .idtype = idtype, .id = id, .options = options };
	switch (idtype) {
	case LINUX_P_ALL:
		break;
	case LINUX_P_PID:
		if (id <= 0)
			return -EINVAL;
		break;
	case LINUX_P_PGID:
		if (id < 0)
			return -EINVAL;
		if (id == 0) {
			pthread_mutex_lock(&t->k->mu);
			w.id = t->tg->pgid;
			pthread_mutex_unlock(&t->k->mu);
		}
		break;
	default:
		return -EINVAL;
	}
	struct wait_result res;
	int ret = do_wait(t, &w, &res);
	if (ret < 0)
		return ret;
	if (infop) {
		struct linux_siginfo si;
		memset(&si, 0, sizeof(si));
		if (ret == 1) {
			si.signo = LINUX_SIGCHLD;
			si.code = res.code;
			struct sigchld_fields fl = {
				.pid = res.pid,
				.uid = res.uid,
				.status = res.si_status,
			};
			memcpy(si.raw, &fl, sizeof(fl));
		}
		if (mm_copy_out(t->mm, infop, &si, sizeof(si)) < 0)
			return -EFAULT;
	}
	if (ret == 1 && rusage && put_rusage(t, rusage, res.utime_ns, res.stime_ns) < 0)
		return -EFAULT;
	return 0;
}
