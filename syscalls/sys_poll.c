/*
 * poll(2), ppoll(2), select(2) and pselect6(2) (Linux's fs/select.c).
 *
 * One engine (poll_wait) serves the four calls. Each fd becomes an item
 * with the events it is asked for; its readiness comes from one of:
 *  - a sentry file with ops->readiness and ops->wait_queue (pipes, later
 *    sockets and eventfds): the readiness op, and a waiter of the task is
 *    linked into each distinct wait queue, so a notification wakes it;
 *  - a host file (ops->poll_host_fd): the host fd, polled without waiting
 *    for the check and passed to task_block for the wait;
 *  - anything else: always ready (Linux's DEFAULT_POLLMASK).
 * The waiters are linked before the first check, so no change between the
 * check and the block is lost; after any wake-up every item is checked
 * again, as Linux's do_poll loops.
 *
 * Interruption: a signal ends the wait with -ERESTARTNOHAND (restarted
 * when no handler runs, else EINTR), as do_poll and do_select return it.
 * Linux's poll(2) turns that into ERESTART_RESTARTBLOCK with a restart
 * function that keeps the original deadline; without restart blocks in
 * the sentry yet, a restarted poll waits its whole timeout again.
 *
 * ppoll and pselect6 set the task's signal mask for the wait; when a
 * signal interrupts it the temporary mask stays until that signal's
 * handler has run (the "saved sigmask", as Linux), so the signal the wait
 * let through is delivered even if the caller's own mask blocks it.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/abi/linux/errno.h"
#include "common/abi/linux/time.h"
#include "sentry/kernel/fdtable.h"
#include "sentry/kernel/task.h"
#include "sentry/kernel/waitqueue.h"
#include "sentry/mm/mm.h"
#include "sentry/vfs/file.h"
#include "syscalls/syscalls.h"

struct linux_pollfd {
	int32_t fd;
	int16_t events;
	int16_t revents;
};

/* Linux's DEFAULT_POLLMASK: what a file without a poll method reports. */
#define DEFAULT_POLLMASK (LINUX_POLLIN | LINUX_POLLOUT | LINUX_POLLRDNORM | LINUX_POLLWRNORM)

/* select's sets in poll events (fs/select.c). */
#define POLLIN_SET \
	(LINUX_POLLRDNORM | LINUX_POLLRDBAND | LINUX_POLLIN | LINUX_POLLHUP | LINUX_POLLERR)
#define POLLOUT_SET (LINUX_POLLWRBAND | LINUX_POLLWRNORM | LINUX_POLLOUT | LINUX_POLLERR)
#define POLLEX_SET  (LINUX_POLLPRI)

/* One fd of a poll or select. */
struct poll_item {
	struct file *f;   /* a reference, or NULL: revents stays as set up */
	uint32_t events;  /* the filter: what may be reported */
	uint32_t revents; /* the result */
	int host_idx;     /* index in poll_set.host, or -1 */
};

struct poll_set {
	struct poll_item *items;
	size_t n;
};

static int cmp_ptr(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t) * (void *const *)a, y = (uintptr_t) * (void *const *)b;
	return x < y ? -1 : x > y;
}

/*
 * Checks every item (host fds polled without waiting); returns how many
 * have revents.
 */
static long poll_check(struct poll_set *s, struct pollfd *host, int nhost)
{
	if (nhost > 0) {
		for (int i = 0; i < nhost; i++)
			host[i].revents = 0;
		while (poll(host, (nfds_t)nhost, 0) < 0 && errno == EINTR)
			;
	}
	long count = 0;
	for (size_t i = 0; i < s->n; i++) {
		struct poll_item *it = &s->items[i];
		if (it->f) {
			const struct file_ops *ops = it->f->ops;
			if (it->host_idx >= 0)
				it->revents = (uint16_t)host[it->host_idx].revents & it->events;
			else if (ops->readiness)
				it->revents = ops->readiness(it->f, it->events) & it->events;
			else
				it->revents = DEFAULT_POLLMASK & it->events;
		}
		if (it->revents)
			count++;
	}
	return count;
}

/*
 * Waits until an item is ready, the deadline (CLOCK_MONOTONIC, NULL:
 * none) passes or a signal comes; no_wait: check once. Returns the number
 * of ready items (0 at the deadline), -ERESTARTNOHAND when interrupted,
 * or -errno.
 */
