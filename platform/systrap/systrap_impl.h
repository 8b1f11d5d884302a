/*
 * The systrap platform's internals, shared by its files:
 *   systrap.c  the platform operations: contexts, registers, clones, the switch;
 *   handoff.c  the hand-off between a stub and its sentry thread, and fd lending;
 *   factory.c  the stub image, its filter, the factory, and the pool of ready stubs;
 *   patch.c    patched system calls (--syscall-patching): the trap table, the sites.
 * The design is in systrap.c's header comment and docs/architecture.md 3b.
 */
#ifndef PLATFORM_SYSTRAP_SYSTRAP_IMPL_H
#define PLATFORM_SYSTRAP_SYSTRAP_IMPL_H

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
#define INTERRUPT_SIGNAL SYSTRAP_INTERRUPT_SIGNO
_Static_assert(SYSTRAP_INTERRUPT_SIGNO == SIGCHLD, "the interrupt signal");
#define SA_RESTORER 0x04000000
/* The hand-off's tuning: see "The hand-off, sentry side". */
#define SPIN_US            50    /* the longest a side spins before it sleeps on the futex */
#define FAST_US            20    /* an application or a sentry faster than this is spun for */
#define CONTENDED_NS       1500  /* a spinning hand-off slower than this: the CPUs are busy */
#define YIELD_CONTENDED_NS 40000 /* a yielding one slower than this: its CPU is shared */
#define RETRY_SWITCHES     4096  /* switches on one CPU before spinning is tried again */
#define SETTLE_SWITCHES    64    /* switches after a move to two CPUs before it is judged */
#define BUSY_SWITCHES      256   /* switches on one CPU while the others are busy (apps_running) */
#define AVG_SHIFT          3     /* moving averages over about 8 traps */
/* How long a stub may take to ask for an fd the sentry expects it to ask for. */
#define ANSWER_TIMEOUT_MS 5000
/* How long the sentry sleeps on a stub before it checks that the stub lives. */
#define LIVENESS_NS (20 * 1000 * 1000)

extern const char __start_systrap_stub[], __stop_systrap_stub[];

#define FXSAVE_SW_OFFSET 464
#define FP_XSTATE_MAGIC1 0x46505853U
struct fpx_sw {
	uint32_t magic1, extended_size;
	uint64_t xfeatures;
	uint32_t xstate_size, pad[7];
};

/* ---- Globals: the stub image and the factory (defined in factory.c) ---- */

struct systrap_globals {
	bool ready;
	uaddr_t region_base; /* where every stub maps its region */
	uaddr_t code, code_end;
	uaddr_t max_addr, vdso_base;
	struct systrap_factory_data *data;
	uaddr_t factory_stack_top;
	uint32_t *factory_ready; /* the factory's ready page (systrap_factory_data.ready_page) */
	cpu_set_t cpus;
	uint64_t tsc_per_us; /* TSC cycles per microsecond */
	pid_t factory;
	int factory_sock;
	int listener;
	atomic_int apps_running; /* contexts whose application runs (ctx_switch's wait) */
	/* System-call patching (patch.c): on, and the kernel's software bytes of an XSAVE frame. */
	bool patching;
	uint8_t fp_sw[48];
	/* Serialises the listener: the one notification pending is the expected one. */
	pthread_mutex_t listener_mu;
};
extern struct systrap_globals g_systrap;

/* ---- Address spaces and contexts ---- */

enum regs_state { REGS_CLEAN, REGS_RAX_DIRTY, REGS_DIRTY };

/* How a context waits for its stub (see systrap_place()). */
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
	atomic_int queued;               /* contexts with memory operations queued */
	/* The sentry's writes into the as's memory, counted (what a stub read ahead is older). */
	_Atomic uint64_t writes;
	/*
	 * Lending fds (systrap_lend_fd): a datagram socket pair, the sentry's
	 * end and the one each stub holds; -1 until the first lend. lend_mu
	 * keeps each datagram for the stub that receives next.
	 */
	int lend_sock[2];
	pthread_mutex_t lend_mu;
	uint64_t lend_seq;
	int refs;                    /* the contexts', and the mm's until as_destroy */
	struct systrap_patch *patch; /* patched system calls (patch.c); NULL when off */
};

