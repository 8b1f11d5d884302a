/* Clocks and sleeps: see ktime.h. The host calls are here. */
#include "sentry/kernel/ktime.h"

#include <errno.h>
#include <time.h>

#include "common/log.h"
#include "sentry/kernel/kernel.h"

/* Linux's CPU-clock encoding (include/linux/posix-timers.h). */
#define CPUCLOCK_PERTHREAD_MASK 4
#define CPUCLOCK_CLOCK_MASK     3
#define CPUCLOCK_MAX            3

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

/*
 * Resolves a CPU clock (the two *_CPUTIME_ID ids, or a negative id made
 * by clock_getcpuclockid) to the calling task. Only the caller's own
 * clocks exist until there are other processes.
 */
static bool is_own_cpu_clock(struct task *t, int clockid)
{
	if (clockid == LINUX_CLOCK_PROCESS_CPUTIME_ID || clockid == LINUX_CLOCK_THREAD_CPUTIME_ID)
		return true;
	if (clockid >= 0 || (clockid & CPUCLOCK_CLOCK_MASK) == CPUCLOCK_MAX)
		return false;
	int pid = ~(clockid >> 3);
	if (clockid & CPUCLOCK_PERTHREAD_MASK)
		return pid == 0 || pid == t->tid;
	return pid == 0 || pid == t->tg->tgid;
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
	if (!is_own_cpu_clock(t, clockid))
		return -EINVAL;
	/* Application time in the stub plus the sentry's time on its behalf. */
	uint64_t ns = t->k->cfg.platform->ctx_cpu_time_ns(t->ctx);
	if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) == 0)
		ns += (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
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
	if (!is_own_cpu_clock(t, clockid))
		return -EINVAL;
	*out = (struct linux_timespec){ 0, 1 };
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
