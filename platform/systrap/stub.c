/*
 * The systrap stub: the only sentry code that runs in a stub process.
 *
 * Freestanding: no libc, no data of its own, nothing but position-
 * independent code in the section systrap_stub, which the sentry copies to
 * a page of every stub (systrap.c). It is built with flags that keep the
 * compiler from calling anything outside it (see meson.build).
 *
 * Three entry points:
 *   - systrap_stub_factory: the first stub process, made by the sentry
 *     before it confines itself. It drops the sentry's memory, installs
 *     the stub filter (which every stub inherits), and then makes a new
 *     stub for each byte the sentry writes to its socket.
 *   - systrap_stub_handler: the handler of every trap (SIGSYS from the
 *     filter, faults, the sentry's interrupt signal), on the thread's
 *     alternate stack in its slot of the shared region. It posts the
 *     event and runs the sentry's host calls until the sentry resumes it;
 *     returning from it is the rt_sigreturn that runs the application on.
 *   - systrap_stub_restorer: the handlers' sa_restorer.
 * New stub threads and processes start in stub_clone's child path.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "platform/systrap/stub.h"

#define STUB  __attribute__((section("systrap_stub"), used))
#define NAKED __attribute__((section("systrap_stub"), naked, used))

_Static_assert(offsetof(struct systrap_msg, region_base) == SYSTRAP_MSG_REGION_BASE_OFF,
               "stub.c's assembly");
_Static_assert(SYSTRAP_REGION_SIZE == 0x2000000, "SYSTRAP_REGION_SIZE_HEX");
_Static_assert(sizeof(struct systrap_msg) <= SYSTRAP_COPYIN_OFF, "the message's page");
_Static_assert(SYSTRAP_MSG_SIZE + 16 * 1024 <= SYSTRAP_TFRAME_OFF,
               "the trampoline's stack, below its frame");
_Static_assert(offsetof(struct systrap_msg, tramp_entry) == SYSTRAP_MSG_TRAMP_ENTRY_OFF &&
                       offsetof(struct systrap_msg, tframe) == SYSTRAP_MSG_TFRAME_OFF &&
                       offsetof(struct systrap_msg, pending) == SYSTRAP_MSG_PENDING_OFF &&
                       offsetof(struct systrap_msg, app_rsp) == SYSTRAP_MSG_APP_RSP_OFF &&
                       offsetof(struct systrap_msg, ret_rip) == SYSTRAP_MSG_RET_RIP_OFF &&
                       offsetof(struct systrap_msg, ret_rsp) == SYSTRAP_MSG_RET_RSP_OFF,
               "the trampoline's %gs offsets");
_Static_assert(offsetof(struct k_ucontext, uc_mcontext.r8) == SYSTRAP_UC_R8 &&
                       offsetof(struct k_ucontext, uc_mcontext.r11) == SYSTRAP_UC_R11 &&
                       offsetof(struct k_ucontext, uc_mcontext.rdx) == SYSTRAP_UC_RDX &&
                       offsetof(struct k_ucontext, uc_mcontext.rip) == SYSTRAP_UC_RIP &&
                       offsetof(struct k_ucontext, uc_mcontext.eflags) == SYSTRAP_UC_EFLAGS,
               "the trampoline's frame offsets");
_Static_assert(8 + sizeof(struct k_ucontext) <= SYSTRAP_TFRAME_INFO &&
                       SYSTRAP_TFRAME_INFO + 128 <= SYSTRAP_TFRAME_FP,
               "the trampoline frame's layout");

/* Host syscall numbers and constants (x86-64), without libc's headers. */
#define NR_read         0
#define NR_close        3
#define NR_mmap         9
#define NR_mprotect     10
#define NR_munmap       11
#define NR_rt_sigreturn 15
#define NR_dup          32
#define NR_clone        56
#define NR_exit_group   231
#define NR_recvmsg      47
#define NR_sched_yield  24
#define NR_futex        202
#define NR_sigaltstack  131
#define NR_prctl        157
#define NR_arch_prctl   158
#define NR_seccomp      317

#define STR(x)  #x
#define XSTR(x) STR(x)

#define FUTEX_WAIT 0
#define FUTEX_WAKE 1

static inline STUB long sc6(long nr, long a, long b, long c, long d, long e, long f)
{
	long ret;
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	register long r9 __asm__("r9") = f;
	__asm__ volatile("syscall"
	                 : "=a"(ret)
	                 : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
	                 : "rcx", "r11", "memory");
	return ret;
}

static inline STUB long sc3(long nr, long a, long b, long c)
{
	return sc6(nr, a, b, c, 0, 0, 0);
}

static inline STUB uint32_t load(uint32_t *p)
{
	return __atomic_load_n(p, __ATOMIC_SEQ_CST);
}

static inline STUB void store(uint32_t *p, uint32_t v)
{
	__atomic_store_n(p, v, __ATOMIC_SEQ_CST);
}

/* Posts state to the sentry and wakes it if it sleeps. */
static STUB void post(struct systrap_msg *m, uint32_t state)
{
	store(&m->state, state);
	if (load(&m->sentry_sleeping))
		sc6(NR_futex, (long)&m->state, FUTEX_WAKE, 1, 0, 0, 0);
}

