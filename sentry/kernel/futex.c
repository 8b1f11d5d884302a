/*
 * Futexes (see futex.h): a hash table of waiters, as Linux's
 * kernel/futex.
 *
 * A waiter is a struct futex_waiter on its task's stack, linked in the
 * bucket of its key. FUTEX_WAIT reads the word and queues the waiter
 * under the bucket's lock; a waker takes the same lock, unlinks the
 * waiters it wakes, marks them woken and calls task_wake(). So a wake-up
 * that follows a change of the word is never lost, and the waiter, which
 * sleeps in task_block() (interruptible by signals), learns under the
 * lock whether it was woken (0), timed out or was interrupted. A requeue
 * moves a waiter to another bucket under both buckets' locks; the waiter
 * finds its current bucket through w->bucket (Linux's q->lock_ptr).
 *
 * Departures from Linux:
 * - The sentry reads and writes guest memory by copies, not atomic
 *   instructions: FUTEX_WAKE_OP's read-modify-write and the robust-list
 *   owner-died update are atomic with respect to every other futex
 *   operation in the sandbox (they hold the bucket locks, which every
 *   waker and the value check of every waiter take), but not with respect
 *   to the application's own atomic instructions on the word.
 * - For the same reason the PI operations (LOCK_PI and friends), whose
 *   protocol depends on compare-and-exchange against user-space fast
 *   paths, are not implemented: ENOSYS.
 * - A timed wait interrupted by a signal returns -LINUX_ERESTARTNOHAND
 *   (Linux: -ERESTART_RESTARTBLOCK with a restart_block that waits for the
 *   rest of the time): with a handler the application sees EINTR, as on
 *   Linux; without one the call restarts with its original arguments,
 *   which is exact for the absolute timeouts of FUTEX_WAIT_BITSET and
 *   waits up to the whole relative timeout again for FUTEX_WAIT. A wait
 *   with no timeout returns -LINUX_ERESTARTSYS, as Linux.
 * - An absolute CLOCK_REALTIME deadline is converted to CLOCK_MONOTONIC
 *   when the wait starts: a change of the wall clock during the wait is
 *   not followed.
 * - A word in a private file mapping is keyed by (mm, address) even
 *   before the page is written (Linux keys a not-yet-copied page by the
 *   file's inode).
 */
#include "sentry/kernel/futex.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <time.h>

#include "common/abi/linux/errno.h"
#include "common/abi/linux/mman.h"
#include "common/abi/linux/time.h"
#include "common/list.h"
#include "common/log.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"

#define FUTEX_WAIT             0
#define FUTEX_WAKE             1
#define FUTEX_REQUEUE          3
#define FUTEX_CMP_REQUEUE      4
#define FUTEX_WAKE_OP          5
#define FUTEX_LOCK_PI          6
#define FUTEX_WAIT_BITSET      9
#define FUTEX_WAKE_BITSET      10
#define FUTEX_WAIT_REQUEUE_PI  11
#define FUTEX_LOCK_PI2         13
#define FUTEX_PRIVATE_FLAG     128
#define FUTEX_CLOCK_REALTIME   256
#define FUTEX_CMD_MASK         (~(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME))
#define FUTEX_BITSET_MATCH_ANY 0xffffffffU

#define FUTEX_WAITERS     0x80000000U
#define FUTEX_OWNER_DIED  0x40000000U
#define FUTEX_TID_MASK    0x3fffffffU
#define ROBUST_LIST_LIMIT 2048

#define NBUCKETS 256

enum futex_key_kind {
	KEY_PRIVATE,     /* obj: the mm; off: the address */
	KEY_SHARED_ANON, /* obj: vma.shared_id; off: the offset in the object */
	KEY_FILE,        /* obj, obj2: the file's identity; off: the file offset */
};

struct futex_key {
	enum futex_key_kind kind;
	uint64_t obj, obj2, off;
};

struct futex_bucket {
	pthread_mutex_t mu;
	struct list_head waiters; /* protected by mu */
};

