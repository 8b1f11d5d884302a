/*
 * Clocks and sleeps as the sandbox sees them.
 *
 * Wall and monotonic clocks are the host's (the application's vDSO reads
 * the same ones without trapping). CPU-time clocks add the time the
 * application ran in its stub to the time the sentry spent on its behalf.
 */
#ifndef SENTRY_KERNEL_KTIME_H
#define SENTRY_KERNEL_KTIME_H

#include "common/abi/linux/time.h"

struct task;

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