/* Waits until the sentry changes state from EVENT; returns the new state. */
static STUB uint32_t wait_sentry(struct systrap_msg *m)
{
	uint64_t budget = m->stub_spin_cycles, start = __builtin_ia32_rdtsc();
	uint32_t st;
	do {
		st = load(&m->state);
		if (st != SYSTRAP_EVENT)
			return st;
		if (m->stub_spin_yield)
			sc3(NR_sched_yield, 0, 0, 0);
		else
			__builtin_ia32_pause();
	} while (__builtin_ia32_rdtsc() - start < budget);
	store(&m->stub_sleeping, 1);
	while ((st = load(&m->state)) == SYSTRAP_EVENT)
		sc6(NR_futex, (long)&m->state, FUTEX_WAIT, SYSTRAP_EVENT, 0, 0, 0);
	store(&m->stub_sleeping, 0);
	return st;
}

/*
 * Writes the 7 bytes of code (little-endian) over the system-call site at
 * site, in a private read-and-execute mapping (the sentry checked). A
 * patch turns `mov $nr, %eax; syscall` into `jmp *entry`, an absolute
 * indirect jump through the trap table below 2 GiB, whose third address
 * byte is 0x06, an invalid instruction in 64-bit mode, right where the
 * `syscall` was. Other threads may run the site meanwhile, so the bytes
 * are stored one by one in an order where each state they can see (x86
 * makes stores visible in order) is safe: first the 0x06 at `syscall` (a
 * thread past the `mov` faults there, and the sentry runs the call it
 * meant: patch.c's fixup), then the address bytes from the last, each
 * step leaving the `mov`'s number either whole or at least 0x1000 (the
 * fixup restarts those at the jump), then the opcode. (Undoing a patch,
 * the sentry's only thread of the process is the caller.)
 */
static STUB void patch_site(uint64_t site, uint64_t code)
{
	uint64_t lo = site & ~4095ULL, hi = (site + 7 + 4095) & ~4095ULL;
	if (sc3(NR_mprotect, (long)lo, (long)(hi - lo), 7 /* RWX */) != 0)
		return;
	volatile uint8_t *p = (volatile uint8_t *)site;
	p[5] = (uint8_t)(code >> 40);
	p[6] = (uint8_t)(code >> 48);
	p[4] = (uint8_t)(code >> 32);
	p[3] = (uint8_t)(code >> 24);
	p[2] = (uint8_t)(code >> 16);
	p[1] = (uint8_t)(code >> 8);
	p[0] = (uint8_t)code;
	sc3(NR_mprotect, (long)lo, (long)(hi - lo), 5 /* READ | EXEC */);
}

/*
 * Copies len bytes between the application's memory and the slot;
 * returns how many it could not (a fault there: the handler resumes the
 * copy at systrap_stub_copy_done, with rcx what was left).
 */
uint64_t systrap_stub_copy(void *dst, const void *src, uint64_t len);
extern const char systrap_stub_copy_done[] __attribute__((visibility("hidden")));
/* clang-format off */
NAKED uint64_t systrap_stub_copy(void *dst, const void *src, uint64_t len)
{
	__asm__ volatile(
	        "mov %rdx, %rcx\n\t"
	        "rep movsb\n"
	        "systrap_stub_copy_done:\n\t"
	        "mov %rcx, %rax\n\t"
	        "ret\n\t");
}
/* clang-format on */

/* SYSTRAP_OP_COPY: 0, or -EFAULT (the bounds are read from the slot: checked). */
static STUB long copy_out(struct systrap_msg *m, uint64_t dst, uint64_t off, uint64_t len)
{
	if (off > SYSTRAP_COPYOUT_SIZE || len > SYSTRAP_COPYOUT_SIZE - off)
		return -14;
	const char *src = (const char *)m + SYSTRAP_COPYOUT_OFF + off;
	return systrap_stub_copy((void *)dst, src, len) ? -14 /* EFAULT */ : 0;
}

/*
 * SYSTRAP_OP_LEND: receives the datagram numbered seq on sock into
 * lent[reg]. 0, or -errno. The layout's pointers are the sentry's; the
 * stub resets what the host's recvmsg writes before each try.
 */
static STUB long lend_recv(struct systrap_msg *m, uint64_t sock, uint64_t seq, uint64_t reg)
{
	struct systrap_lend_layout *l = (struct systrap_lend_layout *)m->lend_buf;
	if (reg >= SYSTRAP_LENT_REGS)
		return -22; /* EINVAL */
	for (int tries = 0; tries < 4; tries++) {
		l->controllen = 24; /* CMSG_SPACE(sizeof(int)) */
		l->flags = 0;
		l->seq = 0;
		l->cmsg_len = 0;
		l->fd = -1;
		long n = sc6(NR_recvmsg, (long)sock, (long)l,
		             0x40 | 0x40000000 /* MSG_DONTWAIT | MSG_CMSG_CLOEXEC */, 0, 0, 0);
		if (n < 0)
			return n;
		int fd = l->cmsg_len == 20 /* CMSG_LEN(sizeof(int)) */ && l->cmsg_level == 1 &&
		                         l->cmsg_type == 1 /* SOL_SOCKET, SCM_RIGHTS */
		                 ? l->fd
		                 : -1;
		if (n == 8 && l->seq == seq && fd >= 0) {
			m->lent[reg] = fd;
			return 0;
		}
		if (fd >= 0)
			sc3(NR_close, fd, 0, 0);
	}
	return -11; /* EAGAIN */
}

