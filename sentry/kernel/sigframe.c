/*
 * x86-64 signal frames and rt_sigreturn, as Linux lays them out
 * (arch/x86/kernel/signal.c, signal_64.c, fpu/signal.c).
 *
 * The frame, from the handler's stack pointer up:
 *
 *	rsp ->	struct rt_sigframe { pretcode (sa_restorer), ucontext, siginfo }
 *		padding to 64 bytes
 *	fp ->	the XSAVE image of the interrupted FP/vector state (as
 *		PTRACE_GETREGSET NT_X86_XSTATE gives it: standard format, the
 *		platform's xstate size), with the software bytes (fpx_sw_bytes,
 *		FP_XSTATE_MAGIC1) in the fxsave area's reserved tail and
 *		FP_XSTATE_MAGIC2 just after the image
 *		red zone (128 bytes) below the interrupted rsp
 *
 * rsp is 16-byte aligned minus 8, as after a call, so that rsp + 8 is
 * aligned at the handler's entry. The frame goes on the alternate stack
 * with SA_ONSTACK when one is armed and the task is not already on it; a
 * frame that would overflow the alternate stack is not written. The handler
 * runs with rdi = signal, rsi = &info, rdx = &uc, rax = 0, DF, RF and TF
 * clear, and the FP state in its initial configuration.
 *
 * rt_sigreturn reads the frame back at rsp - 8 (the handler's ret popped
 * pretcode): the registers (cs and ss with RPL 3, only the user-changeable
 * eflags bits), the FP state (validated by its magic numbers: without them
 * only the legacy fxsave part is restored, as Linux does; a state the
 * host's XRSTOR checks would refuse is a SIGSEGV), the mask and the
 * alternate stack.
 *
 * Departures: sigcontext's err has only the user-mode bit (and the
 * protection bit for SEGV_ACCERR): ptrace does not report whether a page
 * fault was a write. A 64-bit task's ss is always reset to __USER_DS
 * when it is not (Linux keeps a still-valid one, which ptrace cannot test).
 */
#include "sentry/kernel/sigframe.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "common/abi/linux/mman.h"
#include "common/log.h"
#include "common/thread_buf.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"

/* struct sigcontext (64-bit), as glibc's mcontext_t gregs index it (REG_R8 = 0...). */
struct linux_sigcontext {
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
	uint64_t rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip, eflags;
	uint16_t cs, gs, fs, ss;
	uint64_t err, trapno, oldmask, cr2;
	uint64_t fpstate; /* the XSAVE image's address; 0: none */
	uint64_t reserved1[8];
};
_Static_assert(sizeof(struct linux_sigcontext) == 256, "sigcontext layout");

struct linux_ucontext {
	uint64_t uc_flags;
	uint64_t uc_link;
	struct linux_stack uc_stack;
	struct linux_sigcontext uc_mcontext;
	linux_sigset_t uc_sigmask;
};
_Static_assert(sizeof(struct linux_ucontext) == 304, "ucontext layout");

struct rt_sigframe {
	uint64_t pretcode;
	struct linux_ucontext uc;
	struct linux_siginfo info;
};
_Static_assert(sizeof(struct rt_sigframe) == 440, "rt_sigframe layout");

#define UC_FP_XSTATE         0x1
#define UC_SIGCONTEXT_SS     0x2
#define UC_STRICT_RESTORE_SS 0x4

/* struct _fpx_sw_bytes, in the fxsave area's bytes 464-511. */
struct fpx_sw_bytes {
	uint32_t magic1;
	uint32_t extended_size; /* xstate_size + MAGIC2 */
	uint64_t xfeatures;
	uint32_t xstate_size;
	uint32_t padding[7];
};
_Static_assert(sizeof(struct fpx_sw_bytes) == 48, "fpx_sw_bytes layout");

#define FP_XSTATE_MAGIC1      0x46505853U
#define FP_XSTATE_MAGIC2      0x46505845U
#define FP_XSTATE_MAGIC2_SIZE 4
#define FXSAVE_SIZE           512
#define FXSAVE_SW_OFFSET      464
#define FXSAVE_MXCSR_OFFSET   24
#define XSAVE_HDR_OFFSET      512
#define XSAVE_HDR_SIZE        64
#define XFEATURE_MASK_FPSSE   0x3ULL
/* The largest XSAVE image the sentry handles (with AMX tiles, about 11 KiB). */
#define FPSTATE_MAX 32768

