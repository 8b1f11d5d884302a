/* execve(2): see exec.h. */
#include "sentry/kernel/exec.h"

#include <errno.h>
#include <string.h>

#include "common/log.h"
#include "sentry/kernel/exec_file.h"
#include "sentry/kernel/fdtable.h"
#include "sentry/kernel/itimer.h"
#include "sentry/mm/mm.h"
#include "sentry/vfs/vfs.h"

/* personality(2)'s flag: no address-space randomisation. */
#define ADDR_NO_RANDOMIZE 0x0040000

int exec_load(struct task *t, struct exec_load *l)
{
	struct mm *mm;
	struct platform_ctx *ctx;
	int err = mm_new(t->k->cfg.platform, &mm, &ctx);
	if (err < 0)
		return err;
	pthread_mutex_lock(&t->tg->mu);
	mm->stack_limit = t->tg->rlimits[LINUX_RLIMIT_STACK].cur;
	mm->data_limit = t->tg->rlimits[LINUX_RLIMIT_DATA].cur;
	bool no_randomize = t->tg->personality & ADDR_NO_RANDOMIZE;
	pthread_mutex_unlock(&t->tg->mu);
	if (!no_randomize)
		mm_randomize_layout(mm);
	l->creds = t->creds;
	bool secure = creds_exec(&l->creds, t->no_new_privs);
	struct loader_args la = {
		.filename = l->filename,
		.argv = l->argv,
		.envp = l->envp,
		.uid = l->creds.ruid,
		.euid = l->creds.euid,
		.gid = l->creds.rgid,
		.egid = l->creds.egid,
		.secure = secure,
		.open_interp = l->open_interp,
		.open_arg = l->open_arg,
		.no_randomize = no_randomize,
	};
	struct loader_result lr;
	err = loader_load(mm, l->exe, &la, &lr);
	if (err < 0) {
		t->k->cfg.platform->ctx_destroy(ctx);
		mm_put(mm);
		return err;
	}
	const struct platform_ops *p = t->k->cfg.platform;
	struct linux_regs *regs = p->ctx_regs(ctx);
	regs->rip = lr.entry;
	regs->rsp = lr.stack_ptr;
	regs->rdx = 0; /* no rtld_fini: the ELF ABI's atexit pointer */
	p->ctx_regs_changed(ctx);
	l->mm = mm;
	l->ctx = ctx;
	return 0;
}

/*
 * Linux's de_thread: the other threads of t's process exit, and t takes
 * the process's id if it was not its leader. Returns 0, or -EINTR when
 * the process is being killed meanwhile (then nothing is committed).
 */
static int de_thread(struct task *t)
{
	struct kernel *k = t->k;
	struct thread_group *tg = t->tg;
	pthread_mutex_lock(&k->mu);
	if (tg->nr_threads > 1) {
		if (tg->exec_waiter || __atomic_load_n(&tg->exiting, __ATOMIC_ACQUIRE)) {
			pthread_mutex_unlock(&k->mu);
			return -EINTR;
		}
		tg->exec_waiter = t;
		struct task *u;
		list_for_each_entry (u, &tg->threads, tg_link) {
			if (u == t)
				continue;
			__atomic_store_n(&u->killed, true, __ATOMIC_RELEASE);
			task_kick_locked(u);
		}
		while (tg->nr_threads > 1) {
			pthread_mutex_unlock(&k->mu);
			int err = task_block_killable(t);
			pthread_mutex_lock(&k->mu);
			if (err < 0) {
				tg->exec_waiter = NULL;
				pthread_mutex_unlock(&k->mu);
				return err;
			}
		}
		tg->exec_waiter = NULL;
	}
	/* A non-leader takes over the process id (the leader is gone). */
	t->tid = tg->tgid;
	pthread_mutex_unlock(&k->mu);
	return 0;
}

/* Everything of the old program that execve does not keep. */
static void exec_reset(struct task *t)
{
	struct thread_group *tg = t->tg;
	/* The fd table stops being shared with other processes, then close-on-exec fds go. */
	if (atomic_load(&t->fdt->refs) > 1) {
		struct fdtable *copy = fdtable_copy(t->fdt);
		if (copy) {
			/* /proc reads t->fdt under kernel.mu. */
			pthread_mutex_lock(&t->k->mu);
			struct fdtable *old = t->fdt;
			t->fdt = copy;
			pthread_mutex_unlock(&t->k->mu);
			fdtable_put(old);
		}
	}
	fdtable_close_on_exec(t->fdt);
	/* Handlers go back to the default; ignored signals stay ignored. */
	pthread_mutex_lock(&tg->mu);
	for (int sig = 1; sig <= LINUX_NSIG; sig++) {
		struct linux_sigaction *act = &tg->actions[sig];
		if (act->handler != LINUX_SIG_IGN)
			act->handler = LINUX_SIG_DFL;
		act->flags = 0;
		act->restorer = 0;
		act->mask = 0;
	}
	pthread_mutex_unlock(&tg->mu);
	t->sas_sp = 0;
	t->sas_size = 0;
	t->sas_flags = 0;
}

static void set_exe(struct thread_group *tg, const struct path *p)
{
	struct path old = { tg->exe_mnt, tg->exe_dentry };
	tg->exe_mnt = p->mnt ? mount_get(p->mnt) : NULL;
	tg->exe_dentry = p->d ? dentry_get(p->d) : NULL;
	path_put(&old);
}

long exec_task(struct task *t, const struct vfs_ctx *c, const char *path, unsigned lookup,
               char *const *argv, char *const *envp, const char *filename)
{
	struct exec_image img = { 0 };
	int err = exec_prepare(c, path, lookup, argv, &img);
	if (err < 0)
		return err;
	struct exec_load l = {
		.exe = img.file,
		.filename = filename,
		.argv = img.argv,
		.envp = envp,
		.open_interp = exec_open_interp,
		.open_arg = (void *)c,
	};
	err = exec_load(t, &l);
	if (err == 0)
		err = de_thread(t);
	if (err < 0) {
		if (l.ctx) {
			t->k->cfg.platform->ctx_destroy(l.ctx);
			mm_put(l.mm);
		}
		exec_image_release(&img);
		return err;
	}

	/* The point of no return: the task runs the new program from here on. */
	task_mm_release(t);
	struct mm *old_mm = t->mm;
	struct platform_ctx *old_ctx = t->ctx;
	/* The CPU time of the old program's context stays the task's. */
	uint64_t old_utime = t->k->cfg.platform->ctx_cpu_time_ns(old_ctx);
	pthread_mutex_lock(&t->k->mu);
	t->mm = l.mm;
	t->ctx = l.ctx;
	t->exec_utime_ns += old_utime;
	t->creds = l.creds;
	pthread_mutex_unlock(&t->k->mu);
	t->k->cfg.platform->ctx_destroy(old_ctx);
	exec_reset(t);
	kernel_timers_exec(t->tg); /* POSIX timers go; interval timers stay */
	mm_put(old_mm);
	set_exe(t->tg, &img.path);
	task_set_comm(t, filename);
	exec_image_release(&img);
	return 0;
}
