/*
 * The systrap platform: application system calls trap into a handler in
 * the stub (seccomp SECCOMP_RET_TRAP, so SIGSYS), which hands them to the
 * sentry through shared memory. No ptrace anywhere.
 *
 * Processes (see stub.h for the shared region and the hand-off, stub.c
 * for the code that runs in stubs):
 *   - the factory: a fork of the sentry made in prepare_confined, once
 *     the sentry has dropped its root and capabilities and before it
 *     installs its own filter (a stub forked later would inherit that
 *     filter, whose default action kills). It drops the sentry's memory,
 *     installs the stub filter, and makes a new stub whenever asked. Every
 *     stub descends from it, so all share its filter and one
 *     user-notification listener, which the sentry holds.
 *   - stubs: one host process per context (a thread of the application is
 *     a CLONE_VM process, as on the ptrace platform, so that each can be
 *     killed alone). All are children of the sentry (CLONE_PARENT), which
 *     reaps them, and die with it (PR_SET_PDEATHSIG). A pool of ready
 *     stubs (pool_take) serves exec; a clone is made by the parent's stub.
 *
 * The stub filter (build_filter): a system call from the stub code's
 * pages may be one of the host calls the stubs make (memory operations,
 * mmap only with MAP_FIXED, futex, rt_sigreturn, sigaltstack, arch_prctl
 * to set fs or gs, prctl(PR_SET_PDEATHSIG), close, read, sched_yield,
 * clone with the stubs' flags, exit_group, seccomp for the factory) or
 * `dup`, which traps to the listener: that is how the sentry
 * lends a host fd to a stub (SECCOMP_IOCTL_NOTIF_ADDFD), as on ptrace.
 * Anything else from the stub code kills the stub; any call from
 * elsewhere (the application) is SECCOMP_RET_TRAP.
 *
 * The application can jump to the stub's own `syscall` instructions; it
 * then gets those host calls on its own process, with its own arguments:
 * its own memory and the fds lent to it. That hurts only itself. The
 * sentry reads the shared region as untrusted input: slot_ptr checks
 * every pointer a stub posts, and a clone's reported pid is proven before
 * the sentry keeps it (new_thread_stub, answer_dup).
 */
#include "platform/platform.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/futex.h>
#include <linux/kcmp.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "platform/stub_util.h"
#include "platform/systrap/stub.h"

/* The host signal that interrupts a running stub. */
#define INTERRUPT_SIGNAL SIGCHLD
#define SA_RESTORER      0x04000000
/* The hand-off's tuning: see "The hand-off, sentry side". */
#define SPIN_US         50   /* the longest a side spins before it sleeps on the futex */
#define FAST_US         20   /* an application or a sentry faster than this is spun for */
#define CONTENDED_NS    1500 /* a spinning hand-off slower than this: the CPUs are busy */
#define RETRY_SWITCHES  4096 /* switches on one CPU before spinning is tried again */
#define SETTLE_SWITCHES 64   /* switches after a move to two CPUs before it is judged */
#define AVG_SHIFT       3    /* moving averages over about 8 traps */
/* How long a stub may take to ask for an fd the sentry expects it to ask for. */
#define ANSWER_TIMEOUT_MS 5000
/* How long the sentry sleeps on a stub before it checks that the stub lives. */
#define LIVENESS_NS (20 * 1000 * 1000)

extern const char __start_systrap_stub[], __stop_systrap_stub[];

/* The kernel's signal frame (arch/x86/include/uapi/asm/sigcontext.h, ucontext.h). */
struct k_sigcontext {
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
	uint64_t rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip, eflags;
	uint16_t cs, gs, fs, ss;
	uint64_t err, trapno, oldmask, cr2;
	uint64_t fpstate; /* struct _fpstate * in the stub */
	uint64_t reserved1[8];
};
struct k_ucontext {
	uint64_t uc_flags;
	uint64_t uc_link;
	struct {
		uint64_t ss_sp;
		int32_t ss_flags;
		int32_t pad;
		uint64_t ss_size;
	} uc_stack;
	struct k_sigcontext uc_mcontext;
	uint64_t uc_sigmask;
};
/* The fields of a siginfo the platform reads. */
struct k_siginfo {
	int32_t signo, errno_, code, pad;
	union {
		uint64_t addr; /* faults */
		struct {
			uint64_t call_addr;
			int32_t syscall;
			uint32_t arch;
		} sys; /* SIGSYS */
	};
};

#define FXSAVE_SW_OFFSET 464
#define FP_XSTATE_MAGIC1 0x46505853U
struct fpx_sw {
	uint32_t magic1, extended_size;
	uint64_t xfeatures;
	uint32_t xstate_size, pad[7];
};

/* ---- Globals: the stub image and the factory ---- */

static struct {
	bool ready;
	uaddr_t region_base; /* where every stub maps its region */
	uaddr_t code, code_end;
	uaddr_t max_addr, vdso_base;
	struct systrap_factory_data *data;
	uaddr_t factory_stack_top;
	cpu_set_t cpus;
	uint64_t tsc_per_us; /* TSC cycles per microsecond */
	pid_t factory;
	int factory_sock;
	int listener;
	/* Serialises the listener: the one notification pending is the expected one. */
	pthread_mutex_t listener_mu;
} g = {
	.factory = -1, .factory_sock = -1, .listener = -1, .listener_mu = PTHREAD_MUTEX_INITIALIZER
};

static uaddr_t stub_addr(const void *fn)
{
	return g.code + (uaddr_t)((const char *)fn - __start_systrap_stub);
}

/* ---- Address spaces and contexts ---- */

enum regs_state { REGS_CLEAN, REGS_RAX_DIRTY, REGS_DIRTY };

/* How a context waits for its stub (see place()). */
enum handoff {
	HANDOFF_SLEEP, /* one CPU; the sentry sleeps on the futex at once */
	HANDOFF_YIELD, /* one CPU; each side yields to the other for a while first */
	HANDOFF_SPIN,  /* two CPUs; each side spins for the other for a while first */
};

struct systrap_ctx;

struct systrap_as {
	struct platform_as base;
	int memfd;
	uint8_t *region; /* the sentry's mapping of the region */
	pthread_mutex_t mu;
	struct systrap_ctx *ctxs;
	uint8_t used[SYSTRAP_MAX_SLOTS]; /* slots taken */
	_Atomic pid_t pid;               /* a live stub of the as, for process_vm_* */
	int refs;                        /* the contexts', and the mm's until as_destroy */
};

struct systrap_ctx {
	struct platform_ctx base;
	struct systrap_as *as;
	struct systrap_ctx *next;
	pid_t tid;
	pid_t owner; /* the sentry thread that drives it (gettid) */
	int slot;
	bool reaped;
	/* The hand-off (see "The hand-off, sentry side"). */
	int cpu;
	bool placed;
	unsigned switches;
	enum handoff mode;
	unsigned retry;          /* switches left before spinning is tried again */
	unsigned settle;         /* switches left before a new spin placement is judged */
	uint64_t app_cycles;     /* moving averages: the application's run between traps, */
	uint64_t sentry_cycles;  /* the sentry's work on a trap, */
	uint64_t handoff_cycles; /* and the hand-off's own cost, both ways */
	uint64_t event_tsc;      /* when the last event was seen */
	enum regs_state regs_state;
	struct linux_regs regs;
	uint64_t fs_applied, gs_applied; /* the host's fs_base and gs_base in the stub */
	struct stub_lent_fds lent;       /* host fds lent to this stub process */
	atomic_bool interrupted;
};

struct platform_clone {
	struct systrap_ctx *child; /* made, not yet attached */
	struct systrap_as *new_as; /* a fork's */
};

static struct systrap_as *to_as(struct platform_as *p)
{
	return container_of(p, struct systrap_as, base);
}

static struct systrap_ctx *to_ctx(struct platform_ctx *p)
{
	return container_of(p, struct systrap_ctx, base);
}

