/*
 * Processes: clone, clone3, fork, vfork, execve, execveat, wait4,
 * waitid, kill, tkill, tgkill, getppid, and process groups and sessions
 * (setpgid, getpgid, getpgrp, setsid, getsid).
 *
 * The work is in sentry/kernel (fork.c, exec.c, exit.c); this file reads
 * the arguments, as Linux's kernel/fork.c, fs/exec.c and kernel/sys.c do.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/abi/linux/sched.h"
#include "common/log.h"
#include "sentry/kernel/exec.h"
#include "sentry/kernel/fdtable.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"
#include "syscalls/syscalls.h"
#include "syscalls/vfs_ctx.h"

/* sys_clone implements clone(2): x86-64 argument order (flags, stack, ptid, ctid, tls). */
long sys_clone(struct task *t, const struct sys_args *a)
{
	uint64_t flags = a->a[0];
	struct clone_request r = {
		.flags = flags & ~LINUX_CSIGNAL & 0xffffffffULL,
		.exit_signal = (int)(flags & LINUX_CSIGNAL),
		.stack = a->a[1],
		.parent_tid = a->a[2],
		.child_tid = a->a[3],
		.tls = a->a[4],
	};
	if (r.exit_signal > LINUX_NSIG)
		return -EINVAL;
	/* clone() ignores CLONE_DETACHED's old meaning; with CLONE_PIDFD it is EINVAL. */
	if ((r.flags & LINUX_CLONE_PIDFD) && (r.flags & LINUX_CLONE_PARENT_SETTID))
		return -EINVAL;
	r.pidfd = r.parent_tid; /* clone() puts the pidfd where clone3 has parent_tid */
	r.flags &= ~LINUX_CLONE_DETACHED;
	return task_clone(t, &r);
}

/* sys_fork implements fork(2). */
long sys_fork(struct task *t, const struct sys_args *a)
{
	struct clone_request r = { .exit_signal = LINUX_SIGCHLD };
	return task_clone(t, &r);
}

/* sys_vfork implements vfork(2). */
long sys_vfork(struct task *t, const struct sys_args *a)
{
	struct clone_request r = {
		.flags = LINUX_CLONE_VFORK | LINUX_CLONE_VM,
		.exit_signal = LINUX_SIGCHLD,
	};
	return task_clone(t, &r);
}

/* sys_clone3 implements clone3(2). */
long sys_clone3(struct task *t, const struct sys_args *a)
{
	uint64_t size = a->a[1];
	struct linux_clone_args ca;
	memset(&ca, 0, sizeof(ca));
	if (size < LINUX_CLONE_ARGS_SIZE_VER0 || size > PAGE_SIZE)
		return -EINVAL;
	size_t known = size < sizeof(ca) ? (size_t)size : sizeof(ca);
	if (mm_copy_in(t->mm, &ca, a->a[0], known) < 0)
		return -EFAULT;
	/* A bigger struct from a newer program: its unknown tail must be zero (E2BIG). */
	for (uint64_t off = sizeof(ca); off < size; off += 8) {
		uint64_t v = 0;
		size_t n = size - off < 8 ? (size_t)(size - off) : 8;
		if (mm_copy_in(t->mm, &v, a->a[0] + off, n) < 0)
			return -EFAULT;
		if (v)
			return -E2BIG;
	}
	if (ca.flags & ~(0xffffffffULL | LINUX_CLONE_CLEAR_SIGHAND | LINUX_CLONE_INTO_CGROUP))
		return -EINVAL;
	if (ca.flags & (LINUX_CSIGNAL | LINUX_CLONE_DETACHED))
		return -EINVAL;
	if (ca.exit_signal > LINUX_NSIG)
		return -EINVAL;
	if ((ca.stack == 0) != (ca.stack_size == 0))
		return -EINVAL;
	if (ca.set_tid || ca.set_tid_size) {
		log_info("clone3: set_tid is not supported");
		return -EINVAL;
	}
	if (ca.flags & (LINUX_CLONE_INTO_CGROUP | LINUX_CLONE_CLEAR_SIGHAND)) {
		log_info("clone3: flags %#llx are not supported", (unsigned long long)ca.flags);
		return -EINVAL;
	}
	struct clone_request r = {
		.flags = ca.flags,
		.exit_signal = (int)ca.exit_signal,
		.stack = ca.stack ? ca.stack + ca.stack_size : 0,
		.parent_tid = ca.parent_tid,
		.child_tid = ca.child_tid,
		.tls = ca.tls,
		.pidfd = ca.pidfd,
	};
	return task_clone(t, &r);
}

