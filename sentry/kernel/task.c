/*
 * Tasks: allocation, the init task, the thread every task runs on, and
 * group exit.
 *
 * Each task runs on its own sentry thread, which creates (or, for a clone,
 * attaches) the task's platform context and so is the only thread allowed
 * to drive it (on ptrace, its tracer). task_start_init starts that thread
 * and waits until the program is loaded, so that a load error reaches the
 * caller; clone (fork.c) does the same for its children.
 */
#include "sentry/kernel/task.h"

#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "sentry/kernel/exec.h"
#include "sentry/kernel/fdtable.h"
#include "sentry/kernel/itimer.h"
#include "sentry/kernel/tty.h"
#include "sentry/mm/mm.h"
#include "sentry/fsimpl/kernfs/proc.h"
#include "sentry/vfs/vfs.h"

struct task *task_alloc(struct kernel *k)
{
	struct task *t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->k = k;
	list_init(&t->k_link);
	list_init(&t->tg_link);
	t->timer_slack_ns = 50000; /* Linux's default */
	if (task_wake_init(t) < 0) {
		free(t);
		return NULL;
	}
	struct timespec now;
	clock_gettime(CLOCK_BOOTTIME, &now);
	t->start_time_ns =
	        (uint64_t)now.tv_sec * 1000000000ULL + (uint64_t)now.tv_nsec - k->boot_time_ns;
	return t;
}

void task_free(struct task *t)
{
	if (t->fdt)
		fdtable_put(t->fdt);
	if (t->fs)
		fs_context_put(t->fs);
	if (t->wake_fd >= 0)
		close(t->wake_fd);
	task_signals_free(t);
	free(t);
}

struct thread_group *tg_alloc(struct kernel *k)
{
	struct thread_group *tg = calloc(1, sizeof(*tg));
	if (!tg)
		return NULL;
	tg->k = k;
	pthread_mutex_init(&tg->mu, NULL);
	list_init(&tg->children);
	list_init(&tg->sibling);
	list_init(&tg->k_link);
	list_init(&tg->threads);
	waitqueue_init(&tg->child_wq);
	waitqueue_init(&tg->exit_wq);
	thread_group_signals_init(tg);
	atomic_init(&tg->refs, 1);
	tg->exit_signal = LINUX_SIGCHLD;
	tg->dumpable = 1;
	return tg;
}

void tg_free(struct thread_group *tg)
{
	struct path exe = { tg->exe_mnt, tg->exe_dentry };
	path_put(&exe);
	waitqueue_destroy(&tg->child_wq);
	waitqueue_destroy(&tg->exit_wq);
	thread_group_signals_release(tg);
	pthread_mutex_destroy(&tg->mu);
	free(tg);
}

void tg_put(struct thread_group *tg)
{
	if (atomic_fetch_sub(&tg->refs, 1) == 1)
		tg_free(tg);
}

void task_set_comm(struct task *t, const char *filename)
{
	/* The file name's last component, cut to 15 bytes, as execve sets it. */
	const char *base = strrchr(filename, '/');
	base = base ? base + 1 : filename;
	pthread_mutex_lock(&t->k->mu);
	snprintf(t->comm, sizeof(t->comm), "%s", base);
	pthread_mutex_unlock(&t->k->mu);
}

/* Hand-off between task_start_init and the new task's thread. */
struct start_sync {
	struct kernel *k;
	struct task_init_args *args;
	struct thread_group *tg; /* the new process, with a reference for the starter */
	pthread_mutex_t mu;
	pthread_cond_t cond;
	bool done;
	int err;
};

static void start_done(struct start_sync *s, int err)
{
	pthread_mutex_lock(&s->mu);
	s->done = true;
	s->err = err;
	pthread_cond_signal(&s->cond);
	pthread_mutex_unlock(&s->mu);
}

