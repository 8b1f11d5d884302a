/*
 * getpid_loop: the workload of bench/syscall. Makes N raw getpid system
 * calls and prints the mean cost of one, in ns, as `ns_per_call X`.
 *
 * Usage: getpid_loop [--trap|--sud] [N]   (default 100000)
 *
 * --trap: the systrap platform's floor, natively. A seccomp filter makes
 * getpid trap (SECCOMP_RET_TRAP), and a SIGSYS handler on an alternate
 * stack, with every signal blocked as the stub's is, answers it by
 * setting rax in the signal frame: the kernel's trap, frame and
 * rt_sigreturn, and nothing of a sentry.
 *
 * --sud: the same with syscall user dispatch (PR_SET_SYSCALL_USER_DISPATCH)
 * in place of the seccomp filter: every system call made outside one small
 * region (the SIGSYS handler's own rt_sigreturn) traps while a selector
 * byte says so; the alternative the systrap issue names, measured here
 * against --trap.
 *
 * Built -static so that it runs unchanged natively, under bare_tracer and
 * under `runsc do`. The loop is one inline `mov $39, %eax; syscall` per
 * call (the sequence of glibc's wrappers), so nothing but the trap itself
 * is measured; the clock is read through
 * the vDSO (glibc's clock_gettime), which never traps, before and after.
 * A warm-up of N/10 calls (at least 100) runs first: it faults in the
 * code and stack pages and lets a tracer settle its CPU binding.
 */
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stdbool.h>
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

/* As glibc's wrapper makes it, `mov $39, %eax; syscall`: a site systrap may patch. */
static inline long raw_getpid(void)
{
	long ret;
	__asm__ volatile("mov %1, %%eax\n\t"
	                 "syscall"
	                 : "=a"(ret)
	                 : "i"(SYS_getpid)
	                 : "rcx", "r11", "memory");
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

/*
 * Syscall user dispatch: the one region whose system calls run is this
 * rt_sigreturn, the SIGSYS handler's restorer (glibc's is outside it).
 */
__asm__(".text\n"
        ".globl sud_restorer\n"
        "sud_restorer:\n"
        "\tmov $15, %eax\n" /* rt_sigreturn */
        "\tsyscall\n"
        "\tnop\n" /* the kernel checks the address after the syscall instruction */
        ".globl sud_restorer_end\n"
        "sud_restorer_end:\n");
extern char sud_restorer[], sud_restorer_end[];

#define PR_SET_SYSCALL_USER_DISPATCH_ 59
#define PR_SYS_DISPATCH_ON_           1
#define SUD_SA_RESTORER               0x04000000

static volatile char g_sud_selector; /* 0: calls run, 1: they trap */

/* The kernel's struct sigaction, which takes a restorer. */
struct kernel_sigaction {
	void (*handler)(int, siginfo_t *, void *);
	unsigned long flags;
	void (*restorer)(void);
	uint64_t mask;
};

static int sud_getpid(void)
{
	static char altstack[64 * 1024];
	stack_t ss = { .ss_sp = altstack, .ss_size = sizeof(altstack) };
	struct kernel_sigaction ksa = {
		.handler = on_sigsys,
		.flags = SA_SIGINFO | SA_ONSTACK | SUD_SA_RESTORER,
		.restorer = (void (*)(void))(void *)sud_restorer,
		.mask = ~0ULL,
	};
	if (sigaltstack(&ss, NULL) != 0 ||
	    syscall(SYS_rt_sigaction, SIGSYS, &ksa, NULL, sizeof(ksa.mask)) != 0 ||
	    prctl(PR_SET_SYSCALL_USER_DISPATCH_, PR_SYS_DISPATCH_ON_, (unsigned long)sud_restorer,
	          (unsigned long)(sud_restorer_end - sud_restorer), &g_sud_selector) != 0) {
		perror("getpid_loop: --sud");
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	long n = 100000;
	bool sud = false;
	if (argc > 1 && strcmp(argv[1], "--trap") == 0) {
		if (trap_getpid() != 0)
			return 1;
		argc--;
		argv++;
	} else if (argc > 1 && strcmp(argv[1], "--sud") == 0) {
		if (sud_getpid() != 0)
			return 1;
		sud = true;
		argc--;
		argv++;
	}
	if (argc > 1) {
		char *end;
		n = strtol(argv[1], &end, 10);
		if (*end != '\0' || n <= 0) {
			fprintf(stderr, "usage: getpid_loop [--trap|--sud] [N>0]\n");
			return 2;
		}
	}

	long warmup = n / 10 < 100 ? 100 : n / 10;
	long check = 0;
	/* From here to the end of the loop, only the vDSO and the traps: no libc call traps. */
	g_sud_selector = sud;
	for (long i = 0; i < warmup; i++)
		check |= raw_getpid();

	uint64_t start = now_ns();
	for (long i = 0; i < n; i++)
		check |= raw_getpid();
	uint64_t end = now_ns();
	g_sud_selector = 0;

	if (check <= 0) {
		fprintf(stderr, "getpid_loop: getpid failed (%ld)\n", check);
		return 1;
	}
	printf("ns_per_call %.1f\n", (double)(end - start) / (double)n);
	return 0;
}