static struct systrap_msg *msg_of(struct systrap_as *as, int slot)
{
	return (struct systrap_msg *)(as->region + (size_t)slot * SYSTRAP_SLOT_SIZE);
}

static uaddr_t slot_stub_addr(int slot)
{
	return g.region_base + (uaddr_t)slot * SYSTRAP_SLOT_SIZE;
}

/*
 * The sentry's pointer to len bytes at stub address addr, which must lie
 * in the alternate stack of slot; NULL when the stub posted a bad pointer.
 */
static void *slot_ptr(struct systrap_as *as, int slot, uint64_t addr, size_t len)
{
	uaddr_t lo = slot_stub_addr(slot) + SYSTRAP_MSG_SIZE;
	uaddr_t hi = slot_stub_addr(slot) + SYSTRAP_SLOT_SIZE;
	if (addr < lo || addr > hi || len > hi - addr)
		return NULL;
	return as->region + (addr - g.region_base);
}

static struct k_ucontext *frame_of(struct systrap_ctx *c)
{
	struct systrap_msg *m = msg_of(c->as, c->slot);
	return slot_ptr(c->as, c->slot, __atomic_load_n(&m->uc, __ATOMIC_RELAXED),
	                sizeof(struct k_ucontext));
}

static void kill_stub(struct systrap_ctx *c)
{
	/* A reaped stub's pid may be another process's by now. */
	if (c->reaped)
		return;
	kill(c->tid, SIGKILL);
	while (waitpid(c->tid, NULL, __WALL) < 0 && errno == EINTR)
		;
	c->reaped = true;
}

/* ---- The hand-off, sentry side ---- */

static void post(struct systrap_msg *m, uint32_t state)
{
	__atomic_store_n(&m->state, state, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&m->stub_sleeping, __ATOMIC_SEQ_CST))
		syscall(SYS_futex, &m->state, FUTEX_WAKE, 1, NULL, NULL, 0);
}

/* Whether the stub process tid has died (reaping it). */
static bool stub_dead(struct systrap_ctx *c)
{
	if (c->reaped)
		return true;
	int status;
	pid_t r = waitpid(c->tid, &status, WNOHANG | __WALL);
	if (r == c->tid || (r < 0 && errno == ECHILD)) {
		c->reaped = true;
		return true;
	}
	return false;
}

static uint64_t rdtsc(void)
{
	return __builtin_ia32_rdtsc();
}

/*
 * Waits until the stub of c posts EVENT: spinning or yielding first as
 * c's mode says, then asleep on the futex, waking every LIVENESS_NS to
 * check that the stub lives. Returns 0, or -ESRCH when the stub died.
 */
static int wait_event(struct systrap_ctx *c)
{
	struct systrap_msg *m = msg_of(c->as, c->slot);
	if (c->mode != HANDOFF_SLEEP) {
		uint64_t start = rdtsc(), budget = SPIN_US * g.tsc_per_us;
		do {
			if (__atomic_load_n(&m->state, __ATOMIC_SEQ_CST) == SYSTRAP_EVENT)
				return 0;
			if (c->mode == HANDOFF_SPIN)
				__builtin_ia32_pause();
			else
				sched_yield();
		} while (rdtsc() - start < budget);
	}
	for (;;) {
		if (__atomic_load_n(&m->state, __ATOMIC_SEQ_CST) == SYSTRAP_EVENT)
			return 0;
		__atomic_store_n(&m->sentry_sleeping, 1, __ATOMIC_SEQ_CST);
		uint32_t st = __atomic_load_n(&m->state, __ATOMIC_SEQ_CST);
		if (st != SYSTRAP_EVENT) {
			struct timespec ts = { 0, LIVENESS_NS };
			long r = syscall(SYS_futex, &m->state, FUTEX_WAIT, st, &ts, NULL, 0);
			if (r < 0 && errno == ETIMEDOUT && stub_dead(c)) {
				__atomic_store_n(&m->sentry_sleeping, 0, __ATOMIC_SEQ_CST);
				return -ESRCH;
			}
		}
		__atomic_store_n(&m->sentry_sleeping, 0, __ATOMIC_SEQ_CST);
	}
}

/*
 * The hand-off's mode, chosen per context from what it measures
 * (docs/performance.md, systrap). On this kind of machine a trap and its
 * rt_sigreturn cost about 2.8 us, a futex wake-up and wait on one CPU
 * some 5 more, one across CPUs far more, a sched_yield to the other side
 * on the same CPU about 2.5, and a store seen by a spinning CPU well under
 * one. So:
 *   - an application that runs long between traps (over FAST_US on
 *     average) gets SLEEP: its sentry thread sleeps at once, and nothing
 *     spins while it computes or waits;
 *   - one that traps fast gets SPIN, its stub and sentry thread on two
 *     CPUs, each spinning up to SPIN_US for the other; unless the
 *     hand-off then costs more than CONTENDED_NS on average, judged after
 *     SETTLE_SWITCHES (the first ones after a move are slow: cold caches),
 *     which means the other CPU is busy (spinning would only steal from
 *     whoever runs there), when it gets
 *     YIELD on one CPU for RETRY_SWITCHES switches before SPIN is tried
 *     again;
 *   - the stub spins (or yields) for the sentry only while the sentry
 *     answers fast (under FAST_US on average): a sentry that blocks (a
 *     read of an empty pipe) leaves its stub asleep.
 * Every spin and yield ends in the futex within SPIN_US: an idle sandbox
 * uses no CPU.
 */
static void place(struct systrap_ctx *c)
{
	uint64_t fast = FAST_US * g.tsc_per_us;
	enum handoff want = HANDOFF_SPIN;
	if (c->app_cycles >= fast)
		want = HANDOFF_SLEEP;
	else if (CPU_COUNT(&g.cpus) < 2)
		want = HANDOFF_YIELD;
	else if (c->mode == HANDOFF_SPIN && c->settle > 0 && --c->settle == 0)
		c->handoff_cycles = 0; /* judged from here on, not from the move's cold caches */
	else if (c->mode == HANDOFF_SPIN && c->settle == 0 &&
	         c->handoff_cycles > CONTENDED_NS * g.tsc_per_us / 1000) {
		want = HANDOFF_YIELD;
		c->retry = RETRY_SWITCHES;
		c->handoff_cycles = 0;
	} else if (c->retry > 0) {
		c->retry--;
		want = HANDOFF_YIELD;
	}
	if (want != HANDOFF_SPIN) {
		if (c->mode == HANDOFF_SPIN)
			c->placed = false, c->cpu = -1; /* placed anew, together */
		c->mode = want;
		stub_util_bind_cpu(&c->cpu, &c->placed, &c->switches, c->tid, &g.cpus);
		return;
	}
	int here = sched_getcpu();
	if (c->mode == HANDOFF_SPIN && here == c->cpu && ++c->switches < RETRY_SWITCHES)
		return;
	/* The sentry thread stays where it is; the stub goes to another allowed CPU. */
	int other = -1;
	for (int cpu = 0; cpu < CPU_SETSIZE && other < 0; cpu++) {
		if (CPU_ISSET(cpu, &g.cpus) && cpu != here)
			other = cpu;
	}
	cpu_set_t theirs, mine;
	CPU_ZERO(&theirs);
	CPU_ZERO(&mine);
	CPU_SET(other, &theirs);
	CPU_SET(here, &mine);
	if (other >= 0 && here >= 0 && sched_setaffinity(c->tid, sizeof(theirs), &theirs) == 0 &&
	    sched_setaffinity(0, sizeof(mine), &mine) == 0) {
		if (c->mode != HANDOFF_SPIN)
			c->settle = SETTLE_SWITCHES;
		c->mode = HANDOFF_SPIN;
		c->cpu = here;
		c->switches = 0;
	} else {
		c->mode = HANDOFF_YIELD;
	}
}

static void average(uint64_t *avg, uint64_t sample)
{
	*avg = *avg - (*avg >> AVG_SHIFT) + (sample >> AVG_SHIFT);
}