#define X86_EFLAGS_CF 0x00000001
#define X86_EFLAGS_PF 0x00000004
#define X86_EFLAGS_AF 0x00000010
#define X86_EFLAGS_ZF 0x00000040
#define X86_EFLAGS_SF 0x00000080
#define X86_EFLAGS_TF 0x00000100
#define X86_EFLAGS_DF 0x00000400
#define X86_EFLAGS_OF 0x00000800
#define X86_EFLAGS_RF 0x00010000
#define X86_EFLAGS_AC 0x00040000
/* The flags rt_sigreturn takes from the frame (Linux's FIX_EFLAGS). */
#define FIX_EFLAGS                                                                       \
	(X86_EFLAGS_AC | X86_EFLAGS_OF | X86_EFLAGS_DF | X86_EFLAGS_TF | X86_EFLAGS_SF | \
	 X86_EFLAGS_ZF | X86_EFLAGS_AF | X86_EFLAGS_PF | X86_EFLAGS_CF | X86_EFLAGS_RF)

#define USER_CS 0x33
#define USER_DS 0x2b

/* x86 trap numbers for sigcontext's trapno. */
#define X86_TRAP_DE 0
#define X86_TRAP_DB 1
#define X86_TRAP_BP 3
#define X86_TRAP_UD 6
#define X86_TRAP_GP 13
#define X86_TRAP_PF 14
#define X86_TRAP_XF 19

#define TRAP_TRACE 2
#define FPE_INTDIV 1

/* The calling thread's buffer for an FP state image (common/thread_buf.h). */
static _Thread_local void *g_fpbuf_slot;

static uint8_t *fpbuf(void)
{
	return thread_buf(&g_fpbuf_slot, FPSTATE_MAX);
}

static const struct platform_ops *plat(struct task *t)
{
	return t->k->cfg.platform;
}

/* Reads t's FP state into fpbuf(). Returns its size (Linux's user_size) or -errno. */
static long fpstate_get(struct task *t)
{
	uint8_t *fpb = fpbuf();
	if (!fpb)
		return -ENOMEM;
	long size = plat(t)->ctx_get_fpstate(t->ctx, fpb, FPSTATE_MAX);
	if (size < 0)
		return size;
	if (size < FXSAVE_SIZE + XSAVE_HDR_SIZE || size > FPSTATE_MAX - FP_XSTATE_MAGIC2_SIZE) {
		log_warn("task %d: unexpected XSAVE state size %ld", t->tid, size);
		return -EINVAL;
	}
	return size;
}

/* The enabled xfeatures (XCR0), from the software bytes ptrace fills in. */
static uint64_t fpstate_xfeatures(const uint8_t *buf)
{
	struct fpx_sw_bytes sw;
	memcpy(&sw, buf + FXSAVE_SW_OFFSET, sizeof(sw));
	if (sw.magic1 == FP_XSTATE_MAGIC1)
		return sw.xfeatures;
	uint64_t bv;
	memcpy(&bv, buf + XSAVE_HDR_OFFSET, sizeof(bv));
	return bv | XFEATURE_MASK_FPSSE;
}

/*
 * Puts t's FP state in its initial configuration (Linux's
 * fpu__clear_user_states): x87 and SSE at their reset values, every other
 * component in its init state. size: the platform's state size.
 */
static int fpstate_set_init(struct task *t, size_t size)
{
	uint8_t *fpb = fpbuf();
	if (!fpb)
		return -ENOMEM;
	memset(fpb, 0, size);
	uint16_t fcw = 0x37f;
	uint32_t mxcsr = 0x1f80;
	uint64_t bv = XFEATURE_MASK_FPSSE;
	memcpy(fpb, &fcw, sizeof(fcw));
	memcpy(fpb + FXSAVE_MXCSR_OFFSET, &mxcsr, sizeof(mxcsr));
	memcpy(fpb + XSAVE_HDR_OFFSET, &bv, sizeof(bv));
	long err = plat(t)->ctx_set_fpstate(t->ctx, fpb, size);
	return err < 0 ? (int)err : 0;
}