/*
 * Runs the queued memory operations in order. Returns 1, or 0 at the
 * first that fails, with op_failed and op_err set. The count is read once
 * and bounded: the application can write its slot.
 */
static STUB int run_ops(struct systrap_msg *m)
{
	uint32_t n = m->nops;
	if (n > SYSTRAP_MAX_OPS)
		n = SYSTRAP_MAX_OPS;
	for (uint32_t i = 0; i < n; i++) {
		struct systrap_op *op = &m->ops[i];
		if (op->nr == SYSTRAP_OP_PATCH) {
			patch_site(op->args[0], op->args[1]);
			continue;
		}
		long ret;
		bool mmap = op->nr == NR_mmap || op->nr == SYSTRAP_OP_MMAP_LENT;
		if (op->nr == SYSTRAP_OP_COPY)
			ret = copy_out(m, op->args[0], op->args[1], op->args[2]);
		else if (op->nr == SYSTRAP_OP_LEND)
			ret = lend_recv(m, op->args[0], op->args[1], op->args[2]);
		else if (op->nr == SYSTRAP_OP_MMAP_LENT)
			ret = sc6(NR_mmap, (long)op->args[0], (long)op->args[1], (long)op->args[2],
			          (long)op->args[3], m->lent[op->args[4] % SYSTRAP_LENT_REGS],
			          (long)op->args[5]);
		else
			ret = sc6((long)op->nr, (long)op->args[0], (long)op->args[1],
			          (long)op->args[2], (long)op->args[3], (long)op->args[4],
			          (long)op->args[5]);
		if (mmap ? ret != (long)op->args[0] : ret != 0) {
			m->op_err = ret;
			m->op_failed = i + 1;
			m->nops = 0;
			return 0;
		}
	}
	m->nops = 0;
	return 1;
}

long systrap_stub_clone(long flags, long stack, struct systrap_msg *child, long mode);
uint64_t systrap_stub_child(struct systrap_msg *m);
void systrap_stub_first(uint64_t base);

/*
 * Posts an event and serves the sentry until it says RESUME: the host
 * calls it asks for, and the base registers it sets.
 */
static STUB void serve(struct systrap_msg *m)
{
	post(m, SYSTRAP_EVENT);
	for (;;) {
		uint32_t st = wait_sentry(m);
		if (st == SYSTRAP_CALL) {
			long nr = (long)m->nr, ret;
			/* A lent fd (dup) needs no memory: the queue waits for the mmap that uses
			 * it. */
			if (nr != NR_dup && !run_ops(m))
				ret = m->op_err;
			else if (nr == SYSTRAP_CALL_FLUSH)
				ret = 0;
			else if (nr == SYSTRAP_OP_PATCH)
				ret = (patch_site(m->args[0], m->args[1]), 0);
			else if (nr == SYSTRAP_CALL_CLONE_FORK)
				ret = systrap_stub_clone((long)m->args[0], 0, m,
				                         SYSTRAP_CLONE_FORK);
			else if (nr == SYSTRAP_CALL_CLONE_THREAD)
				ret = systrap_stub_clone((long)m->args[0], (long)m->args[1],
				                         (struct systrap_msg *)m->args[2],
				                         SYSTRAP_CLONE_THREAD);
			else
				ret = sc6(nr, (long)m->args[0], (long)m->args[1], (long)m->args[2],
				          (long)m->args[3], (long)m->args[4], (long)m->args[5]);
			m->ret = ret;
			post(m, SYSTRAP_EVENT);
			continue;
		}
		if (st != SYSTRAP_RESUME)
			continue; /* APP or garbage: the application wrote its own slot */
		if (!run_ops(m)) {
			m->signo = SYSTRAP_SIGNO_OPFAILED;
			post(m, SYSTRAP_EVENT);
			continue;
		}
		if (m->set_fs) {
			sc3(NR_arch_prctl, 0x1002 /* ARCH_SET_FS */, (long)m->fs_base, 0);
			m->set_fs = 0;
		}
		if (m->set_gs) {
			sc3(NR_arch_prctl, 0x1001 /* ARCH_SET_GS */, (long)m->gs_base, 0);
			m->set_gs = 0;
		}
		store(&m->state, SYSTRAP_APP);
		m->resume_tsc = __builtin_ia32_rdtsc();
		return;
	}
}

static inline STUB struct systrap_msg *msg_of_sp(void)
{
	uintptr_t sp = (uintptr_t)__builtin_frame_address(0);
	return (struct systrap_msg *)(sp & ~((uintptr_t)SYSTRAP_SLOT_SIZE - 1));
}

#define COPYIN_STRING (-1) /* copyin_arg's size of a path: the rest of its page */

