/*
 * clone(2), fork(2), vfork(2) and clone3(2): Linux's copy_process.
 *
 * The child is a new task on a new sentry thread. Its platform context is
 * made in two steps (platform.h): the parent's thread copies its stub
 * (clone_prepare: a host fork of the address space, or a new host thread
 * in it with CLONE_VM), and the child's thread binds the copy to itself
 * (clone_attach). Only when that has worked does the child get its id and
 * appear in the task tree, so a failure is an ordinary error return of
 * clone and leaves nothing behind; the child runs once the parent has
 * written CLONE_PARENT_SETTID, as on Linux.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/abi/linux/sched.h"
#include "common/log.h"
#include "sentry/kernel/fdtable.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"
#include "sentry/vfs/file.h"
#include "sentry/vfs/vfs.h"

/*
 * The parent's and the child's threads meet here. Each side holds a
 * reference and drops it when it is done with the structure (the last one
 * frees it): either side may still be inside a condition wait on it when
 * the other has finished.
 */
struct clone_start {
	atomic_int refs;
	struct task *child;
	struct platform_clone *pc;
	const struct clone_request *req;
	pthread_mutex_t mu;
	pthread_cond_t cond;
	enum {
		START_ATTACHING,
		START_ATTACHED,
		START_FAILED,
		START_GO,
		START_CANCEL,
		START_CANCELLED
	} state;
	int err;
};

static void start_put(struct clone_start *s)
{
	if (atomic_fetch_sub(&s->refs, 1) == 1) {
		pthread_cond_destroy(&s->cond);
		pthread_mutex_destroy(&s->mu);
		free(s);
	}
}

static void start_set(struct clone_start *s, int state, int err)
{
	pthread_mutex_lock(&s->mu);
	s->state = state;
	s->err = err;
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->mu);
}

static int start_wait(struct clone_start *s, int while_state)
{
	pthread_mutex_lock(&s->mu);
	while ((int)s->state == while_state)
		pthread_cond_wait(&s->cond, &s->mu);
	int state = (int)s->state;
	pthread_mutex_unlock(&s->mu);
	return state;
}

static void *clone_thread(void *arg)
{
	struct clone_start *s = arg;
	struct task *c = s->child;
	const struct clone_request req_copy = *s->req; /* the parent's is gone after GO */
	const struct clone_request *req = &req_copy;
	const struct platform_ops *p = c->k->cfg.platform;
	struct platform_as *as = NULL;
	struct platform_ctx *ctx = NULL;
	int err = p->clone_attach(s->pc, &as, &ctx);
	if (err < 0) {
		start_set(s, START_FAILED, err);
		start_put(s);
		return NULL;
	}
	if (as)
		mm_set_as(c->mm, as);
	struct linux_regs *regs = p->ctx_regs(ctx);
	regs->rax = 0;
	if (req->stack)
		regs->rsp = req->stack;
	if (req->flags & LINUX_CLONE_SETTLS)
		regs->fs_base = req->tls;
	p->ctx_regs_changed(ctx);
	c->ctx = ctx;
	pthread_getcpuclockid(pthread_self(), &c->sentry_cpu_clock); /* linked after ATTACHED */
	start_set(s, START_ATTACHED, 0);
	if (start_wait(s, START_ATTACHED) != START_GO) {
		/* The parent gave up (it is being killed): nobody knows this task. */
		p->ctx_destroy(ctx);
		c->ctx = NULL;
		start_set(s, START_CANCELLED, 0);
		start_put(s);
		return NULL;
	}
	start_put(s);
	if (req->flags & LINUX_CLONE_CHILD_SETTID) {
		int32_t tid = c->tid;
		mm_copy_out(c->mm, req->child_tid, &tid, sizeof(tid));
	}
	task_main(c);
	return NULL;
}

