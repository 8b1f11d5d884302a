/*
 * futex(2): WAIT, WAKE, REQUEUE, CMP_REQUEUE, WAKE_OP, WAIT_BITSET and
 * WAKE_BITSET, private and shared, with timeouts.
 *
 * Waiters queue in a hash table keyed by (mm, address): every futex is
 * keyed by its address space, which is exact for private futexes and for
 * shared ones as long as one process maps the page (fork, which makes a
 * second process share it, arrives with the processes issue and brings
 * keys by backing page). The value check happens under the bucket lock,
 * as in Linux, so a wake that follows a change of the value cannot be
 * missed. A waiting thread sleeps on its own condition variable; until
 * the kernel's wait queues arrive (processes issue), a signal does not
 * interrupt the wait: a timeout does.
 *
 * Lock order: futex bucket mu (a leaf; two buckets in address order).
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <time.h>

#include "common/abi/linux/time.h"
#include "common/list.h"
#include "common/log.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"
#include "syscalls/syscalls.h"

#define FUTEX_WAIT             0
#define FUTEX_WAKE             1
#define FUTEX_REQUEUE          3
#define FUTEX_CMP_REQUEUE      4
#define FUTEX_WAKE_OP          5
#define FUTEX_WAIT_BITSET      9
#define FUTEX_WAKE_BITSET      10
#define FUTEX_PRIVATE_FLAG     128
#define FUTEX_CLOCK_REALTIME   256
#define FUTEX_CMD_MASK         (~(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME))
#define FUTEX_BITSET_MATCH_ANY 0xffffffffU

#define NBUCKETS 256

struct futex_waiter {
	struct list_head link;
	struct mm *mm;
	uaddr_t addr;
	uint32_t bitset;
	bool woken;
	pthread_cond_t cond;
};

struct futex_bucket {
	pthread_mutex_t mu;
	struct list_head waiters; /* protected by mu */
};

static struct futex_bucket g_buckets[NBUCKETS];
static pthread_once_t g_init_once = PTHREAD_ONCE_INIT;

static void futex_init(void)
{
	for (int i = 0; i < NBUCKETS; i++) {
		pthread_mutex_init(&g_buckets[i].mu, NULL);
		list_init(&g_buckets[i].waiters);
	}
}

static struct futex_bucket *bucket_of(struct mm *mm, uaddr_t addr)
{
	uint64_t h = ((uint64_t)(uintptr_t)mm ^ addr) * 0x9e3779b97f4a7c15ULL;
	return &g_buckets[(h >> 32) % NBUCKETS];
}

static void lock_two(struct futex_bucket *a, struct futex_bucket *b)
{
	if (a == b) {
		pthread_mutex_lock(&a->mu);
	} else if (a < b) {
		pthread_mutex_lock(&a->mu);
		pthread_mutex_lock(&b->mu);
	} else {
		pthread_mutex_lock(&b->mu);
		pthread_mutex_lock(&a->mu);
	}
}

static void unlock_two(struct futex_bucket *a, struct futex_bucket *b)
{
	pthread_mutex_unlock(&a->mu);
	if (a != b)
		pthread_mutex_unlock(&b->mu);
}

/* Reads the futex word: EFAULT for an unreadable or misaligned address. */
static int read_word(struct task *t, uaddr_t addr, uint32_t *out)
{
	if (addr & 3)
		return -EINVAL;
	return mm_copy_in(t->mm, out, addr, sizeof(*out));
}

/* Wakes up to n waiters of (mm, addr) whose bitset matches. Preconditions: b->mu held. */
static int wake_locked(struct futex_bucket *b, struct mm *mm, uaddr_t addr, uint32_t bitset, int n)
{
	int woken = 0;
	struct futex_waiter *w, *next;
	list_for_each_entry_safe (w, next, &b->waiters, link) {
		if (woken >= n)
			break;
		if (w->mm != mm || w->addr != addr || !(w->bitset & bitset))
			continue;
		list_del(&w->link);
		w->woken = true;
		pthread_cond_signal(&w->cond);
		woken++;
	}
	return woken;
}

/*
 * The deadline on CLOCK_MONOTONIC for a timeout: relative for FUTEX_WAIT,
 * absolute (on the realtime clock with FUTEX_CLOCK_REALTIME) for
 * FUTEX_WAIT_BITSET.
 */