/* Creates the init task and loads its program. Runs on the task's own thread. */
static int init_task_create(struct kernel *k, struct task_init_args *args, struct task **out)
{
	struct task *t = task_alloc(k);
	struct thread_group *tg = tg_alloc(k);
	if (!t || !tg) {
		if (t)
			task_free(t);
		if (tg)
			tg_free(tg);
		return -ENOMEM;
	}
	t->tg = tg;
	pthread_getcpuclockid(pthread_self(), &t->sentry_cpu_clock); /* on the task's thread */
	memcpy(tg->rlimits, args->rlimits, sizeof(tg->rlimits));
	/* The sandbox's first process is its pid namespace's init. */
	tg->unkillable = !args->not_init;
	tg->container = args->container;
	t->creds = args->creds;
	t->no_new_privs = args->no_new_privs;
	t->fdt = args->fdt;
	args->fdt = NULL;
	t->fs = args->fs;
	args->fs = NULL;
	pthread_mutex_lock(&k->mu);
	bool ended = args->not_init && k->init_exited;
	pthread_mutex_unlock(&k->mu);
	if (ended) {
		task_free(t);
		tg_free(tg);
		return -ESRCH;
	}
	struct exec_load load = {
		.exe = args->exe,
		.filename = args->filename,
		.argv = args->argv,
		.envp = args->envp,
		.open_interp = args->open_interp,
		.open_arg = args->open_arg,
	};
	int err = exec_load(t, &load);
	if (err < 0) {
		task_free(t);
		tg_free(tg);
		return err;
	}
	if (args->exe_path.d) {
		tg->exe_mnt = mount_get(args->exe_path.mnt);
		tg->exe_dentry = dentry_get(args->exe_path.d);
	}
	task_set_comm(t, args->filename);
	t->mm = load.mm;
	t->ctx = load.ctx;
	t->creds = load.creds;

	pthread_mutex_lock(&k->mu);
	int tid = kernel_alloc_tid_locked(k);
	t->tid = tid;
	tg->tgid = tid;
	tg->pgid = tid;
	tg->sid = tid;
	tg->live = 1;
	if (args->ctty)
		tty_set_controlling_locked(tg, args->ctty);
	kernel_link_task_locked(k, t, true);
	/* Init exited while this one loaded: it dies with the rest of the sandbox. */
	if (k->init_exited)
		tg_kill_locked(tg, LINUX_SIGKILL);
	pthread_mutex_unlock(&k->mu);
	*out = t;
	return 0;
}

static void *init_thread(void *arg)
{
	struct start_sync *s = arg;
	struct kernel *k = s->k;
	struct task *t = NULL;
	int err = init_task_create(k, s->args, &t);
	if (err == 0) {
		atomic_fetch_add(&t->tg->refs, 1);
		s->tg = t->tg;
	}
	start_done(s, err); /* s is gone after this */
	if (err < 0)
		return NULL;
	task_main(t);
	return NULL;
}

void task_main(struct task *t)
{
	task_set_current(t);
	task_run(t);
	task_exit(t);
	task_set_current(NULL);
}

/*
 * The CPUs a task thread may start on: the sentry's own at start-up. A
 * thread created by another inherits its affinity, and the ptrace
 * platform pins a tracer to one CPU with its stub; without this every
 * process of a parallel build would stay on its parent's CPU.
 */
static cpu_set_t g_task_cpus;
static bool g_task_cpus_ok;
static pthread_once_t g_task_cpus_once = PTHREAD_ONCE_INIT;

static void task_cpus_init(void)
{
	g_task_cpus_ok = sched_getaffinity(0, sizeof(g_task_cpus), &g_task_cpus) == 0;
}

int task_start_thread(void *(*fn)(void *), void *arg)
{
	pthread_once(&g_task_cpus_once, task_cpus_init);
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if (g_task_cpus_ok)
		pthread_attr_setaffinity_np(&attr, sizeof(g_task_cpus), &g_task_cpus);
	pthread_t th;
	int err = -pthread_create(&th, &attr, fn, arg);
	pthread_attr_destroy(&attr);
	return err;
}

int task_start_init(struct kernel *k, struct task_init_args *args)
{
	return task_start_process(k, args, NULL);
}

