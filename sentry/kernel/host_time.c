/* Clocks and sleeps: see ktime.h. The host calls are here. */
#include "sentry/kernel/ktime.h"

#include <errno.h>
#include <pthread.h>
#include <time.h>

#include "common/log.h"
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/task.h"

static bool is_host_clock(int clockid)
{
	switch (clockid) {
	case LINUX_CLOCK_REALTIME:
	case LINUX_CLOCK_MONOTONIC:
	case LINUX_CLOCK_MONOTONIC_RAW:
	case LINUX_CLOCK_REALTIME_COARSE:
	case LINUX_CLOCK_MONOTONIC_COARSE:
	case LINUX_CLOCK_BOOTTIME:
	case LINUX_CLOCK_TAI:
		return true;
	default:
		return false;
	}
}

bool ktime_is_cpu_clock(int clockid)
{
	return clockid < 0 || clockid == LINUX_CLOCK_PROCESS_CPUTIME_ID ||
	       clockid == LINUX_CLOCK_THREAD_CPUTIME_ID;
}

int ktime_cpu_clock_resolve_locked(struct task *t, int clockid, bool gettime,
                                   struct ktime_cpu_clock *out)
{
	/* The two fixed ids are pid 0's SCHED clocks. */
	if (clockid == LINUX_CLOCK_PROCESS_CPUTIME_ID)
		clockid = MAKE_PROCESS_CPUCLOCK(0, CPUCLOCK_SCHED);
	else if (clockid == LINUX_CLOCK_THREAD_CPUTIME_ID)
		clockid = MAKE_PROCESS_CPUCLOCK(0, CPUCLOCK_SCHED | CPUCLOCK_PERTHREAD_MASK);
	if (clockid >= 0 || (clockid & CPUCLOCK_CLOCK_MASK) == CPUCLOCK_MAX)
		return -EINVAL;
	int pid = ~(clockid >> 3);
	out->which = clockid & CPUCLOCK_CLOCK_MASK;
	out->thread = clockid & CPUCLOCK_PERTHREAD_MASK;
	if (pid == 0) {
		out->id = out->thread ? t->tid : t->tg->tgid;
		return 0;
	}
	out->id = pid;
	if (out->thread) {
		struct task *u = kernel_find_task_locked(t->k, pid);
		return u && u->tg == t->tg ? 0 : -EINVAL;
	}
	if (gettime && pid == t->tid) {
		out->id = t->tg->tgid;
		return 0;
	}
	/* A process, zombies included until reaped (Linux's pid_has_task(PIDTYPE_TGID)). */
	return kernel_find_tg_locked(t->k, pid) ? 0 : -EINVAL;
}