static int deadline_of(struct task *t, uaddr_t uts, bool absolute, bool realtime,
                       struct timespec *out, bool *has)
{
	*has = false;
	if (!uts)
		return 0;
	struct linux_timespec ts;
	int err = mm_copy_in(t->mm, &ts, uts, sizeof(ts));
	if (err < 0)
		return err;
	if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= 1000000000)
		return -EINVAL;
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	int64_t sec = ts.tv_sec, nsec = ts.tv_nsec;
	if (absolute && realtime) {
		struct timespec rt;
		clock_gettime(CLOCK_REALTIME, &rt);
		sec = now.tv_sec + (sec - rt.tv_sec);
		nsec = now.tv_nsec + (nsec - rt.tv_nsec);
	} else if (!absolute) {
		sec += now.tv_sec;
		nsec += now.tv_nsec;
	}
	while (nsec >= 1000000000) {
		nsec -= 1000000000;
		sec++;
	}
	while (nsec < 0) {
		nsec += 1000000000;
		sec--;
	}
	*out = (struct timespec){ sec, nsec };
	*has = true;
	return 0;
}

static long futex_wait(struct task *t, uaddr_t addr, uint32_t val, uint32_t bitset,
                       const struct timespec *deadline)
{
	if (bitset == 0)
		return -EINVAL;
	struct futex_bucket *b = bucket_of(t->mm, addr);
	struct futex_waiter w = { .mm = t->mm, .addr = addr, .bitset = bitset };
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&w.cond, &ca);
	pthread_condattr_destroy(&ca);

	pthread_mutex_lock(&b->mu);
	uint32_t cur;
	long ret = read_word(t, addr, &cur);
	if (ret == 0 && cur != val)
		ret = -EAGAIN;
	if (ret == 0) {
		list_add_tail(&w.link, &b->waiters);
		while (!w.woken) {
			int e = deadline ? pthread_cond_timedwait(&w.cond, &b->mu, deadline)
			                 : pthread_cond_wait(&w.cond, &b->mu);
			if (e == ETIMEDOUT && !w.woken) {
				list_del(&w.link);
				ret = -ETIMEDOUT;
				break;
			}
		}
	}
	pthread_mutex_unlock(&b->mu);
	pthread_cond_destroy(&w.cond);
	return ret;
}

static long futex_wake(struct task *t, uaddr_t addr, int n, uint32_t bitset)
{
	if (bitset == 0)
		return -EINVAL;
	if (addr & 3)
		return -EINVAL;
	struct futex_bucket *b = bucket_of(t->mm, addr);
	pthread_mutex_lock(&b->mu);
	int woken = wake_locked(b, t->mm, addr, bitset, n);
	pthread_mutex_unlock(&b->mu);
	return woken;
}

static long futex_requeue(struct task *t, uaddr_t addr, uaddr_t addr2, int nwake, int nmove,
                          bool cmp, uint32_t val3)
{
	if (nwake < 0 || nmove < 0)
		return -EINVAL;
	if ((addr & 3) || (addr2 & 3))
		return -EINVAL;
	struct futex_bucket *b1 = bucket_of(t->mm, addr), *b2 = bucket_of(t->mm, addr2);
	lock_two(b1, b2);
	long ret = 0;
	if (cmp) {
		uint32_t cur;
		ret = read_word(t, addr, &cur);
		if (ret == 0 && cur != val3)
			ret = -EAGAIN;
	}
	if (ret == 0) {
		int woken = wake_locked(b1, t->mm, addr, FUTEX_BITSET_MATCH_ANY, nwake);
		int moved = 0;
		struct futex_waiter *w, *next;
		list_for_each_entry_safe (w, next, &b1->waiters, link) {
			if (moved >= nmove)
				break;
			if (w->mm != t->mm || w->addr != addr)
				continue;
			list_del(&w->link);
			w->addr = addr2;
			list_add_tail(&w->link, &b2->waiters);
			moved++;
		}
		ret = woken + moved;
	}
	unlock_two(b1, b2);
	return ret;
}