int task_start_process(struct kernel *k, struct task_init_args *args, struct thread_group **out_tg)
{
	struct start_sync s = { .k = k, .args = args };
	pthread_mutex_init(&s.mu, NULL);
	pthread_cond_init(&s.cond, NULL);
	int err = task_start_thread(init_thread, &s);
	if (err == 0) {
		pthread_mutex_lock(&s.mu);
		while (!s.done)
			pthread_cond_wait(&s.cond, &s.mu);
		err = s.err;
		pthread_mutex_unlock(&s.mu);
	}
	if (err == 0 && out_tg)
		*out_tg = s.tg;
	else if (err == 0)
		tg_put(s.tg);
	pthread_cond_destroy(&s.cond);
	pthread_mutex_destroy(&s.mu);
	if (args->fdt) {
		fdtable_put(args->fdt);
		args->fdt = NULL;
	}
	if (args->exe) {
		args->exe->ops->close(args->exe);
		args->exe = NULL;
	}
	if (args->fs) {
		fs_context_put(args->fs);
		args->fs = NULL;
	}
	return err;
}

int task_nofile_limit(struct task *t)
{
	pthread_mutex_lock(&t->tg->mu);
	uint64_t cur = t->tg->rlimits[LINUX_RLIMIT_NOFILE].cur;
	pthread_mutex_unlock(&t->tg->mu);
	return cur > (1 << 20) ? (1 << 20) : (int)cur;
}

void task_kick_locked(struct task *t)
{
	task_wake(t);
	if (t->ctx)
		t->k->cfg.platform->ctx_interrupt(t->ctx);
}

void tg_kill_locked(struct thread_group *tg, int wait_status)
{
	pthread_mutex_lock(&tg->mu);
	if (!tg->exiting) {
		__atomic_store_n(&tg->exiting, true, __ATOMIC_RELEASE);
		tg->exit_status = wait_status;
	}
	pthread_mutex_unlock(&tg->mu);
	struct task *u;
	list_for_each_entry (u, &tg->threads, tg_link)
		task_kick_locked(u);
}

void task_group_exit(struct task *t, int wait_status)
{
	pthread_mutex_lock(&t->k->mu);
	tg_kill_locked(t->tg, wait_status);
	pthread_mutex_unlock(&t->k->mu);
	t->exiting = true;
}

bool task_should_exit(struct task *t)
{
	return t->exiting || __atomic_load_n(&t->killed, __ATOMIC_ACQUIRE) ||
	       __atomic_load_n(&t->tg->exiting, __ATOMIC_ACQUIRE);
}

void tg_signal_kick_locked(struct thread_group *tg, int sig)
{
	struct task *u;
	if (__atomic_load_n(&tg->exiting, __ATOMIC_ACQUIRE)) {
		/* The signal is killing the process: every thread must notice. */
		list_for_each_entry (u, &tg->threads, tg_link)
			task_kick_locked(u);
		return;
	}
	list_for_each_entry (u, &tg->threads, tg_link) {
		if (!(u->sigmask & linux_sigmask(sig))) {
			task_kick_locked(u);
			return;
		}
	}
}

/* tg_wait_exit's wake-up: a host thread's condition variable. */
struct exit_waiter {
	pthread_mutex_t mu;
	pthread_cond_t cond;
	bool woken;
};

static void exit_waiter_wake(struct waiter *w, uint32_t events)
{
	(void)events;
	struct exit_waiter *ew = w->arg;
	pthread_mutex_lock(&ew->mu);
	ew->woken = true;
	pthread_cond_signal(&ew->cond);
	pthread_mutex_unlock(&ew->mu);
}

int tg_wait_exit(struct thread_group *tg)
{
	struct exit_waiter ew = { .mu = PTHREAD_MUTEX_INITIALIZER,
		                  .cond = PTHREAD_COND_INITIALIZER };
	struct waiter w;
	waiter_init_fn(&w, exit_waiter_wake, &ew, LINUX_POLLIN);
	waitqueue_add(&tg->exit_wq, &w);
	pthread_mutex_lock(&ew.mu);
	while (!__atomic_load_n(&tg->zombie, __ATOMIC_ACQUIRE)) {
		ew.woken = false;
		while (!ew.woken && !__atomic_load_n(&tg->zombie, __ATOMIC_ACQUIRE))
			pthread_cond_wait(&ew.cond, &ew.mu);
	}
	pthread_mutex_unlock(&ew.mu);
	waitqueue_remove(&tg->exit_wq, &w);
	pthread_mutex_lock(&tg->mu);
	int status = tg->exit_status;
	pthread_mutex_unlock(&tg->mu);
	return status;
}