/* Linux's MAX_ARG_STRINGS and MAX_ARG_STRLEN. */
#define MAX_ARG_STRINGS 0x7fffffff
#define MAX_ARG_STRLEN  (32 * PAGE_SIZE)

static void free_strv(char **v)
{
	if (!v)
		return;
	for (char **p = v; *p; p++)
		free(*p);
	free(v);
}

/*
 * A window on guest memory for copy_strv: argv's and envp's pointers and
 * strings mostly lie together (on the caller's stack, as its own exec left
 * them), so a few reads of a few pages serve an exec's dozens of strings,
 * instead of two reads of up to a page each per string.
 */
#define STRV_WINDOW (2 * PAGE_SIZE)
struct strv_window {
	uaddr_t start;
	size_t len;
	char buf[STRV_WINDOW];
};

/* Reads len bytes at addr through w (refilled from addr when they are not all in it). */
static int window_read(struct task *t, struct strv_window *w, uaddr_t addr, void *dst, size_t len)
{
	if (addr < w->start || addr - w->start + len > w->len) {
		w->start = addr;
		w->len = mm_copy_in_partial(t->mm, w->buf, addr, sizeof(w->buf));
		if (len > w->len)
			return -EFAULT;
	}
	memcpy(dst, w->buf + (addr - w->start), len);
	return 0;
}

/*
 * The string at addr, into buf (MAX_ARG_STRLEN): from the window when its
 * end is there, else read as mm_copy_string_in does. Returns its length.
 */
static long window_string(struct task *t, struct strv_window *w, uaddr_t addr, char *buf)
{
	for (int refilled = 0; refilled < 2; refilled++) {
		if (addr >= w->start && addr - w->start < w->len) {
			size_t off = addr - w->start;
			const char *nul = memchr(w->buf + off, '\0', w->len - off);
			if (nul) {
				size_t len = (size_t)(nul - (w->buf + off));
				memcpy(buf, w->buf + off, len + 1);
				return (long)len;
			}
			if (w->len < sizeof(w->buf) && off == 0)
				return -EFAULT; /* it runs into memory that cannot be read */
		}
		if (refilled)
			break;
		w->start = addr;
		w->len = mm_copy_in_partial(t->mm, w->buf, addr, sizeof(w->buf));
		if (w->len == 0)
			return -EFAULT;
	}
	return mm_copy_string_in(t->mm, buf, addr, MAX_ARG_STRLEN); /* a long string */
}

/*
 * Copies a NULL-terminated array of strings from the guest. The total
 * (strings and pointers) is bounded by a quarter of the stack limit, as
 * Linux's bprm_stack_limits. NULL addr is an empty array. Returns 0 or -errno.
 */
static int copy_strv(struct task *t, uaddr_t addr, uint64_t *budget, char ***out)
{
	size_t n = 0, cap = 16;
	char **v = calloc(cap, sizeof(*v));
	if (!v)
		return -ENOMEM;
	int err = 0;
	char *buf = malloc(MAX_ARG_STRLEN);
	struct strv_window *ptrs = malloc(sizeof(*ptrs)), *strs = malloc(sizeof(*strs));
	if (!buf || !ptrs || !strs) {
		free(buf);
		free(ptrs);
		free(strs);
		free(v);
		return -ENOMEM;
	}
	ptrs->len = strs->len = 0;
	while (addr) {
		uint64_t p;
		if (window_read(t, ptrs, addr + n * 8, &p, sizeof(p)) < 0) {
			err = -EFAULT;
			break;
		}
		if (!p)
			break;
		if (n >= MAX_ARG_STRINGS) {
			err = -E2BIG;
			break;
		}
		long len = window_string(t, strs, p, buf);
		if (len < 0) {
			err = len == -ENAMETOOLONG ? -E2BIG : (int)len;
			break;
		}
		uint64_t cost = (uint64_t)len + 1 + sizeof(void *);
		if (cost > *budget) {
			err = -E2BIG;
			break;
		}
		*budget -= cost;
		if (n + 1 >= cap) {
			cap *= 2;
			char **nv = realloc(v, cap * sizeof(*v));
			if (!nv) {
				err = -ENOMEM;
				break;
			}
			v = nv;
		}
		v[n] = strdup(buf);
		if (!v[n]) {
			err = -ENOMEM;
			break;
		}
		v[++n] = NULL;
	}
	free(buf);
	free(ptrs);
	free(strs);
	if (err < 0) {
		free_strv(v);
		return err;
	}
	*out = v;
	return 0;
}