/*
 * The argument of system call nr that the sentry reads first from the
 * application's memory, a path or a struct the call takes in: its index
 * in args, and its size (or COPYIN_STRING; or -2 - k: the size is
 * argument k). Returns 0 when there is none worth reading ahead.
 */
static inline STUB int copyin_arg(long nr, int *arg, long *size)
{
	*size = COPYIN_STRING;
	switch (nr) {
	case 2:   /* open */
	case 4:   /* stat */
	case 6:   /* lstat */
	case 21:  /* access */
	case 59:  /* execve */
	case 76:  /* truncate */
	case 80:  /* chdir */
	case 82:  /* rename */
	case 83:  /* mkdir */
	case 84:  /* rmdir */
	case 85:  /* creat */
	case 86:  /* link */
	case 87:  /* unlink */
	case 88:  /* symlink */
	case 89:  /* readlink */
	case 90:  /* chmod */
	case 92:  /* chown */
	case 94:  /* lchown */
	case 137: /* statfs */
	case 266: /* symlinkat */
		*arg = 0;
		return 1;
	case 257: /* openat */
	case 258: /* mkdirat */
	case 259: /* mknodat */
	case 260: /* fchownat */
	case 262: /* newfstatat */
	case 263: /* unlinkat */
	case 264: /* renameat */
	case 265: /* linkat */
	case 267: /* readlinkat */
	case 268: /* fchmodat */
	case 269: /* faccessat */
	case 280: /* utimensat */
	case 316: /* renameat2 */
	case 322: /* execveat */
	case 332: /* statx */
	case 437: /* openat2 */
	case 439: /* faccessat2 */
		*arg = 1;
		return 1;
	case 13: /* rt_sigaction: the new action */
		*arg = 1;
		*size = 32;
		return 1;
	case 14: /* rt_sigprocmask: the set */
		*arg = 1;
		*size = 8;
		return 1;
	case 35: /* nanosleep */
		*arg = 0;
		*size = 16;
		return 1;
	case 230: /* clock_nanosleep */
		*arg = 2;
		*size = 16;
		return 1;
	case 302: /* prlimit64: the new limit */
		*arg = 2;
		*size = 16;
		return 1;
	case 1:  /* write */
	case 18: /* pwrite64 */
	case 42: /* connect: the address */
	case 44: /* sendto */
	case 49: /* bind: the address */
		*arg = 1;
		*size = -2 - 2;
		return 1;
	case 54: /* setsockopt */
		*arg = 3;
		*size = -2 - 4;
		return 1;
	}
	return 0;
}

/*
 * Reads ahead the argument a system call will read (copyin_arg) into the
 * copy-in area: one copy here, in the application's own address space,
 * instead of the sentry's process_vm_readv. A fault leaves what was read
 * before it; the sentry reads whatever is missing itself, and fails with
 * EFAULT where the application's memory does.
 */
static STUB void copy_in(struct systrap_msg *m, int sig, uint64_t info, uint64_t uc)
{
	m->in_len = 0;
	const struct k_siginfo *si = (const struct k_siginfo *)info;
	const struct k_sigcontext *mc = &((const struct k_ucontext *)uc)->uc_mcontext;
	long nr;
	if (sig == SYSTRAP_SIGNO_PATCHED)
		nr = (long)mc->rax;
	else if (sig == 31 /* SIGSYS */ && si->code == 1 /* SYS_SECCOMP */ &&
	         si->sys.arch == 0xc000003eU /* AUDIT_ARCH_X86_64 */)
		nr = si->sys.syscall;
	else
		return;
	int arg;
	long size;
	if (!copyin_arg(nr, &arg, &size))
		return;
	uint64_t a[6] = { mc->rdi, mc->rsi, mc->rdx, mc->r10, mc->r8, mc->r9 };
	uint64_t addr = a[arg], len;
	if (size == COPYIN_STRING)
		len = 4096 - (addr & 4095);
	else if (size < 0)
		len = a[-2 - size];
	else
		len = (uint64_t)size;
	if (addr == 0 || len == 0 || len > SYSTRAP_COPYIN_SIZE)
		return;
	uint64_t left = systrap_stub_copy((char *)m + SYSTRAP_COPYIN_OFF, (const void *)addr, len);
	m->in_addr = addr;
	m->in_len = (uint32_t)(len - left);
}

/* Posts a trap whose registers are in the frame uc and serves the sentry. */
static STUB void trap(struct systrap_msg *m, int sig, uint64_t info, uint64_t uc)
{
	m->trap_tsc = __builtin_ia32_rdtsc();
	copy_in(m, sig, info, uc);
	m->signo = sig;
	m->info = info;
	m->uc = uc;
	serve(m);
}

