/*
 * getpid_loop: the workload of bench/syscall. Makes N raw getpid system
 * calls and prints the mean cost of one, in ns, as `ns_per_call X`.
 *
 * Usage: getpid_loop [N]   (default 100000)
 *
 * Built -static so that it runs unchanged natively, under bare_tracer and
 * under `runsc do`. The loop is one inline `syscall` instruction per call,
 * so nothing but the trap itself is measured; the clock is read through
 * the vDSO (glibc's clock_gettime), which never traps, before and after.
 * A warm-up of N/10 calls (at least 100) runs first: it faults in the
 * code and stack pages and lets a tracer settle its CPU binding.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>

static inline long raw_getpid(void)
{
	long ret;
	__asm__ volatile("syscall" : "=a"(ret) : "0"((long)SYS_getpid) : "rcx", "r11", "memory");
	return ret;
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

int main(int argc, char **argv)
{
	long n = 100000;
	if (argc > 1) {
		char *end;
		n = strtol(argv[1], &end, 10);
		if (*end != '\0' || n <= 0) {
			fprintf(stderr, "usage: %s [N>0]\n", argv[0]);
			return 2;
		}
	}

	long warmup = n / 10 < 100 ? 100 : n / 10;
	long check = 0;
	for (long i = 0; i < warmup; i++)
		check |= raw_getpid();

	uint64_t start = now_ns();
	for (long i = 0; i < n; i++)
		check |= raw_getpid();
	uint64_t end = now_ns();

	if (check <= 0) {
		fprintf(stderr, "getpid_loop: getpid failed (%ld)\n", check);
		return 1;
	}
	printf("ns_per_call %.1f\n", (double)(end - start) / (double)n);
	return 0;
}
