/*
 * initial_regs: a program starts with Linux's initial register state: every
 * general register zero but rsp (and rip), the FP/vector registers in their
 * initial state (x87 control word 0x37f, MXCSR 0x1f80, every xmm register
 * zero). In the sandbox this also shows that no sentry value leaks into the
 * application through its registers.
 *
 * Built without libc (-nostdlib): _start captures the registers before any
 * code runs, then checks them in C.
 */
#include <stdint.h>
#include <sys/syscall.h>

struct initial {
	uint64_t gpr[15]; /* rax rbx rcx rdx rsi rdi rbp r8..r15 */
	uint8_t xmm[16][16];
	uint32_t mxcsr;
	uint16_t fcw;
};

struct initial g_initial;

void start_c(void) __attribute__((noreturn, used));

__asm__(".globl _start\n"
        "_start:\n"
        "	mov %rax, g_initial+0(%rip)\n"
        "	mov %rbx, g_initial+8(%rip)\n"
        "	mov %rcx, g_initial+16(%rip)\n"
        "	mov %rdx, g_initial+24(%rip)\n"
        "	mov %rsi, g_initial+32(%rip)\n"
        "	mov %rdi, g_initial+40(%rip)\n"
        "	mov %rbp, g_initial+48(%rip)\n"
        "	mov %r8, g_initial+56(%rip)\n"
        "	mov %r9, g_initial+64(%rip)\n"
        "	mov %r10, g_initial+72(%rip)\n"
        "	mov %r11, g_initial+80(%rip)\n"
        "	mov %r12, g_initial+88(%rip)\n"
        "	mov %r13, g_initial+96(%rip)\n"
        "	mov %r14, g_initial+104(%rip)\n"
        "	mov %r15, g_initial+112(%rip)\n"
        "	movdqu %xmm0, g_initial+120(%rip)\n"
        "	movdqu %xmm1, g_initial+136(%rip)\n"
        "	movdqu %xmm2, g_initial+152(%rip)\n"
        "	movdqu %xmm3, g_initial+168(%rip)\n"
        "	movdqu %xmm4, g_initial+184(%rip)\n"
        "	movdqu %xmm5, g_initial+200(%rip)\n"
        "	movdqu %xmm6, g_initial+216(%rip)\n"
        "	movdqu %xmm7, g_initial+232(%rip)\n"
        "	movdqu %xmm8, g_initial+248(%rip)\n"
        "	movdqu %xmm9, g_initial+264(%rip)\n"
        "	movdqu %xmm10, g_initial+280(%rip)\n"
        "	movdqu %xmm11, g_initial+296(%rip)\n"
        "	movdqu %xmm12, g_initial+312(%rip)\n"
        "	movdqu %xmm13, g_initial+328(%rip)\n"
        "	movdqu %xmm14, g_initial+344(%rip)\n"
        "	movdqu %xmm15, g_initial+360(%rip)\n"
        "	stmxcsr g_initial+376(%rip)\n"
        "	fnstcw g_initial+380(%rip)\n"
        "	and $-16, %rsp\n"
        "	call start_c\n");

static long raw_syscall3(long nr, long a, long b, long c)
{
	long ret;
	__asm__ volatile("syscall"
	                 : "=a"(ret)
	                 : "a"(nr), "D"(a), "S"(b), "d"(c)
	                 : "rcx", "r11", "memory");
	return ret;
}

static void say(const char *s)
{
	long n = 0;
	while (s[n])
		n++;
	raw_syscall3(SYS_write, 2, (long)s, n);
}

static void fail(const char *what) __attribute__((noreturn));
static void fail(const char *what)
{
	say("initial_regs: ");
	say(what);
	say("\n");
	raw_syscall3(SYS_exit_group, 1, 0, 0);
	__builtin_unreachable();
}

void start_c(void)
{
	static const char *const names[15] = { "rax", "rbx", "rcx", "rdx", "rsi",
		                               "rdi", "rbp", "r8",  "r9",  "r10",
		                               "r11", "r12", "r13", "r14", "r15" };
	for (int i = 0; i < 15; i++) {
		if (g_initial.gpr[i] != 0)
			fail(names[i]);
	}
	for (int i = 0; i < 16; i++) {
		for (int j = 0; j < 16; j++) {
			if (g_initial.xmm[i][j] != 0)
				fail("an xmm register is not zero");
		}
	}
	if (g_initial.mxcsr != 0x1f80)
		fail("MXCSR is not 0x1f80");
	if (g_initial.fcw != 0x37f)
		fail("the x87 control word is not 0x37f");
	raw_syscall3(SYS_exit_group, 0, 0, 0);
	__builtin_unreachable();
}
