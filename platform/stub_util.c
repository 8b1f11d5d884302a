/* Shared by the platforms' stub code: see stub_util.h. */
#include "platform/stub_util.h"

#include <errno.h>
#include <stddef.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/kcmp.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "common/abi/linux/arch_x86.h"

int stub_util_special_ranges(struct stub_util_range *out, int max, int *count)
{
	FILE *f = fopen("/proc/self/maps", "re");
	if (!f)
		return -errno;
	char line[512];
	int n = 0;
	while (fgets(line, sizeof(line), f)) {
		unsigned long start, end;
		char name[64] = "";
		if (sscanf(line, "%lx-%lx %*s %*s %*s %*s %63s", &start, &end, name) < 2)
			continue;
		if (strcmp(name, "[vdso]") != 0 && strncmp(name, "[vvar", 5) != 0)
			continue;
		if (n == max) {
			fclose(f);
			return -E2BIG;
		}
		out[n++] = (struct stub_util_range){ start, end };
	}
	fclose(f);
	*count = n;
	return 0;
}

static int range_cmp(const void *a, const void *b)
{
	const struct stub_util_range *x = a, *y = b;
	return x->start < y->start ? -1 : x->start > y->start;
}

int stub_util_unmap_list(struct stub_util_range *keep, int nkeep, uint64_t (*out)[2], int max,
                         uint64_t *lowest)
{
	qsort(keep, (size_t)nkeep, sizeof(keep[0]), range_cmp);
	*lowest = keep[0].start;
	uint64_t cursor = 0;
	int n = 0;
	for (int i = 0; i <= nkeep; i++) {
		uint64_t end = i < nkeep ? keep[i].start : LINUX_TASK_SIZE;
		if (end > cursor) {
			if (n == max)
				return -E2BIG;
			out[n][0] = cursor;
			out[n][1] = end - cursor;
			n++;
		}
		if (i < nkeep)
			cursor = keep[i].end;
	}
	return n;
}

/* glibc's registration of the thread's rseq area (<sys/rseq.h>). */
extern const ptrdiff_t __rseq_offset;
extern const unsigned int __rseq_size;
#define RSEQ_SIG             0x53053053
#define RSEQ_FLAG_UNREGISTER 1

/*
 * The forked thread inherits glibc's rseq registration, whose area lives
 * in sentry memory the stub is about to unmap: the kernel would then fail
 * to update it on the next return to user mode and kill the stub with
 * SIGSEGV. Unregister it (glibc registers 32 bytes; newer ones report a
 * smaller __rseq_size, so try both).
 */
void stub_util_unregister_rseq(void)
{
	if (__rseq_size == 0)
		return;
	void *area = (char *)__builtin_thread_pointer() + __rseq_offset;
	if (syscall(SYS_rseq, area, 32, RSEQ_FLAG_UNREGISTER, RSEQ_SIG) != 0)
		syscall(SYS_rseq, area, __rseq_size, RSEQ_FLAG_UNREGISTER, RSEQ_SIG);
}

int stub_util_take_fd(pid_t pid, int fd)
{
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pidfd < 0)
		return -errno;
	int copy = (int)syscall(SYS_pidfd_getfd, pidfd, fd, 0);
	int err = copy < 0 ? -errno : copy;
	close(pidfd);
	return err;
}

/*
 * A system call is a strict ping-pong between a sentry thread and its
 * stub, so they never want to run at once, and a wake-up across CPUs
 * costs 25-60 us here against a few for a switch on one CPU
 * (docs/performance.md: pinning both halves the round trip). Pinning only
 * the stub, as gVisor does, leaves the sentry thread to the scheduler,
 * which wakes it on the other CPU a third of the time.
 *
 * So that a busy CPU does not hold the pair forever, the sentry thread is
 * let go every REBALANCE_SWITCHES switches; the scheduler may then move
 * it, and the next switch pins both where it landed, unless another CPU
 * has fewer of the sentry's pairs (least_pinned).
 */
#define REBALANCE_SWITCHES 1024

