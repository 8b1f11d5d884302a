/*
 * Clocks and sleeps as the sandbox sees them.
 *
 * Wall and monotonic clocks are the host's (the application's vDSO reads
 * the same ones without trapping). CPU-time clocks add the time the
 * application ran in its stub to the time the sentry spent on its behalf.
 */
#ifndef SENTRY_KERNEL_KTIME_H
#define SENTRY_KERNEL_KTIME_H

#include <stdbool.h>
#include <stdint.h>

#include "common/abi/linux/time.h"

struct task;
struct kernel;
struct thread_group;

/* Linux's CPU-clock encoding (include/linux/posix-timers.h). */
#define CPUCLOCK_PROF                     0 /* user + system time */
#define CPUCLOCK_VIRT                     1 /* user time */
#define CPUCLOCK_SCHED                    2 /* all the time run (here: user + system) */
#define CPUCLOCK_MAX                      3
#define CPUCLOCK_CLOCK_MASK               3
#define CPUCLOCK_PERTHREAD_MASK           4
#define MAKE_PROCESS_CPUCLOCK(pid, clock) ((int)((~(unsigned)(pid) << 3) | (unsigned)(clock)))

/*
 * A CPU clock resolved to what it measures: a process (by tgid) or a
 * thread (by tid), and which time (CPUCLOCK_*).
 */
struct ktime_cpu_clock {
	int which;
	bool thread;
	int id;
};

/* Is clockid a CPU clock (the two *_CPUTIME_ID or a negative encoded one)? */
bool ktime_is_cpu_clock(int clockid);
/*
 * Resolves CPU clock clockid for the calling task t (Linux's
 * pid_for_clock): pid 0 is t's process or t; a process clock needs a
 * process id (or, for gettime, t's own tid); a thread clock a thread of
 * t's process. Returns 0, or -EINVAL (also for a CPUCLOCK_MAX clock, a
 * posix-clock fd, which the sandbox has none of). Preconditions: k->mu.
 */
int ktime_cpu_clock_resolve_locked(struct task *t, int clockid, bool gettime,
                                   struct ktime_cpu_clock *out);
/* The clock's time now, ns; -ESRCH when its process or thread is gone. Preconditions: k->mu. */
int ktime_cpu_clock_now_locked(struct kernel *k, const struct ktime_cpu_clock *c, uint64_t *ns);
/*
 * CPU time in ns: user (the application in its stub: the platform's
 * context clock) and system (the task's sentry thread). A process's adds
 * its dead threads'. Preconditions: k->mu held (not tg->mu).
 */
void ktime_task_cputime_locked(struct task *t, uint64_t *utime, uint64_t *stime);
void ktime_tg_cputime_locked(struct thread_group *tg, uint64_t *utime, uint64_t *stime);

/* clock_gettime(2). Returns 0 or -EINVAL for an unknown clock. */
int ktime_get(struct task *t, int clockid, struct linux_timespec *out);
/* clock_getres(2). */
int ktime_getres(struct task *t, int clockid, struct linux_timespec *out);
/*
 * Can the task sleep on clockid? 0, -EINVAL (unknown clock or a thread
 * CPU clock) or -EOPNOTSUPP (a clock Linux cannot sleep on).
 */
int ktime_can_sleep(struct task *t, int clockid);
#endif /* SENTRY_KERNEL_KTIME_H */
