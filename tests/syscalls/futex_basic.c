/*
 * futex_basic: what one thread can check of futex(2): EAGAIN, ETIMEDOUT,
 * wakes and requeues with no waiters, FUTEX_WAKE_OP's arithmetic on the
 * word, the argument errors, shared keys in shared memory, and
 * set_robust_list/get_robust_list.
 */
#include <limits.h>
#include <linux/futex.h>
#include <stdint.h>
#include <sys/mman.h>
#include <time.h>

#include "test.h"

static long futex(void *uaddr, int op, uint32_t val, const void *timeout_or_val2, void *uaddr2,
                  uint32_t val3)
{
	return syscall(SYS_futex, uaddr, op, val, timeout_or_val2, uaddr2, val3);
}

#define V2(n) ((const void *)(uintptr_t)(n))

static uint32_t g_word, g_word2;

static void check_wait_wake(uint32_t *w, int priv)
{
	struct timespec rel = { 0, 1000000 }; /* 1 ms */
	struct timespec now;

	*w = 5;
	CHECK_ERR(futex(w, FUTEX_WAIT | priv, 4, NULL, NULL, 0), EAGAIN);
	CHECK_ERR(futex(w, FUTEX_WAIT | priv, 5, &rel, NULL, 0), ETIMEDOUT);
	rel.tv_nsec = 0;
	CHECK_ERR(futex(w, FUTEX_WAIT | priv, 5, &rel, NULL, 0), ETIMEDOUT);
	CHECK_ERR(futex(w, FUTEX_WAIT_BITSET | priv, 4, NULL, NULL, 1), EAGAIN);
	/* WAIT_BITSET's timeout is absolute: on CLOCK_MONOTONIC, or CLOCK_REALTIME. */
	CHECK_SYS(clock_gettime(CLOCK_MONOTONIC, &now));
	CHECK_ERR(futex(w, FUTEX_WAIT_BITSET | priv, 5, &now, NULL, FUTEX_BITSET_MATCH_ANY),
	          ETIMEDOUT);
	CHECK_SYS(clock_gettime(CLOCK_REALTIME, &now));
	CHECK_ERR(futex(w, FUTEX_WAIT_BITSET | FUTEX_CLOCK_REALTIME | priv, 5, &now, NULL, 1),
	          ETIMEDOUT);
	struct timespec zero = { 0, 0 };
	CHECK_ERR(futex(w, FUTEX_WAIT_BITSET | priv, 5, &zero, NULL, 1), ETIMEDOUT);

	CHECK_EQ(futex(w, FUTEX_WAKE | priv, 1, NULL, NULL, 0), 0);
	CHECK_EQ(futex(w, FUTEX_WAKE | priv, INT_MAX, NULL, NULL, 0), 0);
	CHECK_EQ(futex(w, FUTEX_WAKE | priv, 0, NULL, NULL, 0), 0);
	CHECK_EQ(futex(w, FUTEX_WAKE_BITSET | priv, 1, NULL, NULL, 0x10), 0);
	CHECK_EQ(*w, 5);
}