/*
 * The CPU a context starts on: the allowed CPUs in turn. A new task's
 * thread would otherwise start next to its parent's (a thread wakes where
 * its creator runs), and a stub that computes without system calls is
 * never moved by the rebalancing: two such processes would share one CPU
 * for good.
 */
static int first_cpu(const cpu_set_t *allowed)
{
	static atomic_uint next;
	int n = CPU_COUNT(allowed);
	if (n <= 0)
		return -1;
	unsigned k = atomic_fetch_add(&next, 1) % (unsigned)n;
	for (int cpu = 0; cpu < CPU_SETSIZE; cpu++) {
		if (CPU_ISSET(cpu, allowed) && k-- == 0)
			return cpu;
	}
	return -1;
}

/*
 * The sentry's pairs pinned per CPU (stub_util_bind_cpu). The scheduler
 * sees a pinned pair as one CPU's load and never moves it, so two pairs
 * that came to one CPU (their threads woke there) would stay there while
 * the other CPU idles: a pinning compares the counts first.
 */
static atomic_int g_pinned[CPU_SETSIZE];

/* Every so many switches a pinned pair checks that no CPU has fewer pairs than its own. */
#define BALANCE_SWITCHES 64

/* The allowed CPU with the fewest pinned pairs, want itself unless one has fewer than its own. */
static int least_pinned(const struct stub_pin *pin, int want, const cpu_set_t *allowed)
{
	/* pin's own pair is not counted against its CPU. */
	int mine = pin->counted && pin->cpu == want;
	int best = want, best_n = atomic_load(&g_pinned[want]) - mine;
	int left = CPU_COUNT(allowed);
	for (int cpu = 0; cpu < CPU_SETSIZE && left > 0; cpu++) {
		if (!CPU_ISSET(cpu, allowed))
			continue;
		left--;
		int n = atomic_load(&g_pinned[cpu]) - (pin->counted && pin->cpu == cpu);
		if (n < best_n) {
			best = cpu;
			best_n = n;
		}
	}
	return best;
}

void stub_util_pin_init(struct stub_pin *pin)
{
	*pin = (struct stub_pin){ .cpu = -1, .hint = -1 };
}

void stub_util_unpin(struct stub_pin *pin)
{
	if (pin->counted)
		atomic_fetch_sub(&g_pinned[pin->cpu], 1);
	pin->counted = false;
	pin->follows = false;
	pin->cpu = -1;
}

void stub_util_hint_cpu(struct stub_pin *pin, int cpu)
{
	pin->hint = cpu;
	if (cpu < 0 && pin->follows)
		stub_util_unpin(pin); /* back to the counts at the next bind */
}

/* Pins the calling thread and tid to cpu; counted or following its waker. */
static void pin_to(struct stub_pin *pin, pid_t tid, int cpu, bool follows)
{
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(tid, sizeof(set), &set) == 0 &&
	    sched_setaffinity(0, sizeof(set), &set) == 0) {
		stub_util_unpin(pin);
		if (!follows)
			atomic_fetch_add(&g_pinned[cpu], 1);
		pin->counted = !follows;
		pin->follows = follows;
		pin->cpu = cpu;
		pin->switches = 0;
	}
}

void stub_util_bind_cpu(struct stub_pin *pin, pid_t tid, const cpu_set_t *allowed)
{
	int hint = pin->hint;
	pin->hint = -1;
	if (hint >= 0 && hint < CPU_SETSIZE && CPU_ISSET(hint, allowed)) {
		pin->placed = true;
		if (!(pin->follows && pin->cpu == hint))
			pin_to(pin, tid, hint, true);
		return;
	}
	int cpu = pin->placed ? sched_getcpu() : first_cpu(allowed);
	pin->placed = true;
	if (cpu < 0 || cpu >= CPU_SETSIZE)
		return;
	if (pin->follows && cpu == pin->cpu) {
		/* Next to its waker until a wake-up says otherwise, or the periodic release. */
		if (++pin->switches >= REBALANCE_SWITCHES)
			stub_util_rebalance(pin, allowed);
		return;
	}
	if (cpu == pin->cpu && pin->counted) {
		++pin->switches;
		if (pin->switches >= REBALANCE_SWITCHES) {
			stub_util_rebalance(pin, allowed);
			return;
		}
		if (pin->switches % BALANCE_SWITCHES != 0)
			return;
	}
	cpu = least_pinned(pin, cpu, allowed);
	if (cpu == pin->cpu && pin->counted)
		return;
	pin_to(pin, tid, cpu, false);
}