/* Copies out, growing a growsdown stack first if the range starts just below it. */
static int frame_copy_out(struct task *t, uaddr_t addr, const void *src, size_t len)
{
	if (mm_access_prefix(t->mm, addr, len, LINUX_PROT_WRITE) < len)
		mm_handle_fault(t->mm, addr);
	return mm_copy_out(t->mm, addr, src, len);
}

/* The trap number, error code and cr2 Linux would have recorded for t's last fault. */
static void fault_context(const struct task *t, struct linux_sigcontext *sc)
{
	const struct platform_fault *f = &t->fault;
	if (f->has_cpu) {
		/* The host kernel's own values for this fault (systrap). */
		sc->trapno = f->trapno;
		sc->err = f->err;
		sc->cr2 = f->cr2;
		return;
	}
	switch (f->signo) {
	case LINUX_SIGSEGV:
	case LINUX_SIGBUS:
		if (f->signo == LINUX_SIGSEGV && f->code == LINUX_SI_KERNEL) {
			sc->trapno = X86_TRAP_GP;
			break;
		}
		sc->trapno = X86_TRAP_PF;
		sc->cr2 = f->addr;
		/* X86_PF_USER, and X86_PF_PROT for a protection fault. */
		sc->err = 4 | (f->signo == LINUX_SIGSEGV && f->code == LINUX_SEGV_ACCERR ? 1 : 0);
		break;
	case LINUX_SIGILL:
		sc->trapno = X86_TRAP_UD;
		break;
	case LINUX_SIGFPE:
		sc->trapno = f->code == FPE_INTDIV ? X86_TRAP_DE : X86_TRAP_XF;
		break;
	case LINUX_SIGTRAP:
		sc->trapno = f->code == TRAP_TRACE ? X86_TRAP_DB : X86_TRAP_BP;
		break;
	default:
		break;
	}
}

