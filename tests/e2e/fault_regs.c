/*
 * fault_regs: the CPU's view of a fault, as a SA_SIGINFO handler sees it in
 * its frame: trap number, error code, and whether cr2 is the fault address,
 * for a read of NULL, a read and a write of an unmapped page, a write to a
 * read-only page (never touched, and touched), a jump into a non-executable
 * page, ud2, int3 and a divide by zero. e2e/fault_regs runs it natively and
 * on systrap, whose frames carry the host kernel's own values: both must
 * print the same. (ptrace derives them, more roughly: not compared.)
 */
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <ucontext.h>

static sigjmp_buf g_jmp;
static long g_err, g_trapno;
static uintptr_t g_cr2;

static void on_fault(int sig, siginfo_t *si, void *ctx)
{
	(void)sig;
	(void)si;
	const ucontext_t *uc = ctx;
	g_err = uc->uc_mcontext.gregs[REG_ERR];
	g_trapno = uc->uc_mcontext.gregs[REG_TRAPNO];
	g_cr2 = (uintptr_t)uc->uc_mcontext.gregs[REG_CR2];
	siglongjmp(g_jmp, 1);
}

static void report(const char *what, uintptr_t addr)
{
	printf("%-22s trapno %2ld err %#5lx cr2 %s\n", what, g_trapno, (unsigned long)g_err,
	       addr == 0 ? "-" : (g_cr2 == addr ? "= address" : "other"));
}

#define FAULT(what, addr, stmt)             \
	do {                                \
		if (!sigsetjmp(g_jmp, 1)) { \
			stmt;               \
		}                           \
		report(what, addr);         \
	} while (0)

int main(void)
{
	struct sigaction sa = { 0 };
	sa.sa_sigaction = on_fault;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	int sigs[] = { SIGSEGV, SIGBUS, SIGILL, SIGTRAP, SIGFPE };
	for (unsigned i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);

	char *ro = mmap(NULL, 2 * 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *gone = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *nx = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (ro == MAP_FAILED || gone == MAP_FAILED || nx == MAP_FAILED)
		return 1;
	munmap(gone, 4096);
	nx[0] = (char)0xc3;                  /* ret */
	(void)*(volatile char *)(ro + 4096); /* the second read-only page, touched */
	volatile int zero = 0;
	char *volatile low = (char *)8; /* through a variable: the compiler sees no NULL access */

	FAULT("read NULL", 8, (void)*(volatile char *)low);
	FAULT("read unmapped", (uintptr_t)gone, (void)*(volatile char *)gone);
	FAULT("write unmapped", (uintptr_t)gone, *(volatile char *)gone = 1);
	FAULT("write read-only", (uintptr_t)ro, *(volatile char *)ro = 1);
	FAULT("write read-only, read", (uintptr_t)(ro + 4096), *(volatile char *)(ro + 4096) = 1);
	FAULT("jump non-executable", (uintptr_t)nx, ((void (*)(void))nx)());
	FAULT("ud2", 0, __asm__ volatile("ud2"));
	FAULT("int3", 0, __asm__ volatile("int3"));
	int divisor = zero;
	FAULT("divide by zero", 0,
	      __asm__ volatile("xor %%edx, %%edx\n\tmov $1, %%eax\n\tdiv %0"
	                       :
	                       : "r"(divisor)
	                       : "eax", "edx"));
	return 0;
}