void stub_util_rebalance(struct stub_pin *pin, const cpu_set_t *allowed)
{
	stub_util_unpin(pin);
	pin->switches = 0;
	sched_setaffinity(0, sizeof(*allowed), allowed);
}

ssize_t stub_util_vm_copy(_Atomic pid_t *pidp, bool write, void *local_buf, uaddr_t remote_addr,
                          size_t len)
{
	struct iovec local = { local_buf, len };
	struct iovec remote = { (void *)remote_addr, len };
	for (;;) {
		pid_t pid = atomic_load(pidp);
		if (!pid)
			return -ESRCH;
		ssize_t n = write ? process_vm_writev(pid, &local, 1, &remote, 1, 0)
		                  : process_vm_readv(pid, &local, 1, &remote, 1, 0);
		if (n >= 0)
			return n;
		if (errno == EFAULT)
			return 0;
		if (errno != ESRCH || atomic_load(pidp) == pid)
			return -errno;
	}
}

uint64_t stub_util_cpu_time_ns(pid_t tid)
{
	/* The process CPU clock (Linux's MAKE_PROCESS_CPUCLOCK(pid, CPUCLOCK_SCHED)). */
	clockid_t clk = (clockid_t)((~(unsigned)tid << 3) | 2);
	struct timespec ts;
	if (clock_gettime(clk, &ts) != 0)
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

bool stub_util_is_fault_signal(int sig)
{
	return sig == SIGSEGV || sig == SIGBUS || sig == SIGFPE || sig == SIGILL || sig == SIGTRAP;
}

void stub_lent_init(struct stub_lent_fds *l)
{
	for (int i = 0; i < STUB_LENT_FDS; i++)
		l->e[i].stub_fd = -1;
	l->clock = 0;
}

long stub_lent_fd(struct stub_lent_fds *l, pid_t tid, int host_fd, const struct stub_lent_ops *ops,
                  void *ctx, bool queue, int *reg)
{
	int victim = -1, oldest = -1;
	for (int i = 0; i < STUB_LENT_FDS; i++) {
		int fd = l->e[i].stub_fd;
		if (fd == STUB_LENT_QUEUED) {
			if (l->e[i].host_fd == host_fd) {
				*reg = i; /* lent earlier in this same call: mapped again */
				return STUB_LENT_QUEUED;
			}
			continue; /* never the victim: its fd is on its way */
		}
		if (fd >= 0 && l->e[i].host_fd == host_fd) {
			if (syscall(SYS_kcmp, getpid(), tid, KCMP_FILE, host_fd, fd) == 0) {
				l->e[i].used = ++l->clock;
				return fd;
			}
			victim = i; /* the number now names another file: this entry goes first */
		}
		if (oldest < 0 || fd < 0 ||
		    (l->e[oldest].stub_fd >= 0 && l->e[i].used < l->e[oldest].used))
			oldest = i;
	}
	if (victim < 0)
		victim = oldest;
	if (victim < 0)
		return -EAGAIN; /* every entry queued: not with one mapping per call */
	if (l->e[victim].stub_fd >= 0)
		ops->close(ctx, l->e[victim].stub_fd);
	long fd = ops->lend(ctx, host_fd, victim, queue);
	l->e[victim].stub_fd = fd >= 0 || fd == STUB_LENT_QUEUED ? (int)fd : -1;
	l->e[victim].host_fd = host_fd;
	l->e[victim].used = ++l->clock;
	*reg = victim;
	return fd;
}

void stub_lent_resolve(struct stub_lent_fds *l, int reg, int stub_fd)
{
	if (reg >= 0 && reg < STUB_LENT_FDS && l->e[reg].stub_fd == STUB_LENT_QUEUED)
		l->e[reg].stub_fd = stub_fd >= 0 ? stub_fd : -1;
}