int sigframe_setup(struct task *t, int sig, const struct linux_siginfo *info,
                   const struct linux_sigaction *act, linux_sigset_t saved_mask)
{
	uint8_t *fpb = fpbuf();
	if (!fpb)
		return -ENOMEM;
	const struct platform_ops *p = plat(t);
	struct linux_regs *regs = p->ctx_regs(t->ctx);

	/* x86-64 has no default restorer: the C library must supply one. */
	if (!(act->flags & LINUX_SA_RESTORER))
		return -EFAULT;

	/* Linux's get_sigframe(). */
	bool nested_altstack = task_on_sig_stack(t, regs->rsp);
	bool entering_altstack = false;
	uint64_t sp = regs->rsp - 128; /* the red zone */
	if ((act->flags & LINUX_SA_ONSTACK) && task_sas_ss_flags(t, sp) == 0) {
		sp = t->sas_sp + t->sas_size;
		entering_altstack = true;
	}
	long size = fpstate_get(t);
	if (size < 0)
		return -EFAULT;
	uint64_t math_size = (uint64_t)size + FP_XSTATE_MAGIC2_SIZE;
	uint64_t buf_fx = (sp - math_size) & ~63ULL;
	uint64_t frame_addr = ((buf_fx - sizeof(struct rt_sigframe)) & ~15ULL) - 8;
	if ((nested_altstack || entering_altstack) && !task_on_sig_stack_raw(t, frame_addr)) {
		log_info("task %d: signal %d frame overflows the alternate stack", t->tid, sig);
		return -EFAULT;
	}

	/* The FP state, with Linux's software bytes (save_xstate_epilog). */
	struct fpx_sw_bytes sw = {
		.magic1 = FP_XSTATE_MAGIC1,
		.extended_size = (uint32_t)math_size,
		.xfeatures = fpstate_xfeatures(fpb),
		.xstate_size = (uint32_t)size,
	};
	memcpy(fpb + FXSAVE_SW_OFFSET, &sw, sizeof(sw));
	uint64_t bv;
	memcpy(&bv, fpb + XSAVE_HDR_OFFSET, sizeof(bv));
	bv |= XFEATURE_MASK_FPSSE; /* legacy programs change only the fxsave area */
	memcpy(fpb + XSAVE_HDR_OFFSET, &bv, sizeof(bv));
	uint32_t magic2 = FP_XSTATE_MAGIC2;
	memcpy(fpb + size, &magic2, sizeof(magic2));

	struct rt_sigframe frame = { 0 };
	frame.pretcode = act->restorer;
	frame.uc.uc_flags = UC_FP_XSTATE | UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS;
	frame.uc.uc_stack = (struct linux_stack){
		.ss_sp = t->sas_sp,
		.ss_flags = (int32_t)t->sas_flags,
		.ss_size = t->sas_size,
	};
	struct linux_sigcontext *sc = &frame.uc.uc_mcontext;
	*sc = (struct linux_sigcontext){
		.r8 = regs->r8,
		.r9 = regs->r9,
		.r10 = regs->r10,
		.r11 = regs->r11,
		.r12 = regs->r12,
		.r13 = regs->r13,
		.r14 = regs->r14,
		.r15 = regs->r15,
		.rdi = regs->rdi,
		.rsi = regs->rsi,
		.rbp = regs->rbp,
		.rbx = regs->rbx,
		.rdx = regs->rdx,
		.rax = regs->rax,
		.rcx = regs->rcx,
		.rsp = regs->rsp,
		.rip = regs->rip,
		.eflags = regs->eflags,
		.cs = (uint16_t)regs->cs,
		.ss = (uint16_t)regs->ss,
		.oldmask = saved_mask,
		.fpstate = buf_fx,
	};
	fault_context(t, sc);
	frame.uc.uc_sigmask = saved_mask;
	/* Only the kernel's part of the siginfo; the rest of the 128 bytes is zero. */
	if (act->flags & LINUX_SA_SIGINFO)
		memcpy(&frame.info, info, LINUX_KERNEL_SIGINFO_SIZE);

	if (frame_copy_out(t, frame_addr, &frame, sizeof(frame)) < 0 ||
	    frame_copy_out(t, buf_fx, fpb, math_size) < 0)
		return -EFAULT;

	/* The handler's registers (Linux's x64_setup_rt_frame and handle_signal). */
	regs->rdi = (uint64_t)sig;
	regs->rax = 0;
	regs->rsi = frame_addr + offsetof(struct rt_sigframe, info);
	regs->rdx = frame_addr + offsetof(struct rt_sigframe, uc);
	regs->rip = act->handler;
	regs->rsp = frame_addr;
	regs->cs = USER_CS;
	regs->ss = USER_DS;
	regs->eflags &= ~(uint64_t)(X86_EFLAGS_DF | X86_EFLAGS_RF | X86_EFLAGS_TF);
	p->ctx_regs_changed(t->ctx);
	if (fpstate_set_init(t, (size_t)size) < 0)
		log_warn("task %d: cannot reset the FP state for a signal handler", t->tid);
	return 0;
}

/*
 * Restores the FP state from the image at buf_fx (Linux's
 * fpu__restore_sig). Returns 0 or -EFAULT.
 */
