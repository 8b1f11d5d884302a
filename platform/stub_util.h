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
 * Keeps the calling thread and stub process tid on one CPU, moving the
 * pair to a CPU of allowed in turn for a new context, and letting the
 * scheduler rebalance every so many switches. cpu, placed and switches
 * are the context's (initially -1, false, 0).
 */
void stub_util_bind_cpu(int *cpu, bool *placed, unsigned *switches, pid_t tid,
                        const cpu_set_t *allowed);

#endif /* PLATFORM_STUB_UTIL_H */