static long do_execveat(struct task *t, int dirfd, uaddr_t path_addr, uaddr_t argv_addr,
                        uaddr_t envp_addr, int flags)
{
	if (flags & ~(LINUX_AT_EMPTY_PATH | LINUX_AT_SYMLINK_NOFOLLOW))
		return -EINVAL;
	char *path = malloc(LINUX_PATH_MAX);
	if (!path)
		return -ENOMEM;
	long err = task_copy_path(t, path_addr, path, flags & LINUX_AT_EMPTY_PATH);
	if (err > 0)
		err = 0;
	char **argv = NULL, **envp = NULL;
	pthread_mutex_lock(&t->tg->mu);
	uint64_t budget = t->tg->rlimits[LINUX_RLIMIT_STACK].cur / 4;
	pthread_mutex_unlock(&t->tg->mu);
	if (budget < 32 * PAGE_SIZE)
		budget = 32 * PAGE_SIZE;
	if (budget > (6ULL << 20) / 4 * 3)
		budget = (6ULL << 20) / 4 * 3; /* Linux caps it at 3/4 of _STK_LIM (6 MiB) */
	if (err == 0)
		err = copy_strv(t, argv_addr, &budget, &argv);
	if (err == 0)
		err = copy_strv(t, envp_addr, &budget, &envp);
	if (err < 0)
		goto out;
	/*
	 * The file name the new program sees (AT_EXECFN): the path, or for an
	 * fd, /dev/fd/N (/dev/fd/N/path when the path is relative).
	 */
	char *filename = NULL;
	if (path[0] == '/' || dirfd == LINUX_AT_FDCWD) {
		filename = strdup(path);
	} else if (path[0] == '\0') {
		if (asprintf(&filename, "/dev/fd/%d", dirfd) < 0)
			filename = NULL;
	} else if (asprintf(&filename, "/dev/fd/%d/%s", dirfd, path) < 0) {
		filename = NULL;
	}
	if (!filename) {
		err = -ENOMEM;
		goto out;
	}
	struct vfs_ctx c;
	struct vfs_ctx_hold hold;
	unsigned lookup = (flags & LINUX_AT_SYMLINK_NOFOLLOW) ? 0 : LOOKUP_FOLLOW;
	if (flags & LINUX_AT_EMPTY_PATH)
		lookup |= LOOKUP_EMPTY;
	err = task_vfs_ctx(t, dirfd, path, lookup, &c, &hold);
	if (err == 0) {
		err = exec_task(t, &c, path, lookup, argv, envp, filename);
		task_vfs_ctx_put(&hold);
	}
	free(filename);
out:
	free_strv(argv);
	free_strv(envp);
	free(path);
	return err;
}

/* sys_execve implements execve(2). */
long sys_execve(struct task *t, const struct sys_args *a)
{
	return do_execveat(t, LINUX_AT_FDCWD, a->a[0], a->a[1], a->a[2], 0);
}

/* sys_execveat implements execveat(2). */
long sys_execveat(struct task *t, const struct sys_args *a)
{
	return do_execveat(t, (int)a->a[0], a->a[1], a->a[2], a->a[3], (int)a->a[4]);
}

/* sys_wait4 implements wait4(2). */
long sys_wait4(struct task *t, const struct sys_args *a)
{
	return task_wait4(t, (int)a->a[0], a->a[1], (int)a->a[2], a->a[3]);
}

