/*
 * Process attributes and accounting: prctl, getrusage, times, the
 * priority calls (getpriority, setpriority) and the scheduling-policy
 * calls (sched_getscheduler and friends), and personality.
 *
 * Scheduling is the host's: every application thread is a stub thread
 * that the host schedules with SCHED_OTHER. So the sandbox reports
 * SCHED_OTHER, keeps each process's nice value (getpriority returns what
 * setpriority set, within Linux's rules), and refuses the real-time
 * policies with EPERM, which is what an unprivileged Linux process gets:
 * the sandbox does not give its applications real-time priority on the
 * host.
 */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "sentry/kernel/ktime.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"
#include "syscalls/syscalls.h"

#define LINUX_PR_SET_PDEATHSIG       1
#define LINUX_PR_GET_PDEATHSIG       2
#define LINUX_PR_GET_DUMPABLE        3
#define LINUX_PR_SET_DUMPABLE        4
#define LINUX_PR_GET_KEEPCAPS        7
#define LINUX_PR_SET_KEEPCAPS        8
#define LINUX_PR_GET_TIMING          13
#define LINUX_PR_SET_NAME            15
#define LINUX_PR_GET_NAME            16
#define LINUX_PR_GET_SECCOMP         21
#define LINUX_PR_SET_SECCOMP         22
#define LINUX_PR_CAPBSET_READ        23
#define LINUX_PR_CAPBSET_DROP        24
#define LINUX_PR_GET_SECUREBITS      27
#define LINUX_PR_SET_SECUREBITS      28
#define LINUX_PR_GET_TIMERSLACK      30
#define LINUX_PR_SET_TIMERSLACK      29
#define LINUX_PR_SET_CHILD_SUBREAPER 36
#define LINUX_PR_GET_CHILD_SUBREAPER 37
#define LINUX_PR_SET_NO_NEW_PRIVS    38
#define LINUX_PR_GET_NO_NEW_PRIVS    39
#define LINUX_PR_GET_TID_ADDRESS     40
#define LINUX_PR_SET_THP_DISABLE     41
#define LINUX_PR_GET_THP_DISABLE     42
#define LINUX_PR_CAP_AMBIENT         47

/*
 * The capability options of prctl (commoncap.c's cap_task_prctl): the
 * bounding set, secure bits, keepcaps and the ambient set, all in the
 * caller's creds.
 */
static long prctl_caps(struct task *t, int option, const struct sys_args *a)
{
	struct creds *c = &t->creds;
	uint64_t arg2 = a->a[1], arg3 = a->a[2], arg4 = a->a[3], arg5 = a->a[4];
	switch (option) {
	case LINUX_PR_CAPBSET_READ:
		if (arg2 > LINUX_CAP_LAST_CAP)
			return -EINVAL;
		return (c->cap_bset >> arg2) & 1;
	case LINUX_PR_CAPBSET_DROP:
		if (!creds_capable(c, LINUX_CAP_SETPCAP))
			return -EPERM;
		if (arg2 > LINUX_CAP_LAST_CAP)
			return -EINVAL;
		c->cap_bset &= ~LINUX_CAP_BIT(arg2);
		return 0;
	case LINUX_PR_GET_SECUREBITS:
		return c->securebits;
	case LINUX_PR_SET_SECUREBITS: {
		uint32_t old = c->securebits;
		/* No change of a locked bit, no unlocking, no unknown bit, and CAP_SETPCAP. */
		if ((((old & LINUX_SECURE_ALL_LOCKS) >> 1) & (old ^ arg2)) ||
		    (old & LINUX_SECURE_ALL_LOCKS & ~arg2) ||
		    (arg2 & ~(uint64_t)(LINUX_SECURE_ALL_LOCKS | LINUX_SECURE_ALL_BITS)) ||
		    !creds_capable(c, LINUX_CAP_SETPCAP))
			return -EPERM;
		c->securebits = (uint32_t)arg2;
		return 0;
	}
	case LINUX_PR_GET_KEEPCAPS:
		return creds_secure(c, LINUX_SECURE_KEEP_CAPS);
	case LINUX_PR_SET_KEEPCAPS:
		if (arg2 > 1)
			return -EINVAL;
		if (c->securebits & LINUX_SECBIT_LOCKED(LINUX_SECURE_KEEP_CAPS))
			return -EPERM;
		if (arg2)
			c->securebits |= LINUX_SECBIT(LINUX_SECURE_KEEP_CAPS);
		else
			c->securebits &= ~LINUX_SECBIT(LINUX_SECURE_KEEP_CAPS);
		return 0;
	default: /* LINUX_PR_CAP_AMBIENT */
		if (arg2 == LINUX_PR_CAP_AMBIENT_CLEAR_ALL) {
			if (arg3 | arg4 | arg5)
				return -EINVAL;
			c->cap_ambient = 0;
			return 0;
		}
		if (arg3 > LINUX_CAP_LAST_CAP || arg4 || arg5)
			return -EINVAL;
		if (arg2 == LINUX_PR_CAP_AMBIENT_IS_SET)
			return (c->cap_ambient >> arg3) & 1;
		if (arg2 == LINUX_PR_CAP_AMBIENT_RAISE) {
			/* Only what is both permitted and inheritable, unless locked out. */
			if (!((c->cap_permitted >> arg3) & 1) ||
			    !((c->cap_inheritable >> arg3) & 1) ||
			    creds_secure(c, LINUX_SECURE_NO_CAP_AMBIENT_RAISE))
				return -EPERM;
			c->cap_ambient |= LINUX_CAP_BIT(arg3);
			return 0;
		}
		if (arg2 == LINUX_PR_CAP_AMBIENT_LOWER) {
			c->cap_ambient &= ~LINUX_CAP_BIT(arg3);
			return 0;
		}
		return -EINVAL;
	}
}