/* Runs a host call in c's stub, which must be stopped (EVENT). */
static long stub_call(struct systrap_ctx *c, long nr, const uint64_t args[6])
{
	struct systrap_msg *m = msg_of(c->as, c->slot);
	m->nr = (uint64_t)nr;
	memcpy(m->args, args, sizeof(m->args));
	post(m, SYSTRAP_CALL);
	if (wait_event(c) < 0)
		return -ESRCH;
	return (long)m->ret;
}

/* ---- Lending fds through the listener ---- */

/*
 * Answers the pending `dup` of stub pid with host_fd. Other
 * notifications (an application that jumped to the stub's `dup`) get
 * EPERM. Returns 0, or -errno when pid died first.
 * Preconditions: g.listener_mu held.
 */
static int answer_dup(pid_t pid, int host_fd, bool *reaped)
{
	/*
	 * pid may come from the stub (a clone's result): a process that is not
	 * the sentry's child, or that never asks, must not hold the listener
	 * (every lending of the sandbox waits on it) for ever.
	 */
	for (int waited = 0;; waited += 100) {
		struct pollfd p = { .fd = g.listener, .events = POLLIN };
		int n = poll(&p, 1, 100);
		if (n == 0) {
			/* Dead (reaped here, and *reaped says so), or not the sentry's child. */
			int status;
			pid_t r = waitpid(pid, &status, WNOHANG | __WALL);
			if (r == pid && reaped)
				*reaped = true;
			if (r != 0)
				return -ESRCH;
			if (waited >= ANSWER_TIMEOUT_MS)
				return -ETIMEDOUT;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		struct seccomp_notif req;
		memset(&req, 0, sizeof(req));
		if (ioctl(g.listener, SECCOMP_IOCTL_NOTIF_RECV, &req) != 0) {
			if (errno == EINTR || errno == ENOENT)
				continue;
			return -errno;
		}
		struct seccomp_notif_resp resp = { .id = req.id, .error = -EPERM };
		if ((pid_t)req.pid != pid || req.data.nr != SYS_dup) {
			log_warn("systrap: unexpected notification from stub %d (syscall %d)",
			         (int)req.pid, req.data.nr);
			ioctl(g.listener, SECCOMP_IOCTL_NOTIF_SEND, &resp);
			continue;
		}
		struct seccomp_notif_addfd addfd = {
			.id = req.id,
			.flags = SECCOMP_ADDFD_FLAG_SEND,
			.srcfd = (uint32_t)host_fd,
			.newfd_flags = O_CLOEXEC,
		};
		if (ioctl(g.listener, SECCOMP_IOCTL_NOTIF_ADDFD, &addfd) < 0) {
			resp.error = -errno;
			ioctl(g.listener, SECCOMP_IOCTL_NOTIF_SEND, &resp);
		}
		return 0;
	}
}

/* Lends host_fd to c's stub: returns the fd there, or -errno. */
static long lend_fd(struct systrap_ctx *c, int host_fd)
{
	struct systrap_msg *m = msg_of(c->as, c->slot);
	pthread_mutex_lock(&g.listener_mu);
	m->nr = SYS_dup;
	memset(m->args, 0, sizeof(m->args));
	post(m, SYSTRAP_CALL);
	long ret = answer_dup(c->tid, host_fd, &c->reaped);
	if (wait_event(c) < 0)
		ret = -ESRCH;
	else if (ret == 0)
		ret = (long)m->ret;
	pthread_mutex_unlock(&g.listener_mu);
	return ret;
}

/* ---- Registers and the frame ---- */

static void regs_from_frame(struct systrap_ctx *c, const struct k_ucontext *uc, bool syscall)
{
	const struct k_sigcontext *s = &uc->uc_mcontext;
	struct linux_regs *r = &c->regs;
	r->r8 = s->r8, r->r9 = s->r9, r->r10 = s->r10, r->r11 = s->r11;
	r->r12 = s->r12, r->r13 = s->r13, r->r14 = s->r14, r->r15 = s->r15;
	r->rdi = s->rdi, r->rsi = s->rsi, r->rbp = s->rbp, r->rbx = s->rbx;
	r->rdx = s->rdx, r->rax = s->rax, r->rcx = s->rcx, r->rsp = s->rsp;
	r->rip = s->rip, r->eflags = s->eflags;
	r->cs = s->cs, r->ss = s->ss;
	r->orig_rax = syscall ? s->rax : (uint64_t)-1;
	r->fs_base = c->fs_applied;
	r->gs_base = c->gs_applied;
	c->regs_state = REGS_CLEAN;
}

static void regs_to_frame(struct systrap_ctx *c, struct k_ucontext *uc)
{
	struct k_sigcontext *s = &uc->uc_mcontext;
	const struct linux_regs *r = &c->regs;
	if (c->regs_state == REGS_RAX_DIRTY) {
		s->rax = r->rax;
		return;
	}
	s->r8 = r->r8, s->r9 = r->r9, s->r10 = r->r10, s->r11 = r->r11;
	s->r12 = r->r12, s->r13 = r->r13, s->r14 = r->r14, s->r15 = r->r15;
	s->rdi = r->rdi, s->rsi = r->rsi, s->rbp = r->rbp, s->rbx = r->rbx;
	s->rdx = r->rdx, s->rax = r->rax, s->rcx = r->rcx, s->rsp = r->rsp;
	s->rip = r->rip, s->eflags = r->eflags;
}

/* The frame's XSAVE area and its size, or NULL. */
static uint8_t *fpstate_of(struct systrap_ctx *c, size_t *size)
{
	struct k_ucontext *uc = frame_of(c);
	if (!uc)
		return NULL;
	uint8_t *fx = slot_ptr(c->as, c->slot, uc->uc_mcontext.fpstate, 512 + 64);
	if (!fx)
		return NULL;
	struct fpx_sw sw;
	memcpy(&sw, fx + FXSAVE_SW_OFFSET, sizeof(sw));
	if (sw.magic1 != FP_XSTATE_MAGIC1 || sw.xstate_size < 512 + 64 ||
	    !slot_ptr(c->as, c->slot, uc->uc_mcontext.fpstate, sw.xstate_size + 4))
		return NULL;
	*size = sw.xstate_size;
	return fx;
}

/* ---- Contexts ---- */

static _Thread_local struct systrap_ctx *tls_ctx;

static pid_t current_tid(void)
{
	static _Thread_local pid_t tid;
	if (!tid)
		tid = (pid_t)syscall(SYS_gettid);
	return tid;
}

/* Binds c to the calling sentry thread. */
static void own(struct systrap_ctx *c)
{
	c->owner = current_tid();
	tls_ctx = c;
}

static struct systrap_as *as_alloc(void)
{
	struct systrap_as *as = calloc(1, sizeof(*as));
	if (!as)
		return NULL;
	as->base.ops = &g_platform_systrap;
	as->memfd = (int)syscall(SYS_memfd_create, "runsc-systrap", MFD_CLOEXEC);
	if (as->memfd < 0 || ftruncate(as->memfd, (off_t)SYSTRAP_REGION_SIZE) != 0)
		goto fail;
	as->region =
	        mmap(NULL, SYSTRAP_REGION_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, as->memfd, 0);
	if (as->region == MAP_FAILED)
		goto fail;
	pthread_mutex_init(&as->mu, NULL);
	as->refs = 1;
	return as;
fail:
	if (as->memfd >= 0)
		close(as->memfd);
	free(as);
	return NULL;
}

static void as_unref_unlock(struct systrap_as *as)
{
	bool last = --as->refs == 0;
	pthread_mutex_unlock(&as->mu);
	if (last) {
		munmap(as->region, SYSTRAP_REGION_SIZE);
		close(as->memfd);
		pthread_mutex_destroy(&as->mu);
		free(as);
	}
}

/* Takes a free slot of as and prepares its message; -1 when none is left. */
static int slot_take(struct systrap_as *as, int want)
{
	pthread_mutex_lock(&as->mu);
	int slot = -1;
	if (want >= 0) {
		if (!as->used[want])
			slot = want;
	} else {
		for (int i = 0; i < SYSTRAP_MAX_SLOTS && slot < 0; i++)
			if (!as->used[i])
				slot = i;
	}
	if (slot >= 0)
		as->used[slot] = 1;
	pthread_mutex_unlock(&as->mu);
	return slot;
}

static void slot_reset(struct systrap_as *as, int slot)
{
	struct systrap_msg *m = msg_of(as, slot);
	memset(m, 0, sizeof(*m));
	m->region_base = g.region_base;
}

static void slot_release(struct systrap_as *as, int slot)
{
	pthread_mutex_lock(&as->mu);
	as->used[slot] = 0;
	pthread_mutex_unlock(&as->mu);
}

static struct systrap_ctx *ctx_new(struct systrap_as *as, pid_t tid, int slot)
{
	struct systrap_ctx *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->base.ops = &g_platform_systrap;
	c->as = as;
	c->tid = tid;
	c->slot = slot;
	c->cpu = -1;
	stub_lent_init(&c->lent);
	pthread_mutex_lock(&as->mu);
	c->next = as->ctxs;
	as->ctxs = c;
	as->refs++;
	if (!as->pid)
		as->pid = tid;
	pthread_mutex_unlock(&as->mu);
	return c;
}

static void ctx_unlink_unlock(struct systrap_ctx *c)
{
	struct systrap_as *as = c->as;
	for (struct systrap_ctx **pp = &as->ctxs; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	if (as->pid == c->tid)
		as->pid = as->ctxs ? as->ctxs->tid : 0;
	as->used[c->slot] = 0;
	if (tls_ctx == c)
		tls_ctx = NULL;
	as_unref_unlock(as);
}

/* ---- Init: the stub image and the factory ---- */

static int build_filter(struct systrap_factory_data *d);

/* Runs in the factory between fork and the stub code: raw system calls only. */
NORETURN static void factory_child(pid_t parent, int sock)
{
	stub_util_unregister_rseq();
	if (syscall(SYS_prctl, PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0 ||
	    syscall(SYS_getppid) != parent)
		syscall(SYS_exit_group, 127);
	syscall(SYS_setpgid, 0, 0);
	if (sock != 0 && syscall(SYS_dup2, sock, 0) != 0)
		syscall(SYS_exit_group, 127);
	syscall(SYS_close_range, 1, ~0U, 0);
	/* No capabilities: a stub needs none (the bounding set, then capset's three sets). */
	for (int cap = 0; cap < 64; cap++)
		syscall(SYS_prctl, PR_CAPBSET_DROP, cap, 0, 0, 0);
	struct {
		uint32_t version;
		int pid;
	} hdr = { 0x20080522, 0 };
	uint32_t caps[6] = { 0 };
	syscall(SYS_capset, &hdr, caps);
	if (syscall(SYS_prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		syscall(SYS_exit_group, 127);
	/* The traps' handler, on the alternate stack, with every signal blocked. */
	struct {
		uint64_t handler, flags, restorer, mask;
	} sa = { stub_addr((const void *)systrap_stub_handler),
		 SA_SIGINFO | SA_ONSTACK | SA_RESTORER,
		 stub_addr((const void *)systrap_stub_restorer), ~0ULL };
	static const int sigs[] = { SIGSYS, SIGSEGV, SIGBUS,          SIGFPE,
		                    SIGILL, SIGTRAP, INTERRUPT_SIGNAL };
	for (size_t i = 0; i < ARRAY_SIZE(sigs); i++) {
		if (syscall(SYS_rt_sigaction, sigs[i], &sa, NULL, 8) != 0)
			syscall(SYS_exit_group, 127);
	}
	uint64_t none = 0;
	syscall(SYS_rt_sigprocmask, SIG_SETMASK, &none, NULL, 8);
	uaddr_t entry = stub_addr((const void *)systrap_stub_factory);
	__asm__ volatile("mov %0, %%rsp\n\t"
	                 "call *%1\n\t"
	                 "ud2"
	                 :
	                 : "r"(g.factory_stack_top), "r"(entry), "D"(g.data)
	                 : "memory");
	__builtin_unreachable();
}

#define IMAGE_CODE_PAGES  4
#define IMAGE_DATA_PAGES  2
#define IMAGE_STACK_PAGES 4
#define IMAGE_PAGES       (IMAGE_CODE_PAGES + IMAGE_DATA_PAGES + IMAGE_STACK_PAGES)

static int make_image(void)
{
	size_t code_size = (size_t)(__stop_systrap_stub - __start_systrap_stub);
	BUG_ON(code_size > IMAGE_CODE_PAGES * PAGE_SIZE);
	BUG_ON(sizeof(struct systrap_factory_data) > IMAGE_DATA_PAGES * PAGE_SIZE);
	/* The region, aligned to a slot, then the image; all of it is kept in every stub. */
	size_t total = SYSTRAP_REGION_SIZE + SYSTRAP_SLOT_SIZE + IMAGE_PAGES * PAGE_SIZE;
	uint8_t *p =
	        mmap(NULL, total, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return -errno;
	uaddr_t base = ((uaddr_t)p + SYSTRAP_SLOT_SIZE - 1) & ~(uaddr_t)(SYSTRAP_SLOT_SIZE - 1);
	uint8_t *image = (uint8_t *)(base + SYSTRAP_REGION_SIZE);
	if (mprotect(image, IMAGE_PAGES * PAGE_SIZE, PROT_READ | PROT_WRITE) != 0)
		return -errno;
	memcpy(image, __start_systrap_stub, code_size);
	g.region_base = base;
	g.code = (uaddr_t)image;
	g.code_end = g.code + code_size;
	g.data = (struct systrap_factory_data *)(image + IMAGE_CODE_PAGES * PAGE_SIZE);
	g.factory_stack_top = (uaddr_t)image + IMAGE_PAGES * PAGE_SIZE - 64;
	g.data->msg.region_base = base;
	g.data->fprog.filter = (uint64_t)(uintptr_t)g.data->filter;
	int err = build_filter(g.data);
	if (err < 0)
		return err;

	struct stub_util_range keep[SYSTRAP_MAX_RANGES];
	int nkeep = 0;
	err = stub_util_special_ranges(keep, SYSTRAP_MAX_RANGES - 1, &nkeep);
	if (err < 0)
		return err;
	keep[nkeep++] = (struct stub_util_range){ (uaddr_t)p, (uaddr_t)p + total };
	uint64_t lowest;
	int n = stub_util_unmap_list(keep, nkeep, (void *)g.data->ranges, SYSTRAP_MAX_RANGES,
	                             &lowest);
	if (n < 0)
		return n;
	g.data->nranges = (uint64_t)n;
	if (mprotect(image, IMAGE_CODE_PAGES * PAGE_SIZE, PROT_READ | PROT_EXEC) != 0 ||
	    mprotect(g.data, IMAGE_DATA_PAGES * PAGE_SIZE, PROT_READ) != 0)
		return -errno;
	g.max_addr = lowest & ~((1ULL << 30) - 1);
	g.vdso_base = getauxval(AT_SYSINFO_EHDR);
	return 0;
}

static int start_factory(void)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
		return -errno;
	pid_t parent = getpid();
	long pid = syscall(SYS_clone, SIGCHLD, 0, NULL, NULL, 0);
	if (pid < 0) {
		int err = -errno;
		close(sv[0]);
		close(sv[1]);
		return err;
	}
	if (pid == 0)
		factory_child(parent, sv[1]);
	close(sv[1]);
	g.factory = (pid_t)pid;
	g.factory_sock = sv[0];
	/* Its listener is its fd 1 once it has installed the filter. */
	for (int i = 0; i < 2000; i++) {
		int fd = stub_util_take_fd(g.factory, 1);
		/* Until its close_range, its fd 1 is the sentry's stdout: not a listener. */
		uint64_t id = 0;
		if (fd >= 0 &&
		    (ioctl(fd, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) == 0 || errno == ENOENT)) {
			g.listener = fd;
			return 0;
		}
		if (fd >= 0)
			close(fd);
		int status;
		if (waitpid(g.factory, &status, WNOHANG) == g.factory) {
			log_warn("systrap: the stub factory failed (status %#x)", status);
			g.factory = -1;
			return -ECHILD;
		}
		usleep(500);
	}
	return -ETIMEDOUT;
}

static int systrap_init(void)
{
	if (g.ready)
		return 0;
	if (sched_getaffinity(0, sizeof(g.cpus), &g.cpus) != 0)
		return -errno;
	/* The TSC's rate, for the spin budgets: over 200 us of the monotonic clock. */
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	uint64_t c0 = rdtsc(), ns;
	do {
		clock_gettime(CLOCK_MONOTONIC, &t1);
		ns = (uint64_t)(t1.tv_sec - t0.tv_sec) * 1000000000ULL + (uint64_t)t1.tv_nsec -
		     (uint64_t)t0.tv_nsec;
	} while (ns < 200000);
	g.tsc_per_us = (rdtsc() - c0) * 1000 / ns;
	if (g.tsc_per_us == 0)
		g.tsc_per_us = 1;
	int err = make_image();
	if (err < 0)
		return err;
	g.ready = true;
	log_debug("systrap: stub code at %#lx, regions at %#lx, guest below %#lx",
	          (unsigned long)g.code, (unsigned long)g.region_base, (unsigned long)g.max_addr);
	return 0;
}

/*
 * The factory starts here, confined but for the seccomp filter it must
 * not inherit: no capabilities, the empty root, no_new_privs.
 */
static int systrap_prepare_confined(void)
{
	return g.factory > 0 ? 0 : start_factory();
}

static void systrap_layout(struct platform_layout *out)
{
	out->min_addr = 0x10000;
	out->max_addr = g.max_addr;
	out->vdso_base = g.vdso_base;
}

/* ---- The filter ---- */

/*
 * From the stub code ([code, code_end], by the address after `syscall`):
 * the host calls of stub.c, with clone's flags checked; dup: to the
 * listener; anything else: KILL. From anywhere else: TRAP.
 */
static int build_filter(struct systrap_factory_data *d)
{
	static const int allowed[] = {
		SYS_munmap,       SYS_mprotect,    SYS_mremap,     SYS_madvise, SYS_mincore,
		SYS_msync,        SYS_pread64,     SYS_close,      SYS_read,    SYS_futex,
		SYS_rt_sigreturn, SYS_sigaltstack, SYS_exit_group, SYS_seccomp, SYS_sched_yield,
	};
	const uint32_t k = ARRAY_SIZE(allowed);
	const uint32_t ip = offsetof(struct seccomp_data, instruction_pointer);
	struct systrap_filter_insn *f = d->filter;
	int n = 0;
#define EMIT(c, t, e, kk)                                                                         \
	do {                                                                                      \
		BUG_ON(n >= SYSTRAP_MAX_FILTER);                                                  \
		f[n++] = (struct systrap_filter_insn){ (uint16_t)(c), (uint8_t)(t), (uint8_t)(e), \
			                               (uint32_t)(kk) };                          \
	} while (0)
#define LOAD(off)         EMIT(BPF_LD | BPF_W | BPF_ABS, 0, 0, off)
#define RET(a)            EMIT(BPF_RET | BPF_K, 0, 0, a)
#define JUMP(op, v, t, e) EMIT(BPF_JMP | (op) | BPF_K, t, e, v)
	BUG_ON((g.code >> 32) != (g.code_end >> 32));
	LOAD(offsetof(struct seccomp_data, arch));
	JUMP(BPF_JEQ, AUDIT_ARCH_X86_64, 1, 0);
	RET(SECCOMP_RET_TRAP); /* the i386 ABI: the sentry refuses it */
	/* From outside [code, code_end] (ip is the address after `syscall`): TRAP. */
	LOAD(ip + 4);
	JUMP(BPF_JEQ, g.code >> 32, 1, 0);
	RET(SECCOMP_RET_TRAP);
	LOAD(ip);
	JUMP(BPF_JGE, (uint32_t)g.code, 1, 0);
	RET(SECCOMP_RET_TRAP);
	JUMP(BPF_JGT, (uint32_t)g.code_end, 0, 1);
	RET(SECCOMP_RET_TRAP);
	/* The stub's own calls: each test jumps over the others and the JA to ALLOW. */
	LOAD(offsetof(struct seccomp_data, nr));
	for (uint32_t i = 0; i < k; i++)
		JUMP(BPF_JEQ, allowed[i], k - i, 0);
	EMIT(BPF_JMP | BPF_JA, 0, 0, 1);
	RET(SECCOMP_RET_ALLOW);
	JUMP(BPF_JEQ, SYS_dup, 0, 1);
	RET(SECCOMP_RET_USER_NOTIF); /* a lent fd: answered by the sentry */
	/* mmap only with MAP_FIXED: the sentry always chooses the address. */
	JUMP(BPF_JEQ, SYS_mmap, 0, 4);
	LOAD(offsetof(struct seccomp_data, args[3]));
	EMIT(BPF_JMP | BPF_JSET | BPF_K, 1, 0, MAP_FIXED);
	RET(SECCOMP_RET_KILL_PROCESS);
	RET(SECCOMP_RET_ALLOW);
	/* arch_prctl only to set fs or gs (the application's, which the sentry keeps). */
	JUMP(BPF_JEQ, SYS_arch_prctl, 0, 4);
	LOAD(offsetof(struct seccomp_data, args[0]));
	JUMP(BPF_JEQ, LINUX_ARCH_SET_FS, 1, 0);
	JUMP(BPF_JEQ, LINUX_ARCH_SET_GS, 0, 10); /* to KILL */
	RET(SECCOMP_RET_ALLOW);
	JUMP(BPF_JEQ, SYS_prctl, 0, 3);
	LOAD(offsetof(struct seccomp_data, args[0]));
	JUMP(BPF_JEQ, PR_SET_PDEATHSIG, 0, 6); /* to KILL */
	RET(SECCOMP_RET_ALLOW);
	JUMP(BPF_JEQ, SYS_clone, 0, 4); /* to KILL */
	LOAD(offsetof(struct seccomp_data, args[0]));
	JUMP(BPF_JEQ, CLONE_PARENT, 1, 0);
	JUMP(BPF_JEQ, CLONE_PARENT | CLONE_VM, 0, 1);
	RET(SECCOMP_RET_ALLOW);
	RET(SECCOMP_RET_KILL_PROCESS);
#undef JUMP
#undef RET
#undef LOAD
#undef EMIT
	d->fprog.len = (uint16_t)n;
	return 0;
}

/* ---- Platform operations ---- */

static void clean_fpstate(struct systrap_ctx *c)
{
	size_t size;
	uint8_t *fx = fpstate_of(c, &size);
	if (!fx)
		return;
	uint8_t sw[48];
	memcpy(sw, fx + FXSAVE_SW_OFFSET, sizeof(sw));
	memset(fx, 0, size);
	memcpy(fx + FXSAVE_SW_OFFSET, sw, sizeof(sw));
	uint16_t fcw = 0x37f;
	uint32_t mxcsr = 0x1f80;
	memcpy(fx, &fcw, sizeof(fcw));
	memcpy(fx + 24, &mxcsr, sizeof(mxcsr));
	/* XSTATE_BV (offset 512) 0: every other component in its init state. */
}

/*
 * A new stub from the factory, in a new address space, ready in its first
 * trap (READY as a SIGTRAP in slot 0). Returns its context or NULL (logged).
 */
static struct systrap_ctx *new_stub(void)
{
	struct systrap_as *as = as_alloc();
	if (!as)
		return NULL;
	int slot = slot_take(as, 0);
	slot_reset(as, slot);
	pthread_mutex_lock(&g.listener_mu);
	pid_t pid = -1;
	int err = 0;
	if (write(g.factory_sock, "n", 1) != 1) {
		err = -errno;
	} else {
		/* The new stub's `dup` asks for its region; its pid is the notification's. */
		struct pollfd p = { .fd = g.listener, .events = POLLIN };
		err = poll(&p, 1, 10000) == 1 ? 0 : -ETIMEDOUT;
		struct seccomp_notif req;
		memset(&req, 0, sizeof(req));
		if (err == 0 && ioctl(g.listener, SECCOMP_IOCTL_NOTIF_RECV, &req) != 0)
			err = -errno;
		if (err == 0) {
			pid = (pid_t)req.pid;
			struct seccomp_notif_addfd addfd = {
				.id = req.id,
				.flags = SECCOMP_ADDFD_FLAG_SEND,
				.srcfd = (uint32_t)as->memfd,
				.newfd_flags = O_CLOEXEC,
			};
			if (req.data.nr != SYS_dup ||
			    ioctl(g.listener, SECCOMP_IOCTL_NOTIF_ADDFD, &addfd) < 0)
				err = -EIO;
		}
	}
	pthread_mutex_unlock(&g.listener_mu);
	struct systrap_ctx *c = NULL;
	if (err == 0) {
		c = ctx_new(as, pid, slot);
		err = c ? wait_event(c) : -ENOMEM;
	}
	if (err == 0 && (!frame_of(c) || msg_of(as, slot)->signo != SIGTRAP))
		err = -EIO;
	if (err == 0) {
		/* The mm's reference is the caller's: as_new hands it over with the as. */
		return c;
	}
	log_warn("systrap: a new stub failed: %s", strerror(-err));
	if (c) {
		kill_stub(c);
		pthread_mutex_lock(&as->mu);
		ctx_unlink_unlock(c);
		free(c);
	} else if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, __WALL);
	}
	pthread_mutex_lock(&as->mu);
	as_unref_unlock(as);
	return NULL;
}

/*
 * The pool of ready stubs (the "pre-created stubs"): an exec takes
 * one instead of waiting for the factory, and a thread of the sentry makes
 * the next while the application runs. POOL_SIZE stubs wait, asleep on
 * their futex words, each with its region: an idle sandbox pays memory
 * for them (a few pages each), no CPU.
 */
#define POOL_SIZE 2

static struct {
	pthread_mutex_t mu;
	pthread_cond_t want; /* signalled when a stub was taken */
	struct systrap_ctx *ready[POOL_SIZE];
	int count;
	bool started;
	bool failing; /* the factory failed: no more refills (as_new reports it) */
} g_pool = { .mu = PTHREAD_MUTEX_INITIALIZER, .want = PTHREAD_COND_INITIALIZER };

static void *pool_refill(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&g_pool.mu);
	for (;;) {
		while (g_pool.count == POOL_SIZE || g_pool.failing)
			pthread_cond_wait(&g_pool.want, &g_pool.mu);
		pthread_mutex_unlock(&g_pool.mu);
		struct systrap_ctx *c = new_stub();
		pthread_mutex_lock(&g_pool.mu);
		if (c)
			g_pool.ready[g_pool.count++] = c;
		else
			g_pool.failing = true;
	}
	return NULL;
}

/* A ready stub from the pool, or NULL when it is empty; starts the refills. */
static struct systrap_ctx *pool_take(void)
{
	pthread_mutex_lock(&g_pool.mu);
	if (!g_pool.started) {
		pthread_t t;
		pthread_attr_t attr;
		pthread_attr_init(&attr);
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		g_pool.started = pthread_create(&t, &attr, pool_refill, NULL) == 0;
		pthread_attr_destroy(&attr);
	}
	struct systrap_ctx *c = g_pool.count > 0 ? g_pool.ready[--g_pool.count] : NULL;
	g_pool.failing = false;
	pthread_cond_signal(&g_pool.want);
	pthread_mutex_unlock(&g_pool.mu);
	return c;
}

static int systrap_as_new(struct platform_as **out_as, struct platform_ctx **out_ctx)
{
	/* A sentry that never confines itself starts the factory here. */
	int err = systrap_prepare_confined();
	if (err < 0)
		return err;
	struct systrap_ctx *c = pool_take();
	if (!c)
		c = new_stub();
	if (!c)
		return -EIO;
	struct k_ucontext *uc = frame_of(c);
	clean_fpstate(c);
	struct linux_regs clean = { 0 };
	clean.cs = uc->uc_mcontext.cs;
	clean.ss = uc->uc_mcontext.ss;
	clean.eflags = 0x202;
	clean.orig_rax = (uint64_t)-1;
	c->regs = clean;
	c->regs_state = REGS_DIRTY;
	own(c);
	*out_as = &c->as->base;
	*out_ctx = &c->base;
	return 0;
}

static void systrap_ctx_destroy(struct platform_ctx *pctx)
{
	struct systrap_ctx *c = to_ctx(pctx);
	kill_stub(c);
	pthread_mutex_lock(&c->as->mu);
	ctx_unlink_unlock(c);
	free(c);
}

static void systrap_as_destroy(struct platform_as *pas)
{
	struct systrap_as *as = to_as(pas);
	pthread_mutex_lock(&as->mu);
	/* Every stub of the as dies; each context is freed by its own ctx_destroy. */
	for (struct systrap_ctx *c = as->ctxs; c; c = c->next) {
		if (!c->reaped)
			kill(c->tid, SIGKILL);
	}
	as_unref_unlock(as);
}

/* The calling thread's context in as: memory operations run in the caller's own context. */
static struct systrap_ctx *ctx_of(struct systrap_as *as)
{
	struct systrap_ctx *c = tls_ctx;
	if (c && c->as == as)
		return c;
	pthread_mutex_lock(&as->mu);
	for (c = as->ctxs; c && c->owner != current_tid(); c = c->next)
		;
	pthread_mutex_unlock(&as->mu);
	BUG_ON(!c);
	return c;
}

static const int g_memop_nr[PLATFORM_MEMOP_COUNT] = {
	[PLATFORM_MEMOP_MMAP] = SYS_mmap,         [PLATFORM_MEMOP_MUNMAP] = SYS_munmap,
	[PLATFORM_MEMOP_MPROTECT] = SYS_mprotect, [PLATFORM_MEMOP_MREMAP] = SYS_mremap,
	[PLATFORM_MEMOP_MADVISE] = SYS_madvise,   [PLATFORM_MEMOP_MINCORE] = SYS_mincore,
	[PLATFORM_MEMOP_MSYNC] = SYS_msync,
};

static long systrap_as_memop(struct platform_as *pas, enum platform_memop op,
                             const uint64_t args[6])
{
	BUG_ON(op < 0 || op >= PLATFORM_MEMOP_COUNT);
	uint64_t a[6];
	memcpy(a, args, sizeof(a));
	if (op == PLATFORM_MEMOP_MMAP)
		a[3] |= MAP_FIXED;
	return stub_call(ctx_of(to_as(pas)), g_memop_nr[op], a);
}

/* c's stub fd for host_fd's open file description, lending it when it has none. */
static long lent_fd_for(struct systrap_ctx *c, int host_fd)
{
	int slot;
	int fd = stub_lent_find(&c->lent, c->tid, host_fd, &slot);
	if (fd >= 0)
		return fd;
	if (c->lent.e[slot].stub_fd >= 0) {
		const uint64_t cargs[6] = { (uint64_t)c->lent.e[slot].stub_fd };
		stub_call(c, SYS_close, cargs);
	}
	long lent = lend_fd(c, host_fd);
	stub_lent_set(&c->lent, slot, lent >= 0 ? (int)lent : -1);
	return lent;
}

static long systrap_as_mmap_fd(struct platform_as *pas, uaddr_t addr, uint64_t len, int prot,
                               int flags, int host_fd, uint64_t off)
{
	struct systrap_ctx *c = ctx_of(to_as(pas));
	long fd = lent_fd_for(c, host_fd);
	if (fd < 0)
		return fd;
	const uint64_t margs[6] = { addr,           len,
		                    (uint64_t)prot, (uint64_t)(flags | MAP_FIXED),
		                    (uint64_t)fd,   off };
	return stub_call(c, SYS_mmap, margs);
}

/*
 * A big read of a regular file, straight into the application's memory:
 * the stub preads the lent fd, so the host copies once, from its page
 * cache to the application's pages (mm.c's as_pread_fd).
 */
static long systrap_as_pread_fd(struct platform_as *pas, int host_fd, uaddr_t dst, uint64_t len,
                                uint64_t off)
{
	struct systrap_ctx *c = ctx_of(to_as(pas));
	long fd = lent_fd_for(c, host_fd);
	if (fd < 0)
		return fd;
	const uint64_t args[6] = { (uint64_t)fd, dst, len, off };
	return stub_call(c, SYS_pread64, args);
}

/*
 * Whether pid, which parent's stub reported as its new thread, is one: a
 * process in parent's address space (kcmp KCMP_VM) that no context has
 * yet. The report comes from memory the application can write; the sentry
 * must never take another process (the gofer, another container's stub)
 * for it, and later kill it.
 */
static bool new_thread_stub(struct systrap_ctx *parent, pid_t pid)
{
	if (pid == parent->tid || syscall(SYS_kcmp, parent->tid, pid, KCMP_VM, 0, 0) != 0)
		return false;
	bool known = false;
	pthread_mutex_lock(&parent->as->mu);
	for (struct systrap_ctx *c = parent->as->ctxs; c && !known; c = c->next)
		known = c->tid == pid;
	pthread_mutex_unlock(&parent->as->mu);
	return !known;
}

/*
 * A clone of a stopped context. The child's slot gets a copy of the
 * parent's frame (a fork's region a copy of the parent's whole slot), so
 * that the child returns to the application through it like its parent.
 */
static int systrap_clone_prepare(struct platform_ctx *pparent, bool share_as,
                                 struct platform_clone **out)
{
	struct systrap_ctx *c = to_ctx(pparent);
	struct systrap_as *as = c->as;
	/* Read once and checked: the application may change its slot meanwhile. */
	uint64_t uc_addr = __atomic_load_n(&msg_of(as, c->slot)->uc, __ATOMIC_RELAXED);
	if (!slot_ptr(as, c->slot, uc_addr, sizeof(struct k_ucontext)))
		return -EIO;
	struct platform_clone *pc = calloc(1, sizeof(*pc));
	if (!pc)
		return -ENOMEM;
	int slot = -1;
	long pid;
	if (share_as) {
		slot = slot_take(as, -1);
		if (slot < 0) {
			free(pc);
			return -EAGAIN;
		}
		slot_reset(as, slot);
		/* The frame, at the same offset in the new slot, and everything above it. */
		size_t off = (size_t)(uc_addr - slot_stub_addr(c->slot)) & ~(size_t)63;
		memcpy((uint8_t *)msg_of(as, slot) + off, (uint8_t *)msg_of(as, c->slot) + off,
		       SYSTRAP_SLOT_SIZE - off);
		uint64_t delta = (uint64_t)(slot - c->slot) * SYSTRAP_SLOT_SIZE;
		struct systrap_msg *cm = msg_of(as, slot);
		uint64_t child_uc = uc_addr + delta;
		cm->uc = child_uc;
		struct k_ucontext *cuc = slot_ptr(as, slot, child_uc, sizeof(*cuc));
		BUG_ON(!cuc); /* uc_addr was checked, and the offset is the same */
		cuc->uc_mcontext.fpstate += delta;
		cm->altstack_sp = slot_stub_addr(slot) + SYSTRAP_MSG_SIZE;
		cm->altstack_size = SYSTRAP_SLOT_SIZE - SYSTRAP_MSG_SIZE;
		cuc->uc_stack.ss_sp = cm->altstack_sp;
		cuc->uc_stack.ss_size = cm->altstack_size;
		cuc->uc_stack.ss_flags = 0;
		uint64_t stack = (child_uc - 512) & ~(uint64_t)15;
		const uint64_t args[6] = { CLONE_PARENT | CLONE_VM, stack, slot_stub_addr(slot) };
		pid = stub_call(c, SYSTRAP_CALL_CLONE_THREAD, args);
		if (pid <= 0 || !new_thread_stub(c, (pid_t)pid)) {
			if (pid > 0)
				log_warn("systrap: stub %d reported %ld, not a new thread of its "
				         "own",
				         c->tid, pid);
			slot_release(as, slot);
			free(pc);
			return pid < 0 ? (int)pid : -EIO;
		}
		pthread_mutex_lock(&as->mu);
		as->refs++; /* the child's ctx_new takes its own: this one is pc's */
		pthread_mutex_unlock(&as->mu);
	} else {
		struct systrap_as *nas = as_alloc();
		if (!nas) {
			free(pc);
			return -ENOMEM;
		}
		slot = c->slot;
		slot_take(nas, slot);
		/*
		 * The message, and the frame with everything above it: what the
		 * child reads. Its stack below the frame is fresh (each page the
		 * sentry copies is one more page fault, some 15 us here).
		 */
		size_t off = (size_t)(uc_addr - slot_stub_addr(slot)) & ~(size_t)63;
		memcpy(msg_of(nas, slot), msg_of(as, slot), sizeof(struct systrap_msg));
		memcpy((uint8_t *)msg_of(nas, slot) + off, (uint8_t *)msg_of(as, slot) + off,
		       SYSTRAP_SLOT_SIZE - off);
		struct systrap_msg *cm = msg_of(nas, slot);
		__atomic_store_n(&cm->state, SYSTRAP_APP, __ATOMIC_RELAXED);
		cm->stub_sleeping = cm->sentry_sleeping = 0;
		cm->altstack_size = 0; /* a fork keeps its parent's */
		cm->set_fs = cm->set_gs = 0;
		pthread_mutex_lock(&g.listener_mu);
		const uint64_t args[6] = { CLONE_PARENT };
		pid = stub_call(c, SYSTRAP_CALL_CLONE_FORK, args);
		/* The child's `dup` proves its pid: only a stub can ask the listener. */
		int err = pid > 0 ? answer_dup((pid_t)pid, nas->memfd, NULL)
		                  : (pid < 0 ? (int)pid : -EIO);
		pthread_mutex_unlock(&g.listener_mu);
		if (err < 0) {
			/* Not proven: never kill a pid the stub merely reported. */
			log_warn("systrap: the fork of stub %d (pid %ld) failed: %s", c->tid, pid,
			         strerror(-err));
			pthread_mutex_lock(&nas->mu);
			as_unref_unlock(nas);
			free(pc);
			return err;
		}
		as = nas;
		pc->new_as = nas;
	}
	struct systrap_ctx *child = ctx_new(as, (pid_t)pid, slot);
	int err = child ? wait_event(child) : -ENOMEM;
	if (err == 0 && msg_of(as, slot)->signo != SYSTRAP_SIGNO_READY)
		err = -EIO;
	if (err < 0) {
		log_warn("systrap: a clone of stub %d failed: %s", c->tid, strerror(-err));
		if (child) {
			kill_stub(child);
			pthread_mutex_lock(&as->mu);
			ctx_unlink_unlock(child);
			free(child);
		} else {
			kill((pid_t)pid, SIGKILL);
			waitpid((pid_t)pid, NULL, __WALL);
		}
		pthread_mutex_lock(&as->mu);
		as_unref_unlock(as); /* pc's reference, or the new as's own */
		free(pc);
		return err;
	}
	child->regs = c->regs;
	child->regs_state = REGS_DIRTY;
	/* Its fd table is a copy of the parent's (no CLONE_FILES): so are its lent fds. */
	child->lent = c->lent;
	child->fs_applied = c->fs_applied;
	child->gs_applied = c->gs_applied;
	pc->child = child;
	*out = pc;
	return 0;
}

static void systrap_clone_abort(struct platform_clone *pc)
{
	struct systrap_ctx *child = pc->child;
	struct systrap_as *as = child->as;
	kill_stub(child);
	pthread_mutex_lock(&as->mu);
	ctx_unlink_unlock(child);
	free(child);
	pthread_mutex_lock(&as->mu);
	as_unref_unlock(as);
	free(pc);
}

static int systrap_clone_attach(struct platform_clone *pc, struct platform_as **out_as,
                                struct platform_ctx **out_ctx)
{
	struct systrap_ctx *child = pc->child;
	if (!pc->new_as) {
		/* pc's reference on the shared as goes: the child's own stays. */
		pthread_mutex_lock(&child->as->mu);
		as_unref_unlock(child->as);
	}
	*out_as = pc->new_as ? &pc->new_as->base : NULL;
	*out_ctx = &child->base;
	own(child);
	free(pc);
	return 0;
}

static ssize_t systrap_as_read(struct platform_as *pas, void *dst, uaddr_t src, size_t len)
{
	return stub_util_vm_copy(&to_as(pas)->pid, false, dst, src, len);
}

static ssize_t systrap_as_write(struct platform_as *pas, uaddr_t dst, const void *src, size_t len)
{
	return stub_util_vm_copy(&to_as(pas)->pid, true, (void *)src, dst, len);
}

static enum platform_event systrap_ctx_switch(struct platform_ctx *pctx, struct platform_fault *out)
{
	struct systrap_ctx *c = to_ctx(pctx);
	tls_ctx = c;
	c->owner = current_tid();
	if (atomic_exchange(&c->interrupted, false))
		return PLATFORM_EV_INTERRUPT;
	uint64_t now = rdtsc();
	if (c->event_tsc)
		average(&c->sentry_cycles, now - c->event_tsc);
	place(c);
	struct systrap_msg *m = msg_of(c->as, c->slot);
	bool fast_sentry = c->sentry_cycles < FAST_US * g.tsc_per_us;
	m->stub_spin_cycles = c->mode != HANDOFF_SLEEP && fast_sentry ? SPIN_US * g.tsc_per_us : 0;
	m->stub_spin_yield = c->mode != HANDOFF_SPIN;
	struct k_ucontext *uc = frame_of(c);
	if (!uc)
		return PLATFORM_EV_DEAD;
	if (c->regs_state != REGS_CLEAN) {
		regs_to_frame(c, uc);
		c->regs_state = REGS_CLEAN;
	}
	if (c->regs.fs_base != c->fs_applied) {
		m->fs_base = c->regs.fs_base;
		m->set_fs = 1;
		c->fs_applied = c->regs.fs_base;
	}
	if (c->regs.gs_base != c->gs_applied) {
		m->gs_base = c->regs.gs_base;
		m->set_gs = 1;
		c->gs_applied = c->regs.gs_base;
	}
	uint64_t resumed = rdtsc();
	post(m, SYSTRAP_RESUME);
	if (wait_event(c) < 0)
		return PLATFORM_EV_DEAD;
	c->event_tsc = rdtsc();
	/*
	 * The application's own run, from the stub's clock readings (whatever
	 * the hand-off cost): untrusted, but only a hint for place().
	 */
	uint64_t full = c->event_tsc - resumed, app = m->trap_tsc - m->resume_tsc;
	if (app > full)
		app = full;
	average(&c->app_cycles, app);
	/* Over about 64 traps: a timer tick on either CPU is no contention. */
	c->handoff_cycles = c->handoff_cycles - (c->handoff_cycles >> 6) + ((full - app) >> 6);
	int sig = m->signo;
	uc = frame_of(c);
	const struct k_siginfo *si = slot_ptr(c->as, c->slot, m->info, sizeof(*si));
	if (!uc || !si) {
		log_warn("systrap: stub %d posted a bad frame", c->tid);
		kill_stub(c);
		return PLATFORM_EV_DEAD;
	}
	if (sig == SIGSYS && si->code == 1 /* SYS_SECCOMP */) {
		bool i386 = si->sys.arch != AUDIT_ARCH_X86_64;
		regs_from_frame(c, uc, true);
		if (i386)
			return PLATFORM_EV_SYSCALL32;
		c->regs.orig_rax = (uint64_t)(int64_t)si->sys.syscall;
		return PLATFORM_EV_SYSCALL;
	}
	regs_from_frame(c, uc, false);
	if (stub_util_is_fault_signal(sig) && si->code > 0) {
		out->signo = sig;
		out->code = si->code;
		out->addr = si->addr;
		out->has_cpu = true;
		out->trapno = uc->uc_mcontext.trapno;
		out->err = uc->uc_mcontext.err;
		out->cr2 = uc->uc_mcontext.cr2;
		return PLATFORM_EV_FAULT;
	}
	return PLATFORM_EV_INTERRUPT;
}

static void systrap_ctx_interrupt(struct platform_ctx *pctx)
{
	struct systrap_ctx *c = to_ctx(pctx);
	atomic_store(&c->interrupted, true);
	if (!__atomic_load_n(&c->reaped, __ATOMIC_RELAXED))
		syscall(SYS_tgkill, c->tid, c->tid, INTERRUPT_SIGNAL);
}

static struct linux_regs *systrap_ctx_regs(struct platform_ctx *pctx)
{
	return &to_ctx(pctx)->regs;
}

static void systrap_ctx_regs_changed(struct platform_ctx *pctx)
{
	to_ctx(pctx)->regs_state = REGS_DIRTY;
}

static void systrap_ctx_set_retval(struct platform_ctx *pctx, uint64_t rax)
{
	struct systrap_ctx *c = to_ctx(pctx);
	c->regs.rax = rax;
	if (c->regs_state == REGS_CLEAN)
		c->regs_state = REGS_RAX_DIRTY;
}

static long systrap_ctx_get_fpstate(struct platform_ctx *pctx, void *buf, size_t size)
{
	size_t have;
	uint8_t *fx = fpstate_of(to_ctx(pctx), &have);
	if (!fx)
		return -EIO;
	memcpy(buf, fx, have < size ? have : size);
	return (long)have;
}

static long systrap_ctx_set_fpstate(struct platform_ctx *pctx, const void *buf, size_t size)
{
	size_t have;
	uint8_t *fx = fpstate_of(to_ctx(pctx), &have);
	if (!fx)
		return -EIO;
	if (size > have)
		size = have;
	/* The software bytes stay the kernel's: rt_sigreturn checks them. */
	memcpy(fx, buf, size < FXSAVE_SW_OFFSET ? size : FXSAVE_SW_OFFSET);
	if (size > 512)
		memcpy(fx + 512, (const uint8_t *)buf + 512, size - 512);
	return 0;
}

static uint64_t systrap_ctx_cpu_time_ns(struct platform_ctx *pctx)
{
	return stub_util_cpu_time_ns(to_ctx(pctx)->tid);
}

const struct platform_ops g_platform_systrap = {
	.name = "systrap",
	.init = systrap_init,
	.prepare_confined = systrap_prepare_confined,
	.layout = systrap_layout,
	.as_new = systrap_as_new,
	.as_destroy = systrap_as_destroy,
	.clone_prepare = systrap_clone_prepare,
	.clone_attach = systrap_clone_attach,
	.clone_abort = systrap_clone_abort,
	.ctx_destroy = systrap_ctx_destroy,
	.as_memop = systrap_as_memop,
	.as_mmap_fd = systrap_as_mmap_fd,
	.as_pread_fd = systrap_as_pread_fd,
	.as_read = systrap_as_read,
	.as_write = systrap_as_write,
	.ctx_switch = systrap_ctx_switch,
	.ctx_interrupt = systrap_ctx_interrupt,
	.ctx_regs = systrap_ctx_regs,
	.ctx_regs_changed = systrap_ctx_regs_changed,
	.ctx_set_retval = systrap_ctx_set_retval,
	.ctx_get_fpstate = systrap_ctx_get_fpstate,
	.ctx_set_fpstate = systrap_ctx_set_fpstate,
	.ctx_cpu_time_ns = systrap_ctx_cpu_time_ns,
};