/* sys_waitid implements waitid(2); P_PIDFD waits for the process the pidfd names. */
long sys_waitid(struct task *t, const struct sys_args *a)
{
	int idtype = (int)a->a[0], id = (int)a->a[1], options = (int)a->a[3];
	if (idtype == LINUX_P_PIDFD) {
		struct file *f = fdtable_lookup(t->fdt, id, NULL);
		if (!f)
			return -EBADF;
		struct thread_group *tg = pidfd_tg(f);
		bool nonblock = atomic_load(&f->flags) & LINUX_O_NONBLOCK;
		if (tg) {
			pthread_mutex_lock(&t->k->mu);
			id = tg->tgid;
			pthread_mutex_unlock(&t->k->mu);
		}
		file_put(f);
		if (!tg)
			return -EINVAL;
		idtype = LINUX_P_PID;
		/* A non-blocking pidfd makes the wait non-blocking: EAGAIN, not 0 (Linux 5.10). */
		if (nonblock && !(options & LINUX_WNOHANG)) {
			long r = task_waitid(t, idtype, id, a->a[2], options | LINUX_WNOHANG,
			                     a->a[4]);
			if (r == 0) {
				struct linux_siginfo si;
				if (a->a[2] && mm_copy_in(t->mm, &si, a->a[2], sizeof(si)) == 0 &&
				    si.signo == 0)
					return -EAGAIN;
			}
			return r;
		}
	}
	return task_waitid(t, idtype, id, a->a[2], options, a->a[4]);
}

/* sys_getppid implements getppid(2): 0 for init, whose parent is outside the sandbox. */
long sys_getppid(struct task *t, const struct sys_args *a)
{
	pthread_mutex_lock(&t->k->mu);
	int ppid = t->tg->parent ? t->tg->parent->tgid : 0;
	pthread_mutex_unlock(&t->k->mu);
	return ppid;
}

/* sys_getpgid implements getpgid(2). */
long sys_getpgid(struct task *t, const struct sys_args *a)
{
	int pid = (int)a->a[0];
	struct kernel *k = t->k;
	pthread_mutex_lock(&k->mu);
	struct thread_group *tg = pid ? kernel_find_tg_locked(k, pid) : t->tg;
	int ret = tg && !tg->zombie ? tg->pgid : -ESRCH;
	pthread_mutex_unlock(&k->mu);
	return ret;
}

/* sys_getpgrp implements getpgrp(2). */
long sys_getpgrp(struct task *t, const struct sys_args *a)
{
	pthread_mutex_lock(&t->k->mu);
	int pgid = t->tg->pgid;
	pthread_mutex_unlock(&t->k->mu);
	return pgid;
}

/* sys_getsid implements getsid(2). */
long sys_getsid(struct task *t, const struct sys_args *a)
{
	int pid = (int)a->a[0];
	struct kernel *k = t->k;
	pthread_mutex_lock(&k->mu);
	struct thread_group *tg = pid ? kernel_find_tg_locked(k, pid) : t->tg;
	int ret = tg && !tg->zombie ? tg->sid : -ESRCH;
	pthread_mutex_unlock(&k->mu);
	return ret;
}

/* sys_setpgid implements setpgid(2), with Linux's checks in Linux's order. */
long sys_setpgid(struct task *t, const struct sys_args *a)
{
	int pid = (int)a->a[0], pgid = (int)a->a[1];
	if (pgid < 0)
		return -EINVAL;
	struct kernel *k = t->k;
	pthread_mutex_lock(&k->mu);
	struct thread_group *me = t->tg;
	struct thread_group *p = pid ? kernel_find_tg_locked(k, pid) : me;
	if (!pgid)
		pgid = p ? p->tgid : 0;
	long ret = 0;
	if (!p || p->zombie) {
		ret = -ESRCH;
	} else if (p != me && p->parent != me) {
		ret = -ESRCH; /* neither the caller nor its child */
	} else if (p != me && p->sid != me->sid) {
		ret = -EPERM;
	} else if (p->sid == p->tgid) {
		ret = -EPERM; /* a session leader */
	} else if (pgid != p->tgid) {
		/* The group must exist in the caller's session. */
		bool found = false;
		struct thread_group *o;
		list_for_each_entry (o, &k->tgs, k_link) {
			if (!o->zombie && o->pgid == pgid && o->sid == me->sid) {
				found = true;
				break;
			}
		}
		if (!found)
			ret = -EPERM;
	}
	/* A child that has exec'd cannot be moved any more (EACCES): not tracked yet. */
	if (ret == 0)
		p->pgid = pgid;
	pthread_mutex_unlock(&k->mu);
	return ret;
}