/* sys_prctl implements prctl(2) for the options programs use; others are EINVAL. */
long sys_prctl(struct task *t, const struct sys_args *a)
{
	int option = (int)a->a[0];
	uint64_t arg2 = a->a[1];
	struct thread_group *tg = t->tg;
	switch (option) {
	case LINUX_PR_SET_PDEATHSIG:
		if (arg2 > LINUX_NSIG)
			return -EINVAL;
		t->pdeath_signal = (int)arg2;
		return 0;
	case LINUX_PR_GET_PDEATHSIG: {
		int32_t sig = t->pdeath_signal;
		return mm_copy_out(t->mm, arg2, &sig, sizeof(sig));
	}
	case LINUX_PR_GET_DUMPABLE: {
		pthread_mutex_lock(&tg->mu);
		int d = tg->dumpable;
		pthread_mutex_unlock(&tg->mu);
		return d;
	}
	case LINUX_PR_SET_DUMPABLE:
		if (arg2 > 1)
			return -EINVAL; /* SUID_DUMP_ROOT (2) is not settable */
		pthread_mutex_lock(&tg->mu);
		tg->dumpable = (int)arg2;
		pthread_mutex_unlock(&tg->mu);
		return 0;
	case LINUX_PR_GET_KEEPCAPS:
	case LINUX_PR_SET_KEEPCAPS:
	case LINUX_PR_CAPBSET_READ:
	case LINUX_PR_CAPBSET_DROP:
	case LINUX_PR_GET_SECUREBITS:
	case LINUX_PR_SET_SECUREBITS:
	case LINUX_PR_CAP_AMBIENT:
		return prctl_caps(t, option, a);
	case LINUX_PR_GET_TIMING:
		return 0; /* PR_TIMING_STATISTICAL */
	case LINUX_PR_SET_NAME: {
		char name[16];
		long n = mm_copy_string_in(t->mm, name, arg2, sizeof(name));
		if (n == -ENAMETOOLONG) {
			/* Linux takes the first 15 bytes of a longer name. */
			if (mm_copy_in(t->mm, name, arg2, sizeof(name) - 1) < 0)
				return -EFAULT;
			name[sizeof(name) - 1] = '\0';
		} else if (n < 0) {
			return n;
		}
		pthread_mutex_lock(&t->k->mu);
		memcpy(t->comm, name, sizeof(t->comm));
		pthread_mutex_unlock(&t->k->mu);
		return 0;
	}
	case LINUX_PR_GET_NAME: {
		char name[16];
		pthread_mutex_lock(&t->k->mu);
		memcpy(name, t->comm, sizeof(name));
		pthread_mutex_unlock(&t->k->mu);
		name[15] = '\0';
		return mm_copy_out(t->mm, arg2, name, sizeof(name));
	}
	case LINUX_PR_GET_SECCOMP:
		return 0; /* no seccomp filter of the application's own */
	case LINUX_PR_SET_SECCOMP:
		/* The application cannot install seccomp filters in the sandbox (yet). */
		return -EINVAL;
	case LINUX_PR_SET_TIMERSLACK:
		t->timer_slack_ns = arg2 ? arg2 : 50000;
		return 0;
	case LINUX_PR_GET_TIMERSLACK:
		return (long)t->timer_slack_ns;
	case LINUX_PR_SET_CHILD_SUBREAPER:
		pthread_mutex_lock(&t->k->mu);
		tg->subreaper = arg2 != 0;
		pthread_mutex_unlock(&t->k->mu);
		return 0;
	case LINUX_PR_GET_CHILD_SUBREAPER: {
		pthread_mutex_lock(&t->k->mu);
		int32_t v = tg->subreaper;
		pthread_mutex_unlock(&t->k->mu);
		return mm_copy_out(t->mm, arg2, &v, sizeof(v));
	}
	case LINUX_PR_SET_NO_NEW_PRIVS:
		if (arg2 != 1 || a->a[2] || a->a[3] || a->a[4])
			return -EINVAL;
		t->no_new_privs = true;
		return 0;
	case LINUX_PR_GET_NO_NEW_PRIVS:
		if (arg2 || a->a[2] || a->a[3] || a->a[4])
			return -EINVAL;
		return t->no_new_privs;
	case LINUX_PR_GET_TID_ADDRESS:
		return mm_copy_out(t->mm, arg2, &t->clear_child_tid, sizeof(uint64_t));
	case LINUX_PR_GET_THP_DISABLE:
		return 0;
	default:
		log_info("prctl: option %d is not supported", option);
		return -EINVAL;
	}
}

