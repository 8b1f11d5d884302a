/*
 * getpid_loop: the workload of bench/syscall. Makes N raw getpid system
 * calls and prints the mean cost of one, in ns, as `ns_per_call X`.
 *
 * Usage: getpid_loop [--trap] [N]   (default 100000)
 *
 * --trap: the systrap platform's floor, natively. A seccomp filter makes
 * getpid trap (SECCOMP_RET_TRAP), and a SIGSYS handler on an alternate
 * stack, with every signal blocked as the stub's is, answers it by
 * setting rax in the signal frame: the kernel's trap, frame and
 * rt_sigreturn, and nothing of a sentry.
 *
 * Built -static so that it runs unchanged natively, under bare_tracer and
 * under `runsc do`. The loop is one inline `syscall` instruction per call,
 * so nothing but the trap itself is measured; the clock is read through
 * the vDSO (glibc's clock_gettime), which never traps, before and after.
 * A warm-up of N/10 calls (at least 100) runs first: it faults in the
 * code and stack pages and lets a tracer settle its CPU binding.
 */
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

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

static void on_sigsys(int sig, siginfo_t *si, void *ctx)
{
	(void)sig;
	(void)si;
	((ucontext_t *)ctx)->uc_mcontext.gregs[REG_RAX] = 1;
}

static int trap_getpid(void)
{
	static char altstack[64 * 1024];
	stack_t ss = { .ss_sp = altstack, .ss_size = sizeof(altstack) };
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sigsys;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
	sigfillset(&sa.sa_mask);
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getpid, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { sizeof(f) / sizeof(f[0]), f };
	if (sigaltstack(&ss, NULL) != 0 || sigaction(SIGSYS, &sa, NULL) != 0 ||
	    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0) {
		perror("getpid_loop: --trap");
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	long n = 100000;
	if (argc > 1 && strcmp(argv[1], "--trap") == 0) {
		if (trap_getpid() != 0)
			return 1;
		argc--;
		argv++;
	}
	if (argc > 1) {
		char *end;
		n = strtol(argv[1], &end, 10);
		if (*end != '\0' || n <= 0) {
			fprintf(stderr, "usage: getpid_loop [--trap] [N>0]\n");
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
