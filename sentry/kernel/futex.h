/*
 * Futexes (futex.c): futex(2)'s operations on the sentry's futex hash
 * table, and what a thread's exit does to futexes (robust lists,
 * CLONE_CHILD_CLEARTID).
 *
 * A waiter blocks in task_block() (task.h), so a signal interrupts it as
 * it does every other wait in the sentry.
 *
 * Keys, as Linux's get_futex_key: a private operation (FUTEX_PRIVATE_FLAG)
 * or a word in a private mapping is keyed by (mm, address); a word in a
 * shared mapping by its backing object and offset, so that processes
 * sharing the memory meet on the same futex: a file mapping by its inode
 * (vma_file_hooks.identity), shared anonymous memory by vma.shared_id.
 *
 * Lock order: a futex bucket's mu (two buckets: in address order) >
 * mm.mu (the word is read under the bucket lock, as in Linux, so that no
 * wake-up between the check and the queueing is lost).
 */
#ifndef SENTRY_KERNEL_FUTEX_H
#define SENTRY_KERNEL_FUTEX_H

#include <stdint.h>

#include "common/util.h"

struct task;

/*
 * futex(2) for t (the caller): op with its arguments as the syscall gets
 * them (utime is val2 for the requeue and WAKE_OP operations). Returns the
 * syscall's result or -errno (-LINUX_ERESTARTSYS and the like when a
 * signal interrupted a wait).
 */
long futex_syscall(struct task *t, uaddr_t uaddr, int op, uint32_t val, uint64_t utime,
                   uaddr_t uaddr2, uint32_t val3);

/*
 * Wakes up to n (at least 1, as Linux's futex_wake) waiters on the
 * futex at addr in t's address space, keyed as a shared (not private)
 * futex. For CLONE_CHILD_CLEARTID at a thread's exit, Linux's
 * mm_release: when the mm has other users, the caller writes 0 at
 * t->clear_child_tid, then calls futex_wake_addr(t, t->clear_child_tid, 1).
 * Returns the number woken or -errno (EFAULT, EINVAL for a misaligned
 * address).
 */
int futex_wake_addr(struct task *t, uaddr_t addr, int n);

/*
 * Releases the robust futexes t holds, at t's exit (Linux's
 * exit_robust_list): walks the list set by set_robust_list (at most
 * ROBUST_LIST_LIMIT entries, and list_op_pending), and on each word whose
 * owner is t's tid sets FUTEX_OWNER_DIED (keeping FUTEX_WAITERS) and, when
 * there are waiters, wakes one. Called on t's own thread, while t->mm is
 * still its address space. A bad list is left alone, as Linux does.
 */
void futex_exit_robust_list(struct task *t);

#endif /* SENTRY_KERNEL_FUTEX_H */