#define LINUX_RUSAGE_SELF     0
#define LINUX_RUSAGE_CHILDREN (-1)
#define LINUX_RUSAGE_THREAD   1

/*
 * The CPU time of t's process: its live threads' stubs (user time) and
 * sentry threads (system time), plus its exited threads'.
 */
static void process_times(struct task *t, uint64_t *utime, uint64_t *stime)
{
	pthread_mutex_lock(&t->k->mu);
	ktime_tg_cputime_locked(t->tg, utime, stime);
	pthread_mutex_unlock(&t->k->mu);
}

struct linux_rusage_out {
	int64_t utime_sec, utime_usec, stime_sec, stime_usec;
	int64_t rest[14];
};

/* sys_getrusage implements getrusage(2): the CPU times; the other fields are zero. */
long sys_getrusage(struct task *t, const struct sys_args *a)
{
	int who = (int)a->a[0];
	uint64_t u, s;
	switch (who) {
	case LINUX_RUSAGE_SELF:
		process_times(t, &u, &s);
		break;
	case LINUX_RUSAGE_THREAD:
		pthread_mutex_lock(&t->k->mu);
		ktime_task_cputime_locked(t, &u, &s);
		pthread_mutex_unlock(&t->k->mu);
		break;
	case LINUX_RUSAGE_CHILDREN:
		pthread_mutex_lock(&t->tg->mu);
		u = t->tg->child_utime_ns;
		s = t->tg->child_stime_ns;
		pthread_mutex_unlock(&t->tg->mu);
		break;
	default:
		return -EINVAL;
	}
	struct linux_rusage_out ru;
	memset(&ru, 0, sizeof(ru));
	ru.utime_sec = (int64_t)(u / 1000000000ULL);
	ru.utime_usec = (int64_t)(u % 1000000000ULL / 1000);
	ru.stime_sec = (int64_t)(s / 1000000000ULL);
	ru.stime_usec = (int64_t)(s % 1000000000ULL / 1000);
	return mm_copy_out(t->mm, a->a[1], &ru, sizeof(ru));
}

/* sys_times implements times(2): clock ticks (USER_HZ 100) since boot, and the CPU times. */
long sys_times(struct task *t, const struct sys_args *a)
{
	if (a->a[0]) {
		uint64_t u, s;
		process_times(t, &u, &s);
		pthread_mutex_lock(&t->tg->mu);
		int64_t tms[4] = {
			(int64_t)(u / 10000000ULL),
			(int64_t)(s / 10000000ULL),
			(int64_t)(t->tg->child_utime_ns / 10000000ULL),
			(int64_t)(t->tg->child_stime_ns / 10000000ULL),
		};
		pthread_mutex_unlock(&t->tg->mu);
		int err = mm_copy_out(t->mm, a->a[0], tms, sizeof(tms));
		if (err < 0)
			return err;
	}
	struct timespec now;
	clock_gettime(CLOCK_BOOTTIME, &now);
	return (long)((uint64_t)now.tv_sec * 100 + (uint64_t)now.tv_nsec / 10000000ULL);
}