static int fpstate_restore(struct task *t, uaddr_t buf_fx)
{
	uint8_t *fpb = fpbuf();
	if (!fpb)
		return -ENOMEM;
	long size = fpstate_get(t);
	if (size < 0)
		return -EFAULT;
	if (!buf_fx)
		return fpstate_set_init(t, (size_t)size) < 0 ? -EFAULT : 0;
	uint64_t xcr0 = fpstate_xfeatures(fpb);

	/* Linux's check_xstate_in_sigframe(). */
	struct fpx_sw_bytes sw;
	if (mm_copy_in(t->mm, &sw, buf_fx + FXSAVE_SW_OFFSET, sizeof(sw)) < 0)
		return -EFAULT;
	bool fx_only = sw.magic1 != FP_XSTATE_MAGIC1 ||
	               sw.xstate_size < FXSAVE_SIZE + XSAVE_HDR_SIZE ||
	               sw.xstate_size > (uint64_t)size || sw.xstate_size > sw.extended_size;
	if (!fx_only) {
		uint32_t magic2;
		if (mm_copy_in(t->mm, &magic2, buf_fx + sw.xstate_size, sizeof(magic2)) < 0)
			return -EFAULT;
		fx_only = magic2 != FP_XSTATE_MAGIC2;
	}

	memset(fpb, 0, (size_t)size);
	uint64_t bv;
	if (fx_only) {
		/* Only the legacy area (FXRSTOR); every other component is reset. */
		if (mm_copy_in(t->mm, fpb, buf_fx, FXSAVE_SIZE) < 0)
			return -EFAULT;
		bv = XFEATURE_MASK_FPSSE;
	} else {
		if (mm_copy_in(t->mm, fpb, buf_fx, sw.xstate_size) < 0)
			return -EFAULT;
		/*
		 * XRSTOR with sw.xfeatures as its mask: enabled components outside it
		 * are reset; bits the host refuses stay, so that it fails as XRSTOR
		 * would (#GP: SIGSEGV).
		 */
		memcpy(&bv, fpb + XSAVE_HDR_OFFSET, sizeof(bv));
		bv &= ~(xcr0 & ~sw.xfeatures);
	}
	memcpy(fpb + XSAVE_HDR_OFFSET, &bv, sizeof(bv));
	/* The software bytes are not state. */
	memset(fpb + FXSAVE_SW_OFFSET, 0, sizeof(sw));
	long err = plat(t)->ctx_set_fpstate(t->ctx, fpb, (size_t)size);
	if (err < 0) {
		log_debug("task %d: rt_sigreturn: FP state refused (%ld)", t->tid, err);
		return -EFAULT;
	}
	return 0;
}

long sigframe_return(struct task *t)
{
	const struct platform_ops *p = plat(t);
	struct linux_regs *regs = p->ctx_regs(t->ctx);
	uaddr_t frame_addr = regs->rsp - 8;
	struct rt_sigframe frame;

	/* The frame's syscall is over: no restart code applies to what follows. */
	t->in_syscall = false;
	/* Linux's restore_sigcontext: an interrupted restart_syscall is not resumed. */
	t->restart.fn = NULL;
	if (mm_copy_in(t->mm, &frame, frame_addr, sizeof(frame)) < 0)
		goto badframe;
	task_set_sigmask(t, frame.uc.uc_sigmask);

	const struct linux_sigcontext *sc = &frame.uc.uc_mcontext;
	regs->r8 = sc->r8;
	regs->r9 = sc->r9;
	regs->r10 = sc->r10;
	regs->r11 = sc->r11;
	regs->r12 = sc->r12;
	regs->r13 = sc->r13;
	regs->r14 = sc->r14;
	regs->r15 = sc->r15;
	regs->rdi = sc->rdi;
	regs->rsi = sc->rsi;
	regs->rbp = sc->rbp;
	regs->rbx = sc->rbx;
	regs->rdx = sc->rdx;
	regs->rax = sc->rax;
	regs->rcx = sc->rcx;
	regs->rsp = sc->rsp;
	regs->rip = sc->rip;
	/* CPL 3 whatever the frame says, and only the flags a program may change. */
	regs->cs = sc->cs | 3;
	regs->ss = sc->ss | 3;
	regs->eflags = (regs->eflags & ~(uint64_t)FIX_EFLAGS) | (sc->eflags & FIX_EFLAGS);
	regs->orig_rax = (uint64_t)-1;
	if (!(frame.uc.uc_flags & UC_STRICT_RESTORE_SS) && regs->ss != USER_DS)
		regs->ss = USER_DS;
	p->ctx_regs_changed(t->ctx);
	if (fpstate_restore(t, sc->fpstate) < 0)
		goto badframe;

	/* Linux's restore_altstack(): errors other than EFAULT are ignored. */
	task_sigaltstack(t, &frame.uc.uc_stack, NULL, regs->rsp, LINUX_MINSIGSTKSZ);
	return (long)regs->rax;

badframe:
	log_debug("task %d: bad rt_sigreturn frame at %#llx", t->tid,
	          (unsigned long long)frame_addr);
	task_force_sigsegv(t);
	return 0;
}
