/*
 * What the systrap stub code (stub.c) and the sentry (systrap.c) share:
 * the layout of the shared region and the hand-off protocol.
 *
 * Each address space has one shared region: a memfd mapped at
 * SYSTRAP_REGION_BASE in every stub process of the address space, and
 * anywhere in the sentry. It is an array of slots, one per stub thread
 * (context). A slot is its thread's message (struct systrap_msg) followed
 * by its alternate signal stack, where the host kernel writes the signal
 * frame of every trap: the sentry reads and edits the application's
 * registers right there.
 *
 * The application can write the region too (it is mapped in its address
 * space), so the sentry treats every byte of it as untrusted input, and a
 * thread that corrupts its own slot can only hurt itself.
 *
 * The hand-off (msg.state, a futex word shared between processes):
 *   APP    the stub runs the application (or is on its way to the handler)
 *   EVENT  stub -> sentry: a trap (signo, info, uc) or a host call's result
 *   RESUME sentry -> stub: return to the application (rt_sigreturn)
 *   CALL   sentry -> stub: run the host call in nr/args, put the result in
 *          ret, and post EVENT again
 * Memory operations the application's own system calls need (mmap,
 * munmap, mprotect) need no hand-off of their own: the sentry queues them
 * in ops[] and the stub runs them, in order, before it returns to the
 * application on RESUME, or before the next CALL. When one fails (the
 * host ran out of memory or of mappings), the stub stops there and posts
 * EVENT with signo SYSTRAP_SIGNO_OPFAILED instead of resuming, or
 * answers the CALL with the op's error; op_failed says which op.
 * Each side spins for a while before it sleeps on the futex, and says that
 * it sleeps (stub_sleeping, sentry_sleeping), so that the other side wakes
 * it only then: a store of state, then a load of the other's flag, on both
 * sides (sequentially consistent), so no wake-up is lost.
 */
#ifndef PLATFORM_SYSTRAP_STUB_H
#define PLATFORM_SYSTRAP_STUB_H

#include <stdint.h>

#define SYSTRAP_SLOT_SIZE   (64 * 1024) /* a power of two: a slot is found from rsp */
#define SYSTRAP_MAX_SLOTS   512
#define SYSTRAP_REGION_SIZE ((uint64_t)SYSTRAP_SLOT_SIZE * SYSTRAP_MAX_SLOTS)
#define SYSTRAP_MSG_SIZE    4096 /* the message's page; the alternate stack follows */

enum systrap_state {
	SYSTRAP_APP = 0,
	SYSTRAP_EVENT = 1,
	SYSTRAP_RESUME = 2,
	SYSTRAP_CALL = 3,
};

/* msg.signo of a new stub thread that is ready (a clone's child, before it ever trapped). */
#define SYSTRAP_SIGNO_READY 0
/* msg.signo when a queued operation failed on RESUME (see op_failed). */
#define SYSTRAP_SIGNO_OPFAILED (-1)

/* The most memory operations queued at once (msg.ops). */
#define SYSTRAP_MAX_OPS 32
struct systrap_op {
	uint64_t nr; /* mmap (which must return args[0]), munmap or mprotect (0) */
	uint64_t args[6];
};

struct systrap_msg {
	uint32_t state;           /* enum systrap_state: the futex word */
	uint32_t stub_sleeping;   /* the stub waits on the futex */
	uint32_t sentry_sleeping; /* the sentry waits on the futex */
	int32_t signo;            /* the trap's signal, or SYSTRAP_SIGNO_READY */
	uint64_t info;            /* siginfo_t * of the trap, in the stub */
	uint64_t uc;              /* ucontext_t * of the trap (the frame to return through) */
	/* A host call (CALL). */
	uint64_t nr;
	uint64_t args[6];
	int64_t ret;
	/* Applied before RESUME when set: arch_prctl(ARCH_SET_FS / ARCH_SET_GS). */
	uint64_t fs_base, gs_base;
	uint32_t set_fs, set_gs;
	/* For a clone's child: where the region is, and the alternate stack to take. */
	uint64_t region_base;
	uint64_t altstack_sp, altstack_size;
	/* How long the stub spins before it sleeps, in TSC cycles (0: it sleeps at once). */
	uint64_t stub_spin_cycles;
	/* Spin with sched_yield (the sentry shares the stub's CPU) rather than pause. */
	uint32_t stub_spin_yield;
	uint32_t pad;
	/* The TSC when the stub last returned to the application, and when it trapped. */
	uint64_t resume_tsc, trap_tsc;
	/* Queued memory operations (see above): nops of ops, run before RESUME or CALL. */
	uint32_t nops;
	uint32_t op_failed; /* set by the stub: 1 + the index of the op that failed */
	int64_t op_err;     /* that op's result */
	struct systrap_op ops[SYSTRAP_MAX_OPS];
	/* A lent fd's recvmsg: its header, data and control buffer, laid out by the sentry. */
	uint64_t lend_buf[16];
};

/* For stub.c's assembly: where region_base is in the message, and the region's size. */
#define SYSTRAP_MSG_REGION_BASE_OFF 120
#define SYSTRAP_REGION_SIZE_HEX     "0x2000000"

/* What the stub factory needs, without a stack or libc: a page the sentry writes. */
#define SYSTRAP_MAX_RANGES 16
#define SYSTRAP_MAX_FILTER 96
struct systrap_filter_insn {
	uint16_t code;
	uint8_t jt, jf;
	uint32_t k;
};
struct systrap_factory_data {
	uint64_t nranges;
	struct {
		uint64_t start, len;
	} ranges[SYSTRAP_MAX_RANGES]; /* the sentry's memory, to unmap */
	struct {
		uint16_t len;
		uint64_t filter; /* struct systrap_filter_insn * */
	} fprog;
	struct systrap_filter_insn filter[SYSTRAP_MAX_FILTER];
	/*
	 * A page shared with the sentry (MAP_SHARED): the factory sets its
	 * first word to 1 and wakes the futex there once its filter and
	 * listener are in place, then unmaps it (no stub inherits it).
	 */
	uint64_t ready_page;
	struct systrap_msg msg; /* only region_base: a new stub maps its region there */
};

/* Host calls the stub makes for the sentry that are not plain system calls (msg.nr). */
#define SYSTRAP_CALL_CLONE_FORK   1000 /* args[0]: flags; the child remaps the region (dup) */
#define SYSTRAP_CALL_CLONE_THREAD 1001 /* args[0]: flags, [1]: stack, [2]: the child's msg */
#define SYSTRAP_CALL_FLUSH        1002 /* nothing: runs the queued ops */

/* systrap_stub_clone's modes. */
#define SYSTRAP_CLONE_THREAD 0
#define SYSTRAP_CLONE_FORK   1
#define SYSTRAP_CLONE_NEW    2 /* the factory's: a new stub, which traps with int3 when ready */

/* The stub code's entry points (in the section systrap_stub). */
void systrap_stub_handler(int sig, void *info, void *uc);
void systrap_stub_restorer(void);
void systrap_stub_factory(struct systrap_factory_data *d);

#endif /* PLATFORM_SYSTRAP_STUB_H */