static void check_errors(void)
{
	struct timespec rel = { 0, 1000 };
	struct timespec bad = { 0, 1000000000 };
	struct timespec neg = { -1, 0 };
	char *hole = test_unmapped_page();
	uint32_t *misaligned = (uint32_t *)((char *)&g_word + 1);

	/* A bitset of 0 matches no one. */
	CHECK_ERR(futex(&g_word, FUTEX_WAIT_BITSET, g_word, NULL, NULL, 0), EINVAL);
	CHECK_ERR(futex(&g_word, FUTEX_WAIT_BITSET, g_word + 1, NULL, NULL, 0), EINVAL);
	CHECK_ERR(futex(&g_word, FUTEX_WAKE_BITSET, 1, NULL, NULL, 0), EINVAL);
	/* Unknown operations, and FUTEX_CLOCK_REALTIME where only WAIT_BITSET takes it. */
	CHECK_ERR(futex(&g_word, 99, 0, NULL, NULL, 0), ENOSYS);
	CHECK_ERR(futex(&g_word, 14, 0, NULL, NULL, 0), ENOSYS);
	CHECK_ERR(futex(&g_word, FUTEX_WAKE | FUTEX_CLOCK_REALTIME, 1, NULL, NULL, 0), ENOSYS);
	CHECK_ERR(futex(&g_word, FUTEX_WAIT | FUTEX_CLOCK_REALTIME, g_word, &rel, NULL, 0), ENOSYS);
	/* Bad timeouts, checked before the value (and before the ENOSYS of the clock). */
	CHECK_ERR(futex(&g_word, FUTEX_WAIT, g_word + 1, &bad, NULL, 0), EINVAL);
	CHECK_ERR(futex(&g_word, FUTEX_WAIT, g_word, &neg, NULL, 0), EINVAL);
	CHECK_ERR(futex(&g_word, FUTEX_WAIT | FUTEX_CLOCK_REALTIME, g_word, &bad, NULL, 0), EINVAL);
	CHECK_ERR(futex(&g_word, FUTEX_WAIT, g_word, hole, NULL, 0), EFAULT);
	/* A wake takes no timeout: the pointer is not read. */
	CHECK_EQ(futex(&g_word, FUTEX_WAKE, 1, hole, NULL, 0), 0);
	/* Misaligned words. */
	CHECK_ERR(futex(misaligned, FUTEX_WAIT, 0, NULL, NULL, 0), EINVAL);
	CHECK_ERR(futex(misaligned, FUTEX_WAKE, 1, NULL, NULL, 0), EINVAL);
	CHECK_ERR(futex(misaligned, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, 1, NULL, NULL, 0), EINVAL);
	CHECK_ERR(futex(&g_word, FUTEX_REQUEUE, 1, V2(1), misaligned, 0), EINVAL);
	/* Unmapped words: a wait faults; a shared key needs the page, a private one does not. */
	CHECK_ERR(futex(hole, FUTEX_WAIT, 0, NULL, NULL, 0), EFAULT);
	CHECK_ERR(futex(hole, FUTEX_WAIT | FUTEX_PRIVATE_FLAG, 0, NULL, NULL, 0), EFAULT);
	CHECK_ERR(futex(hole, FUTEX_WAKE, 1, NULL, NULL, 0), EFAULT);
	CHECK_EQ(futex(hole, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, 1, NULL, NULL, 0), 0);
	CHECK_ERR(futex(&g_word, FUTEX_WAKE_OP, 1, V2(1), hole, 0), EFAULT);
	CHECK_ERR(futex(&g_word, FUTEX_WAKE_OP | FUTEX_PRIVATE_FLAG, 1, V2(1), hole, 0), EFAULT);
	CHECK_ERR(futex(hole, FUTEX_CMP_REQUEUE, 1, V2(1), &g_word2, 0), EFAULT);
	/* A PROT_NONE page has no readable word. */
	uint32_t *none = mmap(NULL, PAGE_SIZE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(none != MAP_FAILED);
	CHECK_ERR(futex(none, FUTEX_WAKE, 1, NULL, NULL, 0), EFAULT);
	CHECK_ERR(futex(none, FUTEX_WAIT | FUTEX_PRIVATE_FLAG, 0, NULL, NULL, 0), EFAULT);
	CHECK_SYS(munmap(none, PAGE_SIZE));
}

/* FUTEX_WAKE_OP with op, oparg, cmp, cmparg on a word holding old: returns the result. */
static long wake_op(uint32_t *w, uint32_t old, int op, int oparg, int cmp, int cmparg)
{
	*w = old;
	return futex(&g_word, FUTEX_WAKE_OP | FUTEX_PRIVATE_FLAG, 1, V2(1), w,
	             FUTEX_OP(op, oparg, cmp, cmparg));
}

static void check_wake_op(void)
{
	uint32_t w;

	CHECK_EQ(wake_op(&w, 7, FUTEX_OP_SET, 3, FUTEX_OP_CMP_EQ, 7), 0);
	CHECK_EQ(w, 3);
	CHECK_EQ(wake_op(&w, 7, FUTEX_OP_ADD, 5, FUTEX_OP_CMP_NE, 0), 0);
	CHECK_EQ(w, 12);
	CHECK_EQ(wake_op(&w, 7, FUTEX_OP_ADD, -8, FUTEX_OP_CMP_LT, 0), 0); /* 12-bit signed */
	CHECK_EQ(w, 0xffffffffu);
	CHECK_EQ(wake_op(&w, 0x10, FUTEX_OP_OR, 0x3, FUTEX_OP_CMP_LE, 0), 0);
	CHECK_EQ(w, 0x13);
	CHECK_EQ(wake_op(&w, 0xff, FUTEX_OP_ANDN, 0xf, FUTEX_OP_CMP_GT, 0), 0);
	CHECK_EQ(w, 0xf0);
	CHECK_EQ(wake_op(&w, 0xff, FUTEX_OP_XOR, 0x1, FUTEX_OP_CMP_GE, 0), 0);
	CHECK_EQ(w, 0xfe);
	/* FUTEX_OP_OPARG_SHIFT: the argument is 1 << oparg. */
	CHECK_EQ(wake_op(&w, 0, FUTEX_OP_OR | FUTEX_OP_OPARG_SHIFT, 31, FUTEX_OP_CMP_EQ, 0), 0);
	CHECK_EQ(w, 0x80000000u);
	CHECK_EQ(wake_op(&w, 0, FUTEX_OP_SET | FUTEX_OP_OPARG_SHIFT, 4, FUTEX_OP_CMP_EQ, 0), 0);
	CHECK_EQ(w, 16);
	/* An unknown op changes nothing; an unknown comparison comes after the change. */
	w = 9;
	CHECK_ERR(futex(&g_word, FUTEX_WAKE_OP | FUTEX_PRIVATE_FLAG, 1, V2(1), &w,
	                FUTEX_OP(7, 1, FUTEX_OP_CMP_EQ, 0)),
	          ENOSYS);
	CHECK_EQ(w, 9);
	CHECK_ERR(futex(&g_word, FUTEX_WAKE_OP | FUTEX_PRIVATE_FLAG, 1, V2(1), &w,
	                FUTEX_OP(FUTEX_OP_SET, 1, 7, 0)),
	          ENOSYS);
	CHECK_EQ(w, 1);
	/* The same word as both futexes. */
	g_word = 2;
	CHECK_EQ(futex(&g_word, FUTEX_WAKE_OP, 1, V2(1), &g_word,
	               FUTEX_OP(FUTEX_OP_ADD, 1, FUTEX_OP_CMP_EQ, 2)),
	         0);
	CHECK_EQ(g_word, 3);
	/* The second word must be writable. */
	uint32_t *ro = mmap(NULL, PAGE_SIZE, PROT_READ, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CHECK(ro != MAP_FAILED);
	CHECK_ERR(futex(&g_word, FUTEX_WAKE_OP | FUTEX_PRIVATE_FLAG, 1, V2(1), ro, 0), EFAULT);
	CHECK_ERR(futex(&g_word, FUTEX_WAKE_OP, 1, V2(1), ro, 0), EFAULT);
	CHECK_EQ(futex(ro, FUTEX_WAKE, 1, NULL, NULL, 0), 0); /* a wake only reads */
	CHECK_SYS(munmap(ro, PAGE_SIZE));
}

static void check_requeue(void)
{
	g_word = 1;
	g_word2 = 2;
	CHECK_EQ(futex(&g_word, FUTEX_REQUEUE, 1, V2(1), &g_word2, 0), 0);
	CHECK_EQ(futex(&g_word, FUTEX_REQUEUE | FUTEX_PRIVATE_FLAG, INT_MAX, V2(INT_MAX), &g_word2,
	               0),
	         0);
	CHECK_EQ(futex(&g_word, FUTEX_CMP_REQUEUE, 1, V2(1), &g_word2, 1), 0);
	CHECK_ERR(futex(&g_word, FUTEX_CMP_REQUEUE, 1, V2(1), &g_word2, 2), EAGAIN);
	CHECK_ERR(futex(&g_word, FUTEX_CMP_REQUEUE | FUTEX_PRIVATE_FLAG, 0, V2(0), &g_word2, 0),
	          EAGAIN);
	/* Negative counts (the low 32 bits of the timeout argument for the second). */
	CHECK_ERR(futex(&g_word, FUTEX_REQUEUE, -1, V2(1), &g_word2, 0), EINVAL);
	CHECK_ERR(futex(&g_word, FUTEX_CMP_REQUEUE, 1, V2(0xffffffffu), &g_word2, 1), EINVAL);
	CHECK_EQ(futex(&g_word, FUTEX_CMP_REQUEUE, 1, V2(0x100000001ull), &g_word2, 1), 0);
}

/* Futexes in shared memory: anonymous and a memfd mapped twice. */
static void check_shared(void)
{
	uint32_t *shm =
	        mmap(NULL, PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CHECK(shm != MAP_FAILED);
	check_wait_wake(shm, 0);
	check_wait_wake(shm + 1, FUTEX_PRIVATE_FLAG);
	CHECK_SYS(munmap(shm, PAGE_SIZE));

	int fd = CHECK_SYS(memfd_create("futex", 0));
	CHECK_SYS(ftruncate(fd, PAGE_SIZE));
	uint32_t *a = mmap(NULL, PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	uint32_t *b = mmap(NULL, PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK(a != MAP_FAILED && b != MAP_FAILED);
	check_wait_wake(a + 3, 0);
	CHECK_EQ(b[3], 5);
	CHECK_EQ(futex(b + 3, FUTEX_CMP_REQUEUE, 1, V2(1), a + 4, 5), 0);
	CHECK_SYS(munmap(a, PAGE_SIZE));
	CHECK_SYS(munmap(b, PAGE_SIZE));
	CHECK_SYS(close(fd));
}

static void check_robust_list(void)
{
	static struct robust_list_head head;
	struct robust_list_head *got = NULL;
	size_t len = 0;
	char *hole = test_unmapped_page();

	head.list.next = &head.list;
	head.futex_offset = 0;
	head.list_op_pending = NULL;
	CHECK_EQ(syscall(SYS_set_robust_list, &head, sizeof(head)), 0);
	CHECK_EQ(syscall(SYS_get_robust_list, 0, &got, &len), 0);
	CHECK_EQ(got, &head);
	CHECK_EQ(len, sizeof(head));
	got = NULL;
	len = 0;
	CHECK_EQ(syscall(SYS_get_robust_list, syscall(SYS_gettid), &got, &len), 0);
	CHECK_EQ(got, &head);
	CHECK_EQ(len, sizeof(head));
	CHECK_ERR(syscall(SYS_get_robust_list, 0, hole, &len), EFAULT);
	CHECK_ERR(syscall(SYS_get_robust_list, 0, &got, hole), EFAULT);
	CHECK_ERR(syscall(SYS_get_robust_list, INT_MAX, &got, &len), ESRCH);
	CHECK_ERR(syscall(SYS_get_robust_list, -1, &got, &len), ESRCH);
	CHECK_EQ(syscall(SYS_set_robust_list, NULL, sizeof(head)), 0);
	CHECK_EQ(syscall(SYS_get_robust_list, 0, &got, &len), 0);
	CHECK_EQ(got, NULL);
}

int main(void)
{
	check_wait_wake(&g_word, 0);
	check_wait_wake(&g_word, FUTEX_PRIVATE_FLAG);
	check_errors();
	check_wake_op();
	check_requeue();
	check_shared();
	check_robust_list();
	return 0;
}