/*
 * Patched system calls. The sentry rewrites a hot `mov $nr, %eax;
 * syscall` into a jump through its trap table (systrap.c's patch
 * table), whose code checks that %gs is a slot of the region (else it
 * makes the call the trapping way) and enters systrap_stub_syscall with
 * r11 = the site's table entry, which holds the number and the return
 * address; rax and rcx are free, as the `syscall` instruction would have
 * clobbered rcx and r11 anyway. No
 * signal frame, no rt_sigreturn: the trampoline saves the registers into
 * the slot's trampoline frame (laid out as the kernel's, so the sentry
 * reads it as it reads a trap), XSAVEs the FP state there, hands the
 * call over as a trap does, and returns by restoring the registers
 * itself, unless the sentry changed more than rax (resume_full), when it
 * returns through the frame by rt_sigreturn.
 *
 * Signals are not blocked in the trampoline, as they are in the handler.
 * The handler sorts out one that arrives in it by where it arrived:
 *   - before the trampoline's exit (systrap_stub_tramp_exit): the call
 *     is on its way to the sentry, or there. An interrupt is only noted
 *     (pending), and the exit posts it as an interrupt first; a
 *     single-step trap (the application set TF) is dropped with TF, and
 *     anything else is a fault of the stub's own, with a corrupted slot.
 *   - in the exit: the application's registers are the frame's (the
 *     sentry's answer is in it), so the handler posts its signal with
 *     that frame, and returns through it.
 * The sentry only ever sees the application's registers.
 */
extern const char systrap_stub_tramp_exit[] __attribute__((visibility("hidden")));
extern const char systrap_stub_tramp_exit_end[] __attribute__((visibility("hidden")));
extern const char __start_systrap_stub[] __attribute__((visibility("hidden")));
extern const char __stop_systrap_stub[] __attribute__((visibility("hidden")));

#define UC_FP_XSTATE_ALL 7 /* UC_FP_XSTATE | UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS */
#define FP_XSTATE_MAGIC1 0x46505853U
#define FP_XSTATE_MAGIC2 0x46505845U

/* Returns through the trampoline frame, with every register in it. */
static inline STUB __attribute__((noreturn)) void tramp_sigreturn(struct systrap_msg *m)
{
	__asm__ volatile("mov %0, %%rsp\n\t"
	                 "mov $15, %%eax\n\t" /* rt_sigreturn */
	                 "syscall\n\t"
	                 "ud2"
	                 :
	                 : "r"(m->tframe)
	                 : "memory");
	__builtin_unreachable();
}

/*
 * The trampoline's C half, on its stack below the frame: completes the
 * frame (the assembly half stored the registers), posts the call and
 * serves the sentry. Returns 1 when the exit must be rt_sigreturn.
 */
STUB int systrap_stub_tramp(struct systrap_msg *m)
{
	uint64_t uc_addr = m->tframe;
	struct k_ucontext *uc = (struct k_ucontext *)uc_addr;
	uint64_t slot = (uint64_t)m;
	uc->uc_flags = UC_FP_XSTATE_ALL;
	uc->uc_link = 0;
	uc->uc_stack.ss_sp = slot + SYSTRAP_MSG_SIZE;
	uc->uc_stack.ss_flags = 0;
	uc->uc_stack.pad = 0;
	uc->uc_stack.ss_size = SYSTRAP_SLOT_SIZE - SYSTRAP_MSG_SIZE;
	uc->uc_mcontext.cs = 0x33;
	uc->uc_mcontext.ss = 0x2b;
	uc->uc_mcontext.gs = uc->uc_mcontext.fs = 0;
	uc->uc_mcontext.err = uc->uc_mcontext.trapno = 0;
	uc->uc_mcontext.oldmask = uc->uc_mcontext.cr2 = 0;
	uc->uc_sigmask = 0; /* a stub runs the application with no signal blocked */
	/* The FP state, as the kernel lays it out in a frame: XSAVE, its software bytes, magic2. */
	uint64_t fp = uc_addr - 8 + SYSTRAP_TFRAME_FP;
	const uint64_t *sw = (const uint64_t *)m->fp_sw;
	uint64_t *fx = (uint64_t *)fp;
	uint32_t size = (uint32_t)(sw[2] & 0xffffffff); /* xstate_size */
	if ((uint32_t)sw[0] != FP_XSTATE_MAGIC1 || size < 576 || size > SYSTRAP_TFRAME_FP_MAX)
		sc3(NR_exit_group, 127, 0, 0); /* the slot was corrupted */
	for (int i = 65; i < 72; i++)
		fx[i] = 0; /* the XSAVE header past XSTATE_BV, which XSAVE leaves */
	__asm__ volatile("xsave64 (%0)"
	                 :
	                 : "r"(fp), "a"((uint32_t)sw[1]), "d"((uint32_t)(sw[1] >> 32))
	                 : "memory");
	for (int i = 0; i < 6; i++)
		fx[58 + i] = sw[i]; /* at 464 */
	*(volatile uint32_t *)(fp + size) = FP_XSTATE_MAGIC2;
	uc->uc_mcontext.fpstate = fp;
	m->pending = 0;
	trap(m, SYSTRAP_SIGNO_PATCHED, uc_addr - 8 + SYSTRAP_TFRAME_INFO, uc_addr);
	m->ret_rip = uc->uc_mcontext.rip;
	m->ret_rsp = uc->uc_mcontext.rsp;
	return m->resume_full != 0;
}

