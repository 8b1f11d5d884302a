/*
 * plat_faults: every kind of CPU fault a platform has to turn into a signal, caught by one
 * SA_SIGINFO handler, with si_signo, si_code, si_addr, the faulting rip and the frame's trapno
 * exactly as Linux reports them (x86-64, 4- or 5-level paging):
 *  - loads and stores at NULL, at an unmapped page (SEGV_MAPERR, the exact address), at a
 *    PROT_READ page (a store: SEGV_ACCERR) and at a PROT_NONE page (SEGV_ACCERR);
 *  - jumps into an unmapped page (SEGV_MAPERR), into a PROT_READ|PROT_WRITE page and into a
 *    PROT_NONE page (SEGV_ACCERR), with si_addr and rip the target;
 *  - the kernel half (0xffff800000000000, 0xffffffff80000000): loads, stores and a jump give
 *    SEGV_MAPERR with the exact address (Linux reports user accesses there as unmapped);
 *  - a non-canonical address (0x8000000000000000): a load, a store and a jump raise #GP,
 *    reported as SI_KERNEL with si_addr 0 and rip at the instruction itself;
 *  - hlt, int $0x41 and a misaligned movaps: #GP, SI_KERNEL, si_addr 0;
 *  - ud2: SIGILL ILL_ILLOPN at rip; int3: SIGTRAP SI_KERNEL, rip after it; idiv by 0 and
 *    INT_MIN / -1: SIGFPE FPE_INTDIV at rip; the trap flag: SIGTRAP TRAP_TRACE;
 *  - a file mapping past the end of its file, and after a truncation: SIGBUS BUS_ADRERR;
 *  - a handler that skips ud2 through REG_RIP: every general-purpose register, rflags (CF
 *    and DF: the handler itself runs with DF clear) and xmm0-15 are seen by the handler in its
 *    frame as they were at the fault, and survive the handler clobbering them;
 *  - faults in four threads at once each reach a handler on the faulting thread.
 */
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdatomic.h>
#include <ucontext.h>

#include "test.h"

#define TRAP_DE 0
#define TRAP_DB 1
#define TRAP_BP 3
#define TRAP_UD 6
#define TRAP_GP 13
#define TRAP_PF 14

#define EFLAGS_CF 0x1UL
#define EFLAGS_TF 0x100UL
#define EFLAGS_DF 0x400UL

enum mode { MODE_JUMP, MODE_SKIP, MODE_STEP };

/* What the handler saw; g_at is the address of the faulting instruction, stored by the asm. */
static volatile int g_mode, g_skip, g_hits, g_signo, g_code;
static volatile uintptr_t g_addr, g_rip, g_trapno;
static uintptr_t g_at;
static sigjmp_buf g_jmp;

/* Register checks: the values loaded before ud2, and what the handler and the code saw. */
#define NREGS 14
static uint64_t g_rin[NREGS], g_rout[NREGS], g_rsp_in, g_rsp_out, g_rbp_save, g_flags_out;
static volatile uint64_t g_rframe[NREGS], g_fl_frame, g_fl_handler;
static uint8_t g_xin[16][16] __attribute__((aligned(16)));
static uint8_t g_xout[16][16] __attribute__((aligned(16)));
static uint8_t g_xframe[16][16];
static volatile int g_check_regs, g_check_xmm;

static const int g_greg_index[NREGS] = { REG_RAX, REG_RBX, REG_RCX, REG_RDX, REG_RSI,
	                                 REG_RDI, REG_R8,  REG_R9,  REG_R10, REG_R11,
	                                 REG_R12, REG_R13, REG_R14, REG_R15 };

