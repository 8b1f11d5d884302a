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
 *   EVENT  stub -> sentry: a trap (signo, info, uc) or a host call's result;
 *          a patched call (stub.c's trampoline) posts one too, with
 *          signo SYSTRAP_SIGNO_PATCHED and uc its trampoline frame
 *   RESUME sentry -> stub: return to the application (rt_sigreturn)
 *   CALL   sentry -> stub: run the host call in nr/args, put the result in
 *          ret, and post EVENT again
 * Memory operations the application's own system calls need (mmap,
 * munmap, mprotect) need no hand-off of their own: the sentry queues them
 * in ops[] and the stub runs them, in order, before it returns to the
 * application on RESUME, or before the next CALL. When one fails (the
 * host ran out of memory or of mappings), the stub stops there and posts
 * EVENT with signo SYSTRAP_SIGNO_OPFAILED instead of resuming, or
 * answers the CALL with the op's error; op_failed says which op. The
 * queue also carries the call's writes into private anonymous memory
 * (SYSTRAP_OP_COPY, from the copy-out area); as a system call traps, the
 * stub reads the argument it will read first into the copy-in area.
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
/*
 * A slot: the message's page, the copy-in area (what the stub read of
 * the call's arguments, msg.in_addr), the copy-out area (what the stub
 * writes into the application's memory, SYSTRAP_OP_COPY), then the
 * alternate stack.
 */
#define SYSTRAP_COPYIN_OFF   4096
#define SYSTRAP_COPYIN_SIZE  4096
#define SYSTRAP_COPYOUT_OFF  (SYSTRAP_COPYIN_OFF + SYSTRAP_COPYIN_SIZE)
#define SYSTRAP_COPYOUT_SIZE 8192
#define SYSTRAP_MSG_SIZE     (SYSTRAP_COPYOUT_OFF + SYSTRAP_COPYOUT_SIZE) /* up to the stack */

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
/* msg.signo of a patched system call: uc is the trampoline frame, its number in rax. */
#define SYSTRAP_SIGNO_PATCHED (-2)

/* The registers of fds the stub received for queued mappings (SYSTRAP_OP_LEND). */
#define SYSTRAP_LENT_REGS 4

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
	uint64_t lend_buf[16]; /* struct systrap_lend_layout */
	/*
	 * Patched system calls (the trampoline, stub.c's systrap_stub_syscall,
	 * which finds the message at %gs: the offsets below are its).
	 * Set by the sentry when it sets the slot up:
	 */
	uint64_t tramp_entry; /* systrap_stub_syscall in the stub: the table jumps there */
	uint64_t tframe;      /* the trampoline frame's ucontext (SYSTRAP_TFRAME_OFF + 8) */
	uint8_t fp_sw[48];    /* the kernel's software bytes of a frame's XSAVE area */
	/* Set by the sentry on each RESUME of a patched call: return by rt_sigreturn. */
	uint32_t resume_full;
	/* Set by the handler: an interrupt came while the trampoline ran. */
	uint32_t pending;
	/* The trampoline's own: the application's rsp on entry, and where it returns. */
	uint64_t app_rsp, ret_rip, ret_rsp;
	/*
	 * Set by the stub with a system call's EVENT: the copy-in area holds
	 * the in_len bytes of application memory at in_addr, the argument the
	 * call will read (a path, a struct), read by the stub as it trapped.
	 */
	uint64_t in_addr;
	uint32_t in_len;
	uint32_t in_pad;
	/* Set by the stub: the fds SYSTRAP_OP_LEND received, by register. */
	int32_t lent[SYSTRAP_LENT_REGS];
};

/*
 * An entry of the trap table (patch.c), for the site whose `syscall` it
 * replaces: the trampoline reads the number and the return address there.
 */
#define SYSTRAP_PATCH_ENTRY_NR  21 /* the imm32 of its fallback's `mov $nr, %eax` */
#define SYSTRAP_PATCH_ENTRY_RET 33 /* the return address */

/* The trampoline's %gs offsets (checked against offsetof in stub.c). */
#define SYSTRAP_MSG_TRAMP_ENTRY_OFF 2112
#define SYSTRAP_MSG_TFRAME_OFF      2120
#define SYSTRAP_MSG_PENDING_OFF     2180
#define SYSTRAP_MSG_APP_RSP_OFF     2184
#define SYSTRAP_MSG_RET_RIP_OFF     2192
#define SYSTRAP_MSG_RET_RSP_OFF     2200