/* An interrupt noted in the trampoline: posted with the frame, once the call is done. */
STUB int systrap_stub_tramp_pending(struct systrap_msg *m)
{
	m->pending = 0;
	struct k_siginfo *si = (struct k_siginfo *)(m->tframe - 8 + SYSTRAP_TFRAME_INFO);
	si->signo = SYSTRAP_INTERRUPT_SIGNO;
	si->errno_ = 0;
	si->code = -6; /* SI_TKILL */
	trap(m, SYSTRAP_INTERRUPT_SIGNO, (uint64_t)si, m->tframe);
	return 1;
}

/*
 * The trampoline: entered from the trap table with the application's
 * registers (but rax, rcx; r11 = the site's table entry).
 */
/* clang-format off */
NAKED void systrap_stub_syscall(void)
{
	__asm__ volatile(
	        "mov %rsp, %gs:" XSTR(SYSTRAP_MSG_APP_RSP_OFF) "\n\t"
	        "mov %gs:" XSTR(SYSTRAP_MSG_TFRAME_OFF) ", %rsp\n\t" /* rsp: the frame's uc */
	        "pushfq\n\t"                                         /* into its pretcode */
	        "pop %rax\n\t"
	        "mov %rax, " XSTR(SYSTRAP_UC_EFLAGS) "(%rsp)\n\t"
	        "mov %rax, " XSTR(SYSTRAP_UC_R11) "(%rsp)\n\t"       /* as `syscall` leaves it */
	        "movl " XSTR(SYSTRAP_PATCH_ENTRY_NR) "(%r11), %eax\n\t"
	        "mov %rax, " XSTR(SYSTRAP_UC_RAX) "(%rsp)\n\t"
	        "mov " XSTR(SYSTRAP_PATCH_ENTRY_RET) "(%r11), %rax\n\t"
	        "mov %rax, " XSTR(SYSTRAP_UC_RIP) "(%rsp)\n\t"
	        "mov %rax, " XSTR(SYSTRAP_UC_RCX) "(%rsp)\n\t"       /* as `syscall` leaves it */
	        "mov %gs:" XSTR(SYSTRAP_MSG_APP_RSP_OFF) ", %rax\n\t"
	        "mov %rax, " XSTR(SYSTRAP_UC_RSP) "(%rsp)\n\t"
	        "mov %r8, " XSTR(SYSTRAP_UC_R8) "(%rsp)\n\t"
	        "mov %r9, " XSTR(SYSTRAP_UC_R9) "(%rsp)\n\t"
	        "mov %r10, " XSTR(SYSTRAP_UC_R10) "(%rsp)\n\t"
	        "mov %r12, " XSTR(SYSTRAP_UC_R12) "(%rsp)\n\t"
	        "mov %r13, " XSTR(SYSTRAP_UC_R13) "(%rsp)\n\t"
	        "mov %r14, " XSTR(SYSTRAP_UC_R14) "(%rsp)\n\t"
	        "mov %r15, " XSTR(SYSTRAP_UC_R15) "(%rsp)\n\t"
	        "mov %rdi, " XSTR(SYSTRAP_UC_RDI) "(%rsp)\n\t"
	        "mov %rsi, " XSTR(SYSTRAP_UC_RSI) "(%rsp)\n\t"
	        "mov %rbp, " XSTR(SYSTRAP_UC_RBP) "(%rsp)\n\t"
	        "mov %rbx, " XSTR(SYSTRAP_UC_RBX) "(%rsp)\n\t"
	        "mov %rdx, " XSTR(SYSTRAP_UC_RDX) "(%rsp)\n\t"
	        "cld\n\t"
	        "lea -8(%rsp), %rsp\n\t"                             /* the C half's stack */
	        "rdgsbase %rdi\n\t"
	        "call systrap_stub_tramp\n"
	        /* The exit: from here on, the frame holds the application's registers. */
	        "systrap_stub_tramp_exit:\n\t"
	        "cmpl $0, %gs:" XSTR(SYSTRAP_MSG_PENDING_OFF) "\n\t"
	        "jne 2f\n\t"
	        "test %eax, %eax\n\t"
	        "jnz 3f\n\t"
	        "pushq 8+" XSTR(SYSTRAP_UC_EFLAGS) "(%rsp)\n\t"
	        "popfq\n\t"
	        "mov 8+" XSTR(SYSTRAP_UC_R8) "(%rsp), %r8\n\t"
	        "mov 8+" XSTR(SYSTRAP_UC_R9) "(%rsp), %r9\n\t"
	        "mov 8+" XSTR(SYSTRAP_UC_R10) "(%rsp), %r10\n\t"
	        "mov 8+" XSTR(SYSTRAP_UC_R11) "(%rsp), %r11\n\t"
	        "mov 8+" XSTR(SYSTRAP_UC_R12) "(%rsp), %r12\n\t"
	        "mov 8+" XSTR(SYSTRAP_UC_R13) "(%rsp), %r13\n\t"
	        "mov 8+" XSTR(SYSTRAP_UC_R14) "(%rsp), %r14\n\t"
	        "mov 8+" XSTR(SYSTRAP_UC_R15) "(%rsp), %r15\n\t"
	        "mov 8+" XSTR(SYSTRAP_UC_RDI) "(%rsp), %rdi\n\t"
	        "mov 8+" XSTR(SYSTRAP_UC_RSI) "(%rsp), %rsi\n\t"
	        "mov 8+" XSTR(SYSTRAP_UC_RBP) "(%rsp), %rbp\n\t"
	        "mov 8+" XSTR(SYSTRAP_UC_RBX) "(%rsp), %rbx\n\t"
	        "mov 8+" XSTR(SYSTRAP_UC_RDX) "(%rsp), %rdx\n\t"
	        "mov 8+" XSTR(SYSTRAP_UC_RAX) "(%rsp), %rax\n\t"
	        "mov 8+" XSTR(SYSTRAP_UC_RCX) "(%rsp), %rcx\n\t"
	        "mov %gs:" XSTR(SYSTRAP_MSG_RET_RSP_OFF) ", %rsp\n\t"
	        "jmp *%gs:" XSTR(SYSTRAP_MSG_RET_RIP_OFF) "\n"
	        "2:\n\t"                                             /* pending: post it first */
	        "rdgsbase %rdi\n\t"
	        "call systrap_stub_tramp_pending\n\t"
	        "jmp systrap_stub_tramp_exit\n"
	        "3:\n\t"                                             /* full: through the frame */
	        "mov %gs:" XSTR(SYSTRAP_MSG_TFRAME_OFF) ", %rsp\n\t"
	        "mov $15, %eax\n\t"                                  /* rt_sigreturn */
	        "syscall\n"
	        "systrap_stub_tramp_exit_end:\n\t"
	        "ud2\n\t");
}
/* clang-format on */

