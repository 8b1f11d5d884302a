/*
 * Timers: see itimer.h.
 *
 * Every armed timer that sends a signal is on g_armed (under
 * g_itimer_mu) with next_check, the CLOCK_MONOTONIC time at which the
 * timer thread looks at it again. The thread, started on the first arm,
 * waits on a condition variable until the earliest next_check (or until
 * signalled, when a timer is armed); then, for each timer due for a look,
 * reads its clock (a host clock, or a CPU clock sampled under kernel.mu)
 * and, if it expired, sends its signal and re-arms a periodic timer past
 * now, counting the intervals missed (n expirations at once). A
 * SIGEV_NONE timer is never on g_armed: its state is computed when read.
 */
#include "sentry/kernel/itimer.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/host_info.h"
#include "common/list.h"
#include "common/log.h"
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/ktime.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"

/* How often the thread samples an armed CPU-time timer, at most. */
#define CPU_SAMPLE_NS (10 * 1000 * 1000LL)
/* The shortest time between two looks at one timer, and at one whose signal is pending. */
#define MIN_PERIOD_NS     (100 * 1000LL)
#define PENDING_PERIOD_NS (1000 * 1000LL)
/* POSIX timers per process (Linux's limit is memory, and RLIMIT_SIGPENDING's count). */
#define MAX_POSIX_TIMERS 32768

struct itimers;

struct ktimer {
	struct itimers *owner;
	struct list_head armed_link; /* in g_armed while armed with a signal */
	/* The clock: a host clock (CLOCK_MONOTONIC, ...), or -1 and a CPU clock. */
	int host_clock;
	struct ktime_cpu_clock cpu;
	int64_t expires;    /* on the clock, ns; 0: disarmed */
	int64_t interval;   /* ns; 0: one-shot */
	int64_t next_check; /* CLOCK_MONOTONIC ns: when the thread looks again */
	/* What an expiry does: signo to the process, or to thread target_tid. */
	int signo; /* 0: nothing (SIGEV_NONE) */
	int target_tid;
	bool posix;
	/* POSIX timers only. */
	int id;
	uint64_t value;
	/* Written under g_itimer_mu and the owner's tg->mu; read under either. */
	struct list_head posix_link; /* in owner->posix */
	uint32_t seq;                /* the setting: bumped by each timer_settime */
	int overrun_last;            /* timer_getoverrun */
};

struct itimers {
	struct thread_group *tg;
	struct ktimer it[3];    /* ITIMER_REAL, ITIMER_VIRTUAL, ITIMER_PROF */
	struct list_head posix; /* POSIX timers */
	int nposix;
	int next_id;
};

/* siginfo's _timer fields (Linux's si_tid, si_overrun, si_value, si_sys_private). */
struct timer_siginfo {
	int32_t tid;
	int32_t overrun;
	uint64_t value;
	int32_t sys_private;
};

static pthread_mutex_t g_itimer_mu = PTHREAD_MUTEX_INITIALIZER;
/* Under g_itimer_mu. */
static pthread_cond_t g_itimer_cond;
static bool g_thread_started;
static struct list_head g_armed = { &g_armed, &g_armed };
static int64_t g_ncpus = 1;

static int64_t clock_now_ns(clockid_t clk)
{
	struct timespec ts;
	clock_gettime(clk, &ts);
	return ts.tv_sec * LINUX_NSEC_PER_SEC + ts.tv_nsec;
}

static int64_t min64(int64_t a, int64_t b)
{
	return a < b ? a : b;
}

static int64_t max64(int64_t a, int64_t b)
{
	return a > b ? a : b;
}

/* The time on kt's clock. Returns 0, or -ESRCH when its CPU clock's owner is gone. */
static int timer_now(const struct ktimer *kt, int64_t *now)
{
	if (kt->host_clock >= 0) {
		*now = clock_now_ns(kt->host_clock);
		return 0;
	}
	struct kernel *k = kt->owner->tg->k;
	uint64_t ns = 0;
	pthread_mutex_lock(&k->mu);
	int err = ktime_cpu_clock_now_locked(k, &kt->cpu, &ns);
	pthread_mutex_unlock(&k->mu);
	*now = (int64_t)ns;
	return err;
}

static void disarm_locked(struct ktimer *kt)
{
	list_del(&kt->armed_link);
	kt->expires = 0;
	kt->interval = 0;
}

