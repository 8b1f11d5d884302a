/*
 * registers: a system call preserves every general-purpose register but rax (the result),
 * rcx (the return address) and r11 (the saved rflags), as the x86-64 syscall ABI says.
 */
#include "test.h"

/* The values loaded before the call, and what the registers held after it. */
static uint64_t g_in[11];
static uint64_t g_out[11];
static uint64_t g_rax, g_rcx, g_r11, g_flags, g_label;

static void run(long nr)
{
	for (int i = 0; i < 11; i++)
		g_in[i] = 0x1111111111111111ULL * (uint64_t)(i + 1) ^ (uint64_t)nr;
	memset(g_out, 0, sizeof(g_out));
	g_rax = (uint64_t)nr;
	/*
	 * Every operand is a static variable addressed relative to rip, so the asm can use all
	 * the registers. The red zone is skipped before pushf touches the stack, with lea,
	 * which leaves the flags alone.
	 */
	__asm__ volatile(
	        "mov %[i0], %%rbx\n\t"
	        "mov %[i1], %%rdx\n\t"
	        "mov %[i2], %%rsi\n\t"
	        "mov %[i3], %%rdi\n\t"
	        "mov %[i4], %%r8\n\t"
	        "mov %[i5], %%r9\n\t"
	        "mov %[i6], %%r10\n\t"
	        "mov %[i7], %%r12\n\t"
	        "mov %[i8], %%r13\n\t"
	        "mov %[i9], %%r14\n\t"
	        "mov %[i10], %%r15\n\t"
	        "lea -128(%%rsp), %%rsp\n\t"
	        "pushfq\n\t"
	        "popq %%rax\n\t"
	        "lea 128(%%rsp), %%rsp\n\t"
	        "mov %%rax, %[flags]\n\t"
	        "mov %[rax], %%rax\n\t"
	        "syscall\n"
	        "2:\n\t"
	        "mov %%rax, %[rax]\n\t"
	        "mov %%rcx, %[rcx]\n\t"
	        "mov %%r11, %[r11]\n\t"
	        "lea 2b(%%rip), %%rax\n\t"
	        "mov %%rax, %[label]\n\t"
	        "mov %%rbx, %[o0]\n\t"
	        "mov %%rdx, %[o1]\n\t"
	        "mov %%rsi, %[o2]\n\t"
	        "mov %%rdi, %[o3]\n\t"
	        "mov %%r8, %[o4]\n\t"
	        "mov %%r9, %[o5]\n\t"
	        "mov %%r10, %[o6]\n\t"
	        "mov %%r12, %[o7]\n\t"
	        "mov %%r13, %[o8]\n\t"
	        "mov %%r14, %[o9]\n\t"
	        "mov %%r15, %[o10]\n\t"
	        : [o0] "=m"(g_out[0]), [o1] "=m"(g_out[1]), [o2] "=m"(g_out[2]),
	          [o3] "=m"(g_out[3]), [o4] "=m"(g_out[4]), [o5] "=m"(g_out[5]),
	          [o6] "=m"(g_out[6]), [o7] "=m"(g_out[7]), [o8] "=m"(g_out[8]),
	          [o9] "=m"(g_out[9]), [o10] "=m"(g_out[10]), [rax] "+m"(g_rax), [rcx] "=m"(g_rcx),
	          [r11] "=m"(g_r11), [flags] "=m"(g_flags), [label] "=m"(g_label)
	        : [i0] "m"(g_in[0]), [i1] "m"(g_in[1]), [i2] "m"(g_in[2]), [i3] "m"(g_in[3]),
	          [i4] "m"(g_in[4]), [i5] "m"(g_in[5]), [i6] "m"(g_in[6]), [i7] "m"(g_in[7]),
	          [i8] "m"(g_in[8]), [i9] "m"(g_in[9]), [i10] "m"(g_in[10])
	        : "rax", "rbx", "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11", "r12", "r13",
	          "r14", "r15", "cc", "memory");

	static const char *const names[11] = { "rbx", "rdx", "rsi", "rdi", "r8", "r9",
		                               "r10", "r12", "r13", "r14", "r15" };
	for (int i = 0; i < 11; i++)
		if (g_out[i] != g_in[i])
			test_fail(__FILE__, __LINE__, "syscall %ld changed %s: %#lx -> %#lx", nr,
			          names[i], (unsigned long)g_in[i], (unsigned long)g_out[i]);
	/* rcx holds the address of the instruction after syscall; r11 the rflags before it. */
	CHECK_EQ(g_rcx, g_label);
	CHECK_EQ(g_r11 & ~0x10000ULL, g_flags & ~0x10000ULL); /* RF may differ */
}

int main(void)
{
	run(SYS_getpid);
	CHECK_EQ(g_rax, getpid());
	run(SYS_sched_yield);
	CHECK_EQ(g_rax, 0);
	run(SYS_getppid);
	CHECK_EQ(g_rax, getppid());
	/* The error path too: an unknown system call returns -ENOSYS in rax. */
	run(500);
	CHECK_EQ(g_rax, -ENOSYS);
	/* And a failing known call: close(rdi) of the big fd number in g_in[3]. */
	run(SYS_close);
	CHECK_EQ(g_rax, -EBADF);
	return 0;
}
