/*
 * fpu: x87, SSE, AVX and AVX-512 register contents and control words survive system calls.
 * Under the ptrace platform the sentry must save and restore the full extended state.
 */
#include <cpuid.h>

#include "test.h"

#define ROUNDS 500

static uint8_t g_in[32][64] __attribute__((aligned(64)));
static uint8_t g_out[32][64] __attribute__((aligned(64)));

static void fill_pattern(unsigned seed)
{
	for (int r = 0; r < 32; r++)
		for (int i = 0; i < 64; i++)
			g_in[r][i] = (uint8_t)(seed + r * 64 + i * 7);
	memset(g_out, 0, sizeof(g_out));
}

static void compare(const char *what, int nregs, int width)
{
	for (int r = 0; r < nregs; r++)
		if (memcmp(g_in[r], g_out[r], (size_t)width) != 0)
			test_fail(__FILE__, __LINE__, "%s register %d changed across system calls",
				  what, r);
}

/*
 * SYSCALL_LOOP: %[n] rounds of getpid, sched_yield and an unknown system call (the error
 * path). Only rax, rcx and r11 are clobbered by the kernel.
 */
#define SYSCALL_LOOP                                                                       \
	"1:\n\t"                                                                           \
	"mov $" STR(SYS_getpid) ", %%eax\n\t"                                              \
	"syscall\n\t"                                                                      \
	"mov $" STR(SYS_sched_yield) ", %%eax\n\t"                                         \
	"syscall\n\t"                                                                      \
	"mov $500, %%eax\n\t"                                                              \
	"syscall\n\t"                                                                      \
	"dec %[n]\n\t"                                                                     \
	"jnz 1b\n\t"
#define STR_(x) #x
#define STR(x)  STR_(x)

static void check_sse(void)
{
	long n = ROUNDS;

	fill_pattern(1);
	__asm__ volatile(
		"movdqu 0(%[in]), %%xmm0\n\t"
		"movdqu 64(%[in]), %%xmm1\n\t"
		"movdqu 128(%[in]), %%xmm2\n\t"
		"movdqu 192(%[in]), %%xmm3\n\t"
		"movdqu 256(%[in]), %%xmm4\n\t"
		"movdqu 320(%[in]), %%xmm5\n\t"
		"movdqu 384(%[in]), %%xmm6\n\t"
		"movdqu 448(%[in]), %%xmm7\n\t"
		"movdqu 512(%[in]), %%xmm8\n\t"
		"movdqu 576(%[in]), %%xmm9\n\t"
		"movdqu 640(%[in]), %%xmm10\n\t"
		"movdqu 704(%[in]), %%xmm11\n\t"
		"movdqu 768(%[in]), %%xmm12\n\t"
		"movdqu 832(%[in]), %%xmm13\n\t"
		"movdqu 896(%[in]), %%xmm14\n\t"
		"movdqu 960(%[in]), %%xmm15\n\t" SYSCALL_LOOP
		"movdqu %%xmm0, 0(%[out])\n\t"
		"movdqu %%xmm1, 64(%[out])\n\t"
		"movdqu %%xmm2, 128(%[out])\n\t"
		"movdqu %%xmm3, 192(%[out])\n\t"
		"movdqu %%xmm4, 256(%[out])\n\t"
		"movdqu %%xmm5, 320(%[out])\n\t"
		"movdqu %%xmm6, 384(%[out])\n\t"
		"movdqu %%xmm7, 448(%[out])\n\t"
		"movdqu %%xmm8, 512(%[out])\n\t"
		"movdqu %%xmm9, 576(%[out])\n\t"
		"movdqu %%xmm10, 640(%[out])\n\t"
		"movdqu %%xmm11, 704(%[out])\n\t"
		"movdqu %%xmm12, 768(%[out])\n\t"
		"movdqu %%xmm13, 832(%[out])\n\t"
		"movdqu %%xmm14, 896(%[out])\n\t"
		"movdqu %%xmm15, 960(%[out])\n\t"
		: [n] "+r"(n)
		: [in] "r"(g_in), [out] "r"(g_out)
		: "rax", "rcx", "r11", "memory", "cc", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4",
		  "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13",
		  "xmm14", "xmm15");
	compare("xmm", 16, 16);
}