/* Linux's copy_process flag checks. */
static int check_flags(struct task *t, const struct clone_request *r)
{
	uint64_t f = r->flags;
	if ((f & (LINUX_CLONE_NEWNS | LINUX_CLONE_FS)) == (LINUX_CLONE_NEWNS | LINUX_CLONE_FS) ||
	    (f & (LINUX_CLONE_NEWUSER | LINUX_CLONE_FS)) == (LINUX_CLONE_NEWUSER | LINUX_CLONE_FS))
		return -EINVAL;
	if ((f & LINUX_CLONE_THREAD) && !(f & LINUX_CLONE_SIGHAND))
		return -EINVAL;
	if ((f & LINUX_CLONE_SIGHAND) && !(f & LINUX_CLONE_VM))
		return -EINVAL;
	if ((f & LINUX_CLONE_PARENT) && t->tg->unkillable)
		return -EINVAL; /* init has no siblings in its namespace */
	if ((f & LINUX_CLONE_PIDFD) && (f & (LINUX_CLONE_THREAD | LINUX_CLONE_DETACHED)))
		return -EINVAL;
	if ((f & LINUX_CLONE_THREAD) && (f & (LINUX_CLONE_NEWUSER | LINUX_CLONE_NEWPID)))
		return -EINVAL;
	if (f & LINUX_CLONE_NS_FLAGS) {
		log_info("clone: new namespaces (flags %#llx) are not supported",
		         (unsigned long long)f);
		return -EINVAL;
	}
	if ((f & LINUX_CLONE_SIGHAND) && !(f & LINUX_CLONE_THREAD)) {
		/* Signal actions live in the thread group: one table per process. */
		log_info("clone: CLONE_SIGHAND without CLONE_THREAD is not supported");
		return -EINVAL;
	}
	return 0;
}

/* The child's process, when it is a new one (no CLONE_THREAD). */
static struct thread_group *new_process(struct task *t, const struct clone_request *r)
{
	struct thread_group *tg = tg_alloc(t->k);
	if (!tg)
		return NULL;
	struct thread_group *ptg = t->tg;
	pthread_mutex_lock(&ptg->mu);
	memcpy(tg->rlimits, ptg->rlimits, sizeof(tg->rlimits));
	memcpy(tg->actions, ptg->actions, sizeof(tg->actions));
	if (ptg->exe_mnt) {
		tg->exe_mnt = mount_get(ptg->exe_mnt);
		tg->exe_dentry = dentry_get(ptg->exe_dentry);
	}
	pthread_mutex_unlock(&ptg->mu);
	tg->exit_signal = r->exit_signal;
	tg->dumpable = ptg->dumpable;
	tg->nice = ptg->nice;
	tg->personality = ptg->personality;
	return tg;
}