struct futex_waiter {
	struct list_head link; /* in bucket->waiters, under its mu */
	/* The bucket w is in: changed by a requeue, under both buckets' locks. */
	struct futex_bucket *_Atomic bucket;
	struct futex_key key; /* under the bucket's mu */
	uint32_t bitset;
	struct task *t;
	bool woken; /* under the bucket's mu: unlinked by a waker */
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

static bool key_eq(const struct futex_key *a, const struct futex_key *b)
{
	return a->kind == b->kind && a->obj == b->obj && a->obj2 == b->obj2 && a->off == b->off;
}

static struct futex_bucket *bucket_of(const struct futex_key *k)
{
	uint64_t h = (uint64_t)k->kind;
	h = (h ^ k->obj) * 0x9e3779b97f4a7c15ULL;
	h = (h ^ k->obj2) * 0x9e3779b97f4a7c15ULL;
	h = (h ^ k->off) * 0x9e3779b97f4a7c15ULL;
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

/* Locks the bucket w is in now (a requeue may move it meanwhile). */
static struct futex_bucket *lock_waiter_bucket(struct futex_waiter *w)
{
	for (;;) {
		struct futex_bucket *b = atomic_load(&w->bucket);
		pthread_mutex_lock(&b->mu);
		if (b == atomic_load(&w->bucket))
			return b;
		pthread_mutex_unlock(&b->mu);
	}
}

/*
 * The key of the word at addr (Linux's get_futex_key). prot: what a
 * shared key needs of the mapping (read; write for WAKE_OP's second
 * word). Returns 0, -EINVAL (misaligned) or -EFAULT.
 */
static int key_of(struct task *t, uaddr_t addr, bool private, int prot, struct futex_key *k)
{
	if (addr & 3)
		return -EINVAL;
	if (!mm_access_ok(addr, sizeof(uint32_t)))
		return -EFAULT;
	*k = (struct futex_key){ .kind = KEY_PRIVATE,
		                 .obj = (uint64_t)(uintptr_t)t->mm,
		                 .off = addr };
	if (private)
		return 0;
	struct mm *mm = t->mm;
	int err = 0;
	pthread_mutex_lock(&mm->mu);
	struct vma *v = vma_find(&mm->vmas, addr);
	if (!v || (v->prot & prot) != prot) {
		err = -EFAULT;
	} else if (v->flags & VMA_SHARED) {
		k->off = v->offset + (addr - v->start);
		if (v->file) {
			k->kind = KEY_FILE;
			g_vma_file_hooks->identity(v->file, &k->obj, &k->obj2);
		} else {
			k->kind = KEY_SHARED_ANON;
			k->obj = v->shared_id;
		}
	}
	pthread_mutex_unlock(&mm->mu);
	return err;
}

/*
 * Wakes waiters of key whose bitset matches: the first, then more while
 * fewer than n are woken (so n <= 1 wakes at most one, as Linux's loop).
 * Preconditions: b (key's bucket) locked.
 */
static int wake_locked(struct futex_bucket *b, const struct futex_key *key, uint32_t bitset, int n)
{
	int woken = 0;
	struct futex_waiter *w, *next;
	list_for_each_entry_safe (w, next, &b->waiters, link) {
		if (!key_eq(&w->key, key) || !(w->bitset & bitset))
			continue;
		list_del(&w->link);
		w->woken = true;
		/* Under the lock: w (on its task's stack) stays valid until it is dropped. */
		task_wake(w->t);
		if (++woken >= n)
			break;
	}
	return woken;
}

static int read_word(struct task *t, uaddr_t addr, uint32_t *out)
{
	return mm_copy_in(t->mm, out, addr, sizeof(*out));
}

static int64_t ts_ns(const struct timespec *ts)
{
	return (int64_t)ts->tv_sec * 1000000000LL + ts->tv_nsec;
}

/*
 * The deadline on CLOCK_MONOTONIC for a wait's timeout (futex_init_timeout):
 * relative for FUTEX_WAIT, absolute (on the realtime clock with
 * FUTEX_CLOCK_REALTIME) for the others.
 */
static int deadline_of(struct task *t, uaddr_t uts, int cmd, bool realtime, struct timespec *out)
{
	struct linux_timespec ts;
	int err = mm_copy_in(t->mm, &ts, uts, sizeof(ts));
	if (err < 0)
		return err;
	if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= 1000000000)
		return -EINVAL;
	/* Far enough: no overflow below, and never reached. */
	int64_t sec = MIN(ts.tv_sec, (int64_t)1 << 40), nsec = ts.tv_nsec;
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (cmd == FUTEX_WAIT) {
		sec += now.tv_sec;
		nsec += now.tv_nsec;
	} else if (realtime) {
		struct timespec rt;
		clock_gettime(CLOCK_REALTIME, &rt);
		int64_t rel = sec * 1000000000LL + nsec - ts_ns(&rt);
		int64_t abs = ts_ns(&now) + rel;
		if (abs < 0)
			abs = 0;
		sec = abs / 1000000000LL;
		nsec = abs % 1000000000LL;
	}
	if (nsec >= 1000000000) {
		nsec -= 1000000000;
		sec++;
	}
	*out = (struct timespec){ (time_t)sec, (long)nsec };
	return 0;
}

static long futex_wait(struct task *t, uaddr_t addr, bool private, uint32_t val, uint32_t bitset,
                       const struct timespec *deadline)
{
	if (bitset == 0)
		return -EINVAL;
	struct futex_waiter w = { .bitset = bitset, .t = t };
	long ret = key_of(t, addr, private, LINUX_PROT_READ, &w.key);
	if (ret < 0)
		return ret;
	struct futex_bucket *b = bucket_of(&w.key);
	atomic_store(&w.bucket, b);

	pthread_mutex_lock(&b->mu);
	uint32_t cur;
	ret = read_word(t, addr, &cur);
	if (ret == 0 && cur != val)
		ret = -EAGAIN;
	if (ret < 0) {
		pthread_mutex_unlock(&b->mu);
		return ret;
	}
	list_add_tail(&w.link, &b->waiters);
	pthread_mutex_unlock(&b->mu);

	for (;;) {
		int err = task_block(t, deadline, NULL, 0);
		b = lock_waiter_bucket(&w);
		if (w.woken) {
			ret = 0;
		} else if (err < 0) {
			list_del(&w.link);
			if (err == -EINTR)
				ret = deadline ? -LINUX_ERESTARTNOHAND : -LINUX_ERESTARTSYS;
			else
				ret = err;
		} else {
			/* A spurious wake-up (a stale task_wake): wait on. */
			pthread_mutex_unlock(&b->mu);
			continue;
		}
		pthread_mutex_unlock(&b->mu);
		return ret;
	}
}

static long futex_wake(struct task *t, uaddr_t addr, bool private, int n, uint32_t bitset)
{
	if (bitset == 0)
		return -EINVAL;
	struct futex_key key;
	int err = key_of(t, addr, private, LINUX_PROT_READ, &key);
	if (err < 0)
		return err;
	struct futex_bucket *b = bucket_of(&key);
	pthread_mutex_lock(&b->mu);
	int woken = wake_locked(b, &key, bitset, n);
	pthread_mutex_unlock(&b->mu);
	return woken;
}

int futex_wake_addr(struct task *t, uaddr_t addr, int n)
{
	pthread_once(&g_init_once, futex_init);
	return (int)futex_wake(t, addr, false, n, FUTEX_BITSET_MATCH_ANY);
}

static long futex_requeue(struct task *t, uaddr_t addr, uaddr_t addr2, bool private, int nwake,
                          int nmove, bool cmp, uint32_t val3)
{
	if (nwake < 0 || nmove < 0)
		return -EINVAL;
	struct futex_key k1, k2;
	long ret = key_of(t, addr, private, LINUX_PROT_READ, &k1);
	if (ret == 0)
		ret = key_of(t, addr2, private, LINUX_PROT_READ, &k2);
	if (ret < 0)
		return ret;
	struct futex_bucket *b1 = bucket_of(&k1), *b2 = bucket_of(&k2);
	lock_two(b1, b2);
	if (cmp) {
		uint32_t cur;
		ret = read_word(t, addr, &cur);
		if (ret == 0 && cur != val3)
			ret = -EAGAIN;
		if (ret < 0)
			goto out;
	}
	int count = 0;
	struct futex_waiter *w, *next;
	list_for_each_entry_safe (w, next, &b1->waiters, link) {
		if (count - nwake >= nmove)
			break;
		if (!key_eq(&w->key, &k1))
			continue;
		if (++count <= nwake) {
			list_del(&w->link);
			w->woken = true;
			task_wake(w->t);
			continue;
		}
		/* Requeue: the waiter now waits on k2 (even when b1 == b2). */
		w->key = k2;
		if (b1 != b2) {
			list_del(&w->link);
			list_add_tail(&w->link, &b2->waiters);
			atomic_store(&w->bucket, b2);
		}
	}
	ret = count;
out:
	unlock_two(b1, b2);
	return ret;
}

/*
 * FUTEX_WAKE_OP's operation on oldval (futex_atomic_op_inuser): the new
 * value in *nv, or -ENOSYS for an unknown op.
 */
static int wake_op_apply(uint32_t encoded, uint32_t old, uint32_t *nv)
{
	unsigned op = (encoded >> 28) & 7;
	int32_t oparg = (int32_t)(encoded << 8) >> 20;
	if (encoded & (8U << 28))
		oparg = (int32_t)(1U << (oparg & 31)); /* Linux masks an out-of-range shift */
	switch (op) {
	case 0: /* FUTEX_OP_SET */
		*nv = (uint32_t)oparg;
		return 0;
	case 1: /* FUTEX_OP_ADD */
		*nv = old + (uint32_t)oparg;
		return 0;
	case 2: /* FUTEX_OP_OR */
		*nv = old | (uint32_t)oparg;
		return 0;
	case 3: /* FUTEX_OP_ANDN */
		*nv = old & ~(uint32_t)oparg;
		return 0;
	case 4: /* FUTEX_OP_XOR */
		*nv = old ^ (uint32_t)oparg;
		return 0;
	default:
		return -ENOSYS;
	}
}

/* FUTEX_WAKE_OP's comparison of the old value: 1, 0, or -ENOSYS for an unknown one. */
static int wake_op_cmp(uint32_t encoded, uint32_t old)
{
	int32_t cmparg = (int32_t)(encoded << 20) >> 20, o = (int32_t)old;
	switch ((encoded >> 24) & 15) {
	case 0: /* FUTEX_OP_CMP_EQ */
		return o == cmparg;
	case 1: /* FUTEX_OP_CMP_NE */
		return o != cmparg;
	case 2: /* FUTEX_OP_CMP_LT */
		return o < cmparg;
	case 3: /* FUTEX_OP_CMP_LE */
		return o <= cmparg;
	case 4: /* FUTEX_OP_CMP_GT */
		return o > cmparg;
	case 5: /* FUTEX_OP_CMP_GE */
		return o >= cmparg;
	default:
		return -ENOSYS;
	}
}

/* FUTEX_WAKE_OP: *addr2 = op(*addr2, oparg); wake on addr; wake on addr2 if cmp(old, cmparg). */
static long futex_wake_op(struct task *t, uaddr_t addr, uaddr_t addr2, bool private, int n, int n2,
                          uint32_t encoded)
{
	struct futex_key k1, k2;
	long ret = key_of(t, addr, private, LINUX_PROT_READ, &k1);
	if (ret == 0)
		ret = key_of(t, addr2, private, LINUX_PROT_READ | LINUX_PROT_WRITE, &k2);
	if (ret < 0)
		return ret;
	struct futex_bucket *b1 = bucket_of(&k1), *b2 = bucket_of(&k2);
	lock_two(b1, b2);
	/* The read-modify-write, under both bucket locks (see the header comment). */
	uint32_t old, nv;
	ret = mm_check_access(t->mm, addr2, sizeof(old), LINUX_PROT_READ | LINUX_PROT_WRITE);
	if (ret == 0)
		ret = read_word(t, addr2, &old);
	if (ret == 0)
		ret = wake_op_apply(encoded, old, &nv);
	if (ret == 0)
		ret = mm_copy_out(t->mm, addr2, &nv, sizeof(nv));
	int hit = 0;
	if (ret == 0)
		hit = wake_op_cmp(encoded, old);
	if (ret == 0 && hit < 0)
		ret = hit; /* the word was written, as on Linux */
	if (ret == 0) {
		int woken = wake_locked(b1, &k1, FUTEX_BITSET_MATCH_ANY, n);
		if (hit)
			woken += wake_locked(b2, &k2, FUTEX_BITSET_MATCH_ANY, n2);
		ret = woken;
	}
	unlock_two(b1, b2);
	return ret;
}

static bool cmd_has_timeout(int cmd)
{
	return cmd == FUTEX_WAIT || cmd == FUTEX_WAIT_BITSET || cmd == FUTEX_LOCK_PI ||
	       cmd == FUTEX_LOCK_PI2 || cmd == FUTEX_WAIT_REQUEUE_PI;
}

long futex_syscall(struct task *t, uaddr_t uaddr, int op, uint32_t val, uint64_t utime,
                   uaddr_t uaddr2, uint32_t val3)
{
	pthread_once(&g_init_once, futex_init);
	int cmd = op & FUTEX_CMD_MASK;
	bool private = op & FUTEX_PRIVATE_FLAG, realtime = op & FUTEX_CLOCK_REALTIME;
	/* As Linux's sys_futex: the timeout is read and checked first. */
	struct timespec deadline;
	bool has_deadline = false;
	if (utime && cmd_has_timeout(cmd)) {
		int err = deadline_of(t, utime, cmd, realtime, &deadline);
		if (err < 0)
			return err;
		has_deadline = true;
	}
	if (realtime && cmd != FUTEX_WAIT_BITSET && cmd != FUTEX_WAIT_REQUEUE_PI &&
	    cmd != FUTEX_LOCK_PI2)
		return -ENOSYS;
	/* The counts are ints, as Linux's (val2 is utime's low 32 bits). */
	int nr = (int)val, nr2 = (int)(uint32_t)utime;
	switch (cmd) {
	case FUTEX_WAIT:
	case FUTEX_WAIT_BITSET:
		return futex_wait(t, uaddr, private, val,
		                  cmd == FUTEX_WAIT ? FUTEX_BITSET_MATCH_ANY : val3,
		                  has_deadline ? &deadline : NULL);
	case FUTEX_WAKE:
		return futex_wake(t, uaddr, private, nr, FUTEX_BITSET_MATCH_ANY);
	case FUTEX_WAKE_BITSET:
		return futex_wake(t, uaddr, private, nr, val3);
	case FUTEX_REQUEUE:
	case FUTEX_CMP_REQUEUE:
		return futex_requeue(t, uaddr, uaddr2, private, nr, nr2, cmd == FUTEX_CMP_REQUEUE,
		                     val3);
	case FUTEX_WAKE_OP:
		return futex_wake_op(t, uaddr, uaddr2, private, nr, nr2, val3);
	default:
		/* The PI operations (see the header comment) and unknown ones. */
		log_info("unsupported futex operation %d", cmd);
		return -ENOSYS;
	}
}

/*
 * Linux's handle_futex_death for the word at addr: returns -1 when the
 * list walk must stop (a misaligned or inaccessible word), else 0.
 */
static int handle_futex_death(struct task *t, uaddr_t addr, bool pi, bool pending_op)
{
	struct futex_key key;
	if (key_of(t, addr, false, LINUX_PROT_READ, &key) < 0)
		return -1;
	struct futex_bucket *b = bucket_of(&key);
	int ret = 0;
	uint32_t uval;
	pthread_mutex_lock(&b->mu);
	if (read_word(t, addr, &uval) < 0) {
		ret = -1;
	} else if (pending_op && !pi && uval == 0) {
		/* The owner died between releasing the word and waking a waiter. */
		wake_locked(b, &key, FUTEX_BITSET_MATCH_ANY, 1);
	} else if ((uval & FUTEX_TID_MASK) == (uint32_t)t->tid) {
		uint32_t mval = (uval & FUTEX_WAITERS) | FUTEX_OWNER_DIED;
		if (mm_copy_out(t->mm, addr, &mval, sizeof(mval)) < 0)
			ret = -1;
		else if (!pi && (uval & FUTEX_WAITERS))
			wake_locked(b, &key, FUTEX_BITSET_MATCH_ANY, 1);
	}
	pthread_mutex_unlock(&b->mu);
	return ret;
}

/* Reads a robust list pointer: the entry, and its low bit (a PI futex). */
static int fetch_robust_entry(struct task *t, uaddr_t from, uaddr_t *entry, bool *pi)
{
	uint64_t v;
	int err = mm_copy_in(t->mm, &v, from, sizeof(v));
	if (err < 0)
		return err;
	*entry = v & ~(uint64_t)1;
	*pi = v & 1;
	return 0;
}

void futex_exit_robust_list(struct task *t)
{
	/* struct robust_list_head { next; long futex_offset; list_op_pending; } */
	uaddr_t head = t->robust_list;
	if (!head)
		return;
	pthread_once(&g_init_once, futex_init);
	uaddr_t entry, pending, next = 0;
	bool pi, pip, next_pi = false;
	int64_t futex_offset;
	if (fetch_robust_entry(t, head, &entry, &pi) < 0 ||
	    mm_copy_in(t->mm, &futex_offset, head + 8, sizeof(futex_offset)) < 0 ||
	    fetch_robust_entry(t, head + 16, &pending, &pip) < 0)
		return;
	unsigned limit = ROBUST_LIST_LIMIT;
	while (entry != head) {
		int rc = fetch_robust_entry(t, entry, &next, &next_pi);
		if (entry != pending &&
		    handle_futex_death(t, entry + (uint64_t)futex_offset, pi, false) < 0)
			return;
		if (rc < 0)
			return;
		entry = next;
		pi = next_pi;
		if (!--limit)
			break;
	}
	if (pending)
		handle_futex_death(t, pending + (uint64_t)futex_offset, pip, true);
}