/* Puts an armed timer with a signal on g_armed, for the thread to look at now. */
static void arm_locked(struct ktimer *kt)
{
	if (!kt->signo)
		return;
	list_del(&kt->armed_link);
	kt->next_check = 0;
	list_add_tail(&kt->armed_link, &g_armed);
	pthread_cond_signal(&g_itimer_cond);
}

static bool match_timer(const struct linux_siginfo *si, const void *arg)
{
	const struct ktimer *kt = arg;
	struct timer_siginfo ti;
	memcpy(&ti, si->raw, sizeof(ti));
	return si->code == LINUX_SI_TIMER && ti.tid == kt->id &&
	       (uint32_t)ti.sys_private == kt->seq;
}

static int32_t clamp_overrun(int64_t n)
{
	return n > INT_MAX ? INT_MAX : (int32_t)n;
}

/*
 * Sends kt's signal for n expirations (Linux's it_real_fn, check_cpu_itimer
 * and posix_timer_fn): returns true when its signal was still pending (the
 * expirations became overruns) rather than sent.
 */
static bool fire(struct ktimer *kt, int64_t n)
{
	struct thread_group *tg = kt->owner->tg;
	struct kernel *k = tg->k;
	bool pending = false, group = kt->target_tid == 0;
	pthread_mutex_lock(&k->mu);
	struct task *target = NULL;
	if (group) {
		if (!list_empty(&tg->threads))
			target = list_first_entry(&tg->threads, struct task, tg_link);
	} else {
		target = kernel_find_task_locked(k, kt->target_tid);
		if (target && target->tg != tg)
			target = NULL; /* the thread is gone (its id reused): nothing to send */
	}
	if (!target) {
		pthread_mutex_unlock(&k->mu);
		return false;
	}
	struct linux_siginfo si = { .signo = kt->signo, .code = LINUX_SI_KERNEL };
	pthread_mutex_lock(&tg->mu);
	if (!kt->posix) {
		pending = tg->pending & linux_sigmask(kt->signo);
	} else {
		struct linux_siginfo *q =
		        task_find_queued_locked(target, group, kt->signo, match_timer, kt);
		if (q) {
			struct timer_siginfo ti;
			memcpy(&ti, q->raw, sizeof(ti));
			ti.overrun = clamp_overrun((int64_t)ti.overrun + n);
			memcpy(q->raw, &ti, sizeof(ti));
			pending = true;
		}
	}
	pthread_mutex_unlock(&tg->mu);
	if (!pending) {
		if (kt->posix) {
			struct timer_siginfo ti = { .tid = kt->id,
				                    .overrun = clamp_overrun(n - 1),
				                    .value = kt->value,
				                    .sys_private = (int32_t)kt->seq };
			si.code = LINUX_SI_TIMER;
			memcpy(si.raw, &ti, sizeof(ti));
		}
		if (group) {
			if (task_send_group_signal(target, kt->signo, &si) == 0)
				tg_signal_kick_locked(tg, kt->signo);
		} else if (task_send_thread_signal(target, kt->signo, &si) == 0) {
			task_kick_locked(target);
		}
	}
	pthread_mutex_unlock(&k->mu);
	return pending;
}

/*
 * Looks at an armed timer (due for it at mono): fires it if it expired,
 * and sets its next_check. Returns false when it was disarmed.
 */
static bool check_timer(struct ktimer *kt, int64_t mono)
{
	int64_t now;
	if (timer_now(kt, &now) < 0) {
		disarm_locked(kt); /* its thread or process is gone: it never fires */
		return false;
	}
	int64_t earliest = mono;
	if (kt->expires <= now) {
		int64_t n = 1;
		if (kt->interval)
			n += (now - kt->expires) / kt->interval;
		bool pending = fire(kt, n);
		if (!kt->interval) {
			disarm_locked(kt);
			return false;
		}
		kt->expires += n * kt->interval;
		earliest = mono + (pending ? PENDING_PERIOD_NS : MIN_PERIOD_NS);
	}
	int64_t left = kt->expires - now, at;
	if (kt->host_clock >= 0)
		at = mono + left;
	else /* CPU time runs at most g_ncpus times as fast as wall-clock time */
		at = mono + max64(CPU_SAMPLE_NS, left / g_ncpus);
	kt->next_check = max64(earliest, at);
	return true;
}