static long poll_wait(struct task *t, struct poll_set *s, const struct timespec *deadline,
                      bool no_wait)
{
	size_t n = s->n;
	struct pollfd *host = calloc(n ? n : 1, sizeof(*host));
	struct waitqueue **queues = calloc(n ? n : 1, sizeof(*queues));
	struct waiter *waiters = NULL;
	long ret = -ENOMEM;
	if (!host || !queues)
		goto out;
	int nhost = 0;
	size_t nq = 0;
	for (size_t i = 0; i < n; i++) {
		struct poll_item *it = &s->items[i];
		it->host_idx = -1;
		if (!it->f)
			continue;
		const struct file_ops *ops = it->f->ops;
		if (ops->readiness && ops->wait_queue) {
			queues[nq++] = ops->wait_queue(it->f);
		} else if (!ops->readiness && ops->poll_host_fd) {
			it->host_idx = nhost;
			host[nhost++] = (struct pollfd){ .fd = ops->poll_host_fd(it->f),
				                         .events = (short)it->events };
		}
	}
	/* One waiter per distinct queue: several fds of one pipe share it. */
	if (!no_wait && nq > 0) {
		qsort(queues, nq, sizeof(*queues), cmp_ptr);
		size_t u = 0;
		for (size_t i = 0; i < nq; i++) {
			if (u == 0 || queues[u - 1] != queues[i])
				queues[u++] = queues[i];
		}
		nq = u;
		waiters = calloc(nq, sizeof(*waiters));
		if (!waiters)
			goto out;
		for (size_t i = 0; i < nq; i++) {
			waiter_init_task(&waiters[i], t, WAIT_EVENTS_ALL);
			waitqueue_add(queues[i], &waiters[i]);
		}
	}
	bool timed_out = no_wait;
	for (;;) {
		ret = poll_check(s, host, nhost);
		if (ret || timed_out)
			break;
		int err = task_block(t, deadline, host, nhost);
		if (err == -ETIMEDOUT) {
			timed_out = true; /* one last look, as Linux's do_poll */
		} else if (err == -EINTR) {
			ret = -LINUX_ERESTARTNOHAND;
			break;
		} else if (err < 0) {
			ret = err;
			break;
		}
	}
	if (waiters) {
		for (size_t i = 0; i < nq; i++)
			waitqueue_remove(queues[i], &waiters[i]);
	}
out:
	free(waiters);
	free(queues);
	free(host);
	return ret;
}

static void poll_set_put(struct poll_set *s)
{
	for (size_t i = 0; i < s->n; i++) {
		if (s->items[i].f)
			file_put(s->items[i].f);
	}
	free(s->items);
}

/* ---- Timeouts ---- */

/*
 * Linux's poll_select_set_timeout: EINVAL for an invalid time; a zero
 * time means no wait (*no_wait); else an absolute CLOCK_MONOTONIC
 * deadline (*has_deadline false when it is too far to matter).
 */
static int set_timeout(int64_t sec, int64_t nsec, struct timespec *deadline, bool *has_deadline,
                       bool *no_wait)
{
	if (sec < 0 || nsec < 0 || nsec >= 1000000000)
		return -EINVAL;
	*no_wait = sec == 0 && nsec == 0;
	*has_deadline = !*no_wait;
	if (*no_wait)
		return 0;
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (sec > INT64_MAX / 4 - now.tv_sec) {
		*has_deadline = false; /* centuries away: no deadline */
		return 0;
	}
	deadline->tv_sec = now.tv_sec + sec;
	deadline->tv_nsec = now.tv_nsec + nsec;
	if (deadline->tv_nsec >= 1000000000) {
		deadline->tv_sec++;
		deadline->tv_nsec -= 1000000000;
	}
	return 0;
}

/* The time left until deadline, zero once it passed. */
static struct linux_timespec time_left(const struct timespec *deadline)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	int64_t ns =
	        (deadline->tv_sec - now.tv_sec) * 1000000000LL + (deadline->tv_nsec - now.tv_nsec);
	if (ns < 0)
		ns = 0;
	return (struct linux_timespec){ ns / 1000000000LL, ns % 1000000000LL };
}

