/*
 * sig_frame: what a handler sees and changes through its frame, single-threaded.
 *  - SSE registers and MXCSR survive a handler that clobbers them, and the handler starts
 *    with the initial MXCSR (Linux resets the FP state for a handler);
 *  - a SIGILL handler skips ud2 by editing REG_RIP, and sets REG_RAX, which the interrupted
 *    code then sees (rt_sigreturn restores the edited registers);
 *  - a SIGSEGV handler gets si_addr and SEGV_MAPERR for a load from an unmapped page;
 *  - sigaltstack: the handler runs on the alternate stack, sees SS_ONSTACK, and with
 *    SS_AUTODISARM sees the stack disarmed, which rt_sigreturn re-arms;
 *  - a stack overflow is caught by a SIGSEGV handler on the alternate stack.
 */
#include <setjmp.h>
#include <stdbool.h>
#include <signal.h>
#include <sys/resource.h>
#include <ucontext.h>

#include "test.h"

#define K_SS_AUTODISARM (1U << 31)

/* Written by handlers; not static, see sig_handler.c. */
volatile int g_hits;
volatile uint32_t g_handler_mxcsr;
volatile uintptr_t g_addr, g_local;
volatile int g_code, g_ss_flags;
sigjmp_buf g_jmp;
char *g_alt;
size_t g_alt_size = 1 << 16;

static void on_clobber(int sig)
{
	(void)sig;
	uint32_t m;
	__asm__ volatile("stmxcsr %0" : "=m"(m));
	g_handler_mxcsr = m;
	uint32_t other = 0x9fc0;
	__asm__ volatile("ldmxcsr %0\n\t"
	                 "pcmpeqb %%xmm0, %%xmm0\n\t"
	                 "movdqa %%xmm0, %%xmm1\n\t"
	                 "movdqa %%xmm0, %%xmm7\n\t"
	                 "movdqa %%xmm0, %%xmm8\n\t"
	                 "movdqa %%xmm0, %%xmm15\n\t" ::"m"(other)
	                 : "xmm0", "xmm1", "xmm7", "xmm8", "xmm15");
	g_hits++;
}

static void check_sse_preserved(void)
{
	static uint8_t in[5][16] __attribute__((aligned(16))),
	        out[5][16] __attribute__((aligned(16)));
	for (int r = 0; r < 5; r++)
		for (int i = 0; i < 16; i++)
			in[r][i] = (uint8_t)(r * 31 + i * 7 + 1);
	uint32_t mx_in = 0x1f80 | 0x8000 | 0x40; /* FTZ and DAZ set */
	uint32_t mx_out = 0;
	long pid = getpid(), tid = gettid();
	long ret;
	__asm__ volatile("ldmxcsr %[mxi]\n\t"
	                 "movdqa 0(%[in]), %%xmm0\n\t"
	                 "movdqa 16(%[in]), %%xmm1\n\t"
	                 "movdqa 32(%[in]), %%xmm7\n\t"
	                 "movdqa 48(%[in]), %%xmm8\n\t"
	                 "movdqa 64(%[in]), %%xmm15\n\t"
	                 "syscall\n\t"
	                 "movdqa %%xmm0, 0(%[out])\n\t"
	                 "movdqa %%xmm1, 16(%[out])\n\t"
	                 "movdqa %%xmm7, 32(%[out])\n\t"
	                 "movdqa %%xmm8, 48(%[out])\n\t"
	                 "movdqa %%xmm15, 64(%[out])\n\t"
	                 "stmxcsr %[mxo]\n\t"
	                 : "=a"(ret), [mxo] "=m"(mx_out)
	                 : "a"((long)SYS_tgkill), "D"(pid), "S"(tid),
	                   "d"((long)SIGUSR1), [in] "r"(in), [out] "r"(out), [mxi] "m"(mx_in)
	                 : "rcx", "r11", "memory", "xmm0", "xmm1", "xmm7", "xmm8", "xmm15");
	uint32_t def = 0x1f80;
	__asm__ volatile("ldmxcsr %0" ::"m"(def));
	CHECK_EQ(ret, 0);
	CHECK_EQ(g_hits, 1);
	CHECK_EQ(g_handler_mxcsr, 0x1f80);
	CHECK_EQ(mx_out, mx_in);
	for (int r = 0; r < 5; r++)
		if (memcmp(in[r], out[r], 16) != 0)
			test_fail(__FILE__, __LINE__, "xmm register %d changed across a handler",
			          r);
}

static void on_ill(int sig, siginfo_t *info, void *ucv)
{
	(void)sig;
	ucontext_t *uc = ucv;
	g_code = info->si_code;
	g_addr = (uintptr_t)info->si_addr;
	uc->uc_mcontext.gregs[REG_RIP] += 2; /* ud2 */
	uc->uc_mcontext.gregs[REG_RAX] = 0x1234;
	g_hits++;
}

static void on_segv_skip(int sig, siginfo_t *info, void *ucv)
{
	(void)sig;
	ucontext_t *uc = ucv;
	g_code = info->si_code;
	g_addr = (uintptr_t)info->si_addr;
	uc->uc_mcontext.gregs[REG_RIP] += 2; /* movl (%rdx), %eax */
	uc->uc_mcontext.gregs[REG_RAX] = 77;
	g_hits++;
}