static uint64_t clock_ns(clockid_t clk)
{
	struct timespec ts;
	if (clock_gettime(clk, &ts) != 0)
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

void ktime_task_cputime_locked(struct task *t, uint64_t *utime, uint64_t *stime)
{
	const struct platform_ops *p = t->k->cfg.platform;
	*utime = t->exec_utime_ns + (t->ctx ? p->ctx_cpu_time_ns(t->ctx) : 0);
	*stime = t->sentry_cpu_clock ? clock_ns(t->sentry_cpu_clock) : 0;
}

void ktime_tg_cputime_locked(struct thread_group *tg, uint64_t *utime, uint64_t *stime)
{
	uint64_t u = 0, s = 0;
	struct task *v;
	list_for_each_entry (v, &tg->threads, tg_link) {
		uint64_t tu, ts;
		ktime_task_cputime_locked(v, &tu, &ts);
		u += tu;
		s += ts;
	}
	pthread_mutex_lock(&tg->mu);
	*utime = u + tg->dead_utime_ns;
	*stime = s + tg->dead_stime_ns;
	pthread_mutex_unlock(&tg->mu);
}

int ktime_cpu_clock_now_locked(struct kernel *k, const struct ktime_cpu_clock *c, uint64_t *ns)
{
	uint64_t u, s;
	if (c->thread) {
		struct task *t = kernel_find_task_locked(k, c->id);
		if (!t)
			return -ESRCH;
		ktime_task_cputime_locked(t, &u, &s);
	} else {
		struct thread_group *tg = kernel_find_tg_locked(k, c->id);
		if (!tg)
			return -ESRCH;
		ktime_tg_cputime_locked(tg, &u, &s);
	}
	*ns = c->which == CPUCLOCK_VIRT ? u : u + s;
	return 0;
}

static struct linux_timespec from_ns(uint64_t ns)
{
	return (struct linux_timespec){ (int64_t)(ns / 1000000000ULL),
		                        (int64_t)(ns % 1000000000ULL) };
}

int ktime_get(struct task *t, int clockid, struct linux_timespec *out)
{
	struct timespec ts;
	if (is_host_clock(clockid)) {
		if (clock_gettime(clockid, &ts) != 0)
			return -errno;
		*out = (struct linux_timespec){ ts.tv_sec, ts.tv_nsec };
		return 0;
	}
	if (!ktime_is_cpu_clock(clockid))
		return -EINVAL;
	struct ktime_cpu_clock c;
	uint64_t ns = 0;
	pthread_mutex_lock(&t->k->mu);
	int err = ktime_cpu_clock_resolve_locked(t, clockid, /*gettime=*/true, &c);
	if (err == 0)
		err = ktime_cpu_clock_now_locked(t->k, &c, &ns);
	pthread_mutex_unlock(&t->k->mu);
	if (err < 0)
		return -EINVAL;
	*out = from_ns(ns);
	return 0;
}

int ktime_getres(struct task *t, int clockid, struct linux_timespec *out)
{
	struct timespec ts;
	if (is_host_clock(clockid)) {
		if (clock_getres(clockid, &ts) != 0)
			return -errno;
		*out = (struct linux_timespec){ ts.tv_sec, ts.tv_nsec };
		return 0;
	}
	if (!ktime_is_cpu_clock(clockid))
		return -EINVAL;
	struct ktime_cpu_clock c;
	pthread_mutex_lock(&t->k->mu);
	int err = ktime_cpu_clock_resolve_locked(t, clockid, /*gettime=*/false, &c);
	pthread_mutex_unlock(&t->k->mu);
	if (err < 0)
		return err;
	/*
	 * Linux's posix_cpu_clock_getres: 1 ns for SCHED clocks, a tick for
	 * PROF and VIRT (the host's tick, read from the sentry's own clock).
	 */
	*out = (struct linux_timespec){ 0, 1 };
	if (c.which != CPUCLOCK_SCHED && clock_getres(MAKE_PROCESS_CPUCLOCK(0, c.which), &ts) == 0)
		*out = (struct linux_timespec){ ts.tv_sec, ts.tv_nsec };
	return 0;
}

int ktime_can_sleep(struct task *t, int clockid)
{
	switch (clockid) {
	case LINUX_CLOCK_REALTIME:
	case LINUX_CLOCK_MONOTONIC:
	case LINUX_CLOCK_BOOTTIME:
	case LINUX_CLOCK_TAI:
		return 0;
	case LINUX_CLOCK_MONOTONIC_RAW:
	case LINUX_CLOCK_REALTIME_COARSE:
	case LINUX_CLOCK_MONOTONIC_COARSE:
		return -EOPNOTSUPP; /* Linux has no nsleep for these */
	case LINUX_CLOCK_THREAD_CPUTIME_ID:
		return -EOPNOTSUPP; /* Linux's thread CPU clock has no nsleep */
	case LINUX_CLOCK_PROCESS_CPUTIME_ID:
		/* Sleeping until the application used some CPU time: not yet. */
		log_info("clock_nanosleep on CLOCK_PROCESS_CPUTIME_ID is not supported yet");
		return -EOPNOTSUPP;
	default:
		return -EINVAL;
	}
}