/* AVX: the upper halves of ymm0-15 are not in the legacy FXSAVE area. */
static void check_avx(void)
{
	long n = ROUNDS;

	fill_pattern(2);
	__asm__ volatile(
		"vmovdqu 0(%[in]), %%ymm0\n\t"
		"vmovdqu 64(%[in]), %%ymm1\n\t"
		"vmovdqu 128(%[in]), %%ymm2\n\t"
		"vmovdqu 192(%[in]), %%ymm3\n\t"
		"vmovdqu 256(%[in]), %%ymm4\n\t"
		"vmovdqu 320(%[in]), %%ymm5\n\t"
		"vmovdqu 384(%[in]), %%ymm6\n\t"
		"vmovdqu 448(%[in]), %%ymm7\n\t"
		"vmovdqu 512(%[in]), %%ymm8\n\t"
		"vmovdqu 576(%[in]), %%ymm9\n\t"
		"vmovdqu 640(%[in]), %%ymm10\n\t"
		"vmovdqu 704(%[in]), %%ymm11\n\t"
		"vmovdqu 768(%[in]), %%ymm12\n\t"
		"vmovdqu 832(%[in]), %%ymm13\n\t"
		"vmovdqu 896(%[in]), %%ymm14\n\t"
		"vmovdqu 960(%[in]), %%ymm15\n\t" SYSCALL_LOOP
		"vmovdqu %%ymm0, 0(%[out])\n\t"
		"vmovdqu %%ymm1, 64(%[out])\n\t"
		"vmovdqu %%ymm2, 128(%[out])\n\t"
		"vmovdqu %%ymm3, 192(%[out])\n\t"
		"vmovdqu %%ymm4, 256(%[out])\n\t"
		"vmovdqu %%ymm5, 320(%[out])\n\t"
		"vmovdqu %%ymm6, 384(%[out])\n\t"
		"vmovdqu %%ymm7, 448(%[out])\n\t"
		"vmovdqu %%ymm8, 512(%[out])\n\t"
		"vmovdqu %%ymm9, 576(%[out])\n\t"
		"vmovdqu %%ymm10, 640(%[out])\n\t"
		"vmovdqu %%ymm11, 704(%[out])\n\t"
		"vmovdqu %%ymm12, 768(%[out])\n\t"
		"vmovdqu %%ymm13, 832(%[out])\n\t"
		"vmovdqu %%ymm14, 896(%[out])\n\t"
		"vmovdqu %%ymm15, 960(%[out])\n\t"
		"vzeroupper\n\t"
		: [n] "+r"(n)
		: [in] "r"(g_in), [out] "r"(g_out)
		: "rax", "rcx", "r11", "memory", "cc", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4",
		  "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13",
		  "xmm14", "xmm15");
	compare("ymm", 16, 32);
}

/*
 * AVX-512: zmm0-31 and the mask registers. This file is built without -mavx512f, so the
 * compiler never keeps anything in zmm16-31 or k0-7; they need no clobbers.
 */
static void check_avx512(void)
{
	long n = ROUNDS;
	uint64_t k_in[2] = { 0x0123456789abcdefULL, 0xfedcba9876543210ULL }, k_out[2] = { 0, 0 };

	fill_pattern(3);
#define Z(i) "vmovdqu64 " #i "*64(%[in]), %%zmm" #i "\n\t"
#define W(i) "vmovdqu64 %%zmm" #i ", " #i "*64(%[out])\n\t"
	__asm__ volatile(Z(0) Z(1) Z(2) Z(3) Z(4) Z(5) Z(6) Z(7) Z(8) Z(9) Z(10) Z(11) Z(12) Z(13)
				 Z(14) Z(15) Z(16) Z(17) Z(18) Z(19) Z(20) Z(21) Z(22) Z(23)
					 Z(24) Z(25) Z(26) Z(27) Z(28) Z(29) Z(30) Z(31)
			 "kmovq 0(%[kin]), %%k1\n\t"
			 "kmovq 8(%[kin]), %%k7\n\t" SYSCALL_LOOP W(0) W(1) W(2) W(3) W(4) W(5)
				 W(6) W(7) W(8) W(9) W(10) W(11) W(12) W(13) W(14) W(15) W(16)
					 W(17) W(18) W(19) W(20) W(21) W(22) W(23) W(24) W(25)
						 W(26) W(27) W(28) W(29) W(30) W(31)
			 "kmovq %%k1, 0(%[kout])\n\t"
			 "kmovq %%k7, 8(%[kout])\n\t"
			 "vzeroupper\n\t"
			 : [n] "+r"(n)
			 : [in] "r"(g_in), [out] "r"(g_out), [kin] "r"(k_in), [kout] "r"(k_out)
			 : "rax", "rcx", "r11", "memory", "cc", "xmm0", "xmm1", "xmm2", "xmm3",
			   "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11", "xmm12",
			   "xmm13", "xmm14", "xmm15");
#undef Z
#undef W
	compare("zmm", 32, 64);
	CHECK_EQ(k_out[0], k_in[0]);
	CHECK_EQ(k_out[1], k_in[1]);
}