struct systrap_ctx {
	struct platform_ctx base;
	struct systrap_as *as;
	struct systrap_ctx *next;
	pid_t tid;
	pid_t owner; /* the sentry thread that drives it (gettid) */
	int slot;
	bool reaped;            /* killed: the sentry signals it no more */
	bool slot_reaped_later; /* its slot is freed by the reaper, once the stub is gone */
	/* The hand-off (see "The hand-off, sentry side"). */
	struct stub_pin pin; /* the pair's CPU: both on one, or in SPIN the sentry thread's */
	enum handoff mode;
	unsigned retry;          /* switches left before spinning is tried again, */
	enum handoff retry_mode; /* in this mode meanwhile */
	unsigned retry_backoff;  /* the next retry's multiple of RETRY_SWITCHES */
	unsigned settle;         /* switches left before a new spin placement is judged */
	uint64_t app_cycles;     /* moving averages: the application's run between traps, */
	uint64_t sentry_cycles;  /* the sentry's work on a trap, */
	uint64_t handoff_cycles; /* and the hand-off's own cost, both ways */
	uint64_t event_tsc;      /* when the last event was seen */
	enum regs_state regs_state;
	struct linux_regs regs;
	uint64_t fs_applied, gs_applied; /* the application's fs_base and gs_base, applied */
	uint64_t gs_host;                /* the stub's own gs_base (its slot, for patched calls) */
	bool trapped;                    /* the last event was a SIGSYS (not a patched call) */
	bool fp_dirty;                   /* the sentry changed the FP state since the event */
	struct stub_lent_fds lent;       /* host fds lent to this stub process */
	atomic_bool interrupted;
	unsigned nops; /* memory operations queued in the slot (systrap_queue_op) */
	/*
	 * What the stub read ahead of the call the last event is (msg.in_addr):
	 * in_len bytes at in_addr, in the slot's copy-in area, as they were
	 * when the as had seen in_writes writes. 0 once the call may have
	 * changed that memory otherwise (systrap_copyin_drop).
	 */
	uint64_t in_addr;
	uint32_t in_len;
	uint64_t in_writes;
	/* Bytes of the copy-out area that queued SYSTRAP_OP_COPYs use. */
	uint32_t out_used;
	int stub_sock; /* the stub's fd of its as's lend_sock[1], or -1 */
	bool doomed;   /* a queued operation failed: the process dies at the next switch */
};

struct platform_clone {
	struct systrap_ctx *child; /* made, not yet attached */
	struct systrap_as *new_as; /* a fork's */
};

static inline struct systrap_as *to_as(struct platform_as *p)
{
	return container_of(p, struct systrap_as, base);
}

static inline struct systrap_ctx *to_ctx(struct platform_ctx *p)
{
	return container_of(p, struct systrap_ctx, base);
}

static inline struct systrap_msg *msg_of(struct systrap_as *as, int slot)
{
	return (struct systrap_msg *)(as->region + (size_t)slot * SYSTRAP_SLOT_SIZE);
}

/* Forgets what c's stub read ahead: its call is about to change memory. */
static inline void systrap_copyin_drop(struct systrap_ctx *c)
{
	c->in_len = 0;
}

static inline uaddr_t slot_stub_addr(int slot)
{
	return g_systrap.region_base + (uaddr_t)slot * SYSTRAP_SLOT_SIZE;
}

/*
 * The sentry's pointer to len bytes at stub address addr, which must lie
 * in the alternate stack of slot; NULL when the stub posted a bad pointer.
 */
static inline void *slot_ptr(struct systrap_as *as, int slot, uint64_t addr, size_t len)
{
	uaddr_t lo = slot_stub_addr(slot) + SYSTRAP_MSG_SIZE;
	uaddr_t hi = slot_stub_addr(slot) + SYSTRAP_SLOT_SIZE;
	if (addr < lo || addr > hi || len > hi - addr)
		return NULL;
	return as->region + (addr - g_systrap.region_base);
}