#define LINUX_PRIO_PROCESS 0
#define LINUX_PRIO_PGRP    1
#define LINUX_PRIO_USER    2

/*
 * The live process tg's first thread when tg is one that getpriority or
 * setpriority (which, who) names for t, else NULL. Preconditions: k->mu.
 */
static struct task *prio_match(struct task *t, struct thread_group *tg, int which, int who)
{
	if (tg->zombie || list_empty(&tg->threads))
		return NULL;
	struct task *leader = list_first_entry(&tg->threads, struct task, tg_link);
	bool match;
	if (which == LINUX_PRIO_PROCESS)
		match = tg->tgid == (who ? who : t->tg->tgid);
	else if (which == LINUX_PRIO_PGRP)
		match = tg->pgid == (who ? who : t->tg->pgid);
	else
		match = leader->creds.ruid == (uint32_t)(who ? who : (int)t->creds.ruid);
	return match ? leader : NULL;
}

/* sys_getpriority implements getpriority(2): 20 - nice of the best-placed match. */
long sys_getpriority(struct task *t, const struct sys_args *a)
{
	int which = (int)a->a[0], who = (int)a->a[1];
	struct kernel *k = t->k;
	if (which < LINUX_PRIO_PROCESS || which > LINUX_PRIO_USER)
		return -EINVAL;
	long best = -ESRCH;
	pthread_mutex_lock(&k->mu);
	struct thread_group *tg;
	list_for_each_entry (tg, &k->tgs, k_link) {
		if (!prio_match(t, tg, which, who))
			continue;
		pthread_mutex_lock(&tg->mu);
		long prio = 20 - tg->nice;
		pthread_mutex_unlock(&tg->mu);
		if (prio > best)
			best = prio;
	}
	pthread_mutex_unlock(&k->mu);
	return best;
}

/* sys_setpriority implements setpriority(2); raising priority needs root (CAP_SYS_NICE). */
long sys_setpriority(struct task *t, const struct sys_args *a)
{
	int which = (int)a->a[0], who = (int)a->a[1], nice = (int)a->a[2];
	struct kernel *k = t->k;
	if (which < LINUX_PRIO_PROCESS || which > LINUX_PRIO_USER)
		return -EINVAL;
	if (nice < -20)
		nice = -20;
	if (nice > 19)
		nice = 19;
	long ret = -ESRCH;
	pthread_mutex_lock(&k->mu);
	struct thread_group *tg;
	list_for_each_entry (tg, &k->tgs, k_link) {
		struct task *leader = prio_match(t, tg, which, who);
		if (!leader)
			continue;
		bool cap_nice = creds_capable(&t->creds, LINUX_CAP_SYS_NICE);
		if (!cap_nice && t->creds.euid != leader->creds.euid &&
		    t->creds.euid != leader->creds.ruid) {
			ret = -EPERM;
			continue;
		}
		pthread_mutex_lock(&tg->mu);
		/* Linux's can_nice: within the target's RLIMIT_NICE (20 - nice), or CAP_SYS_NICE.
		 */
		if (nice < tg->nice && !cap_nice &&
		    (uint64_t)(20 - nice) > tg->rlimits[LINUX_RLIMIT_NICE].cur) {
			ret = -EACCES;
		} else {
			tg->nice = nice;
			ret = 0;
		}
		pthread_mutex_unlock(&tg->mu);
	}
	pthread_mutex_unlock(&k->mu);
	return ret;
}

#define LINUX_SCHED_OTHER         0
#define LINUX_SCHED_FIFO          1
#define LINUX_SCHED_RR            2
#define LINUX_SCHED_BATCH         3
#define LINUX_SCHED_IDLE          5
#define LINUX_SCHED_RESET_ON_FORK 0x40000000

/* 1 for the real-time policies, 0 for the normal ones, -EINVAL for others. */
static int policy_is_rt(int policy)
{
	switch (policy) {
	case LINUX_SCHED_FIFO:
	case LINUX_SCHED_RR:
		return 1;
	case LINUX_SCHED_OTHER:
	case LINUX_SCHED_BATCH:
	case LINUX_SCHED_IDLE:
		return 0;
	default:
		return -EINVAL;
	}
}