STUB void systrap_stub_handler(int sig, void *info, void *uc)
{
	struct systrap_msg *m = msg_of_sp();
	uint64_t ip = ((struct k_ucontext *)uc)->uc_mcontext.rip;
	/* copy_in's read of the application's memory faulted: it stops there. */
	if ((sig == 11 /* SIGSEGV */ || sig == 7 /* SIGBUS */) &&
	    ip >= (uint64_t)systrap_stub_copy && ip < (uint64_t)systrap_stub_copy_done) {
		((struct k_ucontext *)uc)->uc_mcontext.rip = (uint64_t)systrap_stub_copy_done;
		return;
	}
	/* The stub's own code traps only there, but for a new stub's int3 (SI_KERNEL). */
	if (ip >= (uint64_t)__start_systrap_stub && ip < (uint64_t)__stop_systrap_stub &&
	    !(sig == 5 /* SIGTRAP */ && ((struct k_siginfo *)info)->code == 0x80)) {
		/* The trampoline (see above): the handler's own code runs with signals blocked. */
		if (ip >= (uint64_t)systrap_stub_tramp_exit &&
		    ip <= (uint64_t)systrap_stub_tramp_exit_end) {
			trap(m, sig, (uint64_t)info, m->tframe);
			tramp_sigreturn(m);
		}
		struct k_sigcontext *mc = &((struct k_ucontext *)uc)->uc_mcontext;
		if (sig == 5 /* SIGTRAP */ && (mc->eflags & 0x100)) {
			mc->eflags &= ~0x100ULL; /* the application's single-step: not in here */
			return;
		}
		if (sig != SYSTRAP_INTERRUPT_SIGNO)
			sc3(NR_exit_group, 127, 0, 0);
		m->pending = 1;
		return;
	}
	trap(m, sig, (uint64_t)info, (uint64_t)uc);
}

NAKED void systrap_stub_restorer(void)
{
	__asm__ volatile("mov $15, %eax\n\t" /* rt_sigreturn */
	                 "syscall\n\t"
	                 "ud2\n\t");
}

/*
 * A clone's child, on its own stack in its own slot: takes its alternate
 * stack, says it is ready, and once the sentry resumes it, returns
 * through the frame msg.uc (a copy of its parent's, with the registers
 * the sentry set) by rt_sigreturn. Returns the frame's address.
 */
STUB uint64_t systrap_stub_child(struct systrap_msg *m)
{
	if (m->altstack_size) {
		uint64_t ss[3] = { m->altstack_sp, 0, m->altstack_size };
		sc3(NR_sigaltstack, (long)ss, 0, 0);
	}
	sc6(NR_prctl, 1 /* PR_SET_PDEATHSIG */, 9 /* SIGKILL */, 0, 0, 0, 0);
	m->signo = SYSTRAP_SIGNO_READY;
	serve(m);
	return m->uc;
}

/*
 * A new stub, made by the factory, with its region mapped: takes slot 0's
 * alternate stack, drops the factory's fds (its socket 0, the listener 1),
 * and traps (int3): the handler posts a SIGTRAP from a real frame, which
 * the sentry then fills with the application's registers.
 */
STUB void systrap_stub_first(uint64_t base)
{
	uint64_t ss[3] = { base + SYSTRAP_MSG_SIZE, 0, SYSTRAP_SLOT_SIZE - SYSTRAP_MSG_SIZE };
	if (sc3(NR_sigaltstack, (long)ss, 0, 0) != 0)
		sc3(NR_exit_group, 127, 0, 0);
	sc3(NR_close, 0, 0, 0);
	sc3(NR_close, 1, 0, 0);
	sc6(NR_prctl, 1 /* PR_SET_PDEATHSIG */, 9 /* SIGKILL */, 0, 0, 0, 0);
	__asm__ volatile("int3");
	sc3(NR_exit_group, 127, 0, 0); /* the first resume returns to the application */
}