long task_clone(struct task *t, const struct clone_request *r)
{
	int err = check_flags(t, r);
	if (err < 0)
		return err;
	struct kernel *k = t->k;
	uint64_t f = r->flags;
	bool thread = f & LINUX_CLONE_THREAD;
	struct task *c = task_alloc(k);
	if (!c)
		return -ENOMEM;
	struct thread_group *tg = thread ? t->tg : new_process(t, r);
	if (!tg) {
		task_free(c);
		return -ENOMEM;
	}
	c->tg = tg;
	c->creds = t->creds;
	memcpy(c->comm, t->comm, sizeof(c->comm));
	c->sigmask = t->sigmask;
	c->no_new_privs = t->no_new_privs;
	c->timer_slack_ns = t->timer_slack_ns;
	if ((f & (LINUX_CLONE_VM | LINUX_CLONE_VFORK)) != LINUX_CLONE_VM) {
		/* A thread on its own stack gets no alternate stack (Linux's copy_sighand). */
		c->sas_sp = t->sas_sp;
		c->sas_size = t->sas_size;
		c->sas_flags = t->sas_flags;
	}
	if (f & LINUX_CLONE_CHILD_CLEARTID)
		c->clear_child_tid = r->child_tid;
	c->fdt = (f & LINUX_CLONE_FILES) ? fdtable_get(t->fdt) : fdtable_copy(t->fdt);
	if (f & LINUX_CLONE_FS) {
		c->fs = fs_context_get(t->fs);
	} else {
		struct path root, cwd;
		fs_context_paths(t->fs, &root, &cwd);
		pthread_mutex_lock(&t->fs->mu);
		uint32_t umask = t->fs->umask;
		pthread_mutex_unlock(&t->fs->mu);
		c->fs = fs_context_new(&root, &cwd, umask);
		path_put(&root);
		path_put(&cwd);
	}
	int pidfd = -1;
	struct file *pidfd_file = NULL;
	struct clone_start *s = calloc(1, sizeof(*s));
	if (!s) {
		err = -ENOMEM;
		goto out_free;
	}
	atomic_init(&s->refs, 1);
	s->child = c;
	s->req = r;
	s->state = START_ATTACHING;
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cond, NULL);
	err = (!c->fdt || !c->fs) ? -ENOMEM : 0;
	/* CLONE_PIDFD: the fd is reserved and its number written before the child exists. */
	if (err == 0 && (f & LINUX_CLONE_PIDFD)) {
		pidfd = fdtable_reserve(t->fdt, task_nofile_limit(t));
		err = pidfd < 0 ? pidfd : pidfd_create(tg, 0, &pidfd_file);
		if (err == 0) {
			int32_t v = pidfd;
			err = mm_copy_out(t->mm, r->pidfd, &v, sizeof(v));
		}
	}
	if (err == 0) {
		if (f & LINUX_CLONE_VM) {
			c->mm = mm_get(t->mm);
			err = k->cfg.platform->clone_prepare
			              ? k->cfg.platform->clone_prepare(t->ctx, true, &s->pc)
			              : -ENOSYS;
		} else {
			err = mm_fork(t->mm, t->ctx, &c->mm, &s->pc);
		}
	}
	if (err < 0)
		goto out_free;

	atomic_fetch_add(&s->refs, 1); /* the child thread's */
	err = task_start_thread(clone_thread, s);
	if (err < 0) {
		atomic_fetch_sub(&s->refs, 1);
		k->cfg.platform->clone_abort(s->pc);
		goto out_free;
	}
	if (start_wait(s, START_ATTACHING) == START_FAILED) {
		err = s->err;
		goto out_free;
	}

	/* The child exists from here: give it an id and put it in the tree. */
	pthread_mutex_lock(&k->mu);
	if (k->ntasks >= k->max_tasks || k->init_exited ||
	    __atomic_load_n(&t->tg->exiting, __ATOMIC_ACQUIRE)) {
		err = k->ntasks >= k->max_tasks ? -EAGAIN : -EINTR;
		pthread_mutex_unlock(&k->mu);
		start_set(s, START_CANCEL, 0);
		/* The child's thread destroys its context and says so. */
		start_wait(s, START_CANCEL);
		goto out_free;
	}
	int tid = kernel_alloc_tid_locked(k);
	c->tid = tid;
	if (!thread) {
		tg->tgid = tid;
		tg->parent = (f & LINUX_CLONE_PARENT) ? t->tg->parent : t->tg;
		tg->pgid = t->tg->pgid;
		tg->sid = t->tg->sid;
		tg->container = t->tg->container;
		tg->tty = t->tg->tty;
	}
	kernel_link_task_locked(k, c, !thread);
	pthread_mutex_lock(&tg->mu);
	tg->live++;
	pthread_mutex_unlock(&tg->mu);
	if (f & LINUX_CLONE_VFORK) {
		c->vfork_parent = t;
		t->vfork_child = c;
	}
	pthread_mutex_unlock(&k->mu);
	if (pidfd_file) {
		fdtable_install_reserved(t->fdt, pidfd, pidfd_file, true);
		file_put(pidfd_file);
		pidfd_file = NULL;
	}
	if (f & LINUX_CLONE_PARENT_SETTID) {
		int32_t v = tid;
		mm_copy_out(t->mm, r->parent_tid, &v, sizeof(v));
	}
	start_set(s, START_GO, 0);
	start_put(s);

	if (f & LINUX_CLONE_VFORK)
		task_vfork_wait(t);
	return tid;

out_free:
	if (s)
		start_put(s);
	if (pidfd_file)
		file_put(pidfd_file);
	if (pidfd >= 0)
		fdtable_unreserve(t->fdt, pidfd);
	if (c->mm)
		mm_put(c->mm);
	if (!thread)
		tg_free(tg);
	task_free(c);
	return err;
}