/* The task named by pid (0: t), or NULL. The sched_* calls take thread ids. */
static bool sched_target_exists(struct task *t, int pid)
{
	if (pid == 0 || pid == t->tid)
		return true;
	pthread_mutex_lock(&t->k->mu);
	bool found = kernel_find_task_locked(t->k, pid) != NULL;
	pthread_mutex_unlock(&t->k->mu);
	return found;
}

/* sys_sched_getscheduler implements sched_getscheduler(2): always SCHED_OTHER. */
long sys_sched_getscheduler(struct task *t, const struct sys_args *a)
{
	int pid = (int)a->a[0];
	if (pid < 0)
		return -EINVAL;
	return sched_target_exists(t, pid) ? LINUX_SCHED_OTHER : -ESRCH;
}

/* sys_sched_setscheduler implements sched_setscheduler(2): the normal policies only. */
long sys_sched_setscheduler(struct task *t, const struct sys_args *a)
{
	int pid = (int)a->a[0];
	int policy = (int)a->a[1] & ~LINUX_SCHED_RESET_ON_FORK;
	if (pid < 0 || !a->a[2])
		return -EINVAL;
	int32_t prio;
	if (mm_copy_in(t->mm, &prio, a->a[2], sizeof(prio)) < 0)
		return -EFAULT;
	if (!sched_target_exists(t, pid))
		return -ESRCH;
	int rt = policy_is_rt(policy);
	if (rt < 0)
		return rt;
	if (!rt)
		return prio == 0 ? 0 : -EINVAL;
	if (prio < 1 || prio > 99)
		return -EINVAL;
	return -EPERM; /* no real-time scheduling for sandboxed threads */
}

/* sys_sched_getparam implements sched_getparam(2): priority 0 (SCHED_OTHER). */
long sys_sched_getparam(struct task *t, const struct sys_args *a)
{
	int pid = (int)a->a[0];
	if (pid < 0 || !a->a[1])
		return -EINVAL;
	if (!sched_target_exists(t, pid))
		return -ESRCH;
	int32_t prio = 0;
	return mm_copy_out(t->mm, a->a[1], &prio, sizeof(prio));
}

/* sys_sched_setparam implements sched_setparam(2): SCHED_OTHER takes only priority 0. */
long sys_sched_setparam(struct task *t, const struct sys_args *a)
{
	int pid = (int)a->a[0];
	if (pid < 0 || !a->a[1])
		return -EINVAL;
	int32_t prio;
	if (mm_copy_in(t->mm, &prio, a->a[1], sizeof(prio)) < 0)
		return -EFAULT;
	if (!sched_target_exists(t, pid))
		return -ESRCH;
	return prio == 0 ? 0 : -EINVAL;
}

/* sys_sched_get_priority_max implements sched_get_priority_max(2). */
long sys_sched_get_priority_max(struct task *t, const struct sys_args *a)
{
	int rt = policy_is_rt((int)a->a[0]);
	return rt < 0 ? rt : rt ? 99 : 0;
}

/* sys_sched_get_priority_min implements sched_get_priority_min(2). */
long sys_sched_get_priority_min(struct task *t, const struct sys_args *a)
{
	int rt = policy_is_rt((int)a->a[0]);
	return rt < 0 ? rt : rt ? 1 : 0;
}

/* sys_sched_rr_get_interval implements sched_rr_get_interval(2): 0 for SCHED_OTHER. */
long sys_sched_rr_get_interval(struct task *t, const struct sys_args *a)
{
	int pid = (int)a->a[0];
	if (pid < 0)
		return -EINVAL;
	if (!sched_target_exists(t, pid))
		return -ESRCH;
	int64_t ts[2] = { 0, 0 };
	return mm_copy_out(t->mm, a->a[1], ts, sizeof(ts));
}

#define LINUX_PER_LINUX 0

/*
 * sys_personality implements personality(2) for PER_LINUX and its flags
 * (execve honours ADDR_NO_RANDOMIZE; the others are kept for the asking);
 * other execution domains are EINVAL.
 */
long sys_personality(struct task *t, const struct sys_args *a)
{
	uint32_t persona = (uint32_t)a->a[0];
	pthread_mutex_lock(&t->tg->mu);
	uint32_t old = t->tg->personality;
	if (persona != 0xffffffffu) {
		if ((persona & 0xff) != LINUX_PER_LINUX) {
			pthread_mutex_unlock(&t->tg->mu);
			return -EINVAL;
		}
		t->tg->personality = persona;
	}
	pthread_mutex_unlock(&t->tg->mu);
	return old;
}