/*
 * The trampoline frame: where a patched call's registers go, laid out as
 * the kernel's rt_sigframe (pretcode, ucontext, siginfo, then the XSAVE
 * area), so that the sentry reads and edits it as a signal frame and the
 * stub can return through it with rt_sigreturn. It lies in the middle of
 * the alternate stack: the trampoline's own stack grows down below it,
 * and the kernel's frame of a signal that arrives meanwhile goes below
 * that stack or, before the trampoline switched to it, at the top, above
 * this frame (16 KiB is room for any XSAVE area short of AMX's).
 */
#define SYSTRAP_TFRAME_OFF    (32 * 1024)
#define SYSTRAP_TFRAME_INFO   320 /* offset of the siginfo */
#define SYSTRAP_TFRAME_FP     448 /* offset of the XSAVE area (64-aligned) */
#define SYSTRAP_TFRAME_FP_MAX (16 * 1024 - SYSTRAP_TFRAME_FP - 64)
/* Offsets of the registers in a ucontext (struct sigcontext at 40). */
#define SYSTRAP_UC_R8     40
#define SYSTRAP_UC_R9     48
#define SYSTRAP_UC_R10    56
#define SYSTRAP_UC_R11    64
#define SYSTRAP_UC_R12    72
#define SYSTRAP_UC_R13    80
#define SYSTRAP_UC_R14    88
#define SYSTRAP_UC_R15    96
#define SYSTRAP_UC_RDI    104
#define SYSTRAP_UC_RSI    112
#define SYSTRAP_UC_RBP    120
#define SYSTRAP_UC_RBX    128
#define SYSTRAP_UC_RDX    136
#define SYSTRAP_UC_RAX    144
#define SYSTRAP_UC_RCX    152
#define SYSTRAP_UC_RSP    160
#define SYSTRAP_UC_RIP    168
#define SYSTRAP_UC_EFLAGS 176

/*
 * The kernel's signal frame (arch/x86/include/uapi/asm/sigcontext.h,
 * ucontext.h), which both sides read.
 */
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
/*
 * A queued op or a call: writes the 7 bytes of args[1] (little-endian) over
 * the system-call site at args[0] (stub.c's patch_site).
 */
#define SYSTRAP_OP_PATCH 1003
/*
 * A queued op: copies args[2] bytes at args[1] in the copy-out area to
 * the application's args[0] (private anonymous memory: a fault there
 * means that the sentry's tree and the host disagree, and fails the op).
 */
#define SYSTRAP_OP_COPY 1004
/*
 * A queued op: receives the fd the sentry sent on the lend socket, the
 * datagram whose number is args[1], from the stub's socket args[0] (the
 * recvmsg laid out in lend_buf; a datagram with another number is
 * closed and the next one read), into the register lent[args[2]], for
 * the SYSTRAP_OP_MMAP_LENT that follows. And that one: mmap(args[0],
 * args[1], args[2], args[3], lent[args[4]], args[5]).
 */
#define SYSTRAP_OP_LEND      1005
#define SYSTRAP_OP_MMAP_LENT 1006

/*
 * A lending's recvmsg in lend_buf: a struct msghdr, its one iovec, the
 * datagram's sequence number, and a control buffer for one fd
 * (handoff.c checks the layout against libc's).
 */
struct systrap_lend_layout {
	uint64_t name;
	uint32_t namelen, pad0;
	uint64_t iov, iovlen, control, controllen;
	int32_t flags, pad1;
	uint64_t iov_base, iov_len;
	uint64_t seq;
	uint64_t cmsg_len;
	int32_t cmsg_level, cmsg_type;
	int32_t fd, pad2;
};

/* systrap_stub_clone's modes. */
#define SYSTRAP_CLONE_THREAD 0
#define SYSTRAP_CLONE_FORK   1
#define SYSTRAP_CLONE_NEW    2 /* the factory's: a new stub, which traps with int3 when ready */

/* The stub code's entry points (in the section systrap_stub). */
void systrap_stub_handler(int sig, void *info, void *uc);
void systrap_stub_restorer(void);
void systrap_stub_syscall(void);
int systrap_stub_tramp(struct systrap_msg *m);
int systrap_stub_tramp_pending(struct systrap_msg *m);

/* The host signal that interrupts a running stub (SIGCHLD). */
#define SYSTRAP_INTERRUPT_SIGNO 17
void systrap_stub_factory(struct systrap_factory_data *d);

#endif /* PLATFORM_SYSTRAP_STUB_H */