/* ---- Signal masks for ppoll and pselect6 ---- */

/*
 * Linux's set_user_sigmask: the task's mask for the wait, when umask is
 * given; it is put back when the call ends, or, when a signal interrupted
 * it, after that signal's handler has run (the "saved sigmask").
 */
static int set_user_sigmask(struct task *t, uaddr_t umask, uint64_t size, bool *set)
{
	*set = false;
	if (!umask)
		return 0;
	if (size != sizeof(linux_sigset_t))
		return -EINVAL;
	linux_sigset_t mask;
	int err = mm_copy_in(t->mm, &mask, umask, sizeof(mask));
	if (err < 0)
		return err;
	task_set_temporary_sigmask(t, mask);
	*set = true;
	return 0;
}

static void restore_sigmask(struct task *t, bool set, long ret)
{
	if (set)
		task_restore_sigmask_unless(t, ret == -EINTR || ret == -LINUX_ERESTARTNOHAND ||
		                                       ret == -LINUX_ERESTARTSYS);
}

/* ---- poll and ppoll ---- */

/* Linux's do_sys_poll: the fds in, the wait, the revents out. */
static long do_sys_poll(struct task *t, uaddr_t ufds, uint64_t nfds,
                        const struct timespec *deadline, bool no_wait)
{
	if (nfds > (uint64_t)task_nofile_limit(t))
		return -EINVAL;
	struct linux_pollfd *fds = calloc(nfds ? nfds : 1, sizeof(*fds));
	struct poll_set s = { calloc(nfds ? nfds : 1, sizeof(struct poll_item)), nfds };
	long ret = -ENOMEM;
	if (!fds || !s.items)
		goto out;
	ret = mm_copy_in(t->mm, fds, ufds, nfds * sizeof(*fds));
	if (ret < 0)
		goto out;
	for (uint64_t i = 0; i < nfds; i++) {
		struct poll_item *it = &s.items[i];
		if (fds[i].fd < 0)
			continue;
		it->f = fdtable_lookup(t->fdt, fds[i].fd, NULL);
		/* fdget: an O_PATH fd is no file to poll. */
		if (it->f && (atomic_load(&it->f->flags) & LINUX_O_PATH)) {
			file_put(it->f);
			it->f = NULL;
		}
		if (!it->f)
			it->revents = LINUX_POLLNVAL;
		it->events = (uint16_t)fds[i].events | LINUX_POLLERR | LINUX_POLLHUP;
	}
	ret = poll_wait(t, &s, deadline, no_wait);
	if (ret < 0)
		goto out;
	for (uint64_t i = 0; i < nfds; i++)
		fds[i].revents = (int16_t)s.items[i].revents;
	/* Only the revents fields are written, as Linux's __put_user of each. */
	for (uint64_t i = 0; i < nfds && ret >= 0; i++) {
		int err = mm_copy_out(
		        t->mm, ufds + i * sizeof(*fds) + offsetof(struct linux_pollfd, revents),
		        &fds[i].revents, sizeof(fds[i].revents));
		if (err < 0)
			ret = err;
	}
out:
	poll_set_put(&s);
	free(fds);
	return ret;
}

/* sys_poll implements poll(2). */
long sys_poll(struct task *t, const struct sys_args *a)
{
	int timeout = (int)a->a[2];
	struct timespec deadline;
	bool has_deadline = false, no_wait = false;
	if (timeout >= 0)
		set_timeout(timeout / 1000, (int64_t)(timeout % 1000) * 1000000, &deadline,
		            &has_deadline, &no_wait);
	return do_sys_poll(t, a->a[0], (uint32_t)a->a[1], has_deadline ? &deadline : NULL, no_wait);
}

/*
 * Linux's poll_select_finish for a timespec: writes the time left back
 * (not for a zero timeout); when that fails, an interrupted call cannot be
 * restarted and becomes EINTR.
 */
static long finish_timespec(struct task *t, uaddr_t uts, bool has_deadline,
                            const struct timespec *deadline, long ret)
{
	if (!uts || !has_deadline)
		return ret;
	struct linux_timespec left = time_left(deadline);
	if (mm_copy_out(t->mm, uts, &left, sizeof(left)) < 0 && ret == -LINUX_ERESTARTNOHAND)
		ret = -EINTR;
	return ret;
}