/* FUTEX_WAKE_OP: *addr2 = op(*addr2, oparg); wake on addr; wake on addr2 if cmp(old, cmparg). */
static long futex_wake_op(struct task *t, uaddr_t addr, uaddr_t addr2, int n, int n2,
                          uint32_t encoded)
{
	if ((addr & 3) || (addr2 & 3))
		return -EINVAL;
	unsigned op = (encoded >> 28) & 7, cmp = (encoded >> 24) & 15;
	int32_t oparg = (int32_t)(encoded << 8) >> 20, cmparg = (int32_t)(encoded << 20) >> 20;
	if (encoded & (8U << 28))
		oparg = (oparg < 0 || oparg > 31) ? -1 : 1 << oparg;
	struct futex_bucket *b1 = bucket_of(t->mm, addr), *b2 = bucket_of(t->mm, addr2);
	lock_two(b1, b2);
	uint32_t old;
	long ret = read_word(t, addr2, &old);
	uint32_t nv = old;
	if (ret == 0) {
		switch (op) {
		case 0:
			nv = (uint32_t)oparg;
			break;
		case 1:
			nv = old + (uint32_t)oparg;
			break;
		case 2:
			nv = old | (uint32_t)oparg;
			break;
		case 3:
			nv = old & ~(uint32_t)oparg;
			break;
		case 4:
			nv = old ^ (uint32_t)oparg;
			break;
		default:
			ret = -ENOSYS;
			break;
		}
	}
	/* Not atomic against other threads of the address space until threads arrive. */
	if (ret == 0)
		ret = mm_copy_out(t->mm, addr2, &nv, sizeof(nv));
	if (ret == 0) {
		bool hit;
		int32_t o = (int32_t)old;
		switch (cmp) {
		case 0:
			hit = o == cmparg;
			break;
		case 1:
			hit = o != cmparg;
			break;
		case 2:
			hit = o < cmparg;
			break;
		case 3:
			hit = o <= cmparg;
			break;
		case 4:
			hit = o > cmparg;
			break;
		case 5:
			hit = o >= cmparg;
			break;
		default:
			hit = false;
			ret = -ENOSYS;
			break;
		}
		if (ret == 0) {
			int woken = wake_locked(b1, t->mm, addr, FUTEX_BITSET_MATCH_ANY, n);
			if (hit)
				woken += wake_locked(b2, t->mm, addr2, FUTEX_BITSET_MATCH_ANY, n2);
			ret = woken;
		}
	}
	unlock_two(b1, b2);
	return ret;
}

/* sys_futex implements futex(2). */
long sys_futex(struct task *t, const struct sys_args *a)
{
	pthread_once(&g_init_once, futex_init);
	uaddr_t addr = a->a[0];
	int op = (int)a->a[1];
	uint32_t val = (uint32_t)a->a[2];
	uaddr_t utime = a->a[3], addr2 = a->a[4];
	uint32_t val3 = (uint32_t)a->a[5];
	int cmd = op & FUTEX_CMD_MASK;
	bool realtime = op & FUTEX_CLOCK_REALTIME;
	if (realtime && cmd != FUTEX_WAIT_BITSET && cmd != FUTEX_WAIT)
		return -ENOSYS;
	struct timespec deadline;
	bool has_deadline;
	long err;
	switch (cmd) {
	case FUTEX_WAIT:
	case FUTEX_WAIT_BITSET:
		err = deadline_of(t, utime, cmd == FUTEX_WAIT_BITSET, realtime, &deadline,
		                  &has_deadline);
		if (err < 0)
			return err;
		return futex_wait(t, addr, val, cmd == FUTEX_WAIT ? FUTEX_BITSET_MATCH_ANY : val3,
		                  has_deadline ? &deadline : NULL);
	case FUTEX_WAKE:
		return futex_wake(t, addr, (int)MIN(val, (uint32_t)INT_MAX),
		                  FUTEX_BITSET_MATCH_ANY);
	case FUTEX_WAKE_BITSET:
		return futex_wake(t, addr, (int)MIN(val, (uint32_t)INT_MAX), val3);
	case FUTEX_REQUEUE:
	case FUTEX_CMP_REQUEUE:
		return futex_requeue(t, addr, addr2, (int)val, (int)utime, cmd == FUTEX_CMP_REQUEUE,
		                     val3);
	case FUTEX_WAKE_OP:
		return futex_wake_op(t, addr, addr2, (int)MIN(val, (uint32_t)INT_MAX),
		                     (int)MIN(utime, (uint64_t)INT_MAX), val3);
	default:
		/* The PI futexes, FUTEX_LOCK_PI and friends, come with threads. */
		log_info("unsupported futex operation %d", cmd);
		return -ENOSYS;
	}
}

int futex_wake_addr(struct task *t, struct mm *mm, uaddr_t addr, int n)
{
	(void)t;
	if (addr & 3)
		return -EINVAL;
	pthread_once(&g_init_once, futex_init);
	struct futex_bucket *b = bucket_of(mm, addr);
	pthread_mutex_lock(&b->mu);
	int woken = wake_locked(b, mm, addr, FUTEX_BITSET_MATCH_ANY, n);
	pthread_mutex_unlock(&b->mu);
	return woken;
}

/*
 * A thread's robust list is not walked at its exit yet (the table's note
 * on set_robust_list): waiters of a robust mutex whose owner died are not
 * told with FUTEX_OWNER_DIED.
 */
void task_robust_exit(struct task *t)
{
	(void)t;
}
