/*
 * Interval timers: see itimer.h.
 *
 * Every armed timer is on g_armed (under g_itimer_mu); the timer thread,
 * started on the first arm, waits on a condition variable with a
 * CLOCK_MONOTONIC deadline, the earliest expiry, and is signalled when a
 * timer is armed earlier. An expiry sends the signal and, for a periodic
 * timer, re-arms it one interval later (several intervals when the thread
 * ran late: the lost expirations merge into one signal, as a standard
 * signal pending twice is delivered once).
 */
#include "sentry/kernel/itimer.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "common/list.h"
#include "common/log.h"
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/task.h"

struct itimers {
	struct thread_group *tg;
	struct list_head link; /* in g_armed while ITIMER_REAL is armed */
	int64_t expires_ns;    /* CLOCK_MONOTONIC; 0: disarmed */
	int64_t interval_ns;
};

static pthread_mutex_t g_itimer_mu = PTHREAD_MUTEX_INITIALIZER;
/* Under g_itimer_mu. */
static pthread_cond_t g_itimer_cond;
static bool g_thread_started;
static struct list_head g_armed = { &g_armed, &g_armed };

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * LINUX_NSEC_PER_SEC + ts.tv_nsec;
}

/* Sends SIGALRM to tg's process, as it_real_fn (kill_pid_info with SEND_SIG_PRIV). */
static void fire(struct thread_group *tg)
{
	struct kernel *k = tg->k;
	struct linux_siginfo si = { .signo = LINUX_SIGALRM, .code = LINUX_SI_KERNEL };
	pthread_mutex_lock(&k->mu);
	struct task *t = kernel_find_task_locked(k, tg->tgid);
	if (t && t->tg == tg)
		task_send_group_signal(t, LINUX_SIGALRM, &si);
	pthread_mutex_unlock(&k->mu);
}

static void *itimer_thread(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&g_itimer_mu);
	for (;;) {
		int64_t now = now_ns(), next = 0;
		struct itimers *it, *tmp;
		list_for_each_entry_safe (it, tmp, &g_armed, link) {
			if (it->expires_ns <= now) {
				fire(it->tg);
				if (it->interval_ns) {
					int64_t late = now - it->expires_ns;
					it->expires_ns +=
					        (late / it->interval_ns + 1) * it->interval_ns;
				} else {
					it->expires_ns = 0;
					list_del(&it->link);
					continue;
				}
			}
			if (!next || it->expires_ns < next)
				next = it->expires_ns;
		}
		if (!next) {
			pthread_cond_wait(&g_itimer_cond, &g_itimer_mu);
		} else {
			struct timespec ts = { next / LINUX_NSEC_PER_SEC,
				               next % LINUX_NSEC_PER_SEC };
			pthread_cond_timedwait(&g_itimer_cond, &g_itimer_mu, &ts);
		}
	}
	return NULL;
}

/* Starts the timer thread once. Under g_itimer_mu. */
static int start_thread_locked(void)
{
	if (g_thread_started)
		return 0;
	pthread_condattr_t attr;
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&g_itimer_cond, &attr);
	pthread_condattr_destroy(&attr);
	pthread_t th;
	int err = pthread_create(&th, NULL, itimer_thread, NULL);
	if (err != 0)
		return -err;
	pthread_detach(th);
	g_thread_started = true;
	return 0;
}

/* The state of it now. Under g_itimer_mu. */
static void get_locked(const struct itimers *it, struct itimer_value *out)
{
	*out = (struct itimer_value){ 0, 0 };
	if (!it || !it->expires_ns)
		return;
	int64_t rem = it->expires_ns - now_ns();
	/* Armed but due: Linux reports a microsecond left rather than disarmed. */
	out->value_ns = rem > 0 ? rem : 1000;
	out->interval_ns = it->interval_ns;
}

int itimer_real_set(struct thread_group *tg, const struct itimer_value *v, struct itimer_value *old)
{
	pthread_mutex_lock(&g_itimer_mu);
	struct itimers *it = tg->itimers;
	if (old)
		get_locked(it, old);
	int err = 0;
	if (!it && v->value_ns) {
		err = start_thread_locked();
		if (err == 0 && !(it = calloc(1, sizeof(*it))))
			err = -ENOMEM;
		if (err == 0) {
			it->tg = tg;
			list_init(&it->link);
			tg->itimers = it;
		}
	}
	if (it && err == 0) {
		list_del(&it->link);
		it->expires_ns = 0;
		it->interval_ns = 0;
		if (v->value_ns) {
			it->expires_ns = now_ns() + v->value_ns;
			it->interval_ns = v->interval_ns;
			list_add_tail(&it->link, &g_armed);
			pthread_cond_signal(&g_itimer_cond);
		}
	}
	pthread_mutex_unlock(&g_itimer_mu);
	return err;
}

void itimer_real_get(struct thread_group *tg, struct itimer_value *out)
{
	pthread_mutex_lock(&g_itimer_mu);
	get_locked(tg->itimers, out);
	pthread_mutex_unlock(&g_itimer_mu);
}

void kernel_timers_exit(struct thread_group *tg)
{
	pthread_mutex_lock(&g_itimer_mu);
	struct itimers *it = tg->itimers;
	if (it) {
		list_del(&it->link);
		free(it);
		tg->itimers = NULL;
	}
	pthread_mutex_unlock(&g_itimer_mu);
}