/* sys_ppoll implements ppoll(2). */
long sys_ppoll(struct task *t, const struct sys_args *a)
{
	uaddr_t uts = a->a[2];
	struct timespec deadline;
	bool has_deadline = false, no_wait = false;
	if (uts) {
		struct linux_timespec ts;
		if (mm_copy_in(t->mm, &ts, uts, sizeof(ts)) < 0)
			return -EFAULT;
		int err = set_timeout(ts.tv_sec, ts.tv_nsec, &deadline, &has_deadline, &no_wait);
		if (err < 0)
			return err;
	}
	bool masked;
	int err = set_user_sigmask(t, a->a[3], a->a[4], &masked);
	if (err < 0)
		return err;
	long ret = do_sys_poll(t, a->a[0], (uint32_t)a->a[1], has_deadline ? &deadline : NULL,
	                       no_wait);
	restore_sigmask(t, masked, ret);
	return finish_timespec(t, uts, has_deadline, &deadline, ret);
}

/* ---- select and pselect6 ---- */

#define BITS_PER_LONG 64

/* Bytes of an fd_set of n bits, in longs as Linux copies them (FDS_BYTES). */
static size_t fds_bytes(int n)
{
	return (size_t)(n + BITS_PER_LONG - 1) / BITS_PER_LONG * sizeof(uint64_t);
}

static bool bit_is_set(const uint64_t *set, int fd)
{
	return set && (set[fd / BITS_PER_LONG] >> (fd % BITS_PER_LONG)) & 1;
}

static void set_bit(uint64_t *set, int fd)
{
	set[fd / BITS_PER_LONG] |= 1ULL << (fd % BITS_PER_LONG);
}

/* The fd table's size as Linux's max_fds would be (at least one long's worth). */
static int max_fds(struct task *t)
{
	pthread_mutex_lock(&t->fdt->mu);
	int size = t->fdt->size;
	pthread_mutex_unlock(&t->fdt->mu);
	return size > BITS_PER_LONG ? size : BITS_PER_LONG;
}

/* Linux's core_sys_select. */
static long core_sys_select(struct task *t, int64_t n64, const uaddr_t uset[3],
                            const struct timespec *deadline, bool no_wait)
{
	if (n64 < 0 || n64 > INT_MAX)
		return -EINVAL;
	int n = (int)n64;
	int limit = max_fds(t);
	if (n > limit)
		n = limit;
	size_t bytes = fds_bytes(n);
	uint64_t *in[3] = { NULL, NULL, NULL }, *res[3] = { NULL, NULL, NULL };
	struct poll_set s = { NULL, 0 };
	long ret = -ENOMEM;
	for (int k = 0; k < 3; k++) {
		if (!uset[k])
			continue;
		in[k] = calloc(1, bytes ? bytes : 1);
		res[k] = calloc(1, bytes ? bytes : 1);
		if (!in[k] || !res[k])
			goto out;
		ret = mm_copy_in(t->mm, in[k], uset[k], bytes);
		if (ret < 0)
			goto out;
	}
	/* Each fd in a set: an item with the events its sets ask for; EBADF for a closed one. */
	size_t cap = 0;
	for (int fd = 0; fd < n; fd++) {
		uint32_t ev = (bit_is_set(in[0], fd) ? POLLIN_SET : 0) |
		              (bit_is_set(in[1], fd) ? POLLOUT_SET : 0) |
		              (bit_is_set(in[2], fd) ? POLLEX_SET : 0);
		if (!ev)
			continue;
		struct file *f = fdtable_lookup(t->fdt, fd, NULL);
		if (!f) {
			ret = -EBADF;
			goto out;
		}
		/* An O_PATH fd is open (no EBADF) but nothing to poll: never ready. */
		if (atomic_load(&f->flags) & LINUX_O_PATH) {
			file_put(f);
			f = NULL;
		}
		if (s.n == cap) {
			cap = cap ? cap * 2 : 16;
			struct poll_item *items = realloc(s.items, cap * sizeof(*items));
			if (!items) {
				if (f)
					file_put(f);
				ret = -ENOMEM;
				goto out;
			}
			s.items = items;
		}
		/* The fd is kept in host_idx's place until poll_wait sets it up. */
		s.items[s.n++] = (struct poll_item){ .f = f, .events = ev, .host_idx = fd };
	}
	int *fd_of = calloc(s.n ? s.n : 1, sizeof(int));
	if (!fd_of) {
		ret = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < s.n; i++)
		fd_of[i] = s.items[i].host_idx;
	ret = poll_wait(t, &s, deadline, no_wait);
	if (ret >= 0) {
		/* The count is of bits set, an fd ready to read and write counting twice. */
		ret = 0;
		for (size_t i = 0; i < s.n; i++) {
			uint32_t r = s.items[i].revents;
			int fd = fd_of[i];
			if ((r & POLLIN_SET) && bit_is_set(in[0], fd)) {
				set_bit(res[0], fd);
				ret++;
			}
			if ((r & POLLOUT_SET) && bit_is_set(in[1], fd)) {
				set_bit(res[1], fd);
				ret++;
			}
			if ((r & POLLEX_SET) && bit_is_set(in[2], fd)) {
				set_bit(res[2], fd);
				ret++;
			}
		}
	}
	free(fd_of);
	if (ret == 0 && task_interrupted(t))
		ret = -LINUX_ERESTARTNOHAND; /* core_sys_select: nothing ready and a signal */
	if (ret < 0)
		goto out;
	for (int k = 0; k < 3; k++) {
		if (uset[k] && mm_copy_out(t->mm, uset[k], res[k], bytes) < 0)
			ret = -EFAULT;
	}
out:
	poll_set_put(&s);
	for (int k = 0; k < 3; k++) {
		free(in[k]);
		free(res[k]);
	}
	return ret;
}

