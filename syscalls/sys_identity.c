/*
 * Who and where the task is: getpid, getppid, gettid, the uid and gid
 * getters, getgroups, uname, sysinfo, getcwd, and resource limits.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysinfo.h>

#include "common/log.h"
#include "sentry/kernel/ktime.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"
#include "sentry/vfs/vfs.h"
#include "syscalls/syscalls.h"

/* sys_getpid implements getpid(2). */
long sys_getpid(struct task *t, const struct sys_args *a)
{
	return t->tg->tgid;
}

/* sys_gettid implements gettid(2). */
long sys_gettid(struct task *t, const struct sys_args *a)
{
	return t->tid;
}

/* sys_getuid implements getuid(2). */
long sys_getuid(struct task *t, const struct sys_args *a)
{
	return t->creds.ruid;
}

/* sys_geteuid implements geteuid(2). */
long sys_geteuid(struct task *t, const struct sys_args *a)
{
	return t->creds.euid;
}

/* sys_getgid implements getgid(2). */
long sys_getgid(struct task *t, const struct sys_args *a)
{
	return t->creds.rgid;
}

/* sys_getegid implements getegid(2). */
long sys_getegid(struct task *t, const struct sys_args *a)
{
	return t->creds.egid;
}

/* sys_getgroups implements getgroups(2). */
long sys_getgroups(struct task *t, const struct sys_args *a)
{
	int size = (int)a->a[0];
	int n = t->creds.ngroups;
	if (size < 0)
		return -EINVAL;
	if (size == 0)
		return n;
	if (size < n)
		return -EINVAL;
	int err = mm_copy_out(t->mm, a->a[1], t->creds.groups, (size_t)n * sizeof(uint32_t));
	return err < 0 ? err : n;
}

static void set_field(char *dst, const char *src)
{
	strncpy(dst, src, LINUX_UTSNAME_LEN - 1);
	dst[LINUX_UTSNAME_LEN - 1] = '\0';
}

/* sys_uname implements uname(2). */
long sys_uname(struct task *t, const struct sys_args *a)
{
	struct linux_utsname u;
	memset(&u, 0, sizeof(u));
	set_field(u.sysname, "Linux");
	set_field(u.nodename, t->k->cfg.hostname);
	set_field(u.release, t->k->cfg.release);
	set_field(u.version, t->k->cfg.version);
	set_field(u.machine, "x86_64");
	set_field(u.domainname, "(none)");
	return mm_copy_out(t->mm, a->a[0], &u, sizeof(u));
}

/* sys_sysinfo implements sysinfo(2): the sandbox's uptime and tasks, the host's memory. */
long sys_sysinfo(struct task *t, const struct sys_args *a)
{
	struct sysinfo hs;
	if (sysinfo(&hs) != 0)
		return -errno;
	/* The sandbox's clocks are the host's, so uptime agrees with CLOCK_BOOTTIME. */
	struct linux_timespec boot;
	ktime_get(t, LINUX_CLOCK_BOOTTIME, &boot);
	struct linux_sysinfo si;
	memset(&si, 0, sizeof(si));
	si.uptime = boot.tv_sec;
	/* Load averages are the sandbox's own and not tracked yet: 0, as gVisor reports. */
	si.totalram = hs.totalram;
	si.freeram = hs.freeram;
	si.sharedram = hs.sharedram;
	si.bufferram = hs.bufferram;
	si.totalswap = hs.totalswap;
	si.freeswap = hs.freeswap;
	pthread_mutex_lock(&t->k->mu);
	si.procs = (uint16_t)t->k->ntasks;
	pthread_mutex_unlock(&t->k->mu);
	si.mem_unit = hs.mem_unit;
	return mm_copy_out(t->mm, a->a[0], &si, sizeof(si));
}

/*
 * sys_getcwd implements getcwd(2): returns the length including the NUL.
 * A removed cwd gives ENOENT; one outside the root is "(unreachable)"-
 * prefixed, as Linux does.
 */