/* sys_setsid implements setsid(2). */
long sys_setsid(struct task *t, const struct sys_args *a)
{
	struct kernel *k = t->k;
	pthread_mutex_lock(&k->mu);
	struct thread_group *me = t->tg;
	long ret = me->tgid;
	/* EPERM when a process group with the caller's id exists (it would lead it). */
	struct thread_group *o;
	list_for_each_entry (o, &k->tgs, k_link) {
		if (o->pgid == me->tgid) {
			ret = -EPERM;
			break;
		}
	}
	if (ret > 0) {
		me->sid = me->tgid;
		me->pgid = me->tgid;
		me->tty = NULL; /* a new session has no controlling terminal */
	}
	pthread_mutex_unlock(&k->mu);
	return ret;
}

/* May sender signal a process with target's credentials (Linux's kill_ok_by_cred)? */
static bool may_signal(const struct creds *sender, const struct creds *target)
{
	if (creds_capable(sender, LINUX_CAP_KILL))
		return true;
	return sender->euid == target->suid || sender->euid == target->ruid ||
	       sender->ruid == target->suid || sender->ruid == target->ruid;
}

/*
 * Sends sig to one process, with info (NULL: SI_USER from t). SIGCONT
 * within a session needs no permission. Preconditions: k->mu held.
 * Returns 0 or -errno.
 */
static int signal_tg_locked(struct task *t, struct thread_group *tg, int sig,
                            const struct linux_siginfo *info)
{
	if (list_empty(&tg->threads))
		return -ESRCH;
	struct task *target = list_first_entry(&tg->threads, struct task, tg_link);
	if (!may_signal(&t->creds, &target->creds) &&
	    !(sig == LINUX_SIGCONT && tg->sid == t->tg->sid))
		return -EPERM;
	if (sig == 0)
		return 0;
	struct linux_siginfo si = { .signo = sig, .code = LINUX_SI_USER };
	si.kill.pid = t->tg->tgid;
	si.kill.uid = t->creds.ruid;
	int err = task_send_group_signal(target, sig, info ? info : &si);
	if (err == 0)
		tg_signal_kick_locked(tg, sig);
	return err;
}

/* sys_kill implements kill(2). */
long sys_kill(struct task *t, const struct sys_args *a)
{
	int pid = (int)a->a[0];
	uint64_t sig = (uint32_t)a->a[1];
	if (sig > LINUX_NSIG)
		return -EINVAL;
	struct kernel *k = t->k;
	pthread_mutex_lock(&k->mu);
	long ret;
	if (pid > 0) {
		struct thread_group *tg = kernel_find_tg_locked(k, pid);
		ret = tg && !tg->zombie ? signal_tg_locked(t, tg, (int)sig, NULL) : -ESRCH;
		if (tg && tg->zombie)
			ret = 0; /* a zombie still exists: the signal is dropped */
	} else {
		/* 0: the caller's group; -1: everyone but init and the caller; -N: group N. */
		int pgid = pid == 0 ? t->tg->pgid : -pid;
		int sent = 0;
		ret = -ESRCH;
		struct thread_group *tg;
		list_for_each_entry (tg, &k->tgs, k_link) {
			if (tg->zombie)
				continue;
			if (pid == -1 ? (tg->tgid == 1 || tg == t->tg) : tg->pgid != pgid)
				continue;
			int err = signal_tg_locked(t, tg, (int)sig, NULL);
			if (err == 0)
				sent++;
			else if (ret == -ESRCH || err != -EPERM)
				ret = err;
		}
		if (sent)
			ret = 0;
	}
	pthread_mutex_unlock(&k->mu);
	return ret;
}