/* sys_select implements select(2): the time left is written back to the timeval. */
long sys_select(struct task *t, const struct sys_args *a)
{
	uaddr_t utv = a->a[4];
	struct timespec deadline;
	bool has_deadline = false, no_wait = false;
	if (utv) {
		struct linux_timeval tv;
		if (mm_copy_in(t->mm, &tv, utv, sizeof(tv)) < 0)
			return -EFAULT;
		/* Microseconds past a second carry into the seconds, as Linux's kern_select. */
		int err =
		        set_timeout(tv.tv_sec + tv.tv_usec / 1000000, (tv.tv_usec % 1000000) * 1000,
		                    &deadline, &has_deadline, &no_wait);
		if (err < 0)
			return err;
	}
	const uaddr_t sets[3] = { a->a[1], a->a[2], a->a[3] };
	long ret = core_sys_select(t, (int32_t)a->a[0], sets, has_deadline ? &deadline : NULL,
	                           no_wait);
	if (utv && has_deadline) {
		struct linux_timespec left = time_left(&deadline);
		struct linux_timeval tv = { left.tv_sec, left.tv_nsec / 1000 };
		if (mm_copy_out(t->mm, utv, &tv, sizeof(tv)) < 0 && ret == -LINUX_ERESTARTNOHAND)
			ret = -EINTR;
	}
	return ret;
}

/* sys_pselect6 implements pselect6(2): the sixth argument is {sigset pointer, size}. */
long sys_pselect6(struct task *t, const struct sys_args *a)
{
	uaddr_t uts = a->a[4];
	struct {
		uint64_t ss;
		uint64_t ss_len;
	} pack = { 0, 0 };
	if (a->a[5] && mm_copy_in(t->mm, &pack, a->a[5], sizeof(pack)) < 0)
		return -EFAULT;
	struct timespec deadline;
	bool has_deadline = false, no_wait = false;
	if (uts) {
		struct linux_timespec ts;
		if (mm_copy_in(t->mm, &ts, uts, sizeof(ts)) < 0)
			return -EFAULT;
		int err = set_timeout(ts.tv_sec, ts.tv_nsec, &deadline, &has_deadline, &no_wait);
		if (err < 0)
			return err;
	}
	bool masked;
	int err = set_user_sigmask(t, pack.ss, pack.ss_len, &masked);
	if (err < 0)
		return err;
	const uaddr_t sets[3] = { a->a[1], a->a[2], a->a[3] };
	long ret = core_sys_select(t, (int32_t)a->a[0], sets, has_deadline ? &deadline : NULL,
	                           no_wait);
	restore_sigmask(t, masked, ret);
	return finish_timespec(t, uts, has_deadline, &deadline, ret);
}
