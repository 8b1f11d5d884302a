/*
 * What the ptrace and systrap platforms both do with their stub
 * processes: find what a stub keeps of the sentry's address space, drop
 * glibc's rseq registration in a raw fork, take an fd from a stub, and keep
 * a sentry thread next to the stub it drives.
 */
#ifndef PLATFORM_STUB_UTIL_H
#define PLATFORM_STUB_UTIL_H

#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/util.h"

struct stub_util_range {
	uint64_t start, end;
};

/* The sentry's [vdso] and [vvar...] ranges, which every stub keeps. Returns 0 or -errno. */
int stub_util_special_ranges(struct stub_util_range *out, int max, int *count);

/*
 * The ranges a stub unmaps: everything below LINUX_TASK_SIZE but the nkeep
 * ranges of keep (sorted here). Writes up to max {start, len} pairs to
 * out, sets *lowest to the lowest kept address, and returns the number of
 * pairs or -E2BIG.
 */
int stub_util_unmap_list(struct stub_util_range *keep, int nkeep, uint64_t (*out)[2], int max,
                         uint64_t *lowest);

/* In a raw fork of a sentry thread: drops the rseq area glibc registered in sentry memory. */
void stub_util_unregister_rseq(void);

/* Copies fd of process pid into the sentry (pidfd_getfd). Returns the new fd or -errno. */
int stub_util_take_fd(pid_t pid, int fd);

/*
 * Where a context's sentry thread and stub are pinned together: initially
 * { .cpu = -1, .hint = -1 } (stub_util_pin_init).
 */
struct stub_pin {
	int cpu;           /* the pair's CPU, or -1 */
	bool placed;       /* given its first CPU (first_cpu) */
	bool counted;      /* cpu is counted among the pairs pinned per CPU */
	bool follows;      /* pinned next to its waker (a hint): neither counted nor balanced */
	int hint;          /* the waker's CPU to move to at the next bind, or -1 */
	unsigned switches; /* since the pair was last pinned */
};

void stub_util_pin_init(struct stub_pin *pin);
/* platform_ops.ctx_hint_cpu's work: the next stub_util_bind_cpu follows it. */
void stub_util_hint_cpu(struct stub_pin *pin, int cpu);

/*
 * Keeps the calling thread and stub process tid on one CPU: a new
 * context's pair on a CPU of allowed in turn, then where the scheduler
 * put the thread, unless another allowed CPU has fewer of the sentry's
 * pinned pairs (two pairs on one CPU while another idles halve both);
 * the scheduler may rebalance the thread every so many switches. A pair
 * that mostly waits goes where its waker runs (stub_util_hint_cpu).
 */
void stub_util_bind_cpu(struct stub_pin *pin, pid_t tid, const cpu_set_t *allowed);
/*
 * Lets the calling thread go now, as the periodic rebalancing does: the
 * pair's CPU turned out busy (its hand-offs are slow); the next
 * stub_util_bind_cpu pins both where the scheduler put the thread.
 */
void stub_util_rebalance(struct stub_pin *pin, const cpu_set_t *allowed);
/* Forgets pin's CPU (cpu -1): its context goes, or pins its pair otherwise. */
void stub_util_unpin(struct stub_pin *pin);

/*
 * Guest memory through process_vm_readv/writev (write: into the stub) on
 * *pid, a live process of the address space; when it exits meanwhile (a
 * thread of the application), on the next one the platform stored there.
 * Returns the bytes copied (short at a missing page, 0 at the first), or
 * -errno (-ESRCH when no process is left).
 */
ssize_t stub_util_vm_copy(_Atomic pid_t *pid, bool write, void *local, uaddr_t remote, size_t len);

/* CPU time stub process tid has used, in ns (its process CPU clock). */
uint64_t stub_util_cpu_time_ns(pid_t tid);

/* Whether host signal sig, with a positive si_code, is a fault of the application's. */
bool stub_util_is_fault_signal(int sig);

/*
 * The host fds lent to one stub process, kept across calls: ld.so maps
 * each library four or five times from one fd, and a big file is read in
 * chunks. An entry is found again by the sentry's fd number it was lent
 * from, checked with kcmp(KCMP_FILE), which compares open file
 * descriptions: a host fd number the sentry reused for another file never
 * hits a stale entry (the stub's copy keeps the old description alive
 * until it is evicted), and is evicted first. A clone's fd table is a
 * copy: so is its cache. A platform may queue a lending with the mapping
 * that needs it (systrap): the entry then waits, STUB_LENT_QUEUED, for
 * the fd the stub got in its register, the entry's index.
 */
#define STUB_LENT_FDS    4
#define STUB_LENT_QUEUED (-1000000)
struct stub_lent_fds {
	struct {
		int stub_fd; /* -1: free; or STUB_LENT_QUEUED */
		int host_fd; /* the sentry's fd it was lent from */
		uint64_t used;
	} e[STUB_LENT_FDS];
	uint64_t clock;
};

void stub_lent_init(struct stub_lent_fds *l);

/* What the cache needs of a platform, done in the stub of ctx. */
struct stub_lent_ops {
	/*
	 * Lends host_fd: the stub's fd, or -errno; or, when queue allows it,
	 * STUB_LENT_QUEUED: the stub receives it into register reg as its
	 * queue runs (stub_lent_resolve then).
	 */
	long (*lend)(void *ctx, int host_fd, int reg, bool queue);
	void (*close)(void *ctx,
	              int stub_fd); /* closes an evicted one, now or before the next call */
};

/*
 * The fd in stub tid (whose context is ctx) for host_fd's open file
 * description: a cached one, or host_fd lent now in place of the least
 * recently used entry (whose fd is closed in the stub). Returns the fd or
 * -errno; or, with queue (the caller queues its use of the fd too),
 * STUB_LENT_QUEUED and in *reg the register the fd will be in.
 * Preconditions: without queue, no entry is STUB_LENT_QUEUED.
 */
long stub_lent_fd(struct stub_lent_fds *l, pid_t tid, int host_fd, const struct stub_lent_ops *ops,
                  void *ctx, bool queue, int *reg);
/* A queued lending into register reg is done: the stub's fd, or -1 if it failed. */
void stub_lent_resolve(struct stub_lent_fds *l, int reg, int stub_fd);

#endif /* PLATFORM_STUB_UTIL_H */
