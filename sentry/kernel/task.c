/*
 * Task creation and exit.
 *
 * Each task runs on its own sentry thread, which creates the task's
 * platform context and so is the only thread allowed to drive it (on
 * ptrace, its tracer). task_start_init starts that thread and waits until
 * the program is loaded, so that a load error reaches the caller.
 */
#include "sentry/kernel/task.h"

#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "sentry/kernel/fdtable.h"
#include "sentry/mm/mm.h"
#include "sentry/fsimpl/kernfs/proc.h"
#include "sentry/vfs/vfs.h"

/* Hand-off between task_start_init and the new task's thread. */
struct start_sync {
	struct kernel *k;
	struct task_init_args *args;
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

static void task_free(struct task *t)
{
	if (t->mm)
		mm_destroy(t->mm);
	if (t->fdt)
		fdtable_put(t->fdt);
	if (t->fs)
		fs_context_put(t->fs);
	if (t->tg)
		task_signals_release(t);
	if (t->tg) {
		thread_group_signals_release(t->tg);
		struct path exe = { t->tg->exe_mnt, t->tg->exe_dentry };
		path_put(&exe);
		pthread_mutex_destroy(&t->tg->mu);
		free(t->tg);
	}
	if (t->tid)
		kernel_remove_task(t->k, t);
	if (t->wake_fd >= 0)
		close(t->wake_fd);
	free(t);
}

/* Creates the init task and loads its program. Runs on the task's own thread. */
static int init_task_create(struct kernel *k, struct task_init_args *args, struct task **out)
{
	struct task *t = calloc(1, sizeof(*t));
	struct thread_group *tg = calloc(1, sizeof(*tg));
	if (!t || !tg) {
		free(t);
		free(tg);
		return -ENOMEM;
	}
	t->k = k;
	t->tg = tg;
	t->wake_fd = -1;
	tg->k = k;
	pthread_mutex_init(&tg->mu, NULL);
	thread_group_signals_init(tg);
	memcpy(tg->rlimits, args->rlimits, sizeof(tg->rlimits));
	int err = task_wake_init(t);
	if (err < 0)
		goto out_free;
	kernel_add_task(k, t);
	tg->tgid = t->tid;
	/* The sandbox's first process is its pid namespace's init. */
	tg->unkillable = true;
	t->creds = args->creds;
	t->fdt = args->fdt;
	args->fdt = NULL;
	t->fs = args->fs;
	args->fs = NULL;
	if (args->exe_path.d) {
		tg->exe_mnt = mount_get(args->exe_path.mnt);
		tg->exe_dentry = dentry_get(args->exe_path.d);
	}
	/* comm: the file name's last component, cut to 15 bytes, as execve sets it. */
	const char *base = strrchr(args->filename, '/');
	base = base ? base + 1 : args->filename;
	snprintf(t->comm, sizeof(t->comm), "%s", base);
	struct timespec now;
	clock_gettime(CLOCK_BOOTTIME, &now);
	t->start_time_ns =
	        (uint64_t)now.tv_sec * 1000000000ULL + (uint64_t)now.tv_nsec - k->boot_time_ns;
	err = mm_new(k->cfg.platform, &t->mm, &t->ctx);
	if (err < 0)
		goto out_free;

	struct mm *mm = t->mm;
	mm->stack_limit = tg->rlimits[LINUX_RLIMIT_STACK].cur;
	mm->data_limit = tg->rlimits[LINUX_RLIMIT_DATA].cur;
	mm_randomize_layout(mm);
	struct loader_args la = {
		.filename = args->filename,
		.argv = args->argv,
		.envp = args->envp,
		.uid = t->creds.ruid,
		.euid = t->creds.euid,
		.gid = t->creds.rgid,
		.egid = t->creds.egid,
		.open_interp = args->open_interp,
		.open_arg = args->open_arg,
	};
	struct loader_result lr;
	err = loader_load(mm, args->exe, &la, &lr);
	if (err < 0)
		goto out_free;
	const struct platform_ops *p = k->cfg.platform;
	struct linux_regs *regs = p->ctx_regs(t->ctx);
	regs->rip = lr.entry;
	regs->rsp = lr.stack_ptr;
	regs->rdx = 0; /* no rtld_fini: the ELF ABI's atexit pointer */
	p->ctx_regs_changed(t->ctx);
	*out = t;
	return 0;

out_free:
	task_free(t);
	return err;
}

static void *task_thread(void *arg)
{
	struct start_sync *s = arg;
	struct kernel *k = s->k;
	struct task *t = NULL;
	int err = init_task_create(k, s->args, &t);
	start_done(s, err); /* s is gone after this */
	if (err < 0)
		return NULL;
	task_set_current(t);
	task_run(t);
	task_set_current(NULL);
	int status = t->tg->exit_status;
	int tgid = t->tg->tgid;
	task_free(t); /* kills the stub before the sandbox reports the exit */
	kernel_task_exited(k, tgid, status);
	return NULL;
}

int task_start_init(struct kernel *k, struct task_init_args *args)
{
	struct start_sync s = { .k = k, .args = args };
	pthread_mutex_init(&s.mu, NULL);
	pthread_cond_init(&s.cond, NULL);
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_t th;
	int err = -pthread_create(&th, &attr, task_thread, &s);
	pthread_attr_destroy(&attr);
	if (err == 0) {
		pthread_mutex_lock(&s.mu);
		while (!s.done)
			pthread_cond_wait(&s.cond, &s.mu);
		err = s.err;
		pthread_mutex_unlock(&s.mu);
	}
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

void task_group_exit(struct task *t, int wait_status)
{
	pthread_mutex_lock(&t->tg->mu);
	if (!t->tg->exiting) {
		t->tg->exiting = true;
		t->tg->exit_status = wait_status;
	}
	pthread_mutex_unlock(&t->tg->mu);
	t->exiting = true;
}
