/*
 * plat_fault_badstack MODE: a fault whose SA_ONSTACK handler's alternate stack cannot hold
 * the signal frame kills the process with SIGSEGV (139), as on Linux (force_sigsegv), never
 * with the fault's own signal and never by running the handler:
 *   protnone  the alternate stack is PROT_NONE, the fault a load from NULL (SIGSEGV);
 *   readonly  the alternate stack is PROT_READ, the fault a load from NULL;
 *   unmapped  the alternate stack was unmapped after sigaltstack, the fault a load from NULL;
 *   ud2       the alternate stack is PROT_NONE, the fault ud2 (SIGILL, yet death by SIGSEGV).
 */
#include <signal.h>

#include "test.h"

#define ALT_SIZE (64 * 1024)

static void on_fault(int sig)
{
	(void)sig;
	static const char msg[] = "plat_fault_badstack: the handler ran\n";
	(void)!write(2, msg, sizeof(msg) - 1);
	_exit(1);
}

static void on_alarm(int sig)
{
	(void)sig;
	static const char msg[] = "plat_fault_badstack: the safety alarm went off\n";
	(void)!write(2, msg, sizeof(msg) - 1);
	_exit(1);
}

int main(int argc, char **argv)
{
	CHECK_EQ(argc, 2);
	const char *mode = argv[1];
	signal(SIGALRM, on_alarm);
	alarm(20);

	int prot = PROT_NONE;
	if (strcmp(mode, "readonly") == 0)
		prot = PROT_READ;
	void *alt = test_map(ALT_SIZE, prot);
	stack_t ss = { .ss_sp = alt, .ss_size = ALT_SIZE };
	CHECK_SYS(sigaltstack(&ss, NULL));
	if (strcmp(mode, "unmapped") == 0)
		CHECK_SYS(munmap(alt, ALT_SIZE));

	struct sigaction sa = { 0 };
	sa.sa_handler = on_fault;
	sa.sa_flags = SA_ONSTACK;
	CHECK_SYS(sigaction(SIGSEGV, &sa, NULL));
	CHECK_SYS(sigaction(SIGILL, &sa, NULL));

	if (strcmp(mode, "ud2") == 0) {
		__asm__ volatile("ud2");
		test_unreachable("ud2 with an unusable alternate stack");
	}
	if (strcmp(mode, "protnone") == 0 || strcmp(mode, "readonly") == 0 ||
	    strcmp(mode, "unmapped") == 0) {
		(void)*(volatile int *)NULL;
		test_unreachable("a load from NULL with an unusable alternate stack");
	}
	test_fail(__FILE__, __LINE__, "unknown mode %s", mode);
}