static void *itimer_thread(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&g_itimer_mu);
	for (;;) {
		int64_t mono = clock_now_ns(CLOCK_MONOTONIC), next = INT64_MAX;
		struct ktimer *kt, *tmp;
		list_for_each_entry_safe (kt, tmp, &g_armed, armed_link) {
			if (kt->next_check <= mono && !check_timer(kt, mono))
				continue;
			next = min64(next, kt->next_check);
		}
		if (next == INT64_MAX) {
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
	g_ncpus = host_ncpus_online();
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

static void timer_init(struct ktimer *kt, struct itimers *owner)
{
	kt->owner = owner;
	list_init(&kt->armed_link);
	list_init(&kt->posix_link);
}

/* tg's timers, made (and the thread started) on first use. Under g_itimer_mu. */
static int get_itimers_locked(struct thread_group *tg, struct itimers **out)
{
	if (tg->itimers) {
		*out = tg->itimers;
		return 0;
	}
	int err = start_thread_locked();
	if (err < 0)
		return err;
	struct itimers *its = calloc(1, sizeof(*its));
	if (!its)
		return -ENOMEM;
	its->tg = tg;
	list_init(&its->posix);
	static const int signals[3] = { LINUX_SIGALRM, LINUX_SIGVTALRM, LINUX_SIGPROF };
	for (int i = 0; i < 3; i++) {
		struct ktimer *kt = &its->it[i];
		timer_init(kt, its);
		kt->signo = signals[i];
		kt->host_clock = i == LINUX_ITIMER_REAL ? CLOCK_MONOTONIC : -1;
		kt->cpu = (struct ktime_cpu_clock){
			.which = i == LINUX_ITIMER_VIRTUAL ? CPUCLOCK_VIRT : CPUCLOCK_PROF,
			.id = tg->tgid,
		};
	}
	pthread_mutex_lock(&tg->mu);
	tg->itimers = its;
	pthread_mutex_unlock(&tg->mu);
	*out = its;
	return 0;
}

/*
 * The state of kt now (Linux's common_timer_get): a periodic timer behind
 * is moved forward past now; an expired one-shot timer not yet fired
 * reads as due_ns left (a signal is still to come), or, with no signal
 * (SIGEV_NONE), as disarmed. Under g_itimer_mu.
 */
static void get_locked(const struct ktimer *kt, int64_t due_ns, struct itimer_value *out)
{
	*out = (struct itimer_value){ 0, kt->interval };
	int64_t now;
	if (!kt->expires || timer_now(kt, &now) < 0)
		return;
	int64_t rem = kt->expires - now;
	if (rem <= 0 && kt->interval)
		rem = kt->interval - (now - kt->expires) % kt->interval;
	if (rem <= 0)
		rem = kt->signo ? due_ns : 0;
	out->value_ns = rem;
}

int itimer_set(struct thread_group *tg, int which, const struct itimer_value *v,
               struct itimer_value *old)
{
	pthread_mutex_lock(&g_itimer_mu);
	if (old)
		*old = (struct itimer_value){ 0, 0 };
	struct itimers *its = tg->itimers;
	int err = 0;
	if (!its && v->value_ns)
		err = get_itimers_locked(tg, &its);
	if (its && err == 0) {
		struct ktimer *kt = &its->it[which];
		/* Armed but due: Linux reports a microsecond left rather than disarmed. */
		if (old)
			get_locked(kt, 1000, old);
		disarm_locked(kt);
		int64_t now;
		if (v->value_ns && timer_now(kt, &now) == 0) {
			kt->expires = now + v->value_ns;
			kt->interval = v->interval_ns;
			arm_locked(kt);
		}
	}
	pthread_mutex_unlock(&g_itimer_mu);
	return err;
}

void itimer_get(struct thread_group *tg, int which, struct itimer_value *out)
{
	pthread_mutex_lock(&g_itimer_mu);
	*out = (struct itimer_value){ 0, 0 };
	if (tg->itimers)
		get_locked(&tg->itimers->it[which], 1000, out);
	pthread_mutex_unlock(&g_itimer_mu);
}

/* ---- POSIX timers ---- */

/* The POSIX timer id of tg, or NULL. Under g_itimer_mu or tg->mu. */
static struct ktimer *find_posix(struct thread_group *tg, int id)
{
	if (!tg->itimers)
		return NULL;
	struct ktimer *kt;
	list_for_each_entry (kt, &tg->itimers->posix, posix_link)
		if (kt->id == id)
			return kt;
	return NULL;
}

/* Linux's good_sigevent(): 0 or -EINVAL. Under g_itimer_mu. */
static int check_event(struct task *t, const struct posix_timer_event *ev)
{
	switch (ev->notify) {
	case LINUX_SIGEV_SIGNAL | LINUX_SIGEV_THREAD_ID: {
		pthread_mutex_lock(&t->k->mu);
		struct task *u = kernel_find_task_locked(t->k, ev->tid);
		bool ok = u && u->tg == t->tg;
		pthread_mutex_unlock(&t->k->mu);
		if (!ok)
			return -EINVAL;
	}
		/* fall through */
	case LINUX_SIGEV_SIGNAL:
	case LINUX_SIGEV_THREAD: /* glibc's; the kernel sees a signal */
		return ev->signo > 0 && ev->signo <= LINUX_NSIG ? 0 : -EINVAL;
	case LINUX_SIGEV_NONE:
		return 0;
	default:
		return -EINVAL;
	}
}

/*
 * The clock of a new timer (Linux's clockid_to_kclock and each clock's
 * timer_create): 0, -EINVAL, -EOPNOTSUPP; *alarm for the _ALARM clocks.
 */
static int timer_clock(int clockid, int *host, bool *alarm)
{
	*alarm = false;
	switch (clockid) {
	case LINUX_CLOCK_REALTIME:
	case LINUX_CLOCK_MONOTONIC:
	case LINUX_CLOCK_BOOTTIME:
	case LINUX_CLOCK_TAI:
		*host = clockid;
		return 0;
	case LINUX_CLOCK_REALTIME_ALARM:
		*alarm = true;
		*host = LINUX_CLOCK_REALTIME;
		return 0;
	case LINUX_CLOCK_BOOTTIME_ALARM:
		*alarm = true;
		*host = LINUX_CLOCK_BOOTTIME;
		return 0;
	case LINUX_CLOCK_MONOTONIC_RAW:
	case LINUX_CLOCK_REALTIME_COARSE:
	case LINUX_CLOCK_MONOTONIC_COARSE:
		return -EOPNOTSUPP;
	default:
		if (!ktime_is_cpu_clock(clockid))
			return -EINVAL;
		/* A posix-clock fd (CLOCKFD): no timers on those. */
		if (clockid < 0 && (clockid & 7) == 3)
			return -EOPNOTSUPP;
		*host = -1;
		return 0;
	}
}

/* Frees a POSIX timer. Under g_itimer_mu. */
static void delete_posix_locked(struct ktimer *kt)
{
	struct itimers *its = kt->owner;
	disarm_locked(kt);
	pthread_mutex_lock(&its->tg->mu);
	list_del(&kt->posix_link);
	pthread_mutex_unlock(&its->tg->mu);
	its->nposix--;
	free(kt);
}

int posix_timer_create(struct task *t, int clockid, const struct posix_timer_event *ev, uaddr_t idp)
{
	int host;
	bool alarm;
	int err = timer_clock(clockid, &host, &alarm);
	if (err < 0)
		return err;
	struct thread_group *tg = t->tg;
	pthread_mutex_lock(&g_itimer_mu);
	struct itimers *its;
	err = get_itimers_locked(tg, &its);
	if (err < 0 || its->nposix >= MAX_POSIX_TIMERS) {
		pthread_mutex_unlock(&g_itimer_mu);
		return -EAGAIN;
	}
	struct ktimer *kt = calloc(1, sizeof(*kt));
	if (!kt) {
		pthread_mutex_unlock(&g_itimer_mu);
		return -EAGAIN;
	}
	timer_init(kt, its);
	kt->posix = true;
	kt->host_clock = host;
	/* The next free id (Linux's posix_timer_add): a failed create uses one up too. */
	do {
		kt->id = its->next_id;
		its->next_id = (its->next_id + 1) & INT_MAX;
	} while (find_posix(tg, kt->id));
	if (ev) {
		err = check_event(t, ev);
		kt->signo = ev->notify == LINUX_SIGEV_NONE ? 0 : ev->signo;
		kt->target_tid = ev->notify == LINUX_SIGEV_THREAD_ID ? ev->tid : 0;
		kt->value = ev->value;
	} else {
		kt->signo = LINUX_SIGALRM;
		kt->value = (uint64_t)kt->id;
	}
	if (err == 0) {
		int32_t id = kt->id;
		err = mm_copy_out(t->mm, idp, &id, sizeof(id));
	}
	/* The clock's own checks, once the id is out (Linux's kc->timer_create). */
	if (err == 0 && alarm && t->creds.euid != 0)
		err = -EPERM; /* CAP_WAKE_ALARM: held by root until capabilities are modelled */
	if (err == 0 && host < 0) {
		pthread_mutex_lock(&t->k->mu);
		err = ktime_cpu_clock_resolve_locked(t, clockid, /*gettime=*/false, &kt->cpu);
		pthread_mutex_unlock(&t->k->mu);
	}
	if (err < 0) {
		free(kt);
	} else {
		pthread_mutex_lock(&tg->mu);
		list_add_tail(&kt->posix_link, &its->posix);
		pthread_mutex_unlock(&tg->mu);
		its->nposix++;
	}
	pthread_mutex_unlock(&g_itimer_mu);
	return err;
}

int posix_timer_settime(struct task *t, int id, bool abstime, const struct itimer_value *v,
                        struct itimer_value *old)
{
	struct thread_group *tg = t->tg;
	pthread_mutex_lock(&g_itimer_mu);
	struct ktimer *kt = find_posix(tg, id);
	int err = kt ? 0 : -EINVAL;
	int64_t now = 0;
	if (kt)
		err = timer_now(kt, &now); /* -ESRCH: the CPU clock's owner is gone */
	if (err == 0) {
		if (old)
			get_locked(kt, 1, old);
		disarm_locked(kt);
		/* A new setting: a signal queued for the old one no longer counts overruns. */
		pthread_mutex_lock(&tg->mu);
		kt->seq++;
		kt->overrun_last = 0;
		pthread_mutex_unlock(&tg->mu);
		if (v->value_ns) {
			kt->expires = abstime ? v->value_ns : now + v->value_ns;
			kt->interval = v->interval_ns;
			arm_locked(kt);
		}
	}
	pthread_mutex_unlock(&g_itimer_mu);
	return err;
}

int posix_timer_gettime(struct task *t, int id, struct itimer_value *out)
{
	pthread_mutex_lock(&g_itimer_mu);
	struct ktimer *kt = find_posix(t->tg, id);
	if (kt)
		get_locked(kt, 1, out);
	pthread_mutex_unlock(&g_itimer_mu);
	return kt ? 0 : -EINVAL;
}

int posix_timer_getoverrun(struct task *t, int id)
{
	pthread_mutex_lock(&g_itimer_mu);
	struct ktimer *kt = find_posix(t->tg, id);
	int ret = kt ? kt->overrun_last : -EINVAL;
	pthread_mutex_unlock(&g_itimer_mu);
	return ret;
}

int posix_timer_delete(struct task *t, int id)
{
	pthread_mutex_lock(&g_itimer_mu);
	struct ktimer *kt = find_posix(t->tg, id);
	if (kt)
		delete_posix_locked(kt);
	pthread_mutex_unlock(&g_itimer_mu);
	return kt ? 0 : -EINVAL;
}

void posix_timer_collected_locked(struct thread_group *tg, struct linux_siginfo *info)
{
	struct timer_siginfo ti;
	memcpy(&ti, info->raw, sizeof(ti));
	struct ktimer *kt = find_posix(tg, ti.tid);
	if (kt && (uint32_t)ti.sys_private == kt->seq)
		kt->overrun_last = ti.overrun;
	ti.sys_private = 0; /* not the application's business */
	memcpy(info->raw, &ti, sizeof(ti));
}

/* Deletes tg's POSIX timers. Under g_itimer_mu. */
static void delete_all_posix_locked(struct thread_group *tg)
{
	if (!tg->itimers)
		return;
	struct ktimer *kt, *tmp;
	list_for_each_entry_safe (kt, tmp, &tg->itimers->posix, posix_link)
		delete_posix_locked(kt);
}

void kernel_timers_exec(struct thread_group *tg)
{
	pthread_mutex_lock(&g_itimer_mu);
	delete_all_posix_locked(tg);
	pthread_mutex_unlock(&g_itimer_mu);
}

void kernel_timers_exit(struct thread_group *tg)
{
	pthread_mutex_lock(&g_itimer_mu);
	struct itimers *its = tg->itimers;
	if (its) {
		delete_all_posix_locked(tg);
		for (int i = 0; i < 3; i++)
			disarm_locked(&its->it[i]);
		pthread_mutex_lock(&tg->mu);
		tg->itimers = NULL;
		pthread_mutex_unlock(&tg->mu);
		free(its);
	}
	pthread_mutex_unlock(&g_itimer_mu);
}