long proc_signal_thread(struct task *t, int tgid, int tid, int sig,
                        const struct linux_siginfo *info)
{
	struct kernel *k = t->k;
	pthread_mutex_lock(&k->mu);
	struct task *target = kernel_find_task_locked(k, tid);
	long ret = 0;
	if (!target || (tgid > 0 && target->tg->tgid != tgid)) {
		ret = -ESRCH;
	} else if (!may_signal(&t->creds, &target->creds)) {
		ret = -EPERM;
	} else if (sig) {
		struct linux_siginfo si = { .signo = sig, .code = LINUX_SI_TKILL };
		si.kill.pid = t->tg->tgid;
		si.kill.uid = t->creds.ruid;
		ret = task_send_thread_signal(target, sig, info ? info : &si);
		if (ret == 0 && target != t)
			task_kick_locked(target);
	}
	pthread_mutex_unlock(&k->mu);
	return ret;
}

long proc_signal_process(struct task *t, int pid, int sig, const struct linux_siginfo *info)
{
	struct kernel *k = t->k;
	pthread_mutex_lock(&k->mu);
	struct thread_group *tg = kernel_find_tg_locked(k, pid);
	long ret = !tg ? -ESRCH : tg->zombie ? 0 : signal_tg_locked(t, tg, sig, info);
	pthread_mutex_unlock(&k->mu);
	return ret;
}

static long thread_kill(struct task *t, int tgid, int tid, uint64_t sig)
{
	if (sig > LINUX_NSIG)
		return -EINVAL;
	return proc_signal_thread(t, tgid, tid, (int)sig, NULL);
}

/* sys_tkill implements tkill(2). */
long sys_tkill(struct task *t, const struct sys_args *a)
{
	int tid = (int)a->a[0];
	if (tid <= 0)
		return -EINVAL;
	return thread_kill(t, 0, tid, (uint32_t)a->a[1]);
}

/* sys_tgkill implements tgkill(2). */
long sys_tgkill(struct task *t, const struct sys_args *a)
{
	int tgid = (int)a->a[0], tid = (int)a->a[1];
	if (tgid <= 0 || tid <= 0)
		return -EINVAL;
	return thread_kill(t, tgid, tid, (uint32_t)a->a[2]);
}

/* Linux's PIDFD_NONBLOCK is O_NONBLOCK. */
#define LINUX_PIDFD_NONBLOCK LINUX_O_NONBLOCK

/* sys_pidfd_open implements pidfd_open(2) for process ids (no PIDFD_THREAD). */
long sys_pidfd_open(struct task *t, const struct sys_args *a)
{
	int pid = (int)a->a[0];
	unsigned flags = (unsigned)a->a[1];
	if (flags & ~LINUX_PIDFD_NONBLOCK)
		return -EINVAL;
	if (pid <= 0)
		return -EINVAL;
	struct kernel *k = t->k;
	pthread_mutex_lock(&k->mu);
	struct thread_group *tg = kernel_find_tg_locked(k, pid);
	struct file *f = NULL;
	long ret = 0;
	if (!tg)
		ret = kernel_find_task_locked(k, pid) ? -EINVAL
		                                      : -ESRCH; /* a thread, not a process */
	else
		ret = pidfd_create(tg, flags, &f);
	pthread_mutex_unlock(&k->mu);
	if (ret < 0)
		return ret;
	ret = fdtable_install(t->fdt, f, 0, true, task_nofile_limit(t));
	file_put(f);
	return ret;
}

/* The process a pidfd names, with a reference (tg_put), or -EBADF. */
static long pidfd_lookup(struct task *t, int fd, struct thread_group **out)
{
	struct file *f = fdtable_lookup(t->fdt, fd, NULL);
	if (!f)
		return -EBADF;
	struct thread_group *tg = pidfd_tg(f);
	if (tg)
		atomic_fetch_add(&tg->refs, 1);
	file_put(f);
	if (!tg)
		return -EBADF;
	*out = tg;
	return 0;
}

/* pidfd_send_signal's flags (Linux 6.9): whom a process pidfd's signal is for. */
#define LINUX_PIDFD_SIGNAL_THREAD        1
#define LINUX_PIDFD_SIGNAL_THREAD_GROUP  2
#define LINUX_PIDFD_SIGNAL_PROCESS_GROUP 4

