/*
 * Interval timers (setitimer's ITIMER_REAL and alarm(2)), fired by one
 * sentry thread for the whole sandbox.
 *
 * A process's timers live in its thread group (tg->itimers, made on first
 * use). The timer thread sleeps until the earliest expiry on
 * CLOCK_MONOTONIC (what Linux's ITIMER_REAL counts), and sends each timer's
 * signal to its process as Linux's it_real_fn does: SIGALRM, SI_KERNEL,
 * through the process's leader task found by id under kernel.mu, so that
 * the timer holds no task pointer. ITIMER_VIRTUAL and ITIMER_PROF (CPU
 * time) and the POSIX timers (timer_create) are not implemented.
 *
 * Lock order: g_itimer_mu (itimer.c) > kernel.mu > thread_group.mu.
 */
#ifndef SENTRY_KERNEL_ITIMER_H
#define SENTRY_KERNEL_ITIMER_H

#include <stdint.h>

struct thread_group;

/* ITIMER_REAL's state: the remaining time and the interval, in ns (0: disarmed / one-shot). */
struct itimer_value {
	int64_t value_ns;
	int64_t interval_ns;
};

/*
 * Arms (value_ns > 0) or disarms tg's ITIMER_REAL and returns its previous
 * state in *old (may be NULL). Returns 0 or -ENOMEM.
 */
int itimer_real_set(struct thread_group *tg, const struct itimer_value *v,
                    struct itimer_value *old);
/* tg's ITIMER_REAL now. */
void itimer_real_get(struct thread_group *tg, struct itimer_value *out);

/*
 * For the process lifecycle (called by the task code): at the process's
 * exit, before its thread group is freed, cancels and frees all of its
 * timers; after it returns, the timer thread no longer touches tg.
 * (At execve, ITIMER_REAL and alarm survive, as in Linux: nothing to do
 * until POSIX timers exist, which exec deletes.)
 */
void kernel_timers_exit(struct thread_group *tg);

#endif /* SENTRY_KERNEL_ITIMER_H */
