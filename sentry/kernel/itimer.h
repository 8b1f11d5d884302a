/*
 * Timers: setitimer's ITIMER_REAL, ITIMER_VIRTUAL and ITIMER_PROF,
 * alarm(2), and the POSIX timers of timer_create(2), all fired by one
 * sentry thread for the whole sandbox.
 *
 * A process's timers live in its thread group (tg->itimers, made on first
 * use): the three interval timers and a list of POSIX timers with ids
 * given from 0 upwards (not reused until the counter wraps, as Linux).
 * Every armed timer that sends a signal is on one list; the timer thread
 * sleeps until the earliest moment one of them may be due and sends the
 * signals as Linux does:
 *  - wall-clock timers (ITIMER_REAL on CLOCK_MONOTONIC, POSIX timers on
 *    CLOCK_REALTIME, MONOTONIC, BOOTTIME, TAI; the _ALARM clocks, allowed
 *    to root as timerfd does, run on their plain clocks) wake the thread
 *    at their expiry;
 *  - CPU-time timers (ITIMER_VIRTUAL: user time; ITIMER_PROF and the CPU
 *    clocks' POSIX timers: user + system time; see ktime.h for what those
 *    are in the sandbox) are sampled: the thread reads the clock every
 *    10 ms while such a timer is armed (less often when the expiry is far:
 *    CPU time cannot run faster than the host's CPUs), so a CPU timer
 *    fires up to about 10 ms of wall-clock time late. Nothing is sampled
 *    while none is armed: an idle sandbox costs no CPU.
 * Each timer is looked at again at most every 100 us (every 1 ms while
 * its signal is still pending): the expirations in between are counted,
 * not lost, as overruns.
 *
 * Signals. The interval timers send SIGALRM, SIGVTALRM and SIGPROF
 * (SI_KERNEL) to the process; a standard signal pending twice is
 * delivered once. A POSIX timer queues one siginfo (SI_TIMER, si_timerid,
 * si_value; RLIMIT_SIGPENDING does not apply) to its process or, with
 * SIGEV_THREAD_ID, to a thread of it; while that siginfo is still queued,
 * further expirations only add to its si_overrun, and when it is taken
 * (posix_timer_collected_locked, called by signal.c) si_overrun becomes
 * what timer_getoverrun reports. timer_settime starts a new setting: a
 * siginfo queued under an older one is delivered but counts nothing.
 * Departure: Linux 6.13+ drops such a stale siginfo, and its timers do
 * not re-arm until the signal is delivered; here a periodic timer keeps
 * counting, which gives the same si_overrun.
 *
 * Lifecycle: fork does not inherit timers (the child's thread group
 * starts without); execve deletes the POSIX timers (kernel_timers_exec)
 * and keeps the interval timers; the process's exit deletes them all
 * (kernel_timers_exit).
 *
 * Lock order: g_itimer_mu (itimer.c) > kernel.mu > thread_group.mu. A
 * POSIX timer's list membership, setting number and last overrun are
 * written under both g_itimer_mu and tg->mu, so that signal.c can read
 * them under tg->mu alone.
 */
#ifndef SENTRY_KERNEL_ITIMER_H
#define SENTRY_KERNEL_ITIMER_H

#include <stdint.h>

#include "common/abi/linux/signal.h"
#include "common/util.h"

struct task;
struct thread_group;

#define LINUX_ITIMER_REAL    0
#define LINUX_ITIMER_VIRTUAL 1
#define LINUX_ITIMER_PROF    2

#define LINUX_SIGEV_SIGNAL    0
#define LINUX_SIGEV_NONE      1
#define LINUX_SIGEV_THREAD    2
#define LINUX_SIGEV_THREAD_ID 4

/* A timer's state: the remaining time and the interval, in ns (0: disarmed / one-shot). */
struct itimer_value {
	int64_t value_ns;
	int64_t interval_ns;
};

/*
 * Arms (value_ns > 0) or disarms tg's interval timer which
 * (LINUX_ITIMER_*) and returns its previous state in *old (may be NULL).
 * Returns 0 or -ENOMEM.
 */
int itimer_set(struct thread_group *tg, int which, const struct itimer_value *v,
               struct itimer_value *old);
/* tg's interval timer which now. */
void itimer_get(struct thread_group *tg, int which, struct itimer_value *out);

/* What a POSIX timer's expiry does (struct sigevent, decoded). */
struct posix_timer_event {
	int notify; /* LINUX_SIGEV_* */
	int signo;
	uint64_t value; /* sigev_value */
	int tid;        /* SIGEV_THREAD_ID's thread */
};

/*
 * timer_create(2) for the calling task t: ev NULL is SIGALRM with the id
 * as its value. Writes the new id to idp. Returns 0, -EINVAL (clock or
 * sigevent), -EOPNOTSUPP (a clock without timers), -EPERM (an _ALARM
 * clock without CAP_WAKE_ALARM), -EFAULT or -EAGAIN (too many timers).
 */
int posix_timer_create(struct task *t, int clockid, const struct posix_timer_event *ev,
                       uaddr_t idp);
/*
 * timer_settime(2): v->value_ns 0 disarms; abstime: value_ns is a time on
 * the timer's clock. The previous state in *old (may be NULL). Returns 0,
 * -EINVAL (no such timer) or -ESRCH (its CPU clock's thread or process
 * is gone).
 */
int posix_timer_settime(struct task *t, int id, bool abstime, const struct itimer_value *v,
                        struct itimer_value *old);
/* timer_gettime(2), timer_getoverrun(2) and timer_delete(2): -EINVAL for no such timer. */
int posix_timer_gettime(struct task *t, int id, struct itimer_value *out);
int posix_timer_getoverrun(struct task *t, int id);
int posix_timer_delete(struct task *t, int id);

/*
 * signal.c, when it takes a SI_TIMER siginfo from a pending queue of tg:
 * records its si_overrun as its timer's last (when it is of the timer's
 * current setting) and clears the kernel-private field. Preconditions:
 * tg->mu held.
 */
void posix_timer_collected_locked(struct thread_group *tg, struct linux_siginfo *info);

/* execve, past the point of no return: deletes tg's POSIX timers. */
void kernel_timers_exec(struct thread_group *tg);
/*
 * At the process's exit, before its thread group is freed: cancels and
 * frees all of its timers; after it returns, the timer thread no longer
 * touches tg.
 */
void kernel_timers_exit(struct thread_group *tg);

#endif /* SENTRY_KERNEL_ITIMER_H */