/* x87: eight values on the register stack, and the control and MXCSR words. */
static void check_x87_and_control(void)
{
	long n = ROUNDS;
	double in[8] = { 1.5, -2.25, 3.125, 1e300, -1e-300, 0.1, 42.0, 3.14159265358979 };
	double out[8] = { 0 };
	uint16_t cw_in = 0x0c7f; /* round toward zero, 64-bit precision, all masked */
	uint16_t cw_out = 0, cw_orig;
	uint32_t mxcsr_in = 0x7f80 | 0x8040; /* round toward zero, FTZ, DAZ, all masked */
	uint32_t mxcsr_out = 0, mxcsr_orig;

	__asm__ volatile("fnstcw %0" : "=m"(cw_orig));
	__asm__ volatile("stmxcsr %0" : "=m"(mxcsr_orig));
	__asm__ volatile("fldcw %[cw]\n\t"
			 "ldmxcsr %[mx]\n\t"
			 "fldl 0(%[in])\n\t"
			 "fldl 8(%[in])\n\t"
			 "fldl 16(%[in])\n\t"
			 "fldl 24(%[in])\n\t"
			 "fldl 32(%[in])\n\t"
			 "fldl 40(%[in])\n\t"
			 "fldl 48(%[in])\n\t"
			 "fldl 56(%[in])\n\t" SYSCALL_LOOP "fstpl 56(%[out])\n\t"
			 "fstpl 48(%[out])\n\t"
			 "fstpl 40(%[out])\n\t"
			 "fstpl 32(%[out])\n\t"
			 "fstpl 24(%[out])\n\t"
			 "fstpl 16(%[out])\n\t"
			 "fstpl 8(%[out])\n\t"
			 "fstpl 0(%[out])\n\t"
			 "fnstcw %[cwo]\n\t"
			 "stmxcsr %[mxo]\n\t"
			 "fldcw %[cwr]\n\t"
			 "ldmxcsr %[mxr]\n\t"
			 : [n] "+r"(n), [cwo] "=m"(cw_out), [mxo] "=m"(mxcsr_out)
			 : [in] "r"(in), [out] "r"(out), [cw] "m"(cw_in), [mx] "m"(mxcsr_in),
			   [cwr] "m"(cw_orig), [mxr] "m"(mxcsr_orig)
			 : "rax", "rcx", "r11", "memory", "cc", "st", "st(1)", "st(2)", "st(3)",
			   "st(4)", "st(5)", "st(6)", "st(7)");
	CHECK(memcmp(in, out, sizeof(in)) == 0);
	CHECK_EQ(cw_out, cw_in);
	CHECK_EQ(mxcsr_out & ~0x3fU, mxcsr_in); /* the low bits are sticky exception flags */
}

int main(void)
{
	check_sse();
	check_x87_and_control();

	/* AVX needs CPU support and the OS having enabled the YMM state in XCR0. */
	unsigned a, b, c, d;
	CHECK(__get_cpuid(1, &a, &b, &c, &d));
	int osxsave = (c >> 27) & 1, avx = (c >> 28) & 1;
	uint64_t xcr0 = 0;
	if (osxsave) {
		uint32_t lo, hi;
		__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
		xcr0 = ((uint64_t)hi << 32) | lo;
	}
	if (avx && (xcr0 & 0x6) == 0x6)
		check_avx();
	int avx512f = 0;
	if (__get_cpuid_max(0, NULL) >= 7) {
		__cpuid_count(7, 0, a, b, c, d);
		avx512f = (b >> 16) & 1;
	}
	if (avx512f && (xcr0 & 0xe6) == 0xe6)
		check_avx512();
	return 0;
}