/* sys_pidfd_send_signal implements pidfd_send_signal(2). */
long sys_pidfd_send_signal(struct task *t, const struct sys_args *a)
{
	int sig = (int)a->a[1];
	uint64_t flags = a->a[3];
	if (flags & ~(uint64_t)(LINUX_PIDFD_SIGNAL_THREAD | LINUX_PIDFD_SIGNAL_THREAD_GROUP |
	                        LINUX_PIDFD_SIGNAL_PROCESS_GROUP))
		return -EINVAL;
	if (flags & (flags - 1))
		return -EINVAL; /* at most one */
	if (sig < 0 || sig > LINUX_NSIG)
		return -EINVAL;
	struct thread_group *tg;
	long ret = pidfd_lookup(t, (int)a->a[0], &tg);
	if (ret < 0)
		return ret;
	struct linux_siginfo si = { .signo = sig, .code = LINUX_SI_USER };
	si.kill.pid = t->tg->tgid;
	si.kill.uid = t->creds.ruid;
	if (a->a[2]) {
		if (mm_copy_in(t->mm, &si, a->a[2], sizeof(si)) < 0) {
			tg_put(tg);
			return -EFAULT;
		}
		if (si.signo != sig)
			ret = -EINVAL;
		/* Only the kernel, or a process to itself, may claim SI_USER-or-above codes. */
		else if (tg != t->tg && (si.code >= 0 || si.code == LINUX_SI_TKILL))
			ret = -EPERM;
	}
	struct kernel *k = t->k;
	pthread_mutex_lock(&k->mu);
	if (ret == 0 && (tg->zombie || list_empty(&tg->threads))) {
		ret = -ESRCH;
	} else if (ret == 0 && flags == LINUX_PIDFD_SIGNAL_PROCESS_GROUP) {
		int sent = 0;
		struct thread_group *o;
		ret = -ESRCH;
		list_for_each_entry (o, &k->tgs, k_link) {
			if (!o->zombie && o->pgid == tg->pgid &&
			    signal_tg_locked(t, o, sig, &si) == 0)
				sent++;
		}
		if (sent)
			ret = 0;
	} else if (ret == 0 && flags == LINUX_PIDFD_SIGNAL_THREAD) {
		/* The thread the pidfd names: the process's leader thread. */
		struct task *leader = kernel_find_task_locked(k, tg->tgid);
		if (!leader || leader->tg != tg) {
			ret = -ESRCH;
		} else if (!may_signal(&t->creds, &leader->creds)) {
			ret = -EPERM;
		} else if (sig) {
			ret = task_send_thread_signal(leader, sig, &si);
			if (ret == 0)
				task_kick_locked(leader);
		}
	} else if (ret == 0) {
		ret = signal_tg_locked(t, tg, sig, &si);
	}
	pthread_mutex_unlock(&k->mu);
	tg_put(tg);
	return ret;
}

/* sys_pidfd_getfd implements pidfd_getfd(2): a copy of another process's fd. */
long sys_pidfd_getfd(struct task *t, const struct sys_args *a)
{
	if (a->a[2])
		return -EINVAL;
	struct thread_group *tg;
	long ret = pidfd_lookup(t, (int)a->a[0], &tg);
	if (ret < 0)
		return ret;
	struct kernel *k = t->k;
	struct file *f = NULL;
	pthread_mutex_lock(&k->mu);
	if (tg->zombie || list_empty(&tg->threads)) {
		ret = -ESRCH;
	} else {
		/* PTRACE_MODE_ATTACH_REALCREDS: the same user, or CAP_SYS_PTRACE. */
		struct task *target = list_first_entry(&tg->threads, struct task, tg_link);
		if (!creds_capable(&t->creds, LINUX_CAP_SYS_PTRACE) &&
		    (t->creds.ruid != target->creds.ruid || t->creds.ruid != target->creds.euid ||
		     t->creds.ruid != target->creds.suid))
			ret = -EPERM;
		else if (!(f = fdtable_lookup(target->fdt, (int)a->a[1], NULL)))
			ret = -EBADF;
	}
	pthread_mutex_unlock(&k->mu);
	tg_put(tg);
	if (ret < 0)
		return ret;
	ret = fdtable_install(t->fdt, f, 0, true, task_nofile_limit(t));
	file_put(f);
	return ret;
}