/*
 * The factory, on its own stack in the stub pages: drops the sentry's
 * memory, installs the filter (with its listener, fd 1), then makes a
 * stub for each byte on its socket (fd 0) until the sentry closes it.
 */
STUB void systrap_stub_factory(struct systrap_factory_data *d)
{
	for (uint64_t i = 0; i < d->nranges && i < SYSTRAP_MAX_RANGES; i++) {
		if (sc3(NR_munmap, (long)d->ranges[i].start, (long)d->ranges[i].len, 0) != 0)
			sc3(NR_exit_group, 127, 0, 0);
	}
	/* seccomp(SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &fprog) */
	if (sc3(NR_seccomp, 1, 8, (long)&d->fprog) != 1)
		sc3(NR_exit_group, 127, 0, 0);
	/* Ready: the listener is fd 1. */
	uint32_t *ready = (uint32_t *)d->ready_page;
	store(ready, 1);
	sc6(NR_futex, (long)ready, FUTEX_WAKE, 1, 0, 0, 0);
	sc3(NR_munmap, (long)ready, 4096, 0);
	for (;;) {
		char c;
		if (sc3(NR_read, 0, (long)&c, 1) != 1)
			sc3(NR_exit_group, 0, 0, 0);
		systrap_stub_clone(0x8000 /* CLONE_PARENT */, 0, &d->msg, SYSTRAP_CLONE_NEW);
	}
}

/*
 * systrap_stub_clone(flags, stack, msg, mode): clone(2); the parent gets
 * the child's pid. The child, using no stack until it has its own:
 *   FORK, NEW: asks for its own region (`dup`, which the filter turns into
 *     a notification that the sentry answers with the region's memfd) and
 *     maps it at msg->region_base, over the parent's (for a fork the
 *     sentry filled it with a copy of the parent's slot, so the stack and
 *     frame are where they were), then closes the fd;
 *   THREAD: starts on the stack the sentry chose in its new slot.
 * NEW goes on in systrap_stub_first; the others run systrap_stub_child
 * and rt_sigreturn through the frame it returns.
 */
/* clang-format off */
NAKED long systrap_stub_clone(long flags, long stack, struct systrap_msg *msg, long mode)
{
	__asm__ volatile(
	        "push %r12\n\t"
	        "push %r13\n\t"
	        "push %r14\n\t"
	        "mov %rdx, %r12\n\t"         /* msg */
	        "mov %rcx, %r13\n\t"         /* mode */
	        "mov $56, %eax\n\t"          /* clone(flags, stack, 0, 0, 0) */
	        "xor %edx, %edx\n\t"
	        "xor %r10d, %r10d\n\t"
	        "xor %r8d, %r8d\n\t"
	        "syscall\n\t"
	        "test %rax, %rax\n\t"
	        "jz 1f\n\t"
	        "pop %r14\n\t"
	        "pop %r13\n\t"
	        "pop %r12\n\t"
	        "ret\n"
	        "1:\n\t"
	        "test %r13, %r13\n\t"
	        "jz 3f\n\t"
	        "mov $32, %eax\n\t"          /* dup(0): answered with the region's memfd */
	        "xor %edi, %edi\n\t"
	        "syscall\n\t"
	        "test %rax, %rax\n\t"
	        "js 9f\n\t"
	        "mov %rax, %r14\n\t"
	        "mov $9, %eax\n\t"           /* mmap(base, size, RW, MAP_SHARED|MAP_FIXED, fd, 0) */
	        "mov " XSTR(SYSTRAP_MSG_REGION_BASE_OFF) "(%r12), %rdi\n\t"
	        "mov $" SYSTRAP_REGION_SIZE_HEX ", %esi\n\t"
	        "mov $3, %edx\n\t"
	        "mov $0x11, %r10d\n\t"
	        "mov %r14, %r8\n\t"
	        "xor %r9d, %r9d\n\t"
	        "syscall\n\t"
	        "cmp %rdi, %rax\n\t"
	        "jne 9f\n\t"
	        "mov $3, %eax\n\t"           /* close(fd) */
	        "mov %r14, %rdi\n\t"
	        "syscall\n\t"
	        "cmp $2, %r13\n\t"
	        "jne 3f\n\t"
	        "and $-16, %rsp\n\t"
	        "mov " XSTR(SYSTRAP_MSG_REGION_BASE_OFF) "(%r12), %rdi\n\t"
	        "call systrap_stub_first\n\t"
	        "jmp 9f\n"
	        "3:\n\t"
	        "and $-16, %rsp\n\t"
	        "mov %r12, %rdi\n\t"
	        "call systrap_stub_child\n\t"
	        "mov %rax, %rsp\n\t"
	        "mov $15, %eax\n\t"          /* rt_sigreturn through the frame at rsp */
	        "syscall\n"
	        "9:\n\t"
	        "mov $231, %eax\n\t"         /* exit_group(127) */
	        "mov $127, %edi\n\t"
	        "syscall\n\t"
	        "ud2\n\t");
}
/* clang-format on */
