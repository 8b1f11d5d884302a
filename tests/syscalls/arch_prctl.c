/* arch_prctl: the FS and GS bases, read back and used by the CPU. */
#include <asm/prctl.h>

#include "test.h"

static unsigned long get_base(int code)
{
	unsigned long base = 0x1234;

	CHECK_EQ(syscall(SYS_arch_prctl, code, &base), 0);
	return base;
}

static unsigned long read_fs0(void)
{
	unsigned long v;

	__asm__ volatile("mov %%fs:0, %0" : "=r"(v));
	return v;
}

static unsigned long read_gs(unsigned long off)
{
	unsigned long v;

	__asm__ volatile("mov %%gs:(%1), %0" : "=r"(v) : "r"(off));
	return v;
}

static unsigned long g_gs_area[4] = { 0x1111, 0x2222, 0x3333, 0x4444 };

int main(void)
{
	/* glibc's TLS: the thread control block starts with a pointer to itself. */
	unsigned long fs = get_base(ARCH_GET_FS);
	CHECK(fs != 0);
	CHECK_EQ(read_fs0(), fs);
	/* Setting FS to the value it has changes nothing (any other value would break TLS). */
	CHECK_EQ(syscall(SYS_arch_prctl, ARCH_SET_FS, fs), 0);
	CHECK_EQ(get_base(ARCH_GET_FS), fs);
	CHECK_EQ(read_fs0(), fs);
	errno = 0;
	CHECK_EQ(syscall(SYS_getpid), getpid()); /* TLS (errno) still works */

	/* GS starts at 0; set it, read it back, and load through it. */
	CHECK_EQ(get_base(ARCH_GET_GS), 0);
	CHECK_EQ(syscall(SYS_arch_prctl, ARCH_SET_GS, (unsigned long)g_gs_area), 0);
	CHECK_EQ(get_base(ARCH_GET_GS), (unsigned long)g_gs_area);
	CHECK_EQ(read_gs(0), 0x1111);
	CHECK_EQ(read_gs(16), 0x3333);
	/* The base survives other system calls. */
	for (int i = 0; i < 100; i++)
		syscall(SYS_sched_yield);
	CHECK_EQ(read_gs(24), 0x4444);
	CHECK_EQ(get_base(ARCH_GET_GS), (unsigned long)g_gs_area);

	/* EPERM: a base at or above the top of user space (0x7ffffffff000). */
	CHECK_ERR(syscall(SYS_arch_prctl, ARCH_SET_GS, 0x7ffffffff000UL), EPERM);
	CHECK_ERR(syscall(SYS_arch_prctl, ARCH_SET_GS, 0xffff800000000000UL), EPERM);
	CHECK_ERR(syscall(SYS_arch_prctl, ARCH_SET_FS, 0x800000000000UL), EPERM);
	CHECK_EQ(get_base(ARCH_GET_GS), (unsigned long)g_gs_area);
	CHECK_EQ(get_base(ARCH_GET_FS), fs);
	/* EINVAL: an unknown code. */
	CHECK_ERR(syscall(SYS_arch_prctl, 0x9999, 0UL), EINVAL);
	CHECK_ERR(syscall(SYS_arch_prctl, 0, 0UL), EINVAL);

	CHECK_EQ(syscall(SYS_arch_prctl, ARCH_SET_GS, 0UL), 0);
	CHECK_EQ(get_base(ARCH_GET_GS), 0);
	return 0;
}