static void on_fault(int sig, siginfo_t *info, void *ucv)
{
	ucontext_t *uc = ucv;
	g_hits++;
	g_signo = sig;
	g_code = info->si_code;
	g_addr = (uintptr_t)info->si_addr;
	g_rip = (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
	g_trapno = (uintptr_t)uc->uc_mcontext.gregs[REG_TRAPNO];
	if (g_check_regs) {
		for (int i = 0; i < NREGS; i++)
			g_rframe[i] = (uint64_t)uc->uc_mcontext.gregs[g_greg_index[i]];
		g_fl_frame = (uint64_t)uc->uc_mcontext.gregs[REG_EFL];
		uint64_t fl;
		__asm__ volatile("pushfq\n\tpopq %0" : "=r"(fl));
		g_fl_handler = fl;
		/* Clobber what the interrupted code must get back. */
		__asm__ volatile("mov $-1, %%rbx\n\t"
		                 "mov $-1, %%r12\n\t"
		                 "mov $-1, %%r13\n\t"
		                 "mov $-1, %%r14\n\t"
		                 "mov $-1, %%r15\n\t"
		                 "std\n\t"
		                 "cld\n\t"
		                 "stc" ::
		                         : "rbx", "r12", "r13", "r14", "r15", "cc");
	}
	if (g_check_xmm) {
		memcpy(g_xframe, uc->uc_mcontext.fpregs->_xmm, sizeof(g_xframe));
		__asm__ volatile("pcmpeqb %%xmm0, %%xmm0\n\t"
		                 "movdqa %%xmm0, %%xmm1\n\t"
		                 "movdqa %%xmm0, %%xmm2\n\t"
		                 "movdqa %%xmm0, %%xmm3\n\t"
		                 "movdqa %%xmm0, %%xmm4\n\t"
		                 "movdqa %%xmm0, %%xmm5\n\t"
		                 "movdqa %%xmm0, %%xmm6\n\t"
		                 "movdqa %%xmm0, %%xmm7\n\t"
		                 "movdqa %%xmm0, %%xmm8\n\t"
		                 "movdqa %%xmm0, %%xmm9\n\t"
		                 "movdqa %%xmm0, %%xmm10\n\t"
		                 "movdqa %%xmm0, %%xmm11\n\t"
		                 "movdqa %%xmm0, %%xmm12\n\t"
		                 "movdqa %%xmm0, %%xmm13\n\t"
		                 "movdqa %%xmm0, %%xmm14\n\t"
		                 "movdqa %%xmm0, %%xmm15\n\t" ::
		                         : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6",
		                           "xmm7", "xmm8", "xmm9", "xmm10", "xmm11", "xmm12",
		                           "xmm13", "xmm14", "xmm15");
	}
	if (g_mode == MODE_STEP) {
		uc->uc_mcontext.gregs[REG_EFL] &= ~(greg_t)EFLAGS_TF;
		return;
	}
	if (g_mode == MODE_SKIP) {
		uc->uc_mcontext.gregs[REG_RIP] += g_skip;
		return;
	}
	siglongjmp(g_jmp, 1);
}

/* AT(insn): insn, with its address stored in g_at first (operand %[at]). */
#define AT(insn)                   \
	"lea 1f(%%rip), %%r11\n\t" \
	"mov %%r11, %[at]\n"       \
	"1:\t" insn "\n\t"

static void do_load(uintptr_t p)
{
	__asm__ volatile(AT("movl (%[p]), %%eax")
	                 : [at] "=m"(g_at)
	                 : [p] "r"(p)
	                 : "rax", "r11", "memory");
}

static void do_store(uintptr_t p)
{
	__asm__ volatile(AT("movl %%eax, (%[p])")
	                 : [at] "=m"(g_at)
	                 : [p] "r"(p), "a"(0)
	                 : "r11", "memory");
}

/* A jump (not a call: a call would push into the red zone) that never comes back. */
static void do_jump(uintptr_t p)
{
	__asm__ volatile(AT("jmp *%[p]") : [at] "=m"(g_at) : [p] "r"(p) : "r11", "memory");
}

static void do_ud2(void)
{
	__asm__ volatile(AT("ud2") : [at] "=m"(g_at) : : "r11", "memory");
}

static void do_hlt(void)
{
	__asm__ volatile(AT("hlt") : [at] "=m"(g_at) : : "r11", "memory");
}

static void do_int41(void)
{
	__asm__ volatile(AT("int $0x41") : [at] "=m"(g_at) : : "r11", "memory");
}

static void do_movaps(uintptr_t p)
{
	__asm__ volatile(AT("movaps (%[p]), %%xmm0")
	                 : [at] "=m"(g_at)
	                 : [p] "r"(p)
	                 : "r11", "xmm0", "memory");
}

/* int3 traps after itself: g_at is the address of the next instruction. */
static void do_int3(void)
{
	__asm__ volatile("lea 1f(%%rip), %%r11\n\t"
	                 "mov %%r11, %[at]\n\t"
	                 "int3\n"
	                 "1:\n\t"
	                 : [at] "=m"(g_at)
	                 :
	                 : "r11", "memory");
}

static void do_div(int num, int den)
{
	int hi = num < 0 ? -1 : 0;
	__asm__ volatile(AT("idivl %%ecx")
	                 : [at] "=m"(g_at), "+a"(num), "+d"(hi)
	                 : "c"(den)
	                 : "r11", "memory", "cc");
}

/*
 * Sets the trap flag with popfq: the CPU traps after the instruction that follows popfq,
 * with rip at the instruction after that one; the handler clears the flag in the frame.
 */
static void do_single_step(void)
{
	__asm__ volatile("lea 1f(%%rip), %%r11\n\t"
	                 "mov %%r11, %[at]\n\t"
	                 "lea -128(%%rsp), %%rsp\n\t"
	                 "pushfq\n\t"
	                 "orq $0x100, (%%rsp)\n\t"
	                 "popfq\n\t"
	                 "nop\n"
	                 "1:\n\t"
	                 "nop\n\t"
	                 "lea 128(%%rsp), %%rsp\n\t"
	                 : [at] "=m"(g_at)
	                 :
	                 : "r11", "memory", "cc");
}

#define AT_FAULT ((uintptr_t)-1) /* expect rip at g_at */

/*
 * expect: the handler ran once with signo, code, si_addr addr, rip (AT_FAULT: the faulting
 * instruction, g_at) and trapno.
 */
static void expect(int line, const char *what, int signo, int code, uintptr_t addr, uintptr_t rip,
                   int trapno)
{
	if (rip == AT_FAULT)
		rip = g_at;
	if (g_hits != 1 || g_signo != signo || g_code != code || g_addr != addr || g_rip != rip ||
	    g_trapno != (uintptr_t)trapno)
		test_fail(__FILE__, line,
		          "%s: %d signal(s), the last signo %d si_code %#x si_addr %#lx rip %#lx "
		          "trapno %lu; expected one, signo %d si_code %#x si_addr %#lx rip %#lx "
		          "trapno %d",
		          what, g_hits, g_signo, g_code, (unsigned long)g_addr,
		          (unsigned long)g_rip, (unsigned long)g_trapno, signo, code,
		          (unsigned long)addr, (unsigned long)rip, trapno);
}

static void reset(int mode, int skip)
{
	g_mode = mode;
	g_skip = skip;
	g_hits = g_signo = g_code = 0;
	g_addr = g_rip = g_trapno = 0;
	g_at = 0;
}

/* FAULT(what, act, signo, code, addr, rip, trapno): act must fault; the handler jumps back. */
#define FAULT(what, act, signo, code, addr, rip, trapno)                     \
	do {                                                                 \
		reset(MODE_JUMP, 0);                                         \
		if (sigsetjmp(g_jmp, 1) == 0) {                              \
			act;                                                 \
			test_fail(__FILE__, __LINE__, "%s: no fault", what); \
		}                                                            \
		expect(__LINE__, what, signo, code, addr, rip, trapno);      \
	} while (0)

static void check_memory_faults(void)
{
	uintptr_t hole = (uintptr_t)test_unmapped_page() + 0x123;
	FAULT("load NULL", do_load(0), SIGSEGV, SEGV_MAPERR, 0, AT_FAULT, TRAP_PF);
	FAULT("store NULL", do_store(0), SIGSEGV, SEGV_MAPERR, 0, AT_FAULT, TRAP_PF);
	FAULT("load 8", do_load(8), SIGSEGV, SEGV_MAPERR, 8, AT_FAULT, TRAP_PF);
	FAULT("load unmapped", do_load(hole), SIGSEGV, SEGV_MAPERR, hole, AT_FAULT, TRAP_PF);
	FAULT("store unmapped", do_store(hole), SIGSEGV, SEGV_MAPERR, hole, AT_FAULT, TRAP_PF);

	/* mmap then munmap: the page is gone for the platform too. */
	char *gone = test_map(PAGE_SIZE, PROT_READ | PROT_WRITE);
	gone[7] = 1;
	CHECK_SYS(munmap(gone, PAGE_SIZE));
	FAULT("load munmapped", do_load((uintptr_t)gone + 7), SIGSEGV, SEGV_MAPERR,
	      (uintptr_t)gone + 7, AT_FAULT, TRAP_PF);

	uintptr_t ro = (uintptr_t)test_map(PAGE_SIZE, PROT_READ) + 0x40;
	do_load(ro); /* readable */
	FAULT("store read-only", do_store(ro), SIGSEGV, SEGV_ACCERR, ro, AT_FAULT, TRAP_PF);
	/* Written once, then made read-only: the platform must drop its writable mapping. */
	char *rw = test_map(PAGE_SIZE, PROT_READ | PROT_WRITE);
	rw[0] = 1;
	CHECK_SYS(mprotect(rw, PAGE_SIZE, PROT_READ));
	FAULT("store mprotected", do_store((uintptr_t)rw + 8), SIGSEGV, SEGV_ACCERR,
	      (uintptr_t)rw + 8, AT_FAULT, TRAP_PF);
	CHECK_EQ(rw[0], 1);

	uintptr_t none = (uintptr_t)test_map(PAGE_SIZE, PROT_NONE) + 0x100;
	FAULT("load PROT_NONE", do_load(none), SIGSEGV, SEGV_ACCERR, none, AT_FAULT, TRAP_PF);
	FAULT("store PROT_NONE", do_store(none), SIGSEGV, SEGV_ACCERR, none, AT_FAULT, TRAP_PF);
}

static void check_exec_faults(void)
{
	uintptr_t hole = (uintptr_t)test_unmapped_page();
	FAULT("jump unmapped", do_jump(hole), SIGSEGV, SEGV_MAPERR, hole, hole, TRAP_PF);
	FAULT("jump NULL", do_jump(0), SIGSEGV, SEGV_MAPERR, 0, 0, TRAP_PF);
	/* A page holding a valid instruction (ret), but not executable. */
	uint8_t *rw = test_map(PAGE_SIZE, PROT_READ | PROT_WRITE);
	memset(rw, 0xc3, PAGE_SIZE);
	FAULT("jump read-write", do_jump((uintptr_t)rw + 16), SIGSEGV, SEGV_ACCERR,
	      (uintptr_t)rw + 16, (uintptr_t)rw + 16, TRAP_PF);
	uintptr_t none = (uintptr_t)test_map(PAGE_SIZE, PROT_NONE);
	FAULT("jump PROT_NONE", do_jump(none), SIGSEGV, SEGV_ACCERR, none, none, TRAP_PF);
}

static void check_kernel_address(uintptr_t k)
{
	FAULT("load kernel", do_load(k), SIGSEGV, SEGV_MAPERR, k, AT_FAULT, TRAP_PF);
	FAULT("store kernel", do_store(k), SIGSEGV, SEGV_MAPERR, k, AT_FAULT, TRAP_PF);
	FAULT("jump kernel", do_jump(k), SIGSEGV, SEGV_MAPERR, k, k, TRAP_PF);
}

static void check_kernel_addresses(void)
{
	static const uintptr_t kern[] = { 0xffff800000000000UL, 0xffffffff80000000UL,
		                          0xfffffffffffff000UL };
	for (size_t i = 0; i < sizeof(kern) / sizeof(kern[0]); i++)
		check_kernel_address(kern[i]);
	/* Non-canonical under 4- and 5-level paging: #GP, which reports no address. */
	uintptr_t nc = 0x8000000000000000UL;
	FAULT("load non-canonical", do_load(nc), SIGSEGV, SI_KERNEL, 0, AT_FAULT, TRAP_GP);
	FAULT("store non-canonical", do_store(nc), SIGSEGV, SI_KERNEL, 0, AT_FAULT, TRAP_GP);
	FAULT("jump non-canonical", do_jump(nc), SIGSEGV, SI_KERNEL, 0, AT_FAULT, TRAP_GP);
	FAULT("load non-canonical 2", do_load(0x7fffffffffff0000UL), SIGSEGV, SI_KERNEL, 0,
	      AT_FAULT, TRAP_GP);
}

static void check_instruction_faults(void)
{
	FAULT("ud2", do_ud2(), SIGILL, ILL_ILLOPN, g_at, AT_FAULT, TRAP_UD);
	FAULT("int3", do_int3(), SIGTRAP, SI_KERNEL, 0, AT_FAULT, TRAP_BP);
	FAULT("hlt", do_hlt(), SIGSEGV, SI_KERNEL, 0, AT_FAULT, TRAP_GP);
	FAULT("int $0x41", do_int41(), SIGSEGV, SI_KERNEL, 0, AT_FAULT, TRAP_GP);
	static uint8_t buf[64] __attribute__((aligned(16)));
	do_movaps((uintptr_t)buf + 16);
	FAULT("misaligned movaps", do_movaps((uintptr_t)buf + 8), SIGSEGV, SI_KERNEL, 0, AT_FAULT,
	      TRAP_GP);

	FAULT("divide by zero", do_div(1, 0), SIGFPE, FPE_INTDIV, g_at, AT_FAULT, TRAP_DE);
	FAULT("INT_MIN / -1", do_div(INT_MIN, -1), SIGFPE, FPE_INTDIV, g_at, AT_FAULT, TRAP_DE);

	/* The trap flag: one SIGTRAP TRAP_TRACE, then the handler clears it and code goes on. */
	reset(MODE_STEP, 0);
	do_single_step();
	expect(__LINE__, "single step", SIGTRAP, TRAP_TRACE, g_at, AT_FAULT, TRAP_DB);
}

static void check_sigbus(void)
{
	char path[] = "/tmp/plat_faults.XXXXXX";
	int fd = (int)CHECK_SYS(mkstemp(path));
	CHECK_SYS(unlink(path));
	CHECK_SYS(ftruncate(fd, 100));
	uint8_t *m = (uint8_t *)CHECK_SYS(
	        mmap(NULL, 3 * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0));
	/* The rest of the last page of the file reads as zeroes. */
	CHECK_EQ(m[200], 0);
	m[50] = 7;
	uintptr_t past = (uintptr_t)m + PAGE_SIZE + 5;
	FAULT("load past EOF", do_load(past), SIGBUS, BUS_ADRERR, past, AT_FAULT, TRAP_PF);
	FAULT("store past EOF", do_store(past + PAGE_SIZE), SIGBUS, BUS_ADRERR, past + PAGE_SIZE,
	      AT_FAULT, TRAP_PF);
	/* Truncated under the mapping: the page that was readable is gone. */
	CHECK_SYS(ftruncate(fd, 0));
	FAULT("load truncated", do_load((uintptr_t)m + 64), SIGBUS, BUS_ADRERR, (uintptr_t)m + 64,
	      AT_FAULT, TRAP_PF);
	/* Grown again: readable, and zero. */
	CHECK_SYS(ftruncate(fd, 2 * PAGE_SIZE));
	CHECK_EQ(m[50], 0);
	CHECK_EQ(m[PAGE_SIZE + 5], 0);
	CHECK_SYS(munmap(m, 3 * PAGE_SIZE));
	CHECK_SYS(close(fd));
}

/*
 * ud2 with every general-purpose register but rsp and rbp holding a pattern, CF and DF set:
 * the handler sees them in its frame, clobbers them, and skips ud2; the code sees its values.
 */
static void check_registers(void)
{
	for (int i = 0; i < NREGS; i++)
		g_rin[i] = 0x0101010101010101ULL * (uint64_t)(i + 1) ^ 0x8000000000000000ULL;
	memset(g_rout, 0, sizeof(g_rout));
	reset(MODE_SKIP, 2);
	g_check_regs = 1;
	__asm__ volatile("mov %%rbp, %[sbp]\n\t"
	                 "mov %%rsp, %[spi]\n\t"
	                 "mov 0+%[in], %%rax\n\t"
	                 "mov 8+%[in], %%rbx\n\t"
	                 "mov 16+%[in], %%rcx\n\t"
	                 "mov 24+%[in], %%rdx\n\t"
	                 "mov 32+%[in], %%rsi\n\t"
	                 "mov 40+%[in], %%rdi\n\t"
	                 "mov 48+%[in], %%r8\n\t"
	                 "mov 56+%[in], %%r9\n\t"
	                 "mov 64+%[in], %%r10\n\t"
	                 "mov 72+%[in], %%r11\n\t"
	                 "mov 80+%[in], %%r12\n\t"
	                 "mov 88+%[in], %%r13\n\t"
	                 "mov 96+%[in], %%r14\n\t"
	                 "mov 104+%[in], %%r15\n\t"
	                 "mov $0x5a5a5a5a5a5a5a5a, %%rbp\n\t"
	                 "stc\n\t"
	                 "std\n\t"
	                 "ud2\n\t"
	                 "mov %%rax, 0+%[out]\n\t"
	                 "mov %%rbx, 8+%[out]\n\t"
	                 "mov %%rcx, 16+%[out]\n\t"
	                 "mov %%rdx, 24+%[out]\n\t"
	                 "mov %%rsi, 32+%[out]\n\t"
	                 "mov %%rdi, 40+%[out]\n\t"
	                 "mov %%r8, 48+%[out]\n\t"
	                 "mov %%r9, 56+%[out]\n\t"
	                 "mov %%r10, 64+%[out]\n\t"
	                 "mov %%r11, 72+%[out]\n\t"
	                 "mov %%r12, 80+%[out]\n\t"
	                 "mov %%r13, 88+%[out]\n\t"
	                 "mov %%r14, 96+%[out]\n\t"
	                 "mov %%r15, 104+%[out]\n\t"
	                 "mov %%rsp, %[spo]\n\t"
	                 "lea -128(%%rsp), %%rsp\n\t"
	                 "pushfq\n\t"
	                 "popq %%rax\n\t"
	                 "lea 128(%%rsp), %%rsp\n\t"
	                 "mov %%rax, %[flo]\n\t"
	                 "cld\n\t"
	                 "movabs $0x5a5a5a5a5a5a5a5a, %%rax\n\t"
	                 "cmp %%rax, %%rbp\n\t"
	                 "mov %[sbp], %%rbp\n\t"
	                 "je 2f\n\t"
	                 "movq $0, %[spo]\n" /* rbp changed: fail through rsp */
	                 "2:\n\t"
	                 : [out] "=m"(g_rout), [spo] "=m"(g_rsp_out), [spi] "=m"(g_rsp_in),
	                   [flo] "=m"(g_flags_out), [sbp] "=m"(g_rbp_save)
	                 : [in] "m"(g_rin)
	                 : "rax", "rbx", "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11",
	                   "r12", "r13", "r14", "r15", "memory", "cc");
	g_check_regs = 0;
	CHECK_EQ(g_hits, 1);
	CHECK_EQ(g_signo, SIGILL);
	for (int i = 0; i < NREGS; i++) {
		if (g_rframe[i] != g_rin[i])
			test_fail(__FILE__, __LINE__,
			          "register %d in the handler's frame: %#lx, expected %#lx", i,
			          (unsigned long)g_rframe[i], (unsigned long)g_rin[i]);
		if (g_rout[i] != g_rin[i])
			test_fail(__FILE__, __LINE__,
			          "register %d after the handler: %#lx, expected %#lx", i,
			          (unsigned long)g_rout[i], (unsigned long)g_rin[i]);
	}
	CHECK_EQ(g_rsp_out, g_rsp_in);
	CHECK_EQ(g_fl_frame & (EFLAGS_CF | EFLAGS_DF), EFLAGS_CF | EFLAGS_DF);
	CHECK_EQ(g_fl_handler & EFLAGS_DF, 0);
	CHECK_EQ(g_flags_out & (EFLAGS_CF | EFLAGS_DF), EFLAGS_CF | EFLAGS_DF);
}

/* The same with xmm0-15: seen in the frame's fpstate, restored after a handler clobbers them. */
static void check_xmm(void)
{
	for (int r = 0; r < 16; r++)
		for (int i = 0; i < 16; i++)
			g_xin[r][i] = (uint8_t)(r * 17 + i * 3 + 5);
	memset(g_xout, 0, sizeof(g_xout));
	reset(MODE_SKIP, 2);
	g_check_xmm = 1;
	__asm__ volatile("movdqa 0(%[in]), %%xmm0\n\t"
	                 "movdqa 16(%[in]), %%xmm1\n\t"
	                 "movdqa 32(%[in]), %%xmm2\n\t"
	                 "movdqa 48(%[in]), %%xmm3\n\t"
	                 "movdqa 64(%[in]), %%xmm4\n\t"
	                 "movdqa 80(%[in]), %%xmm5\n\t"
	                 "movdqa 96(%[in]), %%xmm6\n\t"
	                 "movdqa 112(%[in]), %%xmm7\n\t"
	                 "movdqa 128(%[in]), %%xmm8\n\t"
	                 "movdqa 144(%[in]), %%xmm9\n\t"
	                 "movdqa 160(%[in]), %%xmm10\n\t"
	                 "movdqa 176(%[in]), %%xmm11\n\t"
	                 "movdqa 192(%[in]), %%xmm12\n\t"
	                 "movdqa 208(%[in]), %%xmm13\n\t"
	                 "movdqa 224(%[in]), %%xmm14\n\t"
	                 "movdqa 240(%[in]), %%xmm15\n\t"
	                 "ud2\n\t"
	                 "movdqa %%xmm0, 0(%[out])\n\t"
	                 "movdqa %%xmm1, 16(%[out])\n\t"
	                 "movdqa %%xmm2, 32(%[out])\n\t"
	                 "movdqa %%xmm3, 48(%[out])\n\t"
	                 "movdqa %%xmm4, 64(%[out])\n\t"
	                 "movdqa %%xmm5, 80(%[out])\n\t"
	                 "movdqa %%xmm6, 96(%[out])\n\t"
	                 "movdqa %%xmm7, 112(%[out])\n\t"
	                 "movdqa %%xmm8, 128(%[out])\n\t"
	                 "movdqa %%xmm9, 144(%[out])\n\t"
	                 "movdqa %%xmm10, 160(%[out])\n\t"
	                 "movdqa %%xmm11, 176(%[out])\n\t"
	                 "movdqa %%xmm12, 192(%[out])\n\t"
	                 "movdqa %%xmm13, 208(%[out])\n\t"
	                 "movdqa %%xmm14, 224(%[out])\n\t"
	                 "movdqa %%xmm15, 240(%[out])\n\t"
	                 :
	                 : [in] "r"(g_xin), [out] "r"(g_xout)
	                 : "memory", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7",
	                   "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15");
	g_check_xmm = 0;
	CHECK_EQ(g_hits, 1);
	for (int r = 0; r < 16; r++) {
		if (memcmp(g_xframe[r], g_xin[r], 16) != 0)
			test_fail(__FILE__, __LINE__, "xmm%d in the handler's frame differs", r);
		if (memcmp(g_xout[r], g_xin[r], 16) != 0)
			test_fail(__FILE__, __LINE__, "xmm%d after the handler differs", r);
	}
}

/* Threads: each faults on its own, and its own handler call sees its own tid. */
#define NFAULTERS 4
#define ROUNDS    200

static __thread sigjmp_buf t_jmp;
static __thread volatile int t_hits;
static __thread volatile pid_t t_handler_tid;
static atomic_int g_thread_errors;

static void on_thread_fault(int sig, siginfo_t *info, void *ucv)
{
	(void)ucv;
	if (sig != SIGSEGV || info->si_code != SEGV_MAPERR ||
	    (uintptr_t)info->si_addr != PAGE_SIZE + (uintptr_t)t_hits)
		atomic_fetch_add(&g_thread_errors, 1);
	t_handler_tid = (pid_t)syscall(SYS_gettid);
	t_hits++;
	siglongjmp(t_jmp, 1);
}

static void *faulter(void *arg)
{
	(void)arg;
	pid_t me = (pid_t)syscall(SYS_gettid);
	for (int i = 0; i < ROUNDS; i++) {
		t_handler_tid = 0;
		if (sigsetjmp(t_jmp, 1) == 0) {
			/* An address below mmap_min_addr, different each round. */
			(void)*(volatile char *)(PAGE_SIZE + (uintptr_t)i);
			atomic_fetch_add(&g_thread_errors, 1);
		}
		if (t_handler_tid != me || t_hits != i + 1)
			atomic_fetch_add(&g_thread_errors, 1);
	}
	return NULL;
}

static void check_threads(void)
{
	struct sigaction sa = { 0 };
	sa.sa_sigaction = on_thread_fault;
	sa.sa_flags = SA_SIGINFO;
	CHECK_SYS(sigaction(SIGSEGV, &sa, NULL));
	pthread_t th[NFAULTERS];
	for (int i = 0; i < NFAULTERS; i++)
		CHECK_EQ(pthread_create(&th[i], NULL, faulter, NULL), 0);
	faulter(NULL);
	for (int i = 0; i < NFAULTERS; i++)
		CHECK_EQ(pthread_join(th[i], NULL), 0);
	CHECK_EQ(atomic_load(&g_thread_errors), 0);
}

static void on_alarm(int sig)
{
	(void)sig;
	static const char msg[] = "plat_faults: the safety alarm went off\n";
	(void)!write(2, msg, sizeof(msg) - 1);
	_exit(1);
}

int main(void)
{
	signal(SIGALRM, on_alarm);
	alarm(20);
	struct sigaction sa = { 0 };
	sa.sa_sigaction = on_fault;
	sa.sa_flags = SA_SIGINFO;
	static const int sigs[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP };
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		CHECK_SYS(sigaction(sigs[i], &sa, NULL));

	check_memory_faults();
	check_exec_faults();
	check_kernel_addresses();
	check_instruction_faults();
	check_sigbus();
	check_registers();
	check_xmm();
	check_threads();
	puts("plat_faults: ok");
	return 0;
}