long sys_getcwd(struct task *t, const struct sys_args *a)
{
	struct path root, cwd;
	fs_context_paths(t->fs, &root, &cwd);
	char *buf = malloc(LINUX_PATH_MAX + 16);
	long ret = buf ? 0 : -ENOMEM;
	bool reachable = true;
	ssize_t n = 0;
	if (ret == 0 && dentry_unlinked(cwd.d))
		ret = -ENOENT;
	if (ret == 0) {
		n = vfs_path_string(&cwd, &root, buf + 13, LINUX_PATH_MAX, &reachable);
		if (n < 0)
			ret = n;
	}
	if (ret == 0) {
		char *s = buf + 13;
		if (!reachable) {
			memcpy(buf, "(unreachable)", 13);
			s = buf;
			n += 13;
		}
		size_t len = (size_t)n + 1;
		if (a->a[1] < len)
			ret = -ERANGE;
		else
			ret = mm_copy_out(t->mm, a->a[0], s, len) < 0 ? -EFAULT : (long)len;
	}
	free(buf);
	path_put(&root);
	path_put(&cwd);
	return ret;
}

/* Linux's sysctl fs.nr_open default: the most fds RLIMIT_NOFILE may allow. */
#define NR_OPEN 1048576

/*
 * Linux's do_prlimit(): reads and/or replaces one limit of t's process.
 */
static int do_prlimit(struct task *t, unsigned resource, const struct linux_rlimit *new_lim,
                      struct linux_rlimit *old_lim)
{
	if (resource >= LINUX_RLIM_NLIMITS)
		return -EINVAL;
	if (new_lim) {
		if (new_lim->cur > new_lim->max)
			return -EINVAL;
		if (resource == LINUX_RLIMIT_NOFILE && new_lim->max > NR_OPEN)
			return -EPERM;
	}
	struct thread_group *tg = t->tg;
	pthread_mutex_lock(&tg->mu);
	struct linux_rlimit *lim = &tg->rlimits[resource];
	/* Raising the hard limit needs CAP_SYS_RESOURCE. */
	if (new_lim && new_lim->max > lim->max &&
	    !creds_capable(&t->creds, LINUX_CAP_SYS_RESOURCE)) {
		pthread_mutex_unlock(&tg->mu);
		return -EPERM;
	}
	if (old_lim)
		*old_lim = *lim;
	if (new_lim)
		*lim = *new_lim;
	pthread_mutex_unlock(&tg->mu);
	if (new_lim && resource == LINUX_RLIMIT_STACK)
		t->mm->stack_limit = new_lim->cur;
	if (new_lim && resource == LINUX_RLIMIT_DATA)
		t->mm->data_limit = new_lim->cur;
	return 0;
}

/* sys_prlimit64 implements prlimit64(2) for the calling process. */
long sys_prlimit64(struct task *t, const struct sys_args *a)
{
	int pid = (int)a->a[0];
	struct linux_rlimit new_lim, old_lim;
	if (a->a[2]) {
		int err = mm_copy_in(t->mm, &new_lim, a->a[2], sizeof(new_lim));
		if (err < 0)
			return err;
	}
	if (pid != 0 && pid != t->tg->tgid)
		return -ESRCH;
	int err = do_prlimit(t, (unsigned)a->a[1], a->a[2] ? &new_lim : NULL,
	                     a->a[3] ? &old_lim : NULL);
	if (err == 0 && a->a[3])
		err = mm_copy_out(t->mm, a->a[3], &old_lim, sizeof(old_lim));
	return err;
}

/* sys_getrlimit implements getrlimit(2). */
long sys_getrlimit(struct task *t, const struct sys_args *a)
{
	struct linux_rlimit lim;
	int err = do_prlimit(t, (unsigned)a->a[0], NULL, &lim);
	if (err == 0)
		err = mm_copy_out(t->mm, a->a[1], &lim, sizeof(lim));
	return err;
}

/* sys_setrlimit implements setrlimit(2). */
long sys_setrlimit(struct task *t, const struct sys_args *a)
{
	struct linux_rlimit lim;
	int err = mm_copy_in(t->mm, &lim, a->a[1], sizeof(lim));
	if (err < 0)
		return err;
	return do_prlimit(t, (unsigned)a->a[0], &lim, NULL);
}