static void on_alt(int sig)
{
	(void)sig;
	int local;
	g_local = (uintptr_t)&local;
	stack_t ss;
	sigaltstack(NULL, &ss);
	g_ss_flags = ss.ss_flags;
	g_hits++;
}

static void on_overflow(int sig)
{
	(void)sig;
	int local;
	g_local = (uintptr_t)&local;
	siglongjmp(g_jmp, 1);
}

static int recurse(volatile char *p, long depth)
{
	volatile char buf[4096];
	if (depth == LONG_MAX)
		return 0;
	buf[0] = p ? p[0] : 0;
	return recurse(buf, depth + 1) + buf[1];
}

static bool on_alt_stack(uintptr_t p)
{
	return p >= (uintptr_t)g_alt && p < (uintptr_t)g_alt + g_alt_size;
}

int main(void)
{
	struct sigaction sa = { 0 };
	sa.sa_handler = on_clobber;
	CHECK_SYS(sigaction(SIGUSR1, &sa, NULL));
	check_sse_preserved();

	/* ud2: SIGILL at the instruction; the handler moves rip past it and sets rax. */
	sa.sa_sigaction = on_ill;
	sa.sa_flags = SA_SIGINFO;
	CHECK_SYS(sigaction(SIGILL, &sa, NULL));
	g_hits = 0;
	long rax;
	uintptr_t where;
	__asm__ volatile("lea 0f(%%rip), %1\n\t"
	                 "xor %%eax, %%eax\n\t"
	                 "0: ud2\n\t"
	                 : "=a"(rax), "=r"(where));
	CHECK_EQ(g_hits, 1);
	CHECK_EQ(rax, 0x1234);
	CHECK_EQ(g_code, ILL_ILLOPN);
	CHECK_EQ(g_addr, where);

	/* A load from an unmapped page: SIGSEGV with si_addr, skipped by the handler. */
	sa.sa_sigaction = on_segv_skip;
	CHECK_SYS(sigaction(SIGSEGV, &sa, NULL));
	g_hits = 0;
	char *hole = test_unmapped_page();
	__asm__ volatile("movl (%%rdx), %%eax\n\t"
	                 : "=a"(rax)
	                 : "d"(hole + 24), "a"(0L)
	                 : "memory");
	CHECK_EQ(g_hits, 1);
	CHECK_EQ(rax, 77);
	CHECK_EQ(g_code, SEGV_MAPERR);
	CHECK_EQ(g_addr, (uintptr_t)(hole + 24));

	/* The alternate stack: SA_ONSTACK runs the handler there, which sees SS_ONSTACK. */
	g_alt = test_map(g_alt_size, PROT_READ | PROT_WRITE);
	stack_t ss = { .ss_sp = g_alt, .ss_size = g_alt_size, .ss_flags = 0 };
	CHECK_SYS(sigaltstack(&ss, NULL));
	sa.sa_handler = on_alt;
	sa.sa_flags = SA_ONSTACK;
	CHECK_SYS(sigaction(SIGUSR2, &sa, NULL));
	g_hits = 0;
	raise(SIGUSR2);
	CHECK_EQ(g_hits, 1);
	CHECK(on_alt_stack(g_local));
	CHECK_EQ(g_ss_flags, SS_ONSTACK);
	/* Without SA_ONSTACK: the normal stack. */
	sa.sa_flags = 0;
	CHECK_SYS(sigaction(SIGUSR2, &sa, NULL));
	raise(SIGUSR2);
	CHECK(!on_alt_stack(g_local));
	CHECK_EQ(g_ss_flags, 0);

	/* SS_AUTODISARM: disarmed while the handler runs, re-armed by rt_sigreturn. */
	ss.ss_flags = (int)K_SS_AUTODISARM;
	CHECK_SYS(sigaltstack(&ss, NULL));
	sa.sa_flags = SA_ONSTACK;
	CHECK_SYS(sigaction(SIGUSR2, &sa, NULL));
	raise(SIGUSR2);
	CHECK(on_alt_stack(g_local));
	CHECK_EQ(g_ss_flags, SS_DISABLE);
	stack_t cur;
	CHECK_SYS(sigaltstack(NULL, &cur));
	CHECK_EQ((unsigned)cur.ss_flags, K_SS_AUTODISARM);
	CHECK(cur.ss_sp == g_alt && cur.ss_size == g_alt_size);

	/* A stack overflow, caught on the alternate stack. */
	ss.ss_flags = 0;
	CHECK_SYS(sigaltstack(&ss, NULL));
	sa.sa_handler = on_overflow;
	sa.sa_flags = SA_ONSTACK | SA_NODEFER;
	CHECK_SYS(sigaction(SIGSEGV, &sa, NULL));
	struct rlimit rl = { 8 << 20, 8 << 20 };
	setrlimit(RLIMIT_STACK, &rl);
	if (sigsetjmp(g_jmp, 1) == 0) {
		recurse(NULL, 0);
		test_unreachable("infinite recursion");
	}
	CHECK(on_alt_stack(g_local));
	return 0;
}
