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
 * SYSCALL_LOOP: %[n] rounds of getpid (39), sched_yield (24) and an unknown system call (the
 * error path). Only rax, rcx and r11 are clobbered by the kernel.
 */
_Static_assert(SYS_getpid == 39 && SYS_sched_yield == 24, "x86-64 system call numbers");
#define SYSCALL_LOOP          \
	"1:\n\t"              \
	"mov $39, %%eax\n\t"  \
	"syscall\n\t"         \
	"mov $24, %%eax\n\t"  \
	"syscall\n\t"         \
	"mov $500, %%eax\n\t" \
	"syscall\n\t"         \
	"dec %[n]\n\t"        \
	"jnz 1b\n\t"

static void check_sse(void)
{
	long n = ROUNDS;

	fill_pattern(1);
	__asm__ volatile("movdqu 0(%[in]), %%xmm0\n\t"
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
	                 : "rax", "rcx", "r11", "memory", "cc", "xmm0", "xmm1", "xmm2", "xmm3",
	                   "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11",
	                   "xmm12", "xmm13", "xmm14", "xmm15");
	compare("xmm", 16, 16);
}

/* AVX: the upper halves of ymm0-15 are not in the legacy FXSAVE area. */
static void check_avx(void)
{
	long n = ROUNDS;

	fill_pattern(2);
	__asm__ volatile("vmovdqu 0(%[in]), %%ymm0\n\t"
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
	                 : "rax", "rcx", "r11", "memory", "cc", "xmm0", "xmm1", "xmm2", "xmm3",
	                   "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11",
	                   "xmm12", "xmm13", "xmm14", "xmm15");
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
	__asm__ volatile("vmovdqu64 0(%[in]), %%zmm0\n\t"
	                 "vmovdqu64 64(%[in]), %%zmm1\n\t"
	                 "vmovdqu64 128(%[in]), %%zmm2\n\t"
	                 "vmovdqu64 192(%[in]), %%zmm3\n\t"
	                 "vmovdqu64 256(%[in]), %%zmm4\n\t"
	                 "vmovdqu64 320(%[in]), %%zmm5\n\t"
	                 "vmovdqu64 384(%[in]), %%zmm6\n\t"
	                 "vmovdqu64 448(%[in]), %%zmm7\n\t"
	                 "vmovdqu64 512(%[in]), %%zmm8\n\t"
	                 "vmovdqu64 576(%[in]), %%zmm9\n\t"
	                 "vmovdqu64 640(%[in]), %%zmm10\n\t"
	                 "vmovdqu64 704(%[in]), %%zmm11\n\t"
	                 "vmovdqu64 768(%[in]), %%zmm12\n\t"
	                 "vmovdqu64 832(%[in]), %%zmm13\n\t"
	                 "vmovdqu64 896(%[in]), %%zmm14\n\t"
	                 "vmovdqu64 960(%[in]), %%zmm15\n\t"
	                 "vmovdqu64 1024(%[in]), %%zmm16\n\t"
	                 "vmovdqu64 1088(%[in]), %%zmm17\n\t"
	                 "vmovdqu64 1152(%[in]), %%zmm18\n\t"
	                 "vmovdqu64 1216(%[in]), %%zmm19\n\t"
	                 "vmovdqu64 1280(%[in]), %%zmm20\n\t"
	                 "vmovdqu64 1344(%[in]), %%zmm21\n\t"
	                 "vmovdqu64 1408(%[in]), %%zmm22\n\t"
	                 "vmovdqu64 1472(%[in]), %%zmm23\n\t"
	                 "vmovdqu64 1536(%[in]), %%zmm24\n\t"
	                 "vmovdqu64 1600(%[in]), %%zmm25\n\t"
	                 "vmovdqu64 1664(%[in]), %%zmm26\n\t"
	                 "vmovdqu64 1728(%[in]), %%zmm27\n\t"
	                 "vmovdqu64 1792(%[in]), %%zmm28\n\t"
	                 "vmovdqu64 1856(%[in]), %%zmm29\n\t"
	                 "vmovdqu64 1920(%[in]), %%zmm30\n\t"
	                 "vmovdqu64 1984(%[in]), %%zmm31\n\t"
	                 "kmovq 0(%[kin]), %%k1\n\t"
	                 "kmovq 8(%[kin]), %%k7\n\t" SYSCALL_LOOP "vmovdqu64 %%zmm0, 0(%[out])\n\t"
	                 "vmovdqu64 %%zmm1, 64(%[out])\n\t"
	                 "vmovdqu64 %%zmm2, 128(%[out])\n\t"
	                 "vmovdqu64 %%zmm3, 192(%[out])\n\t"
	                 "vmovdqu64 %%zmm4, 256(%[out])\n\t"
	                 "vmovdqu64 %%zmm5, 320(%[out])\n\t"
	                 "vmovdqu64 %%zmm6, 384(%[out])\n\t"
	                 "vmovdqu64 %%zmm7, 448(%[out])\n\t"
	                 "vmovdqu64 %%zmm8, 512(%[out])\n\t"
	                 "vmovdqu64 %%zmm9, 576(%[out])\n\t"
	                 "vmovdqu64 %%zmm10, 640(%[out])\n\t"
	                 "vmovdqu64 %%zmm11, 704(%[out])\n\t"
	                 "vmovdqu64 %%zmm12, 768(%[out])\n\t"
	                 "vmovdqu64 %%zmm13, 832(%[out])\n\t"
	                 "vmovdqu64 %%zmm14, 896(%[out])\n\t"
	                 "vmovdqu64 %%zmm15, 960(%[out])\n\t"
	                 "vmovdqu64 %%zmm16, 1024(%[out])\n\t"
	                 "vmovdqu64 %%zmm17, 1088(%[out])\n\t"
	                 "vmovdqu64 %%zmm18, 1152(%[out])\n\t"
	                 "vmovdqu64 %%zmm19, 1216(%[out])\n\t"
	                 "vmovdqu64 %%zmm20, 1280(%[out])\n\t"
	                 "vmovdqu64 %%zmm21, 1344(%[out])\n\t"
	                 "vmovdqu64 %%zmm22, 1408(%[out])\n\t"
	                 "vmovdqu64 %%zmm23, 1472(%[out])\n\t"
	                 "vmovdqu64 %%zmm24, 1536(%[out])\n\t"
	                 "vmovdqu64 %%zmm25, 1600(%[out])\n\t"
	                 "vmovdqu64 %%zmm26, 1664(%[out])\n\t"
	                 "vmovdqu64 %%zmm27, 1728(%[out])\n\t"
	                 "vmovdqu64 %%zmm28, 1792(%[out])\n\t"
	                 "vmovdqu64 %%zmm29, 1856(%[out])\n\t"
	                 "vmovdqu64 %%zmm30, 1920(%[out])\n\t"
	                 "vmovdqu64 %%zmm31, 1984(%[out])\n\t"
	                 "kmovq %%k1, 0(%[kout])\n\t"
	                 "kmovq %%k7, 8(%[kout])\n\t"
	                 "vzeroupper\n\t"
	                 : [n] "+r"(n)
	                 : [in] "r"(g_in), [out] "r"(g_out), [kin] "r"(k_in), [kout] "r"(k_out)
	                 : "rax", "rcx", "r11", "memory", "cc", "xmm0", "xmm1", "xmm2", "xmm3",
	                   "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11",
	                   "xmm12", "xmm13", "xmm14", "xmm15");
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