static inline struct k_ucontext *frame_of(struct systrap_ctx *c)
{
	struct systrap_msg *m = msg_of(c->as, c->slot);
	return slot_ptr(c->as, c->slot, __atomic_load_n(&m->uc, __ATOMIC_RELAXED),
	                sizeof(struct k_ucontext));
}

static inline uint64_t systrap_rdtsc(void)
{
	return __builtin_ia32_rdtsc();
}

/* systrap.c: address spaces and contexts. */
struct systrap_as *systrap_as_alloc(void);
void systrap_as_unref_unlock(struct systrap_as *as);
int systrap_slot_take(struct systrap_as *as, int want);
void systrap_slot_reset(struct systrap_as *as, int slot);
struct systrap_ctx *systrap_ctx_new(struct systrap_as *as, pid_t tid, int slot);
void systrap_ctx_unlink_unlock(struct systrap_ctx *c);
/* Starts fn(NULL) on a detached thread of the sentry: false when it could not. */
bool systrap_start_thread(void *(*fn)(void *));
void systrap_kill_stub(struct systrap_ctx *c);

/* The calling sentry thread's context in as (memory operations run there). */
struct systrap_ctx *systrap_ctx_of(struct systrap_as *as);
/* The calling sentry thread's context in as, or NULL (systrap_ctx_of: there must be one). */
struct systrap_ctx *systrap_ctx_mine(struct systrap_as *as);
/* The context the calling sentry thread last switched to (or made). */
extern _Thread_local struct systrap_ctx *systrap_tls_ctx;

/* memory.c: the platform's memory operations, lent fds and copies (platform.h). */
long systrap_as_memop(struct platform_as *pas, enum platform_memop op, const uint64_t args[6]);
long systrap_as_mmap_fd(struct platform_as *pas, uaddr_t addr, uint64_t len, int prot, int flags,
                        int host_fd, uint64_t off);
long systrap_as_pread_fd(struct platform_as *pas, int host_fd, uaddr_t dst, uint64_t len,
                         uint64_t off);
ssize_t systrap_as_read(struct platform_as *pas, void *dst, uaddr_t src, size_t len);
ssize_t systrap_as_write(struct platform_as *pas, uaddr_t dst, const void *src, size_t len);
ssize_t systrap_as_write_private(struct platform_as *pas, uaddr_t dst, const void *src, size_t len);

/* patch.c: patched system calls. */
struct systrap_patch;
struct systrap_patch *systrap_patch_new(void);
void systrap_patch_copy(struct systrap_patch *to, const struct systrap_patch *from);
void systrap_patch_layout(struct platform_layout *out);
uaddr_t systrap_ctx_syscall_site(struct platform_ctx *pctx);
int systrap_as_patch_syscall(struct platform_as *pas, uaddr_t site, uint64_t nr);
int systrap_as_unpatch_syscalls(struct platform_as *pas);
int systrap_patch_fixup(struct systrap_ctx *c);

/* handoff.c: the hand-off and fd lending. */
void systrap_post(struct systrap_msg *m, uint32_t state);
int systrap_wait_event(struct systrap_ctx *c);
void systrap_place(struct systrap_ctx *c);
void systrap_average(uint64_t *avg, uint64_t sample);
long systrap_stub_call(struct systrap_ctx *c, long nr, const uint64_t args[6]);
bool systrap_queue_op(struct systrap_ctx *c, long nr, const uint64_t args[6]);
/* An op whose result nobody waits for: queued, or run now when it cannot be. */
void systrap_queue_or_call(struct systrap_ctx *c, long nr, const uint64_t args[6]);
void systrap_ops_ran(struct systrap_ctx *c);
int systrap_answer_dup(pid_t pid, int host_fd, bool *reaped);
long systrap_lend_fd(struct systrap_ctx *c, int host_fd, int reg, bool queue);
int systrap_lend_socket(struct systrap_ctx *c);

/* factory.c: init, the factory, and ready stubs. */
int systrap_init(void);
int systrap_prepare_confined(void);
void systrap_layout(struct platform_layout *out);
/* A stub in a new address space, waiting in its first trap: from the pool, or made now. */
struct systrap_ctx *systrap_ready_stub(void);

#endif /* PLATFORM_SYSTRAP_SYSTRAP_IMPL_H */
