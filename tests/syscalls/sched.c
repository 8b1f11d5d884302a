/* sched: sched_yield, and sched_getaffinity's size rules through the raw call. */
#include <sched.h>

#include "test.h"

static unsigned char g_mask[1024];

int main(void)
{
	for (int i = 0; i < 100; i++)
		CHECK_EQ(syscall(SYS_sched_yield), 0);

	/*
	 * The raw call returns the size of the kernel's CPU mask (a multiple of 8, at most the
	 * buffer) and leaves the rest of the buffer alone. glibc's wrapper would zero it.
	 */
	memset(g_mask, 0xee, sizeof(g_mask));
	long size = syscall(SYS_sched_getaffinity, 0, sizeof(g_mask), g_mask);
	CHECK(size >= 8);
	CHECK_EQ(size % 8, 0);
	CHECK(size <= (long)sizeof(g_mask));
	int cpus = 0;
	for (long i = 0; i < size; i++)
		cpus += __builtin_popcount(g_mask[i]);
	CHECK(cpus >= 1);
	CHECK(cpus <= size * 8);
	if (size < (long)sizeof(g_mask))
		CHECK_EQ(g_mask[size], 0xee);

	/* Our own pid gives the same mask as 0. */
	unsigned char again[1024];
	CHECK_EQ(syscall(SYS_sched_getaffinity, getpid(), sizeof(again), again), size);
	CHECK(memcmp(again, g_mask, (size_t)size) == 0);
	/* glibc agrees on the number of CPUs. */
	cpu_set_t set;
	CHECK_EQ(sched_getaffinity(0, sizeof(set), &set), 0);
	CHECK_EQ(CPU_COUNT(&set), cpus);

	/* EINVAL: a size that is not a multiple of 8, or that cannot hold every CPU id. */
	CHECK_ERR(syscall(SYS_sched_getaffinity, 0, 0L, g_mask), EINVAL);
	CHECK_ERR(syscall(SYS_sched_getaffinity, 0, 4L, g_mask), EINVAL);
	CHECK_ERR(syscall(SYS_sched_getaffinity, 0, 7L, g_mask), EINVAL);
	CHECK_ERR(syscall(SYS_sched_getaffinity, 0, 9L, g_mask), EINVAL);
	/* ESRCH: no such process (a negative pid is never one). */
	CHECK_ERR(syscall(SYS_sched_getaffinity, -1, sizeof(g_mask), g_mask), ESRCH);
	return 0;
}
